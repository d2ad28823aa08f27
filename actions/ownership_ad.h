// ownership_ad.h: what tachy-actions advertises in the runner data of every
// heartbeat frame (detector/frame.h bytes 48..63). tachyd carries these 16
// bytes without reading them; only action runners (and tachydump, to show
// them) know this layout.
//
//   off size field (network byte order)
//    0   4   groups held: bit i = i-th haresources group (starting, running
//            or stopping on the sender)
//    4   2   groups wanted (takeover / auto_failback requests)
//    6   2   groups declined (standby requests)
//    8   4   haresources digest: nodes compare it to catch differing files
//   12   2   groups probing: the sender's runner has not yet found out
//            whether they run there (its start-up probe, per group); no
//            other node takes them meanwhile
//   14   2   ping nodes reached: 0x8000 | count once judged (ha.cf ping
//            and ping_group, deadping after start); 0 without ping nodes,
//            before that, or from a build without them (neutral)
//
// The layout is the one frame version 1 had at fixed offsets, so nodes of
// either build read each other's ownership.
#ifndef TACHY_ACTIONS_OWNERSHIP_AD_H_
#define TACHY_ACTIONS_OWNERSHIP_AD_H_

#include <cstdint>

#include "detector/stream/runner_data.h"

namespace tachy {

struct OwnershipAd {
  uint32_t held = 0;
  uint16_t wants = 0;
  uint16_t declines = 0;
  uint32_t digest = 0;
  uint16_t probing = 0;
  uint16_t ping = 0;
  friend bool operator==(const OwnershipAd&, const OwnershipAd&) = default;
};

inline RunnerData EncodeOwnershipAd(const OwnershipAd& ad) {
  RunnerData d{};
  auto put = [&d](size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) d[at + i] = static_cast<uint8_t>(v >> (8 * (bytes - 1 - i)));
  };
  put(0, ad.held, 4);
  put(4, ad.wants, 2);
  put(6, ad.declines, 2);
  put(8, ad.digest, 4);
  put(12, ad.probing, 2);
  put(14, ad.ping, 2);
  return d;
}

inline OwnershipAd DecodeOwnershipAd(const RunnerData& d) {
  auto get = [&d](size_t at, int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | d[at + i];
    return v;
  };
  OwnershipAd ad;
  ad.held = get(0, 4);
  ad.wants = static_cast<uint16_t>(get(4, 2));
  ad.declines = static_cast<uint16_t>(get(6, 2));
  ad.digest = get(8, 4);
  ad.probing = static_cast<uint16_t>(get(12, 2));
  ad.ping = static_cast<uint16_t>(get(14, 2));
  return ad;
}

}  // namespace tachy

#endif  // TACHY_ACTIONS_OWNERSHIP_AD_H_
