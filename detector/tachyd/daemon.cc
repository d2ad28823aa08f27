#include "detector/tachyd/daemon.h"

#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "detector/tachyd/activity_stats.h"
#include "detector/auth.h"
#include "detector/tachyd/auth_alarm.h"
#include "detector/config/cluster_config.h"
#include "detector/config/heartbeat_syntax.h"
#include "detector/config/log_options.h"
#include "detector/tachyd/config_check.h"
#include "detector/tachyd/control_server.h"
#include "detector/engine.h"
#include "detector/stream/event_stream.h"
#include "detector/event_text.h"
#include "detector/base/realtime.h"
#include "detector/realtime_loop.h"
#include "detector/tachyd/reload_plan.h"
#include "detector/tachyd/generation.h"
#include "detector/base/group_owners.h"
#include "detector/tachyd/hb_identity.h"
#include "detector/hb_node.h"
#include "detector/tachyd/leave_policy.h"
#include "detector/base/log.h"
#include "detector/tachyd/metrics_server.h"
#include "detector/tachyd/metrics_text.h"
#include "detector/tachyd/peer_memory.h"
#include "detector/base/signals.h"
#include "detector/tachyd/status_json.h"
#include "detector/tachyd/supervisor.h"
#include "detector/tachyd/systemd_notify.h"
#include "detector/transport.h"
#include "detector/base/unique_fd.h"
#include "detector/tachyd/watchdog.h"

#ifndef TACHY_VERSION
#define TACHY_VERSION "dev"
#endif

namespace tachy {
namespace {

// The engine takes plain settings; this is where the operator's config
// becomes them (the engine does not know ha.cf).
EngineOptions EngineOptionsFor(const ClusterConfig& config, uint64_t generation,
                               std::vector<std::string> media) {
  EngineOptions o;
  o.cluster = config.ha.cluster;
  o.local_node = config.local_node;
  o.nodes = config.ha.nodes;
  o.media = std::move(media);
  o.keepalive = config.ha.keepalive;
  o.deadtime = config.ha.deadtime;
  o.warntime = config.ha.warntime;
  o.initdead = config.ha.initdead;
  o.generation = generation;
  return o;
}

std::string DescribeConfig(const ClusterConfig& c) {
  std::vector<std::string> media;
  for (const MediumConfig& m : c.ha.media) media.push_back(m.Name());
  return absl::StrFormat(
      "node %s of cluster %s (%s); media %s; keepalive %s, warntime %s, deadtime %s, initdead "
      "%s; signing with key %d (%s)",
      c.local_node, c.ha.cluster, absl::StrJoin(c.ha.nodes, ", "), absl::StrJoin(media, ", "),
      FormatMillis(c.ha.keepalive), FormatMillis(c.ha.warntime), FormatMillis(c.ha.deadtime),
      FormatMillis(c.ha.initdead), c.auth.active_index,
      AuthMethodName(c.auth.Find(c.auth.active_index)->method));
}

// Each group's owner(s) ("a", "a,b" in a split brain, "" for none) and
// state, per the runner's report (GroupsMsg).
struct GroupSeen {
  std::string owner;
  std::string state;
};
std::map<std::string, GroupSeen> GroupOwners(const std::string& report_json) {
  const nlohmann::json report = nlohmann::json::parse(report_json, nullptr, false);
  const nlohmann::json* groups = nullptr;
  if (report.is_array()) groups = &report;
  if (report.is_object() && report.contains("groups")) groups = &report["groups"];
  std::map<std::string, GroupSeen> out;
  if (groups == nullptr || !groups->is_array()) return out;
  for (const nlohmann::json& g : *groups) {
    if (!g.is_object() || !g.contains("key") || !g["key"].is_string()) continue;
    GroupSeen& seen = out[g["key"].get<std::string>()];
    if (g.contains("owner") && g["owner"].is_string()) seen.owner = g["owner"].get<std::string>();
    if (g.contains("state") && g["state"].is_string()) seen.state = g["state"].get<std::string>();
  }
  return out;
}

bool Holds(const GroupSeen& g, absl::string_view node) { return OwnersInclude(g.owner, node); }

// The control thread's nice value under `realtime on`.
constexpr int kControlNice = -10;
// The control loop wakes at least this often (ms): request timeouts, the
// runner's restart, the watchdog's health look.
constexpr int kControlPulseMs = 100;

class Daemon {
 public:
  Daemon(const DaemonOptions& options, ClusterConfig config)
      : options_(options), config_(std::move(config)) {}
  ~Daemon() {
    if (rt_thread_.joinable()) {
      channel_->RequestStop();
      rt_thread_.join();
    }
  }

  int Run();

 private:
  absl::Status Setup();
  absl::Status OpenMedia(std::vector<std::string>* names);
  void ControlLoop();
  // systemd (systemd_notify.h): readiness, the STATUS= line, the watchdog.
  void NotifySystemd(MonoTime now);
  // SIGHUP and `tachyctl reload` (reload_plan.h): the answer, one JSON line.
  std::string Reload(absl::string_view why);
  std::string HaresourcesText() const;
  std::string StatusLine() const;
  void PublishEvents();
  void Publish(const DetectorEvent& e);
  void OnActionsMessage(const StreamMessage& m);
  void NoteLongStalls();
  // Heartbeat peers (hb_node.h): received messages in, our messages out.
  void ServeHeartbeat(MonoTime now);
  void FlushHeartbeat(HeartbeatNode::Output& out);
  void AnnounceHeartbeatPeers(bool all);
  bool ReadyToLeave(MonoTime now);
  // The freshest snapshot the real-time thread can give within `wait`.
  // The freshest snapshot the real-time thread gives within `wait`; null
  // when it gave none and `fresh` was asked for.
  const EngineSnapshot* Snapshot(absl::Duration wait, bool fresh);

