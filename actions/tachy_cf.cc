#include "actions/tachy_cf.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "detector/config/heartbeat_syntax.h"

namespace tachy {
namespace {

constexpr absl::Duration kMaxTime = absl::Hours(24);
constexpr int kMaxRestarts = 100;

// "IP:PORT[/PATH]" of a check line.
bool ParseTarget(absl::string_view text, bool http, AppCheck* out) {
  absl::string_view path = "/";
  const size_t slash = text.find('/');
  if (slash != absl::string_view::npos) {
    if (!http) return false;
    path = text.substr(slash);
    text = text.substr(0, slash);
  }
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return false;
  int port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 1 || port > 65535) return false;
  const std::string ip(text.substr(0, colon));
  std::vector<absl::string_view> quads = absl::StrSplit(ip, '.');
  if (quads.size() != 4) return false;
  for (absl::string_view q : quads) {
    int v = -1;
    if (q.empty() || q.size() > 3 || !absl::SimpleAtoi(q, &v) || v < 0 || v > 255) return false;
  }
  out->ip = ip;
  out->port = port;
  out->path = std::string(path);
  return true;
}

}  // namespace

absl::StatusOr<MonitorSettings> ParseTachyCf(absl::string_view text, absl::string_view filename) {
  MonitorSettings s;
  s.path = std::string(filename);
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    auto error = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s", filename, number, what));
    };
    const size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (words.empty()) continue;
    const absl::string_view name = words[0];
    if (name == "check") {
      if (words.size() != 4 || (words[2] != "tcp" && words[2] != "http")) {
        return error("'check' takes a group key, tcp or http, and IP:PORT (http: IP:PORT/PATH)");
      }
      AppCheck c;
      c.group = std::string(words[1]);
      c.kind = words[2] == "tcp" ? AppCheck::Kind::kTcp : AppCheck::Kind::kHttp;
      c.line = number;
      if (!ParseTarget(words[3], c.kind == AppCheck::Kind::kHttp, &c)) {
        return error(absl::StrCat("check: '", words[3], "' is not IP:PORT",
                                  c.kind == AppCheck::Kind::kHttp ? "[/PATH]" : ""));
      }
      for (const AppCheck& other : s.checks) {
        if (other.group == c.group) {
          return error(absl::StrFormat("check: group %s has a check already (line %d)", c.group,
                                       other.line));
        }
      }
      s.checks.push_back(std::move(c));
      continue;
    }
    if (words.size() != 2) {
      return error(absl::StrCat("'", name, "' takes exactly one value"));
    }
    const absl::string_view value = words[1];
    if (name == "takeover_arp_check") {
      absl::StatusOr<bool> on = ParseHeartbeatBool(value);
      if (!on.ok()) return error(absl::StrCat("takeover_arp_check: ", on.status().message()));
      s.takeover_arp_check = *on;
      continue;
    }
    if (name == "takeover_arp_check_timeout") {
      absl::StatusOr<absl::Duration> d = ParseHeartbeatTime(value);
      if (!d.ok()) return error(absl::StrCat(name, ": ", d.status().message()));
      // Every takeover from a dead peer waits this long: more than a second
      // would undo what a millisecond detector is for.
      if (*d < absl::Microseconds(100) || *d > absl::Seconds(1)) {
        return error(absl::StrCat(name, ": ", value, " is out of range (100us to 1 second)"));
      }
      s.takeover_arp_check_timeout = *d;
      continue;
    }
    if (name == "bgp_handover_overlap") {
      absl::StatusOr<absl::Duration> d = ParseHeartbeatTime(value);
      if (!d.ok()) return error(absl::StrCat(name, ": ", d.status().message()));
      // Longer than a minute, the old holder's service would outlive any
      // reason to keep it.
      if (*d < absl::ZeroDuration() || *d > absl::Minutes(1)) {
        return error(absl::StrCat(name, ": ", value, " is out of range (0 to 60 seconds)"));
      }
      s.bgp_handover_overlap = *d;
      continue;
    }
    if (name == "restarts") {
      int n = -1;
      if (!absl::SimpleAtoi(value, &n) || n < 0 || n > kMaxRestarts) {
        return error(absl::StrFormat("restarts: expected 0..%d, got '%s'", kMaxRestarts, value));
      }
      s.policy.restarts = n;
      continue;
    }
    absl::Duration* target = name == "monitor_interval" ? &s.interval
                             : name == "monitor_timeout" ? &s.timeout
                             : name == "restart_window"  ? &s.policy.window
                             : name == "failure_timeout" ? &s.policy.decline_for
                             : name == "check_timeout"   ? &s.check_timeout
                                                         : nullptr;
    if (target == nullptr) {
      return error(absl::StrCat("unknown directive '", name,
                                "'; expected monitor_interval, monitor_timeout, restarts, "
                                "restart_window, failure_timeout, check, check_timeout, takeover_arp_check, "
                                "takeover_arp_check_timeout or bgp_handover_overlap"));
    }
    absl::StatusOr<absl::Duration> d = ParseHeartbeatTime(value);
    if (!d.ok()) return error(absl::StrCat(name, ": ", d.status().message()));
    const bool may_be_zero = name == "monitor_interval";
    if (*d > kMaxTime || (*d <= absl::ZeroDuration() && !may_be_zero)) {
      return error(absl::StrCat(name, ": ", value, " is out of range (",
                                may_be_zero ? "0" : "more than 0", " to 24 hours)"));
    }
    *target = *d;
  }
  return s;
}

absl::StatusOr<MonitorSettings> LoadTachyCf(const std::string& path) {
  // The same rules as ha.cf and haresources: root's (or ours), writable by
  // nobody else.
  absl::StatusOr<std::string> text = ReadConfigFile(path, /*private_file=*/false);
  if (absl::IsNotFound(text.status())) return MonitorSettings{};
  if (!text.ok()) return text.status();
  return ParseTachyCf(*text, path);
}

}  // namespace tachy
