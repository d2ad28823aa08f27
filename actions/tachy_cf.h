// tachy_cf.h: <config_dir>/tachy.cf, the settings only tachy has. Heartbeat
// never reads this file, so the Heartbeat files stay as they are.
//
//   # how a held group's resources are watched and what a failure leads to
//   monitor_interval 1        # status/monitor of every script, and every
//                             # address checked (0 = no periodic check)
//   monitor_timeout 20        # per status call
//   restarts 1                # restarts here per restart_window...
//   restart_window 300        # ...then the group is handed to a peer
//   failure_timeout 300       # and declined here this long (tachyctl clear)
//   check 10.0.0.5 http 10.0.0.5:80/   # per group (its haresources key): an
//   check 10.0.0.6 tcp 10.0.0.6:3306   # application check after the others
//   check_timeout 2           # per application check
//   takeover_arp_check on     # before taking a group from a dead peer, ask
//   takeover_arp_check_timeout 1ms  # the LAN for its addresses (ARP probe):
//                             # still answered by another MAC = no takeover
//   bgp_handover_overlap 1    # a group of BGP:: addresses handed to a node
//                             # that asks for it (auto_failback, takeover):
//                             # both announce it this long before the
//                             # holder lets go (0 = release, then take)
//
// Times in Heartbeat's syntax (no unit = seconds, `ms`, `us`), up to 24 h.
// A missing file means the defaults. Main processes are watched by pidfd
// whatever the interval (actions/resource_processes.h).
#ifndef TACHY_ACTIONS_TACHY_CF_H_
#define TACHY_ACTIONS_TACHY_CF_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "actions/app_check.h"
#include "actions/failure_policy.h"

namespace tachy {

struct MonitorSettings {
  absl::Duration interval = absl::Seconds(1);  // zero: no periodic check
  absl::Duration timeout = absl::Seconds(20);
  FailurePolicyOptions policy;
  std::vector<AppCheck> checks;  // group keys checked against haresources later
  absl::Duration check_timeout = absl::Seconds(2);
  // The check before a takeover from a dead peer (a second path): an ARP
  // probe for each of the group's addresses; an answer within the timeout
  // from another MAC means the peer still serves it.
  bool takeover_arp_check = true;
  absl::Duration takeover_arp_check_timeout = absl::Milliseconds(1);
  // Make-before-break hand-over of BGP-only groups (docs/bgp.md): how long
  // the holder keeps announcing after the node it hands the group to has
  // taken it too; zero: release first, then take, as for LAN addresses.
  absl::Duration bgp_handover_overlap = absl::Seconds(1);
  std::string path = "tachy.cf";  // for errors naming a line
};

// ParseTachyCf()
//
// kInvalidArgument "FILE:LINE: what is wrong" for an unknown directive, a
// missing or extra value, or a value out of range.
absl::StatusOr<MonitorSettings> ParseTachyCf(absl::string_view text, absl::string_view filename);

// LoadTachyCf()
//
// Reads and parses `path`; a missing file gives the defaults. Like ha.cf, it
// must be owned by root (or us) and writable by nobody else.
absl::StatusOr<MonitorSettings> LoadTachyCf(const std::string& path);

}  // namespace tachy

#endif  // TACHY_ACTIONS_TACHY_CF_H_
