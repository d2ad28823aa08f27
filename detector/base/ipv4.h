// ipv4.h: dotted quads in and out, one way for the whole tree (config
// parsers, netlink, GARP, ARP watching, tachydump). Addresses are host-order
// uint32_t, as LoadBe32 reads them off the wire.
#ifndef TACHY_DETECTOR_BASE_IPV4_H_
#define TACHY_DETECTOR_BASE_IPV4_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace tachy {

// ParseIpv4()
//
// The address "a.b.c.d" names, or nullopt. inet_pton's strict form: four
// decimal parts, no "1.2.3" shorthand, no octal, no name resolution.
std::optional<uint32_t> ParseIpv4(absl::string_view text);

// FormatIpv4()
//
// "a.b.c.d".
std::string FormatIpv4(uint32_t ip);

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_IPV4_H_
