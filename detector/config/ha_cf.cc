// ha_cf.cc: ha.cf parsing, following Heartbeat 3.0.x (heartbeat/config.c
// parse_config): one handler per directive, then the cross-field rules.

#include "detector/config/ha_cf.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "detector/base/fnv1a.h"
#include "detector/base/ipv4.h"
#include "detector/config/heartbeat_syntax.h"

namespace tachy {
namespace {

constexpr absl::Duration kKeepaliveFloor = absl::Microseconds(100);
constexpr int kMaxNodeNameLength = 63;
// IFNAMSIZ - 1: longer names cannot be bound with SO_BINDTODEVICE.
constexpr int kMaxIfaceNameLength = 15;

// ---------------------------------------------------------------------------
// ha.cf

// One non-blank ha.cf line, split; the views point into the caller's text.
struct Line {
  int number = 0;
  absl::string_view directive;
  std::vector<absl::string_view> values;
};

// State while reading one ha.cf.
struct HaCfState {
  absl::string_view filename;
  HaConfig config;
  // Scalar directive (or alias group) -> line that last set it.
  std::map<std::string, int, std::less<>> scalar_lines;
  std::map<std::string, int, std::less<>> node_lines;
  std::map<std::string, int, std::less<>> medium_lines;

  int LineOf(absl::string_view key) const {
    auto it = scalar_lines.find(key);
    return it == scalar_lines.end() ? 0 : it->second;
  }
};

// "FILE:LINE: what" (or "FILE: what" when no line applies, line == 0).
template <typename... Args>
absl::Status ErrorAt(const HaCfState& state, int line, const absl::FormatSpec<Args...>& format,
                     const Args&... args) {
  std::string where =
      line > 0 ? absl::StrCat(state.filename, ":", line, ": ") : absl::StrCat(state.filename, ": ");
  return absl::InvalidArgumentError(absl::StrCat(where, absl::StrFormat(format, args...)));
}

template <typename... Args>
void WarnAt(HaCfState& state, int line, const absl::FormatSpec<Args...>& format,
            const Args&... args) {
  state.config.warnings.push_back(
      absl::StrCat(state.filename, ":", line, ": ", absl::StrFormat(format, args...)));
}

// Returns false for blank and comment-only lines.
bool SplitLine(absl::string_view text, int number, Line* line) {
  text = text.substr(0, text.find('#'));
  size_t start = text.find_first_not_of(kHeartbeatWhitespace);
  if (start == absl::string_view::npos) return false;
  text.remove_prefix(start);
  size_t end = std::min(text.find_first_of(kHeartbeatWhitespace), text.size());
  line->number = number;
  line->directive = text.substr(0, end);
  line->values = absl::StrSplit(text.substr(end), absl::ByAnyChar(kHeartbeatValueDelims), absl::SkipEmpty());
  return true;
}

// Scalar directives take exactly one value. Heartbeat applies each value of a
// line in turn, so "keepalive 1 2" would silently mean 2 (and "keepalive 1500
// ms" would fail on "ms"); refusing is clearer. A repeated directive keeps
// Heartbeat's last-one-wins rule but says so. `key` groups aliases
// (nice_failback sets auto_failback).
absl::StatusOr<absl::string_view> ScalarValue(const Line& line, HaCfState& state,
                                              absl::string_view key = {}) {
  if (line.values.size() != 1) {
    return ErrorAt(state, line.number, "'%s' takes one value, got %d", line.directive,
                   line.values.size());
  }
  if (key.empty()) key = line.directive;
  auto [it, inserted] = state.scalar_lines.try_emplace(std::string(key), line.number);
  if (!inserted) {
    WarnAt(state, line.number, "'%s' was already set on line %d; the last value wins",
           line.directive, it->second);
    it->second = line.number;
  }
  return line.values[0];
}

constexpr absl::Duration kMaxHaCfTime = absl::Hours(24);

absl::Status SetTime(const Line& line, HaCfState& state, absl::Duration* field) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  absl::StatusOr<absl::Duration> time = ParseHeartbeatTime(*value);
  if (!time.ok()) {
    return ErrorAt(state, line.number, "%s: %s", line.directive, time.status().message());
  }
  // Longer times are mistakes, and they overflow the engine's arithmetic
  // (times are added to CLOCK_MONOTONIC nanoseconds and to wheel slots).
  if (*time > kMaxHaCfTime) {
    return ErrorAt(state, line.number, "%s: '%s' is longer than the limit of %s", line.directive,
                   *value, absl::FormatDuration(kMaxHaCfTime));
  }
  *field = *time;
  return absl::OkStatus();
}

absl::Status SetInt(const Line& line, HaCfState& state, int min, int max, int* field) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  std::optional<int> number = ParseStrictDecimal(*value);
  if (!number || *number < min || *number > max) {
    return ErrorAt(state, line.number, "%s '%s' is not a whole number in %d..%d", line.directive,
                   *value, min, max);
  }
  *field = *number;
  return absl::OkStatus();
}

