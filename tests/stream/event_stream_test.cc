// event_stream_test.cc: the tachyd <-> action runner codec: every message
// type round-trips with distinctive values, the header is laid out as
// documented, and every malformed packet is refused without reading past it.
#include "detector/stream/event_stream.h"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

RunnerData Data(uint8_t first) {
  RunnerData d{};
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(first + 17 * i);
  return d;
}

// Encodes, decodes, checks seq and type, and hands back the decoded body.
template <typename M>
M RoundTrip(const M& body, uint64_t seq = 0x0102030405060708ull) {
  const std::string packet = EncodeStream({seq, body});
  absl::StatusOr<StreamMessage> back = DecodeStream(Bytes(packet));
  EXPECT_TRUE(back.ok()) << back.status();
  if (!back.ok()) return M{};
  EXPECT_EQ(back->seq, seq);
  EXPECT_EQ(StreamTypeOf(back->body), StreamTypeOf(StreamBody(body)));
  const M* m = std::get_if<M>(&back->body);
  EXPECT_NE(m, nullptr);
  if (m == nullptr) return M{};
  // Re-encoding what came back gives the same bytes: no field was lost.
  EXPECT_EQ(EncodeStream({seq, *m}), packet);
  return *m;
}

TakeoverMsg SampleTakeover() {
  TakeoverMsg m;
  m.group = "10.0.0.1 apache2";
  m.ok = true;
  m.cause = "peer b dead";
  m.peer = "b";
  m.last_frame_ns = 1'000'000'001;
  m.verdict_ns = 1'020'000'002;
  m.decision_ns = 1'020'000'103;
  m.vip_ns = 1'020'100'004;
  m.garp_ns = 1'020'200'005;
  m.resources = {{"apache2", 1'050'000'006}, {"", -7}, {"mysql", 1'090'000'008}};
  m.done_ns = 1'100'000'009;
  m.error = "";
  return m;
}

// ---------------------------------------------------------------------------
// Round trips

TEST(EventStreamTest, HelloRoundTripsWithPeers) {
  HelloMsg h;
  h.node = "alpha";
  h.generation = 0xfedcba9876543210ull;
  h.keepalive_ns = 2'000'000;
  h.deadtime_ns = -20'000'000;
  PeerSnapshot b;
  b.node = "b";
  b.state = WirePeerState::kLate;
  b.generation = 0x8000000000000001ull;
  b.since_ns = -123456789012345;
  b.last_heard_ns = 0x7fffffffffffffffll;
  b.data = Data(0xa0);
  b.ready = true;
  PeerSnapshot c;
  c.node = "";
  c.state = WirePeerState::kDead;
  c.generation = 0;
  c.since_ns = 0;
  c.last_heard_ns = 0;
  c.data = Data(0x01);
  c.ready = false;
  h.peers = {b, c};

  const HelloMsg m = RoundTrip(h, 0xffffffffffffffffull);
  EXPECT_EQ(m.node, "alpha");
  EXPECT_EQ(m.generation, 0xfedcba9876543210ull);
  EXPECT_EQ(m.keepalive_ns, 2'000'000);
  EXPECT_EQ(m.deadtime_ns, -20'000'000);
  ASSERT_EQ(m.peers.size(), 2u);
  EXPECT_EQ(m.peers[0].node, "b");
  EXPECT_EQ(m.peers[0].state, WirePeerState::kLate);
  EXPECT_EQ(m.peers[0].generation, 0x8000000000000001ull);
  EXPECT_EQ(m.peers[0].since_ns, -123456789012345);
  EXPECT_EQ(m.peers[0].last_heard_ns, 0x7fffffffffffffffll);
  EXPECT_EQ(m.peers[0].data, Data(0xa0));
  EXPECT_TRUE(m.peers[0].ready);
  EXPECT_EQ(m.peers[1].node, "");
  EXPECT_EQ(m.peers[1].state, WirePeerState::kDead);
  EXPECT_EQ(m.peers[1].data, Data(0x01));
  EXPECT_FALSE(m.peers[1].ready);
}

TEST(EventStreamTest, HelloWithoutPeersRoundTrips) {
  HelloMsg h;
  h.node = "a";
  const HelloMsg m = RoundTrip(h, 0);
  EXPECT_EQ(m.node, "a");
  EXPECT_TRUE(m.peers.empty());
}

