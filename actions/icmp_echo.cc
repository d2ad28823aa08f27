#include "actions/icmp_echo.h"

#include <arpa/inet.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace tachy {
namespace {

uint16_t Checksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (len % 2 != 0) sum += uint32_t{data[len - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace

std::array<uint8_t, 16> BuildEchoRequest(uint16_t id, uint16_t seq) {
  std::array<uint8_t, 16> p{};
  p[0] = 8;  // echo request
  p[4] = static_cast<uint8_t>(id >> 8);
  p[5] = static_cast<uint8_t>(id);
  p[6] = static_cast<uint8_t>(seq >> 8);
  p[7] = static_cast<uint8_t>(seq);
  std::memcpy(&p[8], "tachy-pg", 8);
  const uint16_t sum = Checksum(p.data(), p.size());
  p[2] = static_cast<uint8_t>(sum >> 8);
  p[3] = static_cast<uint8_t>(sum);
  return p;
}

bool ParseEchoReply(const uint8_t* packet, size_t len, uint16_t id, uint32_t* from) {
  if (len < 20 || (packet[0] >> 4) != 4) return false;
  const size_t ihl = static_cast<size_t>(packet[0] & 0x0f) * 4;
  if (ihl < 20 || len < ihl + 8 || packet[9] != IPPROTO_ICMP) return false;
  const uint8_t* icmp = packet + ihl;
  if (icmp[0] != 0 || icmp[1] != 0) return false;  // echo reply, code 0
  if (((uint16_t{icmp[4]} << 8) | icmp[5]) != id) return false;
  *from = (uint32_t{packet[12]} << 24) | (uint32_t{packet[13]} << 16) |
          (uint32_t{packet[14]} << 8) | packet[15];
  return true;
}

absl::StatusOr<std::unique_ptr<IcmpEchoSocket>> IcmpEchoSocket::Open() {
  UniqueFd fd(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP));
  if (!fd.valid()) {
    return absl::ErrnoToStatus(errno, "ping nodes: raw ICMP socket (needs CAP_NET_RAW)");
  }
  // Only echo replies reach us: the kernel drops every other ICMP type.
  icmp_filter filter{};
  filter.data = ~(1u << ICMP_ECHOREPLY);
  if (setsockopt(fd.get(), SOL_RAW, ICMP_FILTER, &filter, sizeof(filter)) != 0) {
    return absl::ErrnoToStatus(errno, "ping nodes: ICMP_FILTER");
  }
  return std::make_unique<IcmpEchoSocket>(std::move(fd), static_cast<uint16_t>(getpid()));
}

absl::Status IcmpEchoSocket::Send(uint32_t ip, uint16_t seq) {
  const std::array<uint8_t, 16> p = BuildEchoRequest(id_, seq);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(ip);
  if (sendto(fd_.get(), p.data(), p.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to),
             sizeof(to)) != static_cast<ssize_t>(p.size())) {
    return absl::ErrnoToStatus(errno, "ping: sendto");
  }
  return absl::OkStatus();
}

void IcmpEchoSocket::Drain(absl::FunctionRef<void(uint32_t)> sink) {
  uint8_t buf[1500];
  // Bounded: a flood of replies is read a batch per wake-up.
  for (int i = 0; i < 256; ++i) {
    const ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (n < 0) return;
    uint32_t from = 0;
    if (ParseEchoReply(buf, static_cast<size_t>(n), id_, &from)) sink(from);
  }
}

}  // namespace tachy