absl::Status SetBool(const Line& line, HaCfState& state, bool* field) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  absl::StatusOr<bool> flag = ParseHeartbeatBool(*value);
  if (!flag.ok()) {
    return ErrorAt(state, line.number, "%s: %s", line.directive, flag.status().message());
  }
  *field = *flag;
  return absl::OkStatus();
}

absl::Status SetString(const Line& line, HaCfState& state, std::string* field) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  *field = std::string(*value);
  return absl::OkStatus();
}

absl::Status SetUdpPort(const Line& line, HaCfState& state) {
  int port = 0;
  absl::Status status = SetInt(line, state, 1, 65535, &port);
  if (!status.ok()) return status;
  state.config.udpport = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

// metrics_listen ADDR:PORT: an IPv4 literal (no name: start-up must not
// wait on DNS) and a port.
absl::Status SetMetricsListen(const Line& line, HaCfState& state) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  const size_t colon = value->rfind(':');
  const std::optional<uint32_t> addr =
      colon == absl::string_view::npos ? std::nullopt : ParseIpv4(value->substr(0, colon));
  int port = 0;
  if (!addr ||
      !absl::SimpleAtoi(value->substr(colon + 1), &port) || port < 1 || port > 65535) {
    return ErrorAt(state, line.number,
                   "metrics_listen '%s' is not IPV4-ADDRESS:PORT (e.g. 127.0.0.1:9694)", *value);
  }
  state.config.metrics_address = std::string(value->substr(0, colon));
  state.config.metrics_port = static_cast<uint16_t>(port);
  if ((*addr >> 24) != 127) {
    state.config.warnings.push_back(absl::StrFormat(
        "%s:%d: metrics_listen %s is not a loopback address: anyone who reaches it reads the "
        "cluster's state (the endpoint has no authentication)",
        state.filename, line.number, *value));
  }
  return absl::OkStatus();
}

absl::Status SetAutoFailback(const Line& line, HaCfState& state) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state, "auto_failback");
  if (!value.ok()) return value.status();
  // Heartbeat's set_auto_failback: "legacy", else any boolean.
  if (absl::EqualsIgnoreCase(*value, "legacy")) {
    state.config.auto_failback = AutoFailback::kLegacy;
    return absl::OkStatus();
  }
  absl::StatusOr<bool> on = ParseHeartbeatBool(*value);
  if (!on.ok()) {
    return ErrorAt(state, line.number, "auto_failback '%s' is not on, off or legacy", *value);
  }
  state.config.auto_failback = *on ? AutoFailback::kOn : AutoFailback::kOff;
  return absl::OkStatus();
}

absl::Status SetQuorum(const Line& line, HaCfState& state) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  if (absl::EqualsIgnoreCase(*value, "majority")) {
    state.config.quorum = QuorumPolicy::kMajority;
  } else if (absl::EqualsIgnoreCase(*value, "none")) {
    state.config.quorum = QuorumPolicy::kNone;
  } else {
    return ErrorAt(state, line.number, "quorum '%s' is not majority or none", *value);
  }
  return absl::OkStatus();
}

// ping / ping_group hosts: IPv4 literals only. Resolving a name would make
// start-up wait on DNS, and a name that resolves elsewhere later would
// change which host decides a failover.
absl::Status AddPingHosts(const Line& line, HaCfState& state, absl::Span<const absl::string_view> hosts,
                          PingTarget* target) {
  for (absl::string_view host : hosts) {
    if (!ParseIpv4(host)) {
      return ErrorAt(state, line.number,
                     "%s: '%s' is not an IPv4 address (tachy does not resolve names for ping "
                     "nodes; write the address)", line.directive, host);
    }
    target->hosts.emplace_back(host);
  }
  return absl::OkStatus();
}

