// supervisor_test.cc: the action runner's restart policy (RestartDelay) and
// the Supervisor applying it to a child that dies at once.
#include "detector/tachyd/supervisor.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/time/time.h"
#include "detector/base/mono_time.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

TEST(RestartDelayTest, DoublesWhileTheChildDiesYoungUpToThirtySeconds) {
  absl::Duration d = RestartDelay(absl::Milliseconds(5), absl::ZeroDuration());
  EXPECT_EQ(d, absl::Seconds(1));
  std::vector<absl::Duration> seen;
  for (int i = 0; i < 7; ++i) {
    d = RestartDelay(absl::Milliseconds(5), d);
    seen.push_back(d);
  }
  EXPECT_EQ(seen, (std::vector<absl::Duration>{absl::Seconds(2), absl::Seconds(4),
                                               absl::Seconds(8), absl::Seconds(16),
                                               absl::Seconds(30), absl::Seconds(30),
                                               absl::Seconds(30)}));
}

TEST(RestartDelayTest, AChildThatLivedAMinuteIsRestartedAfterOneSecond) {
  EXPECT_EQ(RestartDelay(absl::Minutes(1), absl::Seconds(30)), absl::Seconds(1));
  EXPECT_EQ(RestartDelay(absl::Seconds(59), absl::Seconds(4)), absl::Seconds(8));
}

// Hardening row 15: a runner that exits at once was restarted every second
// forever.
TEST(SupervisorTest, AChildThatExitsAtOnceIsRestartedLessAndLessOften) {
  Supervisor s("false", {"/bin/false"});
  ASSERT_TRUE(s.Start().ok());
  MonoTime now = MonotonicNow();
  std::vector<absl::Duration> delays;
  for (int round = 0; round < 3; ++round) {
    // Bounded wait for the child's exit (it exits at once).
    for (int i = 0; i < 500 && s.restart_delay() == absl::ZeroDuration(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      now = MonotonicNow();
      s.Reap(now);
    }
    delays.push_back(s.restart_delay());
    // Not yet: the restart waits for its delay.
    s.Tick(now + s.restart_delay() - absl::Milliseconds(1));
    EXPECT_EQ(s.pid(), -1);
    s.Tick(now + s.restart_delay());
    EXPECT_GT(s.pid(), 0);
  }
  EXPECT_EQ(delays, (std::vector<absl::Duration>{absl::Seconds(1), absl::Seconds(2),
                                                 absl::Seconds(4)}));
  s.Stop(absl::Seconds(1));
}

}  // namespace
}  // namespace tachy
