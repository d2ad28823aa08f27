// frame_test.cc: EncodeFrame / ParseFrameHeader round trips, layout, every
// rejection ParseFrameHeader reports, and NameId.
#include "detector/frame.h"

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/auth.h"
#include "detector/config/auth_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/frame_builder.h"

namespace tachy {
namespace {

using ::testing::ElementsAreArray;

std::unique_ptr<Authenticator> MakeAuth(AuthMethod method, absl::string_view key) {
  absl::StatusOr<std::unique_ptr<Authenticator>> auth = Authenticator::Create(method, key);
  if (!auth.ok()) {
    ADD_FAILURE() << auth.status();
    return nullptr;
  }
  return *std::move(auth);
}

// Every field set to a value whose bytes differ from its neighbours', with
// the high bit set where the field has one, so a swapped, shifted or
// sign-extended field shows.
FrameBuilder Distinctive() {
  return FrameBuilder()
      .Type(FrameType::kLeave)
      .Flags(0xA5)
      .KeyId(7)
      .State(SenderState::kStandby)
      .ClusterId(0x8899AABB)
      .NodeId(0xC1C2C3C4)
      .Generation(0xF102030405060708)
      .Sequence(0x8111213141516171)
      .SendTimeNs(-1234567890123)
      .IntervalUs(0x80000001)
      .DeadtimeUs(4000000000u)
      .Held(0xDEADBEEF)
      .Wants(0x1234)
      .Declines(0x5678)
      .Digest(0xCAFEF00D);
}

struct MethodCase {
  const char* name;
  AuthMethod method;
  const char* key;
  size_t tag_size;
};

const MethodCase kMethods[] = {
    {.name = "crc", .method = AuthMethod::kCrc, .key = "", .tag_size = 4},
    {.name = "md5", .method = AuthMethod::kMd5, .key = "k-md5", .tag_size = 16},
    {.name = "sha1", .method = AuthMethod::kSha1, .key = "k-sha1", .tag_size = 20},
    {.name = "sha256", .method = AuthMethod::kSha256, .key = "secret", .tag_size = 16},
};

struct Parsed {
  RejectReason reason = RejectReason::kNone;
  Frame frame;
  std::span<const uint8_t> signed_part;
  std::span<const uint8_t> tag;
};

Parsed Parse(std::span<const uint8_t> bytes) {
  Parsed p;
  p.reason = ParseFrameHeader(bytes, &p.frame, &p.signed_part, &p.tag);
  return p;
}

void ExpectSameFrame(const Frame& got, const Frame& want) {
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.flags, want.flags);
  EXPECT_EQ(got.key_id, want.key_id);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.cluster_id, want.cluster_id);
  EXPECT_EQ(got.node_id, want.node_id);
  EXPECT_EQ(got.generation, want.generation);
  EXPECT_EQ(got.sequence, want.sequence);
  EXPECT_EQ(got.send_time_ns, want.send_time_ns);
  EXPECT_EQ(got.interval_us, want.interval_us);
  EXPECT_EQ(got.deadtime_us, want.deadtime_us);
  EXPECT_EQ(got.runner, want.runner);
}

// ---------------------------------------------------------------------------
// Round trips

TEST(FrameRoundTripTest, EveryFieldWithEveryAuthMethod) {
  for (const MethodCase& c : kMethods) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<Authenticator> auth = MakeAuth(c.method, c.key);
    ASSERT_NE(auth, nullptr);
    ASSERT_EQ(auth->tag_size(), c.tag_size);
    const FrameBuilder b = Distinctive();
    const std::vector<uint8_t> bytes = b.SignedBy(*auth);
    ASSERT_EQ(bytes.size(), kFrameHeaderSize + c.tag_size);

    const Parsed p = Parse(bytes);
    ASSERT_EQ(p.reason, RejectReason::kNone);
    ExpectSameFrame(p.frame, b.frame());
    EXPECT_EQ(p.signed_part.data(), bytes.data());
    EXPECT_EQ(p.signed_part.size(), kFrameHeaderSize);
    EXPECT_EQ(p.tag.data(), bytes.data() + kFrameHeaderSize);
    EXPECT_EQ(p.tag.size(), c.tag_size);
    EXPECT_TRUE(auth->Verify(p.signed_part, p.tag));
  }
}

TEST(FrameRoundTripTest, EveryTypeAndSenderState) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kSha256, "secret");
  ASSERT_NE(auth, nullptr);
  for (FrameType type : {FrameType::kHeartbeat, FrameType::kLeave}) {
    for (SenderState state : {SenderState::kInit, SenderState::kActive, SenderState::kStandby,
                              SenderState::kLeaving}) {
      const std::vector<uint8_t> bytes = FrameBuilder().Type(type).State(state).SignedBy(*auth);
      const Parsed p = Parse(bytes);
      ASSERT_EQ(p.reason, RejectReason::kNone);
      EXPECT_EQ(p.frame.type, type);
      EXPECT_EQ(p.frame.state, state);
    }
  }
}

