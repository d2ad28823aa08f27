// peer_memory.h: what tachyd remembers of its peers across its own restarts.
//
// A restarted receiver that forgot everything would accept the first
// authentic frame of any generation, and after it every recording of the
// peer with a higher sequence: a dead node kept "up" by a replay. So tachyd
// keeps STATE_DIR/peers: per peer the newest generation it accepted (older
// ones stay refused) and the peer's clock offset (send time minus our
// receive time), valid while this host has not rebooted (the boot id says
// so: CLOCK_MONOTONIC starts again at a boot).
//
// File format, one item per line:
//   boot <this host's /proc/sys/kernel/random/boot_id>
//   peer <name> <generation> <offset_ns|-> 
#ifndef TACHY_DETECTOR_TACHYD_PEER_MEMORY_H_
#define TACHY_DETECTOR_TACHYD_PEER_MEMORY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "detector/base/mono_time.h"
#include "detector/engine.h"

namespace tachy {

// CurrentBootId()
//
// This boot's id (empty if the kernel does not say).
std::string CurrentBootId();

// ParsePeerMemory()
//
// The peers in `text` (read from `path`, named in errors as PATH:LINE).
// Offsets are kept only if the file's boot is `boot_id`.
absl::StatusOr<std::vector<RememberedPeer>> ParsePeerMemory(const std::string& text,
                                                            const std::string& path,
                                                            const std::string& boot_id);

// ReadPeerMemory()
//
// dir/peers parsed for this boot; no file: nothing remembered. kDataLoss
// for a file that does not parse (remove it to forget).
absl::StatusOr<std::vector<RememberedPeer>> ReadPeerMemory(const std::string& dir);

// FormatPeerMemory(), WritePeerMemory()
//
// The file text, and writing it durably (a fresh dir/peers.tmp, fsync,
// rename over dir/peers, directory fsync).
std::string FormatPeerMemory(const std::vector<RememberedPeer>& peers, const std::string& boot_id);
absl::Status WritePeerMemory(const std::string& dir, const std::vector<RememberedPeer>& peers);

// PeerMemoryNeedsWrite()
//
// Whether `fresh` (what the engine knows at `now`) must replace `stored`
// (the file's content, written at `written`): a peer new or with another
// generation or offset validity at once; an offset once it drifted by more
// than a millisecond; and everything once a minute, so that smaller drifts
// are not kept from the file for ever.
bool PeerMemoryNeedsWrite(const std::vector<RememberedPeer>& stored, MonoTime written,
                          const std::vector<RememberedPeer>& fresh, MonoTime now);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_PEER_MEMORY_H_
