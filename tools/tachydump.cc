// tachydump: decode, verify and measure tachy and Heartbeat traffic.
//
// The thin main: options, config files, signals. Decoding and statistics are
// in tachydump_{decode,stats}, pcap I/O in tachydump_capture.
#include <getopt.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "detector/config/authkeys_file.h"
#include "detector/config/ha_cf.h"
#include "detector/config/heartbeat_syntax.h"
#include "tools/tachydump_capture.h"
#include "tools/tachydump_stats.h"

namespace {

constexpr char kUsage[] = R"(Usage: tachydump (-i IFACE | -r FILE) [options] [FILTER...]

Decodes tachy heartbeat frames (ethertype 0x88B5, or UDP payloads starting
with the tachy magic), Heartbeat 3 UDP messages (classic ">>>" and netstring
"###") and ARP, one line per packet, tcpdump-style; checks signatures and
replays; prints per-peer statistics at the end (also after Ctrl-C).

Input and output:
  -i, --interface IFACE  capture live on IFACE (libpcap, immediate mode,
                         promiscuous unless -p); "any" works too
  -r, --read FILE        read a pcap or pcapng file instead
  -w, --write FILE       also write every captured packet to FILE (pcap)
  -c, --count COUNT      stop after COUNT packets
      --duration SECONDS stop a live capture after SECONDS (fractions allowed)
  -p, --no-promiscuous-mode
                         do not put the interface into promiscuous mode
  -s, --snapshot-length BYTES
                         bytes captured per packet (default 262144)
  FILTER...              a BPF filter as for tcpdump; the remaining arguments
                         are joined with spaces ("udp port 694 or arp")

Verification (every tachy frame and Heartbeat message is marked ok,
bad-signature, unknown-key, refused-key or replay; without keys: unverified):
  -k, --authkeys FILE    keys from this authkeys file (its mode is not checked)
  -C, --config DIR       config dir: DIR/authkeys (unless -k), and DIR/ha.cf for
                         node names (tachy node ids -> names) and cluster name
  A tachy frame is a replay if its generation is older than the newest seen
  from that node, or its sequence is not newer than the last one seen from
  that node on the same medium ("raw", or "udp:DST:PORT"), as tachyd judges.
  A Heartbeat message is a replay if its hg (generation) is older.
  A tachy frame is refused-key if it is authentic but signed with a key that
  is in the file and neither signs (`auth N`) nor rotates (`rotate N`): tachyd
  drops it and counts it as unknown_key. tachyd's `stale` (a send time off the
  peer's clock at first contact after tachyd restarted) needs the receiver's
  own memory and is not judged here.

Output:
      --stats            print no packet lines, only the statistics
      --json             print only one JSON object at the end:
                         {"frames", "peers": [{"node", "frames",
                         "bad_signature", "unknown_key", "replayed", "lost",
                         "duplicates", "reordered", "restarts",
                         "interarrival_ms": {"p50", "p99", "max"},
                         "longest_silence_ms", ...}], "arp": [{"ip", "macs",
                         "gratuitous", ...}], "malformed"}
      --utc              timestamps in UTC instead of local time
  -V, --version          print "tachydump VERSION" and exit
  -h, --help             show this help

Statistics, per node: frames, inter-arrival p50/p99/max of new frames,
jitter (mean absolute deviation of the inter-arrival from the advertised
keepalive; from the median for Heartbeat, which advertises none), lost
(sequence gaps within a generation, less late arrivals), duplicates (a
sequence seen again), reordered (lower than the newest, not seen before),
restarts (generation changes), bad signatures, unknown keys, replays, and the
longest silence and when it began. ARP, per IP: the MACs claiming it and the
gratuitous count; two MACs for one IP are flagged "POSSIBLE SPLIT BRAIN".

Exit codes: 0 ok, 1 capture or config error, 2 usage error.
See docs/tachydump.md.
)";

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

struct Args {
  tachy::dump::CaptureOptions capture;
  std::string authkeys;
  std::string config_dir;
  bool stats_only = false;
  bool json = false;
  bool utc = false;
};

enum LongOnly { kDuration = 1000, kStats, kJson, kUtc };