absl::Status AddPing(const Line& line, HaCfState& state) {
  // Heartbeat: each host of a `ping` line is a ping node of its own.
  for (absl::string_view host : line.values) {
    PingTarget t;
    t.name = std::string(host);
    t.line = line.number;
    const absl::string_view one[] = {host};
    if (absl::Status s = AddPingHosts(line, state, one, &t); !s.ok()) return s;
    state.config.ping.push_back(std::move(t));
  }
  return absl::OkStatus();
}

absl::Status AddPingGroup(const Line& line, HaCfState& state) {
  if (line.values.size() < 2) {
    return ErrorAt(state, line.number, "ping_group takes a name and at least one host");
  }
  PingTarget t;
  t.name = std::string(line.values[0]);
  t.line = line.number;
  std::vector<absl::string_view> hosts(line.values.begin() + 1, line.values.end());
  if (absl::Status s = AddPingHosts(line, state, hosts, &t); !s.ok()) return s;
  state.config.ping.push_back(std::move(t));
  return absl::OkStatus();
}

// `respawn USER PROGRAM`: ipfail's rule is built in (ping nodes); any other
// client is not started.
absl::Status NoteRespawn(const Line& line, HaCfState& state) {
  const absl::string_view program = line.values.back();
  if (line.values.size() >= 2 && absl::EndsWith(program, "ipfail")) {
    state.config.ipfail = true;
    WarnAt(state, line.number,
           "'respawn %s': not started; tachy applies ipfail's rule itself (a node that reaches "
           "fewer ping nodes than a peer hands its groups over)", absl::StrJoin(line.values, " "));
    return absl::OkStatus();
  }
  WarnAt(state, line.number, "'respawn': respawned clients are not supported; '%s' is not started",
         program);
  return absl::OkStatus();
}

// Heartbeat's set_nice_failback: the pre-1.0 switch, mapped onto the modes
// that behave the same way.
absl::Status SetNiceFailback(const Line& line, HaCfState& state) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state, "auto_failback");
  if (!value.ok()) return value.status();
  absl::StatusOr<bool> nice = ParseHeartbeatBool(*value);
  if (!nice.ok()) {
    return ErrorAt(state, line.number, "nice_failback: %s", nice.status().message());
  }
  state.config.auto_failback = *nice ? AutoFailback::kOff : AutoFailback::kLegacy;
  WarnAt(state, line.number, "'nice_failback' is obsolete; read as 'auto_failback %s'",
         *nice ? "off" : "legacy");
  return absl::OkStatus();
}

absl::Status SetLogFacility(const Line& line, HaCfState& state) {
  static constexpr absl::string_view kFacilities[] = {
      "auth",   "authpriv", "cron",   "daemon", "ftp",    "kern",   "lpr",
      "mail",   "news",     "syslog", "user",   "uucp",   "local0", "local1",
      "local2", "local3",   "local4", "local5", "local6", "local7", "none"};
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  // Case-sensitive, like cluster-glue's cl_syslogfac_str2int (strcmp).
  if (std::find(std::begin(kFacilities), std::end(kFacilities), *value) == std::end(kFacilities)) {
    return ErrorAt(state, line.number, "logfacility '%s' is not a syslog facility (%s)", *value,
                   absl::StrJoin(kFacilities, " "));
  }
  state.config.logfacility = std::string(*value);
  return absl::OkStatus();
}

absl::Status AddNodes(const Line& line, HaCfState& state) {
  for (absl::string_view value : line.values) {
    // Heartbeat's add_node lower-cases, so "node Ken3" matches `uname -n` "ken3".
    std::string name = absl::AsciiStrToLower(value);
    if (name.size() > kMaxNodeNameLength) {
      return ErrorAt(state, line.number, "node name '%s' is longer than %d characters", name,
                     kMaxNodeNameLength);
    }
    for (char c : name) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
        return ErrorAt(state, line.number,
                       "node name '%s' may only contain letters, digits, '.', '_' and '-'", name);
      }
    }
    auto [it, inserted] = state.node_lines.try_emplace(name, line.number);
    if (!inserted) {
      return ErrorAt(state, line.number, "node '%s' is already listed on line %d", name,
                     it->second);
    }
    state.config.nodes.push_back(std::move(name));
  }
  return absl::OkStatus();
}