  DaemonOptions options_;
  ClusterConfig config_;
  UniqueFd state_lock_;
  uint64_t generation_ = 0;
  std::unique_ptr<KeyRing> keys_;
  std::vector<std::unique_ptr<Transport>> media_;
  std::unique_ptr<Engine> engine_;   // the real-time thread's, once it runs
  EngineOptions engine_options_;     // the control thread's copy
  std::vector<std::string> peer_names_;
  MonoTime started_;
  std::unique_ptr<RtChannel> channel_;
  std::thread rt_thread_;
  std::atomic<int> rt_result_{0};
  EngineSnapshot snapshot_;          // the control thread's copy of the last one
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<MetricsServer> metrics_;  // ha.cf metrics_listen
  std::string haresources_;  // as read at start: a reload refuses a changed one
  UniqueFd epoll_, signals_;
  DaemonInfo info_;
  std::unique_ptr<Supervisor> actions_;
  Advertisement runner_ad_;          // what the runner asked us to carry
  bool runner_holds_ = false;        // it holds a group (clean shutdown waits)
  int send_failing_ = 0;
  uint64_t ring_full_logged_ = 0;
  uint64_t long_stalls_logged_ = 0;
  // STATE_DIR/peers as last written (peer_memory.h), and when.
  std::vector<RememberedPeer> memory_;
  MonoTime memory_checked_;  // once a second
  MonoTime memory_written_;  // the last successful write of STATE_DIR/peers
  void RememberPeers(MonoTime now);
  void NoteAuthFailures(MonoTime now);
  AuthAlarm auth_alarm_;
  MonoTime auth_checked_;
  std::unique_ptr<HeartbeatNode> hb_;  // with UDP media only
  std::vector<size_t> udp_media_;      // the media Heartbeat messages go out on
  // Per peer: whether it speaks Heartbeat, and in which generation, as last
  // told the runner.
  std::vector<std::pair<bool, uint64_t>> hb_announced_;
  uint64_t hb_dropped_logged_ = 0;
  SystemdNotifier notifier_;
  std::unique_ptr<WatchdogFeeder> watchdog_;  // when systemd asked for one
  bool watchdog_withheld_ = false;
  std::vector<PeerState> peer_states_;  // as last published
  std::map<std::string, GroupSeen> groups_;  // per the runner's last group report
  ActivityStats activity_;
  void NoteGroups(const std::string& report_json);
  bool leaving_ = false;
  bool leave_forced_ = false;  // a second SIGTERM/SIGINT: leave whatever is held
  MonoTime leave_deadline_;
  MonoTime next_leave_warning_;
};

absl::Status Daemon::Setup() {
  auto lock = LockStateDir(options_.state_dir);
  if (!lock.ok()) return lock.status();
  state_lock_ = std::move(*lock);
  auto generation = BumpGeneration(options_.state_dir);
  if (!generation.ok()) return generation.status();
  generation_ = *generation;

  haresources_ = HaresourcesText();
  auto keys = KeyRing::Create(config_.auth);
  if (!keys.ok()) return keys.status();
  keys_ = std::make_unique<KeyRing>(std::move(*keys));

  // Blocked already, since RunDaemon(); blocking again is harmless.
  absl::StatusOr<UniqueFd> signals = OpenDaemonSignalFd();
  if (!signals.ok()) return signals.status();
  signals_ = *std::move(signals);
  epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) return absl::ErrnoToStatus(errno, "epoll_create1");
  std::vector<std::string> names;
  if (absl::Status s = OpenMedia(&names); !s.ok()) return s;

  const std::string event_path =
      options_.event_socket.empty() ? options_.socket + ".events" : options_.event_socket;
  auto control = ControlServer::Listen(options_.socket, event_path);
  if (!control.ok()) return control.status();
  control_ = std::move(*control);
  auto channel = RtChannel::Create();
  if (!channel.ok()) return channel.status();
  channel_ = std::move(*channel);

