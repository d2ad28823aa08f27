#include "detector/event_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/peer_state.h"

namespace tachy {

std::vector<std::string> PeerNames(const EngineOptions& options) {
  std::vector<std::string> names;
  for (const std::string& n : options.nodes) {
    if (n != options.local_node) names.push_back(n);
  }
  return names;
}

std::string EventReason(const DetectorEvent& e, const EngineOptions& o) {
  const absl::string_view why = NextState(e.from, e.input).why;
  const std::string medium = e.medium < o.media.size() ? o.media[e.medium] : "?";
  std::string detail;
  switch (e.input) {
    case PeerInput::kHeartbeat:
      detail = absl::StrFormat("generation %d via %s", e.generation, medium);
      break;
    case PeerInput::kRestart:
      detail = e.first_heard
                   ? absl::StrFormat("first heartbeat after initdead, generation %d via %s",
                                     e.generation, medium)
                   : absl::StrFormat("generation %d -> %d via %s", e.old_generation,
                                     e.new_generation, medium);
      break;
    case PeerInput::kLeave:
      detail = "announced a clean shutdown";
      break;
    case PeerInput::kWarnTimeout:
      detail = absl::StrFormat("silent for %s (warntime %s)", FormatMillis(e.silence),
                               FormatMillis(o.warntime));
      break;
    case PeerInput::kDeadTimeout:
      detail = absl::StrFormat("silent for %s (deadtime %s", FormatMillis(e.silence),
                               FormatMillis(o.deadtime));
      if (e.grace > absl::ZeroDuration()) {
        absl::StrAppend(&detail, " + ", FormatMillis(e.grace), " local stall grace");
      }
      detail += ")";
      break;
    case PeerInput::kInitdeadTimeout:
      detail = absl::StrFormat("initdead %s", FormatMillis(o.initdead));
      break;
  }
  return absl::StrCat(why, ": ", detail);
}

std::string EventLogLine(const DetectorEvent& e, const EngineOptions& o,
                         const std::string& peer) {
  switch (e.kind) {
    case EventKind::kPeer:
      return absl::StrFormat("node %s %s -> %s: %s", peer, PeerStateName(e.from),
                             PeerStateName(e.to), EventReason(e, o));
    case EventKind::kLink:
      return absl::StrFormat("link %s to node %s is %s",
                             e.medium < o.media.size() ? o.media[e.medium] : "?", peer,
                             e.up ? "up" : "dead");
    case EventKind::kUnjudgedGap:
      return absl::StrFormat(
          "node %s: heartbeat gap of %s exceeded deadtime %s while this detector was stalled "
          "(no deadline check ran); it is back, so it stays up",
          peer, FormatMillis(e.silence), FormatMillis(o.deadtime));
    case EventKind::kAdvert:
      return "";
  }
  return "";
}

}  // namespace tachy