// Linux dev_valid_name(), plus IFNAMSIZ: anything else cannot name a device.
absl::Status CheckIface(const Line& line, const HaCfState& state, absl::string_view iface) {
  if (iface.size() > kMaxIfaceNameLength) {
    return ErrorAt(state, line.number, "interface name '%s' is longer than %d characters", iface,
                   kMaxIfaceNameLength);
  }
  if (iface == "." || iface == ".." || absl::StrContains(iface, '/') ||
      absl::StrContains(iface, ':')) {
    return ErrorAt(state, line.number, "'%s' is not a valid interface name", iface);
  }
  return absl::OkStatus();
}

absl::Status AddMedium(const Line& line, HaCfState& state, MediumConfig medium) {
  medium.line = line.number;
  auto [it, inserted] = state.medium_lines.try_emplace(medium.Name(), line.number);
  if (!inserted) {
    return ErrorAt(state, line.number, "medium '%s' is already defined on line %d", medium.Name(),
                   it->second);
  }
  state.config.media.push_back(std::move(medium));
  return absl::OkStatus();
}

// bcast, udp and raw: one medium per interface value.
absl::Status AddPerIfaceMedia(const Line& line, HaCfState& state, MediumConfig::Kind kind) {
  for (absl::string_view iface : line.values) {
    absl::Status status = CheckIface(line, state, iface);
    if (!status.ok()) return status;
    MediumConfig medium;
    medium.kind = kind;
    medium.iface = std::string(iface);
    // The bcast plugin reads udpport when its line is parsed, so a later
    // udpport line does not apply to it (Heartbeat's order rule).
    if (kind == MediumConfig::Kind::kBcast) medium.port = state.config.udpport;
    status = AddMedium(line, state, std::move(medium));
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::Status AddBcast(const Line& line, HaCfState& state) {
  return AddPerIfaceMedia(line, state, MediumConfig::Kind::kBcast);
}

absl::Status AddUdpAlias(const Line& line, HaCfState& state) {
  WarnAt(state, line.number, "'udp' is an old name for 'bcast'; read as 'bcast'");
  return AddBcast(line, state);
}

absl::Status AddRaw(const Line& line, HaCfState& state) {
  return AddPerIfaceMedia(line, state, MediumConfig::Kind::kRaw);
}

// Same checks as Heartbeat's mcast_parse (HBcomm/mcast.c).
absl::Status AddMcast(const Line& line, HaCfState& state) {
  if (line.values.size() != 5) {
    return ErrorAt(state, line.number, "mcast needs 5 values (IFACE GROUP PORT TTL LOOP), got %d",
                   line.values.size());
  }
  absl::Status status = CheckIface(line, state, line.values[0]);
  if (!status.ok()) return status;
  std::string group(line.values[1]);
  const std::optional<uint32_t> addr = ParseIpv4(group);
  if (!addr || (*addr & 0xF0000000u) != 0xE0000000u) {
    return ErrorAt(state, line.number,
                   "mcast group '%s' is not an IPv4 multicast address (224.0.0.0/4)", group);
  }
  std::optional<int> port = ParseStrictDecimal(line.values[2]);
  if (!port || *port < 1 || *port > 65535) {
    return ErrorAt(state, line.number, "mcast port '%s' is not a port number (1..65535)",
                   line.values[2]);
  }
  std::optional<int> ttl = ParseStrictDecimal(line.values[3]);
  if (!ttl || *ttl > 4) {
    return ErrorAt(state, line.number, "mcast ttl '%s' must be 0..4", line.values[3]);
  }
  if (line.values[4] != "0" && line.values[4] != "1") {
    return ErrorAt(state, line.number, "mcast loop '%s' must be 0 or 1", line.values[4]);
  }
  MediumConfig medium;
  medium.kind = MediumConfig::Kind::kMcast;
  medium.iface = std::string(line.values[0]);
  medium.address = std::move(group);
  medium.port = static_cast<uint16_t>(*port);
  medium.ttl = *ttl;
  medium.loop = line.values[4] == "1";
  return AddMedium(line, state, std::move(medium));
}

absl::Status AddUcast(const Line& line, HaCfState& state) {
  if (line.values.size() != 2) {
    return ErrorAt(state, line.number, "ucast needs 2 values (IFACE PEER), got %d",
                   line.values.size());
  }
  absl::Status status = CheckIface(line, state, line.values[0]);
  if (!status.ok()) return status;
  MediumConfig medium;
  medium.kind = MediumConfig::Kind::kUcast;
  medium.iface = std::string(line.values[0]);
  medium.address = std::string(line.values[1]);
  medium.port = state.config.udpport;  // order rule, as for bcast
  return AddMedium(line, state, std::move(medium));
}

// crm/pacemaker on turns Heartbeat's own resource management off and hands
// the node to Pacemaker. tachy only runs haresources, so accepting it would
// run resources the operator expected Pacemaker to manage (or vice versa).
absl::Status CheckCrm(const Line& line, HaCfState& state) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state, "crm");
  if (!value.ok()) return value.status();
  absl::StatusOr<bool> on = ParseHeartbeatBool(*value);
  if (on.ok() && !*on) return absl::OkStatus();
  static constexpr absl::string_view kPacemakerModes[] = {"respawn", "minimal", "manual",
                                                          "ccm-only", "valgrind"};
  bool known = on.ok() || std::find(std::begin(kPacemakerModes), std::end(kPacemakerModes),
                                    *value) != std::end(kPacemakerModes);
  if (!known) {
    return ErrorAt(state, line.number, "'%s %s' is not a valid setting", line.directive, *value);
  }
  return ErrorAt(state, line.number,
                 "'%s %s' hands resources to Pacemaker, which tachy does not run; "
                 "use haresources and '%s off'",
                 line.directive, *value, line.directive);
}

