// tachyctl: query and watch a running tachyd through its control socket.
#include <getopt.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sys/time.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "detector/tachyd/metrics_text.h"
#include "detector/base/unique_fd.h"
#include "tools/cl_status_queries.h"

namespace {

using nlohmann::json;

constexpr char kUsage[] = R"(Usage: tachyctl [--socket PATH] COMMAND [--json]

Commands:
  status            one line per node: state, generation, last heard, frames,
                    rejected frames and per-medium link state; then the
                    detector's timing health. Exit 0 if tachyd answered.
  watch             print every node state change, every takeover this node
                    makes (with its timeline) and every ARP conflict, as they
                    happen (Ctrl-C ends)
  standby [SCOPE]   hand this node's resource groups to the peer (hb_standby)
  takeover [SCOPE]  take the groups over from the peer (hb_takeover)
                    SCOPE: all (default), local (groups whose preferred node
                    is this one), foreign (the others; "failback" = foreign)
  clear [GROUP]     forget GROUP's failures here (all groups by default): the
                    monitor's restart count and its decline after handing the
                    group over, and a failed start's 30 s back-off
  metrics           tachyd's counters and gauges in Prometheus' text format
                    (the same as ha.cf's metrics_listen endpoint serves)
  reload            re-read ha.cf and authkeys and apply what can change
                    safely (as SIGHUP does); prints what was applied and what
                    was refused, and why. Exit 1 if anything was refused

Heartbeat's cl_status queries, with its one-word answers and exit codes
(0 yes/up, 1 no/down or tachyd not running, 11 bad parameter, 12 timeout,
13 unknown; -m: sentences):
  hbstatus                  tachyd running on this machine?
  listnodes [-n|-p]         the nodes (-n: cluster nodes, -p: ping nodes)
  nodestatus NODE           active|up|init|dead (ping nodes: ping|dead)
  nodetype NODE             normal|ping
  listhblinks NODE          the node's heartbeat links (interfaces)
  hblinkstatus NODE LINK    up|dead
  clientstatus NODE CLIENT  online|offline (CLIENT: tachy-actions)
  rscstatus                 none|local|foreign|all|transition
  hbparameter -p NAME       keepalive, deadtime, warntime, initdead, cluster, node

Options:
  -s, --socket PATH  tachyd's control socket (default /run/tachy/tachyd.sock)
  -t, --timeout SEC  give up when tachyd has not answered within SEC seconds
                     (default 15; a standby or takeover waits up to 10 s for
                     the action runner). watch waits for events without limit
  -j, --json         machine-readable output: status prints tachyd's JSON
                     document; watch prints one JSON object per line, its
                     "type" one of "peer" (a node's state change), "takeover"
                     (a take's or restart's timeline, CLOCK_MONOTONIC ns per
                     step), "monitor" (a held resource failed, and what is
                     done about it), "arp_conflict", "group" (a group's
                     owner changed) or "request" (an operator's standby,
                     takeover or clear) (see docs/control-protocol.md)
  -m, --human        cl_status queries: a sentence instead of one word
  -V, --version      print "tachyctl VERSION" and exit
  -h, --help         show this help

Exit codes: 0 ok, 1 tachyd not reachable or refused/failed the request,
2 usage error.
)";

// How long a request may wait for tachyd's answer (--timeout): a stopped or
// stuck tachyd must not hang its operator's shell.
double g_timeout_s = 15;

tachy::UniqueFd Connect(const std::string& path, bool timed = true, bool quiet = false) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  tachy::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (quiet) return tachy::UniqueFd();
    std::fprintf(stderr, "tachyctl: cannot reach tachyd at %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return tachy::UniqueFd();
  }
  if (timed) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(g_timeout_s);
    tv.tv_usec = static_cast<suseconds_t>((g_timeout_s - static_cast<double>(tv.tv_sec)) * 1e6);
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }
  return fd;
}

