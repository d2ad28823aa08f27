// leave_policy_test.cc: a clean shutdown leaves only when nothing is held
// here any more, or when told twice.
#include "detector/tachyd/leave_policy.h"

#include "gtest/gtest.h"

namespace tachy {
namespace {

const MonoTime kStart = MonoTime::FromNanos(1'000'000'000);
const MonoTime kDeadline = kStart + kLeaveTimeout;

TEST(LeavePolicyTest, LeavesAtOnceWhenTheRunnerHoldsNothingOrIsGone) {
  EXPECT_EQ(DecideLeave(true, false, false, kStart, kDeadline), LeaveDecision::kLeave);
  EXPECT_EQ(DecideLeave(false, true, false, kStart, kDeadline), LeaveDecision::kLeave);
}

TEST(LeavePolicyTest, WaitsWhileTheRunnerReleases) {
  EXPECT_EQ(DecideLeave(true, true, false, kStart, kDeadline), LeaveDecision::kWait);
  EXPECT_EQ(DecideLeave(true, true, false, kDeadline, kDeadline), LeaveDecision::kWait);
}

// Hardening row 9: after 150 s tachyd sent its leave anyway, and the peer
// started the group while the resource whose stop hung may still run here.
TEST(LeavePolicyTest, AStopThatHangsPastTheDeadlineBlocksTheLeave) {
  EXPECT_EQ(DecideLeave(true, true, false, kDeadline + absl::Nanoseconds(1), kDeadline),
            LeaveDecision::kBlocked);
  EXPECT_EQ(DecideLeave(true, true, false, kDeadline + absl::Hours(1), kDeadline),
            LeaveDecision::kBlocked);
}

TEST(LeavePolicyTest, ASecondSignalLeavesWhateverIsHeld) {
  EXPECT_EQ(DecideLeave(true, true, true, kStart, kDeadline), LeaveDecision::kLeave);
  EXPECT_EQ(DecideLeave(true, true, true, kDeadline + absl::Hours(1), kDeadline),
            LeaveDecision::kLeave);
}

}  // namespace
}  // namespace tachy