TEST(FrameRoundTripTest, ZeroAndMaxValues) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kSha1, "k");
  ASSERT_NE(auth, nullptr);
  const FrameBuilder zero = FrameBuilder()
                                .KeyId(0)
                                .ClusterId(0)
                                .NodeId(0)
                                .Generation(0)
                                .Sequence(0)
                                .SendTimeNs(0);
  const FrameBuilder max = FrameBuilder()
                               .Flags(0xFF)
                               .KeyId(15)
                               .ClusterId(UINT32_MAX)
                               .NodeId(UINT32_MAX)
                               .Generation(UINT64_MAX)
                               .Sequence(UINT64_MAX)
                               .SendTimeNs(INT64_MAX)
                               .IntervalUs(UINT32_MAX)
                               .DeadtimeUs(UINT32_MAX)
                               .Held(UINT32_MAX)
                               .Wants(UINT16_MAX)
                               .Declines(UINT16_MAX)
                               .Digest(UINT32_MAX);
  for (const FrameBuilder* b : {&zero, &max}) {
    const Parsed p = Parse(b->SignedBy(*auth));
    ASSERT_EQ(p.reason, RejectReason::kNone);
    ExpectSameFrame(p.frame, b->frame());
  }
}

// The documented layout, byte by byte: big-endian fields at fixed offsets.
TEST(FrameLayoutTest, FieldsAtDocumentedOffsets) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kCrc, "");
  ASSERT_NE(auth, nullptr);
  const std::vector<uint8_t> bytes = Distinctive().SignedBy(*auth);
  ASSERT_EQ(bytes.size(), 68u);
  const std::vector<uint8_t> header(bytes.begin(), bytes.begin() + 64);
  const uint8_t want[64] = {
      0x54, 0x59,                                      // magic "TY"
      0x01,                                            // version
      0x02,                                            // type: leave
      0xA5,                                            // flags
      0x07,                                            // key id
      0x04,                                            // tag length (crc)
      0x02,                                            // sender state: standby
      0x88, 0x99, 0xAA, 0xBB,                          // cluster id
      0xC1, 0xC2, 0xC3, 0xC4,                          // node id
      0xF1, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // generation
      0x81, 0x11, 0x21, 0x31, 0x41, 0x51, 0x61, 0x71,  // sequence
      0xFF, 0xFF, 0xFE, 0xE0, 0x8E, 0x04, 0xFB, 0x35,  // send time -1234567890123
      0x80, 0x00, 0x00, 0x01,                          // keepalive µs
      0xEE, 0x6B, 0x28, 0x00,                          // deadtime µs 4e9
      // runner data, as tachy-actions lays out its ownership (opaque here):
      0xDE, 0xAD, 0xBE, 0xEF,                          // groups held
      0x12, 0x34,                                      // groups wanted
      0x56, 0x78,                                      // groups declined
      0xCA, 0xFE, 0xF0, 0x0D,                          // haresources digest
      0x00, 0x00, 0x00, 0x00,                          // reserved
  };
  EXPECT_THAT(header, ElementsAreArray(want));
  // The crc tag is the big-endian Heartbeat CRC-32 of the 64 header bytes.
  const uint32_t crc = HeartbeatCrc32(std::span<const uint8_t>(bytes).first(64));
  EXPECT_THAT(std::vector<uint8_t>(bytes.begin() + 64, bytes.end()),
              ElementsAreArray({static_cast<uint8_t>(crc >> 24), static_cast<uint8_t>(crc >> 16),
                                static_cast<uint8_t>(crc >> 8), static_cast<uint8_t>(crc)}));
}

TEST(FrameLayoutTest, ReservedWordIsWrittenAsZero) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kSha256, "secret");
  ASSERT_NE(auth, nullptr);
  // SignedBy pre-fills its buffer with 0xEE: the encoder must overwrite it.
  const std::vector<uint8_t> bytes = FrameBuilder().SignedBy(*auth);
  EXPECT_THAT(std::vector<uint8_t>(bytes.begin() + 60, bytes.begin() + 64),
              ElementsAreArray({0, 0, 0, 0}));
}

TEST(FrameParseTest, TrailingEthernetPaddingIsIgnored) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kCrc, "");
  ASSERT_NE(auth, nullptr);
  const FrameBuilder b = Distinctive();
  std::vector<uint8_t> bytes = b.SignedBy(*auth);
  ASSERT_EQ(bytes.size(), 68u);
  // Ethernet pads a payload to 46 bytes at least; a UDP datagram may carry
  // anything after the tag. Neither belongs to the frame.
  bytes.resize(bytes.size() + 30, 0x00);
  bytes[80] = 0xFF;
  const Parsed p = Parse(bytes);
  ASSERT_EQ(p.reason, RejectReason::kNone);
  ExpectSameFrame(p.frame, b.frame());
  EXPECT_EQ(p.signed_part.size(), kFrameHeaderSize);
  EXPECT_EQ(p.tag.size(), 4u);
  EXPECT_TRUE(auth->Verify(p.signed_part, p.tag));
}

