#include "actions/takeover_kit.h"

#include <net/if.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "actions/resource_processes.h"

namespace tachy {
namespace {

class SystemGroupOps : public GroupOps {
 public:
  SystemGroupOps(std::vector<PreparedResource>& resources, AddressSocket& netlink,
                 GarpOwner& garp, const KitOptions& options, const std::optional<AppCheck>& check)
      : resources_(resources), netlink_(netlink), garp_(garp), options_(options), check_(check) {}

  size_t size() const override { return resources_.size(); }
  bool is_address(size_t i) const override { return resources_[i].address.has_value(); }
  const std::string& name(size_t i) const override {
    return is_address(i) ? resources_[i].address->ip : resources_[i].name;
  }
  bool is_routed(size_t i) const override { return resources_[i].take_address.has_value(); }
  std::string where(size_t i, RoutePreference p) const override {
    return is_routed(i) ? Spec(i, p).iface : "";
  }
  absl::Status AddAddress(size_t i, RoutePreference p) override {
    return netlink_.Add(Spec(i, p));
  }
  absl::Status DeleteAddress(size_t i) override {
    absl::Status s = netlink_.Delete(*resources_[i].address);
    if (!is_routed(i)) return s;
    // Wherever the take put it (or both, after a failback that overlapped).
    absl::Status take = netlink_.Delete(*resources_[i].take_address);
    if (s.ok() || take.ok()) return absl::OkStatus();
    return absl::IsNotFound(s) ? take : s;
  }
  absl::Status Reannounce(size_t i, RoutePreference p) override {
    if (!is_routed(i)) return absl::OkStatus();
    const RoutePreference other =
        p == RoutePreference::kPreferred ? RoutePreference::kNormal : RoutePreference::kPreferred;
    // Removed first, then added, 0.1 ms apart: with the /32 on both links
    // at once, FRR 8.4's zebra kept announcing the one removed (measured in
    // the l3 lab); bgpd's 50 ms work-queue hold merges the two changes into
    // one UPDATE, so the router never sees the route go.
    absl::Status removed = netlink_.Delete(Spec(i, other));
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
    absl::Status added = netlink_.Add(Spec(i, p));
    return added.ok() || absl::IsAlreadyExists(added) ? absl::OkStatus() : added;
  }
  absl::Status Announce(size_t i) override {
    if (is_routed(i)) return absl::OkStatus();
    return garp_.Announce(resources_[i].garp);
  }
  OpResult Start(size_t i) override { return resources_[i].agent->Start(options_.start_timeout); }
  OpResult Stop(size_t i) override { return resources_[i].agent->Stop(options_.stop_timeout); }
  ResourceStatus Status(size_t i) override {
    return resources_[i].agent->Status(options_.status_timeout);
  }
  void Sleep(absl::Duration d) override {
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(d));
  }
  MonoTime Now() override { return MonotonicNow(); }

  std::vector<pid_t> MainProcesses(size_t i) override {
    std::vector<pid_t> pids = tachy::MainProcesses(FindMarkedProcesses(resources_[i].mark));
    // A systemd unit's processes are systemd's children, unmarked.
    if (pids.empty()) {
      if (const pid_t p = resources_[i].agent->ManagerMainPid(options_.status_timeout); p > 0) {
        pids.push_back(p);
      }
    }
    return pids;
  }

  int KillLeftovers(size_t i) override {
    if (resources_[i].mark.empty()) return 0;
    std::vector<UniqueFd> exits;
    int killed = 0;
    for (const MarkedProcess& p : FindMarkedProcesses(resources_[i].mark)) {
      absl::StatusOr<UniqueFd> fd = OpenPidfd(p.pid);
      // The pid may have been reused between the scan and the pidfd.
      if (!fd.ok() || !HasMark(p.pid, resources_[i].mark)) continue;
      if (SignalPidfd(fd->get(), SIGKILL)) {
        ++killed;
        exits.push_back(*std::move(fd));
      }
    }
    // Until they are gone (a port is free only then), at most a second.
    const MonoTime deadline = MonotonicNow() + absl::Seconds(1);
    for (const UniqueFd& fd : exits) {
      pollfd p{fd.get(), POLLIN, 0};
      const int64_t left = absl::ToInt64Milliseconds(deadline - MonotonicNow());
      if (left > 0) (void)poll(&p, 1, static_cast<int>(left));
    }
    return killed;
  }

