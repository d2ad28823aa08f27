// takeover_kit.h: everything a takeover needs, opened when the action runner
// starts, so the takeover path only uses it.
//
// Per group: its resources resolved (address specs with interface index,
// script paths checked, OCF settings read). Shared: one netlink socket for
// addresses, one GARP owner with every address's frames prebuilt, one ARP
// watcher per service interface (a capture takes 15+ ms to open: never on
// the path). GroupOpsFor() then gives a group's GroupOps over these.
#ifndef TACHY_ACTIONS_TAKEOVER_KIT_H_
#define TACHY_ACTIONS_TAKEOVER_KIT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "actions/app_check.h"
#include "actions/group_jobs.h"
#include "actions/haresources.h"
#include "actions/netlink_address.h"
#include "actions/resource_agent.h"
#include "arp/arp_watcher.h"
#include "arp/garp_owner.h"

namespace tachy {

// The local links BGP:: addresses go on (docs/bgp.md): FRR redistributes
// the /32s of tachy-own with a longer AS path than those of tachy-take.
inline constexpr char kOwnInterface[] = "tachy-own";
inline constexpr char kTakeInterface[] = "tachy-take";

struct KitOptions {
  AgentDirs dirs;
  absl::Duration start_timeout = absl::Seconds(60);
  absl::Duration stop_timeout = absl::Seconds(60);
  absl::Duration status_timeout = absl::Seconds(20);  // probes and monitoring
  // Application checks by group key (tachy.cf); a key that names no group
  // is an error naming its tachy.cf line.
  std::vector<AppCheck> checks;
  absl::Duration check_timeout = absl::Seconds(2);
  std::string tachy_cf_path = "tachy.cf";
  std::string node;  // this node's name, in every script's mark
  std::string haresources_path;  // for error messages: file:line
  bool watch_arp = true;
  // A named interface that does not exist is an error (tachy-actions
  // --check); else a warning, and Refresh() picks it up when it appears.
  bool require_interfaces = false;
  // Only resolve and check (tachy-actions --check): open no raw socket and
  // no capture.
  bool check_only = false;
  // A Heartbeat 3 node could share this cluster (ha.cf has UDP media):
  // --check warns about what it could not hold (BGP:: groups).
  bool heartbeat_peers_possible = true;
};

struct PreparedResource {
  std::string name;  // the haresources token
  std::optional<AddressSpec> address;  // BGP::: on tachy-own
  // BGP:: only: the same /32 on tachy-take, where a takeover after the
  // holder's death puts it (RoutePreference::kPreferred).
  std::optional<AddressSpec> take_address;
  GarpOwner::AddressId garp = 0;  // LAN addresses only
  std::unique_ptr<ResourceAgent> agent;  // scripts only
  // Scripts: the environment entry every call of this resource carries, by
  // which its processes are found (actions/resource_processes.h).
  std::string mark;
};

class TakeoverKit {
 public:
  // Prepare()
  //
  // Resolves and opens everything for `groups`; with a BGP:: address, makes
  // tachy-own and tachy-take (EnsureLocalInterface). kInvalidArgument names the
  // haresources line of a resource that cannot be resolved. An interface
  // not there yet (unless require_interfaces) and an ARP watcher that cannot
  // be opened are warnings in `warnings`: a take of that group fails until
  // the interface appears; conflicts there go unseen meanwhile.
  static absl::StatusOr<std::unique_ptr<TakeoverKit>> Prepare(
      const std::vector<ResourceGroup>& groups, const KitOptions& options);

  // GroupOpsFor()
  //
  // The operations of group `g` (valid while the kit lives). Thread-safe
  // across groups; one job per group at a time.
  GroupOps& GroupOpsFor(size_t g) { return *ops_[g]; }
  const std::vector<PreparedResource>& resources(size_t g) const { return groups_[g]; }

  // Refresh()
  //
  // Off the takeover path, with no job running (the runner calls it every
  // second while all groups are idle): opens what an interface that
  // appeared or was re-created needs (its index, GARP socket, ARP watcher).
  // Returns the indexes of the watchers it (re)opened, for the caller's
  // epoll set; `notes` gets what changed, for the log.
  std::vector<size_t> Refresh(std::vector<std::string>* notes);

  GarpOwner& garp() { return garp_; }
  // One per service interface; null while it cannot be opened.
  std::vector<std::pair<std::string, std::unique_ptr<ArpWatcher>>>& watchers() {
    return watchers_;
  }
  const std::vector<std::string>& warnings() const { return warnings_; }
  // What Prepare() did that the log should say (links created).
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  TakeoverKit() = default;

  KitOptions options_;
  std::unique_ptr<AddressSocket> netlink_;
  GarpOwner garp_;
  std::vector<std::vector<PreparedResource>> groups_;
  std::vector<std::unique_ptr<GroupOps>> ops_;
  std::vector<std::optional<AppCheck>> checks_;  // by group
  std::vector<std::pair<std::string, std::unique_ptr<ArpWatcher>>> watchers_;
  std::vector<std::string> warnings_;
  std::vector<std::string> notes_;
  bool bgp_links_ = false;  // tachy-own/tachy-take made (a group has BGP:: addresses)
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_TAKEOVER_KIT_H_
