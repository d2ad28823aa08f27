// realtime.h: Heartbeat's `realtime on` for tachy's threads.
#ifndef TACHY_DETECTOR_BASE_REALTIME_H_
#define TACHY_DETECTOR_BASE_REALTIME_H_

#include <string>

namespace tachy {

// DetectorPriority()
//
// The SCHED_FIFO priority of tachyd's detector thread: ha.cf `rtprio` if
// set (clamped), else the middle of the range. The action runner's loop runs
// one below it.
int DetectorPriority(int rtprio);

// EnterRealtime()
//
// SCHED_FIFO at `priority` for the calling thread, reset on fork (children,
// scripts among them, run at normal priority), and every page locked as it
// is touched (MCL_ONFAULT: not every page of every library up front, which
// would triple the RSS). Returns why not, empty when in force. Logs nothing:
// the caller may be a real-time thread. Reset-on-fork applies to every task
// the kernel creates, threads included: threads this one starts run at
// normal priority unless they call EnterRealtime themselves.
std::string EnterRealtime(int priority);

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_REALTIME_H_
