#include "detector/tachyd/auth_alarm.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace tachy {
namespace {

bool Alive(const Peer& p) { return p.state == PeerState::kUp || p.state == PeerState::kLate; }

const std::string& MediumName(const std::vector<std::string>& media, size_t m) {
  static const std::string unknown = "?";
  return m < media.size() ? media[m] : unknown;
}

// "250 ms", "1 s", "1.2 s": the window a count covers.
std::string Window(absl::Duration d) {
  if (d < absl::Seconds(1)) return FormatMillis(d);
  return absl::StrFormat("%g s", std::round(absl::ToDoubleSeconds(d) * 10) / 10);
}

}  // namespace

std::vector<std::string> AuthAlarm::Check(const std::vector<Peer>& peers,
                                          const std::vector<std::string>& media, MonoTime now) {
  std::vector<std::string> lines;
  for (const Peer& p : peers) {
    for (size_t m = 0; m < p.media.size(); ++m) {
      const MediumLink& l = p.media[m];
      if (l.auth_failed == 0) continue;
      auto [it, fresh] = reported_.try_emplace({p.name, m});
      Reported& r = it->second;
      if (l.auth_failed <= r.count) continue;
      if (!fresh && now - r.at < every_) continue;
      // The window the count covers: since the last line, or for the first
      // one since the previous check (when there were none yet).
      const MonoTime from = fresh ? (checked_ == MonoTime() ? now : checked_) : r.at;
      const absl::Duration window = std::max(now - from, absl::Milliseconds(1));
      lines.push_back(absl::StrFormat(
          "node %s failed authentication on %s (key %d): %d frame(s) in the last %s; check "
          "authkeys%s",
          p.name, MediumName(media, m), l.auth_key, l.auth_failed - r.count,
          Window(window),
          Alive(p) ? ""
                   : absl::StrFormat(" (%s is heard only with frames that fail authentication: "
                                     "it counts as %s)",
                                     p.name, PeerStateName(p.state))));
      r.count = l.auth_failed;
      r.at = now;
    }
  }
  checked_ = now;
  return lines;
}

std::vector<std::string> AuthProblems(const Peer& peer, const std::vector<std::string>& media,
                                      MonoTime now, absl::Duration recent) {
  std::vector<std::string> out;
  for (size_t m = 0; m < peer.media.size(); ++m) {
    const MediumLink& l = peer.media[m];
    if (l.auth_failed == 0 || now - l.auth_failed_at > recent) continue;
    out.push_back(absl::StrFormat(
        "failed authentication on %s (key %d): %d frame(s), the last %s ago; check authkeys%s",
        MediumName(media, m), l.auth_key, l.auth_failed, FormatMillis(now - l.auth_failed_at),
        Alive(peer) ? "" : "; heard only with frames that fail authentication"));
  }
  return out;
}

}  // namespace tachy
