// Gratuitous ARP frames laid out like resource-agents' send_arp (libnet
// build), which is what Heartbeat's IPaddr/IPaddr2 run after adding a VIP
// (what Heartbeat's IPaddr does).
#include "arp/garp.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/base/byte_order.h"
#include "detector/base/ipv4.h"
#include "detector/base/libnet_handle.h"

namespace tachy {
namespace {

// libnet_pblock_coalesce() mallocs the frame; in LIBNET_NONE mode the pointer
// is not offset by the aligner (only the LINK modes do that), so free() is
// the matching release.
struct MallocFree {
  void operator()(uint8_t* p) const { std::free(p); }
};

constexpr uint8_t kBroadcastMac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
constexpr uint8_t kZeroMac[6] = {0, 0, 0, 0, 0, 0};


// Adds (or, with nonzero tags, rewrites in place) the ARP and Ethernet
// pblocks of one GARP on `l`. send_arp.libnet.c: sender = target = VIP;
// target MAC zero in the request, ours in the reply; both to broadcast.
// A probe (RFC 5227): a request with sender IP 0.0.0.0 and target IP `ip`.
absl::Status BuildInto(libnet_t* l, const uint8_t mac[6], const uint8_t ip[4], bool reply,
                       libnet_ptag_t* arp_tag, libnet_ptag_t* eth_tag, bool probe = false) {
  static constexpr uint8_t kZeroIp[4] = {0, 0, 0, 0};
  *arp_tag = libnet_build_arp(ARPHRD_ETHER, ETHERTYPE_IP, 6, 4, reply ? ARPOP_REPLY : ARPOP_REQUEST,
                              mac, probe ? kZeroIp : ip, reply ? mac : kZeroMac, ip, nullptr, 0,
                              l, *arp_tag);
  if (*arp_tag == -1) {
    return absl::InternalError(absl::StrCat("libnet_build_arp: ", libnet_geterror(l)));
  }
  *eth_tag = libnet_build_ethernet(kBroadcastMac, mac, ETHERTYPE_ARP, nullptr, 0, l, *eth_tag);
  if (*eth_tag == -1) {
    return absl::InternalError(absl::StrCat("libnet_build_ethernet: ", libnet_geterror(l)));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatMac(const MacAddress& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

namespace {

absl::StatusOr<std::vector<uint8_t>> BuildArpFrame(const MacAddress& mac, absl::string_view ip,
                                                   bool reply, bool probe) {
  // ParseIpv4 rather than libnet_name2addr4: it never resolves names and
  // rejects "1.2.3" shorthand.
  const std::optional<uint32_t> parsed = ParseIpv4(ip);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: bad IPv4 address '%s'", probe ? "ARP probe" : "GARP", ip));
  }
  uint8_t addr[4];
  StoreBe32(addr, *parsed);
  char errbuf[LIBNET_ERRBUF_SIZE] = "";
  // LIBNET_NONE: build only, no device and no privileges. The autobuild
  // helpers refuse this mode in 1.1.6 (measured), the explicit ones work.
  LibnetPtr net(libnet_init(LIBNET_NONE, nullptr, errbuf));
  if (!net) return absl::InternalError(absl::StrCat("libnet_init: ", errbuf));
  libnet_ptag_t arp_tag = 0;
  libnet_ptag_t eth_tag = 0;
  if (absl::Status s = BuildInto(net.get(), mac.data(), addr, reply, &arp_tag, &eth_tag, probe);
      !s.ok()) {
    return s;
  }
  uint8_t* raw = nullptr;
  uint32_t size = 0;
  if (libnet_pblock_coalesce(net.get(), &raw, &size) == -1) {
    return absl::InternalError(
        absl::StrCat("libnet_pblock_coalesce: ", libnet_geterror(net.get())));
  }
  std::unique_ptr<uint8_t, MallocFree> packet(raw);
  return std::vector<uint8_t>(packet.get(), packet.get() + size);
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> BuildGarpFrame(const MacAddress& mac, absl::string_view ip,
                                                    bool reply) {
  return BuildArpFrame(mac, ip, reply, /*probe=*/false);
}

absl::StatusOr<std::vector<uint8_t>> BuildArpProbeFrame(const MacAddress& mac,
                                                        absl::string_view ip) {
  return BuildArpFrame(mac, ip, /*reply=*/false, /*probe=*/true);
}

}  // namespace tachy
