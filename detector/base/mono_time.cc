#include "detector/base/mono_time.h"

#include <time.h>

#include <algorithm>

namespace tachy {
namespace {

int64_t ReadClock(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

MonoTime MonotonicNow() { return MonoTime::FromNanos(ReadClock(CLOCK_MONOTONIC)); }

int64_t RealtimeNowNanos() { return ReadClock(CLOCK_REALTIME); }


MonoTime RealtimeToMonotonic(int64_t realtime_ns, MonoTime mono_now,
                             int64_t realtime_now_ns) {
  // The offset is resampled at every drain, so an NTP step only misplaces
  // frames received across the step itself; the clamp keeps those sane.
  const int64_t age = realtime_now_ns - realtime_ns;
  return MonoTime::FromNanos(mono_now.nanos() - std::max<int64_t>(age, 0));
}

}  // namespace tachy