TEST(FrameParseTest, TamperedByteFailsVerifyButParses) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kSha256, "secret");
  ASSERT_NE(auth, nullptr);
  std::vector<uint8_t> bytes = FrameBuilder().Sequence(41).SignedBy(*auth);
  bytes[31] ^= 0x03;  // sequence 41 -> 42
  const Parsed p = Parse(bytes);
  ASSERT_EQ(p.reason, RejectReason::kNone);
  EXPECT_EQ(p.frame.sequence, 42u);
  EXPECT_FALSE(auth->Verify(p.signed_part, p.tag));
}

// ---------------------------------------------------------------------------
// Rejections

// A valid sha256 frame (80 bytes) with one change.
struct RejectCase {
  const char* name;
  size_t length = 80;  // bytes of the (edited) frame handed to the parser
  int offset = -1;     // byte to overwrite, or -1
  uint8_t value = 0;
  RejectReason want;
};

const RejectCase kRejectCases[] = {
    {.name = "empty", .length = 0, .want = RejectReason::kShort},
    {.name = "one_byte", .length = 1, .want = RejectReason::kShort},
    {.name = "two_bytes", .length = 2, .want = RejectReason::kShort},
    {.name = "bad_magic_high", .offset = 0, .value = 0x00, .want = RejectReason::kBadMagic},
    {.name = "bad_magic_low", .offset = 1, .value = 0x5A, .want = RejectReason::kBadMagic},
    {.name = "bad_magic_truncated", .length = 3, .offset = 0, .value = 0x45,
     .want = RejectReason::kBadMagic},
    {.name = "version_0", .offset = 2, .value = 0, .want = RejectReason::kBadVersion},
    {.name = "version_2", .offset = 2, .value = 2, .want = RejectReason::kBadVersion},
    {.name = "type_0", .offset = 3, .value = 0, .want = RejectReason::kBadVersion},
    // Issue 15: types 3 and 4 ("reserved for the action runner", never
    // sent) were accepted and judged as heartbeats.
    {.name = "type_3", .offset = 3, .value = 3, .want = RejectReason::kBadVersion},
    {.name = "type_4", .offset = 3, .value = 4, .want = RejectReason::kBadVersion},
    {.name = "type_5", .offset = 3, .value = 5, .want = RejectReason::kBadVersion},
    {.name = "type_255", .offset = 3, .value = 255, .want = RejectReason::kBadVersion},
    {.name = "tag_len_0", .offset = 6, .value = 0, .want = RejectReason::kBadTag},
    {.name = "tag_len_21", .offset = 6, .value = 21, .want = RejectReason::kBadTag},
    {.name = "tag_len_255", .offset = 6, .value = 255, .want = RejectReason::kBadTag},
    {.name = "header_only_magic_version", .length = 3, .want = RejectReason::kShort},
    {.name = "header_only_type", .length = 4, .want = RejectReason::kShort},
    {.name = "truncated_header", .length = 63, .want = RejectReason::kShort},
    {.name = "no_tag", .length = 64, .want = RejectReason::kShort},
    {.name = "truncated_tag", .length = 79, .want = RejectReason::kShort},
    // tag_len 20 on an 80-byte buffer: the frame claims more than arrived.
    {.name = "tag_len_beyond_buffer", .offset = 6, .value = 20, .want = RejectReason::kShort},
    {.name = "complete", .want = RejectReason::kNone},
};

TEST(FrameParseTest, RejectReasons) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kSha256, "secret");
  ASSERT_NE(auth, nullptr);
  const std::vector<uint8_t> good = FrameBuilder().Node("b").SignedBy(*auth);
  ASSERT_EQ(good.size(), 80u);
  for (const RejectCase& c : kRejectCases) {
    SCOPED_TRACE(c.name);
    // The parser sees only `length` bytes of a full buffer: a read past the
    // span's end would see valid frame bytes and change the answer.
    std::vector<uint8_t> buffer = good;
    if (c.offset >= 0) buffer[c.offset] = c.value;
    const std::span<const uint8_t> bytes = std::span<const uint8_t>(buffer).first(c.length);
    Frame frame;
    std::span<const uint8_t> signed_part, tag;
    EXPECT_EQ(ParseFrameHeader(bytes, &frame, &signed_part, &tag), c.want)
        << "got " << RejectReasonName(ParseFrameHeader(bytes, &frame, &signed_part, &tag));
  }
}

