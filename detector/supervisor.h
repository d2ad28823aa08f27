// supervisor.h: keeps one child process (tachy-actions) running.
//
// tachyd starts the action runner as a child and restarts it when it dies,
// one second later (so a runner that cannot start does not spin). The
// detector itself never waits for the child: reaping happens on SIGCHLD.
#ifndef TACHY_DETECTOR_SUPERVISOR_H_
#define TACHY_DETECTOR_SUPERVISOR_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "detector/mono_time.h"

namespace tachy {

class Supervisor {
 public:
  Supervisor(std::string name, std::vector<std::string> argv)
      : name_(std::move(name)), argv_(std::move(argv)) {}
  ~Supervisor() { Stop(absl::Seconds(5)); }

  // Start()
  //
  // Spawns the child now. Errors name the program.
  absl::Status Start();

  // Reap()
  //
  // Call on SIGCHLD: collects our child if it exited, logs how, and schedules
  // a restart.
  void Reap(MonoTime now);

  // Tick()
  //
  // Restarts the child if a restart is due.
  void Tick(MonoTime now);

  // Stop()
  //
  // SIGTERM, then SIGKILL after `grace`; waits for it (bounded). No restart.
  void Stop(absl::Duration grace);

  pid_t pid() const { return pid_; }

 private:
  std::string name_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  bool restart_pending_ = false;
  bool stopped_ = false;
  MonoTime restart_at_;
  int restarts_ = 0;
};

// FindSiblingProgram()
//
// The path of `program` next to the running executable, or in the build
// tree's layout (../actions/), else just `program` for a $PATH lookup.
std::string FindSiblingProgram(const std::string& program);

}  // namespace tachy

#endif  // TACHY_DETECTOR_SUPERVISOR_H_
