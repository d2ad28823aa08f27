#include "actions/runner.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "actions/haresources.h"
#include "actions/job_worker.h"
#include "actions/netlink_address.h"
#include "actions/ownership.h"
#include "actions/tachyd_link.h"
#include "arp/arp_watcher.h"
#include "arp/garp.h"
#include "detector/config.h"
#include "detector/engine.h"
#include "detector/frame.h"
#include "detector/log.h"
#include "detector/mono_time.h"
#include "detector/unique_fd.h"

namespace tachy {
namespace {

using nlohmann::json;

enum class GroupState { kStopped, kStarting, kRunning, kStopping, kFailed };

const char* GroupStateName(GroupState s) {
  switch (s) {
    case GroupState::kStopped: return "stopped";
    case GroupState::kStarting: return "starting";
    case GroupState::kRunning: return "running";
    case GroupState::kStopping: return "stopping";
    case GroupState::kFailed: return "failed";
  }
  return "?";
}

struct Vip {
  std::string ip;
  std::string iface;
  int prefix_len = 32;
  std::string broadcast;
  std::string label;
};

struct Group {
  ResourceGroup spec;
  std::vector<std::unique_ptr<ResourceAgent>> agents;  // null for addresses
  std::vector<std::optional<Vip>> vips;                // per resource
  GroupState state = GroupState::kStopped;
  bool failed_held = false;  // failed to stop: may still run, so stay held
  bool busy = false;         // a job is queued or running
  MonoTime retry_after;
  std::string last_action = "none";
  absl::Duration last_duration;
  uint64_t arp_conflicts = 0;
  bool shared = false;  // a live peer holds it too (split brain in progress)
};

struct PeerView {
  std::string state = "init";
  MonoTime alive_since;  // when it last became up
  GroupMask held = 0, wants = 0, declines = 0;
  uint32_t digest = 0;
  bool ready = false;
};

struct PendingGarp {
  std::string ip, iface;
  int remaining = 0;
  MonoTime next;
};

std::string Ms(absl::Duration d) { return FormatMillis(d); }

// Each thread keeps its own libnet handles: they are not thread-safe.
absl::StatusOr<GarpSender*> SenderFor(std::map<std::string, std::unique_ptr<GarpSender>>& cache,
                                      const std::string& iface) {
  auto it = cache.find(iface);
  if (it != cache.end()) return it->second.get();
  auto s = GarpSender::Open(iface);
  if (!s.ok()) return s.status();
  return (cache[iface] = std::move(*s)).get();
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
      groups_.push_back(std::move(g));
    }
    uint32_t h = 2166136261u;
    for (const auto& g : groups_) {
      for (char c : absl::StrCat(g->spec.preferred_node, " ", g->spec.key, "\n")) {
        h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
      }
    }
    digest_ = h;
  }

  absl::Status Prepare();
  int Run();

 private:
  // Loop plumbing.
  void OnMessage(const std::string& text);
  void Reevaluate();
  void Advertise(bool force);
  void SendGroups();
  void StartTake(size_t g, const std::string& why);
  void StartRelease(size_t g, const std::string& why);
  void OnJobDone(size_t g, bool take, bool ok, bool held_anyway, std::vector<std::string> steps,
                 std::string error, absl::Duration took, std::string why);
  void SendDueGarps(MonoTime now);
  void WatchArp(const std::string& iface);
  void DrainArp(size_t i);
  void HandleRequest(const json& j);
  GroupMask HeldMask() const;
  absl::Duration LostTachydGrace() const { return config_.ha.deadtime / 2; }
  void Probe();
  void NoteJoin(uint64_t generation);

