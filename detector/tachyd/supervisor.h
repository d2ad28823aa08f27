// supervisor.h: keeps one child process (tachy-actions) running.
//
// tachyd starts the action runner as a child and restarts it when it dies:
// one second later, and, while it keeps dying young (within a minute of its
// start, e.g. a missing script or a bad haresources), twice as long each
// time up to 30 s (RestartDelay), so that a runner that cannot start neither
// spins nor floods the log. The detector itself never waits for the child:
// reaping happens on SIGCHLD.
#ifndef TACHY_DETECTOR_TACHYD_SUPERVISOR_H_
#define TACHY_DETECTOR_TACHYD_SUPERVISOR_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "detector/base/mono_time.h"

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

  // The delay before the pending restart (zero when none is pending).
  absl::Duration restart_delay() const { return restart_pending_ ? delay_ : absl::ZeroDuration(); }

 private:
  std::string name_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  bool restart_pending_ = false;
  bool stopped_ = false;
  MonoTime restart_at_;
  MonoTime started_at_;
  absl::Duration delay_ = absl::ZeroDuration();
  int restarts_ = 0;
};

// RestartDelay()
//
// How long to wait before restarting a child that ran for `ran_for` after
// the previous wait of `previous` (zero: first restart): 1 s after a child
// that lived a minute or more, else double the previous wait, at most 30 s.
absl::Duration RestartDelay(absl::Duration ran_for, absl::Duration previous);

// RunAndWait()
//
// Runs `argv` (argv[0] looked up in $PATH) in the foreground, with our
// stdout and stderr, and returns its exit status (128 + N when killed by
// signal N). For one-shot helpers (tachyd --check), never in the daemon.
absl::StatusOr<int> RunAndWait(std::vector<std::string> argv);

// FindSiblingProgram()
//
// The path of `program` next to the running executable, or in the build
// tree's layout (tachyd in build/detector/tachyd/, so ../../actions/),
// else just `program` for a $PATH lookup.
std::string FindSiblingProgram(const std::string& program);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_SUPERVISOR_H_
