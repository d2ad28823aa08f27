#include "detector/tachyd/status_json.h"

#include <nlohmann/json.hpp>

#include "detector/tachyd/activity_stats.h"
#include "detector/tachyd/auth_alarm.h"
#include "detector/hb_node.h"
#include "detector/peer_state.h"

namespace tachy {
namespace {

using nlohmann::json;

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

json RejectedJson(const std::array<uint64_t, kRejectReasonCount>& counts) {
  json out = json::object();
  for (size_t i = 1; i < kRejectReasonCount; ++i) {
    out[std::string(RejectReasonName(static_cast<RejectReason>(i)))] = counts[i];
  }
  return out;
}

std::string Hex(const RunnerData& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

// The runner's data stays opaque here: shown, never interpreted.
json AdJson(const Advertisement& ad) {
  return json{{"runner_data", Hex(ad.data)}, {"ready", ad.ready}};
}

json OrNull(int64_t ns) { return ns == 0 ? json() : json(ns); }

}  // namespace

std::string StatusJson(const EngineOptions& o, MonoTime started, const EngineSnapshot& snap,
                       MonoTime now, const DaemonInfo& info) {
  const EngineStats& st = snap.stats;
  json nodes = json::array();
  nodes.push_back(json{{"name", o.local_node},
                       {"local", true},
                       {"state", "up"},
                       {"generation", o.generation},
                       {"frames_sent", st.frames_sent}});
  for (const Peer& p : snap.peers) {
    json media = json::array();
    for (size_t m = 0; m < p.media.size(); ++m) {
      const MediumLink& l = p.media[m];
      media.push_back(json{{"name", o.media[m]},
                           {"link", l.up ? "up" : "dead"},
                           {"frames", l.frames},
                           {"last_heard_ms", l.heard ? json(Ms(now - l.last_heard)) : json()},
                           {"auth_failures", l.auth_failed},
                           {"auth_failed_key", l.auth_failed == 0 ? json() : json(l.auth_key)},
                           {"auth_failed_ms",
                            l.auth_failed == 0 ? json() : json(Ms(now - l.auth_failed_at))}});
    }
    std::uint64_t rejected_total = 0;
    for (uint64_t c : p.rejected) rejected_total += c;
    nodes.push_back(json{{"name", p.name},
                         {"local", false},
                         {"state", std::string(PeerStateName(p.state))},
                         {"state_for_ms", Ms(now - p.state_since)},
                         {"generation", p.generation},
                         {"last_heard_ms", p.heard ? json(Ms(now - p.last_heard)) : json()},
                         {"frames", p.frames},
                         {"duplicates", p.duplicates},
                         {"lost", p.lost},
                         {"deaths", p.deaths},
                         {"max_gap_ms", Ms(p.max_gap)},
                         {"peer_interval_ms", p.interval_us / 1000.0},
                         {"media", media},
                         // A Heartbeat peer is judged by the deadtime it advertises.
                         {"protocol", p.deadtime_override > absl::ZeroDuration() ? "heartbeat"
                                                                                 : "tachy"},
                         {"deadtime_ms", Ms(p.deadtime_override > absl::ZeroDuration()
                                                ? p.deadtime_override
                                                : o.deadtime)},
                         {"rejected_total", rejected_total},
                         {"rejected", RejectedJson(p.rejected)},
                         {"advertised", AdJson(p.ad)},
                         // Failures of the last 10 s: long enough to be read,
                         // short enough to clear once authkeys is fixed.
                         {"problems", AuthProblems(p, o.media, now, absl::Seconds(10))}});
  }
  json doc{
      {"v", 1},
      {"version", info.version},
      {"pid", info.pid},
      {"cluster", o.cluster},
      {"node", o.local_node},
      {"generation", o.generation},
      {"uptime_ms", Ms(now - started)},
      {"realtime", info.realtime},
      {"settings",
       {{"keepalive_ms", Ms(o.keepalive)},
        {"deadtime_ms", Ms(o.deadtime)},
        {"warntime_ms", Ms(o.warntime)},
        {"initdead_ms", Ms(o.initdead)}}},
      {"nodes", nodes},
      {"rejected", RejectedJson(st.rejected)},
      {"timing",
       {{"wakeups", st.wakeups},
        {"late_wakeups", st.late_wakeups},
        {"max_lateness_ms", Ms(st.max_lateness)},
        {"saved_by_grace", st.saved_by_grace},
        {"saved_by_rx_timestamp", st.saved_by_rx_timestamp},
        {"unjudged_gaps", st.unjudged_gaps},
        {"sends_skipped", st.sends_skipped},
        {"events_dropped", st.events_dropped},
        {"snapshot_age_ms", Ms(now - snap.taken)}}},
      {"log_lines_dropped", info.log_lines_dropped},
      {"sockets",
       {{"accept_failures", info.control_accept_failures},
        {"refused_connections", info.control_refused},
        {"event_messages_ignored", info.event_messages_ignored}}},
      {"frames_received", st.frames_received},
      {"frames_sent", st.frames_sent},
  };
  if (!info.realtime_note.empty()) doc["realtime_note"] = info.realtime_note;
  if (!info.heartbeat_json.empty()) {
    json hb = json::parse(info.heartbeat_json, nullptr, false);
    if (hb.is_object()) doc["heartbeat"] = hb;
  }
  doc["advertised"] = AdJson(snap.ad);
  if (info.activity != nullptr) doc["activity"] = info.activity->Json();
  if (!info.actions_enabled) {
    doc["actions"] = "disabled (--no-actions)";
  } else if (!info.actions_connected) {
    doc["actions"] = "action runner not connected";
  } else {
    doc["actions"] = "connected";
  }
  if (!info.groups_json.empty()) {
    // The runner's report: its groups, and (since quorum) an object with
    // the groups and the partition's view (quorum, ping nodes), each copied
    // only if it has the expected type.
    json report = json::parse(info.groups_json, nullptr, false);
    if (report.is_array()) {
      doc["groups"] = report;
    } else if (report.is_object()) {
      if (report.contains("groups") && report["groups"].is_array()) doc["groups"] = report["groups"];
      if (report.contains("quorum") && report["quorum"].is_object()) doc["quorum"] = report["quorum"];
      if (report.contains("ping") && report["ping"].is_array()) doc["ping"] = report["ping"];
    }
  }
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string HeartbeatStatusJson(const HeartbeatNode& node) {
  json peers = json::array();
  for (const HbPeerInfo& p : node.peers()) {
    peers.push_back(json{{"name", p.name},
                         {"speaks", p.heartbeat ? "heartbeat" : (p.tachy ? "tachy" : "unknown")},
                         {"generation", p.generation},
                         {"status", p.status},
                         {"deadtime_ms", Ms(p.deadtime)},
                         {"messages", p.messages},
                         {"lost", p.lost},
                         {"late", p.late},
                         {"dropped", p.dropped},
                         {"replays", p.replays},
                         {"restarts", p.restarts},
                         {"rexmit_asked", p.rexmit_asked},
                         {"rexmit_given", p.rexmit_given},
                         {"nak_sent", p.nak_sent},
                         {"irretrievable", p.irretrievable},
                         {"auth_failures", p.auth_failures}});
  }
  return json{{"active", node.active()},
              {"generation", node.generation()},
              {"messages_sent", node.sent()},
              {"peers", peers}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

WirePeerState ToWire(PeerState state) {
  switch (state) {
    case PeerState::kInit: return WirePeerState::kInit;
    case PeerState::kUp: return WirePeerState::kUp;
    case PeerState::kLate: return WirePeerState::kLate;
    case PeerState::kDead: return WirePeerState::kDead;
  }
  return WirePeerState::kInit;
}

namespace {

const char* WireName(WirePeerState s) {
  switch (s) {
    case WirePeerState::kInit: return "init";
    case WirePeerState::kUp: return "up";
    case WirePeerState::kLate: return "late";
    case WirePeerState::kDead: return "dead";
  }
  return "?";
}

}  // namespace

std::string WatchLineJson(const PeerMsg& e) {
  return json{{"type", "peer"},
              {"t_ns", e.t_ns},
              {"node", e.node},
              {"from", WireName(e.from)},
              {"to", WireName(e.to)},
              {"reason", e.reason},
              {"generation", e.generation},
              {"last_heard_ns", OrNull(e.last_heard_ns)}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string TakeoverLineJson(const TakeoverMsg& t, const std::string& node) {
  json resources = json::array();
  for (const TakeoverResource& r : t.resources) {
    resources.push_back(json{{"name", r.name}, {"done_ns", OrNull(r.done_ns)}});
  }
  return json{{"type", "takeover"},
              {"node", node},
              {"group", t.group},
              {"ok", t.ok},
              {"cause", t.cause},
              {"peer", t.peer.empty() ? json() : json(t.peer)},
              {"last_frame_ns", OrNull(t.last_frame_ns)},
              {"verdict_ns", OrNull(t.verdict_ns)},
              {"decision_ns", OrNull(t.decision_ns)},
              {"vip_ns", OrNull(t.vip_ns)},
              {"garp_ns", OrNull(t.garp_ns)},
              {"resources", resources},
              {"done_ns", OrNull(t.done_ns)},
              {"error", t.error}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HelloMsg MakeHello(const EngineOptions& options, const EngineSnapshot& snap) {
  HelloMsg h;
  h.node = options.local_node;
  h.generation = options.generation;
  h.keepalive_ns = absl::ToInt64Nanoseconds(options.keepalive);
  h.deadtime_ns = absl::ToInt64Nanoseconds(options.deadtime);
  for (const Peer& p : snap.peers) {
    h.peers.push_back(PeerSnapshot{p.name, ToWire(p.state), p.generation, p.state_since.nanos(),
                                   p.heard ? p.last_heard.nanos() : 0, p.ad.data, p.ad.ready});
  }
  return h;
}

}  // namespace tachy