  RunnerOptions options_;
  ClusterConfig config_;
  std::vector<std::unique_ptr<Group>> groups_;
  uint32_t digest_ = 0;
  TachydLink link_;
  std::map<std::string, PeerView> peers_;
  GroupMask wants_ = 0, declines_ = 0;
  bool probed_ = false;
  bool shutting_down_ = false;  // tachyd is stopping: release all, take nothing
  pid_t parent_ = getppid();
  bool orphaned_ = false;
  MonoTime orphaned_since_;
  MonoTime disconnected_since_;
  bool released_for_lost_tachyd_ = false;
  std::string last_advert_, last_groups_;
  MonoTime last_advert_time_;
  std::vector<PendingGarp> garps_;
  std::map<std::string, std::unique_ptr<GarpSender>> main_senders_;
  std::map<std::string, std::unique_ptr<GarpSender>> worker_senders_;  // worker thread only
  std::vector<std::pair<std::string, std::unique_ptr<ArpWatcher>>> watchers_;
  std::map<std::string, MonoTime> conflict_logged_;
  UniqueFd epoll_, signals_;
  std::unique_ptr<JobWorker> worker_;  // last: joined before the groups go
};

absl::Status Runner::Prepare() {
  if (groups_.size() > kMaxGroups) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "haresources has %d groups; tachy supports at most %d", groups_.size(), kMaxGroups));
  }
  const std::string file = config_.config_dir + "/haresources";
  for (auto& g : groups_) {
    for (const Resource& r : g->spec.resources) {
      if (r.kind == Resource::Kind::kIpAddr) {
        Vip v;
        v.ip = r.vip.ip;
        v.iface = r.vip.iface;
        v.prefix_len = r.vip.prefix_len;
        v.broadcast = r.vip.broadcast;
        v.label = r.vip.label;
        if (v.iface.empty() || v.prefix_len < 0) {
          auto route = FindCoveringRoute(v.ip);
          if (!route.ok()) {
            return absl::InvalidArgumentError(absl::StrFormat(
                "%s:%d: %s: %s", file, g->spec.line, r.token, route.status().message()));
          }
          if (v.iface.empty()) v.iface = route->iface;
          if (v.prefix_len < 0) v.prefix_len = route->prefix_len;
        }
        g->vips.push_back(v);
        g->agents.push_back(nullptr);
      } else {
        auto agent = MakeResourceAgent(r, options_.dirs);
        if (!agent.ok()) {
          return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s: %s", file, g->spec.line,
                                                            r.token, agent.status().message()));
        }
        g->agents.push_back(std::move(*agent));
        g->vips.push_back(std::nullopt);
      }
    }
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  signals_ = UniqueFd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  epoll_ = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  worker_ = std::make_unique<JobWorker>();
  auto watch = [&](int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  watch(signals_.get());
  watch(worker_->fd());
  return absl::OkStatus();
}

// After a runner restart, what runs is whatever the previous runner left:
// find it, so the service is neither interrupted nor started twice.
void Runner::Probe() {
  for (auto& g : groups_) {
    std::vector<std::string> found;
    for (size_t i = 0; i < g->agents.size(); ++i) {
      if (g->vips[i]) {
        if (InterfaceWithAddress(g->vips[i]->ip).ok()) found.push_back(g->spec.resources[i].token);
      } else if (g->agents[i]->Status(options_.stop_timeout) == ResourceStatus::kRunning) {
        found.push_back(g->spec.resources[i].token);
      }
    }
    if (!found.empty()) {
      g->state = GroupState::kRunning;
      g->last_action = "found running at start-up";
      LogInfo("group %s: found running here (%s): holding it", g->spec.key,
              absl::StrJoin(found, ", "));
      for (const auto& v : g->vips) {
        if (v) WatchArp(v->iface);
      }
    }
  }
  probed_ = true;
}

GroupMask Runner::HeldMask() const {
  GroupMask m = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const Group& gr = *groups_[g];
    const bool held = gr.state == GroupState::kStarting || gr.state == GroupState::kRunning ||
                      gr.state == GroupState::kStopping ||
                      (gr.state == GroupState::kFailed && gr.failed_held);
    if (held) m |= GroupMask{1} << g;
  }
  return m;
}

