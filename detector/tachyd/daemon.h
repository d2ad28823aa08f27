// daemon.h: tachyd's event loop: config, media, engine, control sockets.
#ifndef TACHY_DETECTOR_TACHYD_DAEMON_H_
#define TACHY_DETECTOR_TACHYD_DAEMON_H_

#include <string>

#include "absl/time/time.h"
#include "detector/tachyd/hb_identity.h"
#include "detector/tachyd/leave_policy.h"

namespace tachy {

struct DaemonOptions {
  std::string config_dir = "/etc/ha.d";
  std::string node;  // empty = uname -n
  std::string state_dir = "/var/lib/tachy";
  std::string heartbeat_state_dir = kHeartbeatStateDir;  // hb_identity.h
  std::string socket = "/run/tachy/tachyd.sock";
  std::string event_socket;  // empty = socket + ".events"
  bool check = false;
  bool strict = false;  // --check: a medium's missing interface is an error
  bool no_actions = false;   // don't start and supervise tachy-actions
  std::string actions_path;  // empty = next to tachyd, else $PATH
  bool allow_crc_on_udp = false;  // accept a crc key with UDP media (CheckAuthPolicy)
  // How long a clean shutdown waits for the runner to release before it is
  // blocked (leave_policy.h).
  absl::Duration leave_timeout = kLeaveTimeout;
};

// RunDaemon()
//
// Runs tachyd until SIGTERM/SIGINT. Returns the process exit code: 0 after a
// clean stop (or a good --check), 2 for a configuration error, 1 otherwise.
int RunDaemon(const DaemonOptions& options);

// RunCheck()
//
// `tachyd --check` on a configuration that parsed: warnings, the media's
// interfaces, the effective configuration, then `tachy-actions --check`
// (haresources, scripts, addresses) unless --no-actions. 0 if all is well,
// 2 otherwise.
int RunCheck(const DaemonOptions& options, const struct ClusterConfig& config);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_DAEMON_H_
