// icmp_echo_test.cc: the echo request's bytes and checksum, and which
// packets count as our echo replies.
#include "actions/icmp_echo.h"

#include <array>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace tachy {
namespace {

uint16_t Fold(const uint8_t* d, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t{d[i]} << 8) | d[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

TEST(IcmpEchoTest, RequestCarriesIdSeqAndAValidChecksum) {
  const std::array<uint8_t, 16> p = BuildEchoRequest(0x1234, 0xbeef);
  EXPECT_EQ(p[0], 8);
  EXPECT_EQ(p[1], 0);
  EXPECT_EQ(p[4], 0x12);
  EXPECT_EQ(p[5], 0x34);
  EXPECT_EQ(p[6], 0xbe);
  EXPECT_EQ(p[7], 0xef);
  // A correct Internet checksum folds the whole message to 0xffff.
  EXPECT_EQ(Fold(p.data(), p.size()), 0xffff);
}

// An IPv4 header (no options) from 10.213.7.50 followed by `icmp`.
std::vector<uint8_t> Packet(const std::vector<uint8_t>& icmp) {
  std::vector<uint8_t> p(20 + icmp.size(), 0);
  const uint8_t header[20] = {0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0, 10, 213, 7, 50, 10, 213, 7, 1};
  for (size_t i = 0; i < 20; ++i) p[i] = header[i];
  for (size_t i = 0; i < icmp.size(); ++i) p[20 + i] = icmp[i];
  return p;
}

TEST(IcmpEchoTest, OnlyOurEchoRepliesCount) {
  uint32_t from = 0;
  const std::vector<uint8_t> reply = Packet({0, 0, 0, 0, 0x12, 0x34, 0, 1});
  ASSERT_TRUE(ParseEchoReply(reply.data(), reply.size(), 0x1234, &from));
  EXPECT_EQ(from, (10u << 24) | (213u << 16) | (7u << 8) | 50u);
  const std::vector<uint8_t> other_id = Packet({0, 0, 0, 0, 0x12, 0x35, 0, 1});
  EXPECT_FALSE(ParseEchoReply(other_id.data(), other_id.size(), 0x1234, &from));
  const std::vector<uint8_t> request = Packet({8, 0, 0, 0, 0x12, 0x34, 0, 1});
  EXPECT_FALSE(ParseEchoReply(request.data(), request.size(), 0x1234, &from));
  std::vector<uint8_t> udp = reply;
  udp[9] = 17;
  EXPECT_FALSE(ParseEchoReply(udp.data(), udp.size(), 0x1234, &from));
  // Every truncation is refused, in a buffer of exactly that size.
  for (size_t len = 0; len < reply.size(); ++len) {
    const std::vector<uint8_t> cut(reply.begin(), reply.begin() + len);
    EXPECT_FALSE(ParseEchoReply(cut.data(), cut.size(), 0x1234, &from)) << len;
  }
  std::vector<uint8_t> bad_ihl = reply;
  bad_ihl[0] = 0x4f;  // 60-byte header: longer than the packet
  EXPECT_FALSE(ParseEchoReply(bad_ihl.data(), bad_ihl.size(), 0x1234, &from));
}

}  // namespace
}  // namespace tachy
