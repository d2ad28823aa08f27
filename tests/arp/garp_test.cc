// garp_test.cc: the exact bytes of BuildGarpFrame's request and reply (the
// send_arp layout), ParseArpClaim on them and on
// every malformed variant, and FormatMac.
#include "arp/garp.h"
#include "arp/garp_owner.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "arp/arp_watcher.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr MacAddress kMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr char kIp[] = "192.168.137.100";
constexpr uint32_t kIpHost = 0xC0A88964;  // 192.168.137.100

// One named field of the frame: [offset, offset + bytes.size()).
struct Field {
  const char* name;
  size_t offset;
  std::vector<uint8_t> bytes;
};

std::vector<Field> ExpectedFields(bool reply) {
  const std::vector<uint8_t> mac(kMac.begin(), kMac.end());
  const std::vector<uint8_t> ip = {192, 168, 137, 100};
  return {
      {.name = "eth dst (broadcast)", .offset = 0, .bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {.name = "eth src (our MAC)", .offset = 6, .bytes = mac},
      {.name = "ethertype ARP", .offset = 12, .bytes = {0x08, 0x06}},
      {.name = "htype Ethernet", .offset = 14, .bytes = {0x00, 0x01}},
      {.name = "ptype IPv4", .offset = 16, .bytes = {0x08, 0x00}},
      {.name = "hlen", .offset = 18, .bytes = {6}},
      {.name = "plen", .offset = 19, .bytes = {4}},
      {.name = "op", .offset = 20, .bytes = {0x00, static_cast<uint8_t>(reply ? 2 : 1)}},
      {.name = "sender MAC", .offset = 22, .bytes = mac},
      {.name = "sender IP (VIP)", .offset = 28, .bytes = ip},
      {.name = "target MAC",
       .offset = 32,
       .bytes = reply ? mac : std::vector<uint8_t>{0, 0, 0, 0, 0, 0}},
      {.name = "target IP (VIP)", .offset = 38, .bytes = ip},
  };
}

std::vector<uint8_t> Frame(bool reply) {
  absl::StatusOr<std::vector<uint8_t>> frame = BuildGarpFrame(kMac, kIp, reply);
  EXPECT_TRUE(frame.ok()) << frame.status();
  return frame.ok() ? *frame : std::vector<uint8_t>();
}

class GarpFrameTest : public ::testing::TestWithParam<bool> {};

TEST_P(GarpFrameTest, EveryByteMatchesSendArp) {
  const bool reply = GetParam();
  const std::vector<uint8_t> frame = Frame(reply);
  ASSERT_EQ(frame.size(), 42u);
  size_t covered = 0;
  for (const Field& field : ExpectedFields(reply)) {
    // The table is contiguous, so together the fields check all 42 bytes.
    ASSERT_EQ(field.offset, covered) << field.name;
    covered += field.bytes.size();
    ASSERT_LE(covered, frame.size()) << field.name;
    EXPECT_THAT(std::vector<uint8_t>(frame.begin() + field.offset, frame.begin() + covered),
                ElementsAreArray(field.bytes))
        << field.name;
  }
  EXPECT_EQ(covered, 42u);
}

TEST_P(GarpFrameTest, ParsesBackAsGratuitousClaim) {
  const bool reply = GetParam();
  const std::vector<uint8_t> frame = Frame(reply);
  ArpClaim claim;
  ASSERT_TRUE(ParseArpClaim(frame.data(), frame.size(), &claim));
  EXPECT_EQ(claim.sender_ip, kIpHost);
  EXPECT_EQ(claim.target_ip, kIpHost);
  EXPECT_EQ(claim.sender_mac, kMac);
  EXPECT_EQ(claim.reply, reply);
  EXPECT_TRUE(claim.gratuitous);
}

TEST_P(GarpFrameTest, EveryTruncationIsRejected) {
  const std::vector<uint8_t> frame = Frame(GetParam());
  ASSERT_EQ(frame.size(), 42u);
  for (size_t len = 0; len < frame.size(); ++len) {
    // A buffer of exactly `len` bytes, so a sanitizer build flags any
    // read past it.
    const std::vector<uint8_t> cut(frame.begin(), frame.begin() + len);
    ArpClaim claim;
    claim.sender_ip = 7;
    EXPECT_FALSE(ParseArpClaim(cut.data(), cut.size(), &claim)) << "len " << len;
    EXPECT_EQ(claim.sender_ip, 7u) << "output touched for len " << len;
  }
}

INSTANTIATE_TEST_SUITE_P(RequestAndReply, GarpFrameTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? "Reply" : "Request";
                         });