// The whole answer (until tachyd closes), or false after the timeout.
bool ReadAnswer(int fd, std::string& reply) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    std::fprintf(stderr, "tachyctl: no answer from tachyd within %g s (is it stopped?)\n",
                 g_timeout_s);
    return false;
  }
  return true;
}

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool Request(int fd, const char* request) {
  const size_t len = std::strlen(request);
  return write(fd, request, len) == static_cast<ssize_t>(len);
}

std::string Ms(const json& v) {
  if (v.is_null()) return "never";
  return absl::StrFormat("%.1f ms ago", v.get<double>());
}

void PrintHuman(const json& doc) {
  std::printf("tachyd %s (pid %d), cluster %s, node %s, generation %llu, realtime %s\n",
              doc["version"].get<std::string>().c_str(), doc["pid"].get<int>(),
              doc["cluster"].get<std::string>().c_str(), doc["node"].get<std::string>().c_str(),
              static_cast<unsigned long long>(doc["generation"].get<uint64_t>()),
              doc["realtime"].get<bool>() ? "on" : "off");
  const json& s = doc["settings"];
  std::printf("keepalive %.1f ms, warntime %.1f ms, deadtime %.1f ms, initdead %.0f ms\n\n",
              s["keepalive_ms"].get<double>(), s["warntime_ms"].get<double>(),
              s["deadtime_ms"].get<double>(), s["initdead_ms"].get<double>());
  std::printf("%-16s %-5s %10s %-16s %10s %8s  %s\n", "NODE", "STATE", "GENERATION", "LAST HEARD",
              "FRAMES", "REJECTED", "LINKS");
  for (const json& n : doc["nodes"]) {
    if (n["local"].get<bool>()) {
      std::printf("%-16s %-5s %10llu %-16s %10llu %8s  (this node; frames sent)\n",
                  n["name"].get<std::string>().c_str(), "up",
                  static_cast<unsigned long long>(n["generation"].get<uint64_t>()), "-",
                  static_cast<unsigned long long>(n["frames_sent"].get<uint64_t>()), "-");
      continue;
    }
    std::string links;
    for (const json& m : n["media"]) {
      links += absl::StrFormat("%s%s:%s", links.empty() ? "" : " ", m["name"].get<std::string>(),
                               m["link"].get<std::string>());
    }
    std::printf("%-16s %-5s %10llu %-16s %10llu %8llu  %s\n", n["name"].get<std::string>().c_str(),
                n["state"].get<std::string>().c_str(),
                static_cast<unsigned long long>(n["generation"].get<uint64_t>()),
                Ms(n["last_heard_ms"]).c_str(),
                static_cast<unsigned long long>(n["frames"].get<uint64_t>()),
                static_cast<unsigned long long>(n["rejected_total"].get<uint64_t>()),
                links.c_str());
  }
  if (doc.contains("heartbeat") && doc["heartbeat"].is_object() &&
      doc["heartbeat"].value("active", false)) {
    // Peers still running Heartbeat 3 (a rolling migration): spoken to in
    // Heartbeat's protocol, judged by the deadtime they advertise.
    const json& hb = doc["heartbeat"];
    for (const json& p : hb["peers"]) {
      if (p.value("speaks", "") != "heartbeat") continue;
      std::printf("heartbeat peer: %s speaks Heartbeat 3 (generation %llx, status %s, its "
                  "deadtime %.0f ms): %llu messages, %llu lost, %llu late, %llu asked again, "
                  "%llu resent to it\n",
                  p.value("name", "?").c_str(),
                  static_cast<unsigned long long>(p.value("generation", uint64_t{0})),
                  p.value("status", "?").c_str(), p.value("deadtime_ms", 0.0),
                  static_cast<unsigned long long>(p.value("messages", uint64_t{0})),
                  static_cast<unsigned long long>(p.value("lost", uint64_t{0})),
                  static_cast<unsigned long long>(p.value("late", uint64_t{0})),
                  static_cast<unsigned long long>(p.value("rexmit_asked", uint64_t{0})),
                  static_cast<unsigned long long>(p.value("rexmit_given", uint64_t{0})));
    }
    std::printf("heartbeat: this node is generation %llx to them, %llu messages sent\n",
                static_cast<unsigned long long>(hb.value("generation", uint64_t{0})),
                static_cast<unsigned long long>(hb.value("messages_sent", uint64_t{0})));
  }
  for (const json& n : doc["nodes"]) {
    if (!n.contains("problems")) continue;
    for (const json& p : n["problems"]) {
      std::printf("problem: node %s: %s\n", n["name"].get<std::string>().c_str(),
                  p.get<std::string>().c_str());
    }
  }
  if (doc.contains("groups") && doc["groups"].is_array() && !doc["groups"].empty()) {
    std::printf("\n%-24s %-10s %-10s %-9s %9s  %s\n", "GROUP", "PREFERRED", "OWNER", "STATE",
                "LAST (ms)", "LAST ACTION");
    for (const json& g : doc["groups"]) {
      const std::string owner = g["owner"].is_null() ? "-" : g["owner"].get<std::string>();
      std::printf("%-24s %-10s %-10s %-9s %9.1f  %s%s\n", g.value("key", "").c_str(),
                  g.value("preferred", "").c_str(), owner.c_str(), g.value("state", "").c_str(),
                  g.value("last_duration_ms", 0.0), g.value("last_action", "").c_str(),
                  g.value("arp_conflicts", 0) > 0
                      ? absl::StrFormat(" [%d ARP conflicts]", g.value("arp_conflicts", 0)).c_str()
                      : "");
    }
  } else if (doc.contains("actions")) {
    std::printf("\nresource groups: %s\n", doc["actions"].get<std::string>().c_str());
  }
  if (doc.contains("ping") && doc["ping"].is_array() && !doc["ping"].empty()) {
    std::string line;
    for (const json& t : doc["ping"]) {
      line += absl::StrFormat("%s%s %s", line.empty() ? "" : "; ", t.value("name", "?"),
                              t.value("reached", false) ? "reached" : "NOT REACHED");
    }
    std::printf("ping nodes: %s\n", line.c_str());
  }
  if (doc.contains("quorum") && doc["quorum"].is_object()) {
    const json& q = doc["quorum"];
    std::printf("quorum (%s): %s: %s\n", q.value("policy", "?").c_str(),
                q.value("quorate", false) ? "yes" : "NO, holding nothing",
                q.value("why", "").c_str());
  }
  std::string rejected;
  for (const auto& [reason, count] : doc["rejected"].items()) {
    if (count.get<uint64_t>() > 0) {
      rejected += absl::StrFormat(" %s=%d", reason, count.get<uint64_t>());
    }
  }
  std::printf("\nrejected frames:%s\n", rejected.empty() ? " none" : rejected.c_str());
  const json& t = doc["timing"];
  std::printf(
      "detector timing: %llu wake-ups, %llu late (> 1 ms), max lateness %.2f ms; peers saved by "
      "stall grace %llu, by kernel rx timestamps %llu\n",
      static_cast<unsigned long long>(t["wakeups"].get<uint64_t>()),
      static_cast<unsigned long long>(t["late_wakeups"].get<uint64_t>()),
      t["max_lateness_ms"].get<double>(),
      static_cast<unsigned long long>(t["saved_by_grace"].get<uint64_t>()),
      static_cast<unsigned long long>(t["saved_by_rx_timestamp"].get<uint64_t>()));
}