void Runner::Advertise(bool force) {
  const json j{{"type", "advertise"}, {"held", HeldMask()}, {"wants", wants_},
               {"declines", declines_}, {"digest", digest_}, {"ready", probed_}};
  const std::string text = j.dump();
  const MonoTime now = MonotonicNow();
  if (!force && text == last_advert_ && now - last_advert_time_ < absl::Seconds(1)) return;
  if (link_.Send(text)) {
    last_advert_ = text;
    last_advert_time_ = now;
  }
}

void Runner::SendGroups() {
  json groups = json::array();
  for (size_t g = 0; g < groups_.size(); ++g) {
    const Group& gr = *groups_[g];
    std::string owner;
    if (HeldMask() >> g & 1) owner = config_.local_node;
    for (const auto& [name, p] : peers_) {
      if ((p.state == "up" || p.state == "late") && (p.held >> g & 1)) {
        owner = owner.empty() ? name : absl::StrCat(owner, ",", name);
      }
    }
    groups.push_back(json{{"key", gr.spec.key},
                          {"preferred", gr.spec.preferred_node},
                          {"owner", owner.empty() ? json() : json(owner)},
                          {"state", GroupStateName(gr.state)},
                          {"last_action", gr.last_action},
                          {"last_duration_ms", absl::ToDoubleMilliseconds(gr.last_duration)},
                          {"arp_conflicts", gr.arp_conflicts}});
  }
  const std::string text = json{{"type", "groups"}, {"groups", groups}}.dump();
  if (text != last_groups_ && link_.Send(text)) last_groups_ = text;
}

void Runner::NoteJoin(uint64_t generation) {
  // A join is a new tachyd generation, not a runner restart: only then does
  // auto_failback pull our preferred groups back (Heartbeat semantics).
  const std::string path = options_.state_dir + "/actions-generation";
  uint64_t seen = 0;
  std::ifstream(path) >> seen;
  if (seen == generation) return;
  std::ofstream(path) << generation << "\n";
  if (config_.ha.auto_failback == AutoFailback::kOff) return;
  GroupMask local = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g]->spec.preferred_node == config_.local_node) local |= GroupMask{1} << g;
  }
  wants_ |= local & ~HeldMask();
  if (wants_ != 0) LogInfo("joined (generation %d): auto_failback asks for our preferred groups",
                           generation);
}

void Runner::OnMessage(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  const std::string type = j.value("type", "");
  auto read_ads = [](const json& src, PeerView& p) {
    p.held = src.value("held", GroupMask{0});
    p.wants = src.value("wants", GroupMask{0});
    p.declines = src.value("declines", GroupMask{0});
    p.digest = src.value("digest", uint32_t{0});
    p.ready = src.value("ready", false);
  };
  if (type == "hello") {
    peers_.clear();
    for (const json& p : j["peers"]) {
      PeerView& v = peers_[p.value("node", "")];
      v.state = p.value("state", "init");
      v.alive_since = MonotonicNow();
      read_ads(p, v);
    }
    LogInfo("connected to tachyd (generation %d)", j.value("generation", uint64_t{0}));
    NoteJoin(j.value("generation", uint64_t{0}));
    last_advert_.clear();
    last_groups_.clear();
  } else if (type == "peer") {
    PeerView& v = peers_[j.value("node", "")];
    v.state = j.value("to", "init");
    if (v.state == "up" && j.value("from", "") != "late") v.alive_since = MonotonicNow();
  } else if (type == "peer_ads") {
    read_ads(j, peers_[j.value("node", "")]);
  } else if (type == "request") {
    HandleRequest(j);
  }
}

