// ping_monitor_test.cc: sends on schedule, a target reached while a host
// answered within deadping, not judged before deadping, changes said once.
#include "actions/ping_monitor.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

MonoTime At(absl::Duration d) { return MonoTime::FromNanos(1'000'000'000) + d; }
absl::Duration Ms(double ms) { return absl::Microseconds(static_cast<int64_t>(ms * 1000)); }

constexpr uint32_t kRouter = (10u << 24) | 1;   // 10.0.0.1
constexpr uint32_t kG1 = (10u << 24) | 2;       // 10.0.0.2
constexpr uint32_t kG2 = (10u << 24) | 3;       // 10.0.0.3

std::vector<PingTarget> Targets() {
  return {{"10.0.0.1", {"10.0.0.1"}, 1}, {"routers", {"10.0.0.2", "10.0.0.3"}, 2}};
}

TEST(PingMonitorTest, EachHostIsSentAnEchoEveryInterval) {
  PingMonitor m(Targets(), Ms(20), Ms(2), At(Ms(0)));
  std::vector<std::pair<uint32_t, uint16_t>> sent;
  auto record = [&](uint32_t ip, uint16_t seq) { sent.emplace_back(ip, seq); };
  m.SendDue(At(Ms(1)), record);
  EXPECT_EQ(sent.size(), 3u);
  sent.clear();
  m.SendDue(At(Ms(2)), record);
  EXPECT_THAT(sent, IsEmpty());
  EXPECT_EQ(m.NextSend(), At(Ms(3)));
  m.SendDue(At(Ms(50)), record);  // after a stall: one each, not a burst
  EXPECT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].second, 2);
}

TEST(PingMonitorTest, ReachedWhileAnswersComeWithinDeadpingAGroupByAnyHost) {
  PingMonitor m(Targets(), Ms(20), Ms(2), At(Ms(0)));
  EXPECT_FALSE(m.Known(At(Ms(5))));
  EXPECT_THAT(m.Changes(At(Ms(5))), IsEmpty());  // not judged yet
  m.OnReply(kRouter, At(Ms(5)));
  m.OnReply(kG2, At(Ms(6)));
  EXPECT_EQ(m.Reached(At(Ms(6))), 2u);
  EXPECT_TRUE(m.Known(At(Ms(6))));  // every target answered
  EXPECT_THAT(m.Changes(At(Ms(6))),
              ElementsAre("ping node 10.0.0.1 reached: 2 of 2 ping targets answer",
                          "ping group routers (10.0.0.2, 10.0.0.3) reached: 2 of 2 ping targets "
                          "answer"));
  m.OnReply((10u << 24) | 99, At(Ms(7)));  // not a ping node: ignored
  m.OnReply(kG1, At(Ms(20)));
  // The router is silent from 5 ms: lost once deadping (20 ms) has passed.
  EXPECT_EQ(m.Reached(At(Ms(25))), 2u);
  EXPECT_EQ(m.Reached(At(Ms(25.5))), 1u);
  EXPECT_THAT(m.Changes(At(Ms(26))),
              ElementsAre(HasSubstr("ping node 10.0.0.1 lost: no answer for 21 ms (deadping 20 "
                                    "ms); 1 of 2 ping targets answer")));
  EXPECT_THAT(m.Changes(At(Ms(27))), IsEmpty());
  const std::vector<PingMonitor::TargetState> st = m.States(At(Ms(27)));
  EXPECT_FALSE(st[0].reached);
  EXPECT_TRUE(st[1].reached);
  EXPECT_EQ(st[1].last_reply, At(Ms(20)));
}

TEST(PingMonitorTest, NeverAnsweredIsLostOnceDeadpingPassed) {
  PingMonitor m(Targets(), Ms(20), Ms(2), At(Ms(0)));
  EXPECT_THAT(m.Changes(At(Ms(19))), IsEmpty());
  EXPECT_TRUE(m.Known(At(Ms(20))));
  EXPECT_EQ(m.Reached(At(Ms(20))), 0u);
  // Never reached, never said reached: nothing to say lost either.
  EXPECT_THAT(m.Changes(At(Ms(21))), IsEmpty());
}

}  // namespace
}  // namespace tachy
