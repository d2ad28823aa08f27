// config.h: Heartbeat-compatible ha.cf and authkeys, read into ClusterConfig.
//
// Syntax and semantics follow Heartbeat 3.0.x: order-sensitive ha.cf, `#` comments, option lists separated by
// any of ", \t", Heartbeat's time syntax (bare number = seconds, `ms`/`msec`,
// `us`/`usec`), lower-cased node names. tachy adds `raw IFACE [IFACE...]` for
// the raw-Ethernet medium and the `sha256` authkeys method. Every error names
// the file and line: "ha.cf:12: deadtime must be more than 2 x keepalive".
#ifndef TACHY_DETECTOR_CONFIG_CONFIG_H_
#define TACHY_DETECTOR_CONFIG_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tachy {

// One heartbeat medium line of ha.cf.
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

enum class AutoFailback { kOn, kOff, kLegacy };

// `quorum majority|none` (a tachy directive in Heartbeat's style): whether a
// partition must hold more than half of the `node` lines to hold groups.
// Unset, it is majority for 3 nodes or more and none for 2 (Heartbeat R1).
enum class QuorumPolicy { kMajority, kNone };

// Parsed ha.cf. Durations are exact (Heartbeat rounds to whole ms; tachy keeps
// microseconds so sub-millisecond settings mean what they say).
// A ping node (`ping HOST`) or group (`ping_group NAME HOST...`): reached
// when any of its hosts answers ICMP echo within `deadping`.
struct PingTarget {
  std::string name;                // the host, or the group's name
  std::vector<std::string> hosts;  // IPv4 dotted quads
  int line = 0;
};

struct HaConfig {
  absl::Duration keepalive = absl::Milliseconds(1000);
  absl::Duration deadtime = absl::Milliseconds(30000);
  absl::Duration warntime;  // default deadtime / 2
  absl::Duration initdead;  // default per Heartbeat's rule, see config.cc
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

enum class AuthMethod { kCrc, kMd5, kSha1, kSha256 };

// AuthMethodName()
//
// "crc", "md5", "sha1" or "sha256".
absl::string_view AuthMethodName(AuthMethod method);

struct AuthKey {
  int index = 0;  // 0..15
  AuthMethod method = AuthMethod::kSha256;
  std::string key;  // empty for crc
};

// Parsed authkeys: every defined index, and the one used to sign (`auth N`).
struct AuthKeys {
  int active_index = -1;
  std::vector<AuthKey> keys;  // sorted by index, unique
  // Keys that verify besides `auth N`'s, while peers move to it (`rotate N`
  // lines, a tachy extension). Any other defined key signs nothing we accept.
  std::vector<int> rotating;

  // Find()
  //
  // The key with `index`, or nullptr.
  const AuthKey* Find(int index) const;
};

// Everything tachyd needs from a config directory, resolved for one node.
struct ClusterConfig {
  HaConfig ha;
  AuthKeys auth;
  std::string local_node;  // lower-cased; is one of ha.nodes
  std::string config_dir;
};

// ParseHeartbeatTime()
//
// Heartbeat's time syntax (cluster-glue cl_get_msec): a decimal number, optional
// spaces, optional unit; no unit = seconds, `ms`/`msec`, `us`/`usec`. Any other
// suffix (including `s`) is kInvalidArgument.
absl::StatusOr<absl::Duration> ParseHeartbeatTime(absl::string_view text);

// ParseHeartbeatBool()
//
// true|on|yes|y|1 and false|off|no|n|0, case-insensitive; else kInvalidArgument.
absl::StatusOr<bool> ParseHeartbeatBool(absl::string_view text);

// ParseHaCf()
//
// Parses ha.cf text; `filename` prefixes error messages. Checks every value
// and the cross-field rules (deadtime > 2 x keepalive, initdead >= deadtime,
// at least one medium and one node). Returns kInvalidArgument
// "FILE:LINE: what is wrong" on the first error.
absl::StatusOr<HaConfig> ParseHaCf(absl::string_view text, absl::string_view filename);

// ParseAuthKeys()
//
// Parses authkeys text: `auth N`, `N method [key]`, `#` comments. crc takes
// no key; md5, sha1 and sha256 require one. kInvalidArgument "FILE:LINE: ..."
// on error, also when `auth N` names an undefined index or is missing.
absl::StatusOr<AuthKeys> ParseAuthKeys(absl::string_view text, absl::string_view filename);

// ReadConfigFile()
//
// Reads a small (<= 1 MiB) regular config file. With `private_file`, refuses
// one that group or others may access (kPermissionDenied, as Heartbeat does
// for authkeys). Errors name the path: kNotFound, kPermissionDenied,
// kInvalidArgument (not a regular file, too large).
absl::StatusOr<std::string> ReadConfigFile(const std::string& path, bool private_file);

// CheckAuthPolicy()
//
// What the keys allow, checked against the media: a `crc` key that verifies
// (`auth` or `rotate`) authenticates nothing, so on a UDP medium (bcast,
// mcast, ucast: any process on any host that reaches it can send) it is
// refused unless `allow_crc_on_udp`; on raw Ethernet only (sending needs
// root on a host of the segment) it is allowed with a warning. Keys that are
// defined but neither sign nor rotate are said to be ignored. Warnings are
// appended to `warnings`.
absl::Status CheckAuthPolicy(const ClusterConfig& config, bool allow_crc_on_udp,
                             std::vector<std::string>* warnings);

// LoadClusterConfig()
//
// Reads DIR/ha.cf and DIR/authkeys. authkeys must not be readable or writable
// by group or others (mode 600, as Heartbeat insists); otherwise
// kPermissionDenied. `node_override` (tachyd --node) replaces `uname -n`; the
// local node, lower-cased, must be listed in ha.cf (kInvalidArgument).
// Missing or unreadable files give kNotFound / kPermissionDenied naming the path.
absl::StatusOr<ClusterConfig> LoadClusterConfig(const std::string& dir,
                                                absl::string_view node_override);

struct LogOptions;

// MakeLogOptions()
//
// Logging destinations from ha.cf (logfile, debugfile, logfacility, debug),
// with `ident` prefixing every line.
LogOptions MakeLogOptions(const HaConfig& ha, std::string ident);

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONFIG_CONFIG_H_
