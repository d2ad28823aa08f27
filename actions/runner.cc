#include "actions/runner.h"

#include <malloc.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "actions/arp_guard.h"
#include "actions/failure_policy.h"
#include "actions/group_jobs.h"
#include "actions/group_state.h"
#include "actions/haresources.h"
#include "actions/hb_resources.h"
#include "actions/icmp_echo.h"
#include "actions/job_worker.h"
#include "actions/netlink_address.h"
#include "actions/ownership.h"
#include "actions/ownership_ad.h"
#include "actions/peer_view.h"
#include "actions/ping_monitor.h"
#include "actions/resource_processes.h"
#include "actions/run_script.h"
#include "actions/tachyd_link.h"
#include "actions/takeover_check.h"
#include "actions/takeover_kit.h"
#include "arp/arp_watcher.h"
#include "detector/config/cluster_config.h"
#include "detector/config/log_options.h"
#include "detector/base/fnv1a.h"
#include "detector/base/format.h"
#include "detector/base/ipv4.h"
#include "detector/base/log.h"
#include "detector/base/mono_time.h"
#include "detector/base/realtime.h"
#include "detector/base/signals.h"
#include "detector/base/state_file.h"
#include "detector/base/unique_fd.h"

namespace tachy {
namespace {

using nlohmann::json;

// Why a take happens, with the times the takeover timeline starts from.
struct TakeCause {
  std::string why;           // "peer a dead", ...
  std::string peer;          // the dead peer, when a death caused it
  MonoTime last_frame;       // its last frame heard (zero: not a death)
  MonoTime verdict;          // tachyd's verdict (zero: not a death)
  MonoTime decision;         // this wake-up
  MonoTime arp_checked;      // the pre-takeover ARP check ended (zero: none)
  std::string arp_outcome;   // what it found
};

// A main process of a running script, watched by pidfd.
struct PidWatch {
  size_t resource = 0;
  pid_t pid = 0;
  UniqueFd fd;
};

struct Group {
  ResourceGroup spec;
  GroupMachine machine;
  uint64_t arp_conflicts = 0;
  bool shared = false;  // a live peer holds it too (split brain in progress)
  // One worker per group: no group's take waits behind another's release.
  std::unique_ptr<JobWorker> worker;
  // Monitoring, while held and running.
  FailurePolicy policy;
  std::vector<PidWatch> watches;
  bool monitoring = false;  // a monitor job is on the worker
  bool discover_next = false;  // the next job only finds main processes
  MonoTime next_monitor;    // zero: not monitored
  uint64_t monitor_failures = 0;
  std::string last_failure;
  bool declining = false;   // the policy's decline, as last advertised
  // Found partly running at start-up: completed by a take, else cleaned up.
  bool leftovers = false;
  // The start-up probe runs on the group's worker: one slow status script
  // delays no other group.
  bool probing = false;
  // The ARP check before every take (takeover_check.h) and the cause it
  // was started for.
  TakeoverCheck check;
  TakeCause check_cause;
  // The last take: claims of the address by the node that held it until
  // just now (its last GARP or ARP reply in flight as it let go) are no
  // split brain.
  MonoTime taken_at;
  std::string previous_holder;
  std::string last_peer_holder;  // the last live peer seen holding it
  RoutePreference route = RoutePreference::kNormal;  // of the last take
  // Make-before-break (GroupView::overlap): only BGP:: addresses, and a
  // nonzero bgp_handover_overlap. Held here, since when the node asking for
  // it holds it too (zero: nobody does), and whether the overlap's end was
  // looked at.
  bool routed = false;  // has a BGP:: address
  bool overlap = false;
  MonoTime overlap_since;
  bool overlap_seen_done = false;
  MonoTime demote_not_before;  // after a failed move back to tachy-own
};

// What a start-up probe found of one group.
struct ProbeResult {
  std::vector<std::string> found;  // tokens found running
  bool unsure = false;             // a status query failed
  MonoTime started, done;
};

// An address announced on the LAN (ARP); a BGP:: address is announced by
// the routing daemon and has no GARP, ARP probe or ARP watch.
bool OnLan(const PreparedResource& r) { return r.address && !r.take_address; }

struct PendingGarp {
  GarpOwner::AddressId id;
  int remaining = 0;
  MonoTime next;
};



// A take's (or restart's) timeline as tachyd relays it to `watch`: every
// step on CLOCK_MONOTONIC, 0 for a step that did not happen.
TakeoverMsg TakeoverLine(const std::string& group, const TakeCause& cause, const TakeResult& r) {
  auto ns = [](MonoTime t) { return t == MonoTime() ? 0 : t.nanos(); };
  TakeoverMsg t;
  t.group = group;
  t.ok = r.ok;
  t.cause = cause.why;
  t.peer = cause.peer;
  t.last_frame_ns = ns(cause.last_frame);
  t.verdict_ns = ns(cause.verdict);
  t.decision_ns = cause.decision.nanos();
  t.vip_ns = ns(r.vip_added);
  t.garp_ns = ns(r.garp_sent);
  for (const StepTime& s : r.resources) t.resources.push_back({s.name, s.done.nanos()});
  t.done_ns = r.done.nanos();
  t.error = r.error;
  return t;
}

class Runner {
 public:
  Runner(RunnerOptions options, ClusterConfig config, HaResources resources)
      : options_(std::move(options)),
        config_(std::move(config)),
        link_(options_.event_socket) {
    for (ResourceGroup& spec : resources.groups) {
      auto g = std::make_unique<Group>();
      g->spec = std::move(spec);
      g->policy = FailurePolicy(options_.monitor.policy);
      groups_.push_back(std::move(g));
    }
    uint32_t h = kFnv1aSeed;
    for (const auto& g : groups_) {
      h = Fnv1a(absl::StrCat(g->spec.preferred_node, " ", g->spec.key, "\n"), h);
    }
    digest_ = h;
  }
  ~Runner() {
    // Workers first: their jobs use the kit and the groups.
    for (auto& g : groups_) g->worker.reset();
  }

  absl::Status Prepare();
  int Run();

 private:
  // Returns whether ownership may have to be decided again (not for ticks).
  bool OnMessage(const StreamMessage& m, MonoTime now);
  void ApplyTiming(absl::Duration keepalive, absl::Duration warntime, absl::Duration deadtime);
  void ReopenLogs();
  void Reevaluate(MonoTime now);
  void Advertise(bool force);
  void SendGroups();
  void StartTake(size_t g, TakeCause cause);
  bool NeedsArpCheck(size_t g) const;
  bool OthersHold(size_t g) const;  // any peer, dead or alive, advertises it held
  bool MayDemoteRoute(size_t g, MonoTime now) const;
  void DemoteRoute(size_t g, MonoTime now);
  // The groups whose make-before-break overlap has run its time (for
  // Decide); starts and resets each group's overlap clock.
  GroupMask OverlapDone(const std::vector<NodeView>& nodes, MonoTime now);
  void StartArpCheck(size_t g, TakeCause cause, MonoTime now);
  bool FinishArpChecks(MonoTime now);
  void NoteArpAnswer(const ArpClaim& c, const std::string& iface, const MacAddress* own);
  void StartCleanup(size_t g);
  void NoteMacOwner(const std::string& mac, const std::string& node);
  std::string MacOwnerNote(const std::string& mac) const;
  bool CarriesHeartbeats(const std::string& iface) const {
    for (const MediumConfig& m : config_.ha.media) {
      if (m.iface == iface) return true;
    }
    return false;
  }
  void StartMonitoring(size_t g, MonoTime first);
  void StopMonitoring(size_t g);
  void RunDueMonitors(MonoTime now);
  void OnMonitorDone(size_t g, const MonitorResult& r);
  void OnPidExit(size_t g, pid_t pid, MonoTime now);
  void OnResourceFailure(size_t g, size_t resource, const std::string& what, MonoTime noticed);
  void OnRestartDone(size_t g, const TakeCause& cause, const TakeResult& r);
  GroupMask Declines(MonoTime now) const;
  void StartRelease(size_t g, const std::string& why, bool emergency = false);
  void OnTakeDone(size_t g, const TakeCause& cause, const TakeResult& r);
  void OnReleaseDone(size_t g, const std::string& why, const ReleaseResult& r);
  void SendDueGarps(MonoTime now);
  void DrainArp(size_t i);
  void WatchArp(size_t i);
  void RefreshKit(MonoTime now);
  void HandleRequest(const RequestMsg& r);
  GroupMask HeldMask() const;
  GroupMask FailureDeclines(MonoTime now) const;
  absl::Duration LostTachydGrace() const { return config_.ha.deadtime / 2; }
  // How long after a take the previous holder's claims count as late ones.
  absl::Duration LateClaimWindow() const {
    return std::max(2 * config_.ha.deadtime, absl::Milliseconds(50));
  }
  bool DetectorAlive(MonoTime now) const {
    return link_.connected() && view_.Heard(now, LostTachydGrace());
  }
  void LoseDetector(MonoTime now, const char* why);
  void Probe();
  void OnProbeDone(size_t g, const ProbeResult& r);
  GroupMask ProbingMask() const;
  void NoteJoin(uint64_t generation);
  // A Heartbeat 3 peer (rolling migration): Heartbeat's resource protocol
  // (hb_resources.h) decides instead of Decide().
  void OnHeartbeatMessage(const HbMessageMsg& m, MonoTime now);
  std::vector<Decision> HeartbeatDecisions(MonoTime now, std::vector<NodeView>* nodes);
  void FlushHeartbeat();
  GroupMask HeartbeatMask(uint8_t sets) const;
  std::unique_ptr<HbResources> hb_;
  std::string hb_peer_;
  uint64_t hb_generation_ = 0;
  bool hb_refused_logged_ = false;
  TakeCause CauseFor(size_t g, const std::string& why, MonoTime now) const;