int Status(const std::string& socket, bool as_json) {
  tachy::UniqueFd fd = Connect(socket);
  if (!fd.valid() || !Request(fd.get(), "status\n")) return 1;
  std::string reply;
  if (!ReadAnswer(fd.get(), reply)) return 1;
  json doc = json::parse(reply, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc.contains("error")) {
    std::fprintf(stderr, "tachyctl: bad answer from tachyd: %s\n", reply.c_str());
    return 1;
  }
  if (as_json) {
    std::printf("%s\n", Dump(doc).c_str());
    return 0;
  }
  try {
    PrintHuman(doc);
  } catch (const json::exception& e) {
    // A tachyd of another version may lack or retype a field.
    std::fprintf(stderr, "\ntachyctl: unexpected status document (%s); --json shows it whole\n",
                 e.what());
    return 1;
  }
  return 0;
}

enum class Fetch { kOk, kUnreachable, kTimeout, kBad };

// tachyd's status document, quietly: the caller says what went wrong.
Fetch FetchStatus(const std::string& socket, json* doc) {
  tachy::UniqueFd fd = Connect(socket, true, /*quiet=*/true);
  if (!fd.valid() || !Request(fd.get(), "status\n")) return Fetch::kUnreachable;
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd.get(), buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
  if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? Fetch::kTimeout : Fetch::kUnreachable;
  *doc = json::parse(reply, nullptr, false);
  if (doc->is_discarded() || !doc->is_object() || doc->contains("error")) return Fetch::kBad;
  return Fetch::kOk;
}

