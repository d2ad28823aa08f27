// netlink_address.h: IPv4 service addresses on interfaces, over rtnetlink
// (libmnl). What IPaddr2 does with `ip addr add/del`, without forking; and
// the local interfaces BGP-announced addresses live on.
#ifndef TACHY_ACTIONS_NETLINK_ADDRESS_H_
#define TACHY_ACTIONS_NETLINK_ADDRESS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/string_view.h"

namespace tachy {

struct CoveringRoute {
  std::string iface;
  int prefix_len = 0;
};

// FindCoveringRoute()
//
// The most specific non-default IPv4 route of the main table that contains
// `ip` and has an output interface (IPaddr's findif). kNotFound if only the
// default route (or nothing) covers it; the message suggests ip/cidr/iface.
absl::StatusOr<CoveringRoute> FindCoveringRoute(absl::string_view ip);

// AddAddress()
//
// Adds ip/prefix_len to `iface` with the given broadcast (empty: the subnet's
// highest address) and label (empty: none; else must start with the
// interface name, as the kernel requires). kAlreadyExists if present.
absl::Status AddAddress(const std::string& iface, absl::string_view ip, int prefix_len,
                        absl::string_view broadcast = "", absl::string_view label = "");

// DeleteAddress()
//
// Removes ip/prefix_len from `iface`; kNotFound if it is not there.
absl::Status DeleteAddress(const std::string& iface, absl::string_view ip, int prefix_len);

// One service address, resolved at start-up (ifindex 0 = look it up).
struct AddressSpec {
  std::string iface;
  unsigned int ifindex = 0;
  std::string ip;
  int prefix_len = 32;
  std::string broadcast;  // empty: the subnet's highest address
  std::string label;      // empty: none
};

// AddressSocket
//
// One NETLINK_ROUTE socket opened at start-up, so adding or removing a
// service address on the takeover path is one sendto and one recvfrom, no
// socket(), bind() or interface lookup. Same errors as the functions above.
// Thread-safe (one request at a time).
class AddressSocket {
 public:
  static absl::StatusOr<std::unique_ptr<AddressSocket>> Open();
  ~AddressSocket();
  absl::Status Add(const AddressSpec& address);
  absl::Status Delete(const AddressSpec& address);

 private:
  struct Impl;
  AddressSocket();
  absl::Mutex mu_;
  std::unique_ptr<Impl> impl_;
};

// NetlinkSocketsOpened()
//
// How many netlink sockets this process has opened (tests prove a takeover
// through an AddressSocket opens none).
uint64_t NetlinkSocketsOpened();

// EnsureLocalInterface()
//
// Makes `name` a link that is up, creating it (`ip link add NAME type dummy
// up`) if it is missing; a kernel without the dummy driver gets an ifb link,
// which carries local addresses as well. Returns what was done: "present",
// "created (dummy)" or "created (ifb)". Called at start-up: creating a link
// costs tens of milliseconds, never spent on a takeover.
absl::StatusOr<std::string> EnsureLocalInterface(const std::string& name);

// InterfaceWithAddress()
//
// The interface that has `ip` configured, or kNotFound.
absl::StatusOr<std::string> InterfaceWithAddress(absl::string_view ip);

}  // namespace tachy

#endif  // TACHY_ACTIONS_NETLINK_ADDRESS_H_
