// medium.h: one heartbeat medium (an ha.cf `raw`, `bcast`, `mcast` or
// `ucast` line), as the transports take it. A plain struct: the detector
// opens media from it without knowing the parser.
#ifndef TACHY_DETECTOR_CONFIG_MEDIUM_H_
#define TACHY_DETECTOR_CONFIG_MEDIUM_H_

#include <cstdint>
#include <string>

namespace tachy {

struct MediumConfig {
  enum class Kind { kRaw, kBcast, kMcast, kUcast };
  Kind kind = Kind::kRaw;
  std::string iface;    // interface the medium sends and listens on
  std::string address;  // mcast: group; ucast: peer address or host name
  uint16_t port = 0;    // bcast/ucast: udpport in force when the line was read
  int ttl = 1;          // mcast only, 0..4
  bool loop = false;    // mcast only
  int line = 0;         // line in ha.cf, for messages

  // Name()
  //
  // Stable human name used in logs and status: "raw:eth1", "bcast:eth0",
  // "ucast:eth1:10.0.0.2", "mcast:eth0:239.192.0.1".
  std::string Name() const;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONFIG_MEDIUM_H_
