// reload_plan_test.cc: what a reload may change, and why the rest is refused.
#include "detector/tachyd/reload_plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ClusterConfig Config(int keepalive_ms, int warntime_ms, int deadtime_ms) {
  ClusterConfig c;
  c.local_node = "a";
  c.ha.nodes = {"a", "b"};
  MediumConfig m;
  m.iface = "hb0";
  c.ha.media = {m};
  c.ha.keepalive = absl::Milliseconds(keepalive_ms);
  c.ha.warntime = absl::Milliseconds(warntime_ms);
  c.ha.deadtime = absl::Milliseconds(deadtime_ms);
  c.ha.initdead = absl::Seconds(10);
  c.auth.active_index = 1;
  c.auth.keys = {AuthKey{1, AuthMethod::kSha256, "secret"}};
  return c;
}

ReloadContext Peers(int interval_ms) {
  ReloadContext c;
  c.slowest_peer_interval = absl::Milliseconds(interval_ms);
  return c;
}

TEST(ReloadPlanTest, NothingChangedAppliesAndRefusesNothing) {
  const ReloadPlan p = PlanReload(Config(2, 10, 20), Config(2, 10, 20), Peers(2));
  EXPECT_THAT(p.applied, IsEmpty());
  EXPECT_THAT(p.refused, IsEmpty());
  EXPECT_FALSE(p.timing_changed);
  EXPECT_EQ(p.deadtime, absl::Milliseconds(20));
}

TEST(ReloadPlanTest, LogOptionsAndInitdeadApply) {
  ClusterConfig fresh = Config(2, 10, 20);
  fresh.ha.logfile = "/var/log/tachy.log";
  fresh.ha.debug = 1;
  fresh.ha.initdead = absl::Seconds(30);
  const ReloadPlan p = PlanReload(Config(2, 10, 20), fresh, Peers(2));
  EXPECT_TRUE(p.log_changed);
  ASSERT_EQ(p.applied.size(), 2u);
  EXPECT_THAT(p.applied[0], HasSubstr("logfile '/var/log/tachy.log'"));
  EXPECT_THAT(p.applied[1], HasSubstr("initdead 30000 ms"));
  EXPECT_EQ(p.initdead, absl::Seconds(30));
  EXPECT_THAT(p.refused, IsEmpty());
}

TEST(ReloadPlanTest, TimingWithinLimitsApplies) {
  // A longer deadtime, a shorter keepalive: every peer's judgement holds.
  // (deadping follows deadtime by default; without ping nodes it is moot.)
  ClusterConfig was = Config(2, 10, 20), fresh = Config(1, 20, 40);
  was.ha.deadping = was.ha.deadtime;
  fresh.ha.deadping = fresh.ha.deadtime;
  const ReloadPlan p = PlanReload(was, fresh, Peers(2));
  EXPECT_TRUE(p.timing_changed);
  EXPECT_EQ(p.keepalive, absl::Milliseconds(1));
  EXPECT_EQ(p.warntime, absl::Milliseconds(20));
  EXPECT_EQ(p.deadtime, absl::Milliseconds(40));
  EXPECT_THAT(p.applied, ElementsAre(HasSubstr("deadtime 20 ms -> 40 ms")));
  EXPECT_THAT(p.refused, IsEmpty());
}

TEST(ReloadPlanTest, AKeepaliveAboveHalfTheOldDeadtimeIsRefused) {
  // Raising both at once: a peer still on deadtime 20 ms would miss us.
  const ReloadPlan p = PlanReload(Config(2, 10, 20), Config(15, 50, 100), Peers(2));
  EXPECT_FALSE(p.timing_changed);
  EXPECT_EQ(p.keepalive, absl::Milliseconds(2));
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_THAT(p.refused[0], HasSubstr("raise deadtime on every node first"));
}

TEST(ReloadPlanTest, ADeadtimeBelowTwiceThePeersIntervalIsRefused) {
  // The peer still sends every 10 ms (not reloaded yet).
  const ReloadPlan p = PlanReload(Config(10, 50, 100), Config(2, 8, 15), Peers(10));
  EXPECT_FALSE(p.timing_changed);
  ASSERT_EQ(p.refused.size(), 1u);
  EXPECT_THAT(p.refused[0], HasSubstr("twice the interval peers send at now (10 ms)"));
  // Once every peer sends at 2 ms, the same deadtime passes... if ours is
  // also no longer 10 ms.
  const ReloadPlan later = PlanReload(Config(2, 50, 100), Config(2, 8, 15), Peers(2));
  EXPECT_TRUE(later.timing_changed);
}

TEST(ReloadPlanTest, TimingIsRefusedWithAHeartbeatPeer) {
  ReloadContext c = Peers(1000);
  c.heartbeat_peers = true;
  const ReloadPlan p = PlanReload(Config(1000, 5000, 10000), Config(1000, 6000, 12000), c);
  EXPECT_FALSE(p.timing_changed);
  EXPECT_THAT(p.refused, ElementsAre(HasSubstr("Heartbeat 3 peer")));
}

TEST(ReloadPlanTest, MembershipMediaKeysAndHaresourcesAreRefused) {
  ClusterConfig fresh = Config(2, 10, 20);
  fresh.ha.nodes.push_back("c");
  fresh.ha.media[0].iface = "hb1";
  fresh.auth.keys[0].key = "other";
  fresh.ha.auto_failback = AutoFailback::kOn;
  fresh.ha.metrics_port = 9694;
  ReloadContext c = Peers(2);
  c.haresources_changed = true;
  const ReloadPlan p = PlanReload(Config(2, 10, 20), fresh, c);
  EXPECT_THAT(p.applied, IsEmpty());
  EXPECT_THAT(p.refused, ElementsAre(HasSubstr("node changed"), HasSubstr("media"),
                                     HasSubstr("authkeys changed: keys change with a restart"),
                                     HasSubstr("auto_failback"), HasSubstr("metrics_listen"),
                                     HasSubstr("haresources changed")));
}

}  // namespace
}  // namespace tachy
