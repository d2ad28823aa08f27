#include "detector/base/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "detector/base/unique_fd.h"

namespace tachy {

absl::StatusOr<std::optional<std::string>> ReadStateFile(const std::string& dir,
                                                         const std::string& name) {
  const std::string path = dir + "/" + name;
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return absl::ErrnoToStatus(errno, absl::StrCat("read ", path));
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat("read ", path));
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(text));
}

absl::StatusOr<std::optional<uint64_t>> ReadStateCounter(const std::string& dir,
                                                         const std::string& name) {
  absl::StatusOr<std::optional<std::string>> text = ReadStateFile(dir, name);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::optional<uint64_t>();
  const absl::string_view digits = absl::StripAsciiWhitespace(**text);
  uint64_t value = 0;
  if (!absl::SimpleAtoi(digits, &value) || !absl::ascii_isdigit(digits[0])) {
    return absl::DataLossError(absl::StrFormat("%s/%s: expected a decimal number, found '%s'",
                                               dir, name, absl::CHexEscape(digits.substr(0, 40))));
  }
  return std::optional<uint64_t>(value);
}

absl::Status WriteStateFile(const std::string& dir, const std::string& name,
                            const std::string& text) {
  const std::string path = dir + "/" + name, tmp = path + ".tmp";
  // A new file, never one found here (a symlink planted at the name would
  // have us write through it).
  if (unlink(tmp.c_str()) != 0 && errno != ENOENT) {
    return absl::ErrnoToStatus(errno, absl::StrCat("remove stale ", tmp));
  }
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("create ", tmp));
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      fsync(fd.get()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("write ", tmp));
  }
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("rename ", tmp, " to ", path));
  }
  // The rename is durable only once the directory is synced.
  UniqueFd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd.valid() || fsync(dirfd.get()) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("fsync state dir ", dir));
  }
  return absl::OkStatus();
}

}  // namespace tachy
