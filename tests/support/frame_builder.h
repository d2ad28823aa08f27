// frame_builder.h: a fluent builder of signed tachy frames for unit tests.
//
//   std::vector<uint8_t> bytes =
//       FrameBuilder().Node("b").Generation(3).Sequence(7).SignedBy(auth);
//
// Defaults describe a plain heartbeat of cluster "linux-ha" with key index 1,
// so a test states only the fields it is about.
#ifndef TACHY_TESTS_SUPPORT_FRAME_BUILDER_H_
#define TACHY_TESTS_SUPPORT_FRAME_BUILDER_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "detector/auth.h"
#include "actions/ownership_ad.h"
#include "detector/frame.h"

namespace tachy {

class FrameBuilder {
 public:
  FrameBuilder() {
    frame_.key_id = 1;
    frame_.cluster_id = NameId("linux-ha");
    frame_.generation = 1;
    frame_.sequence = 1;
  }

  FrameBuilder& Type(FrameType v) { frame_.type = v; return *this; }
  FrameBuilder& Flags(uint8_t v) { frame_.flags = v; return *this; }
  FrameBuilder& KeyId(uint8_t v) { frame_.key_id = v; return *this; }
  FrameBuilder& State(SenderState v) { frame_.state = v; return *this; }
  FrameBuilder& Cluster(absl::string_view name) { return ClusterId(NameId(name)); }
  FrameBuilder& ClusterId(uint32_t v) { frame_.cluster_id = v; return *this; }
  FrameBuilder& Node(absl::string_view name) { return NodeId(NameId(name)); }
  FrameBuilder& NodeId(uint32_t v) { frame_.node_id = v; return *this; }
  FrameBuilder& Generation(uint64_t v) { frame_.generation = v; return *this; }
  FrameBuilder& Sequence(uint64_t v) { frame_.sequence = v; return *this; }
  FrameBuilder& SendTimeNs(int64_t v) { frame_.send_time_ns = v; return *this; }
  FrameBuilder& IntervalUs(uint32_t v) { frame_.interval_us = v; return *this; }
  FrameBuilder& DeadtimeUs(uint32_t v) { frame_.deadtime_us = v; return *this; }
  FrameBuilder& Runner(const RunnerData& v) { frame_.runner = v; return *this; }
  // The runner data as tachy-actions fills it (actions/ownership_ad.h).
  FrameBuilder& Held(uint32_t v) { ad_.held = v; return Ad(); }
  FrameBuilder& Wants(uint16_t v) { ad_.wants = v; return Ad(); }
  FrameBuilder& Declines(uint16_t v) { ad_.declines = v; return Ad(); }
  FrameBuilder& Digest(uint32_t v) { ad_.digest = v; return Ad(); }

  const Frame& frame() const { return frame_; }

  // SignedBy()
  //
  // The encoded frame, exactly kFrameHeaderSize + auth.tag_size() bytes.
  std::vector<uint8_t> SignedBy(const Authenticator& auth) const {
    std::vector<uint8_t> out(kMaxFrameSize, 0xEE);
    out.resize(EncodeFrame(frame_, auth, out));
    return out;
  }

 private:
  FrameBuilder& Ad() {
    frame_.runner = EncodeOwnershipAd(ad_);
    return *this;
  }
  Frame frame_;
  OwnershipAd ad_;
};

}  // namespace tachy

#endif  // TACHY_TESTS_SUPPORT_FRAME_BUILDER_H_
