#include "detector/tachyd/metrics_text.h"

#include <cmath>
#include <cstdlib>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detector/base/group_owners.h"

namespace tachy {
namespace {

using nlohmann::json;
using Labels = std::vector<std::pair<std::string, std::string>>;

std::string EscapeLabel(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // The shortest text that reads back as the same double.
  for (int digits = 15; digits < 17; ++digits) {
    const std::string text = absl::StrFormat("%.*g", digits, v);
    if (std::strtod(text.c_str(), nullptr) == v) return text;
  }
  return absl::StrFormat("%.17g", v);
}

// Collects samples by family, so each family's HELP/TYPE comes once, before
// its samples, whatever order the document is walked in.
class Exposition {
 public:
  void Add(const std::string& family, const char* type, const char* help, const Labels& labels,
           double value, const std::string& suffix = "") {
    Family* f = nullptr;
    for (Family& x : families_) {
      if (x.name == family) f = &x;
    }
    if (f == nullptr) {
      families_.push_back(Family{family, type, help, {}});
      f = &families_.back();
    }
    std::vector<std::string> parts;
    for (const auto& [k, v] : labels) parts.push_back(absl::StrCat(k, "=\"", EscapeLabel(v), "\""));
    const std::string labelset =
        parts.empty() ? "" : absl::StrCat("{", absl::StrJoin(parts, ","), "}");
    f->samples.push_back(absl::StrCat(family, suffix, labelset, " ", Number(value)));
  }
  std::string Text() const {
    std::string out;
    for (const Family& f : families_) {
      absl::StrAppend(&out, "# HELP ", f.name, " ", f.help, "\n# TYPE ", f.name, " ", f.type,
                      "\n");
      for (const std::string& s : f.samples) absl::StrAppend(&out, s, "\n");
    }
    return out;
  }

