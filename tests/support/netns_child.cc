#include "tests/support/netns_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "detector/base/unique_fd.h"

namespace tachy {
namespace {

void WriteAll(int fd, absl::string_view text) {
  while (!text.empty()) {
    const ssize_t n = write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<size_t>(n));
  }
}

[[noreturn]] void ChildMain(const std::function<void(NetnsChild&)>& body, int report_fd) {
  if (unshare(CLONE_NEWNET) != 0) {
    WriteAll(report_fd, absl::StrCat("unshare(CLONE_NEWNET): ", strerror(errno), "\n"));
    _exit(2);
  }
  NetnsChild child;
  body(child);
  WriteAll(report_fd, child.failures());
  // _exit: no atexit handlers, no second flush of the parent's stdio buffers.
  _exit(child.failures().empty() ? 0 : 1);
}

}  // namespace

void NetnsChild::Fail(absl::string_view what) { absl::StrAppend(&failures_, what, "\n"); }

bool NetnsChild::Expect(bool ok, absl::string_view what) {
  if (!ok) Fail(what);
  return ok;
}

bool NetnsChild::Sh(const std::string& command) {
  const int rc = system(command.c_str());
  if (rc == 0) return true;
  Fail(absl::StrCat("`", command, "` failed (wait status ", rc, ")"));
  return false;
}

std::string NetnsChild::ShOutput(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    Fail(absl::StrCat("popen `", command, "`: ", strerror(errno)));
    return out;
  }
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (const int rc = pclose(pipe); rc != 0) {
    Fail(absl::StrCat("`", command, "` failed (wait status ", rc, ")"));
  }
  return out;
}

std::string RunInPrivateNetns(const std::function<void(NetnsChild&)>& body,
                              absl::Duration timeout) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return absl::StrCat("pipe2: ", strerror(errno));
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::StrCat("fork: ", strerror(errno));
  if (pid == 0) {
    read_end.reset();
    ChildMain(body, write_end.get());
  }
  write_end.reset();

  std::string report;
  bool timed_out = false;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd = {.fd = read_end.get(), .events = POLLIN, .revents = 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends it
    char buf[512];
    const ssize_t n = read(read_end.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child (and anything it forked) is done
    report.append(buf, static_cast<size_t>(n));
  }
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    absl::StrAppend(&report, "child timed out after ", absl::FormatDuration(timeout), "\n");
  } else if (WIFSIGNALED(status)) {
    absl::StrAppend(&report, "child killed by signal ", WTERMSIG(status), "\n");
  } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && report.empty()) {
    absl::StrAppend(&report, "child exited ", WEXITSTATUS(status), "\n");
  }
  return report;
}

void NetnsTest::SetUp() {
  if (geteuid() == 0) return;
  if (getenv("CI") != nullptr) {
    FAIL() << "needs root (unshare CLONE_NEWNET); CI runs as root and must not skip";
  }
  GTEST_SKIP() << "needs root for a private network namespace";
}

}  // namespace tachy
