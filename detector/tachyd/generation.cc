#include "detector/tachyd/generation.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/base/state_file.h"

namespace tachy {

absl::StatusOr<UniqueFd> LockStateDir(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return absl::ErrnoToStatus(errno, absl::StrCat("create state dir ", dir));
  }
  // What is written here decides which of a peer's frames we believe: the
  // directory must be ours alone.
  struct stat st{};
  if (lstat(dir.c_str(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("stat state dir ", dir));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("state dir ", dir, " is not a directory (a symlink is refused too)"));
  }
  if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "state dir %s must be owned by uid %d and writable by it alone (it is uid %d, mode "
        "%04o): fix with chown %d %s && chmod go-w %s",
        dir, static_cast<int>(geteuid()), static_cast<int>(st.st_uid), st.st_mode & 07777,
        static_cast<int>(geteuid()), dir, dir));
  }
  const std::string path = dir + "/lock";
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("open ", path));
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " is locked: another tachyd runs with this --state-dir (give each node its own)"));
    }
    return absl::ErrnoToStatus(errno, absl::StrCat("lock ", path));
  }
  return fd;
}

absl::StatusOr<uint64_t> BumpGeneration(const std::string& dir) {
  const std::string path = dir + "/generation";
  absl::StatusOr<std::optional<uint64_t>> stored = ReadStateCounter(dir, "generation");
  // An empty or garbled file is no number either: restarting from 1 would
  // make every peer that remembers us drop our frames as an old generation.
  if (absl::IsDataLoss(stored.status())) {
    return absl::DataLossError(absl::StrCat(
        stored.status().message(),
        "; remove the file to restart from 1 only if no peer remembers this node"));
  }
  if (!stored.ok()) return stored.status();
  uint64_t generation = stored->value_or(0);
  // Wrapping to 0 would make every peer reject us as an old generation.
  if (generation == std::numeric_limits<uint64_t>::max()) {
    return absl::FailedPreconditionError(absl::StrCat(
        path, ": the generation cannot grow past ", generation,
        "; restart every node of the cluster with the file removed"));
  }
  ++generation;
  // A crash mid-write must never leave a truncated number: a generation
  // going backwards would make peers reject us as a replay.
  if (absl::Status s = WriteStateFile(dir, "generation", absl::StrCat(generation, "\n"));
      !s.ok()) {
    return s;
  }
  return generation;
}

}  // namespace tachy
