// authkeys_file.cc: authkeys parsing, following Heartbeat 3.0.x
// (heartbeat/auth.c parse_authfile), plus tachy's `sha256` and `rotate`.

#include "detector/config/authkeys_file.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "detector/config/heartbeat_syntax.h"

namespace tachy {
namespace {

constexpr int kMaxAuthIndex = 15;  // Heartbeat's MAXAUTH is 16

template <typename... Args>
absl::Status AuthError(absl::string_view filename, int line,
                       const absl::FormatSpec<Args...>& format, const Args&... args) {
  return absl::InvalidArgumentError(
      absl::StrCat(filename, ":", line, ": ", absl::StrFormat(format, args...)));
}

std::optional<AuthMethod> AuthMethodFromName(absl::string_view name) {
  for (AuthMethod method :
       {AuthMethod::kCrc, AuthMethod::kMd5, AuthMethod::kSha1, AuthMethod::kSha256}) {
    if (AuthMethodName(method) == name) return method;
  }
  return std::nullopt;
}

std::optional<int> ParseAuthIndex(absl::string_view text) {
  std::optional<int> index = ParseStrictDecimal(text);
  if (!index || *index > kMaxAuthIndex) return std::nullopt;
  return index;
}

}  // namespace

// Heartbeat's parse_authfile reads "%d%s%s"; a key is one whitespace-free
// token. '#' starts a comment only at the start of a token, so keys may
// contain '#' as they may in Heartbeat.
absl::StatusOr<AuthKeys> ParseAuthKeys(absl::string_view text, absl::string_view filename) {
  AuthKeys auth;
  int auth_line = 0;
  std::map<int, int> index_lines;
  std::vector<std::pair<int, int>> rotate_lines;  // (index, line)
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++number;
    std::vector<absl::string_view> tokens =
        absl::StrSplit(raw, absl::ByAnyChar(kHeartbeatWhitespace), absl::SkipEmpty());
    auto comment = std::find_if(tokens.begin(), tokens.end(),
                                [](absl::string_view t) { return absl::StartsWith(t, "#"); });
    tokens.erase(comment, tokens.end());
    if (tokens.empty()) continue;

    if (tokens[0] == "auth") {
      if (auth_line != 0) {
        return AuthError(filename, number, "second 'auth' line (the first is line %d)", auth_line);
      }
      if (tokens.size() != 2) {
        return AuthError(filename, number, "'auth' takes one key index (0..%d)", kMaxAuthIndex);
      }
      std::optional<int> index = ParseAuthIndex(tokens[1]);
      if (!index) {
        return AuthError(filename, number, "auth index '%s' is not 0..%d", tokens[1],
                         kMaxAuthIndex);
      }
      auth.active_index = *index;
      auth_line = number;
      continue;
    }

    if (tokens[0] == "rotate") {
      // A key rotation in progress: frames signed with key N are still
      // accepted, until every peer signs with `auth`'s key and the line goes.
      std::optional<int> rotating = tokens.size() == 2 ? ParseAuthIndex(tokens[1]) : std::nullopt;
      if (!rotating) {
        return AuthError(filename, number, "'rotate' takes one key index (0..%d)", kMaxAuthIndex);
      }
      auth.rotating.push_back(*rotating);
      rotate_lines.emplace_back(*rotating, number);
      continue;
    }
    std::optional<int> index = ParseAuthIndex(tokens[0]);
    if (!index) {
      if (ParseStrictDecimal(tokens[0])) {
        return AuthError(filename, number, "key index '%s' is not 0..%d", tokens[0], kMaxAuthIndex);
      }
      return AuthError(filename, number, "expected 'auth N' or 'N method [key]', got '%s'",
                       tokens[0]);
    }
    if (tokens.size() < 2) {
      return AuthError(filename, number, "key %d needs a method (crc, md5, sha1 or sha256)",
                       *index);
    }
    std::optional<AuthMethod> method = AuthMethodFromName(tokens[1]);
    if (!method) {
      return AuthError(filename, number, "unknown auth method '%s' (crc, md5, sha1 or sha256)",
                       tokens[1]);
    }
    AuthKey key;
    key.index = *index;
    key.method = *method;
    if (*method == AuthMethod::kCrc) {
      // Heartbeat refuses a key here too: crc authenticates nothing, and a key
      // would suggest otherwise.
      if (tokens.size() > 2) return AuthError(filename, number, "crc takes no key");
    } else if (tokens.size() == 2) {
      return AuthError(filename, number, "%s needs a key", tokens[1]);
    } else if (tokens.size() > 3) {
      return AuthError(filename, number, "the %s key must be one token without spaces", tokens[1]);
    } else {
      key.key = std::string(tokens[2]);
    }
    auto [it, inserted] = index_lines.try_emplace(*index, number);
    if (!inserted) {
      return AuthError(filename, number, "key %d is already defined on line %d", *index,
                       it->second);
    }
    auth.keys.push_back(std::move(key));
  }
  if (auth_line == 0) {
    return absl::InvalidArgumentError(absl::StrCat(filename, ": no 'auth N' line"));
  }
  if (auth.Find(auth.active_index) == nullptr) {
    return AuthError(filename, auth_line, "'auth %d' names a key that is not defined",
                     auth.active_index);
  }
  for (const auto& [index, line] : rotate_lines) {
    if (auth.Find(index) == nullptr) {
      return AuthError(filename, line, "'rotate %d' names a key that is not defined", index);
    }
    if (index == auth.active_index) {
      return AuthError(filename, line, "'rotate %d' names the signing key ('auth %d')", index,
                       index);
    }
  }
  std::sort(auth.keys.begin(), auth.keys.end(),
            [](const AuthKey& a, const AuthKey& b) { return a.index < b.index; });
  return auth;
}

}  // namespace tachy