 private:
  struct Family {
    std::string name, type, help;
    std::vector<std::string> samples;
  };
  std::vector<Family> families_;
};

double Num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return NAN;
  const json& v = j[key];
  if (v.is_number()) return v.get<double>();
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  return NAN;
}

std::string Str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// Adds `family` from `j[key]` when it is a number or boolean.
void Field(Exposition& e, const json& j, const char* key, const std::string& family,
           const char* type, const char* help, const Labels& labels = {}, double scale = 1) {
  const double v = Num(j, key);
  if (!std::isnan(v)) e.Add(family, type, help, labels, v * scale);
}

constexpr double kMsToS = 1e-3;

void Peers(Exposition& e, const json& nodes) {
  static constexpr const char* kStates[] = {"init", "up", "late", "dead"};
  for (const json& n : nodes) {
    if (!n.is_object() || n.value("local", false)) continue;
    const std::string peer = Str(n, "name");
    const std::string state = Str(n, "state");
    for (const char* s : kStates) {
      e.Add("tachy_peer_state", "gauge",
            "1 for the peer's current state (init, up, late, dead), 0 for the others",
            {{"peer", peer}, {"state", s}}, state == s ? 1 : 0);
    }
    const Labels p{{"peer", peer}};
    Field(e, n, "generation", "tachy_peer_generation", "gauge",
          "the peer's generation (its restart count)", p);
    Field(e, n, "state_for_ms", "tachy_peer_state_seconds", "gauge",
          "how long the peer has been in its current state", p, kMsToS);
    Field(e, n, "last_heard_ms", "tachy_peer_last_heard_seconds", "gauge",
          "time since the peer's newest accepted frame", p, kMsToS);
    Field(e, n, "frames", "tachy_peer_frames_total", "counter",
          "frames accepted from the peer", p);
    Field(e, n, "duplicates", "tachy_peer_duplicate_frames_total", "counter",
          "valid copies of a frame received over a second medium", p);
    Field(e, n, "lost", "tachy_peer_lost_frames_total", "counter",
          "gaps in the peer's sequence numbers", p);
    Field(e, n, "deaths", "tachy_peer_deaths_total", "counter",
          "times the peer was declared dead", p);
    Field(e, n, "max_gap_ms", "tachy_peer_max_gap_seconds", "gauge",
          "longest silence of the peer while it was up", p, kMsToS);
    Field(e, n, "deadtime_ms", "tachy_peer_deadtime_seconds", "gauge",
          "the deadtime the peer is judged by", p, kMsToS);
    if (n.contains("rejected") && n["rejected"].is_object()) {
      for (const auto& [reason, count] : n["rejected"].items()) {
        if (count.is_number()) {
          e.Add("tachy_peer_rejected_frames_total", "counter",
                "frames claiming to be from the peer that were refused, by reason",
                {{"peer", peer}, {"reason", reason}}, count.get<double>());
        }
      }
    }
    if (!n.contains("media") || !n["media"].is_array()) continue;
    for (const json& m : n["media"]) {
      const Labels l{{"peer", peer}, {"medium", Str(m, "name")}};
      e.Add("tachy_link_up", "gauge", "1 while the peer is heard on the medium", l,
            Str(m, "link") == "up" ? 1 : 0);
      Field(e, m, "frames", "tachy_link_frames_total", "counter",
            "frames accepted from the peer on the medium", l);
      Field(e, m, "auth_failures", "tachy_link_auth_failures_total", "counter",
            "frames from the peer on the medium whose signature did not verify", l);
    }
  }
}

void Groups(Exposition& e, const json& doc) {
  const std::string local = Str(doc, "node");
  for (const json& g : doc["groups"]) {
    if (!g.is_object()) continue;
    const std::string key = Str(g, "key");
    const std::string owner = Str(g, "owner");
    const bool held = OwnersInclude(owner, local);
    const Labels l{{"group", key}};
    e.Add("tachy_group_held", "gauge", "1 while this node holds the resource group", l,
          held ? 1 : 0);
    e.Add("tachy_group_owners", "gauge",
          "how many live nodes hold the group (more than 1: split brain)", l,
          static_cast<double>(OwnerCount(owner)));
    Field(e, g, "arp_conflicts", "tachy_group_arp_conflicts_total", "counter",
          "ARP replies for the group's address from another machine while held here", l);
    if (g.contains("monitor")) {
      Field(e, g["monitor"], "failures", "tachy_group_monitor_failures_total", "counter",
            "failures of the group's resources found by monitoring", l);
    }
    Field(e, g, "last_duration_ms", "tachy_group_last_action_seconds", "gauge",
          "how long the group's last action (take, release, restart) took", l, kMsToS);
  }
}

void Activity(Exposition& e, const json& a) {
  if (a.contains("takeovers") && a["takeovers"].is_array()) {
    for (const json& t : a["takeovers"]) {
      Field(e, t, "count", "tachy_takeovers_total", "counter",
            "resource groups taken by this node, by cause and result",
            {{"group", Str(t, "group")}, {"cause", Str(t, "cause")}, {"result", Str(t, "result")}});
    }
  }
  if (a.contains("takeover_stages_ms") && a["takeover_stages_ms"].is_object()) {
    for (const auto& [stage, h] : a["takeover_stages_ms"].items()) {
      if (!h.is_object() || !h.contains("buckets")) continue;
      const char* help =
          "duration of each stage of this node's takeovers (detection: last frame to verdict; "
          "decision; address: VIP added; garp; resources; total: verdict to done)";
      for (const json& b : h["buckets"]) {
        e.Add("tachy_takeover_stage_seconds", "histogram", help,
              {{"stage", stage}, {"le", Number(Num(b, "le_ms") * kMsToS)}}, Num(b, "count"),
              "_bucket");
      }
      e.Add("tachy_takeover_stage_seconds", "histogram", help, {{"stage", stage}, {"le", "+Inf"}},
            Num(h, "count"), "_bucket");
      e.Add("tachy_takeover_stage_seconds", "histogram", help, {{"stage", stage}},
            Num(h, "sum_ms") * kMsToS, "_sum");
      e.Add("tachy_takeover_stage_seconds", "histogram", help, {{"stage", stage}},
            Num(h, "count"), "_count");
    }
  }
  const auto by = [&](const char* key, const char* label, const std::string& family,
                      const char* help) {
    if (!a.contains(key) || !a[key].is_object()) return;
    for (const auto& [k, v] : a[key].items()) {
      if (v.is_number()) e.Add(family, "counter", help, {{label, k}}, v.get<double>());
    }
  };
  by("monitor_failures", "group", "tachy_monitor_failures_total",
     "resource failures the runner's monitoring reported, by group");
  by("requests", "request", "tachy_requests_total",
     "operator requests forwarded to the runner (standby, takeover, clear)");
  by("group_moves", "group", "tachy_group_moves_total",
     "changes of a group's owner seen by this node");
  Field(e, a, "arp_conflicts", "tachy_arp_conflicts_total", "counter",
        "ARP conflicts on held service addresses");
}

}  // namespace