  RunnerOptions options_;
  ClusterConfig config_;
  std::vector<std::unique_ptr<Group>> groups_;
  uint32_t digest_ = 0;
  TachydLink link_;
  PeerView view_;
  std::unique_ptr<TakeoverKit> kit_;
  GroupMask wants_ = 0, declines_ = 0;
  bool shutting_down_ = false;  // tachyd is stopping: release all, take nothing
  pid_t parent_ = getppid();
  bool orphaned_ = false;
  MonoTime orphaned_since_;
  MonoTime lost_since_;  // when the detector was last heard / connected
  bool detector_lost_ = true;
  bool released_for_lost_tachyd_ = false;
  AdvertMsg last_advert_;
  bool advertised_ = false;
  std::string last_groups_;
  MonoTime last_advert_time_;
  std::vector<PendingGarp> garps_;
  std::unique_ptr<ArpGuard> arp_guard_;
  MonoTime mismatch_warned_;
  bool quorate_ = true;
  std::string quorum_why_;
  // Which cluster node each MAC seen answering for a service address
  // belongs to (learnt while that node alone held it, or answered our
  // check for its group): alarms name the node, not only the MAC.
  std::map<std::string, std::string> mac_owner_;
  // Ping nodes (ha.cf ping / ping_group), when configured.
  std::unique_ptr<IcmpEchoSocket> icmp_;
  std::unique_ptr<PingMonitor> ping_;
  uint16_t PingField(MonoTime now) const {
    return ping_ == nullptr || !ping_->Known(now) ? 0 : PingReach(ping_->Reached(now));
  }
  void ServePing(MonoTime now, bool* changed);
  uint16_t ping_advertised_ = 0;
  MonoTime last_evaluated_;
  MonoTime last_refresh_;
  UniqueFd epoll_, signals_;
};

absl::Status Runner::Prepare() {
  if (groups_.size() > kMaxGroups) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "haresources has %d groups; tachy supports at most %d", groups_.size(), kMaxGroups));
  }
  std::vector<ResourceGroup> specs;
  for (const auto& g : groups_) specs.push_back(g->spec);
  KitOptions ko;
  ko.dirs = options_.dirs;
  ko.start_timeout = options_.start_timeout;
  ko.stop_timeout = options_.stop_timeout;
  ko.status_timeout = options_.monitor.timeout;
  ko.checks = options_.monitor.checks;
  ko.check_timeout = options_.monitor.check_timeout;
  ko.tachy_cf_path = options_.monitor.path;
  ko.node = config_.local_node;
  ko.haresources_path = config_.config_dir + "/haresources";
  ko.watch_arp = !options_.check;
  ko.require_interfaces = options_.check;
  ko.check_only = options_.check;
  ko.heartbeat_peers_possible = HasUdpMedia(config_.ha);
  auto kit = TakeoverKit::Prepare(specs, ko);
  if (!kit.ok()) return kit.status();
  kit_ = std::move(*kit);
  std::vector<ArpGuard::Address> guarded;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (const PreparedResource& r : kit_->resources(g)) {
      if (OnLan(r)) guarded.push_back({g, r.address->ip, r.address->iface});
    }
  }
  arp_guard_ = std::make_unique<ArpGuard>(std::move(guarded));
  for (size_t g = 0; g < groups_.size(); ++g) {
    bool routed = false, lan = false;
    for (const PreparedResource& r : kit_->resources(g)) {
      routed = routed || (r.address && r.take_address);
      lan = lan || OnLan(r);
    }
    groups_[g]->routed = routed;
    groups_[g]->overlap =
        routed && !lan && options_.monitor.bgp_handover_overlap > absl::ZeroDuration();
  }
  if (options_.check) {
    for (const std::string& w : kit_->warnings()) std::printf("warning: %s\n", w.c_str());
    return absl::OkStatus();
  }
  for (const std::string& w : kit_->warnings()) LogWarning("%s", w);
  for (const std::string& n : kit_->notes()) LogInfo("%s", n);

  // Blocked already, since RunActions(); blocking again is harmless.
  absl::StatusOr<UniqueFd> signals = OpenDaemonSignalFd();
  if (!signals.ok()) return signals.status();
  signals_ = *std::move(signals);
  epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return absl::ErrnoToStatus(errno, "epoll_create1");
  // The first epoll_ctl failure fails the start: a source not watched
  // would be a takeover, a reply or a death nobody hears.
  absl::Status watched;
  auto watch = [&](int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0 && watched.ok()) {
      watched = absl::ErrnoToStatus(errno, absl::StrCat("epoll_ctl (source ", tag >> 32, ")"));
    }
  };
  watch(signals_.get(), uint64_t{4} << 32);
  for (size_t g = 0; g < groups_.size(); ++g) {
    groups_[g]->worker = std::make_unique<JobWorker>();
    watch(groups_[g]->worker->fd(), (uint64_t{3} << 32) | g);
  }
  auto& watchers = kit_->watchers();
  for (size_t i = 0; i < watchers.size(); ++i) {
    if (watchers[i].second != nullptr) WatchArp(i);
  }
  if (!config_.ha.ping.empty()) {
    auto icmp = IcmpEchoSocket::Open();
    if (!icmp.ok()) return icmp.status();
    icmp_ = std::move(*icmp);
    watch(icmp_->fd(), uint64_t{6} << 32);
    // Ten echoes per deadping (at most one per keepalive): a lost echo or
    // two never makes a ping node look gone.
    const absl::Duration interval = std::max(config_.ha.keepalive, config_.ha.deadping / 10);
    ping_ = std::make_unique<PingMonitor>(config_.ha.ping, config_.ha.deadping, interval,
                                          MonotonicNow());
    std::vector<std::string> names;
    for (const PingTarget& t : config_.ha.ping) names.push_back(t.name);
    LogInfo("ping nodes %s: an echo every %s, each judged with deadping %s%s",
            absl::StrJoin(names, ", "), FormatMillis(interval), FormatMillis(config_.ha.deadping),
            config_.ha.ipfail ? "; ipfail's rule applies (respawn ipfail in ha.cf)"
                              : "; ipfail's rule applies");
  }
  return watched;
}

void Runner::ServePing(MonoTime now, bool* changed) {
  if (ping_ == nullptr) return;
  // A send that fails (no route: our LAN is down) needs no line of its own:
  // the target is judged lost after deadping, and that is logged.
  ping_->SendDue(now, [&](uint32_t ip, uint16_t seq) { (void)icmp_->Send(ip, seq); });
  for (const std::string& line : ping_->Changes(now)) LogWarning("%s", line);
  const uint16_t field = PingField(now);
  if (field != ping_advertised_) {
    ping_advertised_ = field;
    *changed = true;  // decided again and advertised: peers compare reaches
  }
}

// After a runner restart, what runs is whatever the previous runner left:
// find it, so the service is neither interrupted nor started twice. Each
// group on its own worker; until its probe is done the group is advertised
// as `probing`, so no peer takes it meanwhile.
void Runner::Probe() {
  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& gr = *groups_[g];
    gr.probing = true;
    GroupOps* ops = &kit_->GroupOpsFor(g);
    std::vector<std::string> tokens;
    for (const Resource& r : gr.spec.resources) tokens.push_back(r.token);
    gr.worker->Submit([this, g, ops, tokens](const JobWorker::Post& post) {
      ProbeResult r;
      r.started = ops->Now();
      for (size_t i = 0; i < ops->size(); ++i) {
        if (ops->is_address(i)) {
          if (ops->HasAddress(i)) r.found.push_back(tokens[i]);
          continue;
        }
        const ResourceStatus st = ops->Status(i);
        if (st == ResourceStatus::kRunning) r.found.push_back(tokens[i]);
        r.unsure = r.unsure || st == ResourceStatus::kFailed;
      }
      r.done = ops->Now();
      post([this, g, r = std::move(r)] { OnProbeDone(g, r); });
    });
  }
}

void Runner::OnProbeDone(size_t g, const ProbeResult& r) {
  Group& gr = *groups_[g];
  gr.probing = false;
  const std::vector<std::string>& found = r.found;
  const size_t total = gr.spec.resources.size();
  const std::string took = FormatMillis(r.done - r.started);
  if (found.size() == total) {
    gr.machine.Probed(true, r.unsure);
    LogInfo("group %s: found running here (%s; probed in %s): holding it", gr.spec.key,
            absl::StrJoin(found, ", "), took);
    StartMonitoring(g, MonotonicNow());
  } else if (!found.empty()) {
    // Never claim a group that is not whole (a crash of every process
    // leaves the address configured but no service): finish its start if
    // ownership gives it to us, else clean it up. Unsure: a take asks
    // every script's status first.
    gr.machine.Probed(false, /*unsure=*/true);
    gr.leftovers = true;
    LogWarning("group %s: found half-started here (%s running, %d of %d resources; probed in "
               "%s): not claiming it; completing its start if this node is to hold it, else "
               "stopping what runs",
               gr.spec.key, absl::StrJoin(found, ", "), static_cast<int>(found.size()),
               static_cast<int>(total), took);
  } else {
    gr.machine.Probed(false, r.unsure);
    LogInfo("group %s: %s here (probed in %s)", gr.spec.key,
            r.unsure ? "not found running, but a status query failed" : "not running", took);
  }
  Advertise(true);
  SendGroups();
  Reevaluate(MonotonicNow());
}

GroupMask Runner::ProbingMask() const {
  GroupMask m = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g]->probing) m |= GroupMask{1} << g;
  }
  return m;
}

GroupMask Runner::HeldMask() const {
  GroupMask m = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g]->machine.held()) m |= GroupMask{1} << g;
  }
  return m;
}

GroupMask Runner::FailureDeclines(MonoTime now) const {
  GroupMask m = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g]->policy.Declining(now)) m |= GroupMask{1} << g;
  }
  return m;
}

GroupMask Runner::Declines(MonoTime now) const { return declines_ | FailureDeclines(now); }

void Runner::Advertise(bool force) {
  AdvertMsg ad;
  ad.data = EncodeOwnershipAd({HeldMask(), static_cast<uint16_t>(wants_),
                               static_cast<uint16_t>(Declines(MonotonicNow())), digest_,
                               static_cast<uint16_t>(ProbingMask()), ping_advertised_});
  // Ready from the start: groups still being probed are marked so instead.
  ad.ready = true;
  ad.holds = HeldMask() != 0;
  const MonoTime now = MonotonicNow();
  const bool same = advertised_ && ad.data == last_advert_.data &&
                    ad.ready == last_advert_.ready && ad.holds == last_advert_.holds;
  if (!force && same && now - last_advert_time_ < absl::Seconds(1)) return;
  if (link_.Send(ad)) {
    last_advert_ = ad;
    advertised_ = true;
    last_advert_time_ = now;
  }
}

