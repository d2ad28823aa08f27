#include "detector/status_json.h"

#include <nlohmann/json.hpp>

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

json AdJson(const Advertisement& ad) {
  return json{{"held", ad.held},
              {"wants", ad.wants},
              {"declines", ad.declines},
              {"digest", ad.digest},
              {"ready", ad.ready}};
}

json PeerSummary(const Peer& p) {
  json j{{"node", p.name},
         {"state", std::string(PeerStateName(p.state))},
         {"generation", p.generation},
         {"since_ns", p.state_since.nanos()}};
  j.update(AdJson(p.ad));
  return j;
}

}  // namespace

std::string StatusJson(const Engine& engine, MonoTime now, const DaemonInfo& info) {
  const EngineOptions& o = engine.options();
  const EngineStats& st = engine.stats();
  json nodes = json::array();
  nodes.push_back(json{{"name", o.local_node},
                       {"local", true},
                       {"state", "up"},
                       {"generation", o.generation},
                       {"frames_sent", st.frames_sent}});
  for (const Peer& p : engine.peers()) {
    json media = json::array();
    for (size_t m = 0; m < p.media.size(); ++m) {
      const MediumLink& l = p.media[m];
      media.push_back(json{{"name", o.media[m]},
                           {"link", l.up ? "up" : "dead"},
                           {"frames", l.frames},
                           {"last_heard_ms", l.heard ? json(Ms(now - l.last_heard)) : json()}});
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
                         {"rejected_total", rejected_total},
                         {"rejected", RejectedJson(p.rejected)},
                         {"advertised", AdJson(p.ad)}});
  }
  json doc{
      {"v", 1},
      {"version", info.version},
      {"pid", info.pid},
      {"cluster", o.cluster},
      {"node", o.local_node},
      {"generation", o.generation},
      {"uptime_ms", Ms(now - engine.started())},
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
        {"sends_skipped", st.sends_skipped}}},
      {"frames_received", st.frames_received},
      {"frames_sent", st.frames_sent},
  };
  if (!info.realtime_note.empty()) doc["realtime_note"] = info.realtime_note;
  doc["advertised"] = AdJson(engine.advertisement());
  if (!info.actions_enabled) {
    doc["actions"] = "disabled (--no-actions)";
  } else if (!info.actions_connected) {
    doc["actions"] = "action runner not connected";
  } else {
    doc["actions"] = "connected";
  }
  if (!info.groups_json.empty()) {
    json groups = json::parse(info.groups_json, nullptr, false);
    if (groups.is_array()) doc["groups"] = groups;
  }
  return doc.dump();
}

namespace {

json PeerEventJson(const PeerEvent& e) {
  return json{{"t_ns", e.t.nanos()},
              {"node", e.node},
              {"from", std::string(PeerStateName(e.from))},
              {"to", std::string(PeerStateName(e.to))},
              {"reason", e.reason},
              {"generation", e.generation}};
}

}  // namespace

std::string WatchLineJson(const PeerEvent& e) { return PeerEventJson(e).dump(); }

std::string EventMessageJson(const PeerEvent& e, uint64_t seq) {
  json j{{"v", 1}, {"type", "peer"}, {"seq", seq}};
  j.update(PeerEventJson(e));
  return j.dump();
}

std::string LinkMessageJson(const LinkEvent& e, uint64_t seq) {
  return json{{"v", 1},          {"type", "link"},    {"seq", seq},
              {"t_ns", e.t.nanos()}, {"node", e.node}, {"medium", e.medium},
              {"link", e.up ? "up" : "dead"}}
      .dump();
}

std::string AdMessageJson(const AdEvent& e, uint64_t seq) {
  json j{{"v", 1}, {"type", "peer_ads"}, {"seq", seq}, {"t_ns", e.t.nanos()}, {"node", e.node}};
  j.update(AdJson(e.ad));
  return j.dump();
}

std::string HelloMessageJson(const Engine& engine, uint64_t last_seq) {
  json peers = json::array();
  for (const Peer& p : engine.peers()) peers.push_back(PeerSummary(p));
  return json{{"v", 1},
              {"type", "hello"},
              {"seq", last_seq},
              {"node", engine.options().local_node},
              {"generation", engine.options().generation},
              {"peers", peers}}
      .dump();
}

}  // namespace tachy
