#include "actions/takeover_kit.h"

#include <net/if.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tachy {
namespace {

class SystemGroupOps : public GroupOps {
 public:
  SystemGroupOps(std::vector<PreparedResource>& resources, AddressSocket& netlink,
                 GarpOwner& garp, const KitOptions& options)
      : resources_(resources), netlink_(netlink), garp_(garp), options_(options) {}

  size_t size() const override { return resources_.size(); }
  bool is_address(size_t i) const override { return resources_[i].address.has_value(); }
  const std::string& name(size_t i) const override {
    return is_address(i) ? resources_[i].address->ip : resources_[i].name;
  }
  absl::Status AddAddress(size_t i) override { return netlink_.Add(*resources_[i].address); }
  absl::Status DeleteAddress(size_t i) override {
    return netlink_.Delete(*resources_[i].address);
  }
  absl::Status Announce(size_t i) override { return garp_.Announce(resources_[i].garp); }
  OpResult Start(size_t i) override { return resources_[i].agent->Start(options_.start_timeout); }
  OpResult Stop(size_t i) override { return resources_[i].agent->Stop(options_.stop_timeout); }
  ResourceStatus Status(size_t i) override {
    return resources_[i].agent->Status(options_.stop_timeout);
  }
  void Sleep(absl::Duration d) override {
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(d));
  }
  MonoTime Now() override { return MonotonicNow(); }

 private:
  std::vector<PreparedResource>& resources_;
  AddressSocket& netlink_;
  GarpOwner& garp_;
  const KitOptions& options_;
};

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
      if (r.kind == Resource::Kind::kIpAddr) {
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
        auto agent = MakeResourceAgent(r, options.dirs);
        if (!agent.ok()) return fail(agent.status().message());
        p.agent = std::move(*agent);
      }
      out.push_back(std::move(p));
    }
  }
  for (auto& g : kit->groups_) {
    kit->ops_.push_back(
        std::make_unique<SystemGroupOps>(g, *kit->netlink_, kit->garp_, kit->options_));
  }
  return kit;
}

std::vector<size_t> TakeoverKit::Refresh(std::vector<std::string>* notes) {
  std::vector<size_t> reopened_watchers;
  const std::vector<std::string> reopened = garp_.Refresh();
  for (auto& group : groups_) {
    for (PreparedResource& r : group) {
      if (!r.address) continue;
      const unsigned int index = if_nametoindex(r.address->iface.c_str());
      if (index != r.address->ifindex && notes != nullptr) {
        notes->push_back(index == 0 ? absl::StrFormat("interface %s is gone", r.address->iface)
                                    : absl::StrFormat("interface %s is there (index %d)",
                                                      r.address->iface, index));
      }
      r.address->ifindex = index;
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