TEST(EventStreamTest, PeerRoundTrips) {
  PeerMsg p;
  p.t_ns = -5;
  p.node = "bravo";
  p.from = WirePeerState::kUp;
  p.to = WirePeerState::kDead;
  p.generation = 0x1122334455667788ull;
  p.last_heard_ns = 987654321098765;
  p.reason = "silent for 20.1 ms (deadtime 20 ms)";
  const PeerMsg m = RoundTrip(p);
  EXPECT_EQ(m.t_ns, -5);
  EXPECT_EQ(m.node, "bravo");
  EXPECT_EQ(m.from, WirePeerState::kUp);
  EXPECT_EQ(m.to, WirePeerState::kDead);
  EXPECT_EQ(m.generation, 0x1122334455667788ull);
  EXPECT_EQ(m.last_heard_ns, 987654321098765);
  EXPECT_EQ(m.reason, "silent for 20.1 ms (deadtime 20 ms)");
}

TEST(EventStreamTest, LinkRoundTrips) {
  LinkMsg l;
  l.t_ns = 0x0123456789abcdefll;
  l.node = "c";
  l.medium = "udp:eth2";
  l.up = true;
  const LinkMsg m = RoundTrip(l);
  EXPECT_EQ(m.t_ns, 0x0123456789abcdefll);
  EXPECT_EQ(m.node, "c");
  EXPECT_EQ(m.medium, "udp:eth2");
  EXPECT_TRUE(m.up);

  l.up = false;
  l.medium = "";
  const LinkMsg down = RoundTrip(l);
  EXPECT_FALSE(down.up);
  EXPECT_EQ(down.medium, "");
}

TEST(EventStreamTest, PeerAdvertRoundTrips) {
  PeerAdvertMsg a;
  a.t_ns = -1;
  a.node = "b";
  a.data = Data(0xf0);
  a.ready = true;
  const PeerAdvertMsg m = RoundTrip(a);
  EXPECT_EQ(m.t_ns, -1);
  EXPECT_EQ(m.node, "b");
  EXPECT_EQ(m.data, Data(0xf0));
  EXPECT_TRUE(m.ready);
}

TEST(EventStreamTest, TickRoundTrips) {
  TickMsg t;
  t.t_ns = 4'000'000'000'123;
  t.frames_sent = 0xdeadbeefcafef00dull;
  const TickMsg m = RoundTrip(t);
  EXPECT_EQ(m.t_ns, 4'000'000'000'123);
  EXPECT_EQ(m.frames_sent, 0xdeadbeefcafef00dull);
}

TEST(EventStreamTest, RequestRoundTrips) {
  RequestMsg r;
  r.id = 0x0000000100000002ull;
  r.what = "standby";
  r.scope = "foreign";
  const RequestMsg m = RoundTrip(r);
  EXPECT_EQ(m.id, 0x0000000100000002ull);
  EXPECT_EQ(m.what, "standby");
  EXPECT_EQ(m.scope, "foreign");
}

TEST(EventStreamTest, AdvertRoundTrips) {
  AdvertMsg a;
  a.data = Data(0x33);
  a.ready = false;
  a.holds = true;
  const AdvertMsg m = RoundTrip(a, 0);
  EXPECT_EQ(m.data, Data(0x33));
  EXPECT_FALSE(m.ready);
  EXPECT_TRUE(m.holds);
}

TEST(EventStreamTest, GroupsRoundTrips) {
  GroupsMsg g;
  g.json = R"([{"group":"10.0.0.1","state":"running"}])";
  EXPECT_EQ(RoundTrip(g, 0).json, g.json);
  EXPECT_EQ(RoundTrip(GroupsMsg{}, 0).json, "");
}

TEST(EventStreamTest, ReplyRoundTrips) {
  ReplyMsg r;
  r.id = 0xffffffffffffffffull;
  r.ok = true;
  r.message = "released 2 groups";
  const ReplyMsg m = RoundTrip(r, 0);
  EXPECT_EQ(m.id, 0xffffffffffffffffull);
  EXPECT_TRUE(m.ok);
  EXPECT_EQ(m.message, "released 2 groups");
}

