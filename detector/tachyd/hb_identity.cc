#include "detector/tachyd/hb_identity.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "detector/base/state_file.h"

namespace tachy {
namespace {

// The last Heartbeat generation stored in `dir` (0 if none).
absl::StatusOr<uint64_t> ReadGeneration(const std::string& dir) {
  absl::StatusOr<std::optional<uint64_t>> value = ReadStateCounter(dir, "hb_generation");
  if (!value.ok()) return value.status();
  return value->value_or(0);
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

absl::StatusOr<HbIdentity> LoadHbIdentity(const std::string& state_dir,
                                          const std::string& heartbeat_dir,
                                          uint64_t tachy_generation) {
  HbIdentity id;
  for (const std::string& dir : {heartbeat_dir, state_dir}) {
    auto bytes = ReadStateFile(dir, "hb_uuid");
    if (!bytes.ok()) return bytes.status();
    if (bytes->has_value() && (*bytes)->size() == 16) {
      id.uuid = **bytes;
      id.uuid_from = absl::StrCat(dir, "/hb_uuid");
      break;
    }
  }
  if (id.uuid.empty()) {
    id.uuid.resize(16);
    if (getrandom(id.uuid.data(), id.uuid.size(), 0) != 16) {
      return absl::ErrnoToStatus(errno, "getrandom for the Heartbeat uuid");
    }
    id.uuid[6] = static_cast<char>((id.uuid[6] & 0x0f) | 0x40);  // RFC 4122 version 4
    id.uuid[8] = static_cast<char>((id.uuid[8] & 0x3f) | 0x80);
    if (absl::Status s = WriteStateFile(state_dir, "hb_uuid", id.uuid); !s.ok()) return s;
    id.uuid_from = "new";
  }
  uint64_t last = 0;
  for (const std::string& dir : {heartbeat_dir, state_dir}) {
    auto g = ReadGeneration(dir);
    if (!g.ok()) return g.status();
    last = std::max(last, *g);
  }
  id.generation = std::max(tachy_generation, last + 1);
  const std::string text = absl::StrCat(id.generation);
  if (absl::Status s = WriteStateFile(state_dir, "hb_generation", text); !s.ok()) return s;
  if (IsDirectory(heartbeat_dir)) {
    if (absl::Status s = WriteStateFile(heartbeat_dir, "hb_generation", text); !s.ok()) return s;
  }
  return id;
}

}  // namespace tachy
