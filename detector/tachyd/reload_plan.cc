#include "detector/tachyd/reload_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detector/base/format.h"

namespace tachy {
namespace {

std::string Media(const HaConfig& ha) {
  std::vector<std::string> names;
  for (const MediumConfig& m : ha.media) names.push_back(absl::StrCat(m.Name(), "/", m.port));
  return absl::StrJoin(names, ", ");
}

bool SameKeys(const AuthKeys& a, const AuthKeys& b) {
  if (a.active_index != b.active_index || a.rotating != b.rotating ||
      a.keys.size() != b.keys.size()) {
    return false;
  }
  for (size_t i = 0; i < a.keys.size(); ++i) {
    if (a.keys[i].index != b.keys[i].index || a.keys[i].method != b.keys[i].method ||
        a.keys[i].key != b.keys[i].key) {
      return false;
    }
  }
  return true;
}

bool SamePing(const HaConfig& a, const HaConfig& b) {
  // deadping matters only with ping nodes (it defaults to deadtime).
  if (a.ping.size() != b.ping.size() || (!a.ping.empty() && a.deadping != b.deadping)) {
    return false;
  }
  for (size_t i = 0; i < a.ping.size(); ++i) {
    if (a.ping[i].name != b.ping[i].name || a.ping[i].hosts != b.ping[i].hosts) return false;
  }
  return true;
}

}  // namespace

ReloadPlan PlanReload(const ClusterConfig& running, const ClusterConfig& fresh,
                      const ReloadContext& context) {
  ReloadPlan plan;
  const HaConfig& was = running.ha;
  const HaConfig& now = fresh.ha;
  plan.keepalive = was.keepalive;
  plan.warntime = was.warntime;
  plan.deadtime = was.deadtime;
  plan.initdead = was.initdead;

  const auto refuse = [&](bool changed, const std::string& what, const std::string& why) {
    if (changed) plan.refused.push_back(absl::StrCat(what, " changed: ", why));
  };
  const std::string restart = "takes effect only when tachyd restarts (node by node)";
  refuse(was.nodes != now.nodes, "node", restart);
  refuse(Media(was) != Media(now), "media (bcast/mcast/ucast/raw, udpport)", restart);
  refuse(!SameKeys(running.auth, fresh.auth), "authkeys",
         "keys change with a restart, node by node, with the new key as a `rotate` line first "
         "so that no node refuses another's frames");
  refuse(was.auto_failback != now.auto_failback, "auto_failback", restart);
  refuse(was.quorum != now.quorum, "quorum", restart);
  refuse(!SamePing(was, now), "ping/ping_group/deadping", restart);
  refuse(was.realtime != now.realtime || was.rtprio != now.rtprio, "realtime/rtprio", restart);
  refuse(was.metrics_address != now.metrics_address || was.metrics_port != now.metrics_port,
         "metrics_listen", restart);
  refuse(was.cluster != now.cluster, "cluster", restart);
  refuse(context.haresources_changed, "haresources",
         "groups move by it on every node, and no node can check that the others have the "
         "same file: restart the nodes one after the other once it is the same everywhere");

  if (was.logfile != now.logfile || was.debugfile != now.debugfile ||
      was.logfacility != now.logfacility || was.debug != now.debug) {
    plan.log_changed = true;
    plan.applied.push_back(absl::StrFormat(
        "logging: logfile '%s', debugfile '%s', logfacility '%s', debug %d", now.logfile,
        now.debugfile, now.logfacility, now.debug));
  }
  if (was.initdead != now.initdead) {
    plan.initdead = now.initdead;
    plan.applied.push_back(absl::StrCat("initdead ", FormatMillis(now.initdead),
                                        " (it matters only at the next start)"));
  }

  const bool timing = was.keepalive != now.keepalive || was.warntime != now.warntime ||
                      was.deadtime != now.deadtime;
  if (!timing) return plan;
  const std::string change =
      absl::StrFormat("keepalive %s -> %s, warntime %s -> %s, deadtime %s -> %s",
                      FormatMillis(was.keepalive), FormatMillis(now.keepalive), FormatMillis(was.warntime), FormatMillis(now.warntime),
                      FormatMillis(was.deadtime), FormatMillis(now.deadtime));
  const absl::Duration slowest = std::max(was.keepalive, context.slowest_peer_interval);
  std::string why;
  if (context.heartbeat_peers) {
    why = "a Heartbeat 3 peer judges this node by its own ha.cf: restart instead";
  } else if (now.keepalive > std::min(was.deadtime, now.deadtime) / 2) {
    why = absl::StrFormat(
        "the new keepalive must be at most half of both the old and the new deadtime (%s), or "
        "a peer still on the old one would declare this node dead: raise deadtime on every "
        "node first, then keepalive in a second reload",
        FormatMillis(std::min(was.deadtime, now.deadtime) / 2));
  } else if (now.deadtime < 2 * slowest) {
    why = absl::StrFormat(
        "the new deadtime must be at least twice the interval peers send at now (%s), or a "
        "peer not yet reloaded would be declared dead: lower keepalive on every node "
        "first, then deadtime in a second reload",
        FormatMillis(slowest));
  }
  if (!why.empty()) {
    plan.refused.push_back(absl::StrCat(change, ": ", why));
    return plan;
  }
  plan.timing_changed = true;
  plan.keepalive = now.keepalive;
  plan.warntime = now.warntime;
  plan.deadtime = now.deadtime;
  plan.applied.push_back(change);
  return plan;
}

}  // namespace tachy
