// garp_owner.h: the one owner of gratuitous ARP on the takeover path.
//
// Everything is prepared when the action runner starts: per interface one
// AF_PACKET socket (bound, MAC known) and per service address its two
// frames (request and reply, as send_arp builds them: BuildGarpFrame). An
// announcement is then two send() calls: no libnet handle, no allocation,
// nothing opened while a takeover waits. An interface that is missing at
// start, or is re-created later (a new index), is (re)opened by Refresh(),
// which the runner calls off the takeover path. Announce() is thread-safe
// (group workers and the runner's loop); AddAddress() and Refresh() are
// for the runner's loop while no announcement runs.
#ifndef TACHY_ARP_GARP_OWNER_H_
#define TACHY_ARP_GARP_OWNER_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "arp/garp.h"
#include "detector/base/unique_fd.h"

namespace tachy {

class GarpOwner {
 public:
  using AddressId = size_t;

  // AddAddress()
  //
  // Prepares announcements of `ip` on `iface`, opening the interface's
  // socket the first time it is named. kInvalidArgument for a bad IP or
  // name. A missing interface is not an error: the address is registered
  // and its frames are built once Refresh() finds the interface (until then
  // Announce() says kUnavailable).
  absl::StatusOr<AddressId> AddAddress(const std::string& iface, const std::string& ip);

  // Refresh()
  //
  // Opens interfaces that have appeared and re-opens those whose index
  // changed (re-created). Returns the names of the interfaces it (re)opened.
  std::vector<std::string> Refresh();

  // Announce()
  //
  // Sends the prepared request and reply for `id`. kUnavailable if the
  // interface is missing or the kernel refuses (link down).
  absl::Status Announce(AddressId id);

  // Probe()
  //
  // Sends the prepared ARP probe for `id` (BuildArpProbeFrame): whoever
  // still has the address answers it. The same errors as Announce().
  absl::Status Probe(AddressId id);

  // mac()
  //
  // The MAC our announcements on `iface` carry (nullptr if not open).
  const MacAddress* mac(const std::string& iface) const;

  // opened()
  //
  // How many interface sockets were opened, ever (tests prove a takeover
  // opens none).
  size_t opened() const { return opened_; }

 private:
  struct Interface {
    std::string name;
    unsigned int index = 0;  // 0: not open (missing)
    UniqueFd fd;
    MacAddress mac{};
  };
  struct Address {
    size_t iface;
    std::string ip;
    std::vector<uint8_t> request, reply, probe;  // empty until the interface is open
  };

  absl::Status Open(Interface& itf);
  absl::Status BuildFrames(Address& a);
  // Sends `frames` of address `id`; errors begin with `what`.
  absl::Status Send(AddressId id, absl::string_view what,
                    std::initializer_list<std::vector<uint8_t> Address::*> frames);

  std::vector<std::unique_ptr<Interface>> ifaces_;
  std::vector<Address> addresses_;
  size_t opened_ = 0;
  absl::Mutex send_mu_;
};

}  // namespace tachy

#endif  // TACHY_ARP_GARP_OWNER_H_
