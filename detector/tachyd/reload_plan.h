// reload_plan.h: what a reload (SIGHUP, `tachyctl reload`) may change in a
// running tachyd, decided from the configuration in force and the one just
// read. Pure: the daemon applies the plan.
//
// Applied: the log options (files are reopened on every reload, so
// logrotate can move them), and keepalive/warntime/deadtime/initdead
// within limits that keep every peer's judgement right while the nodes
// reload one after the other:
//   - the new keepalive is at most half of both the old and the new
//     deadtime (a peer still on the old deadtime keeps hearing us in time);
//   - the new deadtime is at least twice the old keepalive and the slowest
//     peer's current interval (a peer still sending at the old rate is not
//     declared dead);
//   - no Heartbeat 3 peer is present (its timing is its own ha.cf's).
// Refused, with the reason, and left as they run: everything else (nodes,
// media, udpport, keys, auto_failback, quorum, ping nodes, realtime,
// metrics_listen, cluster name), and haresources, which the runner moves
// groups by and which no node can check is the same on every node.
#ifndef TACHY_DETECTOR_TACHYD_RELOAD_PLAN_H_
#define TACHY_DETECTOR_TACHYD_RELOAD_PLAN_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "detector/config/cluster_config.h"

namespace tachy {

struct ReloadPlan {
  std::vector<std::string> applied;  // one line per change applied
  std::vector<std::string> refused;  // one line per change refused, with why
  bool log_changed = false;
  bool timing_changed = false;  // keepalive, warntime or deadtime
  // The timing in force after the reload (the old one when refused).
  absl::Duration keepalive, warntime, deadtime, initdead;
};

struct ReloadContext {
  absl::Duration slowest_peer_interval;  // the longest keepalive a peer sends at
  bool heartbeat_peers = false;          // a Heartbeat 3 node is a peer
  bool haresources_changed = false;
};

// PlanReload()
//
// What of `fresh` may replace `running`, and what may not.
ReloadPlan PlanReload(const ClusterConfig& running, const ClusterConfig& fresh,
                      const ReloadContext& context);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_RELOAD_PLAN_H_
