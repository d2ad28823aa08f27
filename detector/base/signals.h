// signals.h: the signals tachy's daemons take through a signalfd.
#ifndef TACHY_DETECTOR_BASE_SIGNALS_H_
#define TACHY_DETECTOR_BASE_SIGNALS_H_

#include <signal.h>

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

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_SIGNALS_H_
