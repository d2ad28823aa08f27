// watchdog.h: when tachyd may tell systemd that it is alive (WATCHDOG=1).
//
// systemd restarts a service whose watchdog is not fed within WatchdogSec.
// The control thread sends the messages, but what must be alive is the
// detector thread: a control thread that keeps feeding while the detector
// is stuck would keep a node that no longer heartbeats in service. So the
// feeder watches the detector's own pulse (the count of heartbeats it has
// sent) and withholds the feed once that count stops moving for longer
// than the detector's own long-stall rule allows.
#ifndef TACHY_DETECTOR_TACHYD_WATCHDOG_H_
#define TACHY_DETECTOR_TACHYD_WATCHDOG_H_

#include <cstdint>

#include "absl/time/time.h"
#include "detector/base/mono_time.h"

namespace tachy {

class WatchdogFeeder {
 public:
  enum class Verdict {
    kNotDue,    // nothing to send yet
    kFeed,      // send WATCHDOG=1 now
    kWithhold,  // a feed is due, but the detector thread is stuck: send nothing
  };

  // `timeout` is systemd's WatchdogSec (WATCHDOG_USEC); the feeder asks for
  // a feed every half of it, as sd_watchdog_enabled(3) advises. The detector
  // counts as healthy while its heartbeat count moved within
  // `keepalive + deadtime / 2` (its long-stall rule) plus `sampling`, the
  // longest the caller may go between two Observe() calls.
  WatchdogFeeder(absl::Duration timeout, absl::Duration keepalive, absl::Duration deadtime,
                 absl::Duration sampling, MonoTime now);

  // Observe()
  //
  // The detector's heartbeat count at `now`; says what to send.
  Verdict Observe(MonoTime now, uint64_t frames_sent);

  // When the next feed is due: the caller wakes up by then.
  MonoTime next_due() const { return next_due_; }
  absl::Duration interval() const { return interval_; }
  absl::Duration stall_limit() const { return stall_limit_; }
  // How long the heartbeat count has not moved, as of the last Observe().
  absl::Duration silent_for() const { return silent_for_; }

 private:
  absl::Duration interval_;
  absl::Duration stall_limit_;
  MonoTime next_due_;
  MonoTime last_progress_;
  uint64_t last_frames_ = 0;
  absl::Duration silent_for_;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_WATCHDOG_H_
