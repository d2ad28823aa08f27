// heartbeat_syntax.cc: the pieces of syntax ha.cf and authkeys share,
// following Heartbeat 3.0.x and cluster-glue (cl_get_msec, cl_str_to_boolean).

#include "detector/config/heartbeat_syntax.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/base/unique_fd.h"

namespace tachy {
namespace {

// Config files are a few hundred bytes; the cap keeps a mistaken path such as
// /dev/zero from eating memory.
constexpr off_t kMaxConfigFileSize = 1 << 20;

}  // namespace

std::optional<int> ParseStrictDecimal(absl::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// cl_get_msec, made strict: it accepts "1.2.3" (atof reads 1.2) and any
// suffix that merely starts with a unit ("msfoo"); both are typos here. The
// value is kept exact down to nanoseconds instead of rounded to whole ms,
// because tachy's sub-millisecond keepalives must mean what they say.
absl::StatusOr<absl::Duration> ParseHeartbeatTime(absl::string_view text) {
  auto invalid = [text]() {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text,
                     "' is not a Heartbeat time (a number, optionally followed by ms, msec, us "
                     "or usec; a bare number is seconds)"));
  };
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  size_t length = 0;
  while (length < rest.size() &&
         (absl::ascii_isdigit(static_cast<unsigned char>(rest[length])) || rest[length] == '.')) {
    ++length;
  }
  absl::string_view number = rest.substr(0, length);
  absl::string_view unit = absl::StripLeadingAsciiWhitespace(rest.substr(length));

  int64_t unit_ns = 0;
  if (unit.empty()) {
    unit_ns = 1'000'000'000;
  } else if (absl::EqualsIgnoreCase(unit, "ms") || absl::EqualsIgnoreCase(unit, "msec")) {
    unit_ns = 1'000'000;
  } else if (absl::EqualsIgnoreCase(unit, "us") || absl::EqualsIgnoreCase(unit, "usec")) {
    unit_ns = 1'000;
  } else {
    return invalid();
  }

  std::vector<absl::string_view> parts = absl::StrSplit(number, '.');
  if (parts.size() > 2 || number.find_first_of("0123456789") == absl::string_view::npos) {
    return invalid();
  }
  // One unit of headroom below the int64 limit, so the fraction cannot overflow.
  const int64_t max_units = std::numeric_limits<int64_t>::max() / unit_ns - 1;
  int64_t whole_units = 0;
  for (char c : parts[0]) {
    if (whole_units > (max_units - (c - '0')) / 10) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is too long a time"));
    }
    whole_units = whole_units * 10 + (c - '0');
  }
  int64_t nanos = whole_units * unit_ns;
  if (parts.size() == 2) {
    // Digits past nanosecond resolution are dropped.
    int64_t place = unit_ns;
    for (char c : parts[1]) {
      place /= 10;
      if (place == 0) break;
      nanos += (c - '0') * place;
    }
  }
  return absl::Nanoseconds(nanos);
}

absl::StatusOr<bool> ParseHeartbeatBool(absl::string_view text) {
  for (absl::string_view yes : {"true", "on", "yes", "y", "1"}) {
    if (absl::EqualsIgnoreCase(text, yes)) return true;
  }
  for (absl::string_view no : {"false", "off", "no", "n", "0"}) {
    if (absl::EqualsIgnoreCase(text, no)) return false;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a boolean (true|on|yes|y|1 or false|off|no|n|0)"));
}

// Reads a small regular file. With `private_file`, refuses one that group or
// others may access: authkeys holds the shared secret, and Heartbeat refuses
// such a file too (auth.c parse_authfile), so a copied /etc/ha.d behaves alike.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path, bool private_file) {
  UniqueFd file(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.valid()) return absl::ErrnoToStatus(errno, path);
  const int fd = file.get();
  struct stat st {};
  if (fstat(fd, &st) != 0) return absl::ErrnoToStatus(errno, path);
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat(path, ": not a file"));
  if (private_file && (st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s: mode %04o lets group or others read it; chmod 600 it (Heartbeat refuses it too)", path,
        st.st_mode & 07777));
  }
  // Whoever may write these files decides what tachy runs as root (ha.cf,
  // haresources) or which frames it believes (authkeys): root or the user
  // tachy runs as, and nobody else.
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s: owned by uid %d, who could change what tachy trusts; chown root it", path,
        static_cast<int>(st.st_uid)));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s: mode %04o lets group or others change it (and so what tachy runs or trusts); "
        "chmod go-w it",
        path, st.st_mode & 07777));
  }
  if (st.st_size > kMaxConfigFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxConfigFileSize, " bytes; not a config file"));
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, path);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > static_cast<size_t>(kMaxConfigFileSize)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": grew while being read"));
    }
  }
  return text;
}

}  // namespace tachy
