// status_json_test.cc: the control-socket and event-stream JSON documents,
// parsed back with nlohmann::json and checked key by key.
#include "detector/tachyd/status_json.h"

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "detector/auth.h"
#include "detector/config/auth_keys.h"
#include "detector/engine.h"
#include "detector/frame.h"
#include "detector/base/mono_time.h"
#include "detector/peer_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/frame_builder.h"
#include "tests/support/test_keys.h"

namespace tachy {
namespace {

using nlohmann::json;

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  for (auto it = object.begin(); it != object.end(); ++it) keys.insert(it.key());
  return keys;
}

class StatusJsonTest : public ::testing::Test {
 protected:
  StatusJsonTest() {
    keys_ = Sha256KeyRing("secret");
    signer_ = Sha256Signer("secret");
    absl::StatusOr<std::unique_ptr<Authenticator>> wrong =
        Authenticator::Create(AuthMethod::kSha256, "wrong");
    EXPECT_TRUE(wrong.ok());
    if (wrong.ok()) wrong_ = *std::move(wrong);

    EngineOptions o;
    o.local_node = "a";
    o.nodes = {"a", "b", "c"};
    o.media = {"raw:eth1", "bcast:eth0"};
    o.keepalive = absl::Milliseconds(2);
    o.warntime = absl::Milliseconds(10);
    o.deadtime = absl::Milliseconds(20);
    o.initdead = absl::Seconds(1);
    o.generation = 9;
    engine_ = std::make_unique<Engine>(std::move(o), keys_, Start());
  }

