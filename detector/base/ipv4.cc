#include "detector/base/ipv4.h"

#include <arpa/inet.h>

#include <string>

#include "absl/strings/str_format.h"

namespace tachy {

std::optional<uint32_t> ParseIpv4(absl::string_view text) {
  const std::string copy(text);  // inet_pton wants a terminated string
  in_addr addr{};
  if (inet_pton(AF_INET, copy.c_str(), &addr) != 1) return std::nullopt;
  return ntohl(addr.s_addr);
}

std::string FormatIpv4(uint32_t ip) {
  return absl::StrFormat("%d.%d.%d.%d", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

}  // namespace tachy