void Runner::SendGroups() {
  json groups = json::array();
  for (size_t g = 0; g < groups_.size(); ++g) {
    const Group& gr = *groups_[g];
    std::string owner;
    if (HeldMask() >> g & 1) owner = config_.local_node;
    for (const auto& [name, p] : view_.peers()) {
      if (p.alive() && (p.ad.held >> g & 1)) {
        owner = owner.empty() ? name : absl::StrCat(owner, ",", name);
      }
    }
    groups.push_back(json{{"key", gr.spec.key},
                          {"preferred", gr.spec.preferred_node},
                          {"owner", owner.empty() ? json() : json(owner)},
                          {"state", gr.probing ? "probing" : GroupStateName(gr.machine.state())},
                          {"last_action", gr.machine.last_action()},
                          {"last_duration_ms",
                           absl::ToDoubleMilliseconds(gr.machine.last_duration())},
                          {"arp_conflicts", gr.arp_conflicts},
                          {"monitor",
                           {{"watched_pids", [&] {
                               json pids = json::array();
                               for (const PidWatch& w : gr.watches) pids.push_back(w.pid);
                               return pids;
                             }()},
                            {"failures", gr.monitor_failures},
                            {"last_failure", gr.last_failure},
                            {"restarts_in_window", gr.policy.RecentRestarts(MonotonicNow())},
                            {"declining", gr.policy.Declining(MonotonicNow())}}}});
  }
  json ping = json::array();
  if (ping_ != nullptr) {
    const MonoTime now = MonotonicNow();
    // Whether each is reached, not how long ago it answered: the report is
    // sent when it changes, not with every echo.
    for (const PingMonitor::TargetState& t : ping_->States(now)) {
      ping.push_back(json{{"name", t.name}, {"hosts", t.hosts}, {"reached", t.reached}});
    }
  }
  json report{{"groups", std::move(groups)},
              {"ping", std::move(ping)},
              {"quorum",
               {{"policy", config_.ha.quorum == QuorumPolicy::kMajority ? "majority" : "none"},
                {"quorate", quorate_},
                {"why", quorum_why_}}}};
  std::string text = report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text != last_groups_ && link_.Send(GroupsMsg{text})) last_groups_ = std::move(text);
}

void Runner::NoteJoin(uint64_t generation) {
  // A join is a new tachyd generation, not a runner restart: only then does
  // auto_failback pull our preferred groups back (Heartbeat semantics).
  // The file says which generation we last joined, so that a runner
  // restarted under the same tachyd does not count it as a new join.
  absl::StatusOr<std::optional<uint64_t>> seen =
      ReadStateCounter(options_.state_dir, "actions-generation");
  if (!seen.ok()) {
    LogWarning("%s: taking generation %d as a new join", seen.status().message(), generation);
  } else if (*seen == generation) {
    return;
  }
  if (absl::Status s = WriteStateFile(options_.state_dir, "actions-generation",
                                      absl::StrCat(generation, "\n"));
      !s.ok()) {
    // Not fatal: the next runner started under this tachyd would count
    // the join again, and auto_failback ask for the groups once more.
    LogError("cannot record the join: %s", s.message());
  }
  if (!FailbackPullsBack(config_.ha.auto_failback)) return;
  GroupMask local = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g]->spec.preferred_node == config_.local_node) local |= GroupMask{1} << g;
  }
  wants_ |= local & ~HeldMask();
  if (wants_ != 0) LogInfo("joined (generation %d): auto_failback asks for our preferred groups",
                           generation);
}

bool Runner::OnMessage(const StreamMessage& m, MonoTime now) {
  bool matters = view_.Apply(m, now);
  if (const auto* h = std::get_if<HelloMsg>(&m.body)) {
    LogInfo("connected to tachyd (generation %d)", h->generation);
    // tachyd's timing is the one in force (a reload may have changed it
    // since ha.cf was read here, or refused what ha.cf says now).
    ApplyTiming(absl::Nanoseconds(h->keepalive_ns), config_.ha.warntime,
                absl::Nanoseconds(h->deadtime_ns));
    NoteJoin(h->generation);
    advertised_ = false;
    last_groups_.clear();
  } else if (const auto* r = std::get_if<RequestMsg>(&m.body)) {
    HandleRequest(*r);
    matters = true;
  } else if (const auto* hb = std::get_if<HbMessageMsg>(&m.body)) {
    OnHeartbeatMessage(*hb, now);
    matters = true;
  } else if (const auto* t = std::get_if<TimingMsg>(&m.body)) {
    ApplyTiming(absl::Nanoseconds(t->keepalive_ns), absl::Nanoseconds(t->warntime_ns),
                absl::Nanoseconds(t->deadtime_ns));
  }
  return matters;
}

void Runner::ApplyTiming(absl::Duration keepalive, absl::Duration warntime,
                         absl::Duration deadtime) {
  if (keepalive <= absl::ZeroDuration() || deadtime <= absl::ZeroDuration()) return;
  if (keepalive == config_.ha.keepalive && deadtime == config_.ha.deadtime &&
      warntime == config_.ha.warntime) {
    return;
  }
  LogInfo("timing from tachyd: keepalive %s, warntime %s, deadtime %s (was %s, %s, %s)",
          FormatMillis(keepalive), FormatMillis(warntime), FormatMillis(deadtime), FormatMillis(config_.ha.keepalive),
          FormatMillis(config_.ha.warntime), FormatMillis(config_.ha.deadtime));
  config_.ha.keepalive = keepalive;
  config_.ha.warntime = warntime;
  config_.ha.deadtime = deadtime;
}

void Runner::ReopenLogs() {
  // SIGHUP (tachyd forwards its reload): ha.cf's log options again, and the
  // files reopened, so logrotate can move them.
  auto config = LoadClusterConfig(options_.config_dir, config_.local_node);
  if (!config.ok()) {
    LogError("reload: %s; logging unchanged", config.status().message());
    return;
  }
  const LogOptions log =
      MakeLogOptions(config->ha, absl::StrFormat("tachy-actions[%s]", config_.local_node));
  if (absl::Status s = InitLogging(log); !s.ok()) {
    LogError("reload: %s; logging unchanged", s.message());
    return;
  }
  LogInfo("reload: log files reopened");
}

GroupMask Runner::HeartbeatMask(uint8_t sets) const {
  GroupMask mask = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const bool local = groups_[g]->spec.preferred_node == config_.local_node;
    if (sets & (local ? kHbLocal : kHbForeign)) mask |= GroupMask{1} << g;
  }
  return mask;
}

void Runner::OnHeartbeatMessage(const HbMessageMsg& m, MonoTime now) {
  if (m.fields.empty()) {
    // Who speaks Heartbeat changed (or a reconnect repeats it).
    if (m.heartbeat && hb_ == nullptr) {
      if (view_.peers().size() != 1) {
        if (!hb_refused_logged_) {
          hb_refused_logged_ = true;
          LogError("node %s speaks Heartbeat 3, which tachy follows in two-node clusters only: "
                   "its groups are decided by tachy's rules here, and it will not follow them",
                   m.node);
        }
        return;
      }
      hb_peer_ = m.node;
      hb_generation_ = m.generation;
      hb_ = std::make_unique<HbResources>(
          HbResourcesOptions{m.node, FailbackPullsBack(config_.ha.auto_failback),
                             absl::Seconds(10), absl::Seconds(10)});
      // Groups already held were decided without it (it was not heard
      // within initdead): keep them, and give its own back once it is
      // stable (auto_failback).
      uint8_t held = kHbNone;
      for (size_t g = 0; g < groups_.size(); ++g) {
        if (!(HeldMask() >> g & 1)) continue;
        held |= groups_[g]->spec.preferred_node == config_.local_node ? kHbLocal : kHbForeign;
      }
      const auto p = view_.peers().find(m.node);
      const bool decided = held != kHbNone || (p != view_.peers().end() &&
                                               p->second.death_verdict != MonoTime());
      if (decided) hb_->Adopt(held);
      LogInfo("node %s speaks Heartbeat 3 (generation %d): resources are negotiated by "
              "Heartbeat's protocol with it%s",
              m.node, m.generation,
              decided ? absl::StrCat(" (holding ", HbSetName(held), ")") : std::string());
    } else if (!m.heartbeat && hb_ != nullptr && m.node == hb_peer_) {
      LogInfo("node %s speaks tachy now: ownership by tachy's rules again", m.node);
      hb_.reset();
    } else if (hb_ != nullptr && m.node == hb_peer_) {
      hb_generation_ = m.generation;
    }
    return;
  }
  if (hb_ == nullptr || m.node != hb_peer_) return;
  hb_generation_ = m.generation;
  HbResources::Fields fields;
  for (const HbFieldMsg& f : m.fields) fields.emplace_back(f.name, f.value);
  std::string brief;
  for (const auto& [name, value] : fields) {
    if (name == "t" || name == "rsc_hold" || name == "info" || name == "isstable") {
      absl::StrAppend(&brief, brief.empty() ? "" : " ", name, "=", value);
    }
  }
  LogInfo("from %s: %s", m.node, brief);
  hb_->OnMessage(fields, m.generation, now);
  FlushHeartbeat();
}

void Runner::FlushHeartbeat() {
  if (hb_ == nullptr) return;
  for (const std::string& line : hb_->TakeLog()) LogInfo("%s", line);
  for (const HbResources::Fields& f : hb_->TakeOutgoing()) {
    HbSendMsg out;
    std::string brief;
    for (const auto& [name, value] : f) {
      out.fields.push_back({name, value});
      absl::StrAppend(&brief, brief.empty() ? "" : " ", name, "=", value);
    }
    LogInfo("to %s: %s", hb_peer_, brief);
    link_.Send(out);
  }
}

