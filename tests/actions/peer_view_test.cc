// peer_view_test.cc: the action runner's picture of tachyd and the peers,
// built from event-stream messages; times are arguments.
#include "actions/peer_view.h"

#include <string>

#include "absl/time/time.h"
#include "actions/ownership_ad.h"
#include "detector/stream/event_stream.h"
#include "detector/base/mono_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::Key;

MonoTime T(int64_t ms) { return MonoTime::FromNanos(ms * 1'000'000); }

PeerSnapshot Snap(std::string node, WirePeerState state, const OwnershipAd& ad = {},
                  bool ready = false) {
  PeerSnapshot p;
  p.node = std::move(node);
  p.state = state;
  p.data = EncodeOwnershipAd(ad);
  p.ready = ready;
  return p;
}

StreamMessage Hello(std::vector<PeerSnapshot> peers, uint64_t generation = 9) {
  HelloMsg h;
  h.node = "a";
  h.generation = generation;
  h.keepalive_ns = 1'000'000;
  h.deadtime_ns = 20'000'000;
  h.peers = std::move(peers);
  return {0, h};
}

StreamMessage Peer(std::string node, WirePeerState from, WirePeerState to, int64_t t_ms,
                   int64_t last_heard_ms) {
  PeerMsg p;
  p.t_ns = t_ms * 1'000'000;
  p.node = std::move(node);
  p.from = from;
  p.to = to;
  p.last_heard_ns = last_heard_ms * 1'000'000;
  p.reason = "test";
  return {1, p};
}

StreamMessage Advert(std::string node, const OwnershipAd& ad, bool ready) {
  PeerAdvertMsg a;
  a.node = std::move(node);
  a.data = EncodeOwnershipAd(ad);
  a.ready = ready;
  return {2, a};
}

StreamMessage Tick() { return {3, TickMsg{}}; }

constexpr WirePeerState kInit = WirePeerState::kInit;
constexpr WirePeerState kUp = WirePeerState::kUp;
constexpr WirePeerState kLate = WirePeerState::kLate;
constexpr WirePeerState kDead = WirePeerState::kDead;

TEST(PeerViewTest, StartsUngreeted) {
  PeerView v;
  EXPECT_FALSE(v.greeted());
  EXPECT_TRUE(v.peers().empty());
  EXPECT_FALSE(v.Heard(T(0), absl::Seconds(100)));
}

TEST(PeerViewTest, HelloSetsTheScene) {
  PeerView v;
  const OwnershipAd ad{.held = 0x3, .wants = 0x4, .declines = 0x8, .digest = 0xabcdef01};
  EXPECT_TRUE(v.Apply(Hello({Snap("b", kUp, ad, true), Snap("c", kDead)}, 42), T(100)));
  EXPECT_TRUE(v.greeted());
  EXPECT_EQ(v.generation(), 42u);
  EXPECT_EQ(v.deadtime(), absl::Milliseconds(20));
  EXPECT_EQ(v.last_message(), T(100));
  ASSERT_THAT(v.peers(), ElementsAre(Key("b"), Key("c")));
  const PeerInfo& b = v.peers().at("b");
  EXPECT_EQ(b.state, kUp);
  EXPECT_TRUE(b.alive());
  EXPECT_TRUE(b.ready);
  EXPECT_EQ(b.ad, ad);
  EXPECT_EQ(b.alive_since, T(100));
  EXPECT_FALSE(v.peers().at("c").alive());
  EXPECT_FALSE(v.peers().at("c").ready);
}

TEST(PeerViewTest, HelloReplacesPeers) {
  PeerView v;
  v.Apply(Hello({Snap("b", kUp), Snap("c", kUp)}), T(100));
  v.Apply(Peer("d", kInit, kUp, 150, 150), T(150));
  ASSERT_THAT(v.peers(), ElementsAre(Key("b"), Key("c"), Key("d")));
  EXPECT_TRUE(v.Apply(Hello({Snap("c", kLate)}, 10), T(200)));
  ASSERT_THAT(v.peers(), ElementsAre(Key("c")));
  EXPECT_EQ(v.peers().at("c").state, kLate);
  EXPECT_EQ(v.generation(), 10u);
}

TEST(PeerViewTest, DeathRecordsVerdictAndLastFrame) {
  PeerView v;
  v.Apply(Hello({Snap("b", kUp)}), T(100));
  EXPECT_TRUE(v.Apply(Peer("b", kUp, kLate, 110, 100), T(111)));
  EXPECT_EQ(v.peers().at("b").death_verdict, MonoTime());
  EXPECT_TRUE(v.Apply(Peer("b", kLate, kDead, 120, 100), T(121)));
  const PeerInfo& b = v.peers().at("b");
  EXPECT_EQ(b.state, kDead);
  EXPECT_FALSE(b.alive());
  // From the message's own times, not from when it was read.
  EXPECT_EQ(b.death_verdict, T(120));
  EXPECT_EQ(b.death_last_frame, T(100));
}

TEST(PeerViewTest, DirectUpToDeadRecordsDeath) {
  PeerView v;
  v.Apply(Hello({Snap("b", kUp)}), T(100));
  v.Apply(Peer("b", kUp, kDead, 130, 125), T(131));  // e.g. a leave frame
  EXPECT_EQ(v.peers().at("b").death_verdict, T(130));
  EXPECT_EQ(v.peers().at("b").death_last_frame, T(125));
}