// Returns 0 to go on, else the exit code.
int ParseArgs(int argc, char** argv, Args* args) {
  static const option kOptions[] = {
      {"interface", required_argument, nullptr, 'i'},
      {"read", required_argument, nullptr, 'r'},
      {"write", required_argument, nullptr, 'w'},
      {"count", required_argument, nullptr, 'c'},
      {"duration", required_argument, nullptr, kDuration},
      {"no-promiscuous-mode", no_argument, nullptr, 'p'},
      {"snapshot-length", required_argument, nullptr, 's'},
      {"authkeys", required_argument, nullptr, 'k'},
      {"config", required_argument, nullptr, 'C'},
      {"stats", no_argument, nullptr, kStats},
      {"json", no_argument, nullptr, kJson},
      {"utc", no_argument, nullptr, kUtc},
      {"version", no_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  args->capture.promisc = true;
  int c;
  while ((c = getopt_long(argc, argv, "i:r:w:c:ps:k:C:hV", kOptions, nullptr)) != -1) {
    switch (c) {
      case 'i': args->capture.iface = optarg; break;
      case 'r': args->capture.read_file = optarg; break;
      case 'w': args->capture.write_file = optarg; break;
      case 'c':
        if (!absl::SimpleAtoi(optarg, &args->capture.count) || args->capture.count <= 0) {
          std::fprintf(stderr, "tachydump: -c wants a positive count, not '%s'\n", optarg);
          return 2;
        }
        break;
      case kDuration: {
        double seconds = 0;
        if (!absl::SimpleAtod(optarg, &seconds) || !(seconds > 0)) {
          std::fprintf(stderr, "tachydump: --duration wants positive seconds, not '%s'\n", optarg);
          return 2;
        }
        args->capture.duration = absl::Seconds(seconds);
        break;
      }
      case 'p': args->capture.promisc = false; break;
      case 's':
        if (!absl::SimpleAtoi(optarg, &args->capture.snaplen) || args->capture.snaplen <= 0) {
          std::fprintf(stderr, "tachydump: -s wants a positive byte count, not '%s'\n", optarg);
          return 2;
        }
        break;
      case 'k': args->authkeys = optarg; break;
      case 'C': args->config_dir = optarg; break;
      case kStats: args->stats_only = true; break;
      case kJson: args->json = true; break;
      case kUtc: args->utc = true; break;
      case 'h': std::fputs(kUsage, stdout); std::exit(0);
      case 'V': std::puts("tachydump " TACHY_VERSION); std::exit(0);
      default: std::fputs(kUsage, stderr); return 2;
    }
  }
  std::vector<std::string> filter;
  for (int i = optind; i < argc; ++i) filter.emplace_back(argv[i]);
  args->capture.filter = absl::StrJoin(filter, " ");
  if (args->capture.iface.empty() == args->capture.read_file.empty()) {
    std::fprintf(stderr, "tachydump: give exactly one of -i IFACE and -r FILE (see --help)\n");
    return 2;
  }
  if (!args->capture.read_file.empty() && args->capture.duration > absl::ZeroDuration()) {
    std::fprintf(stderr, "tachydump: --duration bounds a live capture, not -r\n");
    return 2;
  }
  return 0;
}

// Keys and names from -k / -C into the dumper's options.
absl::Status LoadConfig(const Args& args, tachy::dump::DumperOptions* options) {
  std::string authkeys_path = args.authkeys;
  if (!args.config_dir.empty()) {
    const std::string ha_cf = args.config_dir + "/ha.cf";
    absl::StatusOr<std::string> text = tachy::ReadConfigFile(ha_cf, /*private_file=*/false);
    if (!text.ok()) return text.status();
    absl::StatusOr<tachy::HaConfig> ha = tachy::ParseHaCf(*text, ha_cf);
    if (!ha.ok()) return ha.status();
    options->nodes = ha->nodes;
    options->cluster = ha->cluster;
    if (authkeys_path.empty()) authkeys_path = args.config_dir + "/authkeys";
  }
  if (!authkeys_path.empty()) {
    absl::StatusOr<std::string> text = tachy::ReadConfigFile(authkeys_path, /*private_file=*/false);
    if (!text.ok()) return text.status();
    absl::StatusOr<tachy::AuthKeys> keys = tachy::ParseAuthKeys(*text, authkeys_path);
    if (!keys.ok()) return keys.status();
    options->keys = *std::move(keys);
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (int rc = ParseArgs(argc, argv, &args); rc != 0) return rc;

  tachy::dump::DumperOptions options;
  options.tz = args.utc ? absl::UTCTimeZone() : absl::LocalTimeZone();
  if (absl::Status s = LoadConfig(args, &options); !s.ok()) {
    std::fprintf(stderr, "tachydump: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  absl::StatusOr<tachy::dump::Dumper> dumper = tachy::dump::Dumper::Create(options);
  if (!dumper.ok()) {
    std::fprintf(stderr, "tachydump: %s\n", std::string(dumper.status().message()).c_str());
    return 1;
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  if (!args.capture.iface.empty()) setvbuf(stdout, nullptr, _IOLBF, 0);

  const bool print_lines = !args.stats_only && !args.json;
  absl::StatusOr<tachy::dump::CaptureResult> result = tachy::dump::RunCapture(
      args.capture, *dumper,
      [&](absl::string_view line) {
        if (!print_lines) return;
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
      },
      &g_stop);
  if (!result.ok()) {
    std::fprintf(stderr, "tachydump: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  if (args.json) {
    std::printf(
        "%s\n",
        dumper->StatsJson().dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    if (print_lines) std::fputc('\n', stdout);
    std::fputs(dumper->StatsText().c_str(), stdout);
  }
  std::fflush(stdout);
  std::fprintf(stderr, "%llu packets captured", static_cast<unsigned long long>(result->packets));
  if (!args.capture.iface.empty()) {
    std::fprintf(stderr, ", %llu dropped by kernel",
                 static_cast<unsigned long long>(result->kernel_dropped));
  }
  std::fputc('\n', stderr);
  return 0;
}