std::vector<Decision> Runner::HeartbeatDecisions(MonoTime now, std::vector<NodeView>* nodes) {
  const auto p = view_.peers().find(hb_peer_);
  const bool alive = p != view_.peers().end() && p->second.alive();
  if (alive) {
    hb_->OnPeerAlive(hb_generation_, now);
  } else if (p != view_.peers().end() && p->second.state == WirePeerState::kDead) {
    hb_->OnPeerDead(now);
  }
  // Settled: nothing busy, and no take or release the runner could still do.
  const auto settled = [&] {
    const GroupMask want = HeartbeatMask(hb_->Wanted());
    for (size_t g = 0; g < groups_.size(); ++g) {
      const Group& gr = *groups_[g];
      if (gr.machine.busy() || gr.probing) return false;
      const bool desired = want >> g & 1;
      if (desired && !gr.machine.held() && gr.machine.MayTake(now)) return false;
      if (!desired && gr.machine.held() && gr.machine.MayRelease()) return false;
    }
    return true;
  };
  hb_->Tick(now, settled());
  FlushHeartbeat();
  const GroupMask want = HeartbeatMask(hb_->Wanted());
  NodeView peer;
  peer.name = hb_peer_;
  peer.alive = alive;
  peer.ready = alive;
  peer.held = alive ? HeartbeatMask(hb_->peer_holds()) : 0;
  nodes->push_back(peer);
  std::vector<Decision> out(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    const bool held = HeldMask() >> g & 1;
    const bool desired = want >> g & 1;
    if (desired && !held) {
      out[g] = {GroupAction::kTake, alive ? absl::StrCat(hb_peer_, " gave it up (Heartbeat)")
                                          : absl::StrCat("peer ", hb_peer_, " dead")};
    } else if (!desired && held) {
      out[g] = {GroupAction::kRelease,
                hb_->state() == HbResources::State::kShutdown
                    ? std::string("tachyd is stopping")
                    : absl::StrCat("handing it to ", hb_peer_, " (Heartbeat)")};
    }
  }
  return out;
}

void Runner::HandleRequest(const RequestMsg& r) {
  const std::string& what = r.what;
  const std::string scope = r.scope.empty() ? "all" : r.scope;
  std::vector<GroupView> views;
  for (const auto& g : groups_) views.push_back({g->spec.key, g->spec.preferred_node});
  GroupMask mask;
  ReplyMsg reply{r.id, false, ""};
  bool peer_ready = false;
  for (const auto& [name, p] : view_.peers()) peer_ready = peer_ready || (p.alive() && p.ready);
  if (what == "clear") {
    // Forget failures: the monitor's restarts and decline, a failed start's
    // back-off. Scope: a group key, or all.
    int cleared = 0;
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (scope != "all" && scope != groups_[g]->spec.key) continue;
      groups_[g]->policy.Clear();
      groups_[g]->machine.ClearRetry();
      ++cleared;
    }
    if (cleared == 0) {
      reply.message = absl::StrCat("no group '", scope, "' in haresources");
    } else {
      reply.ok = true;
      reply.message = absl::StrFormat("cleared the failures of %d group(s)", cleared);
      LogInfo("clear %s requested: failures of %d group(s) forgotten", scope, cleared);
    }
    if (r.id != 0) link_.Send(reply);
    return;
  }
  if (hb_ != nullptr && (what == "standby" || what == "takeover")) {
    // With a Heartbeat peer the move is Heartbeat's: ask_resources or
    // hb_takeover, and the groups follow its answers.
    const std::optional<uint8_t> set = ParseHbSet(scope);
    std::string why;
    if (!set.has_value() || *set == kHbNone) {
      reply.message = absl::StrCat("unknown scope '", scope, "': use all, local or foreign");
    } else if (what == "standby" ? hb_->Standby(*set, MonotonicNow(), &why)
                                 : hb_->Takeover(*set, MonotonicNow(), &why)) {
      reply.ok = true;
      reply.message = absl::StrFormat("asked %s (Heartbeat) %s the %s groups", hb_peer_,
                                      what == "standby" ? "to take" : "to hand over",
                                      HbSetName(*set));
      LogInfo("%s %s requested: %s", what, scope, reply.message);
    } else {
      reply.message = absl::StrCat(what, " refused: ", why);
    }
    FlushHeartbeat();
    if (r.id != 0) link_.Send(reply);
    return;
  }
  if (!ScopeMask(views, config_.local_node, scope, &mask)) {
    reply.message = absl::StrCat("unknown scope '", scope, "': use all, local or foreign");
  } else if (what == "standby") {
    const GroupMask moving = mask & HeldMask();
    // A group no live peer would take (it failed there, or it is in standby
    // too) would only bounce back: say so rather than cause an outage.
    std::string unwanted;
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (!(moving >> g & 1)) continue;
      bool taker = false;
      std::string why;
      for (const auto& [name, p] : view_.peers()) {
        if (!p.alive() || !p.ready) continue;
        if (p.ad.declines >> g & 1) {
          why = absl::StrCat(name, " declines it (failed there or in standby)");
        } else {
          taker = true;
        }
      }
      if (!taker && !why.empty()) {
        unwanted = absl::StrCat("group ", groups_[g]->spec.key, ": ", why);
        break;
      }
    }
    if (moving != 0 && !peer_ready) {
      reply.message = "no live peer with a running action runner could take over; refused";
    } else if (!unwanted.empty()) {
      reply.message = absl::StrCat(unwanted, "; refused");
    } else {
      declines_ |= moving;
      wants_ &= ~mask;
      reply.ok = true;
      reply.message = moving == 0 ? "this node holds none of those groups"
                                  : absl::StrFormat("handing %d group(s) to the peer",
                                                    __builtin_popcount(moving));
      LogInfo("standby %s requested: releasing %d group(s)", scope, __builtin_popcount(moving));
    }
  } else if (what == "shutdown") {
    shutting_down_ = true;
    LogInfo("tachyd is stopping: releasing every group");
    if (hb_ != nullptr) {
      // Heartbeat's clean shutdown: say so before releasing; tachyd sends
      // shutdone once everything is released.
      hb_->Shutdown();
      FlushHeartbeat();
    }
    reply.ok = true;
    reply.message = "releasing";
  } else if (what == "takeover") {
    const GroupMask taking = mask & ~HeldMask();
    // An operator asking for a group here means: try it now. A failed
    // start's back-off and a monitor's decline would otherwise make the
    // peer let go of a working copy while this node waits.
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (!(taking >> g & 1)) continue;
      groups_[g]->policy.Clear();
      groups_[g]->machine.ClearRetry();
    }
    wants_ |= taking;
    declines_ &= ~mask;
    reply.ok = true;
    reply.message = taking == 0 ? "this node already holds those groups"
                                : absl::StrFormat("asking for %d group(s)",
                                                  __builtin_popcount(taking));
    LogInfo("takeover %s requested: asking for %d group(s)", scope, __builtin_popcount(taking));
  } else {
    reply.message = absl::StrCat("unknown request '", what, "'");
  }
  if (r.id != 0) link_.Send(reply);
}

TakeCause Runner::CauseFor(size_t g, const std::string& why, MonoTime now) const {
  TakeCause c;
  c.why = why;
  c.decision = now;
  // The peer that held it (or, failing that, the latest to die) and its
  // death verdict: where this takeover's clock starts.
  const std::string* best = nullptr;
  const PeerInfo* info = nullptr;
  for (const auto& [name, p] : view_.peers()) {
    if (p.alive() || p.death_verdict == MonoTime()) continue;
    const bool held = p.ad.held >> g & 1;
    if (info == nullptr || (held && !(info->ad.held >> g & 1)) ||
        ((held == static_cast<bool>(info->ad.held >> g & 1)) &&
         p.death_verdict > info->death_verdict)) {
      best = &name;
      info = &p;
    }
  }
  // Only a recent death explains this take (not one from long ago).
  if (info != nullptr && now - info->death_verdict < 10 * config_.ha.deadtime + absl::Seconds(1)) {
    c.peer = *best;
    c.verdict = info->death_verdict;
    c.last_frame = info->death_last_frame;
  }
  return c;
}

void Runner::LoseDetector(MonoTime now, const char* why) {
  if (detector_lost_) return;
  detector_lost_ = true;
  lost_since_ = view_.greeted() ? view_.last_message() : now;
  if (link_.connected()) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, link_.fd(), nullptr);
    link_.Disconnect();
  }
  view_.Forget();
  LogWarning("lost tachyd: %s; reconnecting", why);
}

