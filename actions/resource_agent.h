// resource_agent.h: start, stop and query one resource through its script.
//
// Script kinds (haresources Resource::Kind):
//  - kScript: <resource_dir>/<name>, else <init_dir>/<name>, a regular
//    executable file, called `<script> [args...] start|stop|status`
//    (arguments first, operation last, as Heartbeat's ResourceManager does).
//    `status` follows Heartbeat's rule on stdout text, not the exit code:
//    "*[Nn][Oo][Tt] *[Rr]unning*" => stopped, "*running*" or "*OK*" =>
//    running, anything else => stopped.
//  - kSystemd: `systemctl start|stop <unit>`; status from
//    `systemctl is-active --quiet <unit>` (exit 0 = running, other exits =
//    stopped).
//  - kOcf: OCF_ROOT/resource.d/<provider>/<agent> with OCF_ROOT,
//    OCF_RESOURCE_INSTANCE and OCF_RESKEY_<name>=<value> in the environment;
//    `start`, `stop`, and `monitor` for status (0 running, 7 stopped, other =
//    failed). Heartbeat form OCF::<agent>::<instance> reads NAME=value lines
//    from <config_dir>/conf/OCF/<agent>/<instance> and uses provider
//    "heartbeat"; tachy form ocf:<provider>:<agent>::k=v::k=v, whose
//    OCF_RESOURCE_INSTANCE is the agent and the values joined by '_'.
//    OCF_RESOURCE_TYPE/PROVIDER and OCF_RA_VERSION_MAJOR/MINOR are set too.
//  - Every kind: the child's environment is ours plus AgentDirs::env; a
//    status query that cannot run, times out or dies by a signal is kFailed.
// kIpAddr resources are not scripts: the action runner handles them itself.
#ifndef TACHY_ACTIONS_RESOURCE_AGENT_H_
#define TACHY_ACTIONS_RESOURCE_AGENT_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "actions/haresources.h"

namespace tachy {

struct AgentDirs {
  std::string config_dir = "/etc/ha.d";     // for conf/OCF/...
  std::string resource_dir = "/etc/ha.d/resource.d";
  std::string init_dir = "/etc/init.d";
  std::string ocf_root = "/usr/lib/ocf";
  std::string systemctl = "systemctl";  // a path, or a name looked up in PATH
  // "NAME=value" entries for every script's environment (e.g. the HA_*
  // variables Heartbeat's ResourceManager sets), applied after the defaults
  // (OCF_ROOT, and HA_DIR=config_dir for kScript) and before the OCF_* ones.
  std::vector<std::string> env;
};

enum class ResourceStatus { kRunning, kStopped, kFailed };

// What one operation did: success, how long it took, and the script's own
// words (exit code / signal / timeout and the last lines of its output) for
// the log.
struct OpResult {
  bool ok = false;
  absl::Duration elapsed;
  std::string detail;  // e.g. "exit 1: apache2: could not bind to port 80"
};

class ResourceAgent {
 public:
  virtual ~ResourceAgent() = default;
  virtual const std::string& name() const = 0;  // the resource token

  // Start(), Stop()
  //
  // Run the operation, blocking up to `timeout`; on timeout the whole process
  // group is killed (SIGTERM, then SIGKILL 1 s later) and the result is not ok.
  virtual OpResult Start(absl::Duration timeout) = 0;
  virtual OpResult Stop(absl::Duration timeout) = 0;

  // Status()
  //
  // The resource's state per the rules above; kFailed if the query itself
  // failed or timed out (detail in `result` when given).
  virtual ResourceStatus Status(absl::Duration timeout, OpResult* result = nullptr) = 0;

  // ManagerMainPid()
  //
  // The main process as a service manager knows it: systemd's MainPID
  // (`systemctl show -p MainPID --value UNIT`); 0 if none or not a systemd
  // unit (scripts' processes are found by their mark instead).
  virtual pid_t ManagerMainPid(absl::Duration) { return 0; }
};

// HeartbeatStatusRunning()
//
// Heartbeat's `status` rule (ResourceManager `we_own_resource`) applied to a
// script's whole stdout: true iff it matches "*running*" or "*OK*" and not
// "*[Nn][Oo][Tt] *[Rr]unning*".
bool HeartbeatStatusRunning(absl::string_view stdout_text);

// MakeResourceAgent()
//
// The agent for a kScript/kSystemd/kOcf resource. kNotFound if the script or
// agent does not exist or is not executable (message names every path tried);
// kInvalidArgument for a kIpAddr resource or a malformed OCF spec.
absl::StatusOr<std::unique_ptr<ResourceAgent>> MakeResourceAgent(const Resource& resource,
                                                                 const AgentDirs& dirs);

}  // namespace tachy

#endif  // TACHY_ACTIONS_RESOURCE_AGENT_H_
