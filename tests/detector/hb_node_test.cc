// tachyd's Heartbeat member against hand-built Heartbeat 3 messages: what
// it sends, what it accepts, how it fills holes and answers requests.
#include "detector/hb_node.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tachy {
namespace {

constexpr char kPeerUuid[] = "0123456789abcdef";
constexpr char kOurUuid[] = "fedcba9876543210";

AuthKeys Keys() {
  AuthKeys keys;
  keys.active_index = 2;
  keys.keys.push_back({2, AuthMethod::kSha1, "testpass"});
  return keys;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

class HbNodeTest : public ::testing::Test {
 protected:
  HbNodeTest() : node_(Options()) {}

  static HbNodeOptions Options() {
    HbNodeOptions o;
    o.local_node = "test002";
    o.nodes = {"test001", "test002"};
    o.keepalive = absl::Seconds(1);
    o.deadtime = absl::Seconds(5);
    o.generation = 0x6b0ec900;
    o.uuid = kOurUuid;
    o.keys = Keys();
    o.wall_seconds = [] { return int64_t{0x6b0ec816}; };
    return o;
  }

  // A message from Heartbeat node test001.
  std::string FromPeer(std::vector<HeartbeatField> fields, uint64_t seq, uint64_t hg = 0x100,
                       const char* src = "test001") {
    fields.push_back({0, "src", src});
    fields.push_back({1, "srcuuid", kPeerUuid});
    if (seq != 0) fields.push_back({0, "seq", absl::StrFormat("%x", seq)});
    fields.push_back({0, "hg", absl::StrFormat("%x", hg)});
    fields.push_back({0, "ts", "6b0ec816"});
    fields.push_back({0, "ttl", "3"});
    return EncodeHeartbeatMessage(fields, Keys());
  }
  std::string Status(uint64_t seq, uint64_t hg = 0x100) {
    return FromPeer({{0, "t", "status"}, {0, "st", "active"}, {0, "dt", "1388"}}, seq, hg);
  }

  HeartbeatNode::Output Feed(const std::string& bytes) {
    HeartbeatNode::Output out;
    node_.OnDatagram(Bytes(bytes), 0, now_, now_, &out);
    return out;
  }
  HeartbeatNode::Output Tick(absl::Duration d) {
    now_ = now_ + d;
    HeartbeatNode::Output out;
    node_.Advance(now_, &out);
    return out;
  }
  static HeartbeatMessage Parse(const std::string& bytes) {
    absl::StatusOr<HeartbeatMessage> m = ParseHeartbeatMessage(Bytes(bytes));
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : HeartbeatMessage{};
  }

  MonoTime now_ = MonoTime::FromNanos(1'000'000'000);
  HeartbeatNode node_;
};

TEST_F(HbNodeTest, SilentUntilAHeartbeatPeerSpeaks) {
  EXPECT_FALSE(node_.active());
  EXPECT_TRUE(Tick(absl::Seconds(3)).send.empty());
  EXPECT_EQ(node_.NextWakeup(), kHbNever);
  const HeartbeatNode::Output out = Feed(Status(1));
  EXPECT_TRUE(node_.active());
  ASSERT_EQ(out.send.size(), 1u);  // our status at once
  const HeartbeatMessage m = Parse(out.send[0]);
  EXPECT_TRUE(HeartbeatAuthentic(m, Keys()));
  EXPECT_EQ(m.Value("t"), "status");
  EXPECT_EQ(m.Value("st"), "active");
  EXPECT_EQ(m.Value("dt"), "1388");  // 5000 ms
  EXPECT_EQ(m.Value("src"), "test002");
  EXPECT_EQ(m.Value("srcuuid"), kOurUuid);
  EXPECT_EQ(m.Value("seq"), "1");
  EXPECT_EQ(m.Value("hg"), "6b0ec900");
  EXPECT_EQ(m.Value("ts"), "6b0ec816");
  EXPECT_EQ(m.Value("ttl"), "3");
  EXPECT_EQ(m.Find("protocol"), nullptr);  // no flow control asked for
  ASSERT_EQ(out.status.size(), 1u);
  EXPECT_EQ(out.status[0].peer, 0u);
  EXPECT_EQ(out.status[0].generation, 0x100u);
  EXPECT_EQ(out.status[0].deadtime, absl::Seconds(5));
  EXPECT_FALSE(out.status[0].leave);
  // Then one per keepalive, numbered on.
  EXPECT_TRUE(Tick(absl::Milliseconds(999)).send.empty());
  const HeartbeatNode::Output next = Tick(absl::Milliseconds(1));
  ASSERT_EQ(next.send.size(), 1u);
  EXPECT_EQ(Parse(next.send[0]).Value("seq"), "2");
}

TEST_F(HbNodeTest, DropsForgeriesStrangersAndOwnEcho) {
  HeartbeatNode::Output out = Feed(Status(1).substr(0, 40));  // truncated: dropped unlogged
  EXPECT_TRUE(out.log.empty());
  out = Feed(FromPeer({{0, "t", "status"}}, 1, 0x100, "test003"));
  ASSERT_EQ(out.log.size(), 1u);
  EXPECT_NE(out.log[0].second.find("not a node of ha.cf"), std::string::npos);
  std::string forged = Status(1);
  forged[forged.find("st=active") + 3] = 'A';
  out = Feed(forged);
  ASSERT_EQ(out.log.size(), 1u);
  EXPECT_EQ(out.log[0].first, LogLevel::kError);
  EXPECT_NE(out.log[0].second.find("failed authentication"), std::string::npos);
  out = Feed(FromPeer({{0, "t", "status"}}, 1, 0x100, "test002"));
  EXPECT_TRUE(out.log.empty());
  EXPECT_FALSE(node_.active());
}

TEST_F(HbNodeTest, DeliversNegotiationInTheOrderHeardAcceptingTheLateDone) {
  Feed(Status(0x0b));
  HeartbeatNode::Output out =
      Feed(FromPeer({{0, "t", "resource"}, {0, "rsc_hold", "local"}, {0, "isstable", "1"}}, 0x0d));
  ASSERT_EQ(out.deliver.size(), 1u);
  EXPECT_EQ(out.deliver[0].node, "test001");
  ASSERT_GE(out.deliver[0].fields.size(), 3u);
  EXPECT_EQ(out.deliver[0].fields[0], (std::pair<std::string, std::string>{"t", "resource"}));
  EXPECT_EQ(node_.peers()[0].lost, 1u);
  // The done numbered 0x0c comes after 0x0d, as Heartbeat sends it.
  out = Feed(FromPeer({{0, "t", "ask_resources"}, {0, "rsc_hold", "foreign"}, {0, "info", "done"}},
                      0x0c));
  ASSERT_EQ(out.deliver.size(), 1u);
  EXPECT_EQ(out.deliver[0].fields[0].second, "ask_resources");
  // It arrived before any request went out: none is sent.
  for (int i = 0; i < 4; ++i) {
    for (const std::string& s : Tick(absl::Milliseconds(100)).send) {
      EXPECT_NE(Parse(s).Value("t"), "NS_rexmit");
    }
  }
  // Only once.
  EXPECT_TRUE(Feed(FromPeer({{0, "t", "ask_resources"}}, 0x0c)).deliver.empty());
}

TEST_F(HbNodeTest, AsksForAMissingMessageUntilItComes) {
  Feed(Status(1));
  Feed(Status(3));
  std::vector<HeartbeatMessage> asks;
  for (int i = 0; i < 6; ++i) {
    for (const std::string& s : Tick(absl::Milliseconds(100)).send) {
      HeartbeatMessage m = Parse(s);
      if (m.Value("t") == "NS_rexmit") asks.push_back(m);
    }
  }
  ASSERT_GE(asks.size(), 2u);
  EXPECT_EQ(asks[0].Value("dest"), "test001");
  EXPECT_EQ(asks[0].Value("destuuid"), kPeerUuid);
  EXPECT_EQ(asks[0].Value("firstseq"), "2");  // decimal
  EXPECT_EQ(asks[0].Value("lastseq"), "2");
  EXPECT_EQ(asks[0].Find("seq"), nullptr);
  EXPECT_TRUE(HeartbeatAuthentic(asks[0], Keys()));
  const HeartbeatNode::Output late = Feed(Status(2));
  EXPECT_EQ(late.status.size(), 1u);
  EXPECT_EQ(node_.peers()[0].late, 1u);
  for (int i = 0; i < 5; ++i) {
    for (const std::string& s : Tick(absl::Milliseconds(100)).send) {
      EXPECT_NE(Parse(s).Value("t"), "NS_rexmit");
    }
  }
}

TEST_F(HbNodeTest, AnswersRetransmissionRequests) {
  HeartbeatNode::Output first = Feed(Status(1));
  ASSERT_EQ(first.send.size(), 1u);
  const std::string ours = first.send[0];  // our seq 1
  HeartbeatNode::Output out;
  const auto ask = [&](uint64_t from, uint64_t to, uint64_t seq) {
    return FromPeer({{0, "t", "NS_rexmit"}, {0, "dest", "test002"},
                     {0, "firstseq", absl::StrCat(from)}, {0, "lastseq", absl::StrCat(to)}},
                    0, 0x100 + 0 * seq);
  };
  out = Feed(ask(1, 1, 0));
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_EQ(out.send[0], ours);  // the very bytes, same seq
  EXPECT_TRUE(Feed(ask(1, 1, 0)).send.empty());  // a repeat within 240 ms
  now_ = now_ + absl::Milliseconds(300);
  EXPECT_EQ(Feed(ask(1, 1, 0)).send.size(), 1u);
  // Another node's request is not ours to answer.
  EXPECT_TRUE(Feed(FromPeer({{0, "t", "NS_rexmit"}, {0, "dest", "test003"},
                             {0, "firstseq", "1"}, {0, "lastseq", "1"}}, 0))
                  .send.empty());
  // Older than the history: a NAK.
  for (size_t i = 0; i < HeartbeatNode::kHistory + 5; ++i) Tick(absl::Seconds(1));
  out = Feed(ask(2, 2, 0));
  ASSERT_EQ(out.send.size(), 1u);
  const HeartbeatMessage nak = Parse(out.send[0]);
  EXPECT_EQ(nak.Value("t"), "NS_nak_rexmit");
  EXPECT_EQ(nak.Value("firstseq"), "2");
  EXPECT_EQ(nak.Value("dest"), "test001");
}

TEST_F(HbNodeTest, ShutdoneIsALeaveAndANewGenerationARestart) {
  Feed(Status(1));
  HeartbeatNode::Output out = Feed(FromPeer({{0, "t", "shutdone"}, {0, "st", "dead"}}, 2));
  ASSERT_EQ(out.status.size(), 1u);
  EXPECT_TRUE(out.status[0].leave);
  ASSERT_EQ(out.deliver.size(), 1u);
  EXPECT_EQ(out.deliver[0].fields[0].second, "shutdone");
  // Its last status messages do not bring it back.
  EXPECT_TRUE(Feed(Status(3)).status.empty());
  out = Feed(Status(1, 0x101));
  ASSERT_EQ(out.status.size(), 1u);
  EXPECT_EQ(out.status[0].generation, 0x101u);
  EXPECT_EQ(node_.peers()[0].restarts, 1u);
  // And a replay of its old life is refused.
  out = Feed(Status(9, 0x100));
  EXPECT_TRUE(out.status.empty());
  EXPECT_EQ(node_.peers()[0].replays, 1u);
}

TEST_F(HbNodeTest, MessagesForAnotherNodeAreTrackedNotDelivered) {
  Feed(Status(1));
  EXPECT_TRUE(Feed(FromPeer({{0, "t", "ip-request-resp"}, {0, "dest", "test001"}}, 2))
                  .deliver.empty());
  EXPECT_EQ(node_.peers()[0].sequence.last(), 2u);
}

TEST_F(HbNodeTest, ATachyFrameMakesItATachyPeer) {
  Feed(Status(1));
  HeartbeatNode::Output out;
  node_.MarkTachy("test001", &out);
  EXPECT_FALSE(node_.active());
  EXPECT_TRUE(Tick(absl::Seconds(2)).send.empty());
  EXPECT_TRUE(Feed(Status(2)).status.empty());
}

TEST_F(HbNodeTest, SendsTheRunnersMessagesNumbered) {
  HeartbeatNode::Output out;
  node_.Send({{"t", "starting"}}, now_, &out);
  EXPECT_TRUE(out.send.empty());  // no Heartbeat peer yet
  Feed(Status(1));
  node_.Send({{"t", "resource"}, {"rsc_hold", "none"}, {"rtype", "full"}, {"isstable", "0"}},
             now_, &out);
  ASSERT_EQ(out.send.size(), 1u);
  const HeartbeatMessage m = Parse(out.send[0]);
  EXPECT_EQ(m.fields[0].name, "t");
  EXPECT_EQ(m.fields[1].name, "rsc_hold");
  EXPECT_EQ(m.Value("seq"), "2");  // after our first status
  node_.SendShutdone(now_, &out);
  EXPECT_EQ(Parse(out.send.back()).Value("st"), "dead");
}

}  // namespace
}  // namespace tachy