void Runner::Reevaluate(MonoTime now) {
  if (shutting_down_) {
    for (size_t g = 0; g < groups_.size(); ++g) {
      Group& gr = *groups_[g];
      // A group whose stop already failed is not stopped again and again:
      // it stays held, and tachyd's leave waits for the operator.
      if (!gr.machine.busy() && gr.machine.held() && !gr.machine.stuck()) {
        StartRelease(g, "tachyd is stopping");
      }
    }
    Advertise(false);
    SendGroups();
    return;
  }
  if (!DetectorAlive(now)) {
    // Without our detector we cannot know whether the peer took over: it
    // will, one deadtime after our last heartbeat. Letting go after half a
    // deadtime of silence (closed socket, or no tick: tachyd dead, hung or
    // blocked) means we are gone before it comes, while a tachyd restarted
    // at once keeps everything.
    if (!released_for_lost_tachyd_ && now - lost_since_ > LostTachydGrace() && HeldMask() != 0) {
      released_for_lost_tachyd_ = true;
      LogWarning("own tachyd silent for %s (half the deadtime): releasing every group, "
                 "addresses first, before the peer takes over",
                 FormatMillis(now - lost_since_));
      for (size_t g = 0; g < groups_.size(); ++g) {
        if ((HeldMask() >> g & 1) && !groups_[g]->machine.busy()) {
          StartRelease(g, "own tachyd gone (no working detector)", /*emergency=*/true);
        }
      }
    }
    return;
  }
  std::vector<GroupView> views;
  for (const auto& g : groups_) views.push_back({g->spec.key, g->spec.preferred_node, g->overlap});
  std::vector<NodeView> nodes;
  NodeView self;
  self.name = config_.local_node;
  self.alive = true;
  self.ready = true;
  self.held = HeldMask();
  self.wants = wants_;
  self.declines = Declines(now);
  self.probing = ProbingMask();
  self.ping = ping_advertised_;
  nodes.push_back(self);
  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& gr = *groups_[g];
    const bool declining = gr.policy.Declining(now);
    if (gr.declining && !declining) {
      LogInfo("group %s: failure_timeout passed: no longer declining it", gr.spec.key);
    }
    gr.declining = declining;
  }
  bool all_known = true;
  QuorumVerdict quorum;
  std::vector<Decision> decisions;
  if (hb_ != nullptr) {
    decisions = HeartbeatDecisions(now, &nodes);
  } else {
    bool mismatch = false;
    for (const auto& [name, p] : view_.peers()) {
      NodeView n;
      n.name = name;
      n.alive = p.alive();
      // A peer that just came up has not advertised its runner yet: wait for
      // it (up to initdead) rather than grab what it would have taken.
      n.known = p.state != WirePeerState::kInit &&
                !(n.alive && !p.ready && now - p.alive_since < config_.ha.initdead);
      all_known = all_known && n.known;
      n.ready = p.ready;
      n.held = p.ad.held;
      n.wants = p.ad.wants;
      n.declines = p.ad.declines;
      n.probing = p.ad.probing;
      n.ping = p.ad.ping;
      if (n.alive && p.ready && p.ad.digest != digest_) mismatch = true;
      nodes.push_back(n);
    }
    if (mismatch) {
      if (now - mismatch_warned_ > absl::Seconds(10)) {
        mismatch_warned_ = now;
        LogError("haresources differs from a live peer's (digest mismatch): ownership changes "
                 "paused until the files are identical");
      }
      Advertise(false);
      return;
    }
    quorum = Quorum(nodes, config_.ha.quorum == QuorumPolicy::kMajority);
    if (quorum.quorate != quorate_) {
      if (quorum.quorate) {
        LogInfo("quorum regained: %s", quorum.why);
      } else {
        LogWarning("quorum lost: %s: taking nothing and releasing every group held here",
                   quorum.why);
      }
    }
    quorate_ = quorum.quorate;
    quorum_why_ = quorum.why;
    decisions = Decide(views, nodes, 0, quorum, ping_ == nullptr ? 0 : ping_->size(),
                       OverlapDone(nodes, now));
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& gr = *groups_[g];
    if (gr.machine.busy() || gr.probing) continue;
    const GroupMask bit = GroupMask{1} << g;
    switch (decisions[g].action) {
      case GroupAction::kTake:
        if (gr.machine.MayTake(now)) {
          // A check that passed long ago (the take then waited for a retry
          // delay) proves nothing now: it is asked again.
          const bool passed = gr.check.Passed(now, config_.ha.deadtime);
          if (NeedsArpCheck(g) && !passed) {
            // A second path first: is the address still answered on the LAN?
            if (gr.check.MayStart(now)) {
              StartArpCheck(g, CauseFor(g, decisions[g].why, now), now);
            }
            break;
          }
          TakeCause cause = passed ? gr.check_cause : CauseFor(g, decisions[g].why, now);
          gr.check.Consume();
          declines_ &= ~bit;
          StartTake(g, std::move(cause));
        }
        break;
      case GroupAction::kRelease:
        if (gr.machine.MayRelease()) {
          // Without quorum the majority is taking over right now: the
          // address goes first, so that it finds it gone when it asks.
          StartRelease(g, decisions[g].why, /*emergency=*/!quorum.quorate);
        }
        break;
      case GroupAction::kKeep:
        // Not ours to take any more (the peer is back, or another took it).
        gr.check.Reset();
        // Half-started here and not ours to finish: stop what runs, once
        // every peer is known (until then nobody knows whose it is).
        if (gr.leftovers && all_known && !gr.machine.held()) StartCleanup(g);
        break;
    }
    // After a split brain the keeper announces the address again: clients'
    // ARP caches may still point at the node that just let go.
    bool shared = false;
    for (const NodeView& n : nodes) {
      shared = shared || (n.name != self.name && n.alive && (n.held & bit));
    }
    if ((HeldMask() & bit) && gr.shared && !shared) {
      LogInfo("group %s: the other holder let go; announcing the address again", gr.spec.key);
      for (const PreparedResource& r : kit_->resources(g)) {
        if (OnLan(r)) garps_.push_back({r.garp, options_.garp_count, now});
      }
    }
    gr.shared = (HeldMask() & bit) && shared;
    for (const NodeView& n : nodes) {
      if (n.name != self.name && n.alive && (n.held & bit)) gr.last_peer_holder = n.name;
    }
    if (MayDemoteRoute(g, now)) DemoteRoute(g, now);
    // A request is done once it took effect (for a make-before-break
    // hand-over, once the other holder let go: until then it asks still).
    if ((HeldMask() & bit) && !(gr.overlap && shared)) wants_ &= ~bit;
    for (const NodeView& n : nodes) {
      if (n.name != self.name && n.alive && (n.held & bit)) declines_ &= ~bit;
    }
  }
  Advertise(false);
  SendGroups();
}

void Runner::StartTake(size_t g, TakeCause cause) {
  Group& gr = *groups_[g];
  gr.leftovers = false;  // a take with !known_stopped completes what runs
  gr.machine.BeginTake();
  gr.taken_at = cause.decision;
  gr.previous_holder = cause.peer.empty() ? gr.last_peer_holder : cause.peer;
  // The work first, then the claim, then the words. The group's leading
  // addresses go up right here, in the wake-up that decided (a netlink
  // request and the first GARP: no hand-over to another thread); the worker
  // starts the scripts while we tell the peer and the log.
  // Taken while another node holds it, a BGP:: address goes on tachy-take:
  // strictly preferred. From a node that died holding it, whatever the
  // router still has of that node (its stale route lasts until BFD or the
  // hold timer), however long ago the verdict was (a retake after our own
  // stall, say); beside a live holder (make-before-break), so the router
  // moves to us while the holder still serves.
  gr.route = gr.routed && OthersHold(g) ? RoutePreference::kPreferred : RoutePreference::kNormal;
  TakeOptions take;
  take.known_stopped = gr.machine.known_stopped();
  take.route = gr.route;
  auto job = std::make_shared<TakeJob>(kit_->GroupOpsFor(g), take);
  job->RunLeadingAddresses();
  gr.worker->Submit([this, g, cause, job](const JobWorker::Post& post) {
    TakeResult r = job->Finish();
    post([this, g, cause, r = std::move(r)] { OnTakeDone(g, cause, r); });
  });
  Advertise(true);
  LogInfo("taking group %s%s: %s", gr.spec.key,
          cause.peer.empty() ? "" : absl::StrCat(" from ", cause.peer),
          cause.verdict == MonoTime()
              ? cause.why
              : absl::StrCat(cause.why, " (decided ", FormatMillis(cause.decision - cause.verdict),
                             " after the verdict)"));
}

GroupMask Runner::OverlapDone(const std::vector<NodeView>& nodes, MonoTime now) {
  GroupMask done = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& gr = *groups_[g];
    const GroupMask bit = GroupMask{1} << g;
    bool taker = false;
    for (size_t i = 1; i < nodes.size(); ++i) {  // nodes[0] is this node
      const NodeView& n = nodes[i];
      taker = taker || (n.alive && n.ready && (n.wants & bit) && (n.held & bit));
    }
    if (!gr.overlap || !(HeldMask() & bit) || !taker) {
      gr.overlap_since = MonoTime();
      gr.overlap_seen_done = false;
      continue;
    }
    if (gr.overlap_since == MonoTime()) {
      gr.overlap_since = now;
      LogInfo("group %s: the node taking it over announces it too; letting go in %s "
              "(bgp_handover_overlap)",
              gr.spec.key, FormatMillis(options_.monitor.bgp_handover_overlap));
    }
    if (now - gr.overlap_since >= options_.monitor.bgp_handover_overlap) done |= bit;
  }
  return done;
}

bool Runner::MayDemoteRoute(size_t g, MonoTime now) const {
  const Group& gr = *groups_[g];
  // Not while a job or a monitor check runs on the group's worker: the
  // check would find the address on neither link for the 0.1 ms of the move.
  return gr.route == RoutePreference::kPreferred && gr.machine.held() && !gr.machine.busy() &&
         !gr.monitoring && now >= gr.demote_not_before && !OthersHold(g);
}

bool Runner::OthersHold(size_t g) const {
  for (const auto& [name, p] : view_.peers()) {
    if (p.ad.held >> g & 1) return true;
  }
  return false;
}

// The BGP:: addresses a take put on tachy-take go back to tachy-own once no
// other node holds the group, dead or alive: the one it was taken from is
// back (its new BGP session replaced the stale route), or the holder of a
// make-before-break hand-over let go. Left on tachy-take, they would tie
// with the next taker's route after a crash of this node, and the router
// would keep this node's stale one (it prefers the older of two equal eBGP
// paths).
void Runner::DemoteRoute(size_t g, MonoTime now) {
  Group& gr = *groups_[g];
  GroupOps& ops = kit_->GroupOpsFor(g);
  const MonoTime t0 = MonotonicNow();
  std::vector<std::string> failed;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!ops.is_routed(i)) continue;
    if (absl::Status s = ops.Reannounce(i, RoutePreference::kNormal); !s.ok()) {
      failed.push_back(absl::StrCat(ops.name(i), ": ", s.message()));
    }
  }
  if (!failed.empty()) {
    // Tried again in a second; the address stays announced meanwhile.
    gr.demote_not_before = now + absl::Seconds(1);
    LogWarning("group %s: cannot move its BGP addresses back to %s: %s", gr.spec.key,
               kOwnInterface, absl::StrJoin(failed, "; "));
    return;
  }
  gr.route = RoutePreference::kNormal;
  LogInfo("group %s: no other node holds it any more: BGP addresses moved from %s to %s "
          "(announced prepended again) in %s",
          gr.spec.key, kTakeInterface, kOwnInterface, FormatMillis(MonotonicNow() - t0));
}

bool Runner::NeedsArpCheck(size_t g) const {
  if (!options_.monitor.takeover_arp_check) return false;
  // Every take, not only a death's: a node back from a partition that sees
  // one peer before another, or a start beside a node it does not hear,
  // must not add an address the LAN still has. A hand-over costs the
  // check's timeout: the releaser removed the address before it said so.
  for (const PreparedResource& r : kit_->resources(g)) {
    if (OnLan(r)) return true;
  }
  return false;
}