TEST(EventStreamTest, TakeoverRoundTripsWithResources) {
  const TakeoverMsg m = RoundTrip(SampleTakeover(), 0);
  EXPECT_EQ(m.group, "10.0.0.1 apache2");
  EXPECT_TRUE(m.ok);
  EXPECT_EQ(m.cause, "peer b dead");
  EXPECT_EQ(m.peer, "b");
  EXPECT_EQ(m.last_frame_ns, 1'000'000'001);
  EXPECT_EQ(m.verdict_ns, 1'020'000'002);
  EXPECT_EQ(m.decision_ns, 1'020'000'103);
  EXPECT_EQ(m.vip_ns, 1'020'100'004);
  EXPECT_EQ(m.garp_ns, 1'020'200'005);
  ASSERT_EQ(m.resources.size(), 3u);
  EXPECT_EQ(m.resources[0].name, "apache2");
  EXPECT_EQ(m.resources[0].done_ns, 1'050'000'006);
  EXPECT_EQ(m.resources[1].name, "");
  EXPECT_EQ(m.resources[1].done_ns, -7);
  EXPECT_EQ(m.resources[2].name, "mysql");
  EXPECT_EQ(m.resources[2].done_ns, 1'090'000'008);
  EXPECT_EQ(m.done_ns, 1'100'000'009);
  EXPECT_EQ(m.error, "");
}

TEST(EventStreamTest, ArpConflictRoundTrips) {
  ArpConflictMsg a;
  a.t_ns = -9'000'000'000;
  a.ip = "10.0.0.1";
  a.mac = "02:00:00:00:00:0b";
  a.iface = "eth0";
  const ArpConflictMsg m = RoundTrip(a, 0);
  EXPECT_EQ(m.t_ns, -9'000'000'000);
  EXPECT_EQ(m.ip, "10.0.0.1");
  EXPECT_EQ(m.mac, "02:00:00:00:00:0b");
  EXPECT_EQ(m.iface, "eth0");
}

TEST(EventStreamTest, MonitorRoundTrips) {
  MonitorMsg a{7'000'000'001, "10.0.0.5", "httpd", "main process 4242 exited",
               "restarting it here (restart 1 of 1 within 5m)"};
  const MonitorMsg m = RoundTrip(a, 0);
  EXPECT_EQ(m.t_ns, 7'000'000'001);
  EXPECT_EQ(m.group, "10.0.0.5");
  EXPECT_EQ(m.resource, "httpd");
  EXPECT_EQ(m.what, "main process 4242 exited");
  EXPECT_EQ(m.action, "restarting it here (restart 1 of 1 within 5m)");
}

TEST(EventStreamTest, HeartbeatMessagesRoundTrip) {
  HbMessageMsg a{"test001", 0x6b0ec818, true,
                 {{"t", "ask_resources"}, {"rsc_hold", "foreign"}, {"info", "me"}}};
  const HbMessageMsg m = RoundTrip(a, 9);
  EXPECT_EQ(m.node, "test001");
  EXPECT_EQ(m.generation, 0x6b0ec818u);
  EXPECT_TRUE(m.heartbeat);
  ASSERT_EQ(m.fields.size(), 3u);
  EXPECT_EQ(m.fields[2].name, "info");
  EXPECT_EQ(m.fields[2].value, "me");
  const HbSendMsg s = RoundTrip(HbSendMsg{{{"t", "starting"}}}, 0);
  ASSERT_EQ(s.fields.size(), 1u);
  EXPECT_EQ(s.fields[0].value, "starting");
}

TEST(EventStreamTest, TimingRoundTrips) {
  const TimingMsg t = RoundTrip(TimingMsg{2'000'000, 10'000'000, 20'000'000}, 4);
  EXPECT_EQ(t.keepalive_ns, 2'000'000);
  EXPECT_EQ(t.warntime_ns, 10'000'000);
  EXPECT_EQ(t.deadtime_ns, 20'000'000);
}

TEST(EventStreamTest, TypeOfEveryAlternative) {
  EXPECT_EQ(StreamTypeOf(TimingMsg{}), StreamType::kTiming);
  EXPECT_EQ(StreamTypeOf(HbMessageMsg{}), StreamType::kHbMessage);
  EXPECT_EQ(StreamTypeOf(HbSendMsg{}), StreamType::kHbSend);
  EXPECT_EQ(StreamTypeOf(HelloMsg{}), StreamType::kHello);
  EXPECT_EQ(StreamTypeOf(PeerMsg{}), StreamType::kPeer);
  EXPECT_EQ(StreamTypeOf(LinkMsg{}), StreamType::kLink);
  EXPECT_EQ(StreamTypeOf(PeerAdvertMsg{}), StreamType::kPeerAdvert);
  EXPECT_EQ(StreamTypeOf(TickMsg{}), StreamType::kTick);
  EXPECT_EQ(StreamTypeOf(RequestMsg{}), StreamType::kRequest);
  EXPECT_EQ(StreamTypeOf(AdvertMsg{}), StreamType::kAdvert);
  EXPECT_EQ(StreamTypeOf(GroupsMsg{}), StreamType::kGroups);
  EXPECT_EQ(StreamTypeOf(ReplyMsg{}), StreamType::kReply);
  EXPECT_EQ(StreamTypeOf(TakeoverMsg{}), StreamType::kTakeover);
  EXPECT_EQ(StreamTypeOf(ArpConflictMsg{}), StreamType::kArpConflict);
  EXPECT_EQ(StreamTypeOf(MonitorMsg{}), StreamType::kMonitor);
}

// ---------------------------------------------------------------------------
// Layout

TEST(EventStreamTest, HeaderLayout) {
  TickMsg t;
  t.t_ns = 0x1112131415161718ll;
  t.frames_sent = 0x2122232425262728ull;
  const std::string p = EncodeStream({0x0102030405060708ull, t});
  ASSERT_EQ(p.size(), kStreamHeaderSize + 16);
  const std::vector<uint8_t> b(p.begin(), p.end());
  EXPECT_EQ(b[0], 0x54);  // 'T'
  EXPECT_EQ(b[1], 0x45);  // 'E'
  EXPECT_EQ(b[2], kStreamVersion);
  EXPECT_EQ(b[3], static_cast<uint8_t>(StreamType::kTick));
  EXPECT_EQ(b[3], 5);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(b[4 + i], i + 1) << "seq byte " << i;
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(b[12 + i], 0x11 + i) << "t_ns byte " << i;
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(b[20 + i], 0x21 + i) << "frames_sent byte " << i;
}

TEST(EventStreamTest, StringsAndListsAreLengthPrefixed) {
  GroupsMsg g;
  g.json = "abc";
  const std::string p = EncodeStream({0, g});
  ASSERT_EQ(p.size(), kStreamHeaderSize + 2 + 3);
  EXPECT_EQ(static_cast<uint8_t>(p[12]), 0);
  EXPECT_EQ(static_cast<uint8_t>(p[13]), 3);
  EXPECT_EQ(p.substr(14), "abc");

  HelloMsg h;  // empty node, four 8-byte integers, no peers
  const std::string hp = EncodeStream({0, h});
  ASSERT_EQ(hp.size(), kStreamHeaderSize + 2 + 8 * 3 + 2);
  EXPECT_EQ(hp.substr(hp.size() - 2), std::string(2, '\0'));
}

// ---------------------------------------------------------------------------
// Rejects

void ExpectInvalid(const std::string& packet, const std::string& words) {
  absl::StatusOr<StreamMessage> m = DecodeStream(Bytes(packet));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr(words));
}

TEST(EventStreamTest, RejectsShorterThanHeader) {
  const std::string p = EncodeStream({7, TickMsg{}});
  for (size_t n = 0; n < kStreamHeaderSize; ++n) {
    SCOPED_TRACE(n);
    ExpectInvalid(p.substr(0, n), "shorter than the header");
  }
}

TEST(EventStreamTest, RejectsBadMagic) {
  std::string p = EncodeStream({7, TickMsg{}});
  p[1] = 0x46;
  ExpectInvalid(p, "bad magic 0x5446");
  p[0] = 0x45;
  p[1] = 0x54;  // byte-swapped magic
  ExpectInvalid(p, "bad magic");
}

TEST(EventStreamTest, RejectsOtherVersionNamingBoth) {
  std::string p = EncodeStream({7, TickMsg{}});
  p[2] = static_cast<char>(kStreamVersion + 1);
  absl::StatusOr<StreamMessage> m = DecodeStream(Bytes(p));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(m.status().message(), HasSubstr(absl::StrCat("version ", kStreamVersion + 1)));
  EXPECT_THAT(m.status().message(), HasSubstr(absl::StrCat("speaks ", kStreamVersion)));
}

TEST(EventStreamTest, RejectsUnknownTypes) {
  const std::string good = EncodeStream({7, TickMsg{}});
  for (int type : {0, 9, 15, 23, 255}) {
    SCOPED_TRACE(type);
    std::string p = good;
    p[3] = static_cast<char>(type);
    ExpectInvalid(p, absl::StrCat("unknown type ", type));
  }
}

TEST(EventStreamTest, RejectsEveryTruncation) {
  const std::string p = EncodeStream({42, SampleTakeover()});
  for (size_t n = 0; n < p.size(); ++n) {
    SCOPED_TRACE(n);
    // A copy of exactly n bytes, so a read past it would be caught by ASan.
    const std::vector<uint8_t> prefix(p.begin(), p.begin() + n);
    absl::StatusOr<StreamMessage> m = DecodeStream(prefix);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(DecodeStream(Bytes(p)).ok());
}

TEST(EventStreamTest, RejectsTrailingByte) {
  for (const StreamBody& body :
       {StreamBody(SampleTakeover()), StreamBody(TickMsg{}), StreamBody(GroupsMsg{})}) {
    std::string p = EncodeStream({1, body});
    p.push_back('\0');
    ExpectInvalid(p, "trailing bytes");
  }
}

TEST(EventStreamTest, RejectsListCountBeyondTheMessage) {
  HelloMsg h;
  h.node = "a";
  std::string p = EncodeStream({1, h});
  // The peer count is the last two bytes; claim 65535 peers in 0 bytes.
  p[p.size() - 2] = '\xff';
  p[p.size() - 1] = '\xff';
  ExpectInvalid(p, "list longer than the message");

  // Same for the takeover's resources: a count of 0xffff over a short tail.
  TakeoverMsg t;
  std::string q = EncodeStream({1, t});
  // group, cause, peer are empty strings (2 bytes each), ok is 1 byte, then
  // five 8-byte times: the resource count follows at 12 + 2+1+2+2 + 40.
  const size_t at = kStreamHeaderSize + 2 + 1 + 2 + 2 + 5 * 8;
  ASSERT_EQ(q[at], '\0');
  ASSERT_EQ(q[at + 1], '\0');
  q[at] = '\xff';
  q[at + 1] = '\xff';
  ExpectInvalid(q, "list longer than the message");
}

TEST(EventStreamTest, RejectsStringLengthBeyondTheMessage) {
  GroupsMsg g;
  g.json = "abc";
  std::string p = EncodeStream({0, g});
  p[13] = 4;
  ExpectInvalid(p, "runs past the end");
}

// The detector thread's allocation-free tick is the very packet the codec
// makes, so the runner reads it like any other message.
// Hardening row 2: JSON messages of the wrong types killed tachyd when the
// stream was JSON. The typed codec refuses them as a whole, with a reason.
TEST(EventStreamTest, TheAuditsJsonMessagesAreRefused) {
  for (const char* json : {R"({"type":1})", R"({"type":"advertise","held":"x"})",
                           R"({"type":"reply","id":"1"})"}) {
    SCOPED_TRACE(json);
    const std::string p(json);
    EXPECT_FALSE(DecodeStream({reinterpret_cast<const uint8_t*>(p.data()), p.size()}).ok());
  }
}

TEST(EventStreamTest, BoolsAndStatesOutOfRangeAreRefused) {
  std::string p = EncodeStream({0, ReplyMsg{1, true, "m"}});
  // The bool follows the 12-byte header and the 8-byte id.
  ASSERT_EQ(p[kStreamHeaderSize + 8], 1);
  p[kStreamHeaderSize + 8] = 2;
  ExpectInvalid(p, "bool of value 2");
  PeerMsg m;
  m.node = "b";
  std::string q = EncodeStream({1, m});
  // t_ns (8), node (2 + 1), then `from`.
  q[kStreamHeaderSize + 8 + 3] = 9;
  ExpectInvalid(q, "peer state 9");
}

TEST(EventStreamTest, TickEncodedInPlaceIsTheCodecsTick) {
  std::array<uint8_t, kTickSize> buf{};
  EncodeTickInto(buf, -123'456'789'012, 0x0102030405060708);
  const std::string want = EncodeStream({0, TickMsg{-123'456'789'012, 0x0102030405060708}});
  ASSERT_EQ(want.size(), kTickSize);
  EXPECT_EQ(std::string(buf.begin(), buf.end()), want);
  absl::StatusOr<StreamMessage> m = DecodeStream(buf);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->seq, 0u);
  EXPECT_EQ(std::get<TickMsg>(m->body).frames_sent, 0x0102030405060708u);
}

}  // namespace
}  // namespace tachy
