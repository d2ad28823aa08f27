#include "detector/config/auth_keys.h"

#include "absl/strings/string_view.h"

namespace tachy {

absl::string_view AuthMethodName(AuthMethod method) {
  switch (method) {
    case AuthMethod::kCrc:
      return "crc";
    case AuthMethod::kMd5:
      return "md5";
    case AuthMethod::kSha1:
      return "sha1";
    case AuthMethod::kSha256:
      return "sha256";
  }
  return "?";
}

const AuthKey* AuthKeys::Find(int index) const {
  for (const AuthKey& key : keys) {
    if (key.index == index) return &key;
  }
  return nullptr;
}

}  // namespace tachy
