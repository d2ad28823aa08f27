#include "actions/arp_guard.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace tachy {

std::vector<ArpGuard::Conflict> ArpGuard::Check(const ArpClaim& c, const std::string& iface,
                                                const MacAddress* own,
                                                absl::FunctionRef<bool(size_t)> guarded,
                                                MonoTime now) {
  std::vector<Conflict> out;
  if (own != nullptr && c.sender_mac == *own) return out;
  char ip[16];
  std::snprintf(ip, sizeof(ip), "%u.%u.%u.%u", c.sender_ip >> 24, (c.sender_ip >> 16) & 255,
                (c.sender_ip >> 8) & 255, c.sender_ip & 255);
  for (const Address& a : addresses_) {
    if (a.ip != ip || a.iface != iface || !guarded(a.group)) continue;
    Conflict k{a.group, a.ip, FormatMac(c.sender_mac), iface, c.gratuitous, false};
    const std::string key = absl::StrCat(k.ip, "/", k.mac);
    auto it = logged_.find(key);
    if (it == logged_.end() || now - it->second > log_every_) {
      logged_[key] = now;
      k.log = true;
    }
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace tachy
