#include "actions/run_script.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/string_view.h"
#include "detector/base/unique_fd.h"
#include "detector/base/format.h"
#include "detector/base/mono_time.h"
#include "detector/base/spawn_process.h"

extern char** environ;

namespace tachy {
namespace {

// Grace between SIGTERM and SIGKILL for a timed-out group (resource_agent.h).
constexpr absl::Duration kKillGrace = absl::Seconds(1);
// Poll tick when pidfd_open is unavailable (kernels before 5.3).
constexpr int kFallbackTickMs = 10;

// Deadlines here are durations since the clock's epoch.

// The child's 0/1/2 are set up with dup2 in order; if one of our own fds were
// 0, 1 or 2 (a daemon that closed its stdio), an earlier dup2 would clobber a
// later source. Moving everything to >= 3 first rules that out.
bool MoveAboveStdio(UniqueFd& fd) {
  if (fd.get() > 2) return true;
  int moved = fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved < 0) return false;
  fd.reset(moved);
  return true;
}

// Appends to a buffer that keeps only its last kMaxScriptOutput bytes. Erasing
// happens at twice the cap so the cost stays linear in the output size.
void AppendCapped(std::string& buf, absl::string_view data, bool& truncated) {
  buf.append(data.data(), data.size());
  if (buf.size() > 2 * kMaxScriptOutput) {
    buf.erase(0, buf.size() - kMaxScriptOutput);
    truncated = true;
  }
}

void TrimCapped(std::string& buf, bool& truncated) {
  if (buf.size() > kMaxScriptOutput) {
    buf.erase(0, buf.size() - kMaxScriptOutput);
    truncated = true;
  }
}

class OutputReader {
 public:
  OutputReader(UniqueFd out, UniqueFd err, ScriptResult& result)
      : out_(std::move(out)), err_(std::move(err)), result_(result) {}

  // Reads whatever is available now from both pipes (they are non-blocking);
  // closes a pipe at EOF.
  void DrainAvailable() {
    Drain(out_, /*is_stdout=*/true);
    Drain(err_, /*is_stdout=*/false);
  }

  // Waits up to `timeout_ms` (-1: forever) for output or for `pidfd` to
  // become readable (the child exited), then reads what arrived.
  void Wait(int pidfd, int timeout_ms) {
    pollfd fds[3];
    int n = 0;
    if (out_.valid()) fds[n++] = {out_.get(), POLLIN, 0};
    if (err_.valid()) fds[n++] = {err_.get(), POLLIN, 0};
    if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    if (pidfd < 0 && (timeout_ms < 0 || timeout_ms > kFallbackTickMs)) {
      timeout_ms = kFallbackTickMs;
    }
    int rc = poll(fds, n, timeout_ms);
    if (rc > 0) DrainAvailable();
    // rc < 0 is EINTR (no other error is possible with valid fds): the
    // caller's loop re-checks the child and the deadline.
  }

  void Finish() {
    TrimCapped(result_.output, result_.output_truncated);
    TrimCapped(result_.stdout_text, result_.output_truncated);
  }