  auto watch = [&](int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    return epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  watch(signals_.get());
  watch(control_->fd());
  watch(channel_->events_ready.get());
  if (config_.ha.metrics_port != 0) {
    // A metrics endpoint that cannot open costs the operator a graph, not
    // the cluster its failover: say so and go on without it.
    auto metrics = MetricsServer::Listen(config_.ha.metrics_address, config_.ha.metrics_port);
    if (metrics.ok()) {
      metrics_ = std::move(*metrics);
      watch(metrics_->fd());
      LogInfo("metrics: http://%s:%d/metrics", config_.ha.metrics_address,
              config_.ha.metrics_port);
    } else {
      LogError("no metrics endpoint: %s", metrics.status().message());
    }
  }

  info_.version = TACHY_VERSION;
  info_.activity = &activity_;
  info_.pid = getpid();
  started_ = MonotonicNow();
  engine_options_ = EngineOptionsFor(config_, generation_, std::move(names));
  auto remembered = ReadPeerMemory(options_.state_dir);
  if (!remembered.ok()) return remembered.status();
  engine_options_.remembered = std::move(*remembered);
  for (const RememberedPeer& r : engine_options_.remembered) {
    LogInfo("remembering %s at generation %llu%s: its older frames are refused", r.node,
            static_cast<unsigned long long>(r.generation),
            r.offset_known ? ", and its recorded frames by their send time" : "");
  }
  memory_ = engine_options_.remembered;
  peer_names_ = PeerNames(engine_options_);
  peer_states_.assign(peer_names_.size(), PeerState::kInit);
  for (size_t i = 0; i < config_.ha.media.size(); ++i) {
    if (config_.ha.media[i].kind != MediumConfig::Kind::kRaw) udp_media_.push_back(i);
  }
  if (!udp_media_.empty()) {
    // UDP media may carry Heartbeat 3 peers (a rolling migration): be the
    // node Heartbeat knew, under a generation above the one it last saw.
    auto identity = LoadHbIdentity(options_.state_dir, options_.heartbeat_state_dir, generation_);
    if (!identity.ok()) return identity.status();
    HbNodeOptions hb;
    hb.local_node = config_.local_node;
    hb.nodes = config_.ha.nodes;
    hb.keepalive = config_.ha.keepalive;
    hb.deadtime = config_.ha.deadtime;
    hb.generation = identity->generation;
    hb.uuid = identity->uuid;
    hb.keys = config_.auth;
    hb_ = std::make_unique<HeartbeatNode>(std::move(hb));
    hb_announced_.assign(peer_names_.size(), {false, 0});
    LogInfo("Heartbeat 3 peers on the UDP media are answered in their protocol: generation %d, "
            "uuid %s (%s)",
            identity->generation, absl::BytesToHexString(identity->uuid), identity->uuid_from);
  }
  engine_ = std::make_unique<Engine>(engine_options_, *keys_, started_);
  engine_->CopyTo(&snapshot_, started_);
  LogInfo("started: generation %d, %s; control socket %s, event socket %s", generation_,
          DescribeConfig(config_), options_.socket, event_path);

  // The real-time thread: SCHED_FIFO for itself alone (the control thread
  // and every child stay at normal priority), memory locked for the process.
  std::vector<Transport*> media;
  for (auto& m : media_) media.push_back(m.get());
  auto entered = std::make_shared<std::promise<std::string>>();
  std::future<std::string> note = entered->get_future();
  const bool realtime = config_.ha.realtime;
  const int rtprio = config_.ha.rtprio;
  rt_thread_ = std::thread([this, media, entered, realtime, rtprio] {
    // Named, so that ps -L, perf and a debugger show which thread is which.
    pthread_setname_np(pthread_self(), "tachyd-detect");
    entered->set_value(realtime ? EnterRealtime(DetectorPriority(rtprio)) : "");
    RealtimeLoop loop(media, *engine_, *channel_);
    rt_result_.store(loop.Run(), std::memory_order_release);
    channel_->left.store(true, std::memory_order_release);
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(channel_->events_ready.get(), &one, sizeof(one));
  });
  if (realtime) {
    // The control thread stays SCHED_OTHER (a flood of tachyctl requests
    // must not starve the machine), but wakes ahead of ordinary busy work:
    // it is what hands a death to the runner. Its children (the runner)
    // set their own priority.
    if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kControlNice) != 0) {
      LogWarning("control thread: nice %d refused: %s", kControlNice, strerror(errno));
    }
    info_.realtime_note = note.get();
    info_.realtime = info_.realtime_note.empty();
    if (info_.realtime) {
      LogInfo("realtime: the detector thread runs SCHED_FIFO, memory locked; logging, "
              "status and the event stream run on a normal-priority thread");
    } else {
      LogWarning("realtime requested but not fully in force: %s (detection may suffer from "
                 "scheduling stalls)",
                 info_.realtime_note);
    }
  }