// Regression: with exactly 3 bytes the type byte (offset 3) lies outside the
// span and must not be read. Byte 3 of the buffer is an invalid type, so a
// read past the end would answer kBadVersion instead of kShort.
TEST(FrameParseTest, ThreeBytesNeverReadsTheTypeByte) {
  const uint8_t buffer[] = {0x54, 0x59, 0x01, 0x00, 0x00};
  Frame frame;
  std::span<const uint8_t> signed_part, tag;
  EXPECT_EQ(ParseFrameHeader(std::span<const uint8_t>(buffer, 3), &frame, &signed_part, &tag),
            RejectReason::kShort);
}

TEST(FrameParseTest, EveryLengthBelowHeaderPlusTagIsShort) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kMd5, "k");
  ASSERT_NE(auth, nullptr);
  const std::vector<uint8_t> good = FrameBuilder().SignedBy(*auth);
  ASSERT_EQ(good.size(), 80u);
  for (size_t n = 0; n < good.size(); ++n) {
    Frame frame;
    std::span<const uint8_t> signed_part, tag;
    EXPECT_EQ(ParseFrameHeader(std::span<const uint8_t>(good).first(n), &frame, &signed_part,
                               &tag),
              RejectReason::kShort)
        << n << " bytes";
  }
}

TEST(FrameParseTest, RejectedFrameLeavesOutputsUntouched) {
  std::unique_ptr<Authenticator> auth = MakeAuth(AuthMethod::kSha256, "secret");
  ASSERT_NE(auth, nullptr);
  std::vector<uint8_t> bytes = FrameBuilder().Sequence(9).SignedBy(*auth);
  bytes.resize(60);
  Frame frame;
  frame.sequence = 1234;
  std::span<const uint8_t> signed_part, tag;
  ASSERT_EQ(ParseFrameHeader(bytes, &frame, &signed_part, &tag), RejectReason::kShort);
  EXPECT_EQ(frame.sequence, 1234u);
  EXPECT_TRUE(signed_part.empty());
  EXPECT_TRUE(tag.empty());
}

// ---------------------------------------------------------------------------
// Names and ids

TEST(RejectReasonNameTest, StableNames) {
  const std::pair<RejectReason, absl::string_view> names[] = {
      {RejectReason::kNone, "none"},
      {RejectReason::kShort, "short"},
      {RejectReason::kBadMagic, "bad_magic"},
      {RejectReason::kBadVersion, "bad_version"},
      {RejectReason::kUnknownKey, "unknown_key"},
      {RejectReason::kBadTag, "bad_tag"},
      {RejectReason::kWrongCluster, "wrong_cluster"},
      {RejectReason::kUnknownNode, "unknown_node"},
      {RejectReason::kOwnFrame, "own_frame"},
      {RejectReason::kOldGeneration, "old_generation"},
      {RejectReason::kReplay, "replay"},
      {RejectReason::kStale, "stale"},
  };
  ASSERT_EQ(std::size(names), kRejectReasonCount);
  for (size_t i = 0; i < kRejectReasonCount; ++i) {
    EXPECT_EQ(static_cast<size_t>(names[i].first), i);
    EXPECT_EQ(RejectReasonName(names[i].first), names[i].second);
  }
  EXPECT_EQ(RejectReasonName(static_cast<RejectReason>(kRejectReasonCount)), "invalid");
}

TEST(NameIdTest, Fnv1a32KnownValues) {
  struct Case {
    absl::string_view name;
    uint32_t id;
  };
  const Case cases[] = {
      {.name = "", .id = 2166136261u},
      {.name = "a", .id = 0xe40c292cu},
      {.name = "b", .id = 0xe70c2de5u},
      {.name = "foobar", .id = 0xbf9cf968u},
      {.name = "linux-ha", .id = 0x3f666a2bu},
  };
  for (const Case& c : cases) EXPECT_EQ(NameId(c.name), c.id) << '"' << c.name << '"';
}

TEST(NameIdTest, HighBytesAreUnsigned) {
  // FNV-1a works on octets: a char >= 0x80 must not be sign-extended.
  // fnv1a32("\xff") = (0x811c9dc5 ^ 0xff) * 16777619 mod 2^32.
  EXPECT_EQ(NameId(absl::string_view("\xff", 1)),
            static_cast<uint32_t>((2166136261u ^ 0xffu) * 16777619u));
}

TEST(NameIdTest, CaseSensitiveAndDistinct) {
  // Config lower-cases names before hashing; NameId itself must not.
  EXPECT_NE(NameId("node1"), NameId("Node1"));
  std::set<uint32_t> ids;
  for (const char* n : {"node1", "node2", "node3", "alpha", "beta", "gamma"}) ids.insert(NameId(n));
  EXPECT_EQ(ids.size(), 6u);
}

}  // namespace
}  // namespace tachy