 private:
  void Drain(UniqueFd& fd, bool is_stdout) {
    char buf[16384];
    while (fd.valid()) {
      ssize_t n = read(fd.get(), buf, sizeof(buf));
      if (n > 0) {
        absl::string_view data(buf, static_cast<size_t>(n));
        AppendCapped(result_.output, data, result_.output_truncated);
        if (is_stdout) AppendCapped(result_.stdout_text, data, result_.output_truncated);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      fd.reset();  // EOF, or an error that makes the pipe useless
    }
  }

  UniqueFd out_;
  UniqueFd err_;
  ScriptResult& result_;
};

// True once the child has terminated. WNOWAIT leaves it a zombie: while it is
// unreaped its pid, and so its process group id, cannot be reused, which
// keeps kill(-pgid) aimed at the right group.
bool ChildExited(pid_t pid) {
  siginfo_t info;
  info.si_pid = 0;
  while (true) {
    int rc = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
    if (rc == 0) return info.si_pid == pid;
    if (errno == EINTR) continue;
    return true;  // ECHILD: someone else reaped it; nothing left to wait for
  }
}

// The scripts RunScript is running: ReapOrphans() leaves them alone. The
// lock is held across posix_spawn and the insertion, so a script that exits
// at once is never mistaken for an orphan.
ABSL_CONST_INIT absl::Mutex g_scripts_mu(absl::kConstInit);
std::set<pid_t>& RunningScripts() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_scripts_mu) {
  static std::set<pid_t> scripts;
  return scripts;
}

int PollTimeoutMs(absl::Duration remaining) {
  if (remaining == absl::InfiniteDuration()) return -1;
  if (remaining <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(remaining, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

// The environment for the child: ours, minus names that `extra` sets, plus
// `extra` (where a later entry for a name replaces an earlier one).
std::vector<std::string> BuildEnv(const std::vector<std::string>& extra) {
  auto name_of = [](absl::string_view entry) {
    size_t eq = entry.find('=');
    return eq == absl::string_view::npos ? entry : entry.substr(0, eq + 1);
  };
  std::vector<std::string> added;
  std::vector<absl::string_view> names;
  for (auto it = extra.rbegin(); it != extra.rend(); ++it) {
    absl::string_view name = name_of(*it);
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    names.push_back(name);
    added.push_back(*it);
  }
  std::vector<std::string> env;
  for (char** p = environ; p != nullptr && *p != nullptr; ++p) {
    absl::string_view name = name_of(*p);
    if (std::find(names.begin(), names.end(), name) == names.end()) env.emplace_back(*p);
  }
  env.insert(env.end(), added.rbegin(), added.rend());
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

ScriptResult RunScript(const ScriptCall& call) {
  ScriptResult result;
  if (call.argv.empty() || call.argv[0].empty()) {
    result.error = "cannot run: empty command";
    return result;
  }
  const std::string& program = call.argv[0];
  auto fail = [&](absl::string_view what, int err) {
    result.error = absl::StrCat("cannot run ", program, ": ", what, ErrnoText(err));
    return result;
  };

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return fail("pipe: ", errno);
  UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return fail("pipe: ", errno);
  UniqueFd err_r(err_pipe[0]), err_w(err_pipe[1]);
  UniqueFd devnull(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull.valid()) return fail("/dev/null: ", errno);
  if (!MoveAboveStdio(out_w) || !MoveAboveStdio(err_w) || !MoveAboveStdio(devnull)) {
    return fail("dup: ", errno);
  }
  if (fcntl(out_r.get(), F_SETFL, O_NONBLOCK) != 0 ||
      fcntl(err_r.get(), F_SETFL, O_NONBLOCK) != 0) {
    return fail("fcntl: ", errno);
  }

  // Its own process group, so a timeout can kill the script and everything
  // it forked.
  SpawnOptions spawn;
  spawn.own_process_group = true;
  spawn.stdin_fd = devnull.get();
  spawn.stdout_fd = out_w.get();
  spawn.stderr_fd = err_w.get();
  spawn.close_other_fds = true;
  std::vector<std::string> argv_strings = call.argv;
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<std::string> env_strings = BuildEnv(call.env);
  std::vector<char*> envp = CStrings(env_strings);

  // A bare name is looked up in our PATH.
  const MonoTime start = MonotonicNow();
  pid_t pid = -1;
  {
    absl::MutexLock lock(&g_scripts_mu);
    if (int rc = SpawnProcess(program.c_str(), argv.data(), envp.data(), spawn, &pid); rc != 0) {
      return fail("", rc);
    }
    RunningScripts().insert(pid);
  }
  result.started = true;
  out_w.reset();
  err_w.reset();
  devnull.reset();

  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));  // -1 before Linux 5.3
  OutputReader reader(std::move(out_r), std::move(err_r), result);
  const MonoTime deadline = start + call.timeout;

  while (!ChildExited(pid)) {
    absl::Duration remaining = deadline - MonotonicNow();
    if (remaining <= absl::ZeroDuration()) {
      result.timed_out = true;
      break;
    }
    reader.Wait(pidfd.get(), PollTimeoutMs(remaining));
  }

  if (result.timed_out) {
    kill(-pid, SIGTERM);
    const MonoTime kill_at = MonotonicNow() + kKillGrace;
    while (!ChildExited(pid)) {
      absl::Duration remaining = kill_at - MonotonicNow();
      if (remaining <= absl::ZeroDuration()) break;
      reader.Wait(pidfd.get(), PollTimeoutMs(remaining));
    }
    // The leader is still unreaped here, so -pid still names its group; this
    // also catches helpers that outlived (or ignored) the SIGTERM.
    kill(-pid, SIGKILL);
  }
  // Output written before the exit is in the pipes now; anything later comes
  // from background children and is not waited for.
  reader.DrainAvailable();
  reader.Finish();

  int status = 0;
  pid_t reaped;
  do {
    reaped = waitpid(pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  {
    absl::MutexLock lock(&g_scripts_mu);
    RunningScripts().erase(pid);
  }
  result.elapsed = MonotonicNow() - start;
  if (reaped == pid) {
    if (WIFEXITED(status)) {
      result.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      result.signal = WTERMSIG(status);
    }
  }
  return result;
}

int ReapOrphans() {
  // Our children, from every thread's list (an orphan is adopted by any
  // thread of the subreaper), zombies included.
  std::vector<pid_t> children;
  if (DIR* tasks = opendir("/proc/self/task")) {
    while (const dirent* t = readdir(tasks)) {
      if (t->d_name[0] == '.') continue;
      std::ifstream in(absl::StrCat("/proc/self/task/", t->d_name, "/children"));
      for (pid_t p; in >> p;) children.push_back(p);
    }
    closedir(tasks);
  }
  int reaped = 0;
  absl::MutexLock lock(&g_scripts_mu);
  for (pid_t p : children) {
    if (RunningScripts().contains(p)) continue;
    int status = 0;
    if (waitpid(p, &status, WNOHANG) == p) ++reaped;
  }
  return reaped;
}

}  // namespace tachy
