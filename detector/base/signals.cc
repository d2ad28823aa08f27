#include "detector/base/signals.h"

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

}  // namespace tachy