void Runner::HandleRequest(const json& j) {
  const std::string what = j.value("what", "");
  const std::string scope = j.value("scope", "all");
  std::vector<GroupView> views;
  for (const auto& g : groups_) views.push_back({g->spec.key, g->spec.preferred_node});
  GroupMask mask;
  json reply{{"type", "reply"}, {"id", j.value("id", uint64_t{0})}};
  bool peer_ready = false;
  for (const auto& [name, p] : peers_) {
    peer_ready = peer_ready || ((p.state == "up" || p.state == "late") && p.ready);
  }
  if (!ScopeMask(views, config_.local_node, scope, &mask)) {
    reply["ok"] = false;
    reply["message"] = absl::StrCat("unknown scope '", scope, "': use all, local or foreign");
  } else if (what == "standby") {
    const GroupMask moving = mask & HeldMask();
    if (moving != 0 && !peer_ready) {
      reply["ok"] = false;
      reply["message"] = "no live peer with a running action runner could take over; refused";
    } else {
      declines_ |= moving;
      wants_ &= ~mask;
      reply["ok"] = true;
      reply["message"] = moving == 0 ? "this node holds none of those groups"
                                     : absl::StrFormat("handing %d group(s) to the peer",
                                                       __builtin_popcount(moving));
      LogInfo("standby %s requested: releasing %d group(s)", scope, __builtin_popcount(moving));
    }
  } else if (what == "shutdown") {
    shutting_down_ = true;
    LogInfo("tachyd is stopping: releasing every group");
    for (size_t g = 0; g < groups_.size(); ++g) {
      if ((HeldMask() >> g & 1) && !groups_[g]->busy) StartRelease(g, "tachyd is stopping");
    }
    reply["ok"] = true;
    reply["message"] = "releasing";
  } else if (what == "takeover") {
    const GroupMask taking = mask & ~HeldMask();
    wants_ |= taking;
    declines_ &= ~mask;
    reply["ok"] = true;
    reply["message"] = taking == 0 ? "this node already holds those groups"
                                   : absl::StrFormat("asking for %d group(s)",
                                                     __builtin_popcount(taking));
    LogInfo("takeover %s requested: asking for %d group(s)", scope, __builtin_popcount(taking));
  } else {
    reply["ok"] = false;
    reply["message"] = absl::StrCat("unknown request '", what, "'");
  }
  link_.Send(reply.dump());
  Reevaluate();
}

void Runner::Reevaluate() {
  if (!probed_) return;
  if (shutting_down_) {
    for (size_t g = 0; g < groups_.size(); ++g) {
      Group& gr = *groups_[g];
      if (!gr.busy && (gr.state == GroupState::kRunning ||
                       (gr.state == GroupState::kFailed && gr.failed_held))) {
        StartRelease(g, "tachyd is stopping");
      }
    }
    Advertise(false);
    SendGroups();
    return;
  }
  if (!link_.connected()) {
    // Without our detector we cannot know whether the peer took over: it
    // will, one deadtime after our last heartbeat. Letting go after half a
    // deadtime means we are gone before it comes (no two holders answering
    // ARP at once), while a tachyd restarted at once keeps everything.
    if (!released_for_lost_tachyd_ &&
        MonotonicNow() - disconnected_since_ > LostTachydGrace() && HeldMask() != 0) {
      released_for_lost_tachyd_ = true;
      LogWarning("own tachyd unreachable for %s (half the deadtime): releasing every group "
                 "before the peer takes over",
                 Ms(LostTachydGrace()));
      for (size_t g = 0; g < groups_.size(); ++g) {
        if (HeldMask() >> g & 1) StartRelease(g, "own tachyd gone (no working detector)");
      }
    }
    return;
  }
  std::vector<GroupView> views;
  for (const auto& g : groups_) views.push_back({g->spec.key, g->spec.preferred_node});
  std::vector<NodeView> nodes;
  NodeView self;
  self.name = config_.local_node;
  self.alive = true;
  self.ready = true;
  self.held = HeldMask();
  self.wants = wants_;
  self.declines = declines_;
  nodes.push_back(self);
  bool mismatch = false;
  for (const auto& [name, p] : peers_) {
    NodeView n;
    n.name = name;
    n.alive = p.state == "up" || p.state == "late";
    // A peer that just came up has not advertised its runner yet: wait for
    // it (up to initdead) rather than grab what it would have taken.
    n.known = p.state != "init" &&
              !(n.alive && !p.ready && MonotonicNow() - p.alive_since < config_.ha.initdead);
    n.ready = p.ready;
    n.held = p.held;
    n.wants = p.wants;
    n.declines = p.declines;
    if (n.alive && p.ready && p.digest != digest_) mismatch = true;
    nodes.push_back(n);
  }
  if (mismatch) {
    static MonoTime last_warned;
    if (MonotonicNow() - last_warned > absl::Seconds(10)) {
      last_warned = MonotonicNow();
      LogError("haresources differs from a live peer's (digest mismatch): ownership changes "
               "paused until the files are identical");
    }
    Advertise(false);
    return;
  }
  const std::vector<Decision> decisions = Decide(views, nodes, 0);
  const MonoTime now = MonotonicNow();
  for (size_t g = 0; g < groups_.size(); ++g) {
    Group& gr = *groups_[g];
    if (gr.busy) continue;
    const GroupMask bit = GroupMask{1} << g;
    switch (decisions[g].action) {
      case GroupAction::kTake:
        if (gr.state == GroupState::kFailed && now < gr.retry_after) break;
        if (gr.state == GroupState::kStopped || gr.state == GroupState::kFailed) {
          declines_ &= ~bit;
          StartTake(g, decisions[g].why);
        }
        break;
      case GroupAction::kRelease:
        if (gr.state == GroupState::kRunning || gr.state == GroupState::kFailed) {
          StartRelease(g, decisions[g].why);
        }
        break;
      case GroupAction::kKeep:
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
      for (const auto& v : gr.vips) {
        if (v) garps_.push_back({v->ip, v->iface, options_.garp_count, now});
      }
    }
    gr.shared = (HeldMask() & bit) && shared;
    // A request is done once it took effect.
    if (HeldMask() & bit) wants_ &= ~bit;
    for (const NodeView& n : nodes) {
      if (n.name != self.name && n.alive && (n.held & bit)) declines_ &= ~bit;
    }
  }
  Advertise(false);
  SendGroups();
}