void Runner::StartArpCheck(size_t g, TakeCause cause, MonoTime now) {
  Group& gr = *groups_[g];
  // Claims already queued were sent before our probe (an ARP reply of the
  // peer to a client, a moment before it died): read them first, so that
  // only what arrives from now on can answer the probe.
  for (size_t i = 0; i < kit_->watchers().size(); ++i) DrainArp(i);
  gr.check.Start(now, options_.monitor.takeover_arp_check_timeout);
  gr.check_cause = std::move(cause);
  for (const PreparedResource& r : kit_->resources(g)) {
    if (!OnLan(r)) continue;
    if (absl::Status s = kit_->garp().Probe(r.garp); !s.ok()) {
      // No way to ask: the check proves nothing, so it does not hold the
      // takeover up (the detector's verdict stands, as without the check).
      LogWarning("group %s: cannot check the LAN before taking over: %s", gr.spec.key,
                 s.message());
    }
  }
}

void Runner::NoteMacOwner(const std::string& mac, const std::string& node) {
  if (node.empty() || mac_owner_.size() >= 64) return;  // bounded: MACs are claims
  mac_owner_[mac] = node;
}

std::string Runner::MacOwnerNote(const std::string& mac) const {
  auto it = mac_owner_.find(mac);
  return it == mac_owner_.end() ? " (no cluster node known to have this MAC)"
                                : absl::StrCat(" (node ", it->second, ")");
}

void Runner::NoteArpAnswer(const ArpClaim& c, const std::string& iface, const MacAddress* own) {
  if (own != nullptr && c.sender_mac == *own) return;
  const std::string ip = FormatIpv4(c.sender_ip);
  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& gr = *groups_[g];
    for (const PreparedResource& r : kit_->resources(g)) {
      if (!OnLan(r) || r.address->iface != iface || r.address->ip != ip) continue;
      gr.check.OnAnswer(FormatMac(c.sender_mac), iface);
      // Held by exactly one live peer and not here: the MAC is that peer's.
      if (!gr.machine.held()) {
        std::string holder;
        int holders = 0;
        for (const auto& [name, p] : view_.peers()) {
          if (p.alive() && (p.ad.held >> g & 1)) {
            holder = name;
            ++holders;
          }
        }
        if (holders == 1) NoteMacOwner(FormatMac(c.sender_mac), holder);
      }
    }
  }
}

bool Runner::FinishArpChecks(MonoTime now) {
  bool changed = false;
  for (auto& gp : groups_) {
    Group& gr = *gp;
    if (!gr.check.running()) continue;
    const bool was_refused = gr.check.refused();
    const bool after_death = !gr.check_cause.peer.empty();
    const absl::Duration retry =
        std::clamp(config_.ha.deadtime / 2, absl::Milliseconds(5), absl::Seconds(1));
    const TakeoverCheck::Result result = gr.check.Poll(
        now, after_death, [this](const std::string& i) { return CarriesHeartbeats(i); }, retry);
    const std::string& peer = gr.check_cause.peer;
    switch (result) {
      case TakeoverCheck::Result::kWaiting:
        continue;
      case TakeoverCheck::Result::kRefused:
        NoteMacOwner(gr.check.mac(), peer);
        if (!gr.check.LogRefusal(now)) continue;
        if (after_death) {
          LogWarning("group %s: peer %s dead on the heartbeat link but still answering for %s on "
                     "%s (MAC %s): not taking over; asking again every %s",
                     gr.spec.key, peer, gr.spec.key, gr.check.iface(), gr.check.mac(), FormatMillis(retry));
        } else {
          LogWarning("group %s: %s is still answered on %s by MAC %s%s (%s): not taking it "
                     "while another host has it; asking again every %s",
                     gr.spec.key, gr.spec.key, gr.check.iface(), gr.check.mac(),
                     MacOwnerNote(gr.check.mac()), gr.check_cause.why, FormatMillis(retry));
        }
        continue;
      case TakeoverCheck::Result::kPathProven:
        NoteMacOwner(gr.check.mac(), peer);
        LogWarning("group %s: peer %s dead, yet its host still answers for %s on %s (MAC %s), a "
                   "link that also carries our heartbeats: its detector is gone, not the path; "
                   "taking over (our gratuitous ARP moves the clients)",
                   gr.spec.key, peer, gr.spec.key, gr.check.iface(), gr.check.mac());
        gr.check_cause.arp_checked = now;
        gr.check_cause.arp_outcome = "answered over the heartbeat link";
        break;
      case TakeoverCheck::Result::kClear:
        gr.check_cause.arp_checked = now;
        gr.check_cause.arp_outcome = "no answer";
        if (was_refused) {
          LogInfo("group %s: the address is no longer answered on the LAN: taking over%s",
                  gr.spec.key, peer.empty() ? "" : absl::StrCat(" from ", peer));
        }
        break;
    }
    changed = true;  // the next Reevaluate takes it (TakeoverCheck::Passed)
  }
  return changed;
}

void Runner::StartCleanup(size_t g) {
  Group& gr = *groups_[g];
  gr.leftovers = false;
  gr.machine.BeginCleanup();
  GroupOps* ops = &kit_->GroupOpsFor(g);
  ReleaseOptions ro;
  ro.stop_retries = options_.stop_retries;
  ro.stop_retry_interval = options_.stop_retry_interval;
  ro.addresses_first = true;  // the holder's clients must not reach us meanwhile
  const std::string why = "cleaning up what was left half-started (another node holds it)";
  gr.worker->Submit([this, g, why, ops, ro](const JobWorker::Post& post) {
    ReleaseResult r = RunRelease(*ops, ro);
    post([this, g, why, r = std::move(r)] { OnReleaseDone(g, why, r); });
  });
  LogInfo("group %s: %s", gr.spec.key, why);
}

void Runner::StartRelease(size_t g, const std::string& why, bool emergency) {
  Group& gr = *groups_[g];
  StopMonitoring(g);
  // The address is about to go to another node: no more announcements of
  // it from here (the repeats of our take would pull clients back to us).
  std::erase_if(garps_, [&](const PendingGarp& p) {
    for (const PreparedResource& r : kit_->resources(g)) {
      if (OnLan(r) && r.garp == p.id) return true;
    }
    return false;
  });
  gr.machine.BeginRelease();
  GroupOps* ops = &kit_->GroupOpsFor(g);
  ReleaseOptions ro;
  ro.stop_retries = options_.stop_retries;
  ro.stop_retry_interval = options_.stop_retry_interval;
  ro.addresses_first = emergency;
  gr.worker->Submit([this, g, why, ops, ro](const JobWorker::Post& post) {
    ReleaseResult r = RunRelease(*ops, ro);
    post([this, g, why, r = std::move(r)] { OnReleaseDone(g, why, r); });
  });
  Advertise(true);
  LogInfo("releasing group %s: %s%s", gr.spec.key, why, emergency ? " (addresses first)" : "");
}

void Runner::OnTakeDone(size_t g, const TakeCause& cause, const TakeResult& r) {
  Group& gr = *groups_[g];
  gr.machine.TakeDone(r.ok, r.held_anyway, r.ok ? cause.why : r.error, r.done - r.started,
                      MonotonicNow(), options_.failed_retry_delay);
  const std::string done = absl::StrJoin(r.steps, ", ");
  // The timeline, on one clock, from the verdict (or the decision).
  const MonoTime origin = cause.verdict == MonoTime() ? cause.decision : cause.verdict;
  auto at = [&](MonoTime t) { return FormatMillis(t - origin); };
  std::vector<std::string> line;
  if (cause.verdict != MonoTime()) {
    line.push_back(absl::StrCat("peer's last frame -", FormatMillis(cause.verdict - cause.last_frame)));
    line.push_back(absl::StrCat("decision +", at(cause.decision)));
  }
  if (cause.arp_checked != MonoTime()) {
    line.push_back(absl::StrCat("ARP check (", cause.arp_outcome, ") +", at(cause.arp_checked)));
  }
  if (r.vip_added != MonoTime()) {
    line.push_back(absl::StrCat("VIP added +", at(r.vip_added)));
    if (r.garp_sent != MonoTime()) line.push_back(absl::StrCat("first GARP +", at(r.garp_sent)));
  }
  for (const StepTime& s : r.resources) line.push_back(absl::StrCat(s.name, " started +", at(s.done)));
  const TakeoverMsg t = TakeoverLine(gr.spec.key, cause, r);
  if (r.ok) {
    for (const PreparedResource& res : kit_->resources(g)) {
      if (OnLan(res) && options_.garp_count > 1) {
        garps_.push_back({res.garp, options_.garp_count - 1, r.garp_sent + options_.garp_interval});
      }
    }
    LogInfo("took group %s %s after the %s: %s; timeline: %s; steps: %s", gr.spec.key,
            at(r.done), cause.verdict == MonoTime() ? "decision" : "verdict", cause.why,
            absl::StrJoin(line, ", "), done);
    StartMonitoring(g, MonotonicNow());
  } else {
    // Hand it to a peer that can run it; retry here later if none can.
    declines_ |= GroupMask{1} << g;
    LogError("group %s failed to start: %s; after %s rolled back%s; declining it so a live "
             "peer takes it, retrying here in %s if none can",
             gr.spec.key, r.error, done.empty() ? "nothing" : done,
             r.held_anyway ? " (a resource would not stop: still held)" : "",
             FormatMillis(options_.failed_retry_delay));
  }
  link_.Send(t);
  Advertise(true);
  SendGroups();
  Reevaluate(MonotonicNow());
}

void Runner::OnReleaseDone(size_t g, const std::string& why, const ReleaseResult& r) {
  Group& gr = *groups_[g];
  gr.machine.ReleaseDone(r.ok, r.ok ? why : r.error, r.done - r.started);
  const std::string done = absl::StrJoin(r.steps, ", ");
  if (r.ok) {
    LogInfo("released group %s: %s; %s (total %s)", gr.spec.key, why, done,
            FormatMillis(r.done - r.started));
  } else {
    LogError("group %s could not be released: %s (%s); keeping it marked held so no other "
             "node starts a second copy: fix it by hand, then restart tachy-actions",
             gr.spec.key, r.error, done);
  }
  Advertise(true);
  SendGroups();
  Reevaluate(MonotonicNow());
}

