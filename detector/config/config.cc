// config.cc: ha.cf and authkeys parsing, following Heartbeat 3.0.x
// (heartbeat/config.c parse_config, heartbeat/auth.c parse_authfile,
// cluster-glue cl_get_msec / cl_str_to_boolean).

#include "detector/config/config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/base/fnv1a.h"
#include "detector/base/log.h"

namespace tachy {
namespace {

// Heartbeat's DELIMS minus the newline (lines are already split): values on a
// line are separated by any of these, so "node a,b" == "node a b".
constexpr absl::string_view kValueDelims = ", \t\f\r";
// The directive name ends at the first whitespace only (parse_config uses
// WHITESPACE there), so "node,a" is one unknown token, as in Heartbeat.
constexpr absl::string_view kWhitespace = " \t\f\r\v";

constexpr absl::Duration kKeepaliveFloor = absl::Microseconds(100);
constexpr int kMaxNodeNameLength = 63;
// IFNAMSIZ - 1: longer names cannot be bound with SO_BINDTODEVICE.
constexpr int kMaxIfaceNameLength = 15;
constexpr int kMaxAuthIndex = 15;  // Heartbeat's MAXAUTH is 16
// Config files are a few hundred bytes; the cap keeps a mistaken path such as
// /dev/zero from eating memory.
constexpr off_t kMaxConfigFileSize = 1 << 20;

// Strict non-negative decimal: digits only, no sign, no spaces, so "+5",
// " 5" and "5x" are rejected rather than half-parsed as atoi would.
std::optional<int> ParseDecimal(absl::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

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
  size_t start = text.find_first_not_of(kWhitespace);
  if (start == absl::string_view::npos) return false;
  text.remove_prefix(start);
  size_t end = std::min(text.find_first_of(kWhitespace), text.size());
  line->number = number;
  line->directive = text.substr(0, end);
  line->values = absl::StrSplit(text.substr(end), absl::ByAnyChar(kValueDelims), absl::SkipEmpty());
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
  std::optional<int> number = ParseDecimal(*value);
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
  in_addr addr{};
  int port = 0;
  if (colon == absl::string_view::npos ||
      inet_pton(AF_INET, std::string(value->substr(0, colon)).c_str(), &addr) != 1 ||
      !absl::SimpleAtoi(value->substr(colon + 1), &port) || port < 1 || port > 65535) {
    return ErrorAt(state, line.number,
                   "metrics_listen '%s' is not IPV4-ADDRESS:PORT (e.g. 127.0.0.1:9694)", *value);
  }
  state.config.metrics_address = std::string(value->substr(0, colon));
  state.config.metrics_port = static_cast<uint16_t>(port);
  if ((ntohl(addr.s_addr) >> 24) != 127) {
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
    in_addr addr{};
    if (inet_pton(AF_INET, std::string(host).c_str(), &addr) != 1) {
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
  in_addr addr{};
  if (inet_pton(AF_INET, group.c_str(), &addr) != 1 ||
      (ntohl(addr.s_addr) & 0xF0000000u) != 0xE0000000u) {
    return ErrorAt(state, line.number,
                   "mcast group '%s' is not an IPv4 multicast address (224.0.0.0/4)", group);
  }
  std::optional<int> port = ParseDecimal(line.values[2]);
  if (!port || *port < 1 || *port > 65535) {
    return ErrorAt(state, line.number, "mcast port '%s' is not a port number (1..65535)",
                   line.values[2]);
  }
  std::optional<int> ttl = ParseDecimal(line.values[3]);
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

// ---------------------------------------------------------------------------
// authkeys

template <typename... Args>
absl::Status AuthError(absl::string_view filename, int line,
                       const absl::FormatSpec<Args...>& format, const Args&... args) {
  return absl::InvalidArgumentError(
      absl::StrCat(filename, ":", line, ": ", absl::StrFormat(format, args...)));
}

std::optional<AuthMethod> AuthMethodFromName(absl::string_view name) {
  for (AuthMethod method :
       {AuthMethod::kCrc, AuthMethod::kMd5, AuthMethod::kSha1, AuthMethod::kSha256}) {
    if (AuthMethodName(method) == name) return method;
  }
  return std::nullopt;
}

std::optional<int> ParseAuthIndex(absl::string_view text) {
  std::optional<int> index = ParseDecimal(text);
  if (!index || *index > kMaxAuthIndex) return std::nullopt;
  return index;
}

// ---------------------------------------------------------------------------
// Files

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (absl::EndsWith(dir, "/")) return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}


}  // namespace

std::string MediumConfig::Name() const {
  switch (kind) {
    case Kind::kRaw:
      return absl::StrCat("raw:", iface);
    case Kind::kBcast:
      return absl::StrCat("bcast:", iface);
    case Kind::kMcast:
      return absl::StrCat("mcast:", iface, ":", address);
    case Kind::kUcast:
      return absl::StrCat("ucast:", iface, ":", address);
  }
  return absl::StrCat("?:", iface);
}

// Reads a small regular file. With `private_file`, refuses one that group or
// others may access: authkeys holds the shared secret, and Heartbeat refuses
// such a file too (auth.c parse_authfile), so a copied /etc/ha.d behaves alike.
absl::StatusOr<std::string> ReadConfigFile(const std::string& path, bool private_file) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, path);
  absl::Cleanup close_fd = [fd] { close(fd); };
  struct stat st {};
  if (fstat(fd, &st) != 0) return absl::ErrnoToStatus(errno, path);
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat(path, ": not a file"));
  if (private_file && (st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s: mode %04o lets group or others read it; chmod 600 it (Heartbeat refuses it too)", path,
        st.st_mode & 07777));
  }
  // Whoever may write these files decides what tachy runs as root (ha.cf,
  // haresources) or which frames it believes (authkeys): root or the user
  // tachy runs as, and nobody else.
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s: owned by uid %d, who could change what tachy trusts; chown root it", path,
        static_cast<int>(st.st_uid)));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "%s: mode %04o lets group or others change it (and so what tachy runs or trusts); "
        "chmod go-w it",
        path, st.st_mode & 07777));
  }
  if (st.st_size > kMaxConfigFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxConfigFileSize, " bytes; not a config file"));
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, path);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > static_cast<size_t>(kMaxConfigFileSize)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": grew while being read"));
    }
  }
  return text;
}

