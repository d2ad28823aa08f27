#include "detector/base/realtime.h"

#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tachy {

int DetectorPriority(int rtprio) {
  const int lo = sched_get_priority_min(SCHED_FIFO);
  const int hi = sched_get_priority_max(SCHED_FIFO);
  return rtprio > 0 ? std::clamp(rtprio, lo, hi) : (lo + hi) / 2;
}

std::string EnterRealtime(int priority) {
  sched_param param{};
  param.sched_priority = std::max(priority, sched_get_priority_min(SCHED_FIFO));
  std::string note;
  if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) {
    note = absl::StrFormat("SCHED_FIFO priority %d refused: %s", param.sched_priority,
                           strerror(errno));
  }
  if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0) {
    absl::StrAppend(&note, note.empty() ? "" : "; ", "mlockall refused: ", strerror(errno));
  }
  return note;
}

ThreadScheduling CallerScheduling() {
  ThreadScheduling s;
  sched_param param{};
  const int policy = sched_getscheduler(0);
  if (policy >= 0) s.policy = policy & ~SCHED_RESET_ON_FORK;
  if (sched_getparam(0, &param) == 0) s.priority = param.sched_priority;
  return s;
}

std::string AdoptScheduling(const ThreadScheduling& scheduling) {
  sched_param param{};
  param.sched_priority = scheduling.priority;
  const bool realtime = scheduling.policy == SCHED_FIFO || scheduling.policy == SCHED_RR;
  const int policy = realtime ? scheduling.policy | SCHED_RESET_ON_FORK : scheduling.policy;
  if (sched_setscheduler(0, policy, &param) != 0) {
    return absl::StrFormat("scheduling policy %d priority %d refused: %s", scheduling.policy,
                           scheduling.priority, strerror(errno));
  }
  return "";
}

}  // namespace tachy
