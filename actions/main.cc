// tachy-actions: the action runner. Thin main: options, then RunActions().
#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "actions/runner.h"

namespace {

constexpr char kUsage[] = R"(Usage: tachy-actions [OPTIONS]

Follows the local tachyd's event stream and keeps the resource groups of
haresources (Heartbeat syntax) on exactly one live node: on a peer's death it
adds the service address (netlink), announces it with gratuitous ARP and
starts the group's resources left to right; on release it stops them right
to left and removes the address. Every action is logged with its cause, each
step and its duration. Normally started and supervised by tachyd (same -c,
--node, --state-dir); run it yourself with tachyd --no-actions.

Options:
  -c, --config-dir DIR     ha.cf, authkeys, haresources, resource.d/ (default /etc/ha.d)
  -n, --node NAME          this node's name (default: uname -n)
      --state-dir DIR      state directory shared with tachyd (default /var/lib/tachy)
      --event-socket PATH  tachyd's event stream (default /run/tachy/tachyd.sock.events)
      --resource-dir DIR   scripts looked up first (default CONFIG_DIR/resource.d)
      --init-dir DIR       scripts looked up second (default /etc/init.d)
      --ocf-root DIR       OCF_ROOT for OCF agents (default /usr/lib/ocf)
      --start-timeout DUR  per start call, e.g. 60s, 500ms (default 60s)
      --stop-timeout DUR   per stop call (default 60s)
      --garp-count N       gratuitous ARPs per address taken (default 5, as IPaddr2)
      --garp-interval DUR  between them (default 200ms; the first goes at once)
      --check              validate ha.cf and haresources, find every script, exit
      --supervised         set by tachyd when it starts the runner: exit once
                           orphaned (after releasing, if no new tachyd came)
  -V, --version            print "tachy-actions VERSION" and exit
  -h, --help               show this help

Monitoring (settings in CONFIG_DIR/tachy.cf, which Heartbeat never reads):
every script of a held group is watched. Its main processes (found by the
TACHY_RESOURCE=<node> <group> <resource> entry every script call and its children
carry in their environment) by pidfd: an exit is noticed at once. Every
script's status (OCF: monitor) and every address each monitor_interval
(default 1 s; monitor_timeout 20 s per call). A failure restarts the failed
resource and the ones after it here (`restarts` per `restart_window`:
default 1 per 300 s), then hands the group to a peer and declines it for
failure_timeout (default 300 s) or until `tachyctl clear GROUP`; where no
peer can run it, it comes back here. Every failure is logged with what
failed, how it was noticed and what was done.

One holder, always: before every take, an ARP probe for each of the group's
addresses (tachy.cf takeover_arp_check on|off, takeover_arp_check_timeout,
default 1 ms); an answer from another MAC on a link without our heartbeats
holds the take back until the address is gone. With 3 nodes or more, a
partition without a majority of ha.cf's `node` lines takes nothing and
releases what it holds (ha.cf `quorum majority|none`). ha.cf `ping` and
`ping_group` hosts are probed with ICMP echo (judged with `deadping`): a node
that reaches fewer of them than a live peer hands its groups over (ipfail's
rule), and one that reaches none takes nothing from a dead peer.

Over BGP (docs/bgp.md): haresources `BGP::A.B.C.D` is a /32 that FRR
announces. tachy-actions makes the links tachy-own and tachy-take at start
(dummy, else ifb); a take while another node holds the group (the dead one
included) puts the /32 on tachy-take (announced unprepended: strictly
preferred), any other take on tachy-own, where it also moves once no other
node holds the group. No ARP for these addresses. A group of only BGP::
addresses is handed over make-before-break: the node that asks for it takes
it beside the holder, which lets go after tachy.cf bgp_handover_overlap
(default 1 s; 0 = release, then take).

Exit codes: 0 clean stop, 1 start-up failure, 2 configuration error.
)";

bool ParseDurationFlag(const char* name, const char* text, absl::Duration* out) {
  if (absl::ParseDuration(text, out) && *out > absl::ZeroDuration()) return true;
  std::fprintf(stderr, "tachy-actions: %s: '%s' is not a duration like 30s or 200ms\n", name,
               text);
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  tachy::RunnerOptions o;
  o.dirs.resource_dir.clear();  // default derives from the config dir
  enum {
    kStateDir = 1000, kEventSocket, kResourceDir, kInitDir, kOcfRoot, kStartTimeout,
    kStopTimeout, kGarpCount, kGarpInterval, kCheck, kSupervised
  };
  const option long_options[] = {
      {"config-dir", required_argument, nullptr, 'c'},
      {"node", required_argument, nullptr, 'n'},
      {"state-dir", required_argument, nullptr, kStateDir},
      {"event-socket", required_argument, nullptr, kEventSocket},
      {"resource-dir", required_argument, nullptr, kResourceDir},
      {"init-dir", required_argument, nullptr, kInitDir},
      {"ocf-root", required_argument, nullptr, kOcfRoot},
      {"start-timeout", required_argument, nullptr, kStartTimeout},
      {"stop-timeout", required_argument, nullptr, kStopTimeout},
      {"garp-count", required_argument, nullptr, kGarpCount},
      {"garp-interval", required_argument, nullptr, kGarpInterval},
      {"check", no_argument, nullptr, kCheck},
      {"supervised", no_argument, nullptr, kSupervised},
      {"version", no_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  for (;;) {
    const int opt = getopt_long(argc, argv, "c:n:hV", long_options, nullptr);
    if (opt == -1) break;
    switch (opt) {
      case 'c': o.config_dir = optarg; break;
      case 'n': o.node = optarg; break;
      case kStateDir: o.state_dir = optarg; break;
      case kEventSocket: o.event_socket = optarg; break;
      case kResourceDir: o.dirs.resource_dir = optarg; break;
      case kInitDir: o.dirs.init_dir = optarg; break;
      case kOcfRoot: o.dirs.ocf_root = optarg; break;
      case kStartTimeout:
        if (!ParseDurationFlag("--start-timeout", optarg, &o.start_timeout)) return 2;
        break;
      case kStopTimeout:
        if (!ParseDurationFlag("--stop-timeout", optarg, &o.stop_timeout)) return 2;
        break;
      case kGarpCount: {
        char* end = nullptr;
        const long n = std::strtol(optarg, &end, 10);
        if (*end != '\0' || n < 1 || n > 100) {
          std::fprintf(stderr, "tachy-actions: --garp-count: expected 1..100, got '%s'\n", optarg);
          return 2;
        }
        o.garp_count = static_cast<int>(n);
        break;
      }
      case kGarpInterval:
        if (!ParseDurationFlag("--garp-interval", optarg, &o.garp_interval)) return 2;
        break;
      case kCheck: o.check = true; break;
      case kSupervised: o.supervised = true; break;
      case 'h': std::fputs(kUsage, stdout); return 0;
      case 'V': std::puts("tachy-actions " TACHY_VERSION); return 0;
      default: std::fputs("Try 'tachy-actions --help'.\n", stderr); return 2;
    }
  }
  if (optind < argc) {
    std::fprintf(stderr, "tachy-actions: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  return tachy::RunActions(o);
}