LogOptions MakeLogOptions(const HaConfig& ha, std::string ident) {
  LogOptions log;
  log.ident = std::move(ident);
  log.facility = ha.logfacility;
  log.logfile = ha.logfile;
  log.debugfile = ha.debugfile;
  log.debug = ha.debug;
  return log;
}

absl::string_view AuthMethodName(AuthMethod method) {
  switch (method) {
    case AuthMethod::kCrc:
      return "crc";
    case AuthMethod::kMd5:
      return "md5";
    case AuthMethod::kSha1:
      return "sha1";
    case AuthMethod::kSha256:
      return "sha256";
  }
  return "?";
}

const AuthKey* AuthKeys::Find(int index) const {
  for (const AuthKey& key : keys) {
    if (key.index == index) return &key;
  }
  return nullptr;
}

// cl_get_msec, made strict: it accepts "1.2.3" (atof reads 1.2) and any
// suffix that merely starts with a unit ("msfoo"); both are typos here. The
// value is kept exact down to nanoseconds instead of rounded to whole ms,
// because tachy's sub-millisecond keepalives must mean what they say.
absl::StatusOr<absl::Duration> ParseHeartbeatTime(absl::string_view text) {
  auto invalid = [text]() {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text,
                     "' is not a Heartbeat time (a number, optionally followed by ms, msec, us "
                     "or usec; a bare number is seconds)"));
  };
  absl::string_view rest = absl::StripAsciiWhitespace(text);
  size_t length = 0;
  while (length < rest.size() &&
         (absl::ascii_isdigit(static_cast<unsigned char>(rest[length])) || rest[length] == '.')) {
    ++length;
  }
  absl::string_view number = rest.substr(0, length);
  absl::string_view unit = absl::StripLeadingAsciiWhitespace(rest.substr(length));

  int64_t unit_ns = 0;
  if (unit.empty()) {
    unit_ns = 1'000'000'000;
  } else if (absl::EqualsIgnoreCase(unit, "ms") || absl::EqualsIgnoreCase(unit, "msec")) {
    unit_ns = 1'000'000;
  } else if (absl::EqualsIgnoreCase(unit, "us") || absl::EqualsIgnoreCase(unit, "usec")) {
    unit_ns = 1'000;
  } else {
    return invalid();
  }

  std::vector<absl::string_view> parts = absl::StrSplit(number, '.');
  if (parts.size() > 2 || number.find_first_of("0123456789") == absl::string_view::npos) {
    return invalid();
  }
  // One unit of headroom below the int64 limit, so the fraction cannot overflow.
  const int64_t max_units = std::numeric_limits<int64_t>::max() / unit_ns - 1;
  int64_t whole_units = 0;
  for (char c : parts[0]) {
    if (whole_units > (max_units - (c - '0')) / 10) {
      return absl::InvalidArgumentError(absl::StrCat("'", text, "' is too long a time"));
    }
    whole_units = whole_units * 10 + (c - '0');
  }
  int64_t nanos = whole_units * unit_ns;
  if (parts.size() == 2) {
    // Digits past nanosecond resolution are dropped.
    int64_t place = unit_ns;
    for (char c : parts[1]) {
      place /= 10;
      if (place == 0) break;
      nanos += (c - '0') * place;
    }
  }
  return absl::Nanoseconds(nanos);
}

