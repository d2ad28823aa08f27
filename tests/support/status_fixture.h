// status_fixture.h: a tachyd status document (docs/control-protocol.md) for
// the tests of what is derived from it: metrics, cl_status queries.
// Node "a" (this one) holds group 10.0.0.100 (preferred a); peer "b" is up,
// ready, on raw:hb0 and ucast:eth1:10.0.0.2 (down); "c" is dead; ping node
// 10.0.0.254 is reached.
#ifndef TACHY_TESTS_SUPPORT_STATUS_FIXTURE_H_
#define TACHY_TESTS_SUPPORT_STATUS_FIXTURE_H_

#include <nlohmann/json.hpp>

namespace tachy {

inline nlohmann::json StatusFixture() {
  return nlohmann::json::parse(R"({
    "v": 1, "version": "0.1.0", "pid": 42, "cluster": "linux-ha", "node": "a",
    "generation": 7, "uptime_ms": 1500.5, "realtime": true,
    "settings": {"keepalive_ms": 2, "deadtime_ms": 20, "warntime_ms": 10, "initdead_ms": 10000},
    "nodes": [
      {"name": "a", "local": true, "state": "up", "generation": 7, "frames_sent": 700},
      {"name": "b", "local": false, "state": "up", "state_for_ms": 1400, "generation": 3,
       "last_heard_ms": 0.8, "frames": 690, "duplicates": 5, "lost": 1, "deaths": 0,
       "max_gap_ms": 2.5, "peer_interval_ms": 2, "protocol": "tachy", "deadtime_ms": 20,
       "rejected_total": 2, "rejected": {"bad_signature": 2, "replay": 0},
       "advertised": {"runner_data": "00", "ready": true},
       "media": [
         {"name": "raw:hb0", "link": "up", "frames": 690, "last_heard_ms": 0.8,
          "auth_failures": 0},
         {"name": "ucast:eth1:10.0.0.2", "link": "dead", "frames": 0, "last_heard_ms": null,
          "auth_failures": 2}]},
      {"name": "c", "local": false, "state": "dead", "state_for_ms": 900, "generation": 1,
       "last_heard_ms": null, "frames": 0, "duplicates": 0, "lost": 0, "deaths": 1,
       "max_gap_ms": 0, "peer_interval_ms": 0, "protocol": "tachy", "deadtime_ms": 20,
       "rejected_total": 0, "rejected": {"bad_signature": 0, "replay": 0},
       "advertised": {"runner_data": "00", "ready": false},
       "media": [
         {"name": "raw:hb0", "link": "dead", "frames": 0, "last_heard_ms": null,
          "auth_failures": 0},
         {"name": "ucast:eth1:10.0.0.2", "link": "dead", "frames": 0, "last_heard_ms": null,
          "auth_failures": 0}]}],
    "rejected": {"bad_signature": 2, "replay": 0},
    "timing": {"wakeups": 900, "late_wakeups": 3, "max_lateness_ms": 6.5, "saved_by_grace": 1,
               "saved_by_rx_timestamp": 0, "unjudged_gaps": 0, "sends_skipped": 0,
               "events_dropped": 0, "snapshot_age_ms": 0.1},
    "log_lines_dropped": 0,
    "frames_received": 692, "frames_sent": 700,
    "actions": "connected",
    "groups": [
      {"key": "10.0.0.100", "preferred": "a", "owner": "a", "state": "running",
       "last_action": "take", "last_duration_ms": 3.5, "arp_conflicts": 0,
       "monitor": {"watched_pids": [100], "failures": 1, "last_failure": "",
                   "restarts_in_window": 0, "declining": false}}],
    "ping": [{"name": "10.0.0.254", "hosts": ["10.0.0.254"], "reached": true}],
    "quorum": {"policy": "none", "quorate": true, "why": "2 nodes"},
    "activity": {
      "takeovers": [{"group": "10.0.0.100", "cause": "peer_dead", "result": "ok", "count": 1}],
      "takeover_stages_ms": {"total": {"buckets": [{"le_ms": 10, "count": 0},
                                                   {"le_ms": 20, "count": 1}],
                                       "count": 1, "sum_ms": 15}},
      "monitor_failures": {"10.0.0.100": 1}, "arp_conflicts": 0,
      "requests": {"standby": 2}, "group_moves": {"10.0.0.100": 1}}
  })");
}

}  // namespace tachy

#endif  // TACHY_TESTS_SUPPORT_STATUS_FIXTURE_H_
