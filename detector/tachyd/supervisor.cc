#include "detector/tachyd/supervisor.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "detector/base/log.h"
#include "detector/base/spawn_process.h"

extern char** environ;

namespace tachy {

namespace {

// SpawnProcess() of `argv` with our environment; returns its error number
// (0: *pid is the child).
int Spawn(std::vector<std::string>& argv, pid_t* pid) {
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  return SpawnProcess(args[0], args.data(), environ, SpawnOptions{}, pid);
}

}  // namespace

absl::StatusOr<int> RunAndWait(std::vector<std::string> argv) {
  pid_t pid;
  if (const int rc = Spawn(argv, &pid); rc != 0) {
    return absl::ErrnoToStatus(rc, absl::StrCat("run ", argv[0]));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return absl::ErrnoToStatus(errno, absl::StrCat("wait for ", argv[0]));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

absl::Status Supervisor::Start() {
  pid_t pid;
  const int rc = Spawn(argv_, &pid);
  if (rc != 0) {
    return absl::ErrnoToStatus(rc, absl::StrCat("start ", name_, " (", argv_[0], ")"));
  }
  pid_ = pid;
  stopped_ = false;
  started_at_ = MonotonicNow();
  LogInfo("started %s (pid %d)", name_, pid_);
  return absl::OkStatus();
}

void Supervisor::Reap(MonoTime now) {
  if (pid_ <= 0) return;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return;
  pid_ = -1;
  const std::string how = WIFEXITED(status)
                              ? absl::StrCat("exited with status ", WEXITSTATUS(status))
                              : absl::StrCat("was killed by signal ", WTERMSIG(status), " (",
                                             strsignal(WTERMSIG(status)), ")");
  if (stopped_) return;
  ++restarts_;
  const absl::Duration ran_for = now - started_at_;
  delay_ = RestartDelay(ran_for, delay_);
  LogWarning("%s %s after %s; restarting it in %s (restart %d); detection goes on meanwhile",
             name_, how, absl::FormatDuration(absl::Trunc(ran_for, absl::Milliseconds(1))),
             absl::FormatDuration(delay_), restarts_);
  restart_pending_ = true;
  restart_at_ = now + delay_;
}

absl::Duration RestartDelay(absl::Duration ran_for, absl::Duration previous) {
  constexpr absl::Duration kFirst = absl::Seconds(1), kMax = absl::Seconds(30);
  if (ran_for >= absl::Minutes(1) || previous <= absl::ZeroDuration()) return kFirst;
  return std::min(kMax, previous * 2);
}

void Supervisor::Tick(MonoTime now) {
  if (!restart_pending_ || stopped_ || now < restart_at_) return;
  restart_pending_ = false;
  if (absl::Status s = Start(); !s.ok()) {
    delay_ = RestartDelay(absl::ZeroDuration(), delay_);
    LogError("%s; retrying in %s", s.message(), absl::FormatDuration(delay_));
    restart_pending_ = true;
    restart_at_ = now + delay_;
  }
}

void Supervisor::Stop(absl::Duration grace) {
  stopped_ = true;
  restart_pending_ = false;
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const MonoTime deadline = MonotonicNow() + grace;
  int status;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (MonotonicNow() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
}

std::string FindSiblingProgram(const std::string& program) {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = '\0';
    std::string dir(self);
    dir = dir.substr(0, dir.rfind('/'));
    for (const std::string& candidate :
         {absl::StrCat(dir, "/", program), absl::StrCat(dir, "/../../actions/", program)}) {
      struct stat st;
      if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
          access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
  }
  return program;
}

}  // namespace tachy
