// hb_identity.h: who this node is to Heartbeat peers: its uuid (`srcuuid`)
// and its generation (`hg`).
//
// A node moved from Heartbeat to tachy keeps its identity: a Heartbeat peer
// looks a node up by uuid first, and drops every message of a generation at
// or below the last it accepted from that node until it restarts itself
// ("attempted replay attack"). So the uuid is Heartbeat's own
// /var/lib/heartbeat/hb_uuid when there is one, and the generation starts
// above Heartbeat's /var/lib/heartbeat/hb_generation. The generation used is
// written back there too, so a node moved back to Heartbeat continues above
// it.
#ifndef TACHY_DETECTOR_TACHYD_HB_IDENTITY_H_
#define TACHY_DETECTOR_TACHYD_HB_IDENTITY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace tachy {

inline constexpr char kHeartbeatStateDir[] = "/var/lib/heartbeat";

struct HbIdentity {
  std::string uuid;      // 16 raw bytes
  uint64_t generation = 0;
  std::string uuid_from;  // the file it came from, or "new"
};

// LoadHbIdentity()
//
// The uuid: heartbeat_dir/hb_uuid if it holds 16 bytes, else
// state_dir/hb_uuid, else 16 fresh random bytes kept in state_dir/hb_uuid.
// The generation: the larger of `tachy_generation` and one above the
// numbers in state_dir/hb_generation and heartbeat_dir/hb_generation
// (decimal; absent = 0); written to state_dir/hb_generation and, if
// heartbeat_dir exists, to heartbeat_dir/hb_generation. Errors name the
// file.
absl::StatusOr<HbIdentity> LoadHbIdentity(const std::string& state_dir,
                                          const std::string& heartbeat_dir,
                                          uint64_t tachy_generation);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_HB_IDENTITY_H_
