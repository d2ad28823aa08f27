// garp.h: gratuitous ARP frames for a service address (built with libnet;
// garp_owner.h sends them).
//
// Matches resource-agents' send_arp (libnet build), which IPaddr/IPaddr2 use:
// each announcement is an ARP request then an ARP reply, both to Ethernet
// broadcast from the interface MAC; sender IP = target IP = the VIP; target
// MAC 00:00:00:00:00:00 in the request and our own MAC in the reply.
#ifndef TACHY_ARP_GARP_H_
#define TACHY_ARP_GARP_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tachy {

using MacAddress = std::array<uint8_t, 6>;

// FormatMac()
//
// "aa:bb:cc:dd:ee:ff".
std::string FormatMac(const MacAddress& mac);

// BuildGarpFrame()
//
// The 42-byte Ethernet frame of one gratuitous ARP (request if !reply) for
// `ip` (dotted quad) from `mac`. Needs no privileges (libnet in LIBNET_NONE
// mode, explicit libnet_build_arp + libnet_build_ethernet). kInvalidArgument
// for a bad IP.
absl::StatusOr<std::vector<uint8_t>> BuildGarpFrame(const MacAddress& mac, absl::string_view ip,
                                                    bool reply);

// BuildArpProbeFrame()
//
// The 42-byte frame of an RFC 5227 ARP probe for `ip` from `mac`: a request
// to Ethernet broadcast with sender IP 0.0.0.0 and target MAC zero, so it
// changes no ARP cache while whoever has `ip` answers it. kInvalidArgument
// for a bad IP.
absl::StatusOr<std::vector<uint8_t>> BuildArpProbeFrame(const MacAddress& mac,
                                                        absl::string_view ip);

}  // namespace tachy

#endif  // TACHY_ARP_GARP_H_
