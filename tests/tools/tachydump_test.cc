// tachydump_test.cc: decoding, verification, statistics and a golden capture.
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "arp/garp.h"
#include "detector/auth.h"
#include "detector/config/authkeys_file.h"
#include "detector/frame.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/file_text.h"
#include "tests/support/frame_builder.h"
#include "tools/tachydump_capture.h"
#include "tools/tachydump_decode.h"
#include "tools/tachydump_stats.h"
#include "tests/support/heartbeat_message_builder.h"

namespace tachy::dump {
namespace {

using testing::HasSubstr;

// Index 1 is the key of a known Heartbeat 3 digest; tachy frames use index 3.
constexpr char kAuthKeys[] = "auth 3\n1 sha1 HI!\n3 sha256 tachy-secret\n";

constexpr MacAddress kMacA = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
constexpr MacAddress kMacB = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
constexpr MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

constexpr uint32_t kIpA = 0x0a000001;      // 10.0.0.1
constexpr uint32_t kIpB = 0x0a000002;      // 10.0.0.2
constexpr uint32_t kIpBcast = 0x0a0000ff;  // 10.0.0.255

// 2023-11-14 22:13:20 UTC.
constexpr int64_t kBaseNs = int64_t{1700000000} * 1'000'000'000;
int64_t T(int64_t ms) { return kBaseNs + ms * 1'000'000; }

std::vector<uint8_t> Bytes(absl::string_view s) { return {s.begin(), s.end()}; }

void Put16(std::vector<uint8_t>* v, uint16_t x) {
  v->push_back(static_cast<uint8_t>(x >> 8));
  v->push_back(static_cast<uint8_t>(x));
}
void Put32(std::vector<uint8_t>* v, uint32_t x) {
  Put16(v, static_cast<uint16_t>(x >> 16));
  Put16(v, static_cast<uint16_t>(x));
}

std::vector<uint8_t> Ether(const MacAddress& dst, const MacAddress& src, uint16_t type,
                           std::span<const uint8_t> payload) {
  std::vector<uint8_t> out(dst.begin(), dst.end());
  out.insert(out.end(), src.begin(), src.end());
  Put16(&out, type);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// An IPv4 datagram of protocol `proto` in an Ethernet frame.
std::vector<uint8_t> Ipv4(const MacAddress& src_mac, uint32_t src, uint32_t dst, uint8_t proto,
                          std::span<const uint8_t> body) {
  std::vector<uint8_t> ip;
  ip.push_back(0x45);
  ip.push_back(0);
  Put16(&ip, static_cast<uint16_t>(20 + body.size()));
  Put16(&ip, 0);
  Put16(&ip, 0x4000);  // DF
  ip.push_back(64);
  ip.push_back(proto);
  Put16(&ip, 0);
  Put32(&ip, src);
  Put32(&ip, dst);
  ip.insert(ip.end(), body.begin(), body.end());
  return Ether(kBroadcast, src_mac, 0x0800, ip);
}

std::vector<uint8_t> Udp(const MacAddress& src_mac, uint32_t src, uint32_t dst, uint16_t sport,
                         uint16_t dport, std::span<const uint8_t> payload) {
  std::vector<uint8_t> udp;
  Put16(&udp, sport);
  Put16(&udp, dport);
  Put16(&udp, static_cast<uint16_t>(8 + payload.size()));
  Put16(&udp, 0);
  udp.insert(udp.end(), payload.begin(), payload.end());
  return Ipv4(src_mac, src, dst, 17, udp);
}

// UDP over IPv6 from fe80::1 to ff02::1.
std::vector<uint8_t> Udp6(uint16_t port, std::span<const uint8_t> payload) {
  std::vector<uint8_t> ip = {0x60, 0, 0, 0};
  Put16(&ip, static_cast<uint16_t>(8 + payload.size()));
  ip.push_back(17);
  ip.push_back(1);
  const uint8_t src[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const uint8_t dst[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  ip.insert(ip.end(), std::begin(src), std::end(src));
  ip.insert(ip.end(), std::begin(dst), std::end(dst));
  Put16(&ip, port);
  Put16(&ip, port);
  Put16(&ip, static_cast<uint16_t>(8 + payload.size()));
  Put16(&ip, 0);
  ip.insert(ip.end(), payload.begin(), payload.end());
  return Ether(kBroadcast, kMacA, 0x86DD, ip);
}

std::vector<uint8_t> Raw(const MacAddress& src, std::span<const uint8_t> frame) {
  return Ether(kBroadcast, src, kEtherType, frame);
}

using Field = HbField;

// The §4.8 example node: alice, seq 2a, generation 1b.
std::vector<Field> StatusFields(absl::string_view src, absl::string_view seq,
                                absl::string_view hg) {
  return {
      {.name = "t", .value = "status"},
      {.name = "st", .value = "active"},
      {.name = "dt", .value = "7530"},
      {.name = "protocol", .value = "1"},
      {.name = "src", .value = std::string(src)},
      {.type = 1,
       .name = "srcuuid",
       .value = absl::HexStringToBytes("3f2504e04f8941d39a0c0305e82c3301")},
      {.name = "seq", .value = std::string(seq)},
      {.name = "hg", .value = std::string(hg)},
      {.name = "ts", .value = "6553f100"},
      {.name = "ld", .value = "0.00 0.01 0.05 1/123 4567"},
      {.name = "ttl", .value = "3"},
  };
}

// A netstring message as cluster-glue >= 1.0.10 sends it: inner auth field
// plus trailer, both with sha1 key "HI!" index 1.
std::string NetstringMessage(std::vector<Field> fields) {
  const std::string inner = HeartbeatDigest(AuthMethod::kSha1, "HI!", ClassicBody(fields));
  fields.push_back({.name = "auth", .value = absl::StrCat("1 ", inner)});
  const std::string body = NetstringBody(fields);
  return body + Netstring(absl::StrCat("1 ", HeartbeatDigest(AuthMethod::kSha1, "HI!", body)));
}

// The old text format: >>>, fields, auth=, <<<, and the C string's NUL.
std::string ClassicMessage(const std::vector<Field>& fields, int index = 1) {
  const std::string body = ClassicBody(fields);
  return absl::StrCat(">>>\n", body, "auth=", index, " ",
                      HeartbeatDigest(AuthMethod::kSha1, "HI!", body), "\n<<<\n",
                      absl::string_view("\0", 1));
}

std::vector<uint8_t> Garp(const MacAddress& mac, absl::string_view ip, bool reply) {
  absl::StatusOr<std::vector<uint8_t>> frame = BuildGarpFrame(mac, ip, reply);
  EXPECT_TRUE(frame.ok()) << frame.status();
  return frame.ok() ? *frame : std::vector<uint8_t>();
}

// An ordinary ARP packet (not gratuitous).
std::vector<uint8_t> Arp(bool reply, const MacAddress& sender_mac, uint32_t sender_ip,
                         const MacAddress& target_mac, uint32_t target_ip) {
  std::vector<uint8_t> arp;
  Put16(&arp, 1);
  Put16(&arp, 0x0800);
  arp.push_back(6);
  arp.push_back(4);
  Put16(&arp, reply ? 2 : 1);
  arp.insert(arp.end(), sender_mac.begin(), sender_mac.end());
  Put32(&arp, sender_ip);
  arp.insert(arp.end(), target_mac.begin(), target_mac.end());
  Put32(&arp, target_ip);
  return Ether(reply ? target_mac : kBroadcast, sender_mac, 0x0806, arp);
}

std::string NodeHex(absl::string_view name) { return absl::StrFormat("0x%08x", NameId(name)); }

class TachydumpTest : public testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<AuthKeys> keys = ParseAuthKeys(kAuthKeys, "authkeys");
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = *keys;
    absl::StatusOr<KeyRing> ring = KeyRing::Create(keys_);
    ASSERT_TRUE(ring.ok()) << ring.status();
    ring_.emplace(*std::move(ring));
    absl::StatusOr<std::unique_ptr<Authenticator>> wrong =
        Authenticator::Create(AuthMethod::kSha256, "not-the-secret");
    ASSERT_TRUE(wrong.ok());
    wrong_ = *std::move(wrong);
  }

  Dumper NewDumper(bool with_keys = true) {
    DumperOptions options;
    if (with_keys) options.keys = keys_;
    options.nodes = {"alice", "bob"};
    absl::StatusOr<Dumper> d = Dumper::Create(options);
    EXPECT_TRUE(d.ok()) << d.status();
    return *std::move(d);
  }

  const Authenticator& signer() const { return *ring_->Find(3); }

  // A signed tachy heartbeat from `node`.
  std::vector<uint8_t> Tachy(absl::string_view node, uint64_t generation, uint64_t seq) const {
    return FrameBuilder()
        .KeyId(3)
        .Node(node)
        .Generation(generation)
        .Sequence(seq)
        .IntervalUs(100000)
        .DeadtimeUs(1000000)
        .SignedBy(signer());
  }

  static std::string Feed(Dumper& d, int64_t ts_ns, const std::vector<uint8_t>& packet) {
    return d.Process(ts_ns, packet, static_cast<uint32_t>(packet.size()), LinkType::kEthernet);
  }

  AuthKeys keys_;
  std::optional<KeyRing> ring_;
  std::unique_ptr<Authenticator> wrong_;
};

// ---------------------------------------------------------------------------
// Decoding: one line per packet.

TEST_F(TachydumpTest, TachyRawFrameShowsEveryField) {
  Dumper d = NewDumper();
  const std::vector<uint8_t> frame = FrameBuilder()
                                         .KeyId(3)
                                         .Node("alice")
                                         .Generation(3)
                                         .Sequence(42)
                                         .Flags(kFlagActionsReady)
                                         .State(SenderState::kStandby)
                                         .IntervalUs(100000)
                                         .DeadtimeUs(1000000)
                                         .Held(0x5)
                                         .Wants(0x2)
                                         .Declines(0x8)
                                         .Digest(0xdeadbeef)
                                         .SendTimeNs(12'500'000'001)
                                         .SignedBy(signer());
  EXPECT_EQ(Feed(d, T(0), Raw(kMacA, frame)),
            absl::StrCat("22:13:20.000000 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff: tachy heartbeat "
                         "node alice (",
                         NodeHex("alice"),
                         ") cluster linux-ha gen 3 seq 42 state standby flags 0x01<actions-ready> "
                         "keepalive 100ms deadtime 1s held 0x5 wants 0x2 declines 0x8 digest "
                         "0xdeadbeef sent 12.500000001 key 3 tag 16: ok"));
}

TEST_F(TachydumpTest, TachyInUdpAndUnknownNodeId) {
  Dumper d = NewDumper();
  const std::vector<uint8_t> frame = FrameBuilder()
                                         .KeyId(3)
                                         .Node("mallory")
                                         .Cluster("other")
                                         .Type(FrameType::kLeave)
                                         .State(SenderState::kLeaving)
                                         .IntervalUs(1500)
                                         .DeadtimeUs(250)
                                         .SignedBy(signer());
  const std::string line = Feed(d, T(1), Udp(kMacB, kIpB, kIpBcast, 40000, 694, frame));
  EXPECT_THAT(line, testing::StartsWith(absl::StrCat(
                        "22:13:20.001000 IP 10.0.0.2.40000 > 10.0.0.255.694: tachy leave node ",
                        NodeHex("mallory"), " cluster ", NodeHex("other"), " gen 1 seq 1 ")));
  EXPECT_THAT(line, HasSubstr("state leaving flags 0x00 keepalive 1.500ms deadtime 250us"));
  EXPECT_THAT(line, testing::EndsWith(": ok"));
}

TEST_F(TachydumpTest, HeartbeatNetstringReferenceVectorVerifies) {
  // A known Heartbeat 3 message: 304 bytes, trailer d0bc2c78... with key "HI!".
  const std::string message = NetstringMessage(StatusFields("alice", "2a", "1b"));
  ASSERT_EQ(message.size(), 304u);
  ASSERT_TRUE(absl::EndsWith(message, "%%%\n42:1 d0bc2c78425c515efa8733c190bdf3f5e7b64fc8,"));

  Dumper d = NewDumper();
  EXPECT_EQ(Feed(d, T(0), Udp(kMacA, kIpA, kIpBcast, 32768, 694, Bytes(message))),
            "22:13:20.000000 IP 10.0.0.1.32768 > 10.0.0.255.694: heartbeat netstring t=status "
            "src=alice seq=2a hg=1b st=active dt=7530 protocol=1 "
            "srcuuid=3f2504e0-4f89-41d3-9a0c-0305e82c3301 ts=6553f100 "
            "ld=\"0.00 0.01 0.05 1/123 4567\" ttl=3, length 304, key 1: ok");

  // One changed byte in the signed part breaks the trailer.
  std::string tampered = message;
  tampered.replace(tampered.find("st=active"), 9, "st=activf");
  EXPECT_THAT(Feed(d, T(1), Udp(kMacA, kIpA, kIpBcast, 32768, 694, Bytes(tampered))),
              testing::EndsWith("key 1: bad-signature"));

  // A key index we do not have.
  std::string other_index = message;
  other_index.replace(other_index.find("42:1 "), 5, "42:5 ");
  EXPECT_THAT(Feed(d, T(2), Udp(kMacA, kIpA, kIpBcast, 32768, 694, Bytes(other_index))),
              testing::EndsWith("key 5: unknown-key"));

  const PeerStats* alice = d.Peers().at(0);
  EXPECT_EQ(alice->protocol, "heartbeat");
  EXPECT_EQ(alice->node, "alice");
  EXPECT_EQ(alice->frames, 3u);
  EXPECT_EQ(alice->bad_signature, 1u);
  EXPECT_EQ(alice->unknown_key, 1u);
}

TEST_F(TachydumpTest, HeartbeatClassicVerifiesAuthField) {
  const std::string message = ClassicMessage(StatusFields("carol", "10", "3"));
  ASSERT_THAT(message, HasSubstr("(1)srcuuid=PyUE4E+JQdOaDAMF6CwzAQ==\n"));
  Dumper d = NewDumper();
  EXPECT_EQ(Feed(d, T(0), Udp(kMacB, kIpB, kIpA, 32768, 694, Bytes(message))),
            absl::StrCat("22:13:20.000000 IP 10.0.0.2.32768 > 10.0.0.1.694: heartbeat classic "
                         "t=status src=carol seq=10 hg=3 st=active dt=7530 protocol=1 "
                         "srcuuid=3f2504e0-4f89-41d3-9a0c-0305e82c3301 ts=6553f100 "
                         "ld=\"0.00 0.01 0.05 1/123 4567\" ttl=3, length ",
                         message.size(), ", key 1: ok"));
  std::string tampered = message;
  tampered.replace(tampered.find("ttl=3"), 5, "ttl=4");
  EXPECT_THAT(Feed(d, T(1), Udp(kMacB, kIpB, kIpA, 32768, 694, Bytes(tampered))),
              testing::EndsWith(": bad-signature"));
}

TEST_F(TachydumpTest, HeartbeatReferenceClassicDigest) {
  // The classic auth= value of §4.8 comes out of ClassicMessage() too.
  EXPECT_THAT(ClassicMessage(StatusFields("alice", "2a", "1b")),
              HasSubstr("\nauth=1 f75d6745b8dae174f5f918c8f4d73ba3e5ab275c\n<<<\n"));
}

TEST_F(TachydumpTest, WithoutKeysEverythingIsUnverified) {
  Dumper d = NewDumper(/*with_keys=*/false);
  EXPECT_THAT(Feed(d, T(0), Raw(kMacA, Tachy("alice", 1, 1))), testing::EndsWith(": unverified"));
  const std::string hb = NetstringMessage(StatusFields("alice", "2a", "1b"));
  EXPECT_THAT(Feed(d, T(1), Udp(kMacA, kIpA, kIpBcast, 32768, 694, Bytes(hb))),
              testing::EndsWith("key 1: unverified"));
  // Sequence checks need no keys.
  EXPECT_THAT(Feed(d, T(2), Raw(kMacA, Tachy("alice", 1, 1))),
              testing::EndsWith(": replay [duplicate] [seq not newer on raw]"));
}

TEST_F(TachydumpTest, ArpRequestsRepliesAndGratuitous) {
  Dumper d = NewDumper();
  EXPECT_EQ(Feed(d, T(0), Garp(kMacA, "192.168.1.100", false)),
            "22:13:20.000000 ARP, Gratuitous Request: 02:00:00:00:00:0a claims 192.168.1.100");
  EXPECT_EQ(Feed(d, T(1), Garp(kMacA, "192.168.1.100", true)),
            "22:13:20.001000 ARP, Gratuitous Reply: 02:00:00:00:00:0a claims 192.168.1.100");
  EXPECT_EQ(Feed(d, T(2), Arp(false, kMacB, kIpB, MacAddress{}, kIpA)),
            "22:13:20.002000 ARP, Request who-has 10.0.0.1 tell 10.0.0.2 (02:00:00:00:00:0b)");
  EXPECT_EQ(Feed(d, T(3), Arp(true, kMacA, kIpA, kMacB, kIpB)),
            "22:13:20.003000 ARP, Reply 10.0.0.1 is-at 02:00:00:00:00:0a");
  EXPECT_EQ(
      Feed(d, T(4), Arp(false, kMacB, 0, MacAddress{}, kIpA)),
      "22:13:20.004000 ARP, Request who-has 10.0.0.1 tell 0.0.0.0 (02:00:00:00:00:0b) (probe)");
  // A second MAC for the VIP: both nodes think they own it.
  EXPECT_EQ(Feed(d, T(5), Garp(kMacB, "192.168.1.100", true)),
            "22:13:20.005000 ARP, Gratuitous Reply: 02:00:00:00:00:0b claims 192.168.1.100 "
            "[192.168.1.100 also claimed by 02:00:00:00:00:0a: possible split brain]");

  ASSERT_EQ(d.arp().size(), 3u);
  const ArpIpStats& vip = d.arp().at(0xc0a80164);
  EXPECT_EQ(vip.macs.size(), 2u);
  EXPECT_EQ(vip.gratuitous, 3u);
  EXPECT_EQ(vip.requests, 1u);
  EXPECT_EQ(vip.replies, 2u);
  EXPECT_EQ(d.arp().at(kIpA).macs.size(), 1u);
  EXPECT_THAT(d.StatsText(),
              HasSubstr("ARP 192.168.1.100: 02:00:00:00:00:0a, 02:00:00:00:00:0b (3 gratuitous, "
                        "1 requests, 2 replies) POSSIBLE SPLIT BRAIN (or a move: claims did not "
                        "overlap)\n"));
  const nlohmann::ordered_json j = d.StatsJson();
  ASSERT_EQ(j["arp"].size(), 3u);
  const nlohmann::ordered_json& last = j["arp"][2];
  EXPECT_EQ(last["ip"], "192.168.1.100");
  EXPECT_EQ(last["macs"], nlohmann::ordered_json({"02:00:00:00:00:0a", "02:00:00:00:00:0b"}));
  EXPECT_EQ(last["gratuitous"], 3);
  EXPECT_EQ(last["split_brain"], true);
  EXPECT_EQ(last["overlap"], false);
  EXPECT_EQ(last["claimants"][1]["first_ns"], T(5));
  // a claims again after b began: two holders at once.
  EXPECT_THAT(Feed(d, T(6), Garp(kMacA, "192.168.1.100", true)),
              testing::EndsWith("[192.168.1.100 also claimed by 02:00:00:00:00:0b, and again after "
                                "it: split brain]"));
  EXPECT_TRUE(d.arp().at(0xc0a80164).overlap);
  EXPECT_THAT(d.StatsText(), HasSubstr("SPLIT BRAIN: claims overlapped at 22:13:20.006000"));
  EXPECT_EQ(d.StatsJson()["arp"][2]["overlap_ns"], T(6));
}

TEST_F(TachydumpTest, OtherTrafficGetsOneSummaryLine) {
  Dumper d = NewDumper();
  EXPECT_EQ(Feed(d, T(0), Udp(kMacA, kIpA, kIpB, 5353, 53, Bytes("\x12\x34 dns"))),
            "22:13:20.000000 IP 10.0.0.1.5353 > 10.0.0.2.53: UDP, length 6");
  EXPECT_EQ(Feed(d, T(0), Ipv4(kMacA, kIpA, kIpB, 6, Bytes("0123456789abcdefghij"))),
            "22:13:20.000000 IP 10.0.0.1 > 10.0.0.2: proto TCP (6), length 40");
  EXPECT_EQ(Feed(d, T(0), Ether(kBroadcast, kMacB, 0x88cc, Bytes("lldp"))),
            "22:13:20.000000 02:00:00:00:00:0b > ff:ff:ff:ff:ff:ff: ethertype 0x88cc, length 4");
  std::vector<uint8_t> fragment = Ipv4(kMacA, kIpA, kIpB, 17, Bytes("0123456789abcdef"));
  fragment[14 + 6] = 0x20;  // more fragments, offset 0
  EXPECT_EQ(Feed(d, T(0), fragment),
            "22:13:20.000000 IP 10.0.0.1 > 10.0.0.2: fragment id 0 offset 0+, proto UDP (17), "
            "length 36");
  EXPECT_EQ(d.malformed(), 0u);
  EXPECT_EQ(d.packets(), 4u);
}

TEST_F(TachydumpTest, TachyOverIpv6Udp) {
  Dumper d = NewDumper();
  EXPECT_THAT(Feed(d, T(0), Udp6(694, Tachy("bob", 2, 7))),
              testing::AllOf(testing::StartsWith("22:13:20.000000 IP6 fe80::1.694 > ff02::1.694: "
                                                 "tachy heartbeat node bob "),
                             testing::EndsWith(": ok")));
  EXPECT_THAT(Feed(d, T(1), Udp6(694, Tachy("bob", 2, 7))),
              testing::EndsWith(": replay [duplicate] [seq not newer on udp:ff02::1:694]"));
}

TEST_F(TachydumpTest, VlanAndLinuxCookedCaptures) {
  Dumper d = NewDumper();
  const std::vector<uint8_t> frame = Tachy("alice", 1, 1);
  std::vector<uint8_t> tagged = {0x00, 0x05};  // VLAN 5
  Put16(&tagged, kEtherType);
  tagged.insert(tagged.end(), frame.begin(), frame.end());
  EXPECT_THAT(Feed(d, T(0), Ether(kBroadcast, kMacA, 0x8100, tagged)),
              testing::AllOf(HasSubstr(" > ff:ff:ff:ff:ff:ff: tachy heartbeat node alice"),
                             testing::EndsWith(": ok")));

  // DLT_LINUX_SLL: packet type, ARPHRD_ETHER, address length, address, protocol.
  std::vector<uint8_t> sll;
  Put16(&sll, 1);
  Put16(&sll, 1);
  Put16(&sll, 6);
  sll.insert(sll.end(), kMacB.begin(), kMacB.end());
  Put16(&sll, 0);
  Put16(&sll, kEtherType);
  const std::vector<uint8_t> frame2 = Tachy("bob", 1, 1);
  sll.insert(sll.end(), frame2.begin(), frame2.end());
  EXPECT_THAT(
      d.Process(T(1), sll, static_cast<uint32_t>(sll.size()), LinkType::kLinuxSll),
      testing::AllOf(HasSubstr("02:00:00:00:00:0b > 00:00:00:00:00:00: tachy heartbeat node bob"),
                     testing::EndsWith(": ok")));
  EXPECT_EQ(LinkTypeFromDlt(DLT_EN10MB), LinkType::kEthernet);
  EXPECT_EQ(LinkTypeFromDlt(DLT_LINUX_SLL), LinkType::kLinuxSll);
  EXPECT_EQ(LinkTypeFromDlt(DLT_LINUX_SLL2), LinkType::kLinuxSll2);
  EXPECT_EQ(LinkTypeFromDlt(DLT_RAW), std::nullopt);
}

// ---------------------------------------------------------------------------
// Malformed input: named reasons, never a crash.

TEST_F(TachydumpTest, MalformedTachyFramesNameTheReason) {
  Dumper d = NewDumper();
  const std::vector<uint8_t> good = Tachy("alice", 1, 1);
  std::vector<uint8_t> truncated(good.begin(), good.begin() + 40);
  EXPECT_EQ(
      Feed(d, T(0), Raw(kMacA, truncated)),
      "22:13:20.000000 02:00:00:00:00:0a > ff:ff:ff:ff:ff:ff: malformed tachy: short (40 bytes)");
  std::vector<uint8_t> bad_magic = good;
  bad_magic[0] = 0x12;
  EXPECT_THAT(Feed(d, T(0), Raw(kMacA, bad_magic)),
              testing::EndsWith("malformed tachy: bad_magic (0x1259)"));
  std::vector<uint8_t> bad_version = good;
  bad_version[2] = 2;
  EXPECT_THAT(Feed(d, T(0), Raw(kMacA, bad_version)),
              testing::EndsWith("malformed tachy: bad_version (version 2 type 1)"));
  std::vector<uint8_t> bad_type = good;
  bad_type[3] = 9;
  EXPECT_THAT(Feed(d, T(0), Raw(kMacA, bad_type)),
              testing::EndsWith("malformed tachy: bad_version (version 1 type 9)"));
  std::vector<uint8_t> no_tag = good;
  no_tag[6] = 0;
  EXPECT_THAT(
      Feed(d, T(0), Udp(kMacA, kIpA, kIpB, 694, 694, no_tag)),
      testing::EndsWith("IP 10.0.0.1.694 > 10.0.0.2.694: malformed tachy: bad_tag (tag length 0)"));
  // Cut by the snapshot length, not by the sender.
  const std::vector<uint8_t> packet = Raw(kMacA, good);
  EXPECT_THAT(d.Process(T(0), std::span<const uint8_t>(packet).first(60),
                        static_cast<uint32_t>(packet.size()), LinkType::kEthernet),
              testing::EndsWith("malformed tachy: short (46 bytes) [truncated by snaplen]"));
  EXPECT_EQ(d.malformed(), 6u);
  EXPECT_TRUE(d.Peers().empty());  // nothing was attributed to a node
}

TEST_F(TachydumpTest, MalformedLowerLayersAndHeartbeat) {
  Dumper d = NewDumper();
  EXPECT_EQ(Feed(d, T(0), std::vector<uint8_t>(10, 0)),
            "22:13:20.000000 malformed Ethernet: truncated header (10 bytes)");
  EXPECT_THAT(
      Feed(d, T(0), Ether(kBroadcast, kMacA, 0x0800, Bytes(absl::string_view("\x45\x00\x00", 3)))),
      testing::EndsWith("malformed IPv4: truncated header (3 bytes)"));
  EXPECT_THAT(
      Feed(d, T(0),
           Ether(kBroadcast, kMacA, 0x0806, Bytes(absl::string_view("\x00\x01\x08\x00", 4)))),
      testing::EndsWith("malformed ARP: truncated (4 of 28 bytes)"));
  EXPECT_THAT(Feed(d, T(0), Udp(kMacA, kIpA, kIpB, 1, 694, Bytes("###\n11:(0)t=status,99:(0)st"))),
              testing::EndsWith("malformed heartbeat: netstring: field of 99 bytes overruns the "
                                "message at offset 22"));
  EXPECT_THAT(Feed(d, T(0), Udp(kMacA, kIpA, kIpB, 1, 694, Bytes("###\nx:(0)t=status,%%%\n"))),
              testing::EndsWith("malformed heartbeat: netstring: bad length at offset 4"));
  EXPECT_THAT(
      Feed(d, T(0), Udp(kMacA, kIpA, kIpB, 1, 694, Bytes(">>>\nt=status\nnoequals\n<<<\n"))),
      testing::EndsWith("malformed heartbeat: classic: bad field line at offset 13"));
  EXPECT_THAT(Feed(d, T(0), Udp(kMacA, kIpA, kIpB, 1, 694, Bytes(">>>\nt=status\n"))),
              testing::EndsWith("malformed heartbeat: classic: no <<< end line"));
  EXPECT_EQ(d.malformed(), 7u);
}

// Every prefix and many corruptions of every kind of packet decode without
// crashing (ASan/UBSan builds make this a real check).
TEST_F(TachydumpTest, FuzzedPacketsNeverCrash) {
  Dumper d = NewDumper();
  const std::vector<std::vector<uint8_t>> packets = {
      Raw(kMacA, Tachy("alice", 1, 1)),
      Udp(kMacA, kIpA, kIpBcast, 694, 694, Tachy("bob", 1, 1)),
      Udp(kMacA, kIpA, kIpBcast, 694, 694, Bytes(NetstringMessage(StatusFields("a", "1", "1")))),
      Udp(kMacA, kIpA, kIpBcast, 694, 694, Bytes(ClassicMessage(StatusFields("a", "1", "1")))),
      Garp(kMacA, "10.1.1.1", true),
  };
  std::mt19937 rng(12345);
  uint64_t fed = 0;
  for (const std::vector<uint8_t>& p : packets) {
    for (size_t n = 0; n <= p.size(); ++n) {
      const std::vector<uint8_t> prefix(p.begin(), p.begin() + static_cast<ptrdiff_t>(n));
      for (LinkType link : {LinkType::kEthernet, LinkType::kLinuxSll, LinkType::kLinuxSll2}) {
        d.Process(T(0), prefix, static_cast<uint32_t>(p.size()), link);
        ++fed;
      }
    }
    for (int i = 0; i < 300; ++i) {
      std::vector<uint8_t> q = p;
      for (int k = 0; k < 3; ++k) q[rng() % q.size()] = static_cast<uint8_t>(rng());
      d.Process(T(0), q, static_cast<uint32_t>(q.size()), LinkType::kEthernet);
      ++fed;
    }
  }
  EXPECT_EQ(d.packets(), fed);
  (void)d.StatsText();
  // Names from the wire are escaped, so the JSON is valid UTF-8.
  EXPECT_NO_THROW((void)d.StatsJson().dump());
}

// ---------------------------------------------------------------------------
// Verification verdicts.

TEST_F(TachydumpTest, VerdictsForKeysSignaturesAndReplays) {
  Dumper d = NewDumper();
  EXPECT_THAT(Feed(d, T(0), Raw(kMacA, Tachy("alice", 5, 10))), testing::EndsWith(": ok"));
  const std::vector<uint8_t> forged =
      FrameBuilder().KeyId(3).Node("alice").Generation(5).Sequence(11).SignedBy(*wrong_);
  EXPECT_THAT(Feed(d, T(1), Raw(kMacA, forged)), testing::EndsWith("key 3 tag 16: bad-signature"));
  const std::vector<uint8_t> unknown =
      FrameBuilder().KeyId(7).Node("alice").Generation(5).Sequence(11).SignedBy(signer());
  EXPECT_THAT(Feed(d, T(2), Raw(kMacA, unknown)), testing::EndsWith("key 7 tag 16: unknown-key"));
  // The forgeries did not move the sequence: 11 is still new.
  EXPECT_THAT(Feed(d, T(3), Raw(kMacA, Tachy("alice", 5, 11))), testing::EndsWith(": ok"));
  // Same frame again on the same medium: tachyd drops it as a replay.
  EXPECT_THAT(Feed(d, T(4), Raw(kMacA, Tachy("alice", 5, 11))),
              testing::EndsWith(": replay [duplicate] [seq not newer on raw]"));
  // The first copy over another medium is a duplicate, not a replay.
  EXPECT_THAT(Feed(d, T(5), Udp(kMacA, kIpA, kIpBcast, 694, 694, Tachy("alice", 5, 11))),
              testing::EndsWith(": ok [duplicate]"));
  EXPECT_THAT(Feed(d, T(6), Udp(kMacA, kIpA, kIpBcast, 694, 694, Tachy("alice", 5, 11))),
              testing::EndsWith(": replay [duplicate] [seq not newer on udp:10.0.0.255:694]"));
  // An older generation is a replay of a previous life.
  EXPECT_THAT(Feed(d, T(7), Raw(kMacA, Tachy("alice", 4, 100))),
              testing::EndsWith(": replay [older generation]"));
  // A newer one is a restart.
  EXPECT_THAT(Feed(d, T(8), Raw(kMacA, Tachy("alice", 6, 1))),
              testing::EndsWith(": ok [new generation]"));

  const PeerStats* alice = d.Peers().at(0);
  EXPECT_EQ(alice->frames, 9u);
  EXPECT_EQ(alice->bad_signature, 1u);
  EXPECT_EQ(alice->unknown_key, 1u);
  EXPECT_EQ(alice->replayed, 3u);
  EXPECT_EQ(alice->duplicates, 3u);
  EXPECT_EQ(alice->restarts, 1u);
  EXPECT_EQ(alice->lost, 0u);
}

// tachyd's key rule: only `auth N` and `rotate N` keys verify. Key 1 is in
// the file but neither, so its authentic frames are refused like unknown keys
// and do not move the sequence; with `rotate 1` the same frame is ok.
TEST_F(TachydumpTest, AuthenticFrameWithANonRotatingKeyIsRefusedAsTachydDoes) {
  const std::vector<uint8_t> old_key =
      FrameBuilder().KeyId(1).Node("alice").Generation(5).Sequence(11).SignedBy(*ring_->Find(1));
  Dumper d = NewDumper();
  EXPECT_THAT(Feed(d, T(0), Raw(kMacA, Tachy("alice", 5, 10))), testing::EndsWith(": ok"));
  EXPECT_THAT(Feed(d, T(1), Raw(kMacA, old_key)), testing::EndsWith("key 1 tag 20: refused-key"));
  EXPECT_THAT(Feed(d, T(2), Raw(kMacA, Tachy("alice", 5, 11))), testing::EndsWith(": ok"));
  EXPECT_EQ(d.Peers().at(0)->unknown_key, 1u);

  absl::StatusOr<AuthKeys> rotating =
      ParseAuthKeys(absl::StrCat(kAuthKeys, "rotate 1\n"), "authkeys");
  ASSERT_TRUE(rotating.ok()) << rotating.status();
  DumperOptions options;
  options.keys = *rotating;
  options.nodes = {"alice", "bob"};
  absl::StatusOr<Dumper> r = Dumper::Create(options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(Feed(*r, T(0), Raw(kMacA, old_key)), testing::EndsWith("key 1 tag 20: ok"));
}

// The resource protocol reads by name, and retransmission is counted.
TEST_F(TachydumpTest, HeartbeatNegotiationByName) {
  Dumper d = NewDumper();
  auto send = [&](int64_t ms, std::vector<Field> type_fields, absl::string_view seq) {
    std::vector<Field> f = std::move(type_fields);
    f.push_back({.name = "src", .value = "alice"});
    if (!seq.empty()) f.push_back({.name = "seq", .value = std::string(seq)});
    f.push_back({.name = "hg", .value = "1b"});
    f.push_back({.name = "ts", .value = "6553f100"});
    f.push_back({.name = "ttl", .value = "3"});
    const std::string m = NetstringMessage(f);
    return Feed(d, T(ms), Udp(kMacA, kIpA, kIpBcast, 32768, 694, Bytes(m)));
  };
  EXPECT_THAT(send(0, {{.name = "t", .value = "starting"}}, "7"),
              testing::HasSubstr("heartbeat netstring starting: t=starting src=alice"));
  EXPECT_THAT(send(1,
                   {{.name = "t", .value = "resource"},
                    {.name = "rsc_hold", .value = "local"},
                    {.name = "rtype", .value = "full"},
                    {.name = "isstable", .value = "1"},
                    {.name = "info", .value = "req_our_resources()"}},
                   "8"),
              testing::HasSubstr("resource local stable (req_our_resources()): "));
  EXPECT_THAT(send(2,
                   {{.name = "t", .value = "ask_resources"},
                    {.name = "rsc_hold", .value = "foreign"},
                    {.name = "info", .value = "other"}},
                   "9"),
              testing::HasSubstr("ask_resources other: "));
  EXPECT_THAT(send(3,
                   {{.name = "t", .value = "NS_rexmit"},
                    {.name = "dest", .value = "bob"},
                    {.name = "firstseq", .value = "20"},
                    {.name = "lastseq", .value = "20"}},
                   ""),
              testing::HasSubstr("NS_rexmit 20..20 for bob: "));
  EXPECT_THAT(send(4, {{.name = "t", .value = "shutdone"}, {.name = "st", .value = "dead"}}, "a"),
              testing::HasSubstr("shutdone: "));
  EXPECT_EQ(d.Peers().at(0)->rexmit_requests, 1u);
}

TEST_F(TachydumpTest, HeartbeatOlderGenerationIsReplayButRetransmitIsNot) {
  Dumper d = NewDumper();
  auto send = [&](int64_t ms, absl::string_view seq, absl::string_view hg) {
    const std::string m = NetstringMessage(StatusFields("alice", seq, hg));
    return Feed(d, T(ms), Udp(kMacA, kIpA, kIpBcast, 32768, 694, Bytes(m)));
  };
  EXPECT_THAT(send(0, "2a", "1b"), testing::EndsWith(": ok"));
  EXPECT_THAT(send(1, "2a", "1b"), testing::EndsWith(": ok [duplicate] [retransmission]"));
  EXPECT_THAT(send(2, "2d", "1b"), testing::EndsWith(": ok [2 lost]"));
  EXPECT_THAT(send(3, "2b", "1b"), testing::EndsWith(": ok [reordered]"));
  EXPECT_THAT(send(4, "ff", "1a"), testing::EndsWith(": replay [older generation]"));
  EXPECT_THAT(send(5, "1", "1c"), testing::EndsWith(": ok [new generation]"));
  const PeerStats* alice = d.Peers().at(0);
  EXPECT_EQ(alice->lost, 1u);
  EXPECT_EQ(alice->duplicates, 1u);
  EXPECT_EQ(alice->reordered, 1u);
  EXPECT_EQ(alice->replayed, 1u);
  EXPECT_EQ(alice->restarts, 1u);
}

// ---------------------------------------------------------------------------
// Statistics.

TEST(SeqWindowTest, CountsGapsDuplicatesAndLateArrivals) {
  SeqWindow w;
  int64_t delta = 0;
  EXPECT_EQ(w.Add(10, &delta), SeqClass::kNew);
  EXPECT_EQ(delta, 0);
  EXPECT_EQ(w.Add(13, &delta), SeqClass::kNew);
  EXPECT_EQ(delta, 2);
  EXPECT_EQ(w.Add(12, &delta), SeqClass::kReordered);
  EXPECT_EQ(delta, -1);
  EXPECT_EQ(w.Add(12, &delta), SeqClass::kDuplicate);
  EXPECT_EQ(w.Add(10, &delta), SeqClass::kDuplicate);
  EXPECT_EQ(w.Add(8, &delta), SeqClass::kReordered);  // below the first seen
  EXPECT_EQ(delta, 1);                                // 9 is missing too
  EXPECT_EQ(w.Add(9, &delta), SeqClass::kReordered);
  EXPECT_EQ(delta, -1);
  EXPECT_EQ(w.Add(13 + SeqWindow::kSize + 5, &delta), SeqClass::kNew);
  EXPECT_EQ(delta, static_cast<int64_t>(SeqWindow::kSize + 4));
  EXPECT_EQ(w.Add(13, &delta), SeqClass::kReordered);  // beyond the window
  EXPECT_EQ(delta, 0);
}

// A known schedule: alice every 100 ms, seq 5 and 6 lost, 10 duplicated,
// 13 and 14 swapped, a 500 ms silence before seq 18, then a restart.
TEST_F(TachydumpTest, PeerStatisticsFromKnownLossDuplicatesReorderAndSilence) {
  Dumper d = NewDumper();
  int64_t ms = 0;
  auto send = [&](uint64_t gen, uint64_t seq, int64_t at_ms) {
    return Feed(d, T(at_ms), Raw(kMacA, Tachy("alice", gen, seq)));
  };
  std::vector<std::string> lines;
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    if (seq == 5 || seq == 6 || seq == 13) {
      ms += 100;
      continue;
    }
    if (seq == 18) ms += 400;
    lines.push_back(send(1, seq, ms));
    if (seq == 10) lines.push_back(send(1, 10, ms + 1));
    if (seq == 14) lines.push_back(send(1, 13, ms + 2));
    ms += 100;
  }
  lines.push_back(send(2, 1, ms));

  EXPECT_THAT(lines[4], testing::EndsWith("seq 7 state active flags 0x00 keepalive 100ms "
                                          "deadtime 1s held 0x0 wants 0x0 declines 0x0 digest "
                                          "0x00000000 sent 0.000000000 key 3 tag 16: ok [2 lost]"));
  const PeerStats* alice = d.Peers().at(0);
  EXPECT_EQ(alice->frames, 20u);  // 17 + duplicate + late 13 + restart
  EXPECT_EQ(alice->lost, 2u);
  EXPECT_EQ(alice->duplicates, 1u);
  EXPECT_EQ(alice->reordered, 1u);
  EXPECT_EQ(alice->restarts, 1u);
  EXPECT_EQ(alice->replayed, 2u);  // both late copies came over the same medium
  EXPECT_EQ(alice->interval_us, 100000u);
  // The silence: seq 17 at 1600 ms, seq 18 at 2100 ms.
  EXPECT_EQ(alice->longest_silence_ns, 500'000'000);
  EXPECT_EQ(alice->longest_silence_start_ns, T(1600));

  const std::string text = d.StatsText();
  EXPECT_THAT(text, HasSubstr("tachy alice: 20 frames, interval 100.000ms\n"));
  EXPECT_THAT(text,
              HasSubstr("  inter-arrival p50 100.000ms p99 500.000ms max 500.000ms, jitter "));
  EXPECT_THAT(text, HasSubstr("  lost 2, duplicates 1, reordered 1, restarts 1, bad signature 0, "
                              "unknown key 0, replayed 2\n"));
  EXPECT_THAT(text, HasSubstr("  longest silence 500.000ms after 22:13:21.600000\n"));

  const nlohmann::ordered_json j = d.StatsJson();
  EXPECT_EQ(j["frames"], 20);
  EXPECT_EQ(j["malformed"], 0);
  ASSERT_EQ(j["peers"].size(), 1u);
  const nlohmann::ordered_json& p = j["peers"][0];
  EXPECT_EQ(p["node"], "alice");
  EXPECT_EQ(p["frames"], 20);
  EXPECT_EQ(p["lost"], 2);
  EXPECT_EQ(p["duplicates"], 1);
  EXPECT_EQ(p["reordered"], 1);
  EXPECT_EQ(p["restarts"], 1);
  EXPECT_EQ(p["replayed"], 2);
  EXPECT_EQ(p["bad_signature"], 0);
  EXPECT_EQ(p["unknown_key"], 0);
  EXPECT_DOUBLE_EQ(p["interarrival_ms"]["p50"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(p["interarrival_ms"]["max"].get<double>(), 500.0);
  EXPECT_DOUBLE_EQ(p["longest_silence_ms"].get<double>(), 500.0);
  EXPECT_EQ(p["longest_silence_after"], "2023-11-14T22:13:21.6+00:00");
}

TEST_F(TachydumpTest, JitterIsMeanAbsoluteDeviationFromTheInterval) {
  Dumper d = NewDumper();
  // Gaps 90, 110, 100, 120 ms against 100 ms: deviations 10+10+0+20 = 40 / 4.
  int64_t at = 0;
  uint64_t seq = 1;
  Feed(d, T(at), Raw(kMacA, Tachy("bob", 1, seq++)));
  for (int64_t gap : {90, 110, 100, 120}) {
    at += gap;
    Feed(d, T(at), Raw(kMacA, Tachy("bob", 1, seq++)));
  }
  const nlohmann::ordered_json p = d.StatsJson()["peers"][0];
  EXPECT_EQ(p["node"], "bob");
  EXPECT_DOUBLE_EQ(p["jitter_ms"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(p["interval_ms"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(p["interarrival_ms"]["p50"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(p["interarrival_ms"]["p99"].get<double>(), 120.0);
}

TEST_F(TachydumpTest, JsonHasEveryDocumentedKey) {
  Dumper d = NewDumper();
  Feed(d, T(0), Raw(kMacA, Tachy("alice", 1, 1)));
  const nlohmann::ordered_json j = d.StatsJson();
  std::vector<std::string> top;
  for (const auto& [key, value] : j.items()) top.push_back(key);
  EXPECT_THAT(top, testing::ElementsAre("frames", "peers", "arp", "malformed"));
  const nlohmann::ordered_json& p = j["peers"][0];
  for (const char* key :
       {"node", "frames", "bad_signature", "unknown_key", "replayed", "lost", "duplicates",
        "reordered", "restarts", "interarrival_ms", "longest_silence_ms"}) {
    EXPECT_TRUE(p.contains(key)) << key;
  }
  // One frame: no inter-arrival yet.
  EXPECT_TRUE(p["interarrival_ms"]["p50"].is_null());
  EXPECT_TRUE(p["longest_silence_ms"].is_null());
}

TEST(ParseHexTest, HeartbeatHexNumbers) {
  EXPECT_EQ(ParseHex("2a"), 42u);
  EXPECT_EQ(ParseHex("6B05F119"), 0x6b05f119u);
  EXPECT_EQ(ParseHex("ffffffffffffffff"), UINT64_MAX);
  EXPECT_EQ(ParseHex(""), std::nullopt);
  EXPECT_EQ(ParseHex("1ffffffffffffffff"), std::nullopt);
  EXPECT_EQ(ParseHex("0x1"), std::nullopt);
}

// ---------------------------------------------------------------------------
// pcap files: the same path the tool runs, and a golden output.

struct DeadCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
struct DumpCloser {
  void operator()(pcap_dumper_t* d) const { pcap_dump_close(d); }
};

struct Captured {
  int64_t ms;
  std::vector<uint8_t> bytes;
  uint32_t caplen = 0;  // 0 = all
};

void WritePcap(const std::string& path, const std::vector<Captured>& packets) {
  std::unique_ptr<pcap_t, DeadCloser> dead(
      pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO));
  ASSERT_TRUE(dead);
  std::unique_ptr<pcap_dumper_t, DumpCloser> out(pcap_dump_open(dead.get(), path.c_str()));
  ASSERT_TRUE(out) << pcap_geterr(dead.get());
  for (const Captured& c : packets) {
    pcap_pkthdr h{};
    const int64_t ns = T(c.ms);
    h.ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    h.ts.tv_usec = static_cast<suseconds_t>((ns % 1'000'000'000) / 1000);
    h.len = static_cast<uint32_t>(c.bytes.size());
    h.caplen = c.caplen != 0 ? c.caplen : h.len;
    pcap_dump(reinterpret_cast<u_char*>(out.get()), &h, c.bytes.data());
  }
}

class TachydumpPcapTest : public TachydumpTest {
 protected:
  // A bit of everything tachydump knows, in capture order.
  std::vector<Captured> Scenario() const {
    std::vector<Captured> p;
    auto raw = [&](int64_t ms, const MacAddress& mac, std::vector<uint8_t> frame) {
      p.push_back({.ms = ms, .bytes = Raw(mac, frame)});
    };
    auto udp = [&](int64_t ms, uint32_t src, std::vector<uint8_t> payload) {
      p.push_back({.ms = ms,
                   .bytes = Udp(src == kIpA ? kMacA : kMacB, src, kIpBcast, 40000, 694, payload)});
    };
    raw(0, kMacA, Tachy("alice", 5, 1));
    udp(10, kIpB, Tachy("bob", 9, 100));
    raw(100, kMacA, Tachy("alice", 5, 2));
    udp(110, kIpB, Tachy("bob", 9, 101));
    raw(200, kMacA, Tachy("alice", 5, 3));
    udp(210, kIpB, Tachy("bob", 9, 103));  // 102 lost
    raw(300, kMacA, Tachy("alice", 5, 4));
    raw(305, kMacA, Tachy("alice", 5, 4));   // replayed on raw
    raw(310, kMacB, Tachy("bob", 9, 104));   // bob's raw medium
    udp(312, kIpB, Tachy("bob", 9, 104));    // same seq via UDP
    raw(400, kMacA, Tachy("alice", 5, 6));   // 5 lost ...
    udp(401, kIpA, Tachy("alice", 5, 5));    // ... no, late via UDP
    raw(900, kMacA, Tachy("alice", 5, 7));   // after 500 ms
    raw(1000, kMacA, Tachy("alice", 6, 1));  // restart
    raw(1050, kMacA, Tachy("alice", 5, 8));  // old generation
    udp(1100, kIpA, Bytes(NetstringMessage(StatusFields("alice", "2a", "1b"))));
    udp(1150, kIpB, Bytes(ClassicMessage(StatusFields("carol", "10", "3"))));
    std::string tampered = NetstringMessage(StatusFields("alice", "2b", "1b"));
    tampered.replace(tampered.find("st=active"), 9, "st=activf");
    udp(1200, kIpA, Bytes(tampered));
    raw(1250, kMacB,
        FrameBuilder().KeyId(7).Node("bob").Generation(9).Sequence(105).SignedBy(signer()));
    raw(1300, kMacB,
        FrameBuilder().KeyId(3).Node("bob").Generation(9).Sequence(105).SignedBy(*wrong_));
    p.push_back({.ms = 1400, .bytes = Garp(kMacA, "192.168.1.100", false)});
    p.push_back({.ms = 1401, .bytes = Garp(kMacA, "192.168.1.100", true)});
    p.push_back({.ms = 1500, .bytes = Garp(kMacB, "192.168.1.100", true)});
    p.push_back({.ms = 1600, .bytes = Arp(false, kMacB, kIpB, MacAddress{}, kIpA)});
    p.push_back({.ms = 1601, .bytes = Arp(true, kMacA, kIpA, kMacB, kIpB)});
    p.push_back({.ms = 1700, .bytes = Raw(kMacA, Tachy("alice", 6, 2)), .caplen = 50});
    std::vector<uint8_t> bad_magic = Tachy("alice", 6, 2);
    bad_magic[1] = 0;
    raw(1710, kMacA, bad_magic);
    std::vector<uint8_t> no_tag = Tachy("bob", 9, 106);
    no_tag[6] = 0;
    udp(1720, kIpB, no_tag);
    udp(1730, kIpA, Bytes("###\n11:(0)t=status,999:(0)st=active,%%%\n"));
    p.push_back({.ms = 1740, .bytes = Ipv4(kMacA, kIpA, kIpB, 6, Bytes("01234567890123456789"))});
    p.push_back({.ms = 1750, .bytes = Udp(kMacA, kIpA, kIpB, 5353, 53, Bytes("dns?"))});
    p.push_back({.ms = 1760, .bytes = Ether(kBroadcast, kMacB, 0x88cc, Bytes("lldp"))});
    p.push_back(
        {.ms = 1770,
         .bytes = Ether(kBroadcast, kMacB, 0x0800, Bytes(absl::string_view("\x45\x00", 2)))});
    raw(1800, kMacA, Tachy("alice", 6, 3));
    return p;
  }

  // Runs `file` through RunCapture, as `tachydump -r FILE [FILTER]` does.
  std::string Run(const CaptureOptions& options, Dumper& d, uint64_t* packets = nullptr) {
    std::string out;
    absl::StatusOr<CaptureResult> r = RunCapture(
        options, d, [&](absl::string_view line) { absl::StrAppend(&out, line, "\n"); }, nullptr);
    EXPECT_TRUE(r.ok()) << r.status();
    if (r.ok() && packets != nullptr) *packets = r->packets;
    return out;
  }

  std::string TempPath(absl::string_view name) const {
    return absl::StrCat(testing::TempDir(), "tachydump_test_", getpid(), "_", name);
  }
};

TEST_F(TachydumpPcapTest, GoldenOutput) {
  const std::string pcap = TempPath("golden.pcap");
  WritePcap(pcap, Scenario());
  Dumper d = NewDumper();
  const std::string lines = Run({.read_file = pcap}, d);
  const std::string actual = absl::StrCat(lines, "\n", d.StatsText(), d.StatsJson().dump(2), "\n");
  std::remove(pcap.c_str());

  const char* dir = std::getenv("TACHYDUMP_GOLDEN_DIR");
  if (dir == nullptr) GTEST_SKIP() << "TACHYDUMP_GOLDEN_DIR not set (run through meson test)";
  const std::string golden = absl::StrCat(dir, "/tachydump.txt");
  if (std::getenv("TACHYDUMP_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden) << actual;
    GTEST_SKIP() << "wrote " << golden;
  }
  ASSERT_TRUE(std::ifstream(golden)) << "cannot read " << golden;
  const std::string expected_text = ReadFileText(golden);
  // Line by line, so a failure shows the lines that differ, not two pages.
  const std::vector<std::string> got = absl::StrSplit(actual, '\n');
  const std::vector<std::string> want = absl::StrSplit(expected_text, '\n');
  int reported = 0;
  for (size_t i = 0; i < std::max(got.size(), want.size()) && reported < 5; ++i) {
    const std::string g = i < got.size() ? got[i] : "<missing>";
    const std::string w = i < want.size() ? want[i] : "<missing>";
    if (g == w) continue;
    ++reported;
    ADD_FAILURE() << golden << ":" << i + 1 << "\n  expected: " << w << "\n  actual:   " << g;
  }
  if (reported > 0) {
    ADD_FAILURE() << "to accept the new output after checking it: "
                     "TACHYDUMP_UPDATE_GOLDEN=1 meson test -C BUILDDIR tachydump_test";
  }
}

TEST_F(TachydumpPcapTest, FilterCountAndWriteCopy) {
  const std::string pcap = TempPath("in.pcap");
  const std::string copy = TempPath("copy.pcap");
  WritePcap(pcap, Scenario());

  Dumper arp_only = NewDumper();
  const std::string arp_lines = Run({.read_file = pcap, .filter = "arp"}, arp_only);
  EXPECT_EQ(arp_only.packets(), 5u);
  for (absl::string_view line : absl::StrSplit(arp_lines, '\n', absl::SkipEmpty())) {
    EXPECT_THAT(line, HasSubstr(" ARP, "));
  }

  Dumper first = NewDumper();
  uint64_t captured = 0;
  const std::string head =
      Run({.read_file = pcap, .write_file = copy, .count = 3}, first, &captured);
  EXPECT_EQ(captured, 3u);

  // The copy holds exactly those packets and decodes the same.
  Dumper again = NewDumper();
  EXPECT_EQ(Run({.read_file = copy}, again), head);

  Dumper bad = NewDumper();
  absl::StatusOr<CaptureResult> r = RunCapture(
      {.read_file = pcap, .filter = "no such filter ((("}, bad, [](absl::string_view) {}, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = RunCapture(
      {.read_file = TempPath("missing.pcap")}, bad, [](absl::string_view) {}, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  std::remove(pcap.c_str());
  std::remove(copy.c_str());
}

}  // namespace
}  // namespace tachy::dump
