#include "detector/daemon.h"

#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "detector/auth.h"
#include "detector/config.h"
#include "detector/control_server.h"
#include "detector/engine.h"
#include "detector/generation.h"
#include "detector/log.h"
#include "detector/status_json.h"
#include "detector/supervisor.h"
#include "detector/transport.h"
#include "detector/unique_fd.h"

#ifndef TACHY_VERSION
#define TACHY_VERSION "dev"
#endif

namespace tachy {
namespace {

// Heartbeat's `realtime on`: SCHED_FIFO and every page locked, so neither the
// scheduler nor paging delays a heartbeat. Returns a note when refused.
std::string EnterRealtime(int rtprio) {
  const int lo = sched_get_priority_min(SCHED_FIFO);
  const int hi = sched_get_priority_max(SCHED_FIFO);
  sched_param param{};
  param.sched_priority = rtprio > 0 ? std::clamp(rtprio, lo, hi) : (lo + hi) / 2;
  std::string note;
  // Reset-on-fork: the action runner and the scripts it starts must not
  // inherit real-time priority.
  if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) {
    note = absl::StrFormat("SCHED_FIFO priority %d refused: %s", param.sched_priority,
                           strerror(errno));
  }
  // MCL_ONFAULT: lock each page once it is touched, instead of every page
  // of every mapped library up front (which would triple the RSS for pages
  // the detector never uses).
  if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0) {
    absl::StrAppend(&note, note.empty() ? "" : "; ", "mlockall refused: ", strerror(errno));
  }
  if (note.empty()) {
    LogInfo("realtime: SCHED_FIFO priority %d, memory locked", param.sched_priority);
  } else {
    LogWarning("realtime requested but not fully in force: %s (detection may suffer from "
               "scheduling stalls)",
               note);
  }
  return note;
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

class Daemon {
 public:
  Daemon(const DaemonOptions& options, ClusterConfig config)
      : options_(options), config_(std::move(config)) {}

  int Run();

 private:
  absl::Status Setup();
  void Loop();
  void SendHeartbeat(std::span<const uint8_t> frame);
  void Flush();
  void OnActionsMessage(const std::string& text);
  bool ReadyToLeave(MonoTime now);