void Runner::StartTake(size_t g, const std::string& why) {
  Group& gr = *groups_[g];
  gr.state = GroupState::kStarting;
  gr.busy = true;
  gr.last_action = "take";
  for (const auto& v : gr.vips) {
    if (v) WatchArp(v->iface);
  }
  std::string from;
  for (const auto& [name, p] : peers_) {
    if (p.held >> g & 1) from = name;
  }
  LogInfo("taking group %s%s: %s", gr.spec.key, from.empty() ? "" : " from " + from, why);
  Advertise(true);  // claim it before the slow part, so the peer knows
  Group* group = &gr;
  const RunnerOptions& o = options_;
  auto* senders = &worker_senders_;
  worker_->Submit([this, g, group, why, &o, senders](const JobWorker::Post& post) {
    const MonoTime t0 = MonotonicNow();
    std::vector<std::string> steps;
    std::vector<size_t> started;
    std::string error;
    for (size_t i = 0; i < group->agents.size() && error.empty(); ++i) {
      const Resource& r = group->spec.resources[i];
      const MonoTime ts = MonotonicNow();
      if (group->vips[i]) {
        const Vip& v = *group->vips[i];
        absl::Status s = AddAddress(v.iface, v.ip, v.prefix_len, v.broadcast, v.label);
        if (absl::IsAlreadyExists(s)) {
          steps.push_back(absl::StrCat("VIP ", v.ip, " already present"));
        } else if (!s.ok()) {
          error = absl::StrCat("VIP ", v.ip, ": ", s.message());
          break;
        } else {
          steps.push_back(absl::StrCat("VIP added ", Ms(MonotonicNow() - ts)));
        }
        started.push_back(i);
        const MonoTime tg = MonotonicNow();
        auto sender = SenderFor(*senders, v.iface);
        absl::Status sent = sender.ok() ? (*sender)->Announce(v.ip) : sender.status();
        if (sent.ok()) {
          steps.push_back(absl::StrCat("GARP ", Ms(MonotonicNow() - tg)));
        } else {
          steps.push_back(absl::StrCat("GARP failed (", sent.message(), ")"));
        }
        const std::string ip = v.ip, iface = v.iface;
        post([this, ip, iface] {
          if (options_.garp_count > 1) {
            garps_.push_back({ip, iface, options_.garp_count - 1,
                              MonotonicNow() + options_.garp_interval});
          }
        });
        continue;
      }
      ResourceAgent& agent = *group->agents[i];
      if (agent.Status(o.start_timeout) == ResourceStatus::kRunning) {
        steps.push_back(absl::StrCat(r.token, " already running"));
        started.push_back(i);
        continue;
      }
      const OpResult res = agent.Start(o.start_timeout);
      if (!res.ok) {
        error = absl::StrCat(r.token, " start failed: ", res.detail);
        break;
      }
      steps.push_back(absl::StrCat(r.token, " start ", Ms(res.elapsed)));
      started.push_back(i);
    }
    bool held_anyway = false;
    if (!error.empty()) {
      // Roll back what this job started, newest first.
      for (auto it = started.rbegin(); it != started.rend(); ++it) {
        if (group->vips[*it]) {
          const Vip& v = *group->vips[*it];
          (void)DeleteAddress(v.iface, v.ip, v.prefix_len);
        } else if (!group->agents[*it]->Stop(o.stop_timeout).ok &&
                   group->agents[*it]->Status(o.stop_timeout) == ResourceStatus::kRunning) {
          held_anyway = true;
        }
      }
    }
    const absl::Duration took = MonotonicNow() - t0;
    post([this, g, steps, error, took, why, held_anyway] {
      OnJobDone(g, true, error.empty(), held_anyway, steps, error, took, why);
    });
  });
}

