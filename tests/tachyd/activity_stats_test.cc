// activity_stats_test.cc: takeovers, stages and the runner's reports, counted.
#include "detector/tachyd/activity_stats.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace tachy {
namespace {

constexpr int64_t kMs = 1'000'000;

TakeoverMsg DeathTakeover() {
  TakeoverMsg t;
  t.group = "10.0.0.100";
  t.ok = true;
  t.cause = "peer b dead";
  t.peer = "b";
  t.last_frame_ns = 1000 * kMs;
  t.verdict_ns = 1020 * kMs;
  t.decision_ns = 1020 * kMs + 200'000;
  t.vip_ns = 1020 * kMs + 400'000;
  t.garp_ns = 1020 * kMs + 500'000;
  t.done_ns = 1035 * kMs;
  return t;
}

TEST(ActivityStatsTest, TakeoversAreCountedByGroupCauseAndResult) {
  ActivityStats a;
  a.OnTakeover(DeathTakeover());
  a.OnTakeover(DeathTakeover());
  TakeoverMsg asked = DeathTakeover();
  asked.peer.clear();
  asked.cause = "b asked for it (standby)";
  asked.verdict_ns = 0;
  a.OnTakeover(asked);
  TakeoverMsg failed = DeathTakeover();
  failed.ok = false;
  a.OnTakeover(failed);
  const nlohmann::json j = a.Json();
  ASSERT_EQ(j["takeovers"].size(), 3u);
  EXPECT_EQ(j["takeovers"][0]["cause"], "peer_dead");
  EXPECT_EQ(j["takeovers"][0]["result"], "failed");
  EXPECT_EQ(j["takeovers"][0]["count"], 1);
  EXPECT_EQ(j["takeovers"][1]["result"], "ok");
  EXPECT_EQ(j["takeovers"][1]["count"], 2);
  EXPECT_EQ(j["takeovers"][2]["cause"], "request");
}

TEST(ActivityStatsTest, StageDurationsFillCumulativeBuckets) {
  ActivityStats a;
  a.OnTakeover(DeathTakeover());
  const nlohmann::json stages = a.Json()["takeover_stages_ms"];
  // detection 20 ms: in le 20 and above, not in le 10.
  const nlohmann::json& d = stages["detection"];
  EXPECT_EQ(d["count"], 1);
  EXPECT_DOUBLE_EQ(d["sum_ms"].get<double>(), 20.0);
  for (const nlohmann::json& b : d["buckets"]) {
    EXPECT_EQ(b["count"], b["le_ms"].get<double>() >= 20 ? 1 : 0) << b.dump();
  }
  EXPECT_DOUBLE_EQ(stages["decision"]["sum_ms"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(stages["address"]["sum_ms"].get<double>(), 0.2);
  EXPECT_DOUBLE_EQ(stages["garp"]["sum_ms"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(stages["resources"]["sum_ms"].get<double>(), 14.5);
  EXPECT_DOUBLE_EQ(stages["total"]["sum_ms"].get<double>(), 15.0);
}

TEST(ActivityStatsTest, MonitorArpRequestsAndMoves) {
  ActivityStats a;
  a.OnMonitor(MonitorMsg{1, "web", "httpd", "main process exited", "restarting it here"});
  a.OnMonitor(MonitorMsg{2, "web", "httpd", "status says not running", "handing over"});
  a.OnArpConflict(ArpConflictMsg{3, "10.0.0.100", "02:00:00:00:00:09", "eth0"});
  a.SetRequests({{"standby", 2}});
  a.OnGroupMove("web");
  const nlohmann::json j = a.Json();
  EXPECT_EQ(j["monitor_failures"]["web"], 2);
  EXPECT_EQ(j["arp_conflicts"], 1);
  EXPECT_EQ(j["requests"]["standby"], 2);
  EXPECT_EQ(j["group_moves"]["web"], 1);
}

}  // namespace
}  // namespace tachy
