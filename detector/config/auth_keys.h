// auth_keys.h: the cluster's keys as authkeys defines them. Plain structs:
// the authenticator and the Heartbeat codec take them without the parser
// (authkeys_file.h reads them).
#ifndef TACHY_DETECTOR_CONFIG_AUTH_KEYS_H_
#define TACHY_DETECTOR_CONFIG_AUTH_KEYS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tachy {

enum class AuthMethod { kCrc, kMd5, kSha1, kSha256 };

// AuthMethodName()
//
// "crc", "md5", "sha1" or "sha256".
absl::string_view AuthMethodName(AuthMethod method);

struct AuthKey {
  int index = 0;  // 0..15
  AuthMethod method = AuthMethod::kSha256;
  std::string key;  // empty for crc
};

// Every defined index, and the one used to sign (`auth N`).
struct AuthKeys {
  int active_index = -1;
  std::vector<AuthKey> keys;  // sorted by index, unique
  // Keys that verify besides `auth N`'s, while peers move to it (`rotate N`
  // lines, a tachy extension). Any other defined key signs nothing we accept.
  std::vector<int> rotating;

  // Find()
  //
  // The key with `index`, or nullptr.
  const AuthKey* Find(int index) const;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONFIG_AUTH_KEYS_H_