void Runner::StartRelease(size_t g, const std::string& why) {
  Group& gr = *groups_[g];
  gr.state = GroupState::kStopping;
  gr.busy = true;
  gr.last_action = "release";
  LogInfo("releasing group %s: %s", gr.spec.key, why);
  Advertise(true);
  Group* group = &gr;
  const RunnerOptions& o = options_;
  worker_->Submit([this, g, group, why, &o](const JobWorker::Post& post) {
    const MonoTime t0 = MonotonicNow();
    std::vector<std::string> steps;
    std::string error;
    for (size_t k = group->agents.size(); k-- > 0;) {
      const Resource& r = group->spec.resources[k];
      const MonoTime ts = MonotonicNow();
      if (group->vips[k]) {
        const Vip& v = *group->vips[k];
        absl::Status s = DeleteAddress(v.iface, v.ip, v.prefix_len);
        if (s.ok() || absl::IsNotFound(s)) {
          steps.push_back(absl::StrCat("VIP removed ", Ms(MonotonicNow() - ts)));
        } else {
          error = absl::StrCat("VIP ", v.ip, ": ", s.message());
        }
        continue;
      }
      ResourceAgent& agent = *group->agents[k];
      OpResult res;
      for (int attempt = 1; attempt <= std::max(1, o.stop_retries); ++attempt) {
        res = agent.Stop(o.stop_timeout);
        if (res.ok) break;
        LogWarning("group %s: %s stop failed (attempt %d of %d): %s", group->spec.key, r.token,
                   attempt, o.stop_retries, res.detail);
        if (attempt < o.stop_retries) std::this_thread::sleep_for(
            absl::ToChronoNanoseconds(o.stop_retry_interval));
      }
      if (res.ok) {
        steps.push_back(absl::StrCat(r.token, " stop ", Ms(res.elapsed)));
      } else if (agent.Status(o.stop_timeout) != ResourceStatus::kRunning) {
        steps.push_back(absl::StrCat(r.token, " stop failed but status says stopped"));
      } else {
        error = absl::StrCat(r.token, " will not stop: ", res.detail);
      }
    }
    const absl::Duration took = MonotonicNow() - t0;
    post([this, g, steps, error, took, why] {
      OnJobDone(g, false, error.empty(), !error.empty(), steps, error, took, why);
    });
  });
}