// autojoin lets any node holding the key join; tachy's peer set is the node
// list (and Heartbeat itself rejects autojoin with haresources, r1_style_valid).
absl::Status CheckAutojoin(const Line& line, HaCfState& state) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  if (*value == "none") return absl::OkStatus();
  if (*value == "other" || *value == "any") {
    return ErrorAt(state, line.number,
                   "'autojoin %s' is not supported: tachy's members are the node lines", *value);
  }
  return ErrorAt(state, line.number, "autojoin '%s' is not none, other or any", *value);
}

absl::Status CheckHbGenMethod(const Line& line, HaCfState& state) {
  absl::StatusOr<absl::string_view> value = ScalarValue(line, state);
  if (!value.ok()) return value.status();
  if (*value == "file") {
    WarnAt(state, line.number, "'%s' is accepted for compatibility and ignored by tachy",
           line.directive);
    return absl::OkStatus();
  }
  if (*value == "time") {
    // Clock-derived generations go backwards when the clock does, and peers
    // then drop our packets as replays; tachy always keeps the file.
    return ErrorAt(state, line.number,
                   "'hbgenmethod time' is not supported; tachy keeps the generation in a file");
  }
  return ErrorAt(state, line.number, "hbgenmethod '%s' is not file or time", *value);
}

using Handler = absl::Status (*)(const Line&, HaCfState&);

struct DirectiveHandler {
  absl::string_view name;
  Handler handler;
};

const DirectiveHandler kHandlers[] = {
    {"keepalive", [](const Line& l, HaCfState& s) { return SetTime(l, s, &s.config.keepalive); }},
    {"deadtime", [](const Line& l, HaCfState& s) { return SetTime(l, s, &s.config.deadtime); }},
    {"warntime", [](const Line& l, HaCfState& s) { return SetTime(l, s, &s.config.warntime); }},
    {"initdead", [](const Line& l, HaCfState& s) { return SetTime(l, s, &s.config.initdead); }},
    {"udpport", SetUdpPort},
    {"node", AddNodes},
    {"bcast", AddBcast},
    {"udp", AddUdpAlias},
    {"mcast", AddMcast},
    {"ucast", AddUcast},
    {"raw", AddRaw},
    {"auto_failback", SetAutoFailback},
    {"nice_failback", SetNiceFailback},
    {"quorum", SetQuorum},
    {"metrics_listen", SetMetricsListen},
    {"ping", AddPing},
    {"ping_group", AddPingGroup},
    {"respawn", NoteRespawn},
    {"deadping", [](const Line& l, HaCfState& s) { return SetTime(l, s, &s.config.deadping); }},
    {"logfile", [](const Line& l, HaCfState& s) { return SetString(l, s, &s.config.logfile); }},
    {"debugfile", [](const Line& l, HaCfState& s) { return SetString(l, s, &s.config.debugfile); }},
    {"logfacility", SetLogFacility},
    {"realtime", [](const Line& l, HaCfState& s) { return SetBool(l, s, &s.config.realtime); }},
    {"rtprio", [](const Line& l, HaCfState& s) { return SetInt(l, s, 1, 99, &s.config.rtprio); }},
    {"debug", [](const Line& l, HaCfState& s) { return SetInt(l, s, 0, 255, &s.config.debug); }},
    {"cluster", [](const Line& l, HaCfState& s) { return SetString(l, s, &s.config.cluster); }},
    {"crm", CheckCrm},
    {"pacemaker", CheckCrm},
    {"autojoin", CheckAutojoin},
    {"hbgenmethod", CheckHbGenMethod},
};

