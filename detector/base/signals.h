// signals.h: the signals tachy's daemons take through a signalfd.
#ifndef TACHY_DETECTOR_BASE_SIGNALS_H_
#define TACHY_DETECTOR_BASE_SIGNALS_H_

#include <signal.h>

#include "absl/status/statusor.h"
#include "detector/base/unique_fd.h"

namespace tachy {

// DaemonSignals()
//
// SIGTERM, SIGINT, SIGHUP and SIGCHLD.
sigset_t DaemonSignals();

// BlockDaemonSignals()
//
// Blocks DaemonSignals() in the calling thread (and so in every thread it
// creates afterwards) and ignores SIGPIPE. Call before the first thread.
void BlockDaemonSignals();

// OpenDaemonSignalFd()
//
// Blocks DaemonSignals() (idempotent) and returns a non-blocking,
// close-on-exec signalfd that receives them: the daemons' one way to take
// signals, in their event loop rather than in a handler.
absl::StatusOr<UniqueFd> OpenDaemonSignalFd();

// ReadPendingSignal()
//
// The next signal queued on signalfd `fd`, or 0 when none is (or the read
// fails). Drain with: for (int sig; (sig = ReadPendingSignal(fd)) != 0;).
int ReadPendingSignal(int fd);

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_SIGNALS_H_
