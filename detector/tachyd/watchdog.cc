#include "detector/tachyd/watchdog.h"

namespace tachy {

WatchdogFeeder::WatchdogFeeder(absl::Duration timeout, absl::Duration keepalive,
                               absl::Duration deadtime, absl::Duration sampling, MonoTime now)
    : interval_(timeout / 2),
      stall_limit_(keepalive + deadtime / 2 + sampling),
      next_due_(now),
      last_progress_(now) {}

WatchdogFeeder::Verdict WatchdogFeeder::Observe(MonoTime now, uint64_t frames_sent) {
  if (frames_sent != last_frames_) {
    last_frames_ = frames_sent;
    last_progress_ = now;
  }
  silent_for_ = now - last_progress_;
  if (now < next_due_) return Verdict::kNotDue;
  // Due: the next look comes one interval later either way, so a detector
  // that recovers is fed again within an interval of its recovery.
  next_due_ = now + interval_;
  return silent_for_ <= stall_limit_ ? Verdict::kFeed : Verdict::kWithhold;
}

}  // namespace tachy
