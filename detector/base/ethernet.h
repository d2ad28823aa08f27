// ethernet.h: the Ethernet II and ARP (RFC 826) numbers the tree parses and
// builds frames with: the raw medium, the ARP watcher, tachydump, the lab
// bridge. (The tachy ethertype itself is the frame's: detector/frame.h.)
#ifndef TACHY_DETECTOR_BASE_ETHERNET_H_
#define TACHY_DETECTOR_BASE_ETHERNET_H_

#include <cstddef>
#include <cstdint>

namespace tachy {

inline constexpr size_t kMacBytes = 6;
// destination MAC, source MAC, ethertype
inline constexpr size_t kEthernetHeaderBytes = 2 * kMacBytes + 2;
// An 802.1Q / 802.1ad tag: TPID, TCI.
inline constexpr size_t kVlanTagBytes = 4;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86DD;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinQ = 0x88A8;

// ARP for IPv4 over Ethernet: htype(2) ptype(2) hlen(1) plen(1) op(2)
// sha(6) spa(4) tha(6) tpa(4).
inline constexpr size_t kArpPacketBytes = 28;
inline constexpr uint16_t kArpHtypeEthernet = 1;

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_ETHERNET_H_