  DaemonOptions options_;
  ClusterConfig config_;
  UniqueFd state_lock_;
  uint64_t generation_ = 0;
  std::unique_ptr<KeyRing> keys_;
  std::vector<std::unique_ptr<Transport>> media_;
  std::vector<bool> send_failing_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ControlServer> control_;
  UniqueFd epoll_, signals_;
  bool batch_rx_ = false;
  DaemonInfo info_;
  std::unique_ptr<Supervisor> actions_;
  bool leaving_ = false;
  MonoTime leave_deadline_;
};

absl::Status Daemon::Setup() {
  auto lock = LockStateDir(options_.state_dir);
  if (!lock.ok()) return lock.status();
  state_lock_ = std::move(*lock);
  auto generation = BumpGeneration(options_.state_dir);
  if (!generation.ok()) return generation.status();
  generation_ = *generation;

  auto keys = KeyRing::Create(config_.auth);
  if (!keys.ok()) return keys.status();
  keys_ = std::make_unique<KeyRing>(std::move(*keys));

  std::vector<std::string> names;
  for (const MediumConfig& m : config_.ha.media) {
    auto t = OpenTransport(m);
    if (!t.ok()) return t.status();
    names.push_back((*t)->name());
    media_.push_back(std::move(*t));
  }
  send_failing_.assign(media_.size(), false);

  const std::string event_path =
      options_.event_socket.empty() ? options_.socket + ".events" : options_.event_socket;
  auto control = ControlServer::Listen(options_.socket, event_path);
  if (!control.ok()) return control.status();
  control_ = std::move(*control);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signals_ = UniqueFd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!signals_.valid() || !epoll_.valid()) {
    return absl::ErrnoToStatus(errno, "create signalfd/epoll");
  }
  auto watch = [&](int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    return epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  // At keepalive <= 2 ms the send timer wakes us at least that often and
  // every wake drains all media first, so waking for each received frame
  // too would double the wake-ups for nothing: deadlines are judged by the
  // kernel's receive timestamps, and a peer coming up is reported at most one
  // keepalive later.
  batch_rx_ = config_.ha.keepalive <= absl::Milliseconds(2);
  if (!batch_rx_) {
    for (auto& m : media_) watch(m->fd());
  }
  watch(signals_.get());
  watch(control_->fd());

  info_.version = TACHY_VERSION;
  info_.pid = getpid();
  if (config_.ha.realtime) {
    info_.realtime_note = EnterRealtime(config_.ha.rtprio);
    info_.realtime = info_.realtime_note.empty();
  }
  engine_ = std::make_unique<Engine>(
      EngineOptions::FromConfig(config_, generation_, std::move(names)), *keys_, MonotonicNow());
  LogInfo("started: generation %d, %s; control socket %s, event socket %s", generation_,
          DescribeConfig(config_), options_.socket, event_path);
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

void Daemon::SendHeartbeat(std::span<const uint8_t> frame) {
  for (size_t i = 0; i < media_.size(); ++i) {
    const absl::Status s = media_[i]->Send(frame);
    // Log the change, not every failed keepalive.
    if (!s.ok() && !send_failing_[i]) LogWarning("cannot send heartbeats: %s", s.message());
    if (s.ok() && send_failing_[i]) LogInfo("%s: sending again", media_[i]->name());
    send_failing_[i] = !s.ok();
  }
}

void Daemon::OnActionsMessage(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return;
  const std::string type = j.value("type", "");
  if (type == "advertise") {
    Advertisement ad;
    ad.held = j.value("held", uint32_t{0});
    ad.wants = j.value("wants", uint16_t{0});
    ad.declines = j.value("declines", uint16_t{0});
    ad.digest = j.value("digest", uint32_t{0});
    ad.ready = j.value("ready", false);
    engine_->set_advertisement(ad);
  } else if (type == "groups" && j.contains("groups")) {
    info_.groups_json = j["groups"].dump();
  }
}

bool Daemon::ReadyToLeave(MonoTime now) {
  if (!leaving_) return false;
  if (engine_->advertisement().held == 0 || !control_->actions_connected()) return true;
  if (now > leave_deadline_) {
    LogError("action runner still holds groups after %s; leaving anyway",
             FormatMillis(absl::Seconds(150)));
    return true;
  }
  return false;
}

void Daemon::Flush() {
  for (const AdEvent& e : engine_->TakeAdEvents()) control_->Publish(e);
  for (const Notice& n : engine_->TakeNotices()) LogWarning("%s", n.text);
  for (const PeerEvent& e : engine_->TakeEvents()) {
    const LogLevel level = e.to == PeerState::kDead   ? LogLevel::kWarning
                           : e.to == PeerState::kLate ? LogLevel::kWarning
                                                      : LogLevel::kInfo;
    Log(level, absl::StrFormat("node %s %s -> %s: %s", e.node, PeerStateName(e.from),
                               PeerStateName(e.to), e.reason));
    control_->Publish(e);
  }
  for (const LinkEvent& e : engine_->TakeLinkEvents()) {
    LogInfo("link %s to node %s is %s", e.medium, e.node, e.up ? "up" : "dead");
    control_->Publish(e);
  }
}


void Daemon::Loop() {
  const auto status = [&] { return StatusJson(*engine_, MonotonicNow(), info_); };
  const auto hello = [&] { return HelloMessageJson(*engine_, control_->last_seq()); };
  MonoTime wake = engine_->NextWakeup();
  for (;;) {
    epoll_event ready[16];
    // epoll_pwait2's nanosecond timeout replaces a timerfd: no re-arm and no
    // read per wake-up (two system calls less each keepalive).
    const int64_t wait_ns = std::max<int64_t>(0, (wake - MonotonicNow()) / absl::Nanoseconds(1));
    const timespec timeout{static_cast<time_t>(wait_ns / 1'000'000'000),
                           static_cast<long>(wait_ns % 1'000'000'000)};
    const int n = epoll_pwait2(epoll_.get(), ready, 16, &timeout, nullptr);
    if (n < 0 && errno != EINTR) {
      LogError("epoll_wait: %s", strerror(errno));
      std::abort();  // post-init invariant: fail-stop, peers take over
    }
    MonoTime now = MonotonicNow();
    bool control_ready = false, signals_ready = false;
    for (int i = 0; i < n; ++i) {
      control_ready = control_ready || ready[i].data.fd == control_->fd();
      signals_ready = signals_ready || ready[i].data.fd == signals_.get();
    }
    const bool judging = now >= wake;
    // Before judging any deadline, drain every medium (design.md); otherwise
    // only the ones that woke us. Each costs at least one system call.
    for (size_t i = 0; i < media_.size(); ++i) {
      bool readable = judging;
      for (int k = 0; k < n && !readable; ++k) readable = ready[k].data.fd == media_[i]->fd();
      if (!readable) continue;
      media_[i]->Drain([&](std::span<const uint8_t> payload, MonoTime rx) {
        engine_->OnFrame(i, payload, rx, now);
      });
    }
    if (judging) {
      if (engine_->Advance(now, now - wake)) SendHeartbeat(engine_->NextHeartbeat(now));
      wake = engine_->NextWakeup();
    }
    Flush();
    if (control_ready || control_->has_pending_requests()) {
      control_->Process(status, hello, [&](const std::string& m) { OnActionsMessage(m); });
    }
    info_.actions_connected = control_->actions_connected();
    if (!info_.actions_connected && engine_->advertisement().ready) {
      // Keep advertising what it held (it may still run), but not readiness.
      Advertisement ad = engine_->advertisement();
      ad.ready = false;
      engine_->set_advertisement(ad);
    }
    if (actions_ && !leaving_) actions_->Tick(now);
    signalfd_siginfo si;
    while (signals_ready && read(signals_.get(), &si, sizeof(si)) == sizeof(si)) {
      if (si.ssi_signo == SIGHUP) {
        LogWarning("SIGHUP: configuration reload is not supported; restart tachyd to apply "
                   "changes");
        continue;
      }
      if (si.ssi_signo == SIGCHLD) {
        if (actions_) actions_->Reap(now);
        continue;
      }
      if (leaving_) continue;
      leaving_ = true;
      leave_deadline_ = now + absl::Seconds(150);
      if (control_->actions_connected() && engine_->advertisement().held != 0) {
        // Heartbeat's clean shutdown: release every group, then leave, so the
        // peer takes over from a node that no longer holds anything.
        LogInfo("%s: releasing resource groups before leaving", strsignal(si.ssi_signo));
        control_->Broadcast(R"({"type":"request","what":"shutdown","id":0})");
      } else {
        LogInfo("%s: stopping", strsignal(si.ssi_signo));
      }
    }
    if (ReadyToLeave(now)) {
      LogInfo("announcing a clean shutdown to peers and stopping");
      SendHeartbeat(engine_->LeaveFrame(MonotonicNow()));
      if (actions_) actions_->Stop(absl::Seconds(5));
      return;
    }
  }
}

int Daemon::Run() {
  if (absl::Status s = Setup(); !s.ok()) {
    LogError("cannot start: %s", s.message());
    return 1;
  }
  Loop();
  return 0;
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  auto config = LoadClusterConfig(options.config_dir, options.node);
  if (!config.ok()) {
    std::fprintf(stderr, "tachyd: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  if (options.check) {
    for (const std::string& w : config->ha.warnings) std::fprintf(stderr, "tachyd: %s\n", w.c_str());
    std::printf("configuration OK: %s\n", DescribeConfig(*config).c_str());
    return 0;
  }
  const LogOptions log =
      MakeLogOptions(config->ha, absl::StrFormat("tachyd[%s]", config->local_node));
  if (absl::Status s = InitLogging(log); !s.ok()) {
    std::fprintf(stderr, "tachyd: %s/ha.cf: %s\n", options.config_dir.c_str(),
                 std::string(s.message()).c_str());
    return 2;
  }
  for (const std::string& w : config->ha.warnings) LogWarning("%s", w);
  Daemon daemon(options, *std::move(config));
  return daemon.Run();
}

}  // namespace tachy
