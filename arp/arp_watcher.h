// arp_watcher.h: watches ARP on an interface for who claims which address.
//
// While a node holds a VIP, any other MAC answering for it or announcing it
// means a split brain or an address conflict. libpcap, immediate mode,
// BPF filter "arp", non-blocking, fd for epoll.
#ifndef TACHY_ARP_ARP_WATCHER_H_
#define TACHY_ARP_ARP_WATCHER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "detector/base/ipv4.h"
#include "arp/garp.h"

namespace tachy {

// One ARP packet's claim: `sender_mac` says it has `sender_ip`.
struct ArpClaim {
  uint32_t sender_ip = 0;  // host byte order
  MacAddress sender_mac{};
  uint32_t target_ip = 0;  // host byte order
  bool reply = false;      // op 2
  bool gratuitous = false; // sender_ip == target_ip
};

// (FormatIpv4, detector/base/ipv4.h, prints ArpClaim's host-order addresses.)

// ParseArpClaim()
//
// Decodes an Ethernet frame carrying IPv4-over-Ethernet ARP into `out`;
// false for anything else or truncated input (never reads past `len`).
bool ParseArpClaim(const uint8_t* frame, size_t len, ArpClaim* out);

// ParseArpPayload()
//
// The same for the ARP packet alone (what follows the link-layer header, be
// it Ethernet, VLAN-tagged or a Linux cooked capture).
bool ParseArpPayload(const uint8_t* arp, size_t len, ArpClaim* out);

class ArpWatcher {
 public:
  using Sink = absl::FunctionRef<void(const ArpClaim&)>;

  // Open()
  //
  // Starts capturing ARP on `iface` (incoming only: our own GARPs are not
  // claims by others). Errors name the interface.
  static absl::StatusOr<std::unique_ptr<ArpWatcher>> Open(const std::string& iface);
  virtual ~ArpWatcher() = default;

  virtual int fd() const = 0;

  // Drain()
  //
  // Hands every waiting ARP claim to `sink`; never blocks. Returns the count.
  virtual size_t Drain(Sink sink) = 0;
};

}  // namespace tachy

#endif  // TACHY_ARP_ARP_WATCHER_H_
