// takeover_check_test.cc: the second path before a take, on a manual
// clock: clear after the timeout, refused on an answer (and asked again),
// the path proven by an answer over a heartbeat link after a death.
#include "actions/takeover_check.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using Result = TakeoverCheck::Result;

MonoTime At(double ms) {
  return MonoTime::FromNanos(1'000'000'000 + static_cast<int64_t>(ms * 1e6));
}
bool OnlyHb1(const std::string& iface) { return iface == "hb1"; }
constexpr absl::Duration kTimeout = absl::Milliseconds(1);
constexpr absl::Duration kRetry = absl::Milliseconds(10);

TEST(TakeoverCheckTest, NobodyAnswersWithinTheTimeoutIsClear) {
  TakeoverCheck c;
  EXPECT_TRUE(c.MayStart(At(0)));
  c.Start(At(0), kTimeout);
  EXPECT_TRUE(c.running());
  EXPECT_FALSE(c.MayStart(At(0.5)));
  EXPECT_EQ(c.Poll(At(0.5), true, OnlyHb1, kRetry), Result::kWaiting);
  EXPECT_EQ(c.deadline(), At(1));
  EXPECT_EQ(c.Poll(At(1), true, OnlyHb1, kRetry), Result::kClear);
  EXPECT_FALSE(c.running());
  EXPECT_FALSE(c.refused());
  // Once: polling an ended check says nothing new.
  EXPECT_EQ(c.Poll(At(2), true, OnlyHb1, kRetry), Result::kWaiting);
}

TEST(TakeoverCheckTest, AnAnswerOnTheLanRefusesAndIsAskedAgainAfterTheRetry) {
  TakeoverCheck c;
  c.Start(At(0), kTimeout);
  c.OnAnswer("02:00:00:00:00:0a", "hb0");
  c.OnAnswer("02:00:00:00:00:0b", "hb0");  // only the first counts
  EXPECT_EQ(c.Poll(At(0.2), true, OnlyHb1, kRetry), Result::kRefused);
  EXPECT_TRUE(c.refused());
  EXPECT_EQ(c.mac(), "02:00:00:00:00:0a");
  EXPECT_EQ(c.iface(), "hb0");
  EXPECT_TRUE(c.LogRefusal(At(0.2)));
  EXPECT_FALSE(c.MayStart(At(5)));
  EXPECT_TRUE(c.MayStart(At(10.2)));
  // Still answered: refused again, said again only after 10 s.
  c.Start(At(10.2), kTimeout);
  c.OnAnswer("02:00:00:00:00:0a", "hb0");
  EXPECT_EQ(c.Poll(At(10.3), true, OnlyHb1, kRetry), Result::kRefused);
  EXPECT_FALSE(c.LogRefusal(At(10.3)));
  EXPECT_TRUE(c.LogRefusal(At(10'001)));
  // The address is gone: clear, and the refusal is over.
  c.Start(At(20'000), kTimeout);
  EXPECT_EQ(c.Poll(At(20'001), true, OnlyHb1, kRetry), Result::kClear);
  EXPECT_FALSE(c.refused());
  EXPECT_TRUE(c.LogRefusal(At(20'002)));  // a new series
}

TEST(TakeoverCheckTest, AnAnswerOverAHeartbeatLinkAfterADeathProvesThePath) {
  TakeoverCheck c;
  c.Start(At(0), kTimeout);
  c.OnAnswer("02:00:00:00:00:0a", "hb1");
  EXPECT_EQ(c.Poll(At(0.1), true, OnlyHb1, kRetry), Result::kPathProven);
  EXPECT_FALSE(c.running());
  // Not after a death (a start, a rejoin): the same answer refuses.
  c.Start(At(1), kTimeout);
  c.OnAnswer("02:00:00:00:00:0a", "hb1");
  EXPECT_EQ(c.Poll(At(1.1), false, OnlyHb1, kRetry), Result::kRefused);
}

TEST(TakeoverCheckTest, APassIsGoodForOneTakeSoon) {
  TakeoverCheck c;
  EXPECT_FALSE(c.Passed(At(0), absl::Milliseconds(20)));
  c.Start(At(0), kTimeout);
  EXPECT_FALSE(c.Passed(At(0.5), absl::Milliseconds(20)));  // still running
  EXPECT_EQ(c.Poll(At(1), true, OnlyHb1, kRetry), Result::kClear);
  EXPECT_TRUE(c.Passed(At(1), absl::Milliseconds(20)));
  // The take waited (a retry delay): too old to prove anything now.
  EXPECT_FALSE(c.Passed(At(30), absl::Milliseconds(20)));
  c.Consume();
  EXPECT_FALSE(c.Passed(At(1.1), absl::Milliseconds(20)));
  // A path proven passes too; a refusal does not.
  c.Start(At(40), kTimeout);
  c.OnAnswer("02:00:00:00:00:0a", "hb1");
  EXPECT_EQ(c.Poll(At(40.1), true, OnlyHb1, kRetry), Result::kPathProven);
  EXPECT_TRUE(c.Passed(At(40.2), absl::Milliseconds(20)));
  c.Start(At(50), kTimeout);
  c.OnAnswer("02:00:00:00:00:0a", "hb0");
  EXPECT_EQ(c.Poll(At(50.1), true, OnlyHb1, kRetry), Result::kRefused);
  EXPECT_FALSE(c.Passed(At(50.2), absl::Milliseconds(20)));
}

TEST(TakeoverCheckTest, AnswersOutsideACheckAndResetAreForgotten) {
  TakeoverCheck c;
  c.OnAnswer("02:00:00:00:00:0a", "hb0");  // no check running
  c.Start(At(0), kTimeout);
  EXPECT_EQ(c.Poll(At(1), true, OnlyHb1, kRetry), Result::kClear);
  c.Start(At(2), kTimeout);
  c.OnAnswer("02:00:00:00:00:0a", "hb0");
  EXPECT_EQ(c.Poll(At(2.1), true, OnlyHb1, kRetry), Result::kRefused);
  c.Reset();
  EXPECT_FALSE(c.refused());
  EXPECT_TRUE(c.MayStart(At(2.2)));
}

}  // namespace
}  // namespace tachy