absl::StatusOr<bool> ParseHeartbeatBool(absl::string_view text) {
  for (absl::string_view yes : {"true", "on", "yes", "y", "1"}) {
    if (absl::EqualsIgnoreCase(text, yes)) return true;
  }
  for (absl::string_view no : {"false", "off", "no", "n", "0"}) {
    if (absl::EqualsIgnoreCase(text, no)) return false;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not a boolean (true|on|yes|y|1 or false|off|no|n|0)"));
}

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

// Heartbeat's parse_authfile reads "%d%s%s"; a key is one whitespace-free
// token. '#' starts a comment only at the start of a token, so keys may
// contain '#' as they may in Heartbeat.
absl::StatusOr<AuthKeys> ParseAuthKeys(absl::string_view text, absl::string_view filename) {
  AuthKeys auth;
  int auth_line = 0;
  std::map<int, int> index_lines;
  std::vector<std::pair<int, int>> rotate_lines;  // (index, line)
  int number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++number;
    std::vector<absl::string_view> tokens =
        absl::StrSplit(raw, absl::ByAnyChar(kWhitespace), absl::SkipEmpty());
    auto comment = std::find_if(tokens.begin(), tokens.end(),
                                [](absl::string_view t) { return absl::StartsWith(t, "#"); });
    tokens.erase(comment, tokens.end());
    if (tokens.empty()) continue;

    if (tokens[0] == "auth") {
      if (auth_line != 0) {
        return AuthError(filename, number, "second 'auth' line (the first is line %d)", auth_line);
      }
      if (tokens.size() != 2) {
        return AuthError(filename, number, "'auth' takes one key index (0..%d)", kMaxAuthIndex);
      }
      std::optional<int> index = ParseAuthIndex(tokens[1]);
      if (!index) {
        return AuthError(filename, number, "auth index '%s' is not 0..%d", tokens[1],
                         kMaxAuthIndex);
      }
      auth.active_index = *index;
      auth_line = number;
      continue;
    }

    if (tokens[0] == "rotate") {
      // A key rotation in progress: frames signed with key N are still
      // accepted, until every peer signs with `auth`'s key and the line goes.
      std::optional<int> rotating = tokens.size() == 2 ? ParseAuthIndex(tokens[1]) : std::nullopt;
      if (!rotating) {
        return AuthError(filename, number, "'rotate' takes one key index (0..%d)", kMaxAuthIndex);
      }
      auth.rotating.push_back(*rotating);
      rotate_lines.emplace_back(*rotating, number);
      continue;
    }
    std::optional<int> index = ParseAuthIndex(tokens[0]);
    if (!index) {
      if (ParseDecimal(tokens[0])) {
        return AuthError(filename, number, "key index '%s' is not 0..%d", tokens[0], kMaxAuthIndex);
      }
      return AuthError(filename, number, "expected 'auth N' or 'N method [key]', got '%s'",
                       tokens[0]);
    }
    if (tokens.size() < 2) {
      return AuthError(filename, number, "key %d needs a method (crc, md5, sha1 or sha256)",
                       *index);
    }
    std::optional<AuthMethod> method = AuthMethodFromName(tokens[1]);
    if (!method) {
      return AuthError(filename, number, "unknown auth method '%s' (crc, md5, sha1 or sha256)",
                       tokens[1]);
    }
    AuthKey key;
    key.index = *index;
    key.method = *method;
    if (*method == AuthMethod::kCrc) {
      // Heartbeat refuses a key here too: crc authenticates nothing, and a key
      // would suggest otherwise.
      if (tokens.size() > 2) return AuthError(filename, number, "crc takes no key");
    } else if (tokens.size() == 2) {
      return AuthError(filename, number, "%s needs a key", tokens[1]);
    } else if (tokens.size() > 3) {
      return AuthError(filename, number, "the %s key must be one token without spaces", tokens[1]);
    } else {
      key.key = std::string(tokens[2]);
    }
    auto [it, inserted] = index_lines.try_emplace(*index, number);
    if (!inserted) {
      return AuthError(filename, number, "key %d is already defined on line %d", *index,
                       it->second);
    }
    auth.keys.push_back(std::move(key));
  }
  if (auth_line == 0) {
    return absl::InvalidArgumentError(absl::StrCat(filename, ": no 'auth N' line"));
  }
  if (auth.Find(auth.active_index) == nullptr) {
    return AuthError(filename, auth_line, "'auth %d' names a key that is not defined",
                     auth.active_index);
  }
  for (const auto& [index, line] : rotate_lines) {
    if (auth.Find(index) == nullptr) {
      return AuthError(filename, line, "'rotate %d' names a key that is not defined", index);
    }
    if (index == auth.active_index) {
      return AuthError(filename, line, "'rotate %d' names the signing key ('auth %d')", index,
                       index);
    }
  }
  std::sort(auth.keys.begin(), auth.keys.end(),
            [](const AuthKey& a, const AuthKey& b) { return a.index < b.index; });
  return auth;
}