void Runner::OnJobDone(size_t g, bool take, bool ok, bool held_anyway,
                       std::vector<std::string> steps, std::string error, absl::Duration took,
                       std::string why) {
  Group& gr = *groups_[g];
  gr.busy = false;
  gr.last_duration = took;
  const std::string done = absl::StrJoin(steps, ", ");
  if (take && ok) {
    gr.state = GroupState::kRunning;
    gr.last_action = absl::StrCat("took: ", why);
    LogInfo("took group %s: %s; %s (total %s)", gr.spec.key, why, done, Ms(took));
  } else if (take) {
    gr.state = GroupState::kFailed;
    gr.failed_held = held_anyway;
    gr.retry_after = MonotonicNow() + options_.failed_retry_delay;
    gr.last_action = absl::StrCat("start failed: ", error);
    // Hand it to a peer that can run it; retry here later if none can.
    declines_ |= GroupMask{1} << g;
    LogError("group %s failed to start: %s; after %s rolled back%s; declining it so a live "
             "peer takes it, retrying here in %s if none can",
             gr.spec.key, error, done.empty() ? "nothing" : done,
             held_anyway ? " (a resource would not stop: still held)" : "",
             Ms(options_.failed_retry_delay));
  } else if (ok) {
    gr.state = GroupState::kStopped;
    gr.failed_held = false;
    gr.last_action = absl::StrCat("released: ", why);
    LogInfo("released group %s: %s; %s (total %s)", gr.spec.key, why, done, Ms(took));
  } else {
    gr.state = GroupState::kFailed;
    gr.failed_held = true;
    gr.last_action = absl::StrCat("stop failed: ", error);
    LogError("group %s could not be released: %s; keeping it marked held so no other node "
             "starts a second copy: fix it by hand, then restart tachy-actions",
             gr.spec.key, error);
  }
  Advertise(true);
  SendGroups();
  Reevaluate();
}

void Runner::SendDueGarps(MonoTime now) {
  for (PendingGarp& p : garps_) {
    if (p.remaining <= 0 || now < p.next) continue;
    auto s = SenderFor(main_senders_, p.iface);
    if (s.ok()) (void)(*s)->Announce(p.ip);
    --p.remaining;
    p.next = now + options_.garp_interval;
  }
  std::erase_if(garps_, [](const PendingGarp& p) { return p.remaining <= 0; });
}

void Runner::WatchArp(const std::string& iface) {
  for (const auto& [name, w] : watchers_) {
    if (name == iface) return;
  }
  auto w = ArpWatcher::Open(iface);
  if (!w.ok()) {
    LogWarning("cannot watch ARP on %s: %s", iface, w.status().message());
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = (uint64_t{1} << 32) | watchers_.size();
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, (*w)->fd(), &ev);
  watchers_.emplace_back(iface, std::move(*w));
}

void Runner::DrainArp(size_t i) {
  const std::string& iface = watchers_[i].first;
  auto own = SenderFor(main_senders_, iface);
  watchers_[i].second->Drain([&](const ArpClaim& c) {
    if (own.ok() && c.sender_mac == (*own)->mac()) return;
    char ip[16];
    std::snprintf(ip, sizeof(ip), "%u.%u.%u.%u", c.sender_ip >> 24, (c.sender_ip >> 16) & 255,
                  (c.sender_ip >> 8) & 255, c.sender_ip & 255);
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (!(HeldMask() >> g & 1)) continue;
      for (const auto& v : groups_[g]->vips) {
        if (!v || v->ip != ip || v->iface != iface) continue;
        ++groups_[g]->arp_conflicts;
        const std::string mac = FormatMac(c.sender_mac);
        const std::string key = absl::StrCat(ip, "/", mac);
        const MonoTime now = MonotonicNow();
        auto it = conflict_logged_.find(key);
        if (it == conflict_logged_.end() || now - it->second > absl::Seconds(10)) {
          conflict_logged_[key] = now;
          LogError("ARP conflict: %s is claimed by %s on %s (%s) while this node holds it: "
                   "split brain or address conflict",
                   ip, mac, iface, c.gratuitous ? "gratuitous ARP" : "ARP reply");
        }
        link_.Send(json{{"type", "arp_conflict"}, {"ip", ip}, {"mac", mac}, {"iface", iface},
                        {"t_ns", now.nanos()}}
                       .dump());
        SendGroups();
      }
    }
  });
}