TEST(BuildArpProbeFrameTest, AsksForTheAddressWithoutClaimingIt) {
  absl::StatusOr<std::vector<uint8_t>> frame = BuildArpProbeFrame(kMac, kIp);
  ASSERT_TRUE(frame.ok()) << frame.status();
  ASSERT_EQ(frame->size(), 42u);
  const std::vector<uint8_t> bytes = *frame;
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 6),
            std::vector<uint8_t>(6, 0xff));                       // to broadcast
  EXPECT_EQ(bytes[21], 1);                                        // request
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 28, bytes.begin() + 32),
            std::vector<uint8_t>(4, 0));                          // sender IP 0.0.0.0
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin() + 32, bytes.begin() + 38),
            std::vector<uint8_t>(6, 0));                          // target MAC zero
  ArpClaim claim;
  ASSERT_TRUE(ParseArpClaim(bytes.data(), bytes.size(), &claim));
  EXPECT_EQ(claim.sender_ip, 0u);
  EXPECT_EQ(claim.target_ip, kIpHost);
  EXPECT_EQ(claim.sender_mac, kMac);
  EXPECT_FALSE(claim.gratuitous);
  EXPECT_EQ(BuildArpProbeFrame(kMac, "10.1.2").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BuildGarpFrameTest, RejectsBadIp) {
  for (const char* bad : {"", "192.168.137", "192.168.137.256", "host.example", "::1",
                          "192.168.137.100 ", "1.2.3.4.5"}) {
    absl::StatusOr<std::vector<uint8_t>> frame = BuildGarpFrame(kMac, bad, false);
    EXPECT_EQ(frame.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
}

TEST(ParseArpClaimTest, AcceptsEthernetPadding) {
  std::vector<uint8_t> frame = Frame(false);
  frame.resize(60, 0);  // minimum Ethernet frame, as received from a real NIC
  ArpClaim claim;
  EXPECT_TRUE(ParseArpClaim(frame.data(), frame.size(), &claim));
}

TEST(ParseArpClaimTest, NullFrameIsRejected) {
  ArpClaim claim;
  EXPECT_FALSE(ParseArpClaim(nullptr, 42, &claim));
}

TEST(ParseArpClaimTest, NonGratuitousRequest) {
  std::vector<uint8_t> frame = Frame(false);
  frame[41] = 1;  // who-has 192.168.137.1 tell 192.168.137.100
  ArpClaim claim;
  ASSERT_TRUE(ParseArpClaim(frame.data(), frame.size(), &claim));
  EXPECT_EQ(claim.sender_ip, kIpHost);
  EXPECT_EQ(claim.target_ip, 0xC0A88901u);
  EXPECT_FALSE(claim.gratuitous);
  EXPECT_FALSE(claim.reply);
}

struct Corruption {
  const char* name;
  size_t offset;
  uint8_t value;
};

class ParseArpClaimRejectTest : public ::testing::TestWithParam<Corruption> {};

TEST_P(ParseArpClaimRejectTest, Rejects) {
  std::vector<uint8_t> frame = Frame(true);
  ASSERT_EQ(frame.size(), 42u);
  frame[GetParam().offset] = GetParam().value;
  ArpClaim claim;
  EXPECT_FALSE(ParseArpClaim(frame.data(), frame.size(), &claim));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, ParseArpClaimRejectTest,
    ::testing::Values(Corruption{.name = "EthertypeIpv4", .offset = 13, .value = 0x00},  // 0x0800
                      Corruption{.name = "EthertypeVlan", .offset = 12, .value = 0x81},  // 0x8106
                      Corruption{.name = "HtypeIeee802", .offset = 15, .value = 6},
                      Corruption{.name = "HtypeHighByte", .offset = 14, .value = 1},  // 0x0101
                      Corruption{.name = "PtypeIpv6", .offset = 16, .value = 0x86},   // 0x8600
                      Corruption{.name = "Hlen8", .offset = 18, .value = 8},
                      Corruption{.name = "Plen16", .offset = 19, .value = 16},
                      Corruption{.name = "OpZero", .offset = 21, .value = 0},
                      Corruption{.name = "OpRarpRequest", .offset = 21, .value = 3},
                      Corruption{.name = "OpHighByte", .offset = 20, .value = 1}),  // 0x0102
    [](const ::testing::TestParamInfo<Corruption>& param_info) { return param_info.param.name; });

TEST(FormatMacTest, LowerCaseColonSeparated) {
  EXPECT_EQ(FormatMac(kMac), "02:00:00:00:00:01");
  EXPECT_EQ(FormatMac({0xaa, 0xBB, 0x0c, 0xd0, 0xee, 0xff}), "aa:bb:0c:d0:ee:ff");
  EXPECT_EQ(FormatMac({}), "00:00:00:00:00:00");
}

// A missing interface is prepared for later (it may appear); announcing on
// it meanwhile fails, naming it.
TEST(GarpOwnerTest, AnnounceOnAnUnknownInterfaceNamesIt) {
  GarpOwner owner;
  absl::StatusOr<GarpOwner::AddressId> id = owner.AddAddress("nosuchif9", "10.77.0.5");
  ASSERT_TRUE(id.ok()) << id.status();
  const absl::Status s = owner.Announce(*id);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("nosuchif9"));
  EXPECT_EQ(owner.mac("nosuchif9"), nullptr);
}

TEST(ArpWatcherTest, OpenUnknownInterfaceNamesIt) {
  absl::StatusOr<std::unique_ptr<ArpWatcher>> watcher = ArpWatcher::Open("nosuchif9");
  ASSERT_FALSE(watcher.ok());
  EXPECT_THAT(watcher.status().message(), HasSubstr("nosuchif9"));
}

}  // namespace
}  // namespace tachy
