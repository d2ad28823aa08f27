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
    Conflict k{a.group, a.ip, FormatMac(c.sender_mac), iface, c.gratuitous, false, 0};
    auto [it, fresh] = logged_.try_emplace(a.ip);
    LogState& st = it->second;
    if (fresh || now - st.last > log_every_) {
      k.log = true;
      k.unlogged = st.unlogged;
      st.last = now;
      st.unlogged = 0;
    } else {
      ++st.unlogged;
    }
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace tachy
