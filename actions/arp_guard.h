// arp_guard.h: which ARP claims seen on the wire are conflicts with an
// address this node holds, and which of them to log.
//
// While we hold an address, another MAC answering for it or announcing it
// is a split brain or an address conflict. Our own MAC's claims are not;
// neither are claims while the group is being released (an emergency
// release removes the address first, and the successor then announces it).
// Each address is logged at most once per `log_every`, whichever MACs claim
// it (a flood of claims from random MACs is one line per period, saying how
// many claims it stands for), and the guard's memory is one entry per
// address; every conflict is counted.
#ifndef TACHY_ACTIONS_ARP_GUARD_H_
#define TACHY_ACTIONS_ARP_GUARD_H_

#include <map>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "arp/arp_watcher.h"
#include "arp/garp.h"
#include "detector/base/mono_time.h"

namespace tachy {

class ArpGuard {
 public:
  struct Address {
    size_t group = 0;
    std::string ip;  // dotted quad
    std::string iface;
  };
  struct Conflict {
    size_t group = 0;
    std::string ip, mac, iface;
    bool gratuitous = false;
    bool log = false;        // first for this address in `log_every`
    uint64_t unlogged = 0;   // with `log`: conflicts of this address not logged before it
  };

  explicit ArpGuard(std::vector<Address> addresses, absl::Duration log_every = absl::Seconds(10))
      : addresses_(std::move(addresses)), log_every_(log_every) {}

  // Check()
  //
  // The conflicts one claim seen on `iface` makes: `own` is our MAC there
  // (null if unknown), `guarded(g)` whether group g's addresses are ours to
  // defend now.
  std::vector<Conflict> Check(const ArpClaim& claim, const std::string& iface,
                              const MacAddress* own, absl::FunctionRef<bool(size_t)> guarded,
                              MonoTime now);

  // The number of addresses whose logging is being rate-limited (at most
  // the number of addresses guarded).
  size_t tracked() const { return logged_.size(); }

 private:
  std::vector<Address> addresses_;
  absl::Duration log_every_;
  struct LogState {
    MonoTime last;
    uint64_t unlogged = 0;
  };
  std::map<std::string, LogState> logged_;  // by address (dotted quad)
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_ARP_GUARD_H_