  bool HasAddress(size_t i) override {
    return InterfaceWithAddress(resources_[i].address->ip).ok();
  }

  std::string CheckApplication() override {
    return check_ ? RunAppCheck(*check_, options_.check_timeout) : "";
  }

 private:
  const AddressSpec& Spec(size_t i, RoutePreference p) const {
    const PreparedResource& r = resources_[i];
    return p == RoutePreference::kPreferred && r.take_address ? *r.take_address : *r.address;
  }

  std::vector<PreparedResource>& resources_;
  AddressSocket& netlink_;
  GarpOwner& garp_;
  const KitOptions& options_;
  const std::optional<AppCheck>& check_;
};

// tachy-own and tachy-take made and up (only those missing, if
// `missing_only`); one note per link made or brought up. The first error,
// after trying both.
absl::Status EnsureBgpLinks(bool missing_only, std::vector<std::string>* notes) {
  absl::Status first;
  for (const char* link : {kOwnInterface, kTakeInterface}) {
    if (missing_only && if_nametoindex(link) != 0) continue;
    absl::StatusOr<std::string> done = EnsureLocalInterface(link);
    if (done.ok()) {
      notes->push_back(absl::StrFormat("interface %s: %s", link, *done));
    } else if (first.ok()) {
      first = done.status();
    }
  }
  return first;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TakeoverKit>> TakeoverKit::Prepare(
    const std::vector<ResourceGroup>& groups, const KitOptions& options) {
  std::unique_ptr<TakeoverKit> kit(new TakeoverKit());  // private constructor
  kit->options_ = options;
  auto netlink = AddressSocket::Open();
  if (!netlink.ok()) return netlink.status();
  kit->netlink_ = std::move(*netlink);
  const std::string& file = options.haresources_path;
  for (const ResourceGroup& spec : groups) {
    std::vector<PreparedResource>& out = kit->groups_.emplace_back();
    for (const Resource& r : spec.resources) {
      PreparedResource p;
      p.name = r.token;
      auto fail = [&](absl::string_view why) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s:%d: %s: %s", file, spec.line, r.token, why));
      };
      if (r.kind == Resource::Kind::kBgpAddress) {
        if (!kit->bgp_links_ && !options.check_only) {
          if (absl::Status s = EnsureBgpLinks(/*missing_only=*/false, &kit->notes_); !s.ok()) {
            return fail(s.message());
          }
          kit->bgp_links_ = true;
        }
        if (options.check_only && options.heartbeat_peers_possible) {
          kit->warnings_.push_back(absl::StrFormat(
              "%s:%d: %s is tachy's own resource kind: a Heartbeat 3 node given this "
              "haresources would look for a script resource.d/BGP and fail to take the group; "
              "only tachy nodes may hold it",
              file, spec.line, r.token));
        }
        AddressSpec own;
        own.ip = r.vip.ip;
        own.prefix_len = 32;
        own.iface = kOwnInterface;
        own.ifindex = if_nametoindex(kOwnInterface);
        AddressSpec take = own;
        take.iface = kTakeInterface;
        take.ifindex = if_nametoindex(kTakeInterface);
        p.address = std::move(own);
        p.take_address = std::move(take);
      } else if (r.kind == Resource::Kind::kIpAddr) {
        AddressSpec a;
        a.ip = r.vip.ip;
        a.iface = r.vip.iface;
        a.prefix_len = r.vip.prefix_len;
        a.broadcast = r.vip.broadcast;
        a.label = r.vip.label;
        if (a.iface.empty() || a.prefix_len < 0) {
          auto route = FindCoveringRoute(a.ip);
          if (!route.ok()) return fail(route.status().message());
          if (a.iface.empty()) a.iface = route->iface;
          if (a.prefix_len < 0) a.prefix_len = route->prefix_len;
        }
        a.ifindex = if_nametoindex(a.iface.c_str());
        if (a.ifindex == 0) {
          if (options.require_interfaces) return fail(absl::StrCat("no interface ", a.iface));
          kit->warnings_.push_back(absl::StrFormat(
              "%s:%d: %s: interface %s is not there (yet): this group cannot be taken here "
              "until it appears (checked every second)",
              file, spec.line, r.token, a.iface));
        }
        if (!options.check_only) {  // a check needs no raw socket (nor root)
          auto garp = kit->garp_.AddAddress(a.iface, a.ip);
          if (!garp.ok()) return fail(garp.status().message());
          p.garp = *garp;
        }
        bool watched = !options.watch_arp;
        for (const auto& [name, w] : kit->watchers_) watched = watched || name == a.iface;
        if (!watched) {
          auto w = ArpWatcher::Open(a.iface);
          if (!w.ok() && a.ifindex != 0) {
            kit->warnings_.push_back(absl::StrFormat(
                "cannot watch ARP on %s: %s (address conflicts there go unseen)", a.iface,
                w.status().message()));
          }
          // A missing one is retried by Refresh().
          kit->watchers_.emplace_back(a.iface, w.ok() ? std::move(*w) : nullptr);
        }
        p.address = std::move(a);
      } else {
        AgentDirs dirs = options.dirs;
        p.mark = ResourceMark(options.node, spec.key, r.token);
        dirs.env.push_back(p.mark);
        auto agent = MakeResourceAgent(r, dirs);
        if (!agent.ok()) return fail(agent.status().message());
        p.agent = std::move(*agent);
      }
      out.push_back(std::move(p));
    }
  }
  kit->checks_.resize(groups.size());
  for (const AppCheck& c : options.checks) {
    size_t g = 0;
    while (g < groups.size() && groups[g].key != c.group) ++g;
    if (g == groups.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: check: no group '%s' in %s (a group is named by its first resource)",
          options.tachy_cf_path, c.line, c.group, file));
    }
    kit->checks_[g] = c;
  }
  for (size_t g = 0; g < kit->groups_.size(); ++g) {
    kit->ops_.push_back(std::make_unique<SystemGroupOps>(kit->groups_[g], *kit->netlink_,
                                                         kit->garp_, kit->options_,
                                                         kit->checks_[g]));
  }
  return kit;
}

