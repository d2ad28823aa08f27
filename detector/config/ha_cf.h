// ha_cf.h: Heartbeat-compatible ha.cf, read into HaConfig.
//
// Syntax and semantics follow Heartbeat 3.0.x: order-sensitive ha.cf, `#`
// comments, option lists separated by any of ", \t", Heartbeat's time syntax
// (bare number = seconds, `ms`/`msec`, `us`/`usec`), lower-cased node names.
// tachy adds `raw IFACE [IFACE...]` for the raw-Ethernet medium, `quorum` and
// `metrics_listen`. Every error names the file and line:
// "ha.cf:12: deadtime must be more than 2 x keepalive".
#ifndef TACHY_DETECTOR_CONFIG_HA_CF_H_
#define TACHY_DETECTOR_CONFIG_HA_CF_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/config/medium.h"

namespace tachy {

enum class AutoFailback { kOn, kOff, kLegacy };

// FailbackPullsBack()
//
// Whether a node that joins takes its preferred groups back. `on` and
// `legacy` do (Heartbeat's legacy mode pulls them back with ip-request at
// every comm-up; tachy keeps the outcome, not that exchange); `off` leaves
// groups where they are.
inline bool FailbackPullsBack(AutoFailback mode) { return mode != AutoFailback::kOff; }

// `quorum majority|none` (a tachy directive in Heartbeat's style): whether a
// partition must hold more than half of the `node` lines to hold groups.
// Unset, it is majority for 3 nodes or more and none for 2 (Heartbeat R1).
enum class QuorumPolicy { kMajority, kNone };

// A ping node (`ping HOST`) or group (`ping_group NAME HOST...`): reached
// when any of its hosts answers ICMP echo within `deadping`.
struct PingTarget {
  std::string name;                // the host, or the group's name
  std::vector<std::string> hosts;  // IPv4 dotted quads
  int line = 0;
};

// Parsed ha.cf. Durations are exact (Heartbeat rounds to whole ms; tachy keeps
// microseconds so sub-millisecond settings mean what they say).
struct HaConfig {
  absl::Duration keepalive = absl::Milliseconds(1000);
  absl::Duration deadtime = absl::Milliseconds(30000);
  absl::Duration warntime;  // default deadtime / 2
  absl::Duration initdead;  // default per Heartbeat's rule, see CheckWhole in ha_cf.cc
  uint16_t udpport = 694;
  std::vector<std::string> nodes;  // lower-cased, in file order, no duplicates
  std::vector<MediumConfig> media;
  AutoFailback auto_failback = AutoFailback::kLegacy;
  QuorumPolicy quorum = QuorumPolicy::kNone;  // resolved by the node count when unset
  std::vector<PingTarget> ping;  // ping and ping_group lines, in file order
  absl::Duration deadping;       // default deadtime
  bool ipfail = false;           // `respawn ... ipfail` was there (the rule is built in)
  std::string cluster = "linux-ha";
  std::string logfile;      // empty = unset
  std::string debugfile;    // empty = unset
  std::string logfacility;  // empty = unset; "none" disables syslog
  bool realtime = true;
  int rtprio = 0;  // 0 = midpoint of the SCHED_FIFO range
  int debug = 0;
  // tachy's `metrics_listen ADDR:PORT`: Prometheus metrics over HTTP on an
  // IPv4 address (port 0 = off).
  std::string metrics_address;
  uint16_t metrics_port = 0;
  // "file:line: ..." notes about accepted-but-ignored or legacy directives;
  // the daemon logs them at start.
  std::vector<std::string> warnings;
};

// HasUdpMedia()
//
// Whether any medium is UDP (bcast, mcast, ucast): the only ones a
// Heartbeat 3 node can share (it has no raw medium).
inline bool HasUdpMedia(const HaConfig& ha) {
  for (const MediumConfig& m : ha.media) {
    if (m.kind != MediumConfig::Kind::kRaw) return true;
  }
  return false;
}

// ParseHaCf()
//
// Parses ha.cf text; `filename` prefixes error messages. Checks every value
// and the cross-field rules (deadtime > 2 x keepalive, initdead >= deadtime,
// at least one medium and one node). Returns kInvalidArgument
// "FILE:LINE: what is wrong" on the first error.
absl::StatusOr<HaConfig> ParseHaCf(absl::string_view text, absl::string_view filename);

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONFIG_HA_CF_H_