  static MonoTime Start() { return MonoTime::FromNanos(1'000'000'000); }
  static MonoTime At(absl::Duration d) { return Start() + d; }

  void Deliver(const FrameBuilder& b, size_t medium, MonoTime t,
               const Authenticator* auth = nullptr) {
    const std::vector<uint8_t> bytes = b.SignedBy(auth != nullptr ? *auth : *signer_);
    engine_->OnFrame(medium, bytes, t, t);
  }

  // b: sequences 1 and 3 on raw:eth1 (one lost), 3 again on bcast:eth0 (a
  // duplicate), then a replay and a bad tag; c never heard; a sends twice
  // and wakes up once 2.5 ms late.
  void Scenario() {
    engine_->Advance(At(absl::Microseconds(100)), absl::ZeroDuration());
    engine_->NextHeartbeat(At(absl::Microseconds(100)));
    Deliver(FrameBuilder().Node("b").Generation(4).Sequence(1).IntervalUs(2000), 0,
            At(absl::Milliseconds(1)));
    Deliver(FrameBuilder().Node("b").Generation(4).Sequence(3).IntervalUs(2000), 0,
            At(absl::Microseconds(3'500)));
    Deliver(FrameBuilder().Node("b").Generation(4).Sequence(3).IntervalUs(2000), 1,
            At(absl::Microseconds(3'700)));
    Deliver(FrameBuilder().Node("b").Generation(4).Sequence(3), 0, At(absl::Milliseconds(4)));
    Deliver(FrameBuilder().Node("b").Generation(4).Sequence(9), 0, At(absl::Milliseconds(4)),
            wrong_.get());
    // A stalled wake-up.
    engine_->Advance(At(absl::Milliseconds(5)), absl::Microseconds(2'500));
    engine_->NextHeartbeat(At(absl::Milliseconds(5)));
  }

  KeyRing keys_;
  std::unique_ptr<Authenticator> signer_;
  std::unique_ptr<Authenticator> wrong_;
  std::unique_ptr<Engine> engine_;
};

// The status document as the control thread renders it: from a snapshot.
std::string StatusOf(const Engine& engine, MonoTime now, const DaemonInfo& info) {
  EngineSnapshot snap;
  engine.CopyTo(&snap, now);
  return StatusJson(engine.options(), engine.started(), snap, now, info);
}

HelloMsg HelloOf(const Engine& engine) {
  EngineSnapshot snap;
  engine.CopyTo(&snap, engine.started());
  return MakeHello(engine.options(), snap);
}

TEST_F(StatusJsonTest, StatusDocument) {
  Scenario();
  const std::string text =
      StatusOf(*engine_, At(absl::Milliseconds(6)),
                 {.version = "0.1.0", .pid = 4242, .realtime = false,
                  .realtime_note = "sched_setscheduler: Operation not permitted"});
  const json doc = json::parse(text);

  EXPECT_EQ(doc["v"], 1);
  EXPECT_EQ(doc["version"], "0.1.0");
  EXPECT_EQ(doc["pid"], 4242);
  EXPECT_EQ(doc["cluster"], "linux-ha");
  EXPECT_EQ(doc["node"], "a");
  EXPECT_EQ(doc["generation"], 9);
  EXPECT_DOUBLE_EQ(doc["uptime_ms"].get<double>(), 6.0);
  EXPECT_EQ(doc["realtime"], false);
  EXPECT_EQ(doc["realtime_note"], "sched_setscheduler: Operation not permitted");
  EXPECT_EQ(doc["frames_received"], 2);
  EXPECT_EQ(doc["frames_sent"], 2);

  const json& settings = doc["settings"];
  EXPECT_EQ(Keys(settings), (std::set<std::string>{"keepalive_ms", "deadtime_ms", "warntime_ms",
                                                   "initdead_ms"}));
  EXPECT_DOUBLE_EQ(settings["keepalive_ms"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(settings["warntime_ms"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(settings["deadtime_ms"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ(settings["initdead_ms"].get<double>(), 1000.0);

  const json& timing = doc["timing"];
  EXPECT_EQ(timing["wakeups"], 2);
  EXPECT_EQ(timing["late_wakeups"], 1);
  EXPECT_DOUBLE_EQ(timing["max_lateness_ms"].get<double>(), 2.5);
  EXPECT_EQ(timing["saved_by_grace"], 0);
  EXPECT_EQ(timing["saved_by_rx_timestamp"], 0);
  EXPECT_EQ(timing["sends_skipped"], 1);  // the 2 ms send went at 5 ms; 4 ms was skipped

  // Rejections by stable name, "none" excluded, every reason present.
  const json& rejected = doc["rejected"];
  EXPECT_EQ(rejected.size(), kRejectReasonCount - 1);
  EXPECT_FALSE(rejected.contains("none"));
  for (size_t i = 1; i < kRejectReasonCount; ++i) {
    const std::string name(RejectReasonName(static_cast<RejectReason>(i)));
    ASSERT_TRUE(rejected.contains(name)) << name;
    const int want = name == "bad_tag" || name == "replay" ? 1 : 0;
    EXPECT_EQ(rejected[name], want) << name;
  }

  const json& nodes = doc["nodes"];
  ASSERT_TRUE(nodes.is_array());
  ASSERT_EQ(nodes.size(), 3u);

  // The local node first.
  const json& a = nodes[0];
  EXPECT_EQ(a["name"], "a");
  EXPECT_EQ(a["local"], true);
  EXPECT_EQ(a["state"], "up");
  EXPECT_EQ(a["generation"], 9);
  EXPECT_EQ(a["frames_sent"], 2);

  const json& b = nodes[1];
  EXPECT_EQ(b["name"], "b");
  EXPECT_EQ(b["local"], false);
  EXPECT_EQ(b["state"], "up");
  EXPECT_DOUBLE_EQ(b["state_for_ms"].get<double>(), 5.0);  // up since 1 ms
  EXPECT_EQ(b["generation"], 4);
  // The newest frame's first arrival (3.5 ms); its later copy only counts
  // for the medium it came on.
  EXPECT_DOUBLE_EQ(b["last_heard_ms"].get<double>(), 2.5);
  EXPECT_EQ(b["frames"], 2);
  EXPECT_EQ(b["duplicates"], 1);
  EXPECT_EQ(b["lost"], 1);
  EXPECT_EQ(b["deaths"], 0);
  EXPECT_DOUBLE_EQ(b["max_gap_ms"].get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(b["peer_interval_ms"].get<double>(), 2.0);
  EXPECT_EQ(b["rejected_total"], 2);
  EXPECT_EQ(b["rejected"]["bad_tag"], 1);
  EXPECT_EQ(b["rejected"]["replay"], 1);
  EXPECT_EQ(b["rejected"]["short"], 0);
  EXPECT_EQ(b["rejected"].size(), kRejectReasonCount - 1);

  const json& media = b["media"];
  ASSERT_EQ(media.size(), 2u);
  EXPECT_EQ(media[0]["name"], "raw:eth1");
  EXPECT_EQ(media[0]["link"], "up");
  EXPECT_EQ(media[0]["frames"], 2);
  EXPECT_DOUBLE_EQ(media[0]["last_heard_ms"].get<double>(), 2.5);
  EXPECT_EQ(media[1]["name"], "bcast:eth0");
  EXPECT_EQ(media[1]["link"], "up");
  EXPECT_EQ(media[1]["frames"], 1);
  EXPECT_DOUBLE_EQ(media[1]["last_heard_ms"].get<double>(), 2.3);
  // The wrong-key frame came on raw:eth1, 2 ms before the document.
  EXPECT_EQ(media[0]["auth_failures"], 1);
  EXPECT_EQ(media[0]["auth_failed_key"], 1);
  EXPECT_DOUBLE_EQ(media[0]["auth_failed_ms"].get<double>(), 2.0);
  EXPECT_EQ(media[1]["auth_failures"], 0);
  EXPECT_TRUE(media[1]["auth_failed_key"].is_null());
  ASSERT_EQ(b["problems"].size(), 1u);
  EXPECT_THAT(b["problems"][0].get<std::string>(),
              ::testing::StartsWith("failed authentication on raw:eth1 (key 1): 1 frame(s)"));

  // Never heard: null times, links dead, state init.
  const json& c = nodes[2];
  EXPECT_EQ(c["name"], "c");
  EXPECT_EQ(c["state"], "init");
  EXPECT_EQ(c["generation"], 0);
  EXPECT_TRUE(c["last_heard_ms"].is_null());
  EXPECT_EQ(c["frames"], 0);
  EXPECT_EQ(c["rejected_total"], 0);
  ASSERT_EQ(c["media"].size(), 2u);
  for (const json& m : c["media"]) {
    EXPECT_EQ(m["link"], "dead");
    EXPECT_TRUE(m["last_heard_ms"].is_null());
    EXPECT_EQ(m["frames"], 0);
  }
  EXPECT_TRUE(c["problems"].empty());
}

TEST_F(StatusJsonTest, NoRealtimeNoteWhenEmpty) {
  const DaemonInfo info{.version = "x", .pid = 1, .realtime = true, .realtime_note = ""};
  const json doc = json::parse(StatusOf(*engine_, Start(), info));
  EXPECT_EQ(doc["realtime"], true);
  EXPECT_FALSE(doc.contains("realtime_note"));
  EXPECT_DOUBLE_EQ(doc["uptime_ms"].get<double>(), 0.0);
  EXPECT_EQ(doc["nodes"][1]["state"], "init");
}

TEST_F(StatusJsonTest, DeadPeerAfterSilence) {
  Deliver(FrameBuilder().Node("b").Sequence(1), 0, At(absl::Milliseconds(1)));
  for (MonoTime t = engine_->NextWakeup(); t <= At(absl::Milliseconds(40));
       t = engine_->NextWakeup()) {
    engine_->Advance(t, absl::ZeroDuration());
  }
  const json doc = json::parse(StatusOf(*engine_, At(absl::Milliseconds(40)), {}));
  const json& b = doc["nodes"][1];
  EXPECT_EQ(b["state"], "dead");
  EXPECT_EQ(b["deaths"], 1);
  EXPECT_DOUBLE_EQ(b["state_for_ms"].get<double>(), 19.0);  // dead at 21 ms
  EXPECT_DOUBLE_EQ(b["last_heard_ms"].get<double>(), 39.0);
  EXPECT_EQ(b["media"][0]["link"], "dead");
}

PeerMsg SampleEvent() {
  PeerMsg e;
  e.t_ns = 1'234'567'890'123;
  e.node = "b";
  e.from = WirePeerState::kLate;
  e.to = WirePeerState::kDead;
  e.reason = "no heartbeat: silent for 20 ms (deadtime 20 ms) \"quoted\"";
  e.generation = 42;
  e.last_heard_ns = 1'234'547'890'123;
  return e;
}

TEST(WatchLineJsonTest, ExactlyTheDocumentedKeys) {
  const std::string line = WatchLineJson(SampleEvent());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const json j = json::parse(line);
  EXPECT_EQ(Keys(j), (std::set<std::string>{"type", "t_ns", "node", "from", "to", "reason",
                                            "generation", "last_heard_ns"}));
  EXPECT_EQ(j["type"], "peer");
  EXPECT_EQ(j["t_ns"], 1'234'567'890'123);
  EXPECT_EQ(j["node"], "b");
  EXPECT_EQ(j["from"], "late");
  EXPECT_EQ(j["to"], "dead");
  EXPECT_EQ(j["reason"], "no heartbeat: silent for 20 ms (deadtime 20 ms) \"quoted\"");
  EXPECT_EQ(j["generation"], 42);
  EXPECT_EQ(j["last_heard_ns"], 1'234'547'890'123);
}

TEST(TakeoverLineJsonTest, EveryStageAndNullsForStepsThatDidNotHappen) {
  TakeoverMsg t;
  t.group = "10.0.0.5";
  t.ok = true;
  t.cause = "peer a dead";
  t.peer = "a";
  t.last_frame_ns = 100;
  t.verdict_ns = 200;
  t.decision_ns = 210;
  t.vip_ns = 220;
  t.garp_ns = 230;
  t.resources = {{"httpd", 300}};
  t.done_ns = 301;
  json j = json::parse(TakeoverLineJson(t, "b"));
  EXPECT_EQ(j["type"], "takeover");
  EXPECT_EQ(j["node"], "b");
  EXPECT_EQ(j["peer"], "a");
  EXPECT_EQ(j["verdict_ns"], 200);
  EXPECT_EQ(j["resources"][0]["name"], "httpd");
  EXPECT_EQ(j["resources"][0]["done_ns"], 300);
  t.peer.clear();
  t.last_frame_ns = t.verdict_ns = t.vip_ns = t.garp_ns = 0;
  t.resources.clear();
  j = json::parse(TakeoverLineJson(t, "b"));
  EXPECT_TRUE(j["peer"].is_null());
  EXPECT_TRUE(j["verdict_ns"].is_null());
  EXPECT_TRUE(j["vip_ns"].is_null());
  EXPECT_EQ(j["decision_ns"], 210);
  EXPECT_TRUE(j["resources"].empty());
}

TEST_F(StatusJsonTest, HelloListsPeers) {
  Deliver(FrameBuilder().Node("c").Generation(6).Sequence(1), 0, At(absl::Milliseconds(2)));
  const HelloMsg h = HelloOf(*engine_);
  EXPECT_EQ(h.node, "a");
  EXPECT_EQ(h.generation, 9u);
  ASSERT_EQ(h.peers.size(), 2u);  // the local node is not its own peer
  EXPECT_EQ(h.peers[0].node, "b");
  EXPECT_EQ(h.peers[0].state, WirePeerState::kInit);
  EXPECT_EQ(h.peers[0].generation, 0u);
  EXPECT_EQ(h.peers[0].since_ns, Start().nanos());
  EXPECT_EQ(h.peers[0].last_heard_ns, 0);
  EXPECT_EQ(h.peers[1].node, "c");
  EXPECT_EQ(h.peers[1].state, WirePeerState::kUp);
  EXPECT_EQ(h.peers[1].generation, 6u);
  EXPECT_EQ(h.peers[1].since_ns, At(absl::Milliseconds(2)).nanos());
  EXPECT_EQ(h.peers[1].last_heard_ns, At(absl::Milliseconds(2)).nanos());
}

}  // namespace
}  // namespace tachy
