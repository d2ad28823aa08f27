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

}  // namespace tachy
