#include "detector/frame.h"

#include <cstring>

#include "detector/auth.h"
#include "detector/base/fnv1a.h"
#include "detector/base/byte_order.h"

namespace tachy {
namespace {


}  // namespace

absl::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNone: return "none";
    case RejectReason::kShort: return "short";
    case RejectReason::kBadMagic: return "bad_magic";
    case RejectReason::kBadVersion: return "bad_version";
    case RejectReason::kUnknownKey: return "unknown_key";
    case RejectReason::kBadTag: return "bad_tag";
    case RejectReason::kWrongCluster: return "wrong_cluster";
    case RejectReason::kUnknownNode: return "unknown_node";
    case RejectReason::kOwnFrame: return "own_frame";
    case RejectReason::kOldGeneration: return "old_generation";
    case RejectReason::kReplay: return "replay";
    case RejectReason::kStale: return "stale";
  }
  return "invalid";
}

uint32_t NameId(absl::string_view name) { return Fnv1a(name); }

size_t EncodeFrame(const Frame& frame, const Authenticator& auth, std::span<uint8_t> out) {
  uint8_t* p = out.data();
  StoreBe16(p + 0, kFrameMagic);
  p[2] = kFrameVersion;
  p[3] = static_cast<uint8_t>(frame.type);
  p[4] = frame.flags;
  p[5] = frame.key_id;
  p[6] = static_cast<uint8_t>(auth.tag_size());
  p[7] = static_cast<uint8_t>(frame.state);
  StoreBe32(p + 8, frame.cluster_id);
  StoreBe32(p + 12, frame.node_id);
  StoreBe64(p + 16, frame.generation);
  StoreBe64(p + 24, frame.sequence);
  StoreBe64(p + 32, static_cast<uint64_t>(frame.send_time_ns));
  StoreBe32(p + 40, frame.interval_us);
  StoreBe32(p + 44, frame.deadtime_us);
  std::memcpy(p + 48, frame.runner.data(), kRunnerDataSize);
  auth.Sign(out.first(kFrameHeaderSize), out.subspan(kFrameHeaderSize, auth.tag_size()));
  return kFrameHeaderSize + auth.tag_size();
}

RejectReason ParseFrameHeader(std::span<const uint8_t> bytes, Frame* out,
                              std::span<const uint8_t>* signed_part,
                              std::span<const uint8_t>* tag) {
  // Magic first so that foreign traffic on a UDP port is told apart from a
  // truncated tachy frame.
  if (bytes.size() < 3) return RejectReason::kShort;
  const uint8_t* p = bytes.data();
  if (LoadBe16(p) != kFrameMagic) return RejectReason::kBadMagic;
  if (p[2] != kFrameVersion) return RejectReason::kBadVersion;
  if (bytes.size() < 4) return RejectReason::kShort;  // the type byte is next
  // An unknown type is a newer protocol revision, not corruption.
  if (p[3] < static_cast<uint8_t>(FrameType::kHeartbeat) ||
      p[3] > static_cast<uint8_t>(FrameType::kLeave)) {
    return RejectReason::kBadVersion;
  }
  if (bytes.size() < kFrameHeaderSize) return RejectReason::kShort;
  const size_t tag_len = p[6];
  if (tag_len == 0 || tag_len > kMaxTagSize) return RejectReason::kBadTag;
  if (bytes.size() < kFrameHeaderSize + tag_len) return RejectReason::kShort;
  out->type = static_cast<FrameType>(p[3]);
  out->flags = p[4];
  out->key_id = p[5];
  out->state = static_cast<SenderState>(p[7]);
  out->cluster_id = LoadBe32(p + 8);
  out->node_id = LoadBe32(p + 12);
  out->generation = LoadBe64(p + 16);
  out->sequence = LoadBe64(p + 24);
  out->send_time_ns = static_cast<int64_t>(LoadBe64(p + 32));
  out->interval_us = LoadBe32(p + 40);
  out->deadtime_us = LoadBe32(p + 44);
  std::memcpy(out->runner.data(), p + 48, kRunnerDataSize);
  *signed_part = bytes.first(kFrameHeaderSize);
  *tag = bytes.subspan(kFrameHeaderSize, tag_len);
  return RejectReason::kNone;
}

}  // namespace tachy
