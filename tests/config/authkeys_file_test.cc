// authkeys_file_test.cc: authkeys, its methods, errors and `rotate`.

#include "detector/config/authkeys_file.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// One refused file and a substring of what the error says.
struct ErrorCase {
  const char* text;
  const char* message;  // substring of status.message()
};

// ---------------------------------------------------------------------------
// authkeys

TEST(ParseAuthKeysTest, HeartbeatSample) {
  absl::StatusOr<AuthKeys> auth = ParseAuthKeys(
      "#auth 1\n"
      "#1 crc\n"
      "auth 1\n"
      "1 sha1 testpass\n",
      "authkeys");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->active_index, 1);
  ASSERT_EQ(auth->keys.size(), 1u);
  EXPECT_EQ(auth->keys[0].index, 1);
  EXPECT_EQ(auth->keys[0].method, AuthMethod::kSha1);
  EXPECT_EQ(auth->keys[0].key, "testpass");
}

TEST(ParseAuthKeysTest, SeveralKeysSortedCommentsAndEveryMethod) {
  absl::StatusOr<AuthKeys> auth = ParseAuthKeys(
      "# rotate: 3 is new\r\n"
      "15 md5 old#key   # trailing comment\n"
      "\n"
      "  3\tsha256  n3w-s3cret\n"
      "auth 3 # sign with the new key\n"
      "0 crc\n"
      "2 sha1 two\n",
      "authkeys");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->active_index, 3);
  ASSERT_EQ(auth->keys.size(), 4u);
  EXPECT_EQ(auth->keys[0].index, 0);
  EXPECT_EQ(auth->keys[0].method, AuthMethod::kCrc);
  EXPECT_THAT(auth->keys[0].key, IsEmpty());
  EXPECT_EQ(auth->keys[1].index, 2);
  EXPECT_EQ(auth->keys[2].index, 3);
  EXPECT_EQ(auth->keys[2].method, AuthMethod::kSha256);
  EXPECT_EQ(auth->keys[2].key, "n3w-s3cret");
  EXPECT_EQ(auth->keys[3].index, 15);
  EXPECT_EQ(auth->keys[3].method, AuthMethod::kMd5);
  EXPECT_EQ(auth->keys[3].key, "old#key");  // '#' inside a key is part of it

  ASSERT_NE(auth->Find(3), nullptr);
  EXPECT_EQ(auth->Find(3)->key, "n3w-s3cret");
  EXPECT_EQ(auth->Find(1), nullptr);
  EXPECT_EQ(auth->Find(16), nullptr);
}

TEST(ParseAuthKeysTest, MethodNames) {
  EXPECT_EQ(AuthMethodName(AuthMethod::kCrc), "crc");
  EXPECT_EQ(AuthMethodName(AuthMethod::kMd5), "md5");
  EXPECT_EQ(AuthMethodName(AuthMethod::kSha1), "sha1");
  EXPECT_EQ(AuthMethodName(AuthMethod::kSha256), "sha256");
}

TEST(ParseAuthKeysTest, Errors) {
  const ErrorCase cases[] = {
      {.text = "", .message = "authkeys: no 'auth N' line"},
      {.text = "1 sha1 k\n", .message = "authkeys: no 'auth N' line"},
      {.text = "# auth 1\n1 sha1 k\n", .message = "authkeys: no 'auth N' line"},
      {.text = "1 sha1 k\n\nauth 3\n",
       .message = "authkeys:3: 'auth 3' names a key that is not defined"},
      {.text = "auth 1\n", .message = "authkeys:1: 'auth 1' names a key that is not defined"},
      {.text = "auth 1\nauth 1\n1 crc\n",
       .message = "authkeys:2: second 'auth' line (the first is line 1)"},
      {.text = "auth\n1 crc\n", .message = "authkeys:1: 'auth' takes one key index (0..15)"},
      {.text = "auth 1 2\n1 crc\n", .message = "authkeys:1: 'auth' takes one key index"},
      {.text = "auth 16\n", .message = "authkeys:1: auth index '16' is not 0..15"},
      {.text = "auth x\n", .message = "authkeys:1: auth index 'x' is not 0..15"},
      {.text = "auth 1\n16 crc\n", .message = "authkeys:2: key index '16' is not 0..15"},
      {.text = "auth 1\n-1 crc\n",
       .message = "authkeys:2: expected 'auth N' or 'N method [key]', got '-1'"},
      {.text = "Auth 1\n", .message = "authkeys:1: expected 'auth N' or 'N method [key]'"},
      {.text = "auth 1\n1\n", .message = "authkeys:2: key 1 needs a method"},
      {.text = "auth 1\n1 md4 k\n",
       .message = "authkeys:2: unknown auth method 'md4' (crc, md5, sha1 or sha256)"},
      {.text = "auth 1\n1 SHA1 k\n", .message = "authkeys:2: unknown auth method 'SHA1'"},
      {.text = "auth 1\n1 crc secret\n", .message = "authkeys:2: crc takes no key"},
      {.text = "auth 1\n1 md5\n", .message = "authkeys:2: md5 needs a key"},
      {.text = "auth 1\n1 sha1 # no key\n", .message = "authkeys:2: sha1 needs a key"},
      {.text = "auth 1\n1 sha256\n", .message = "authkeys:2: sha256 needs a key"},
      {.text = "auth 1\n1 sha1 two words\n",
       .message = "authkeys:2: the sha1 key must be one token without spaces"},
      {.text = "auth 1\n1 crc\n2 crc\n1 sha1 k\n",
       .message = "authkeys:4: key 1 is already defined on line 2"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<AuthKeys> auth = ParseAuthKeys(c.text, "authkeys");
    ASSERT_FALSE(auth.ok());
    EXPECT_EQ(auth.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(auth.status().message(), HasSubstr(c.message));
  }
}

// ---------------------------------------------------------------------------
// authkeys rotation and the crc policy (hardening row 5)

TEST(AuthKeysRotationTest, RotateNamesADefinedKeyOtherThanTheSigner) {
  auto keys = ParseAuthKeys("auth 2\n1 sha1 old\n2 sha256 new\nrotate 1\n", "authkeys");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(keys->rotating, ElementsAre(1));
  EXPECT_THAT(ParseAuthKeys("auth 2\n2 sha256 new\nrotate 1\n", "authkeys").status().message(),
              HasSubstr("authkeys:3: 'rotate 1' names a key that is not defined"));
  EXPECT_THAT(ParseAuthKeys("auth 2\n2 sha256 new\nrotate 2\n", "authkeys").status().message(),
              HasSubstr("names the signing key"));
  EXPECT_THAT(ParseAuthKeys("auth 2\n2 sha256 new\nrotate\n", "authkeys").status().message(),
              HasSubstr("'rotate' takes one key index"));
}

}  // namespace
}  // namespace tachy
