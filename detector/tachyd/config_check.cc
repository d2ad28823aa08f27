#include "detector/tachyd/config_check.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detector/engine.h"
#include "detector/base/unique_fd.h"

namespace tachy {
namespace {

std::string Where(const ClusterConfig& c, int line) {
  return absl::StrFormat("%s/ha.cf:%d", c.config_dir, line);
}

const char* FailbackName(AutoFailback f) {
  switch (f) {
    case AutoFailback::kOn: return "on";
    case AutoFailback::kOff: return "off";
    case AutoFailback::kLegacy: return "legacy";
  }
  return "?";
}

}  // namespace

std::vector<std::string> MediaInterfaceProblems(const ClusterConfig& config) {
  std::vector<std::string> out;
  UniqueFd probe(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  for (const MediumConfig& m : config.ha.media) {
    if (if_nametoindex(m.iface.c_str()) == 0) {
      out.push_back(absl::StrFormat(
          "%s: %s: no interface %s on this machine (tachyd waits for it at start; a typo "
          "would leave this medium, and so the node, without heartbeats)",
          Where(config, m.line), m.Name(), m.iface));
      continue;
    }
    if (m.kind != MediumConfig::Kind::kBcast || !probe.valid()) continue;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, m.iface.c_str(), IFNAMSIZ - 1);
    if (ioctl(probe.get(), SIOCGIFBRDADDR, &ifr) != 0) {
      out.push_back(absl::StrFormat(
          "%s: %s: %s has no IPv4 broadcast address now (tachyd waits for one at start)",
          Where(config, m.line), m.Name(), m.iface));
    }
  }
  return out;
}

std::vector<std::string> HeartbeatPeerWarnings(const ClusterConfig& c) {
  std::vector<std::string> out;
  if (!HasUdpMedia(c.ha)) return out;
  const AuthKey* key = c.auth.Find(c.auth.active_index);
  const std::string who = "if a Heartbeat 3 node shares the UDP media (a rolling migration), ";
  if (key != nullptr && key->method == AuthMethod::kSha256) {
    out.push_back(who + "it cannot verify authkeys method sha256: use sha1 (or md5) while "
                        "Heartbeat nodes remain");
  }
  // Heartbeat's clock ticks every 10 ms, it checks deadlines on a 250-500
  // ms grid, and below keepalive 20 ms / deadtime 60 ms it flaps under load.
  if (c.ha.keepalive < absl::Milliseconds(20) || c.ha.deadtime < absl::Milliseconds(60)) {
    out.push_back(absl::StrFormat(
        "%skeepalive %s / deadtime %s is below what it can hold (its clock ticks every 10 ms; "
        "its fastest stable setting is keepalive 20 ms, deadtime 60 ms): it would declare "
        "this node dead while it lives",
        who, FormatMillis(c.ha.keepalive), FormatMillis(c.ha.deadtime)));
  } else if (c.ha.deadtime < absl::Seconds(2)) {
    out.push_back(absl::StrFormat(
        "%sit checks deadlines on a 250-500 ms grid: it declares a dead node up to 0.5 s "
        "after deadtime %s",
        who, FormatMillis(c.ha.deadtime)));
  }
  // Directives and key lines only tachy reads: Heartbeat refuses the file.
  std::vector<std::string> own;
  if (c.ha.metrics_port != 0) own.push_back("metrics_listen");
  for (const MediumConfig& m : c.ha.media) {
    if (m.kind == MediumConfig::Kind::kRaw) {
      own.push_back(absl::StrFormat("raw (line %d)", m.line));
      break;
    }
  }
  if (!own.empty()) {
    out.push_back(absl::StrFormat("%sit refuses to start on this ha.cf: %s %s tachy's own "
                                  "(give that node a copy without %s)",
                                  who, absl::StrJoin(own, ", "),
                                  own.size() == 1 ? "is" : "are",
                                  own.size() == 1 ? "it" : "them"));
  }
  if (!c.auth.rotating.empty()) {
    out.push_back(who + "it does not read authkeys' `rotate` lines (tachy's own): give that "
                        "node a copy without them");
  }
  if (c.ha.auto_failback == AutoFailback::kLegacy) {
    // Legacy Heartbeat skips the starting/resource exchange tachy answers
    // and asks with ip-request instead: the two would each wait for the other.
    out.push_back(who + "auto_failback legacy makes it ask for groups with ip-request, which "
                        "tachy does not answer: set auto_failback on (what legacy amounts to) "
                        "on both nodes while Heartbeat nodes remain");
  }
  return out;
}

std::string EffectiveConfiguration(const ClusterConfig& c) {
  const HaConfig& h = c.ha;
  std::vector<std::string> lines;
  const auto add = [&](absl::string_view name, const std::string& value) {
    lines.push_back(absl::StrFormat("  %-14s %s", name, value));
  };
  add("node", absl::StrJoin(h.nodes, " "));
  add("this node", c.local_node);
  add("cluster", h.cluster);
  for (const MediumConfig& m : h.media) {
    add("medium", m.kind == MediumConfig::Kind::kRaw
                      ? m.Name()
                      : absl::StrFormat("%s port %d (line %d)", m.Name(), m.port, m.line));
  }
  add("keepalive", FormatMillis(h.keepalive));
  add("warntime", FormatMillis(h.warntime));
  add("deadtime", FormatMillis(h.deadtime));
  add("initdead", FormatMillis(h.initdead));
  add("auto_failback", FailbackName(h.auto_failback));
  add("quorum", h.quorum == QuorumPolicy::kMajority ? "majority" : "none");
  for (const PingTarget& p : h.ping) {
    add("ping", absl::StrFormat("%s (%s)", p.name, absl::StrJoin(p.hosts, " ")));
  }
  if (!h.ping.empty()) add("deadping", FormatMillis(h.deadping));
  add("realtime", !h.realtime   ? "off"
                  : h.rtprio == 0 ? "on, rtprio mid-range (default)"
                                  : absl::StrFormat("on, rtprio %d", h.rtprio));
  add("logfile", h.logfile.empty() ? "(none)" : h.logfile);
  add("debugfile", h.debugfile.empty() ? "(none)" : h.debugfile);
  add("logfacility", h.logfacility.empty() ? "(none)" : h.logfacility);
  add("debug", absl::StrCat(h.debug));
  add("metrics_listen",
      h.metrics_port == 0 ? "(off)" : absl::StrFormat("%s:%d", h.metrics_address, h.metrics_port));
  const AuthKey* key = c.auth.Find(c.auth.active_index);
  add("auth", absl::StrFormat("key %d (%s)", c.auth.active_index,
                              key != nullptr ? AuthMethodName(key->method) : "?"));
  for (int r : c.auth.rotating) {
    const AuthKey* k = c.auth.Find(r);
    add("rotate", absl::StrFormat("key %d (%s) verifies too", r,
                                  k != nullptr ? AuthMethodName(k->method) : "?"));
  }
  return absl::StrCat("effective configuration:\n", absl::StrJoin(lines, "\n"), "\n");
}

}  // namespace tachy
