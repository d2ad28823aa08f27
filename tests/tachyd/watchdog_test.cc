#include "detector/tachyd/watchdog.h"

#include <gtest/gtest.h>

namespace tachy {
namespace {

using Verdict = WatchdogFeeder::Verdict;

MonoTime At(int64_t ms) { return MonoTime::FromNanos(ms * 1'000'000); }

// keepalive 2 ms, deadtime 20 ms, sampled every 100 ms: the detector may be
// silent 2 + 10 + 100 = 112 ms before the feed is withheld.
WatchdogFeeder Feeder() {
  return WatchdogFeeder(absl::Seconds(2), absl::Milliseconds(2), absl::Milliseconds(20),
                        absl::Milliseconds(100), At(0));
}

TEST(WatchdogFeederTest, FeedsEveryHalfTimeoutWhileHeartbeatsGoOut) {
  WatchdogFeeder f = Feeder();
  EXPECT_EQ(f.interval(), absl::Seconds(1));
  EXPECT_EQ(f.stall_limit(), absl::Milliseconds(112));
  uint64_t frames = 0;
  int feeds = 0;
  for (int64_t ms = 0; ms <= 5000; ms += 10) {
    frames += 5;
    const Verdict v = f.Observe(At(ms), frames);
    EXPECT_NE(v, Verdict::kWithhold) << ms;
    feeds += v == Verdict::kFeed;
  }
  EXPECT_EQ(feeds, 6);  // at 0, 1, 2, 3, 4 and 5 s
}

TEST(WatchdogFeederTest, WithholdsWhileTheDetectorIsStuckAndResumesAfter) {
  WatchdogFeeder f = Feeder();
  EXPECT_EQ(f.Observe(At(0), 1), Verdict::kFeed);
  // The detector's count stops at 7 from 50 ms on; the control thread
  // still runs and looks every 10 ms.
  EXPECT_EQ(f.Observe(At(50), 7), Verdict::kNotDue);
  int withheld = 0, fed = 0;
  for (int64_t ms = 60; ms <= 4000; ms += 10) {
    const Verdict v = f.Observe(At(ms), 7);
    withheld += v == Verdict::kWithhold;
    fed += v == Verdict::kFeed;
  }
  EXPECT_EQ(fed, 0);
  EXPECT_EQ(withheld, 4);  // at 1, 2, 3 and 4 s
  EXPECT_EQ(f.silent_for(), absl::Milliseconds(3950));
  // It moves again: the next due look feeds.
  EXPECT_EQ(f.Observe(At(4500), 8), Verdict::kNotDue);
  EXPECT_EQ(f.Observe(At(5000), 9), Verdict::kFeed);
}

TEST(WatchdogFeederTest, ASilenceWithinTheStallLimitStillFeeds) {
  WatchdogFeeder f = Feeder();
  EXPECT_EQ(f.Observe(At(0), 1), Verdict::kFeed);
  EXPECT_EQ(f.Observe(At(890), 2), Verdict::kNotDue);
  // 110 ms without a heartbeat (a VM stall, a late look): under 112 ms.
  EXPECT_EQ(f.Observe(At(1000), 2), Verdict::kFeed);
  EXPECT_EQ(f.Observe(At(1990), 2), Verdict::kNotDue);
  EXPECT_EQ(f.Observe(At(2000), 2), Verdict::kWithhold);
}

}  // namespace
}  // namespace tachy
