// fuzz_tachydump: tachydump's packet decoders (tachy frames, Heartbeat
// classic and netstring messages, ARP) on arbitrary captured bytes, for every
// link type it reads.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz/fuzz_target.h"
#include "arp/arp_watcher.h"
#include "tools/tachydump_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  for (tachy::dump::LinkType link : {tachy::dump::LinkType::kEthernet, tachy::dump::LinkType::kLinuxSll,
                               tachy::dump::LinkType::kLinuxSll2}) {
    (void)tachy::dump::DecodePacket(bytes, static_cast<uint32_t>(size), link);
  }
  (void)tachy::ParseHeartbeatMessage(bytes);
  tachy::ArpClaim claim;
  (void)tachy::ParseArpClaim(data, size, &claim);
  (void)tachy::ParseArpPayload(data, size, &claim);
  return 0;
}