absl::StatusOr<std::string> PrometheusText(absl::string_view status_json) {
  const json doc = json::parse(status_json, nullptr, false);
  if (!doc.is_object() || !doc.contains("nodes") || !doc["nodes"].is_array()) {
    return absl::InvalidArgumentError("not a tachyd status document");
  }
  Exposition e;
  e.Add("tachy_info", "gauge", "tachyd's version, cluster and node (value always 1)",
        {{"version", Str(doc, "version")}, {"cluster", Str(doc, "cluster")},
         {"node", Str(doc, "node")}},
        1);
  Field(e, doc, "generation", "tachy_generation", "gauge", "this node's generation");
  Field(e, doc, "uptime_ms", "tachy_uptime_seconds", "gauge", "time since tachyd started",
        {}, kMsToS);
  Field(e, doc, "realtime", "tachy_realtime", "gauge",
        "1 while the detector thread runs SCHED_FIFO with memory locked");
  if (doc.contains("settings")) {
    const json& s = doc["settings"];
    for (const char* k : {"keepalive", "warntime", "deadtime", "initdead"}) {
      Field(e, s, absl::StrCat(k, "_ms").c_str(), "tachy_setting_seconds", "gauge",
            "ha.cf timing in force", {{"setting", k}}, kMsToS);
    }
  }
  Field(e, doc, "frames_sent", "tachy_frames_sent_total", "counter", "heartbeats sent");
  Field(e, doc, "frames_received", "tachy_frames_received_total", "counter",
        "frames received on all media, before checks");
  if (doc.contains("rejected") && doc["rejected"].is_object()) {
    for (const auto& [reason, count] : doc["rejected"].items()) {
      if (count.is_number()) {
        e.Add("tachy_rejected_frames_total", "counter", "frames refused, by reason",
              {{"reason", reason}}, count.get<double>());
      }
    }
  }
  if (doc.contains("timing")) {
    const json& t = doc["timing"];
    Field(e, t, "wakeups", "tachy_detector_wakeups_total", "counter",
          "wake-ups of the detector thread");
    Field(e, t, "late_wakeups", "tachy_detector_late_wakeups_total", "counter",
          "wake-ups later than the stall threshold (1 ms)");
    Field(e, t, "max_lateness_ms", "tachy_detector_max_lateness_seconds", "gauge",
          "the detector thread's worst lateness", {}, kMsToS);
    Field(e, t, "saved_by_grace", "tachy_saved_by_grace_total", "counter",
          "peers kept alive because this node itself had stalled");
    Field(e, t, "saved_by_rx_timestamp", "tachy_saved_by_rx_timestamp_total", "counter",
          "peers kept alive by the kernel's receive timestamps of frames read late");
    Field(e, t, "unjudged_gaps", "tachy_unjudged_gaps_total", "counter",
          "silences that could not be judged because this node was stalled");
    Field(e, t, "sends_skipped", "tachy_sends_skipped_total", "counter",
          "heartbeats skipped because the detector woke too late for them");
    Field(e, t, "events_dropped", "tachy_events_dropped_total", "counter",
          "detector events lost to a full ring");
  }
  Field(e, doc, "log_lines_dropped", "tachy_log_lines_dropped_total", "counter",
        "log lines dropped because a log destination was too slow");
  e.Add("tachy_actions_connected", "gauge", "1 while the action runner is connected", {},
        Str(doc, "actions") == "connected" ? 1 : 0);
  Peers(e, doc["nodes"]);
  if (doc.contains("groups") && doc["groups"].is_array()) Groups(e, doc);
  if (doc.contains("activity") && doc["activity"].is_object()) Activity(e, doc["activity"]);
  if (doc.contains("quorum") && doc["quorum"].is_object()) {
    Field(e, doc["quorum"], "quorate", "tachy_quorate", "gauge",
          "1 while this node's partition has quorum");
  }
  return e.Text();
}

}  // namespace tachy