void Runner::StartMonitoring(size_t g, MonoTime first) {
  // At once, the main processes to watch; the first check one interval
  // later, not at once: a daemon just started may not have written its pid
  // file yet, and its status would say "not running".
  groups_[g]->next_monitor = first;
  groups_[g]->discover_next = true;
}

void Runner::StopMonitoring(size_t g) {
  Group& gr = *groups_[g];
  for (PidWatch& w : gr.watches) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, w.fd.get(), nullptr);
  gr.watches.clear();
  gr.next_monitor = MonoTime();
}

void Runner::RunDueMonitors(MonoTime now) {
  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& gr = *groups_[g];
    if (gr.monitoring || gr.next_monitor == MonoTime() || now < gr.next_monitor ||
        gr.machine.state() != GroupState::kRunning) {
      continue;
    }
    gr.monitoring = true;
    const bool discover = gr.discover_next;
    gr.discover_next = false;
    GroupOps* ops = &kit_->GroupOpsFor(g);
    gr.worker->Submit([this, g, ops, discover](const JobWorker::Post& post) {
      MonitorResult r = RunMonitor(*ops, discover);
      post([this, g, r = std::move(r)] { OnMonitorDone(g, r); });
    });
  }
}

void Runner::OnMonitorDone(size_t g, const MonitorResult& r) {
  Group& gr = *groups_[g];
  gr.monitoring = false;
  // A release or restart began meanwhile: its result, not this one, counts.
  if (gr.machine.state() != GroupState::kRunning || gr.next_monitor == MonoTime()) return;
  if (r.failure) {
    OnResourceFailure(g, r.failure->resource,
                      absl::StrCat(r.failure->what, " (check took ", FormatMillis(r.done - r.started), ")"),
                      r.done);
    return;
  }
  for (size_t i = 0; i < r.main.size(); ++i) {
    for (pid_t pid : r.main[i]) {
      bool known = false;
      for (const PidWatch& w : gr.watches) known = known || w.pid == pid;
      if (known) continue;
      absl::StatusOr<UniqueFd> fd = OpenPidfd(pid);
      if (!fd.ok()) {
        // Gone between the check and now: the next check says so.
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = (uint64_t{5} << 32) | (uint64_t{g} << 24) | static_cast<uint32_t>(pid);
      epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd->get(), &ev);
      gr.watches.push_back({i, pid, *std::move(fd)});
      LogInfo("group %s: watching %s's main process %d", gr.spec.key, gr.spec.resources[i].token,
              static_cast<int>(pid));
    }
  }
  const absl::Duration interval = options_.monitor.interval;
  // With no periodic check (interval 0) only the pidfds watch, until the
  // next take.
  gr.next_monitor = interval > absl::ZeroDuration() ? r.done + interval : MonoTime();
}

void Runner::OnPidExit(size_t g, pid_t pid, MonoTime now) {
  if (g >= groups_.size()) return;
  Group& gr = *groups_[g];
  auto it = std::find_if(gr.watches.begin(), gr.watches.end(),
                         [pid](const PidWatch& w) { return w.pid == pid; });
  if (it == gr.watches.end()) return;
  const size_t resource = it->resource;
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->fd.get(), nullptr);
  gr.watches.erase(it);
  if (gr.machine.state() != GroupState::kRunning) return;
  OnResourceFailure(g, resource, absl::StrFormat("main process %d exited (pidfd)", pid), now);
}

void Runner::OnResourceFailure(size_t g, size_t resource, const std::string& what,
                               MonoTime noticed) {
  Group& gr = *groups_[g];
  const std::string& token = gr.spec.resources[resource].token;
  const MonoTime now = MonotonicNow();
  ++gr.monitor_failures;
  gr.last_failure = absl::StrCat(token, ": ", what);
  const FailureReaction reaction = gr.policy.OnFailure(now);
  const FailurePolicyOptions& po = gr.policy.options();
  const std::string action =
      reaction == FailureReaction::kRestartHere
          ? absl::StrFormat("restarting it here (restart %d of %d within %s)",
                            gr.policy.RecentRestarts(now), po.restarts, absl::FormatDuration(po.window))
          : absl::StrFormat("handing the group over: %d restart(s) within %s already; declining "
                            "it here for %s (tachyctl clear %s ends that)",
                            po.restarts, absl::FormatDuration(po.window), absl::FormatDuration(po.decline_for), gr.spec.key);
  LogError("group %s: resource %s failed: %s; %s", gr.spec.key, token, what, action);
  link_.Send(MonitorMsg{noticed.nanos(), gr.spec.key, token, what, action});
  StopMonitoring(g);
  if (reaction == FailureReaction::kHandOver) {
    StartRelease(g, absl::StrCat(token, " failed: handing it over"));
    return;
  }
  gr.machine.BeginRestart(absl::StrCat(token, ": ", what));
  TakeCause cause;
  cause.why = absl::StrCat(token, " failed (", what, "): restarted here");
  cause.decision = noticed;
  GroupOps* ops = &kit_->GroupOpsFor(g);
  const RoutePreference route = gr.route;
  gr.worker->Submit([this, g, cause, ops, resource, route](const JobWorker::Post& post) {
    TakeResult r = RunRestart(*ops, resource, route);
    post([this, g, cause, r = std::move(r)] { OnRestartDone(g, cause, r); });
  });
  Advertise(true);
  SendGroups();
}

void Runner::OnRestartDone(size_t g, const TakeCause& cause, const TakeResult& r) {
  Group& gr = *groups_[g];
  const MonoTime now = MonotonicNow();
  // Failed: what precedes the failed resource still runs, so the group is
  // held until released.
  gr.machine.TakeDone(r.ok, /*held_anyway=*/!r.ok || r.held_anyway,
                      r.ok ? cause.why : r.error, r.done - r.started, now,
                      options_.failed_retry_delay);
  const std::string steps = absl::StrJoin(r.steps, ", ");
  link_.Send(TakeoverLine(gr.spec.key, cause, r));
  if (r.ok) {
    LogInfo("group %s restarted %s after the failure was noticed: %s; steps: %s", gr.spec.key,
            FormatMillis(r.done - cause.decision), cause.why, steps);
    StartMonitoring(g, now);
  } else {
    gr.policy.RestartFailed(now);
    LogError("group %s: restart failed: %s (%s); handing the group over, declining it here for "
             "%s",
             gr.spec.key, r.error, steps, absl::FormatDuration(gr.policy.options().decline_for));
    StartRelease(g, "restart failed: handing it over");
  }
  Advertise(true);
  SendGroups();
  Reevaluate(now);
}

void Runner::SendDueGarps(MonoTime now) {
  for (PendingGarp& p : garps_) {
    if (p.remaining <= 0 || now < p.next) continue;
    (void)kit_->garp().Announce(p.id);
    --p.remaining;
    p.next = now + options_.garp_interval;
  }
  std::erase_if(garps_, [](const PendingGarp& p) { return p.remaining <= 0; });
}

void Runner::WatchArp(size_t i) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = (uint64_t{1} << 32) | i;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, kit_->watchers()[i].second->fd(), &ev) != 0) {
    LogError("ARP watcher on %s not watched (epoll_ctl: %s): ARP conflicts there go unnoticed",
             kit_->watchers()[i].first, strerror(errno));
  }
}

void Runner::RefreshKit(MonoTime now) {
  if (now - last_refresh_ < absl::Seconds(1)) return;
  for (const auto& g : groups_) {
    if (g->machine.busy()) return;  // jobs read what Refresh() changes
  }
  last_refresh_ = now;
  std::vector<std::string> notes;
  // A watcher replaced closes its old fd, which leaves the epoll set by
  // itself; the new one joins it here.
  for (size_t i : kit_->Refresh(&notes)) WatchArp(i);
  for (const std::string& n : notes) LogInfo("%s", n);
}

void Runner::DrainArp(size_t i) {
  // Named, not a structured binding: clang 14 cannot capture those.
  const std::string& iface = kit_->watchers()[i].first;
  auto& watcher = kit_->watchers()[i].second;
  if (watcher == nullptr) return;
  const MacAddress* own = kit_->garp().mac(iface);
  const MonoTime now = MonotonicNow();
  bool counted = false;
  watcher->Drain([&](const ArpClaim& c) {
    NoteArpAnswer(c, iface, own);
    const std::string mac = FormatMac(c.sender_mac);
    const auto guarded = [&](size_t g) {
      const Group& gr = *groups_[g];
      // Being released, the address may already be gone (an emergency
      // release removes it first): the successor's GARPs are no conflict.
      if (!gr.machine.held() || gr.machine.state() == GroupState::kStopping) return false;
      // Just taken from a node that let go: its last claims (a GARP or ARP
      // reply sent as it released) are late, not a second holder. Only its
      // MAC, or one no node is known by, and only for a moment.
      if (!gr.previous_holder.empty() && now - gr.taken_at < LateClaimWindow()) {
        auto it = mac_owner_.find(mac);
        if (it == mac_owner_.end() || it->second == gr.previous_holder) return false;
      }
      return true;
    };
    for (const ArpGuard::Conflict& k : arp_guard_->Check(c, iface, own, guarded, now)) {
      ++groups_[k.group]->arp_conflicts;
      counted = true;
      if (!k.log) continue;
      // What is logged is also what tachyd hears of: a flood of claims
      // costs one line and one message per address and period, not one per
      // packet.
      LogError("ARP conflict: %s is claimed by %s%s on %s (%s) while this node (%s, MAC %s) "
               "holds it: split brain or address conflict%s",
               k.ip, k.mac, MacOwnerNote(k.mac), k.iface,
               k.gratuitous ? "gratuitous ARP" : "ARP reply", config_.local_node,
               own == nullptr ? "unknown" : FormatMac(*own),
               k.unlogged == 0 ? ""
                               : absl::StrCat(" (", k.unlogged,
                                              " more conflicting claims since the last line)"));
      link_.Send(ArpConflictMsg{now.nanos(), k.ip, k.mac, k.iface});
    }
  });
  if (counted) SendGroups();  // the group report carries the counts
}

