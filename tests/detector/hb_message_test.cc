// Heartbeat messages: what we send must be byte for byte what Heartbeat 3.0.6
// sends (the vectors are messages captured between two real Heartbeat nodes,
// key "testpass", `auth 2` / `2 sha1`), and what we accept must be what it
// accepts.
#include "detector/hb_message.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "detector/auth.h"
#include "tests/support/heartbeat_message_builder.h"

namespace tachy {
namespace {

AuthKeys Sha1Keys(absl::string_view secret = "testpass") {
  AuthKeys keys;
  keys.active_index = 2;
  keys.keys.push_back({2, AuthMethod::kSha1, std::string(secret)});
  return keys;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// test001's `starting` at comm-up, as captured.
std::vector<HeartbeatField> CapturedStarting() {
  return {{0, "t", "starting"},
          {0, "src", "test001"},
          {1, "srcuuid", absl::HexStringToBytes("ef41f6c855e34de795c6d57cbc06e566")},
          {0, "seq", "7"},
          {0, "hg", "6b0ec817"},
          {0, "ts", "6b0ec816"},
          {0, "ld", "7.12 4.74 2.56 12/146 28852"},
          {0, "ttl", "3"}};
}

TEST(HbMessageTest, EncodesLikeHeartbeat) {
  const std::string wire = EncodeHeartbeatMessage(CapturedStarting(), Sha1Keys());
  EXPECT_EQ(wire.size(), 269u);  // the captured datagram's length
  EXPECT_NE(wire.find("50:(0)auth=2 412f952e33d6d754540aa47539e97aafe3b330d3,%%%\n"),
            std::string::npos)
      << wire;
  EXPECT_TRUE(absl::EndsWith(wire, "42:2 9fe4e9926123c896cd189e9cc99190869426a255,")) << wire;
}

TEST(HbMessageTest, RoundTripsAndVerifies) {
  const std::string wire = EncodeHeartbeatMessage(CapturedStarting(), Sha1Keys());
  ASSERT_TRUE(IsHeartbeatPayload(Bytes(wire)));
  absl::StatusOr<HeartbeatMessage> m = ParseHeartbeatMessage(Bytes(wire));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->Value("t"), "starting");
  EXPECT_EQ(m->Value("srcuuid"), absl::HexStringToBytes("ef41f6c855e34de795c6d57cbc06e566"));
  EXPECT_EQ(m->Value("missing"), "");
  EXPECT_EQ(m->auth_index, 2);
  EXPECT_TRUE(HeartbeatAuthentic(*m, Sha1Keys()));
  EXPECT_FALSE(HeartbeatAuthentic(*m, Sha1Keys("otherpass")));
}

TEST(HbMessageTest, RefusesTamperingAndMissingDigest) {
  std::string wire = EncodeHeartbeatMessage(CapturedStarting(), Sha1Keys());
  wire.replace(wire.find("seq=7"), 5, "seq=8");
  absl::StatusOr<HeartbeatMessage> m = ParseHeartbeatMessage(Bytes(wire));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(HeartbeatAuthentic(*m, Sha1Keys()));
  // No trailer at all: Heartbeat drops it, and so do we.
  const std::string bare = NetstringBody({{0, "t", "status"}, {0, "src", "test001"}});
  m = ParseHeartbeatMessage(Bytes(bare));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(HeartbeatAuthentic(*m, Sha1Keys()));
}

// Heartbeat's receiver uses the method of the index the message names with
// the key of its own `auth` line.
TEST(HbMessageTest, VerifiesWithOwnKeyAndNamedMethod) {
  AuthKeys keys = Sha1Keys();
  keys.keys.insert(keys.keys.begin(), {1, AuthMethod::kMd5, "testpass"});
  AuthKeys md5 = keys;
  md5.active_index = 1;
  const std::string wire = EncodeHeartbeatMessage(CapturedStarting(), md5);
  absl::StatusOr<HeartbeatMessage> m = ParseHeartbeatMessage(Bytes(wire));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->auth_index, 1);
  EXPECT_TRUE(HeartbeatAuthentic(*m, keys));  // md5 of entry 1, key of entry 2: same secret
}

TEST(HbMessageTest, AcceptsClassicFormat) {
  const std::vector<HbField> fields = {{0, "t", "status"}, {0, "st", "active"},
                                       {0, "src", "test001"}, {0, "seq", "1"}};
  const std::string body = ClassicBody(fields);
  const std::string digest = HeartbeatDigest(AuthMethod::kSha1, "testpass", body);
  const std::string wire = absl::StrCat(">>>\n", body, "auth=2 ", digest, "\n<<<\n");
  absl::StatusOr<HeartbeatMessage> m = ParseHeartbeatMessage(Bytes(wire));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->format, HeartbeatMessage::Format::kClassic);
  EXPECT_TRUE(HeartbeatAuthentic(*m, Sha1Keys()));
  EXPECT_FALSE(IsHeartbeatPayload(Bytes(std::string("TY\x01\x01", 4))));
}

TEST(HbMessageTest, ParsesHex) {
  EXPECT_EQ(ParseHex("1388"), 5000u);
  EXPECT_EQ(ParseHex("6B0EC816"), 0x6b0ec816u);
  EXPECT_FALSE(ParseHex("").has_value());
  EXPECT_FALSE(ParseHex("12g").has_value());
  EXPECT_FALSE(ParseHex("11112222333344445").has_value());
}

}  // namespace
}  // namespace tachy