int ClStatus(const std::string& socket, const std::string& command,
             const std::vector<std::string>& args, bool human) {
  json doc;
  switch (FetchStatus(socket, &doc)) {
    case Fetch::kOk: break;
    case Fetch::kTimeout:
      std::fprintf(stderr, "tachyctl: no answer from tachyd within %g s\n", g_timeout_s);
      return tachy::kClTimeout;
    case Fetch::kBad:
      std::fprintf(stderr, "tachyctl: bad answer from tachyd\n");
      return tachy::kClUnknownError;
    case Fetch::kUnreachable: doc = json(); break;
  }
  const tachy::QueryAnswer a = tachy::AnswerClStatus(command, args, human, doc);
  std::fputs(a.out.c_str(), stdout);
  if (!a.err.empty()) std::fprintf(stderr, "tachyctl: %s", a.err.c_str());
  return a.exit_code;
}

int Metrics(const std::string& socket) {
  tachy::UniqueFd fd = Connect(socket);
  if (!fd.valid() || !Request(fd.get(), "status\n")) return 1;
  std::string reply;
  if (!ReadAnswer(fd.get(), reply)) return 1;
  auto text = tachy::PrometheusText(reply);
  if (!text.ok()) {
    std::fprintf(stderr, "tachyctl: bad answer from tachyd: %s\n", reply.c_str());
    return 1;
  }
  std::fputs(text->c_str(), stdout);
  return 0;
}

int Reload(const std::string& socket, bool as_json) {
  tachy::UniqueFd fd = Connect(socket);
  if (!fd.valid() || !Request(fd.get(), "reload\n")) return 1;
  std::string reply;
  if (!ReadAnswer(fd.get(), reply)) return 1;
  const json doc = json::parse(reply, nullptr, false);
  if (!doc.is_object()) {
    std::fprintf(stderr, "tachyctl: bad answer from tachyd: %s\n", reply.c_str());
    return 1;
  }
  if (as_json) {
    std::printf("%s\n", Dump(doc).c_str());
    return doc.value("ok", false) ? 0 : 1;
  }
  if (doc.contains("error")) {
    std::fprintf(stderr, "tachyctl: reload refused: %s\n", doc.value("error", "").c_str());
    return 1;
  }
  size_t lines = 0;
  for (const char* key : {"applied", "refused"}) {
    if (!doc.contains(key) || !doc[key].is_array()) continue;
    for (const json& line : doc[key]) {
      if (!line.is_string()) continue;
      std::printf("%s: %s\n", key, line.get<std::string>().c_str());
      ++lines;
    }
  }
  if (lines == 0) std::printf("nothing changed; log files reopened\n");
  return doc.value("ok", false) ? 0 : 1;
}