std::vector<size_t> TakeoverKit::Refresh(std::vector<std::string>* notes) {
  std::vector<size_t> reopened_watchers;
  const std::vector<std::string> reopened = garp_.Refresh();
  if (bgp_links_) {
    // Someone deleted tachy-own or tachy-take: make it again here, off the
    // path, rather than fail the next take.
    std::vector<std::string> done;
    const absl::Status s = EnsureBgpLinks(/*missing_only=*/true, &done);
    if (!s.ok()) done.emplace_back(s.message());
    if (notes != nullptr) notes->insert(notes->end(), done.begin(), done.end());
  }
  for (auto& group : groups_) {
    for (PreparedResource& r : group) {
      for (std::optional<AddressSpec>* spec : {&r.address, &r.take_address}) {
        if (!spec->has_value()) continue;
        AddressSpec& a = **spec;
        const unsigned int index = if_nametoindex(a.iface.c_str());
        if (index != a.ifindex && notes != nullptr) {
          notes->push_back(index == 0 ? absl::StrFormat("interface %s is gone", a.iface)
                                      : absl::StrFormat("interface %s is there (index %d)",
                                                        a.iface, index));
        }
        a.ifindex = index;
      }
    }
  }
  for (size_t i = 0; i < watchers_.size(); ++i) {
    auto& [name, watcher] = watchers_[i];
    const bool changed = std::find(reopened.begin(), reopened.end(), name) != reopened.end();
    if (watcher != nullptr && !changed) continue;
    if (if_nametoindex(name.c_str()) == 0) continue;
    auto w = ArpWatcher::Open(name);
    if (!w.ok()) {
      if (notes != nullptr) {
        notes->push_back(absl::StrFormat("cannot watch ARP on %s: %s", name, w.status().message()));
      }
      continue;
    }
    watcher = std::move(*w);
    reopened_watchers.push_back(i);
  }
  return reopened_watchers;
}

}  // namespace tachy
