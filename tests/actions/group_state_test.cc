// group_state_test.cc: one group's state machine with a manual clock: what
// is held, when a failed take may be retried, and what a runner knows about
// the scripts after each step.
#include "actions/group_state.h"

#include "absl/time/time.h"
#include "detector/base/mono_time.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

constexpr MonoTime kT0 = MonoTime::FromNanos(1'000'000'000);
constexpr absl::Duration kRetry = absl::Seconds(30);

TEST(GroupMachineTest, StartsStoppedNotHeldAndTakeable) {
  GroupMachine m;
  EXPECT_EQ(m.state(), GroupState::kStopped);
  EXPECT_FALSE(m.held());
  EXPECT_FALSE(m.busy());
  EXPECT_TRUE(m.MayTake(kT0));
  EXPECT_FALSE(m.MayRelease());
  EXPECT_FALSE(m.known_stopped());  // nobody asked yet
  EXPECT_STREQ(GroupStateName(m.state()), "stopped");
}

TEST(GroupMachineTest, ProbeFindsItRunningOrKnowsItStopped) {
  GroupMachine running;
  running.Probed(/*running=*/true, /*unsure=*/false);
  EXPECT_EQ(running.state(), GroupState::kRunning);
  EXPECT_TRUE(running.held());
  EXPECT_FALSE(running.known_stopped());
  EXPECT_EQ(running.last_action(), "found running at start-up");

  GroupMachine stopped;
  stopped.Probed(false, false);
  EXPECT_TRUE(stopped.known_stopped());
  GroupMachine unsure;
  unsure.Probed(false, /*unsure=*/true);  // a status query failed
  EXPECT_FALSE(unsure.known_stopped());
}

TEST(GroupMachineTest, TakeIsHeldAndBusyUntilDone) {
  GroupMachine m;
  m.BeginTake();
  EXPECT_EQ(m.state(), GroupState::kStarting);
  EXPECT_TRUE(m.held());  // claimed before the slow part
  EXPECT_TRUE(m.busy());
  EXPECT_FALSE(m.MayTake(kT0));
  m.TakeDone(true, false, "peer a dead", absl::Milliseconds(6), kT0, kRetry);
  EXPECT_EQ(m.state(), GroupState::kRunning);
  EXPECT_FALSE(m.busy());
  EXPECT_TRUE(m.MayRelease());
  EXPECT_EQ(m.last_action(), "took: peer a dead");
  EXPECT_EQ(m.last_duration(), absl::Milliseconds(6));
}

TEST(GroupMachineTest, FailedTakeIsRetriedOnlyAfterTheDelay) {
  GroupMachine m;
  m.Probed(false, false);
  m.BeginTake();
  m.TakeDone(false, /*held_anyway=*/false, "httpd start failed", absl::Milliseconds(3), kT0,
             kRetry);
  EXPECT_EQ(m.state(), GroupState::kFailed);
  EXPECT_FALSE(m.held());  // rolled back cleanly: a peer may take it
  EXPECT_TRUE(m.known_stopped());
  EXPECT_FALSE(m.MayTake(kT0 + kRetry - absl::Nanoseconds(1)));
  EXPECT_TRUE(m.MayTake(kT0 + kRetry));
  EXPECT_EQ(m.last_action(), "start failed: httpd start failed");
}

TEST(GroupMachineTest, ARollbackThatLeftSomethingRunningStaysHeld) {
  GroupMachine m;
  m.Probed(false, false);
  m.BeginTake();
  m.TakeDone(false, /*held_anyway=*/true, "x", absl::Milliseconds(3), kT0, kRetry);
  EXPECT_TRUE(m.held());
  EXPECT_FALSE(m.known_stopped());
  EXPECT_TRUE(m.MayRelease());
}

TEST(GroupMachineTest, ReleaseKnowsEverythingStoppedOrKeepsItHeldOnFailure) {
  GroupMachine m;
  m.Probed(true, false);
  m.BeginRelease();
  EXPECT_EQ(m.state(), GroupState::kStopping);
  EXPECT_TRUE(m.held());
  EXPECT_TRUE(m.busy());
  m.ReleaseDone(true, "b asked for it", absl::Milliseconds(40));
  EXPECT_EQ(m.state(), GroupState::kStopped);
  EXPECT_FALSE(m.held());
  EXPECT_TRUE(m.known_stopped());  // the next take skips `status`

  m.BeginTake();
  m.TakeDone(true, false, "y", absl::Milliseconds(1), kT0, kRetry);
  m.BeginRelease();
  m.ReleaseDone(false, "httpd will not stop", absl::Seconds(10));
  EXPECT_EQ(m.state(), GroupState::kFailed);
  EXPECT_TRUE(m.held());  // it may still run: no second copy anywhere
  EXPECT_FALSE(m.known_stopped());
  EXPECT_EQ(m.last_action(),
            "stop failed (fix by hand, then restart tachy-actions): httpd will not stop");
}

// Hardening row 15: a stop that kept failing was retried forever, though
// the log said to fix it by hand and restart.
TEST(GroupMachineTest, AFailedReleaseIsNeitherRetriedNorRetaken) {
  GroupMachine m;
  m.Probed(true, false);
  m.BeginRelease();
  m.ReleaseDone(false, "httpd will not stop", absl::Seconds(10));
  EXPECT_TRUE(m.stuck());
  EXPECT_FALSE(m.MayRelease());
  EXPECT_FALSE(m.MayTake(kT0 + absl::Hours(1)));
  EXPECT_TRUE(m.held());
}

TEST(GroupMachineTest, ARestartStaysHeldAndBusyAndEndsRunningOrFailedHeld) {
  GroupMachine m;
  m.BeginTake();
  m.TakeDone(true, false, "preferred node", absl::Milliseconds(5), kT0, kRetry);
  m.BeginRestart("httpd: main process 42 exited");
  EXPECT_EQ(m.state(), GroupState::kRestarting);
  EXPECT_STREQ(GroupStateName(m.state()), "restarting");
  EXPECT_TRUE(m.held());
  EXPECT_TRUE(m.busy());
  EXPECT_FALSE(m.MayRelease());
  EXPECT_EQ(m.last_action(), "restart: httpd: main process 42 exited");
  m.TakeDone(true, false, "restarted", absl::Milliseconds(30), kT0, kRetry);
  EXPECT_EQ(m.state(), GroupState::kRunning);

  // A failed restart leaves what preceded the failed resource running: held,
  // and releasable at once.
  m.BeginRestart("httpd: status says not running");
  m.TakeDone(false, /*held_anyway=*/true, "httpd start failed", absl::Milliseconds(30), kT0,
             kRetry);
  EXPECT_EQ(m.state(), GroupState::kFailed);
  EXPECT_TRUE(m.held());
  EXPECT_TRUE(m.MayRelease());
}

TEST(GroupMachineTest, ACleanupIsNeverHeldUnlessItsStopFails) {
  GroupMachine m;
  m.Probed(/*running=*/false, /*unsure=*/true);  // half-started: not claimed
  m.BeginCleanup();
  EXPECT_TRUE(m.cleaning());
  EXPECT_TRUE(m.busy());
  EXPECT_FALSE(m.held());
  m.ReleaseDone(true, "cleaned up", absl::Milliseconds(20));
  EXPECT_FALSE(m.cleaning());
  EXPECT_EQ(m.state(), GroupState::kStopped);
  EXPECT_TRUE(m.known_stopped());

  GroupMachine stubborn;
  stubborn.BeginCleanup();
  stubborn.ReleaseDone(false, "httpd will not stop", absl::Seconds(10));
  EXPECT_TRUE(stubborn.held());  // it may still run: no second copy elsewhere
  EXPECT_TRUE(stubborn.stuck());
}

TEST(GroupMachineTest, ClearRetryLetsAFailedTakeRunAtOnce) {
  GroupMachine m;
  m.BeginTake();
  m.TakeDone(false, false, "httpd start failed", absl::Milliseconds(5), kT0, kRetry);
  EXPECT_FALSE(m.MayTake(kT0 + absl::Seconds(1)));
  m.ClearRetry();
  EXPECT_TRUE(m.MayTake(kT0 + absl::Seconds(1)));
}

}  // namespace
}  // namespace tachy
