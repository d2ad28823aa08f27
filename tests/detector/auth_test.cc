// auth_test.cc: digests, Heartbeat wire vectors, Authenticator and KeyRing.
#include "detector/auth.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "detector/config/auth_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/heartbeat_message_builder.h"

namespace tachy {
namespace {

std::span<const uint8_t> Bytes(absl::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string Hex(std::span<const uint8_t> bytes) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

// Signs `data` with a fresh authenticator and returns the tag as hex.
std::string SignHex(AuthMethod method, absl::string_view key, absl::string_view data) {
  absl::StatusOr<std::unique_ptr<Authenticator>> auth = Authenticator::Create(method, key);
  EXPECT_TRUE(auth.ok()) << auth.status();
  if (!auth.ok()) return "";
  std::vector<uint8_t> tag((*auth)->tag_size());
  (*auth)->Sign(Bytes(data), tag);
  return Hex(tag);
}

// ---------------------------------------------------------------------------
// RFC 2202 (MD5, SHA-1) and RFC 4231 (SHA-256) HMAC vectors.

struct HmacCase {
  const char* name;
  AuthMethod method;
  std::string key;
  std::string data;
  std::string hex;  // full HMAC
};

std::vector<HmacCase> HmacCases() {
  return {
      {.name = "md5_rfc2202_1",
       .method = AuthMethod::kMd5,
       .key = std::string(16, '\x0b'),
       .data = "Hi There",
       .hex = "9294727a3638bb1c13f48ef8158bfc9d"},
      {.name = "md5_rfc2202_2",
       .method = AuthMethod::kMd5,
       .key = "Jefe",
       .data = "what do ya want for nothing?",
       .hex = "750c783e6ab0b503eaa86e310a5db738"},
      {.name = "md5_rfc2202_6_long_key",
       .method = AuthMethod::kMd5,
       .key = std::string(80, '\xaa'),
       .data = "Test Using Larger Than Block-Size Key - Hash Key First",
       .hex = "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
      {.name = "md5_rfc2202_7_long_key_long_data",
       .method = AuthMethod::kMd5,
       .key = std::string(80, '\xaa'),
       .data = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       .hex = "6f630fad67cda0ee1fb1f562db3aa53e"},
      {.name = "sha1_rfc2202_1",
       .method = AuthMethod::kSha1,
       .key = std::string(20, '\x0b'),
       .data = "Hi There",
       .hex = "b617318655057264e28bc0b6fb378c8ef146be00"},
      {.name = "sha1_rfc2202_2",
       .method = AuthMethod::kSha1,
       .key = "Jefe",
       .data = "what do ya want for nothing?",
       .hex = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {.name = "sha1_rfc2202_6_long_key",
       .method = AuthMethod::kSha1,
       .key = std::string(80, '\xaa'),
       .data = "Test Using Larger Than Block-Size Key - Hash Key First",
       .hex = "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {.name = "sha1_rfc2202_7_long_key_long_data",
       .method = AuthMethod::kSha1,
       .key = std::string(80, '\xaa'),
       .data = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
       .hex = "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
      {.name = "sha256_rfc4231_1",
       .method = AuthMethod::kSha256,
       .key = std::string(20, '\x0b'),
       .data = "Hi There",
       .hex = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {.name = "sha256_rfc4231_2",
       .method = AuthMethod::kSha256,
       .key = "Jefe",
       .data = "what do ya want for nothing?",
       .hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {.name = "sha256_rfc4231_6_long_key",
       .method = AuthMethod::kSha256,
       .key = std::string(131, '\xaa'),
       .data = "Test Using Larger Than Block-Size Key - Hash Key First",
       .hex = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {.name = "sha256_rfc4231_7_long_key_long_data",
       .method = AuthMethod::kSha256,
       .key = std::string(131, '\xaa'),
       .data = "This is a test using a larger than block-size key and a larger than "
               "block-size data. The key needs to be hashed before being used by the "
               "HMAC algorithm.",
       .hex = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(HmacVectorsTest, HeartbeatDigestGivesFullHmac) {
  for (const HmacCase& c : HmacCases()) {
    EXPECT_EQ(HeartbeatDigest(c.method, c.key, c.data), c.hex) << c.name;
  }
}

TEST(HmacVectorsTest, SignGivesHmacTruncatedToTagSize) {
  for (const HmacCase& c : HmacCases()) {
    const size_t tag_hex = c.method == AuthMethod::kSha256 ? 32 : c.hex.size();
    EXPECT_EQ(SignHex(c.method, c.key, c.data), c.hex.substr(0, tag_hex)) << c.name;
  }
}

TEST(HmacVectorsTest, TagSizes) {
  const std::pair<AuthMethod, size_t> sizes[] = {{AuthMethod::kCrc, 4},
                                                 {AuthMethod::kMd5, 16},
                                                 {AuthMethod::kSha1, 20},
                                                 {AuthMethod::kSha256, 16}};
  for (const auto& [method, size] : sizes) {
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Create(method, method == AuthMethod::kCrc ? "" : "k");
    ASSERT_TRUE(auth.ok()) << auth.status();
    EXPECT_EQ((*auth)->tag_size(), size);
    EXPECT_LE((*auth)->tag_size(), kMaxTagSize);
    EXPECT_EQ((*auth)->method(), method);
  }
}

// ---------------------------------------------------------------------------
// CRC

TEST(HeartbeatCrcTest, CheckValue) {
  EXPECT_EQ(HeartbeatCrc32(Bytes("123456789")), 0x765e7680u);
  EXPECT_EQ(HeartbeatDigest(AuthMethod::kCrc, "", "123456789"), "765e7680");
}

TEST(HeartbeatCrcTest, EmptyInputIsComplementOfZero) { EXPECT_EQ(HeartbeatCrc32({}), 0xffffffffu); }

TEST(HeartbeatCrcTest, HexHasNoZeroPadding) {
  // "8" hashes to 0x0dc57fd7 (found by search with the reference table);
  // Heartbeat's "%lx" writes 7 digits, and peers compare the strings.
  EXPECT_EQ(HeartbeatCrc32(Bytes("8")), 0x0dc57fd7u);
  EXPECT_EQ(HeartbeatDigest(AuthMethod::kCrc, "", "8"), "dc57fd7");
}

TEST(HeartbeatCrcTest, SignWritesBigEndianCrc) {
  EXPECT_EQ(SignHex(AuthMethod::kCrc, "", "123456789"), "765e7680");
  EXPECT_EQ(SignHex(AuthMethod::kCrc, "", "8"), "0dc57fd7");
}

// ---------------------------------------------------------------------------
// Heartbeat message vectors (as Heartbeat 3.0.6 computes them).

using Field = HbField;

std::vector<Field> AliceFields() {
  return {
      {.name = "t", .value = "status"},
      {.name = "st", .value = "active"},
      {.name = "dt", .value = "7530"},
      {.name = "protocol", .value = "1"},
      {.name = "src", .value = "alice"},
      {.type = 1,
       .name = "srcuuid",
       .value = absl::HexStringToBytes("3f2504e04f8941d39a0c0305e82c3301")},
      {.name = "seq", .value = "2a"},
      {.name = "hg", .value = "1b"},
      {.name = "ts", .value = "6553f100"},
      {.name = "ld", .value = "0.00 0.01 0.05 1/123 4567"},
      {.name = "ttl", .value = "3"},
  };
}

TEST(HeartbeatVectorsTest, ReferenceExampleClassicBody) {
  const std::string body = ClassicBody(AliceFields());
  EXPECT_THAT(body,
              testing::HasSubstr("\nsrc=alice\n(1)srcuuid=PyUE4E+JQdOaDAMF6CwzAQ==\nseq=2a\n"));
  EXPECT_EQ(HeartbeatDigest(AuthMethod::kSha1, "HI!", body),
            "f75d6745b8dae174f5f918c8f4d73ba3e5ab275c");
  EXPECT_EQ(SignHex(AuthMethod::kSha1, "HI!", body), "f75d6745b8dae174f5f918c8f4d73ba3e5ab275c");
  EXPECT_EQ(HeartbeatDigest(AuthMethod::kCrc, "", body), "eee6d729");
  EXPECT_EQ(SignHex(AuthMethod::kCrc, "", body), "eee6d729");
  EXPECT_EQ(HeartbeatDigest(AuthMethod::kMd5, "Hello!", body), "c080ad58792d1ad900888de00c1435aa");
  EXPECT_EQ(SignHex(AuthMethod::kMd5, "Hello!", body), "c080ad58792d1ad900888de00c1435aa");
}

TEST(HeartbeatVectorsTest, ReferenceExampleNetstring) {
  std::vector<Field> fields = AliceFields();
  fields.push_back({.name = "auth", .value = "1 f75d6745b8dae174f5f918c8f4d73ba3e5ab275c"});
  const std::string body = NetstringBody(fields);
  EXPECT_TRUE(absl::StartsWith(body, "###\n11:(0)t=status,12:(0)st=active,10:(0)dt=7530,"));
  EXPECT_THAT(body, testing::HasSubstr("27:(1)srcuuid="));
  EXPECT_THAT(body,
              testing::HasSubstr(",50:(0)auth=1 f75d6745b8dae174f5f918c8f4d73ba3e5ab275c,%%%\n"));

  const std::string digest = HeartbeatDigest(AuthMethod::kSha1, "HI!", body);
  EXPECT_EQ(digest, "d0bc2c78425c515efa8733c190bdf3f5e7b64fc8");
  EXPECT_EQ(SignHex(AuthMethod::kSha1, "HI!", body), "d0bc2c78425c515efa8733c190bdf3f5e7b64fc8");
  const std::string message = body + Netstring(absl::StrCat("1 ", digest));
  EXPECT_TRUE(absl::EndsWith(message, "%%%\n42:1 d0bc2c78425c515efa8733c190bdf3f5e7b64fc8,"));
  EXPECT_EQ(message.size(), 304u);
}

// The real Heartbeat 3.0.6 heartbeat captured in §9 (sha1, key "testpass", auth 2).
std::vector<Field> CapturedFields() {
  return {
      {.name = "t", .value = "status"},
      {.name = "st", .value = "active"},
      {.name = "dt", .value = "1388"},
      {.name = "protocol", .value = "1"},
      {.name = "src", .value = "test001"},
      {.type = 1,
       .name = "srcuuid",
       .value = absl::HexStringToBytes("78cf8579927c421e949cbe2468e24b04")},
      {.name = "seq", .value = "e"},
      {.name = "hg", .value = "6b05f119"},
      {.name = "ts", .value = "6b05f11d"},
      {.name = "ld", .value = "0.73 0.62 0.61 1/107 19057"},
      {.name = "ttl", .value = "3"},
  };
}

TEST(HeartbeatVectorsTest, CapturedClassicAuthField) {
  const std::string body = ClassicBody(CapturedFields());
  EXPECT_EQ(HeartbeatDigest(AuthMethod::kSha1, "testpass", body),
            "f4766138765a30de512c9d5f3a69076763839996");
  EXPECT_EQ(SignHex(AuthMethod::kSha1, "testpass", body),
            "f4766138765a30de512c9d5f3a69076763839996");
}

TEST(HeartbeatVectorsTest, CapturedNetstringTrailer) {
  std::vector<Field> fields = CapturedFields();
  fields.push_back({.name = "auth", .value = "2 f4766138765a30de512c9d5f3a69076763839996"});
  const std::string body = NetstringBody(fields);
  // Field lengths as listed in the capture.
  EXPECT_THAT(body, testing::HasSubstr(",27:(1)srcuuid="));
  EXPECT_THAT(body,
              testing::HasSubstr(",32:(0)ld=0.73 0.62 0.61 1/107 19057,8:(0)ttl=3,50:(0)auth=2 "));

  const std::string digest = HeartbeatDigest(AuthMethod::kSha1, "testpass", body);
  EXPECT_EQ(digest, "cdf7eb9f2e0f9a412662a8e97e144ce657dcbc48");
  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Create(AuthMethod::kSha1, "testpass");
  ASSERT_TRUE(auth.ok()) << auth.status();
  const std::string tag = absl::HexStringToBytes("cdf7eb9f2e0f9a412662a8e97e144ce657dcbc48");
  EXPECT_TRUE((*auth)->Verify(Bytes(body), Bytes(tag)));
  const std::string message = body + Netstring(absl::StrCat("2 ", digest));
  EXPECT_EQ(message.size(), 313u);  // "one real 313-byte steady-state heartbeat"
}

// ---------------------------------------------------------------------------
// Verify

constexpr absl::string_view kFrame =
    "a 72-byte frame, roughly the size of a tachy heartbeat, to sign and veri";

class VerifyTest : public testing::TestWithParam<AuthMethod> {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Create(GetParam(), GetParam() == AuthMethod::kCrc ? "" : "secret");
    ASSERT_TRUE(auth.ok()) << auth.status();
    auth_ = *std::move(auth);
    data_.assign(kFrame.begin(), kFrame.end());
    tag_.resize(auth_->tag_size());
    auth_->Sign(data_, tag_);
  }

  std::unique_ptr<Authenticator> auth_;
  std::vector<uint8_t> data_;
  std::vector<uint8_t> tag_;
};

TEST_P(VerifyTest, AcceptsOwnTag) {
  EXPECT_EQ(kFrame.size(), 72u);
  EXPECT_TRUE(auth_->Verify(data_, tag_));
}

TEST_P(VerifyTest, RejectsFlippedDataBit) {
  for (size_t i : {size_t{0}, data_.size() / 2, data_.size() - 1}) {
    std::vector<uint8_t> data = data_;
    data[i] ^= 0x01;
    EXPECT_FALSE(auth_->Verify(data, tag_)) << "byte " << i;
  }
}

TEST_P(VerifyTest, RejectsFlippedTagBit) {
  for (size_t i = 0; i < tag_.size(); ++i) {
    std::vector<uint8_t> tag = tag_;
    tag[i] ^= 0x80;
    EXPECT_FALSE(auth_->Verify(data_, tag)) << "byte " << i;
  }
}

TEST_P(VerifyTest, RejectsWrongSizeTag) {
  EXPECT_FALSE(auth_->Verify(data_, std::span<const uint8_t>(tag_).first(tag_.size() - 1)));
  EXPECT_FALSE(auth_->Verify(data_, {}));
  std::vector<uint8_t> longer = tag_;
  longer.push_back(0);
  EXPECT_FALSE(auth_->Verify(data_, longer));
}

TEST_P(VerifyTest, SignWritesOnlyTagSizeBytes) {
  std::vector<uint8_t> buffer(kMaxTagSize + 4, 0xee);
  auth_->Sign(data_, buffer);
  EXPECT_TRUE(auth_->Verify(data_, std::span<const uint8_t>(buffer).first(auth_->tag_size())));
  for (size_t i = auth_->tag_size(); i < buffer.size(); ++i) EXPECT_EQ(buffer[i], 0xee) << i;
}

TEST_P(VerifyTest, EmptyDataSignsAndVerifies) {
  std::vector<uint8_t> tag(auth_->tag_size());
  auth_->Sign({}, tag);
  EXPECT_TRUE(auth_->Verify({}, tag));
}

// Named function, not a lambda: gtest's macro already has a parameter called
// `info`, which a lambda parameter would shadow under -Wshadow.
std::string MethodName(const testing::TestParamInfo<AuthMethod>& param) {
  switch (param.param) {
    case AuthMethod::kCrc:
      return "crc";
    case AuthMethod::kMd5:
      return "md5";
    case AuthMethod::kSha1:
      return "sha1";
    case AuthMethod::kSha256:
      return "sha256";
  }
  return "unknown";
}

INSTANTIATE_TEST_SUITE_P(AllMethods, VerifyTest,
                         testing::Values(AuthMethod::kCrc, AuthMethod::kMd5, AuthMethod::kSha1,
                                         AuthMethod::kSha256),
                         MethodName);

TEST(VerifyKeysTest, DifferentKeyRejects) {
  absl::StatusOr<std::unique_ptr<Authenticator>> a =
      Authenticator::Create(AuthMethod::kSha256, "one");
  absl::StatusOr<std::unique_ptr<Authenticator>> b =
      Authenticator::Create(AuthMethod::kSha256, "two");
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<uint8_t> tag((*a)->tag_size());
  (*a)->Sign(Bytes(kFrame), tag);
  EXPECT_TRUE((*a)->Verify(Bytes(kFrame), tag));
  EXPECT_FALSE((*b)->Verify(Bytes(kFrame), tag));
}

TEST(AuthenticatorCreateTest, KeyRules) {
  EXPECT_EQ(Authenticator::Create(AuthMethod::kMd5, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::Create(AuthMethod::kSha1, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::Create(AuthMethod::kSha256, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Authenticator::Create(AuthMethod::kCrc, "key").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Authenticator::Create(AuthMethod::kCrc, "").ok());
}

// ---------------------------------------------------------------------------
// KeyRing

AuthKeys TwoKeys(int active) {
  AuthKeys keys;
  keys.active_index = active;
  keys.keys = {
      {.index = 1, .method = AuthMethod::kCrc, .key = ""},
      {.index = 3, .method = AuthMethod::kSha256, .key = "s3cret"},
  };
  return keys;
}

TEST(KeyRingTest, FindsDefinedIndexesOnly) {
  absl::StatusOr<KeyRing> ring = KeyRing::Create(TwoKeys(3));
  ASSERT_TRUE(ring.ok()) << ring.status();
  ASSERT_NE(ring->Find(1), nullptr);
  EXPECT_EQ(ring->Find(1)->method(), AuthMethod::kCrc);
  ASSERT_NE(ring->Find(3), nullptr);
  EXPECT_EQ(ring->Find(3)->method(), AuthMethod::kSha256);
  for (uint8_t i : {0, 2, 4, 15, 16, 255}) EXPECT_EQ(ring->Find(i), nullptr) << int{i};
}

TEST(KeyRingTest, SignerIsActiveIndex) {
  absl::StatusOr<KeyRing> ring = KeyRing::Create(TwoKeys(3));
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ(ring->signer_index(), 3);
  EXPECT_EQ(&ring->signer(), ring->Find(3));

  // A frame the signer tags verifies with the authenticator a receiver finds
  // by the index carried in the frame.
  std::vector<uint8_t> tag(ring->signer().tag_size());
  ring->signer().Sign(Bytes(kFrame), tag);
  EXPECT_TRUE(ring->Find(ring->signer_index())->Verify(Bytes(kFrame), tag));

  absl::StatusOr<KeyRing> crc_ring = KeyRing::Create(TwoKeys(1));
  ASSERT_TRUE(crc_ring.ok()) << crc_ring.status();
  EXPECT_EQ(crc_ring->signer_index(), 1);
  EXPECT_EQ(crc_ring->signer().method(), AuthMethod::kCrc);
}

TEST(KeyRingTest, RejectsUndefinedActiveIndex) {
  EXPECT_EQ(KeyRing::Create(TwoKeys(2)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KeyRing::Create(TwoKeys(-1)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(KeyRing::Create(TwoKeys(16)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KeyRingTest, RejectsInvalidKey) {
  AuthKeys empty_key = TwoKeys(1);
  empty_key.keys[1].key.clear();  // sha256 without a key
  EXPECT_EQ(KeyRing::Create(empty_key).status().code(), absl::StatusCode::kInvalidArgument);

  AuthKeys bad_index = TwoKeys(1);
  bad_index.keys.push_back({.index = 16, .method = AuthMethod::kMd5, .key = "k"});
  EXPECT_EQ(KeyRing::Create(bad_index).status().code(), absl::StatusCode::kInvalidArgument);

  AuthKeys duplicate = TwoKeys(1);
  duplicate.keys.push_back({.index = 3, .method = AuthMethod::kMd5, .key = "k"});
  EXPECT_EQ(KeyRing::Create(duplicate).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tachy