int Ask(const std::string& socket, const std::string& verb, const std::string& scope,
        bool as_json) {
  tachy::UniqueFd fd = Connect(socket);
  if (!fd.valid() || !Request(fd.get(), (verb + " " + scope + "\n").c_str())) return 1;
  std::string reply;
  if (!ReadAnswer(fd.get(), reply)) return 1;
  json doc = json::parse(reply, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    std::fprintf(stderr, "tachyctl: bad answer from tachyd: %s\n", reply.c_str());
    return 1;
  }
  const bool ok = doc.value("ok", false);
  if (as_json) {
    std::printf("%s\n", Dump(doc).c_str());
  } else {
    const std::string message = doc.contains("error") ? doc.value("error", "")
                                                      : doc.value("message", "");
    std::fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "tachyctl: refused: ",
                 message.c_str());
  }
  return ok ? 0 : 1;
}

int Watch(const std::string& socket, bool as_json) {
  tachy::UniqueFd fd = Connect(socket, /*timed=*/false);
  if (!fd.valid() || !Request(fd.get(), "watch\n")) return 1;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string pending;
  char buf[4096];
  for (ssize_t n; (n = read(fd.get(), buf, sizeof(buf))) > 0;) {
    pending.append(buf, n);
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
      const std::string line = pending.substr(0, nl);
      if (as_json) {
        std::printf("%s\n", line.c_str());
        continue;
      }
      const json e = json::parse(line, nullptr, false);
      if (!e.is_object()) continue;
      try {
      const std::string type = e.value("type", "peer");
      if (type == "peer") {
        std::printf("[%.6f] node %s %s -> %s: %s\n", e.value("t_ns", int64_t{0}) / 1e9,
                    e.value("node", "?").c_str(), e.value("from", "?").c_str(),
                    e.value("to", "?").c_str(), e.value("reason", "").c_str());
      } else if (type == "takeover") {
        // The timeline, in ms after the verdict (or the decision, when no
        // death caused it).
        const bool death = e.contains("verdict_ns") && e["verdict_ns"].is_number();
        const int64_t origin = death ? e["verdict_ns"].get<int64_t>()
                                     : e.value("decision_ns", int64_t{0});
        auto at = [&](const char* key) {
          return e.contains(key) && e[key].is_number() ? (e[key].get<int64_t>() - origin) / 1e6
                                                       : -1.0;
        };
        std::printf("[%.6f] %s group %s: %s; decision +%.3f ms, VIP +%.3f ms, GARP +%.3f ms, "
                    "done +%.3f ms after the %s%s%s\n",
                    origin / 1e9, e.value("ok", false) ? "took" : "FAILED to take",
                    e.value("group", "?").c_str(), e.value("cause", "").c_str(),
                    at("decision_ns"), at("vip_ns"), at("garp_ns"), at("done_ns"),
                    death ? "verdict" : "decision", e.value("error", "").empty() ? "" : ": ",
                    e.value("error", "").c_str());
      } else if (type == "monitor") {
        std::printf("[%.6f] group %s: resource %s failed: %s; %s\n",
                    e.value("t_ns", int64_t{0}) / 1e9, e.value("group", "?").c_str(),
                    e.value("resource", "?").c_str(), e.value("what", "").c_str(),
                    e.value("action", "").c_str());
      } else if (type == "group") {
        const auto who = [&](const char* key) {
          return e.contains(key) && e[key].is_string() ? e[key].get<std::string>()
                                                        : std::string("nobody");
        };
        std::printf("[%.6f] group %s moved: %s -> %s (%s)\n", e.value("t_ns", int64_t{0}) / 1e9,
                    e.value("group", "?").c_str(), who("from").c_str(), who("to").c_str(),
                    e.value("state", "").c_str());
      } else if (type == "request") {
        std::printf("[%.6f] request: %s %s (from tachyctl)\n", e.value("t_ns", int64_t{0}) / 1e9,
                    e.value("what", "?").c_str(), e.value("scope", "").c_str());
      } else if (type == "arp_conflict") {
        std::printf("[%.6f] ARP conflict: %s claimed by %s on %s\n",
                    e.value("t_ns", int64_t{0}) / 1e9, e.value("ip", "?").c_str(),
                    e.value("mac", "?").c_str(), e.value("iface", "?").c_str());
      }
      } catch (const json::exception& ex) {
        // A line of an unexpected shape is shown raw, never fatal.
        std::printf("%s\n", line.c_str());
      }
    }
  }
  std::fprintf(stderr, "tachyctl: tachyd closed the watch connection\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string socket = "/run/tachy/tachyd.sock";
  bool as_json = false;
  bool human = false;
  const option long_options[] = {
      {"human", no_argument, nullptr, 'm'},
      {"socket", required_argument, nullptr, 's'},
      {"json", no_argument, nullptr, 'j'},
      {"timeout", required_argument, nullptr, 't'},
      {"version", no_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  // A cl_status query keeps cl_status' own options (listnodes -n,
  // hbparameter -p): options are tachyctl's only before its word. Every
  // other command takes its options anywhere (status --json).
  bool query = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-s" || a == "--socket" || a == "-t" || a == "--timeout") {
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    query = tachy::IsClStatusQuery(a);
    break;
  }
  for (;;) {
    const int opt = getopt_long(argc, argv, query ? "+s:jt:hVm" : "s:jt:hVm", long_options,
                                nullptr);
    if (opt == -1) break;
    switch (opt) {
      case 's': socket = optarg; break;
      case 'j': as_json = true; break;
      case 'm': human = true; break;
      case 't': {
        char* end = nullptr;
        g_timeout_s = std::strtod(optarg, &end);
        if (end == optarg || *end != '\0' || !(g_timeout_s > 0) || g_timeout_s > 86400) {
          std::fprintf(stderr, "tachyctl: --timeout: expected seconds in (0, 86400], got '%s'\n",
                       optarg);
          return 2;
        }
        break;
      }
      case 'h': std::fputs(kUsage, stdout); return 0;
      case 'V': std::puts("tachyctl " TACHY_VERSION); return 0;
      default: std::fputs("Try 'tachyctl --help'.\n", stderr); return 2;
    }
  }
  if (optind >= argc) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[optind];
  if (tachy::IsClStatusQuery(command)) {
    // cl_status' own argument rules (its -m may follow the sub-command).
    std::vector<std::string> args;
    for (int i = optind + 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "-m") == 0) {
        human = true;
      } else {
        args.push_back(argv[i]);
      }
    }
    return ClStatus(socket, command, args, human);
  }
  if (command == "standby" || command == "takeover") {
    std::string scope = optind + 1 < argc ? argv[optind + 1] : "all";
    if (scope != "all" && scope != "local" && scope != "foreign" && scope != "failback") {
      std::fprintf(stderr, "tachyctl: %s: unknown scope '%s' (all, local or foreign)\n",
                   command.c_str(), scope.c_str());
      return 2;
    }
    if (optind + 2 < argc) {
      std::fprintf(stderr, "tachyctl: unexpected argument '%s'\n", argv[optind + 2]);
      return 2;
    }
    return Ask(socket, command, scope, as_json);
  }
  if (command == "clear") {
    if (optind + 2 < argc) {
      std::fprintf(stderr, "tachyctl: unexpected argument '%s'\n", argv[optind + 2]);
      return 2;
    }
    return Ask(socket, command, optind + 1 < argc ? argv[optind + 1] : "all", as_json);
  }
  if (optind + 1 < argc) {
    std::fprintf(stderr, "tachyctl: unexpected argument '%s'\n", argv[optind + 1]);
    return 2;
  }
  if (command == "status") return Status(socket, as_json);
  if (command == "watch") return Watch(socket, as_json);
  if (command == "metrics") return Metrics(socket);
  if (command == "reload") return Reload(socket, as_json);
  std::fprintf(stderr,
               "tachyctl: unknown command '%s' (expected status, watch, standby, takeover, "
               "clear, metrics, reload or a cl_status query; see --help)\n",
               command.c_str());
  return 2;
}
