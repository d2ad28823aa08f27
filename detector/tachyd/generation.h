// generation.h: the persisted generation (boot epoch) and the state-dir lock.
//
// Like Heartbeat's hb_generation, the number is read from STATE_DIR/generation,
// incremented and written back (fsync'd, atomically renamed) at every start, so
// peers can tell a restart from a partition and reject replayed frames of an
// older life. STATE_DIR/lock (flock) keeps two daemons off one state dir.
#ifndef TACHY_DETECTOR_TACHYD_GENERATION_H_
#define TACHY_DETECTOR_TACHYD_GENERATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "detector/base/unique_fd.h"

namespace tachy {

// LockStateDir()
//
// Creates `dir` (mode 0755) if needed and takes an exclusive lock on
// dir/lock, held while the returned fd lives. kFailedPrecondition if another
// process holds it, or if `dir` is not a directory of our euid that only it
// may write (a symlink, another owner, group/world-writable); other errors
// name the path.
absl::StatusOr<UniqueFd> LockStateDir(const std::string& dir);

// BumpGeneration()
//
// Reads dir/generation (absent = 0), adds one, persists it durably and returns
// it. kDataLoss if the file holds anything but a decimal number;
// kFailedPrecondition at the largest uint64 (it never wraps to 0). The new
// number goes to a fresh dir/generation.tmp (O_EXCL, no symlink followed),
// then is renamed over, and the directory synced.
absl::StatusOr<uint64_t> BumpGeneration(const std::string& dir);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_GENERATION_H_
