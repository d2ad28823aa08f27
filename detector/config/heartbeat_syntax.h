// heartbeat_syntax.h: the syntax ha.cf and authkeys share with Heartbeat 3.0.x
// — value separators, strict decimals, time and boolean values — and the
// reading of a config file with Heartbeat's ownership and mode rules.
#ifndef TACHY_DETECTOR_CONFIG_HEARTBEAT_SYNTAX_H_
#define TACHY_DETECTOR_CONFIG_HEARTBEAT_SYNTAX_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tachy {

// Heartbeat's DELIMS minus the newline (lines are already split): values on a
// line are separated by any of these, so "node a,b" == "node a b".
inline constexpr absl::string_view kHeartbeatValueDelims = ", \t\f\r";
// A directive name (ha.cf) or a token (authkeys) ends at whitespace only
// (parse_config uses WHITESPACE there), so "node,a" is one unknown token.
inline constexpr absl::string_view kHeartbeatWhitespace = " \t\f\r\v";

// ParseStrictDecimal()
//
// A non-negative decimal of at most 9 digits: digits only, no sign, no
// spaces, so "+5", " 5" and "5x" are rejected rather than half-parsed as
// atoi would. nullopt otherwise.
std::optional<int> ParseStrictDecimal(absl::string_view text);

// ParseHeartbeatTime()
//
// Heartbeat's time syntax (cluster-glue cl_get_msec): a decimal number, optional
// spaces, optional unit; no unit = seconds, `ms`/`msec`, `us`/`usec`. Any other
// suffix (including `s`) is kInvalidArgument.
absl::StatusOr<absl::Duration> ParseHeartbeatTime(absl::string_view text);

// ParseHeartbeatBool()
//
// true|on|yes|y|1 and false|off|no|n|0, case-insensitive; else kInvalidArgument.
absl::StatusOr<bool> ParseHeartbeatBool(absl::string_view text);

// ReadConfigFile()
//
// Reads a small (<= 1 MiB) regular config file owned by root or by the
// effective user and not writable by group or others. With `private_file`,
// also refuses one that group or others may read (kPermissionDenied, as
// Heartbeat does for authkeys). Errors name the path: kNotFound,
// kPermissionDenied, kInvalidArgument (not a regular file, too large).
absl::StatusOr<std::string> ReadConfigFile(const std::string& path, bool private_file);

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONFIG_HEARTBEAT_SYNTAX_H_
