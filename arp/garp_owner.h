// garp_owner.h: the one owner of gratuitous ARP on the takeover path.
//
// Everything is prepared when the action runner starts: per interface one
// AF_PACKET socket (bound, MAC known) and per service address its two
// frames (request and reply, as send_arp builds them: BuildGarpFrame). An
// announcement is then two send() calls: no libnet handle, no allocation,
// nothing opened while a takeover waits. Thread-safe (group workers announce
// the first, the runner's loop the repeats).
#ifndef TACHY_ARP_GARP_OWNER_H_
#define TACHY_ARP_GARP_OWNER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "arp/garp.h"
#include "detector/unique_fd.h"

namespace tachy {

class GarpOwner {
 public:
  using AddressId = size_t;

  // AddAddress()
  //
  // Prepares announcements of `ip` on `iface` (opening the interface's socket
  // the first time it is named). Call before any takeover; errors name the
  // interface.
  absl::StatusOr<AddressId> AddAddress(const std::string& iface, const std::string& ip);

  // Announce()
  //
  // Sends the prepared request and reply for `id`. kUnavailable if the
  // kernel refuses (link down).
  absl::Status Announce(AddressId id);

  // mac()
  //
  // The MAC our announcements on `iface` carry (nullptr if never prepared).
  const MacAddress* mac(const std::string& iface) const;

  // opened()
  //
  // How many interface sockets were opened, ever (tests prove a takeover
  // opens none).
  size_t opened() const { return opened_; }

 private:
  struct Interface {
    std::string name;
    UniqueFd fd;
    MacAddress mac{};
  };
  struct Address {
    size_t iface;
    std::string ip;
    std::vector<uint8_t> request, reply;
  };

  std::vector<std::unique_ptr<Interface>> ifaces_;
  std::vector<Address> addresses_;
  size_t opened_ = 0;
  absl::Mutex send_mu_;
};

}  // namespace tachy

#endif  // TACHY_ARP_GARP_OWNER_H_