absl::Status CheckAuthPolicy(const ClusterConfig& config, bool allow_crc_on_udp,
                             std::vector<std::string>* warnings) {
  const AuthKeys& auth = config.auth;
  const auto accepted = [&](int index) {
    return index == auth.active_index ||
           std::find(auth.rotating.begin(), auth.rotating.end(), index) != auth.rotating.end();
  };
  bool crc = false;
  for (const AuthKey& k : auth.keys) {
    if (!accepted(k.index)) {
      warnings->push_back(absl::StrFormat(
          "authkeys: key %d (%s) is defined but neither signs ('auth %d') nor rotates: frames "
          "signed with it are refused (add 'rotate %d' while peers still use it)",
          k.index, AuthMethodName(k.method), auth.active_index, k.index));
    } else if (k.method == AuthMethod::kCrc) {
      crc = true;
    }
  }
  if (!crc) return absl::OkStatus();
  std::string udp;
  for (const MediumConfig& m : config.ha.media) {
    if (m.kind != MediumConfig::Kind::kRaw) udp = m.iface;
  }
  if (!udp.empty() && !allow_crc_on_udp) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "authkeys: a crc key authenticates nothing, and a UDP medium (on %s) lets any process "
        "of any host that reaches it speak for a node: use sha256 (or sha1/md5 with Heartbeat "
        "peers), or start tachyd with --allow-crc-on-udp to accept the risk",
        udp));
  }
  warnings->push_back(absl::StrFormat(
      "WARNING: authkeys uses crc, which authenticates nothing: anyone who can send %s can "
      "declare this cluster's nodes alive or dead; use sha256",
      udp.empty() ? "raw Ethernet frames on the heartbeat links (root on a host of the segment)"
                  : "UDP to the heartbeat port (--allow-crc-on-udp given)"));
  return absl::OkStatus();
}

absl::StatusOr<ClusterConfig> LoadClusterConfig(const std::string& dir,
                                                absl::string_view node_override) {
  ClusterConfig cluster;
  cluster.config_dir = dir;

  std::string ha_path = JoinPath(dir, "ha.cf");
  absl::StatusOr<std::string> ha_text = ReadConfigFile(ha_path, /*private_file=*/false);
  if (!ha_text.ok()) return ha_text.status();
  absl::StatusOr<HaConfig> ha = ParseHaCf(*ha_text, ha_path);
  if (!ha.ok()) return ha.status();
  cluster.ha = *std::move(ha);

  std::string auth_path = JoinPath(dir, "authkeys");
  absl::StatusOr<std::string> auth_text = ReadConfigFile(auth_path, /*private_file=*/true);
  if (!auth_text.ok()) return auth_text.status();
  absl::StatusOr<AuthKeys> auth = ParseAuthKeys(*auth_text, auth_path);
  if (!auth.ok()) return auth.status();
  cluster.auth = *std::move(auth);

  std::string local;
  if (!node_override.empty()) {
    local = std::string(node_override);
  } else {
    struct utsname names {};
    if (uname(&names) != 0) return absl::ErrnoToStatus(errno, "uname");
    local = names.nodename;
  }
  // Heartbeat lower-cases both sides (add_node, get_localnodeinfo).
  absl::AsciiStrToLower(&local);
  const std::vector<std::string>& nodes = cluster.ha.nodes;
  if (std::find(nodes.begin(), nodes.end(), local) == nodes.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ha_path, ": local node '", local, "' is not among the node lines (",
                     absl::StrJoin(nodes, ", "), "); set --node or add it"));
  }
  cluster.local_node = std::move(local);
  return cluster;
}

}  // namespace tachy