int Runner::Run() {
  Probe();
  lost_since_ = MonotonicNow();
  for (;;) {
    MonoTime now = MonotonicNow();
    if (options_.supervised && !orphaned_ && getppid() != parent_) {
      orphaned_ = true;
      orphaned_since_ = now;
      LoseDetector(now, "tachyd exited");
      LogWarning("tachyd (pid %d) is gone: waiting %s for a new one before releasing", parent_,
                 FormatMillis(LostTachydGrace()));
    }
    if (orphaned_) {
      // A restarted tachyd brings its own runner: leave everything to it.
      if (now - orphaned_since_ > LostTachydGrace()) {
        TachydLink probe(options_.event_socket);
        if (probe.Connect().ok() && !released_for_lost_tachyd_) {
          LogInfo("a new tachyd is running with its own action runner: exiting");
          return 0;
        }
      }
      bool busy = false;
      for (const auto& g : groups_) busy = busy || g->machine.busy();
      if (released_for_lost_tachyd_ && !busy && HeldMask() == 0) {
        LogInfo("released everything after losing tachyd: exiting");
        return 0;
      }
    } else if (!link_.connected()) {
      if (link_.Connect().ok()) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = uint64_t{2} << 32;
        epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, link_.fd(), &ev);
      }
    }
    // Wake in time to judge the detector's silence exactly when the grace
    // runs out, and for the next GARP repeat.
    const MonoTime heard = DetectorAlive(now) ? view_.last_message() : lost_since_;
    absl::Duration timeout = std::clamp(heard + LostTachydGrace() - now + absl::Microseconds(100),
                                        absl::Microseconds(100), absl::Milliseconds(100));
    if (!link_.connected()) timeout = std::min(timeout, absl::Milliseconds(20));
    for (const PendingGarp& p : garps_) {
      timeout = std::min(timeout, std::max(absl::ZeroDuration(), p.next - now));
    }
    for (const auto& g : groups_) {
      if (g->next_monitor != MonoTime() && !g->monitoring) {
        timeout = std::min(timeout, std::max(absl::ZeroDuration(), g->next_monitor - now));
      }
      if (ping_ != nullptr) {
        timeout = std::min(timeout, std::max(absl::ZeroDuration(), ping_->NextSend() - now));
      }
      // A takeover waiting on its ARP check wakes when the answer is due,
      // and one refused when it is asked again.
      if (g->check.running()) {
        timeout = std::min(timeout, std::max(absl::ZeroDuration(), g->check.deadline() - now));
      } else if (g->check.refused()) {
        timeout = std::min(timeout, std::max(absl::Milliseconds(1), g->check.retry_at() - now));
      }
    }
    const int64_t wait_ns = absl::ToInt64Nanoseconds(timeout);
    const timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000),
                      static_cast<long>(wait_ns % 1'000'000'000)};
    epoll_event ready[16];
    const int n = epoll_pwait2(epoll_.get(), ready, 16, &ts, nullptr);
    now = MonotonicNow();
    // Ticks (one per keepalive) only prove the detector alive: deciding
    // ownership again for each would cost a wake-up's worth of work a
    // thousand times a second. Anything else, a lost detector, and at least
    // every 100 ms (retry delays, initdead waits, advert refresh) do.
    bool changed = now - last_evaluated_ >= absl::Milliseconds(100);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = ready[i].data.u64 >> 32;
      const size_t index = ready[i].data.u64 & 0xffffffff;
      if (tag != 2) changed = true;
      if (tag == 1) {
        DrainArp(index);
      } else if (tag == 2) {
        // Messages are judged as they arrive, in this wake-up: a death is
        // decided on (and its take submitted) before anything else runs.
        const bool ok = link_.Read([&](const StreamMessage& m) {
          if (OnMessage(m, now)) changed = true;
        });
        if (!ok) {
          LoseDetector(now, "connection closed or out of sequence");
          changed = true;
        }
      } else if (tag == 3) {
        groups_[index]->worker->RunPosted();
      } else if (tag == 6) {
        icmp_->Drain([&](uint32_t ip) { ping_->OnReply(ip, now); });
      } else if (tag == 5) {
        OnPidExit(index >> 24, static_cast<pid_t>(index & 0xffffff), now);
      } else if (tag == 4) {
        for (int sig; (sig = ReadPendingSignal(signals_.get())) != 0;) {
          // Scripts are reaped by RunScript's own waitpid; the daemons they
          // left, adopted by us (a subreaper), here, the moment they die.
          if (sig == SIGCHLD) {
            ReapOrphans();
            continue;
          }
          if (sig == SIGHUP) {
            ReopenLogs();
            continue;
          }
          LogInfo("%s: stopping; resources stay as they are for the next runner",
                  strsignal(sig));
          return 0;
        }
      }
    }
    if (link_.connected() && view_.greeted()) {
      if (detector_lost_) {
        detector_lost_ = false;
        released_for_lost_tachyd_ = false;
      }
      if (!view_.Heard(now, LostTachydGrace())) {
        LoseDetector(now, absl::StrCat("no tick for ", FormatMillis(now - view_.last_message()),
                                       " (tachyd hung or blocked)")
                              .c_str());
        changed = true;
      }
    } else if (now - lost_since_ > LostTachydGrace()) {
      changed = true;  // the grace ran out: release (Reevaluate decides)
    }
    if (FinishArpChecks(now)) changed = true;
    ServePing(now, &changed);
    for (size_t i = 0; i < groups_.size(); ++i) {
      const auto& g = groups_[i];
      if (g->check.refused() && g->check.MayStart(now)) changed = true;
      // A BGP address waiting to go back to tachy-own (a monitor job was
      // on the worker when it could first): now.
      if (MayDemoteRoute(i, now)) changed = true;
      // A make-before-break overlap that just ran its time: let go now.
      if (g->overlap_since != MonoTime() && !g->overlap_seen_done &&
          now - g->overlap_since >= options_.monitor.bgp_handover_overlap) {
        g->overlap_seen_done = true;
        changed = true;
      }
    }
    SendDueGarps(now);
    RunDueMonitors(now);
    RefreshKit(now);
    // Heartbeat's protocol has timers (its request delay, a standby's
    // reply) and waits for our jobs to finish: look at it often.
    if (hb_ != nullptr && now - last_evaluated_ >= absl::Milliseconds(100)) changed = true;
    if (changed) {
      last_evaluated_ = now;
      Reevaluate(now);
    }
  }
}

// The runner's loop decides takeovers: it runs SCHED_FIFO one step below
// tachyd's detector thread, memory locked; its children (scripts) run at
// normal priority (reset on fork).
void EnterRunnerRealtime(const ClusterConfig& config) {
  if (!config.ha.realtime) return;
  const int detector = DetectorPriority(config.ha.rtprio);
  const std::string note = EnterRealtime(detector - 1);
  if (note.empty()) {
    LogInfo("realtime: SCHED_FIFO priority %d (below the detector's %d), memory locked",
            detector - 1, detector);
  } else {
    LogWarning("realtime requested but not fully in force: %s (takeovers may wait for the "
               "scheduler)",
               note);
  }
}

}  // namespace

int RunActions(const RunnerOptions& input) {
  RunnerOptions options = input;
  auto config = LoadClusterConfig(options.config_dir, options.node);
  if (!config.ok()) {
    std::fprintf(stderr, "tachy-actions: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (options.dirs.resource_dir.empty()) options.dirs.resource_dir = options.config_dir + "/resource.d";
  options.dirs.config_dir = options.config_dir;
  auto resources = LoadHaResources(options.config_dir + "/haresources", config->ha.nodes);
  if (absl::IsNotFound(resources.status())) {
    // Like Heartbeat without haresources: membership only, nothing to move.
    std::fprintf(stderr, "tachy-actions: %s/haresources not found: no resource groups to manage\n",
                 options.config_dir.c_str());
    resources = HaResources{};
  }
  if (!resources.ok()) {
    std::fprintf(stderr, "tachy-actions: %s\n",
                 std::string(resources.status().message()).c_str());
    return 2;
  }
  const std::string tachy_cf = options.config_dir + "/tachy.cf";
  absl::StatusOr<MonitorSettings> monitor = LoadTachyCf(tachy_cf);
  if (!monitor.ok()) {
    std::fprintf(stderr, "tachy-actions: %s\n", std::string(monitor.status().message()).c_str());
    return 2;
  }
  options.monitor = *monitor;
  const LogOptions log =
      MakeLogOptions(config->ha, absl::StrFormat("tachy-actions[%s]", config->local_node));
  if (absl::Status s = InitLogging(log); !s.ok()) {
    std::fprintf(stderr, "tachy-actions: %s/ha.cf: %s\n", options.config_dir.c_str(),
                 std::string(s.message()).c_str());
    return 2;
  }
  const size_t group_count = resources->groups.size();
  if (!options.check) {
  // Our threads allocate little (the detector thread nothing in steady
  // state): one malloc arena for all of them rather than one each.
  mallopt(M_ARENA_MAX, 1);
  // Before any thread exists (the log writer, the detector, the workers):
  // every thread inherits the mask, so only our signalfd ever sees these.
  BlockDaemonSignals();
    // The loop thread only: threads created later (the group workers) start
    // at normal priority, as reset-on-fork covers threads too (JobWorker).
    EnterRunnerRealtime(*config);
    // Daemons our scripts start are adopted by us when they detach, not by
    // PID 1: we reap them the moment they die (a lazy init would leave the
    // zombie that an LSB status check takes for "running"), and the
    // monitor's pidfd sees their exit either way.
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
      LogWarning("prctl(PR_SET_CHILD_SUBREAPER): %s (dead daemons are reaped by PID 1)",
                 strerror(errno));
    }
    // The loop must never wait for a log destination either.
    StartAsyncLogging();
  }
  int rc;
  {
    Runner runner(options, *std::move(config), *std::move(resources));
    if (absl::Status s = runner.Prepare(); !s.ok()) {
      std::fprintf(stderr, "tachy-actions: %s\n", std::string(s.message()).c_str());
      rc = absl::IsInvalidArgument(s) ? 2 : 1;
    } else if (options.check) {
      std::printf("haresources OK: %d group(s)\n", static_cast<int>(group_count));
      rc = 0;
    } else {
      rc = runner.Run();
    }
  }
  StopAsyncLogging();
  return rc;
}

}  // namespace tachy
