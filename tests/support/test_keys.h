// test_keys.h: the authkeys most detector tests use: index 1, sha256.
#ifndef TACHY_TESTS_SUPPORT_TEST_KEYS_H_
#define TACHY_TESTS_SUPPORT_TEST_KEYS_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/auth.h"
#include "detector/config/auth_keys.h"
#include "gtest/gtest.h"

namespace tachy {

// A key ring of one sha256 key at authkeys index 1 (a test failure if it
// cannot be made).
inline KeyRing Sha256KeyRing(absl::string_view secret) {
  AuthKeys keys;
  keys.active_index = 1;
  keys.keys = {{.index = 1, .method = AuthMethod::kSha256, .key = std::string(secret)}};
  absl::StatusOr<KeyRing> ring = KeyRing::Create(keys);
  EXPECT_TRUE(ring.ok()) << ring.status();
  return ring.ok() ? *std::move(ring) : KeyRing();
}

// A sha256 authenticator, to sign frames as a peer holding `secret` would.
inline std::unique_ptr<Authenticator> Sha256Signer(absl::string_view secret) {
  absl::StatusOr<std::unique_ptr<Authenticator>> a =
      Authenticator::Create(AuthMethod::kSha256, secret);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *std::move(a) : nullptr;
}

}  // namespace tachy

#endif  // TACHY_TESTS_SUPPORT_TEST_KEYS_H_
