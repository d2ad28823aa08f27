// frame.h: the tachy heartbeat frame, version 1 (ethertype 0x88B5 or UDP).
//
// Fixed layout, network byte order, every field at a fixed offset:
//
//   off size field
//    0   2   magic 0x5459 ("TY")
//    2   1   version (1)
//    3   1   type (FrameType)
//    4   1   flags: bit 0 = the sender's action runner is connected
//    5   1   key id: the authkeys index that signed the frame (0..15)
//    6   1   tag length in bytes (depends on the key's method, <= 20)
//    7   1   sender state (SenderState)
//    8   4   cluster id: FNV-1a of ha.cf `cluster` (default "linux-ha")
//   12   4   node id: FNV-1a of the lower-cased sender node name
//   16   8   generation: the sender's boot epoch, persisted, +1 at every start
//   24   8   sequence: +1 per frame within a generation, starts at 1
//   32   8   sender's CLOCK_MONOTONIC send time, ns
//   40   4   sender's keepalive, µs
//   44   4   sender's deadtime, µs
//   48  16   runner data: the sender's action runner's advertisement,
//            opaque to tachyd (tachy-actions puts its ownership there:
//            actions/ownership_ad.h); carried, never interpreted
//   64   n   tag over bytes [0, 64)
//
// Receivers check length, magic, version and tag before trusting anything
// else; see RejectReason for every way a frame is dropped.
#ifndef TACHY_DETECTOR_FRAME_H_
#define TACHY_DETECTOR_FRAME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/strings/string_view.h"
#include "detector/stream/runner_data.h"

namespace tachy {

class Authenticator;

inline constexpr uint16_t kEtherType = 0x88B5;
inline constexpr uint16_t kFrameMagic = 0x5459;
inline constexpr uint8_t kFrameVersion = 1;
inline constexpr size_t kFrameHeaderSize = 64;
inline constexpr uint8_t kFlagActionsReady = 0x01;
inline constexpr size_t kMaxFrameSize = kFrameHeaderSize + 20;

enum class FrameType : uint8_t {
  kHeartbeat = 1,
  kLeave = 2,             // clean shutdown: peers mark the sender dead at once
  // Any other type is refused (kBadVersion): a newer protocol's, which this
  // one must not take for a heartbeat.
};

enum class SenderState : uint8_t { kInit = 0, kActive = 1, kStandby = 2, kLeaving = 3 };

struct Frame {
  FrameType type = FrameType::kHeartbeat;
  uint8_t flags = 0;
  uint8_t key_id = 0;
  SenderState state = SenderState::kActive;
  uint32_t cluster_id = 0;
  uint32_t node_id = 0;
  uint64_t generation = 0;
  uint64_t sequence = 0;
  int64_t send_time_ns = 0;
  uint32_t interval_us = 0;
  uint32_t deadtime_us = 0;
  RunnerData runner{};
};

// Why a received frame was dropped. Counted per reason, never logged per frame.
enum class RejectReason : uint8_t {
  kNone = 0,
  kShort,          // fewer bytes than header + tag
  kBadMagic,       // not a tachy frame
  kBadVersion,     // a tachy frame of a version we do not speak
  kUnknownKey,     // key id not accepted: neither `auth N` nor a `rotate N` of our authkeys
  kBadTag,         // signature does not match (wrong key, forged, corrupted)
  kWrongCluster,   // signed, but for another cluster name
  kUnknownNode,    // signed, but the node id is not among our `node` lines
  kOwnFrame,       // our own frame looped back (broadcast, ucast to self)
  kOldGeneration,  // generation older than the one already accepted: replay
  kReplay,         // sequence not newer than the last accepted one
  kStale,          // newer, but its send time is off the peer's clock: a recording
};
inline constexpr size_t kRejectReasonCount = 12;

// RejectReasonName()
//
// Stable snake_case name used in status JSON: "short", "bad_magic", ...
absl::string_view RejectReasonName(RejectReason reason);

// NameId()
//
// The frame's node id and cluster id: 32-bit FNV-1a of the (already lower-cased) name. Config loading rejects a
// node list whose ids collide.
uint32_t NameId(absl::string_view name);

// EncodeFrame()
//
// Writes `frame` signed by `auth` (whose authkeys index is frame.key_id) into
// `out`; returns the byte count (kFrameHeaderSize + auth.tag_size()).
// Precondition: out.size() >= kMaxFrameSize.
size_t EncodeFrame(const Frame& frame, const Authenticator& auth, std::span<uint8_t> out);

// ParseFrameHeader()
//
// Bounds-checked decode of `bytes` into `out` without checking the tag.
// Returns kNone, kShort, kBadMagic, kBadVersion (also for an unknown type) or
// kBadTag (tag length 0 or above kMaxTagSize). On kNone, `signed_part` and
// `tag` point into `bytes` for the caller to verify with the key `out->key_id`.
// Trailing bytes after the tag (Ethernet padding) are ignored.
RejectReason ParseFrameHeader(std::span<const uint8_t> bytes, Frame* out,
                              std::span<const uint8_t>* signed_part,
                              std::span<const uint8_t>* tag);

}  // namespace tachy

#endif  // TACHY_DETECTOR_FRAME_H_
