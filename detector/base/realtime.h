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
// the caller may be a real-time thread.
std::string EnterRealtime(int priority);

// A thread's scheduling policy (SCHED_OTHER, SCHED_FIFO, ...) and priority.
struct ThreadScheduling {
  int policy = 0;  // SCHED_OTHER
  int priority = 0;
};

// CallerScheduling()
//
// The calling thread's policy (without the reset-on-fork flag) and priority.
ThreadScheduling CallerScheduling();

// AdoptScheduling()
//
// Gives the calling thread `scheduling`, a real-time policy with
// SCHED_RESET_ON_FORK as EnterRealtime sets it. Needed for every thread a
// real-time thread starts that is to stay real-time: the kernel applies
// reset-on-fork to every task it creates, threads included, so a new thread
// starts at SCHED_OTHER. Returns why not, empty when in force.
std::string AdoptScheduling(const ThreadScheduling& scheduling);

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_REALTIME_H_