TEST(PeerViewTest, InitToDeadIsNotADeath) {
  PeerView v;
  v.Apply(Hello({Snap("b", kInit)}), T(100));
  v.Apply(Peer("b", kInit, kDead, 1100, 0), T(1100));  // initdead
  EXPECT_EQ(v.peers().at("b").state, kDead);
  EXPECT_EQ(v.peers().at("b").death_verdict, MonoTime());
  EXPECT_EQ(v.peers().at("b").death_last_frame, MonoTime());
}

TEST(PeerViewTest, AliveSinceOnlyWhenComingBack) {
  PeerView v;
  v.Apply(Hello({Snap("b", kInit)}), T(100));
  v.Apply(Peer("b", kInit, kUp, 105, 105), T(106));
  EXPECT_EQ(v.peers().at("b").alive_since, T(106));
  // late -> up: still the same life.
  v.Apply(Peer("b", kUp, kLate, 120, 108), T(121));
  v.Apply(Peer("b", kLate, kUp, 125, 125), T(126));
  EXPECT_EQ(v.peers().at("b").alive_since, T(106));
  // dead -> up: a new life.
  v.Apply(Peer("b", kUp, kDead, 150, 130), T(151));
  EXPECT_EQ(v.peers().at("b").alive_since, T(106));
  v.Apply(Peer("b", kDead, kUp, 200, 200), T(201));
  EXPECT_EQ(v.peers().at("b").alive_since, T(201));
  EXPECT_TRUE(v.peers().at("b").alive());
  // The last death stays recorded.
  EXPECT_EQ(v.peers().at("b").death_verdict, T(150));
}

TEST(PeerViewTest, UnknownPeerInAPeerMessageIsAdded) {
  PeerView v;
  v.Apply(Hello({}), T(100));
  EXPECT_TRUE(v.Apply(Peer("z", kInit, kUp, 110, 110), T(111)));
  ASSERT_EQ(v.peers().count("z"), 1u);
  EXPECT_EQ(v.peers().at("z").alive_since, T(111));
}

TEST(PeerViewTest, AdvertDecodesOwnershipAndReportsOnlyChanges) {
  PeerView v;
  v.Apply(Hello({Snap("b", kUp)}), T(100));
  const OwnershipAd ad{.held = 0x80000001, .wants = 0x0102, .declines = 0xf00f,
                       .digest = 0x12345678};
  EXPECT_TRUE(v.Apply(Advert("b", ad, false), T(110)));
  EXPECT_EQ(v.peers().at("b").ad, ad);
  EXPECT_EQ(v.peers().at("b").ad.held, 0x80000001u);
  EXPECT_EQ(v.peers().at("b").ad.wants, 0x0102);
  EXPECT_EQ(v.peers().at("b").ad.declines, 0xf00f);
  EXPECT_EQ(v.peers().at("b").ad.digest, 0x12345678u);
  EXPECT_FALSE(v.peers().at("b").ready);

  // The same again: nothing changed.
  EXPECT_FALSE(v.Apply(Advert("b", ad, false), T(111)));
  // Only readiness changes: a change.
  EXPECT_TRUE(v.Apply(Advert("b", ad, true), T(112)));
  EXPECT_TRUE(v.peers().at("b").ready);
  EXPECT_FALSE(v.Apply(Advert("b", ad, true), T(113)));
  // One bit of the held mask: a change.
  OwnershipAd other = ad;
  other.held ^= 0x2;
  EXPECT_TRUE(v.Apply(Advert("b", other, true), T(114)));
  EXPECT_EQ(v.peers().at("b").ad, other);
  EXPECT_EQ(v.last_message(), T(114));
}

TEST(PeerViewTest, TicksChangeNothingButAreHeard) {
  PeerView v;
  v.Apply(Hello({Snap("b", kUp)}), T(100));
  EXPECT_FALSE(v.Apply(Tick(), T(150)));
  EXPECT_EQ(v.last_message(), T(150));
  LinkMsg l;
  l.node = "b";
  l.medium = "raw:eth1";
  EXPECT_FALSE(v.Apply({4, l}, T(151)));
  EXPECT_FALSE(v.Apply({5, RequestMsg{.id = 1, .what = "standby", .scope = "all"}}, T(152)));
  EXPECT_EQ(v.last_message(), T(152));
}

TEST(PeerViewTest, HeardWithinGraceOfTheLastMessage) {
  PeerView v;
  const absl::Duration grace = absl::Milliseconds(10);
  // Messages before any hello do not make it heard.
  v.Apply(Tick(), T(100));
  EXPECT_FALSE(v.Heard(T(101), grace));

  v.Apply(Hello({}), T(200));
  EXPECT_TRUE(v.Heard(T(200), grace));
  EXPECT_TRUE(v.Heard(T(209), grace));
  EXPECT_FALSE(v.Heard(T(210), grace));
  EXPECT_FALSE(v.Heard(T(500), grace));

  v.Apply(Tick(), T(500));
  EXPECT_TRUE(v.Heard(T(505), grace));
  EXPECT_FALSE(v.Heard(T(511), grace));
}

TEST(PeerViewTest, ForgetUntilTheNextHello) {
  PeerView v;
  v.Apply(Hello({Snap("b", kUp)}), T(100));
  ASSERT_TRUE(v.Heard(T(101), absl::Seconds(1)));
  v.Forget();
  EXPECT_FALSE(v.greeted());
  EXPECT_FALSE(v.Heard(T(101), absl::Seconds(1)));
  // Ticks alone do not greet it again.
  v.Apply(Tick(), T(102));
  EXPECT_FALSE(v.Heard(T(102), absl::Seconds(1)));
  v.Apply(Hello({}), T(103));
  EXPECT_TRUE(v.Heard(T(103), absl::Seconds(1)));
  EXPECT_TRUE(v.peers().empty());
}

}  // namespace
}  // namespace tachy
