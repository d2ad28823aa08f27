#include "detector/tachyd/activity_stats.h"

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"

namespace tachy {

using nlohmann::json;

void StageHistogram::Add(double ms) {
  for (size_t i = 0; i < kBoundsMs.size(); ++i) {
    if (ms <= kBoundsMs[i]) ++counts_[i];
  }
  ++count_;
  sum_ms_ += ms;
}

json StageHistogram::Json() const {
  json buckets = json::array();
  for (size_t i = 0; i < kBoundsMs.size(); ++i) {
    buckets.push_back(json{{"le_ms", kBoundsMs[i]}, {"count", counts_[i]}});
  }
  return json{{"buckets", buckets}, {"count", count_}, {"sum_ms", sum_ms_}};
}

std::string CauseKind(const TakeoverMsg& t) {
  if (!t.peer.empty()) return "peer_dead";
  if (absl::StrContains(t.cause, " failed (")) return "monitor";
  if (absl::StrContains(t.cause, "asked") || absl::StrContains(t.cause, "standby") ||
      absl::StrContains(t.cause, "takeover")) {
    return "request";
  }
  return "other";
}

void ActivityStats::OnTakeover(const TakeoverMsg& t) {
  ++takeovers_[{t.group, CauseKind(t), t.ok ? "ok" : "failed"}];
  if (!t.ok) return;  // a failed take's stages say little about a take
  const auto stage = [&](const char* name, int64_t from_ns, int64_t to_ns) {
    if (from_ns != 0 && to_ns != 0 && to_ns >= from_ns) {
      stages_[name].Add(static_cast<double>(to_ns - from_ns) / 1e6);
    }
  };
  stage("detection", t.last_frame_ns, t.verdict_ns);
  stage("decision", t.verdict_ns, t.decision_ns);
  stage("address", t.decision_ns, t.vip_ns);
  stage("garp", t.vip_ns, t.garp_ns);
  stage("resources", t.garp_ns != 0 ? t.garp_ns : t.decision_ns, t.done_ns);
  stage("total", t.verdict_ns != 0 ? t.verdict_ns : t.decision_ns, t.done_ns);
}

void ActivityStats::OnMonitor(const MonitorMsg& m) { ++monitor_failures_[m.group]; }

void ActivityStats::OnArpConflict(const ArpConflictMsg&) { ++arp_conflicts_; }

void ActivityStats::OnGroupMove(const std::string& group) { ++group_moves_[group]; }

json ActivityStats::Json() const {
  json takeovers = json::array();
  for (const auto& [key, count] : takeovers_) {
    takeovers.push_back(json{{"group", std::get<0>(key)},
                             {"cause", std::get<1>(key)},
                             {"result", std::get<2>(key)},
                             {"count", count}});
  }
  json stages = json::object();
  for (const auto& [name, h] : stages_) stages[name] = h.Json();
  return json{{"takeovers", takeovers},
              {"takeover_stages_ms", stages},
              {"monitor_failures", monitor_failures_},
              {"arp_conflicts", arp_conflicts_},
              {"requests", requests_},
              {"group_moves", group_moves_}};
}

}  // namespace tachy
