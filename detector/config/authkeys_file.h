// authkeys_file.h: the authkeys parser. Heartbeat 3.0.x's syntax (`auth N`,
// `N method [key]`, `#` comments) plus tachy's `sha256` method and `rotate N`.
#ifndef TACHY_DETECTOR_CONFIG_AUTHKEYS_FILE_H_
#define TACHY_DETECTOR_CONFIG_AUTHKEYS_FILE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/config/auth_keys.h"

namespace tachy {

// ParseAuthKeys()
//
// Parses authkeys text; `filename` prefixes error messages. crc takes no key;
// md5, sha1 and sha256 require one. kInvalidArgument "FILE:LINE: ..." on
// error, also when `auth N` or a `rotate N` names an undefined index, or
// `auth N` is missing.
absl::StatusOr<AuthKeys> ParseAuthKeys(absl::string_view text, absl::string_view filename);

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONFIG_AUTHKEYS_FILE_H_
