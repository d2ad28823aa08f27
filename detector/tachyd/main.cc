// tachyd: the tachy heartbeat daemon. Thin main: options, then RunDaemon().
#include <getopt.h>

#include <cstdio>
#include <cstring>

#include "detector/tachyd/daemon.h"

namespace {

constexpr char kUsage[] = R"(Usage: tachyd [OPTIONS]

tachyd sends signed heartbeats to the other cluster nodes every keepalive and
declares a node dead when nothing authentic was heard from it for deadtime.
It reads Heartbeat's /etc/ha.d/ha.cf and authkeys unchanged (plus the `raw
IFACE` medium and the `sha256` key method) and logs every change of a node's
state with its reason. On UDP media it also speaks Heartbeat 3's own protocol
with nodes that still run Heartbeat (a rolling migration: README, "Moving
from Heartbeat 3"). It starts and supervises tachy-actions, which moves the
resource groups of haresources (service address, resources). It runs in the
foreground; SIGTERM releases the groups, tells the peers it is leaving (they
take over at once) and stops.

Options:
  -c, --config-dir DIR   directory with ha.cf and authkeys (default /etc/ha.d)
  -n, --node NAME        this node's name (default: uname -n, lower-cased)
      --state-dir DIR    persisted generation, what was last accepted from each
                         peer (peers) and the lock (default /var/lib/tachy); it
                         must be tachyd's alone (owner, no group/other write)
      --heartbeat-state-dir DIR
                         Heartbeat 3's state (default /var/lib/heartbeat): on a
                         node moved from Heartbeat, its hb_uuid and
                         hb_generation make this node the one Heartbeat peers
                         knew; tachyd writes its generation back to
                         hb_generation when DIR exists
  -s, --socket PATH      control socket for tachyctl
                         (default /run/tachy/tachyd.sock)
      --event-socket PATH
                         event stream for the action runner
                         (default: the control socket path + ".events")
      --no-actions       do not start tachy-actions (run it yourself, or detect only)
      --actions PATH     the action runner to start and supervise
                         (default: tachy-actions next to tachyd, else $PATH)
      --allow-crc-on-udp accept a crc key (authkeys) although a UDP medium is
                         configured: crc authenticates nothing, and any host
                         that reaches the port could then speak for a node
      --leave-timeout D  how long a clean shutdown (SIGTERM) waits for the action
                         runner to release its groups (default 150s). Past it,
                         tachyd does not leave: it stays up, heartbeating, and
                         logs what blocks it, until the runner lets go or a
                         second SIGTERM makes it leave regardless
      --check            validate everything and exit: ha.cf and authkeys, the
                         media's interfaces on this machine (a missing one is a
                         warning: tachyd waits for it), what a Heartbeat 3 peer
                         could not hold, then haresources, its scripts and
                         addresses (tachy-actions --check, unless --no-actions);
                         prints the effective configuration. Exit 0 if valid,
                         2 with the errors on stderr if not
      --strict           with --check: a medium whose interface is missing or
                         has no address is an error, not a warning
  -V, --version          print "tachyd VERSION" and exit
  -h, --help             show this help

Exit codes: 0 clean stop, 1 start-up failure (media, sockets, state dir),
2 configuration error.
Docs: README.md, docs/control-protocol.md.
)";

}  // namespace

int main(int argc, char** argv) {
  tachy::DaemonOptions options;
  enum { kStateDir = 1000, kEventSocket, kCheck, kNoActions, kActions, kAllowCrcOnUdp,
         kLeaveTimeout, kHeartbeatStateDir, kStrict };
  const option long_options[] = {
      {"config-dir", required_argument, nullptr, 'c'},
      {"node", required_argument, nullptr, 'n'},
      {"state-dir", required_argument, nullptr, kStateDir},
      {"heartbeat-state-dir", required_argument, nullptr, kHeartbeatStateDir},
      {"socket", required_argument, nullptr, 's'},
      {"event-socket", required_argument, nullptr, kEventSocket},
      {"check", no_argument, nullptr, kCheck},
      {"strict", no_argument, nullptr, kStrict},
      {"no-actions", no_argument, nullptr, kNoActions},
      {"actions", required_argument, nullptr, kActions},
      {"allow-crc-on-udp", no_argument, nullptr, kAllowCrcOnUdp},
      {"leave-timeout", required_argument, nullptr, kLeaveTimeout},
      {"version", no_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  for (;;) {
    const int opt = getopt_long(argc, argv, "c:n:s:hV", long_options, nullptr);
    if (opt == -1) break;
    switch (opt) {
      case 'c': options.config_dir = optarg; break;
      case 'n': options.node = optarg; break;
      case 's': options.socket = optarg; break;
      case kStateDir: options.state_dir = optarg; break;
      case kHeartbeatStateDir: options.heartbeat_state_dir = optarg; break;
      case kEventSocket: options.event_socket = optarg; break;
      case kCheck: options.check = true; break;
      case kStrict: options.strict = true; break;
      case kNoActions: options.no_actions = true; break;
      case kActions: options.actions_path = optarg; break;
      case kAllowCrcOnUdp: options.allow_crc_on_udp = true; break;
      case kLeaveTimeout: {
        absl::Duration d;
        if (!absl::ParseDuration(optarg, &d) || d <= absl::ZeroDuration() || d > absl::Hours(24)) {
          std::fprintf(stderr,
                       "tachyd: --leave-timeout: expected a duration such as 150s or 2m (up to "
                       "24h), got '%s'\n",
                       optarg);
          return 2;
        }
        options.leave_timeout = d;
        break;
      }
      case 'h': std::fputs(kUsage, stdout); return 0;
      case 'V': std::puts("tachyd " TACHY_VERSION); return 0;
      default: std::fputs("Try 'tachyd --help'.\n", stderr); return 2;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "tachyd: unexpected argument '%s'\nTry 'tachyd --help'.\n", argv[optind]);
    return 2;
  }
  return tachy::RunDaemon(options);
}
