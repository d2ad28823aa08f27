// runner.h: tachy-actions, the action runner: follows tachyd's events,
// decides group ownership (ownership.h) and carries it out: service address
// over netlink, gratuitous ARP, resource scripts, in order, with timeouts.
//
// Rules it states and logs (never silent):
//  - take: resources left to right; an address is added, announced with a
//    gratuitous ARP at once (then count-1 more, interval apart), and watched
//    for conflicting claims; a script is skipped if `status` says it runs.
//  - release: right to left; a failing stop is retried (10 times, 1 s apart,
//    as Heartbeat); if it still fails and `status` says running, the group
//    stays "failed" and held, so no second copy starts anywhere.
//  - a failed start stops what was started (reverse order), marks the group
//    failed, declines it so a live peer takes it, and retries here after 30 s
//    only if no peer could.
//  - a held group is monitored: each script's main processes by pidfd (its
//    exit is seen in the wake-up it happens in), every script's `status` and
//    every address each monitor_interval. A failure restarts the failed
//    resource and those after it here (`restarts` per `restart_window`),
//    then hands the group to a peer and declines it for failure_timeout or
//    until `tachyctl clear`; where no peer can run it, it comes back here.
//  - at start-up a group found partly running is not claimed: it is
//    completed if this node is to hold it, else cleaned up (stopped, address
//    removed) without ever being advertised as held.
//  - if this node's tachyd is gone for half the deadtime (connection closed,
//    or no tick: dead, hung or blocked), everything is released, addresses
//    first (before the peer, which waits a full deadtime, takes over): a
//    node without a working detector must not hold the VIP.
//  - the takeover path opens nothing: takeover_kit.h prepares it all at
//    start; one worker per group (job_worker.h). The parts, each tested
//    alone: peer_view.h (what tachyd says), ownership.h (who should hold
//    what), group_state.h (each group's state, time as an argument),
//    group_jobs.h (take/release steps over injected operations),
//    arp_guard.h (which ARP claims are conflicts). This file wires them.
#ifndef TACHY_ACTIONS_RUNNER_H_
#define TACHY_ACTIONS_RUNNER_H_

#include <string>

#include "absl/time/time.h"
#include "actions/resource_agent.h"
#include "actions/tachy_cf.h"

namespace tachy {

struct RunnerOptions {
  std::string config_dir = "/etc/ha.d";
  std::string node;
  std::string state_dir = "/var/lib/tachy";
  std::string event_socket = "/run/tachy/tachyd.sock.events";
  AgentDirs dirs;  // resource_dir empty = <config_dir>/resource.d
  absl::Duration start_timeout = absl::Seconds(60);
  absl::Duration stop_timeout = absl::Seconds(60);
  int garp_count = 5;
  absl::Duration garp_interval = absl::Milliseconds(200);
  int stop_retries = 10;
  absl::Duration stop_retry_interval = absl::Seconds(1);
  absl::Duration failed_retry_delay = absl::Seconds(30);
  // Monitoring and the failure policy (<config_dir>/tachy.cf, tachy_cf.h).
  MonitorSettings monitor;
  bool check = false;
  // Started by tachyd: if tachyd dies, this runner is orphaned. It then
  // waits half the deadtime: a new tachyd (with its own runner) takes over,
  // else it releases everything; either way it exits.
  bool supervised = false;
};

// RunActions()
//
// Runs until SIGTERM/SIGINT (then releases nothing: resources keep running
// until the next runner decides, so restarting the runner never interrupts
// the service). Exit code 0 clean, 1 start-up failure, 2 configuration error.
int RunActions(const RunnerOptions& options);

}  // namespace tachy

#endif  // TACHY_ACTIONS_RUNNER_H_
