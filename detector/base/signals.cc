#include "detector/base/signals.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

#include "absl/status/status.h"

namespace tachy {

sigset_t DaemonSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGCHLD);
  return mask;
}

void BlockDaemonSignals() {
  const sigset_t mask = DaemonSignals();
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

absl::StatusOr<UniqueFd> OpenDaemonSignalFd() {
  BlockDaemonSignals();
  const sigset_t mask = DaemonSignals();
  UniqueFd fd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "signalfd");
  return fd;
}

int ReadPendingSignal(int fd) {
  signalfd_siginfo si;
  for (;;) {
    const ssize_t n = read(fd, &si, sizeof(si));
    if (n == static_cast<ssize_t>(sizeof(si))) return static_cast<int>(si.ssi_signo);
    if (n < 0 && errno == EINTR) continue;
    return 0;
  }
}

}  // namespace tachy