// Heartbeat directives whose absence changes nothing a 2-node haresources
// cluster relies on for safety: logd and core-dump tuning, compression and
// wire-format knobs, Pacemaker-only switches, the client API.
constexpr absl::string_view kIgnored[] = {
    "use_logd",
    "conn_logd_time",
    "coredumps",
    "coreroot",
    "log_badpack",
    "syslogmsgfmt",
    "memreserve",
    "max_rexmit_delay",
    "normalpoll",
    "compression",
    "compression_threshold",
    "traditional_compression",
    "msgfmt",
    "hopfudge",
    "uuidfrom",
    "apiauth",
    "record_config_changes",
    "record_pengine_inputs",
    "enable_config_writes",
    "env",
    "use_apphbd",
    "quorum_server",
    "crm_daemon_dir",
    "crmd_spawns_pengine",
};

// Features a sample ha.cf often carries (ping + respawn ipfail) that tachy
// does not provide; the warning must not suggest they still work.
struct Unprovided {
  absl::string_view name;
  absl::string_view what;
};
constexpr Unprovided kUnprovided[] = {
    {"ping6", "IPv6 ping nodes are not supported; ignored (use ping with an IPv4 address)"},
    {"hbaping", "HBA ping nodes are not supported; ignored"},
};

// Directives whose silent omission would make the cluster less safe than the
// operator believes; refused outright.
struct Refused {
  absl::string_view name;
  absl::string_view why;
};
constexpr Refused kRefused[] = {
    {"stonith", "STONITH is not supported; ignoring it would take over without fencing"},
    {"stonith_host", "STONITH is not supported; ignoring it would take over without fencing"},
    {"failfast", "failfast children are not supported; nothing would reboot the node"},
    {"watchdog", "the watchdog device is not supported; nothing would reset a hung node"},
    {"serial", "serial media are not supported; use bcast, mcast, ucast or raw"},
    {"baud", "serial media are not supported; use bcast, mcast, ucast or raw"},
    {"mcast6", "IPv6 media are not supported; use mcast, ucast or raw"},
    {"ucast6", "IPv6 media are not supported; use mcast, ucast or raw"},
};

absl::Status Dispatch(const Line& line, HaCfState& state) {
  absl::string_view name = line.directive;
  for (const Refused& refused : kRefused) {
    if (refused.name == name) return ErrorAt(state, line.number, "'%s': %s", name, refused.why);
  }
  const DirectiveHandler* handler = nullptr;
  for (const DirectiveHandler& entry : kHandlers) {
    if (entry.name == name) handler = &entry;
  }
  const Unprovided* unprovided = nullptr;
  for (const Unprovided& entry : kUnprovided) {
    if (entry.name == name) unprovided = &entry;
  }
  bool ignored = std::find(std::begin(kIgnored), std::end(kIgnored), name) != std::end(kIgnored);
  if (handler == nullptr && unprovided == nullptr && !ignored) {
    return ErrorAt(state, line.number, "unknown directive '%s'", name);
  }
  if (line.values.empty()) return ErrorAt(state, line.number, "'%s' needs a value", name);
  if (handler != nullptr) return handler->handler(line, state);
  if (unprovided != nullptr) {
    WarnAt(state, line.number, "'%s': %s", name, unprovided->what);
  } else {
    WarnAt(state, line.number, "'%s' is accepted for compatibility and ignored by tachy", name);
  }
  return absl::OkStatus();
}