int Runner::Run() {
  Probe();
  disconnected_since_ = MonotonicNow();
  for (;;) {
    if (options_.supervised && !orphaned_ && getppid() != parent_) {
      orphaned_ = true;
      orphaned_since_ = MonotonicNow();
      if (link_.connected()) disconnected_since_ = orphaned_since_;
      link_.Disconnect();
      LogWarning("tachyd (pid %d) is gone: waiting %s for a new one before releasing", parent_,
                 Ms(LostTachydGrace()));
    }
    if (orphaned_) {
      // A restarted tachyd brings its own runner: leave everything to it.
      if (MonotonicNow() - orphaned_since_ > LostTachydGrace()) {
        TachydLink probe(options_.event_socket);
        if (probe.Connect().ok() && !released_for_lost_tachyd_) {
          LogInfo("a new tachyd is running with its own action runner: exiting");
          return 0;
        }
      }
      bool busy = false;
      for (const auto& g : groups_) busy = busy || g->busy;
      if (released_for_lost_tachyd_ && !busy && HeldMask() == 0) {
        LogInfo("released everything after losing tachyd: exiting");
        return 0;
      }
    } else if (!link_.connected()) {
      if (link_.Connect().ok()) {
        released_for_lost_tachyd_ = false;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = uint64_t{2} << 32;
        epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, link_.fd(), &ev);
      }
    }
    int timeout_ms = 100;
    if (!link_.connected()) {
      // Wake in time to let go exactly when the grace runs out.
      const absl::Duration left = disconnected_since_ + LostTachydGrace() - MonotonicNow();
      timeout_ms = static_cast<int>(
          std::clamp<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1, 20));
    }
    const MonoTime now0 = MonotonicNow();
    for (const PendingGarp& p : garps_) {
      timeout_ms = std::min<int>(
          timeout_ms, std::max<int64_t>(0, absl::ToInt64Milliseconds(p.next - now0) + 1));
    }
    epoll_event ready[16];
    const int n = epoll_wait(epoll_.get(), ready, 16, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = ready[i].data.u64 >> 32;
      if (tag == 1) {
        DrainArp(ready[i].data.u64 & 0xffffffff);
      } else if (tag == 2) {
        const bool was = link_.connected();
        if (!link_.Read([&](const std::string& m) { OnMessage(m); }) && was) {
          LogWarning("lost the connection to tachyd; reconnecting");
          disconnected_since_ = MonotonicNow();
        }
      } else if (static_cast<int>(ready[i].data.u64) == worker_->fd()) {
        worker_->RunPosted();
      } else if (static_cast<int>(ready[i].data.u64) == signals_.get()) {
        signalfd_siginfo si;
        while (read(signals_.get(), &si, sizeof(si)) == sizeof(si)) {
          if (si.ssi_signo == SIGHUP) continue;
          LogInfo("%s: stopping; resources stay as they are for the next runner",
                  strsignal(si.ssi_signo));
          return 0;
        }
      }
    }
    SendDueGarps(MonotonicNow());
    Reevaluate();
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
  const LogOptions log =
      MakeLogOptions(config->ha, absl::StrFormat("tachy-actions[%s]", config->local_node));
  (void)InitLogging(log);
  const size_t group_count = resources->groups.size();
  Runner runner(options, *std::move(config), *std::move(resources));
  if (absl::Status s = runner.Prepare(); !s.ok()) {
    std::fprintf(stderr, "tachy-actions: %s\n", std::string(s.message()).c_str());
    return absl::IsInvalidArgument(s) ? 2 : 1;
  }
  if (options.check) {
    std::printf("haresources OK: %d group(s)\n", static_cast<int>(group_count));
    return 0;
  }
  return runner.Run();
}

}  // namespace tachy
