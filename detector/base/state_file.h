// state_file.h: the small files a daemon keeps in its state dir (the
// generation, the peers it remembers, the Heartbeat identity, the runner's
// last join), read and written one way: replaced whole and durably, so a
// crash leaves the old file or the new one, never half of either.
#ifndef TACHY_DETECTOR_BASE_STATE_FILE_H_
#define TACHY_DETECTOR_BASE_STATE_FILE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tachy {

// ReadStateFile()
//
// The bytes of dir/name, or nullopt if there is no such file. Other errors
// name the path.
absl::StatusOr<std::optional<std::string>> ReadStateFile(const std::string& dir,
                                                         const std::string& name);

// ReadStateCounter()
//
// The decimal number dir/name holds (whitespace around it allowed), or
// nullopt if there is no such file. kDataLoss naming the path and quoting
// the start of the content for anything else, an empty file included.
absl::StatusOr<std::optional<uint64_t>> ReadStateCounter(const std::string& dir,
                                                         const std::string& name);

// WriteStateFile()
//
// Replaces dir/name with `text` durably: a fresh dir/name.tmp (O_EXCL, no
// symlink followed), written and fsync'd, renamed over dir/name, then the
// directory fsync'd. A crash leaves the old file or the new one, whole.
absl::Status WriteStateFile(const std::string& dir, const std::string& name,
                            const std::string& text);

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_STATE_FILE_H_
