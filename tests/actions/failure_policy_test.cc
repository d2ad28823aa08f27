// failure_policy_test.cc: restart here or hand over, with a manual clock.
#include "actions/failure_policy.h"

#include "absl/time/time.h"
#include "detector/base/mono_time.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

constexpr MonoTime kT0 = MonoTime::FromNanos(1'000'000'000);

TEST(FailurePolicyTest, DefaultRestartsOnceThenHandsOverAndDeclines) {
  FailurePolicy p;
  EXPECT_EQ(p.OnFailure(kT0), FailureReaction::kRestartHere);
  EXPECT_EQ(p.RecentRestarts(kT0), 1);
  EXPECT_FALSE(p.Declining(kT0));
  const MonoTime second = kT0 + absl::Seconds(10);
  EXPECT_EQ(p.OnFailure(second), FailureReaction::kHandOver);
  EXPECT_TRUE(p.Declining(second));
  EXPECT_TRUE(p.Declining(second + absl::Minutes(5) - absl::Nanoseconds(1)));
  EXPECT_FALSE(p.Declining(second + absl::Minutes(5)));
}

TEST(FailurePolicyTest, AFailureOutsideTheWindowRestartsAgain) {
  FailurePolicy p;
  EXPECT_EQ(p.OnFailure(kT0), FailureReaction::kRestartHere);
  EXPECT_EQ(p.RecentRestarts(kT0 + absl::Minutes(5)), 0);
  EXPECT_EQ(p.OnFailure(kT0 + absl::Minutes(5)), FailureReaction::kRestartHere);
  EXPECT_EQ(p.OnFailure(kT0 + absl::Minutes(6)), FailureReaction::kHandOver);
}

TEST(FailurePolicyTest, ZeroRestartsHandsOverAtOnceAndMoreRestartsCount) {
  FailurePolicy none(FailurePolicyOptions{.restarts = 0});
  EXPECT_EQ(none.OnFailure(kT0), FailureReaction::kHandOver);
  FailurePolicy three(FailurePolicyOptions{.restarts = 3, .window = absl::Seconds(60)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(three.OnFailure(kT0 + absl::Seconds(i)), FailureReaction::kRestartHere) << i;
  }
  EXPECT_EQ(three.OnFailure(kT0 + absl::Seconds(3)), FailureReaction::kHandOver);
}

TEST(FailurePolicyTest, ClearForgetsFailuresAndTheDecline) {
  FailurePolicy p;
  (void)p.OnFailure(kT0);
  (void)p.OnFailure(kT0 + absl::Seconds(1));
  ASSERT_TRUE(p.Declining(kT0 + absl::Seconds(2)));
  p.Clear();
  EXPECT_FALSE(p.Declining(kT0 + absl::Seconds(2)));
  EXPECT_EQ(p.OnFailure(kT0 + absl::Seconds(3)), FailureReaction::kRestartHere);
}

TEST(FailurePolicyTest, AFailedRestartHandsOverAndStartsAfreshAfterTheDecline) {
  FailurePolicy p;
  EXPECT_EQ(p.OnFailure(kT0), FailureReaction::kRestartHere);
  p.RestartFailed(kT0 + absl::Seconds(1));
  EXPECT_TRUE(p.Declining(kT0 + absl::Seconds(1)));
  // Back here after the decline (say, the peer failed too): one restart again.
  const MonoTime later = kT0 + absl::Minutes(7);
  EXPECT_FALSE(p.Declining(later));
  EXPECT_EQ(p.OnFailure(later), FailureReaction::kRestartHere);
}

}  // namespace
}  // namespace tachy