// Heartbeat's init_config checks, plus tachy's keepalive floor.
absl::Status CheckWhole(HaCfState& state) {
  HaConfig& config = state.config;
  if (config.media.empty()) {
    return ErrorAt(state, 0, "no heartbeat medium; add a bcast, mcast, ucast or raw line");
  }
  if (config.nodes.empty()) return ErrorAt(state, 0, "no 'node' lines; list every member");
  // Frames carry a 32-bit hash of the node name; two names with one hash
  // would be indistinguishable on the wire.
  for (size_t i = 0; i < config.nodes.size(); ++i) {
    for (size_t j = i + 1; j < config.nodes.size(); ++j) {
      if (Fnv1a(config.nodes[i]) == Fnv1a(config.nodes[j])) {  // frame.h NameId
        return ErrorAt(state, 0, "node names '%s' and '%s' hash to the same frame node id; "
                       "rename one", config.nodes[i], config.nodes[j]);
      }
    }
  }

  if (state.LineOf("deadping") == 0) {
    config.deadping = config.deadtime;
  } else if (config.deadping <= config.keepalive) {
    return ErrorAt(state, state.LineOf("deadping"), "deadping (%s) must be more than keepalive (%s)",
                   absl::FormatDuration(config.deadping), absl::FormatDuration(config.keepalive));
  }
  if (state.LineOf("quorum") == 0) {
    // Two nodes cannot out-vote each other: as Heartbeat R1, the survivor
    // of a 2-node cluster takes over; from three on, only a majority does.
    config.quorum = config.nodes.size() >= 3 ? QuorumPolicy::kMajority : QuorumPolicy::kNone;
  }

  int keepalive_line = state.LineOf("keepalive");
  if (config.keepalive < kKeepaliveFloor) {
    return ErrorAt(state, keepalive_line,
                   "keepalive (%s) is below tachy's floor of %s (the timer wheel ticks at %s)",
                   absl::FormatDuration(config.keepalive), absl::FormatDuration(kKeepaliveFloor),
                   absl::FormatDuration(kKeepaliveFloor));
  }
  int deadtime_line = state.LineOf("deadtime");
  if (config.deadtime <= 2 * config.keepalive) {
    return ErrorAt(state, deadtime_line > 0 ? deadtime_line : keepalive_line,
                   "deadtime (%s) must be more than 2 x keepalive (%s)",
                   absl::FormatDuration(config.deadtime), absl::FormatDuration(config.keepalive));
  }

  int warntime_line = state.LineOf("warntime");
  if (warntime_line == 0) {
    config.warntime = config.deadtime / 2;
  } else if (config.warntime <= absl::ZeroDuration()) {
    return ErrorAt(state, warntime_line, "warntime must be more than 0");
  } else if (config.warntime >= config.deadtime) {
    return ErrorAt(state, warntime_line, "warntime (%s) must be less than deadtime (%s)",
                   absl::FormatDuration(config.warntime), absl::FormatDuration(config.deadtime));
  } else if (config.warntime < config.keepalive) {
    // A warning threshold below one heartbeat interval would fire on every
    // on-time heartbeat.
    return ErrorAt(state, warntime_line, "warntime (%s) must be at least keepalive (%s)",
                   absl::FormatDuration(config.warntime), absl::FormatDuration(config.keepalive));
  }

  int initdead_line = state.LineOf("initdead");
  if (initdead_line == 0) {
    // Heartbeat's init_config default: long deadtimes already cover a boot,
    // short ones get at least 12 s for the peer's network to come up.
    if (config.deadtime > absl::Seconds(10)) {
      config.initdead = config.deadtime;
    } else if (config.deadtime < absl::Seconds(6)) {
      config.initdead = absl::Seconds(12);
    } else {
      config.initdead = 2 * config.deadtime;
    }
  } else if (config.initdead < config.deadtime) {
    return ErrorAt(state, initdead_line, "initdead (%s) must be at least deadtime (%s)",
                   absl::FormatDuration(config.initdead), absl::FormatDuration(config.deadtime));
  } else if (config.initdead < absl::Seconds(10)) {
    WarnAt(state, initdead_line,
           "initdead (%s) is under 10s; a peer still booting may be declared dead",
           absl::FormatDuration(config.initdead));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HaConfig> ParseHaCf(absl::string_view text, absl::string_view filename) {
  HaCfState state;
  state.filename = filename;
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++number;
    Line line;
    if (!SplitLine(raw, number, &line)) continue;
    absl::Status status = Dispatch(line, state);
    if (!status.ok()) return status;
  }
  absl::Status status = CheckWhole(state);
  if (!status.ok()) return status;
  return std::move(state.config);
}

}  // namespace tachy