  control_->set_reload([this] { return Reload("tachyctl reload"); });
  info_.actions_enabled = !options_.no_actions;
  if (!options_.no_actions) {
    const std::string program = options_.actions_path.empty()
                                    ? FindSiblingProgram("tachy-actions")
                                    : options_.actions_path;
    actions_ = std::make_unique<Supervisor>(
        "tachy-actions", std::vector<std::string>{program, "-c", options_.config_dir, "--node",
                                                  config_.local_node, "--state-dir",
                                                  options_.state_dir, "--event-socket",
                                                  event_path, "--supervised"});
    if (absl::Status s = actions_->Start(); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Daemon::OpenMedia(std::vector<std::string>* names) {
  const size_t n = config_.ha.media.size();
  media_.resize(n);
  const MonoTime began = MonotonicNow();
  MonoTime next_note = began;
  bool waited = false;
  // Unbounded on purpose: a daemon started before its interface is there
  // (a boot race) waits for it, as long as it takes, rather than fail. It
  // stays stoppable: SIGTERM/SIGINT end the wait.
  for (;;) {
    std::vector<std::string> missing;
    for (size_t i = 0; i < n; ++i) {
      if (media_[i] != nullptr) continue;
      auto t = OpenTransport(config_.ha.media[i]);
      if (t.ok()) {
        media_[i] = std::move(*t);
        if (waited) LogInfo("%s is there now", media_[i]->name());
      } else if (absl::IsUnavailable(t.status())) {
        missing.push_back(absl::StrFormat("%s (%s/ha.cf:%d)", t.status().message(),
                                          options_.config_dir, config_.ha.media[i].line));
      } else {
        return t.status();
      }
    }
    if (missing.empty()) break;
    waited = true;
    const MonoTime now = MonotonicNow();
    const std::string what = absl::StrJoin(missing, "; ");
    if (now >= next_note) {
      LogWarning("waiting for %s: tachyd starts once every medium can be opened (checked "
                 "every 250 ms; waiting for %s so far)",
                 what, FormatMillis(now - began));
      next_note = now + absl::Seconds(30);
      notifier_.ExtendStartTimeout(absl::Seconds(60));
    }
    notifier_.Status(absl::StrCat("waiting for ", what));
    // Waiting is not being stuck.
    if (notifier_.watchdog_timeout() > absl::ZeroDuration()) notifier_.Watchdog();
    pollfd p{signals_.get(), POLLIN, 0};
    (void)poll(&p, 1, 250);
    for (int sig; (sig = ReadPendingSignal(signals_.get())) != 0;) {
      if (sig == SIGTERM || sig == SIGINT) {
        return absl::CancelledError(absl::StrCat(strsignal(sig), " while waiting for ", what));
      }
    }
  }
  if (waited) LogInfo("every medium is open, after %s", FormatMillis(MonotonicNow() - began));
  for (const auto& m : media_) names->push_back(m->name());
  return absl::OkStatus();
}

std::string Daemon::StatusLine() const {
  std::vector<std::string> peers;
  for (size_t i = 0; i < peer_names_.size() && i < peer_states_.size(); ++i) {
    peers.push_back(absl::StrCat(peer_names_[i], " ", PeerStateName(peer_states_[i])));
  }
  std::string line = absl::StrCat(config_.local_node, ": peers ", absl::StrJoin(peers, ", "));
  if (options_.no_actions) return line;
  if (!info_.actions_connected) return absl::StrCat(line, "; action runner not connected");
  std::vector<std::string> held;
  for (const auto& [key, g] : groups_) {
    if (Holds(g, config_.local_node)) held.push_back(key);
  }
  return absl::StrCat(line, "; holding ", held.empty() ? "nothing" : absl::StrJoin(held, ", "));
}

void Daemon::NoteGroups(const std::string& report_json) {
  std::map<std::string, GroupSeen> now = GroupOwners(report_json);
  const int64_t t_ns = MonotonicNow().nanos();
  for (const auto& [key, g] : now) {
    const auto old = groups_.find(key);
    const std::string from = old == groups_.end() ? "" : old->second.owner;
    if (from == g.owner) continue;
    activity_.OnGroupMove(key);
    const auto owner_json = [](const std::string& o) {
      return o.empty() ? nlohmann::json() : nlohmann::json(o);
    };
    control_->PublishWatchLine(nlohmann::json{{"type", "group"},
                                              {"t_ns", t_ns},
                                              {"node", config_.local_node},
                                              {"group", key},
                                              {"from", owner_json(from)},
                                              {"to", owner_json(g.owner)},
                                              {"state", g.state}}
                                   .dump(-1, ' ', false,
                                         nlohmann::json::error_handler_t::replace));
  }
  groups_ = std::move(now);
}

void Daemon::NotifySystemd(MonoTime now) {
  if (!notifier_.enabled()) return;
  if (!leaving_) {
    if (options_.no_actions || info_.actions_connected) notifier_.Ready(StatusLine());
    notifier_.Status(StatusLine());
  }
  if (watchdog_ == nullptr) return;
  switch (watchdog_->Observe(now, channel_->frames_sent.load(std::memory_order_acquire))) {
    case WatchdogFeeder::Verdict::kNotDue:
      return;
    case WatchdogFeeder::Verdict::kFeed:
      if (watchdog_withheld_) {
        LogInfo("systemd watchdog: the detector thread heartbeats again; feeding it again");
      }
      watchdog_withheld_ = false;
      notifier_.Watchdog();
      return;
    case WatchdogFeeder::Verdict::kWithhold:
      if (!watchdog_withheld_) {
        LogError("systemd watchdog: the detector thread has sent no heartbeat for %s (limit %s): "
                 "not feeding the watchdog, so that systemd restarts tachyd if it stays stuck",
                 FormatMillis(watchdog_->silent_for()), FormatMillis(watchdog_->stall_limit()));
      }
      watchdog_withheld_ = true;
      return;
  }
}

std::string Daemon::HaresourcesText() const {
  auto text = ReadConfigFile(options_.config_dir + "/haresources", false);
  return text.ok() ? *text : absl::StrCat("(unreadable: ", text.status().message(), ")");
}

std::string Daemon::Reload(absl::string_view why) {
  const std::string ident = absl::StrFormat("tachyd[%s]", config_.local_node);
  // The runner reopens its own logs and reads its log options again.
  if (actions_ && actions_->pid() > 0) kill(actions_->pid(), SIGHUP);
  auto fresh = LoadClusterConfig(options_.config_dir, options_.node);
  absl::Status valid = fresh.status();
  if (valid.ok()) valid = CheckAuthPolicy(*fresh, options_.allow_crc_on_udp, &fresh->ha.warnings);
  if (!valid.ok()) {
    // Files are reopened whatever else fails: logrotate must not lose lines.
    (void)InitLogging(MakeLogOptions(config_.ha, ident));
    LogError("%s: reload refused, the configuration in force stays: %s", why, valid.message());
    return nlohmann::json{{"ok", false}, {"error", std::string(valid.message())}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  ReloadContext context;
  const EngineSnapshot* snap = Snapshot(absl::Milliseconds(20), false);
  for (const Peer& p : snap->peers) {
    if (p.state == PeerState::kUp || p.state == PeerState::kLate) {
      context.slowest_peer_interval =
          std::max(context.slowest_peer_interval, absl::Microseconds(p.interval_us));
    }
  }
  if (hb_ != nullptr) {
    for (const HbPeerInfo& p : hb_->peers()) context.heartbeat_peers |= p.heartbeat;
  }
  context.haresources_changed = HaresourcesText() != haresources_;
  ReloadPlan plan = PlanReload(config_, *fresh, context);

  HaConfig logging = config_.ha;
  if (plan.log_changed) {
    logging.logfile = fresh->ha.logfile;
    logging.debugfile = fresh->ha.debugfile;
    logging.logfacility = fresh->ha.logfacility;
    logging.debug = fresh->ha.debug;
  }
  if (absl::Status s = InitLogging(MakeLogOptions(logging, ident)); !s.ok()) {
    if (plan.log_changed) {
      plan.applied.erase(plan.applied.begin());  // the logging line comes first
      plan.refused.push_back(absl::StrCat("logging: ", s.message()));
    }
    (void)InitLogging(MakeLogOptions(config_.ha, ident));
  } else {
    config_.ha.logfile = logging.logfile;
    config_.ha.debugfile = logging.debugfile;
    config_.ha.logfacility = logging.logfacility;
    config_.ha.debug = logging.debug;
  }
  config_.ha.initdead = engine_options_.initdead = plan.initdead;
  if (plan.timing_changed) {
    const uint64_t before = channel_->timing_applied.load(std::memory_order_acquire);
    channel_->SetTiming({plan.keepalive, plan.warntime, plan.deadtime});
    // Bounded: the detector thread takes it on the wake-up just requested.
    for (int i = 0; i < 200 && channel_->timing_applied.load(std::memory_order_acquire) == before;
         ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(250));
    }
    config_.ha.keepalive = engine_options_.keepalive = plan.keepalive;
    config_.ha.warntime = engine_options_.warntime = plan.warntime;
    config_.ha.deadtime = engine_options_.deadtime = plan.deadtime;
    if (hb_ != nullptr) hb_->SetTiming(plan.keepalive, plan.deadtime);
    control_->Publish(TimingMsg{absl::ToInt64Nanoseconds(plan.keepalive),
                                absl::ToInt64Nanoseconds(plan.warntime),
                                absl::ToInt64Nanoseconds(plan.deadtime)});
  }
  for (const std::string& line : plan.applied) LogInfo("%s: reload applied %s", why, line);
  for (const std::string& line : plan.refused) LogWarning("%s: reload refused %s", why, line);
  if (plan.applied.empty() && plan.refused.empty()) {
    LogInfo("%s: reload: nothing changed; log files reopened", why);
  }
  return nlohmann::json{{"ok", plan.refused.empty()},
                        {"applied", plan.applied},
                        {"refused", plan.refused}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

const EngineSnapshot* Daemon::Snapshot(absl::Duration wait, bool fresh) {
  if (!rt_thread_.joinable() || channel_->left.load(std::memory_order_acquire)) return &snapshot_;
  // A flood of status requests must not become a flood of wake-ups of the
  // detector thread: for status a snapshot younger than a millisecond is
  // fresh enough. A hello never takes one: it must reflect every event
  // numbered before it.
  if (!fresh && MonotonicNow() - snapshot_.taken < absl::Milliseconds(1)) return &snapshot_;
  const uint64_t before = channel_->snapshot_version.load(std::memory_order_acquire);
  channel_->RequestSnapshot();
  const MonoTime deadline = MonotonicNow() + wait;
  // Bounded: the real-time thread answers on its next wake-up, which the
  // request triggers; a stalled one leaves us with the previous snapshot,
  // good enough for status (its age is shown), not for a hello.
  bool answered = false;
  for (int i = 0; i < 1000 && MonotonicNow() < deadline && !answered; ++i) {
    answered = channel_->snapshot_version.load(std::memory_order_acquire) != before;
    if (!answered) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  if (!answered && fresh) return nullptr;
  absl::MutexLock lock(&channel_->snapshot_mu);
  snapshot_ = channel_->snapshot;
  return &snapshot_;
}

void Daemon::Publish(const DetectorEvent& e) {
  const std::string& peer = e.peer < peer_names_.size() ? peer_names_[e.peer] : "?";
  switch (e.kind) {
    case EventKind::kPeer: {
      // The runner first: a death must reach it before anything is formatted
      // for humans.
      PeerMsg m{e.t.nanos(), peer, ToWire(e.from), ToWire(e.to), e.generation,
                e.last_heard.nanos(), EventReason(e, engine_options_)};
      control_->Publish(m);
      control_->PublishWatchLine(WatchLineJson(m));
      if (e.peer < peer_states_.size()) peer_states_[e.peer] = e.to;
      const LogLevel level =
          e.to == PeerState::kDead || e.to == PeerState::kLate ? LogLevel::kWarning
                                                                : LogLevel::kInfo;
      Log(level, EventLogLine(e, engine_options_, peer));
      return;
    }
    case EventKind::kLink:
      control_->Publish(LinkMsg{e.t.nanos(), peer,
                                e.medium < engine_options_.media.size()
                                    ? engine_options_.media[e.medium]
                                    : "?",
                                e.up});
      LogInfo("%s", EventLogLine(e, engine_options_, peer));
      return;
    case EventKind::kAdvert:
      control_->Publish(PeerAdvertMsg{e.t.nanos(), peer, e.ad.data, e.ad.ready});
      if (hb_ != nullptr) {
        // Only tachy frames carry an advertisement: this peer speaks tachy.
        HeartbeatNode::Output out;
        hb_->MarkTachy(peer, &out);
        FlushHeartbeat(out);
      }
      return;
    case EventKind::kUnjudgedGap:
      LogWarning("%s", EventLogLine(e, engine_options_, peer));
      return;
  }
}

void Daemon::PublishEvents() {
  DetectorEvent e;
  while (channel_->events.TryPop(&e)) Publish(e);
  const uint64_t full = channel_->ring_full.load(std::memory_order_relaxed);
  if (full != ring_full_logged_) {
    // The stream can no longer tell the whole story: every reader starts
    // again from a hello (a fresh snapshot), so none acts on a picture
    // with a death missing.
    control_->DropEventClients();
    LogError("%d detector event(s) lost: the event ring was full (the control thread fell "
             "behind); event-stream readers were disconnected to resynchronise",
             full - ring_full_logged_);
    ring_full_logged_ = full;
  }
}

void Daemon::NoteLongStalls() {
  const uint64_t stalls = channel_->long_stalls.load(std::memory_order_relaxed);
  if (stalls == long_stalls_logged_) return;
  long_stalls_logged_ = stalls;
  LogWarning("the detector thread sent no heartbeat for more than half the deadtime (stalled "
             "or stopped; %d time(s) in all): the action runner lets go of everything then, so "
             "its advertisement is not vouched for until it speaks again",
             stalls);
}

void Daemon::OnActionsMessage(const StreamMessage& m) {
  if (const auto* ad = std::get_if<AdvertMsg>(&m.body)) {
    runner_holds_ = ad->holds;
    runner_ad_ = Advertisement{ad->data, ad->ready};
    channel_->SetAdvertisement(runner_ad_);
    channel_->Wake();  // sent at once in a frame of its own: a claim must not wait a keepalive
  } else if (const auto* hs = std::get_if<HbSendMsg>(&m.body)) {
    if (hb_ != nullptr) {
      std::vector<std::pair<std::string, std::string>> fields;
      for (const HbFieldMsg& f : hs->fields) fields.emplace_back(f.name, f.value);
      HeartbeatNode::Output out;
      hb_->Send(fields, MonotonicNow(), &out);
      FlushHeartbeat(out);
    }
  } else if (const auto* g = std::get_if<GroupsMsg>(&m.body)) {
    info_.groups_json = g->json;
    NoteGroups(g->json);
  } else if (const auto* t = std::get_if<TakeoverMsg>(&m.body)) {
    activity_.OnTakeover(*t);
    control_->PublishWatchLine(TakeoverLineJson(*t, config_.local_node));
  } else if (const auto* mon = std::get_if<MonitorMsg>(&m.body)) {
    activity_.OnMonitor(*mon);
    control_->PublishWatchLine(
        nlohmann::json{{"type", "monitor"}, {"t_ns", mon->t_ns}, {"node", config_.local_node},
                       {"group", mon->group}, {"resource", mon->resource}, {"what", mon->what},
                       {"action", mon->action}}
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } else if (const auto* c = std::get_if<ArpConflictMsg>(&m.body)) {
    activity_.OnArpConflict(*c);
    control_->PublishWatchLine(
        nlohmann::json{{"type", "arp_conflict"}, {"t_ns", c->t_ns}, {"ip", c->ip},
                       {"mac", c->mac}, {"iface", c->iface}}
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

void Daemon::FlushHeartbeat(HeartbeatNode::Output& out) {
  for (const std::string& datagram : out.send) {
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(datagram.data()),
                                         datagram.size());
    // A UDP transport's Send() is one sendto() on its socket and touches no
    // other state, so this thread may use it beside the detector thread.
    for (size_t i : udp_media_) (void)media_[i]->Send(bytes);
  }
  bool wake = false;
  for (const HbStatusSeen& st : out.status) {
    const ForeignStatus f{static_cast<uint16_t>(st.peer), static_cast<uint16_t>(st.medium),
                          st.leave, st.generation, st.deadtime, st.rx_time};
    if (!channel_->hb_status.TryPush(f)) {
      LogWarning("Heartbeat status of %s not handed to the detector: its ring is full",
                 st.peer < peer_names_.size() ? peer_names_[st.peer] : "?");
    }
    wake = true;
  }
  if (wake) channel_->Wake();
  // Who speaks Heartbeat first: the runner acts on a peer's messages only
  // once it knows.
  AnnounceHeartbeatPeers(false);
  for (HbDelivery& d : out.deliver) {
    HbMessageMsg m{d.node, d.generation, true, {}};
    for (auto& [name, value] : d.fields) m.fields.push_back({std::move(name), std::move(value)});
    control_->Publish(m);
  }
  for (auto& [level, line] : out.log) Log(level, line);
  out = HeartbeatNode::Output();
}

void Daemon::AnnounceHeartbeatPeers(bool all) {
  if (hb_ == nullptr) return;
  const std::vector<HbPeerInfo>& peers = hb_->peers();
  for (size_t i = 0; i < peers.size() && i < hb_announced_.size(); ++i) {
    const std::pair<bool, uint64_t> now{peers[i].heartbeat, peers[i].generation};
    if (!all && hb_announced_[i] == now) continue;
    if (!all || peers[i].heartbeat) {
      control_->Publish(HbMessageMsg{peers[i].name, peers[i].generation, peers[i].heartbeat, {}});
    }
    hb_announced_[i] = now;
  }
}

void Daemon::ServeHeartbeat(MonoTime now) {
  if (hb_ == nullptr) return;
  HeartbeatNode::Output out;
  HbDatagram d;
  // Bounded: the ring holds at most 64.
  for (int i = 0; i < 64 && channel_->hb_in.TryPop(&d); ++i) {
    hb_->OnDatagram(std::span<const uint8_t>(d.bytes.data(), d.size), d.medium, d.rx_time, now,
                    &out);
  }
  hb_->Advance(now, &out);
  FlushHeartbeat(out);
  const uint64_t dropped = channel_->hb_in_dropped.load(std::memory_order_relaxed);
  if (dropped != hb_dropped_logged_) {
    LogWarning("%d Heartbeat message(s) dropped: the control thread fell behind",
               dropped - hb_dropped_logged_);
    hb_dropped_logged_ = dropped;
  }
  info_.heartbeat_json = HeartbeatStatusJson(*hb_);
}

bool Daemon::ReadyToLeave(MonoTime now) {
  if (!leaving_) return false;
  switch (DecideLeave(control_->actions_connected(), runner_holds_, leave_forced_, now,
                      leave_deadline_)) {
    case LeaveDecision::kLeave:
      return true;
    case LeaveDecision::kWait:
      return false;
    case LeaveDecision::kBlocked:
      // Announcing a clean leave now would have the peer start a group whose
      // resource may still run here (its stop hangs or failed). So tachyd
      // stays, heartbeating, and says why until someone decides.
      if (now >= next_leave_warning_) {
        LogError("cannot leave cleanly: the action runner still holds resource groups %s after "
                 "the shutdown began (a stop hangs or failed; see its log). Stop the resource by "
                 "hand, then send SIGTERM again to leave (peers then take over)",
                 FormatMillis(now - (leave_deadline_ - options_.leave_timeout)));
        next_leave_warning_ = now + absl::Seconds(60);
      }
      return false;
  }
  return false;
}

void Daemon::RememberPeers(MonoTime now) {
  if (now - memory_checked_ < absl::Seconds(1)) return;
  memory_checked_ = now;
  const EngineSnapshot* snap = Snapshot(absl::Milliseconds(20), false);
  std::vector<RememberedPeer> peers;
  for (const Peer& p : snap->peers) {
    RememberedPeer r;
    r.node = p.name;
    r.generation = std::max(p.generation, p.min_generation);
    r.offset_known = p.offset_known && p.offset_generation == r.generation;
    r.clock_offset = p.clock_offset;
    if (r.generation == 0) continue;  // never heard, nothing remembered
    peers.push_back(std::move(r));
  }
  if (!PeerMemoryNeedsWrite(memory_, memory_written_, peers, now)) return;
  if (absl::Status s = WritePeerMemory(options_.state_dir, peers); !s.ok()) {
    LogError("cannot remember the peers' generations: %s (after a restart, recordings of "
             "their older frames would be accepted)", s.message());
    return;
  }
  memory_ = std::move(peers);
  memory_written_ = now;
}

void Daemon::NoteAuthFailures(MonoTime now) {
  // Four looks a second: a wrong key is in the log within a second of its
  // first frame, and at most one line per peer, medium and second follows.
  if (now - auth_checked_ < absl::Milliseconds(250)) return;
  auth_checked_ = now;
  const EngineSnapshot* snap = Snapshot(absl::Milliseconds(20), false);
  for (const std::string& line : auth_alarm_.Check(snap->peers, engine_options_.media, now)) {
    LogError("%s", line);
  }
}

void Daemon::ControlLoop() {
  // A flood of status requests costs at most one rendering per
  // millisecond: within it, the document last rendered is answered again.
  std::string last_status;
  MonoTime last_status_at;
  const auto status = [&] {
    const MonoTime now = MonotonicNow();
    if (!last_status.empty() && now - last_status_at < absl::Milliseconds(1)) return last_status;
    info_.log_lines_dropped = LogLinesDropped();
    info_.control_accept_failures = control_->accept_failures();
    info_.control_refused = control_->refused_connections();
    info_.event_messages_ignored = control_->ignored_messages();
    activity_.SetRequests(control_->forwarded_requests());
    last_status = StatusJson(engine_options_, started_, *Snapshot(absl::Milliseconds(20), false),
                             now, info_);
    last_status_at = now;
    return last_status;
  };
  const auto hello = [&] {
    PublishEvents();  // everything before the snapshot is numbered before it
    const EngineSnapshot* snap = Snapshot(absl::Milliseconds(20), true);
    return snap == nullptr ? std::nullopt
                           : std::optional<HelloMsg>(MakeHello(engine_options_, *snap));
  };
  for (;;) {
    epoll_event ready[16];
    // Nothing here is periodic but request timeouts and the runner's
    // restart (both in seconds): the pulse is the detector thread's own.
    int timeout_ms = kControlPulseMs;
    if (watchdog_ != nullptr) {
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(watchdog_->next_due() - MonotonicNow()) + 1, 0, timeout_ms));
    }
    if (metrics_ != nullptr && metrics_->busy()) timeout_ms = std::min(timeout_ms, 10);
    if (hb_ != nullptr) {
      // Heartbeat's timers (status, retransmission requests) are the only
      // ones here finer than that.
      const MonoTime next = hb_->NextWakeup();
      if (next != kHbNever) {
        timeout_ms = static_cast<int>(std::clamp<int64_t>(
            absl::ToInt64Milliseconds(next - MonotonicNow()) + 1, 0, timeout_ms));
      }
    }
    const int n = epoll_wait(epoll_.get(), ready, 16, timeout_ms);
    if (n < 0 && errno != EINTR) {
      LogError("epoll_wait: %s", strerror(errno));
      std::abort();  // post-init invariant: fail-stop, peers take over
    }
    const MonoTime now = MonotonicNow();
    bool control_ready = false, signals_ready = false, metrics_ready = false;
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      metrics_ready = metrics_ready || (metrics_ != nullptr && fd == metrics_->fd());
      control_ready = control_ready || fd == control_->fd();
      signals_ready = signals_ready || fd == signals_.get();
      if (fd == channel_->events_ready.get()) {
        uint64_t count;
        [[maybe_unused]] ssize_t r = read(fd, &count, sizeof(count));
      }
    }
    PublishEvents();
    ServeHeartbeat(now);
    NoteLongStalls();
    const int failing = channel_->media_send_failing.load(std::memory_order_relaxed);
    for (size_t i = 0; i < media_.size(); ++i) {
      const bool was = send_failing_ >> i & 1, is = failing >> i & 1;
      if (is && !was) LogWarning("%s: cannot send heartbeats", media_[i]->name());
      if (was && !is) LogInfo("%s: sending again", media_[i]->name());
    }
    send_failing_ = failing;
    // Only the runner we started may speak for this node on the event stream.
    control_->set_runner_pid(actions_ ? actions_->pid() : -1);
    if (control_ready || control_->has_deadlines()) {
      control_->Process(status, hello, [&](const StreamMessage& m) { OnActionsMessage(m); });
      bool new_readers = false;
      for (UniqueFd& fd : control_->TakeNewEventClients()) {
        // The detector thread ticks each reader itself; if it cannot take
        // another, this reader hears no ticks and reconnects.
        if (channel_->tick_targets.TryPush(fd.get())) (void)fd.release();
        new_readers = true;
      }
      // The hello has no word on Heartbeat peers: say it after it.
      if (new_readers) AnnounceHeartbeatPeers(true);
    }
    if (metrics_ != nullptr && (metrics_ready || metrics_->busy())) {
      metrics_->Process(now, [&] {
        auto text = PrometheusText(status());
        return text.ok() ? *text : absl::StrCat("# ", text.status().message(), "\n");
      });
    }
    const bool connected = control_->actions_connected();
    if (info_.actions_connected && !connected && runner_ad_.ready) {
      // Keep advertising what it held (it may still run), but not readiness.
      runner_ad_.ready = false;
      channel_->SetAdvertisement(runner_ad_);
    }
    info_.actions_connected = connected;
    if (actions_ && !leaving_) actions_->Tick(now);
    RememberPeers(now);
    NoteAuthFailures(now);
    NotifySystemd(now);
    if (channel_->left.load(std::memory_order_acquire) && !leaving_) {
      LogError("the detector thread stopped (epoll: %s): stopping so that peers take over",
               strerror(rt_result_.load()));
      std::abort();
    }
    for (int sig; signals_ready && (sig = ReadPendingSignal(signals_.get())) != 0;) {
      if (sig == SIGHUP) {
        (void)Reload("SIGHUP");
        continue;
      }
      if (sig == SIGCHLD) {
        if (actions_) actions_->Reap(now);
        continue;
      }
      if (leaving_) {
        if (!leave_forced_) {
          LogWarning("%s again: leaving now, whatever the action runner still holds",
                     strsignal(sig));
        }
        leave_forced_ = true;
        continue;
      }
      leaving_ = true;
      notifier_.Stopping(absl::StrCat(strsignal(sig), ": releasing groups and leaving"));
      leave_deadline_ = now + options_.leave_timeout;
      next_leave_warning_ = leave_deadline_;
      if (control_->actions_connected() && runner_holds_) {
        // Heartbeat's clean shutdown: release every group, then leave, so the
        // peer takes over from a node that no longer holds anything.
        LogInfo("%s: releasing resource groups before leaving", strsignal(sig));
        control_->Publish(RequestMsg{0, "shutdown", "all"});
      } else {
        LogInfo("%s: stopping", strsignal(sig));
      }
    }
    if (ReadyToLeave(now)) {
      LogInfo("announcing a clean shutdown to peers and stopping");
      if (hb_ != nullptr && hb_->active()) {
        // Heartbeat's own last word: everything is released, take over now.
        HeartbeatNode::Output out;
        hb_->SendShutdone(now, &out);
        FlushHeartbeat(out);
      }
      channel_->RequestLeave();
      rt_thread_.join();
      PublishEvents();
      if (actions_) actions_->Stop(absl::Seconds(5));
      return;
    }
  }
}

int Daemon::Run() {
  if (absl::Status s = Setup(); !s.ok()) {
    if (absl::IsCancelled(s)) {
      LogInfo("stopped before starting: %s", s.message());
      return 0;
    }
    LogError("cannot start: %s", s.message());
    return 1;
  }
  if (notifier_.watchdog_timeout() > absl::ZeroDuration()) {
    watchdog_ = std::make_unique<WatchdogFeeder>(
        notifier_.watchdog_timeout(), config_.ha.keepalive, config_.ha.deadtime,
        absl::Milliseconds(kControlPulseMs), MonotonicNow());
    LogInfo("systemd watchdog: WatchdogSec %s, fed every %s while the detector thread "
            "heartbeats (withheld once it has been silent for %s)",
            FormatMillis(notifier_.watchdog_timeout()), FormatMillis(watchdog_->interval()),
            FormatMillis(watchdog_->stall_limit()));
  }
  ControlLoop();
  return 0;
}

}  // namespace

int RunCheck(const DaemonOptions& options, const ClusterConfig& config) {
  for (const std::string& w : config.ha.warnings) std::fprintf(stderr, "tachyd: %s\n", w.c_str());
  for (const std::string& w : HeartbeatPeerWarnings(config)) {
    std::fprintf(stderr, "tachyd: %s\n", w.c_str());
  }
  const std::vector<std::string> missing = MediaInterfaceProblems(config);
  for (const std::string& m : missing) {
    std::fprintf(stderr, "tachyd: %s%s\n", options.strict ? "error: " : "", m.c_str());
  }
  std::fputs(EffectiveConfiguration(config).c_str(), stdout);
  int rc = options.strict && !missing.empty() ? 2 : 0;
  if (!options.no_actions) {
    // haresources, its scripts and addresses are the runner's to judge: its
    // own --check, with the same directory and node.
    const std::string program =
        options.actions_path.empty() ? FindSiblingProgram("tachy-actions") : options.actions_path;
    std::fflush(stdout);
    const absl::StatusOr<int> actions = RunAndWait(
        {program, "-c", options.config_dir, "--node", config.local_node, "--check"});
    if (!actions.ok()) {
      std::fprintf(stderr, "tachyd: %s\n", std::string(actions.status().message()).c_str());
      rc = 2;
    } else if (*actions != 0) {
      std::fprintf(stderr, "tachyd: %s --check failed (exit %d): see above\n", program.c_str(),
                   *actions);
      rc = 2;
    }
  }
  if (rc == 0) std::printf("configuration OK: %s\n", DescribeConfig(config).c_str());
  return rc;
}

int RunDaemon(const DaemonOptions& options) {
  auto config = LoadClusterConfig(options.config_dir, options.node);
  if (!config.ok()) {
    std::fprintf(stderr, "tachyd: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (absl::Status s = CheckAuthPolicy(*config, options.allow_crc_on_udp, &config->ha.warnings);
      !s.ok()) {
    std::fprintf(stderr, "tachyd: %s/%s\n", options.config_dir.c_str(),
                 std::string(s.message()).c_str());
    return 2;
  }
  if (options.check) return RunCheck(options, *config);
  const LogOptions log =
      MakeLogOptions(config->ha, absl::StrFormat("tachyd[%s]", config->local_node));
  if (absl::Status s = InitLogging(log); !s.ok()) {
    std::fprintf(stderr, "tachyd: %s/ha.cf: %s\n", options.config_dir.c_str(),
                 std::string(s.message()).c_str());
    return 2;
  }
  for (const std::string& w : config->ha.warnings) LogWarning("%s", w);
  // From here no thread of ours waits for a log destination (a full pipe, a
  // slow journald): lines queue for a writer thread, or are dropped and
  // counted.
  // Our threads allocate little (the detector thread nothing in steady
  // state): one malloc arena for all of them rather than one each.
  mallopt(M_ARENA_MAX, 1);
  // Before any thread exists (the log writer, the detector, the workers):
  // every thread inherits the mask, so only our signalfd ever sees these.
  BlockDaemonSignals();
  StartAsyncLogging();
  int rc;
  {
    Daemon daemon(options, *std::move(config));
    rc = daemon.Run();
  }
  StopAsyncLogging();
  return rc;
}

}  // namespace tachy
