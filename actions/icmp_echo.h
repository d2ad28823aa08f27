// icmp_echo.h: ICMP echo for ping nodes: one raw socket, opened at start,
// filtered in the kernel to echo replies, non-blocking (epoll).
//
// Raw rather than an unprivileged ping socket: those need
// net.ipv4.ping_group_range, which a fresh network namespace leaves empty.
#ifndef TACHY_ACTIONS_ICMP_ECHO_H_
#define TACHY_ACTIONS_ICMP_ECHO_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "detector/base/unique_fd.h"

namespace tachy {

// BuildEchoRequest()
//
// An ICMP echo request (type 8) with `id` and `seq`, 8 bytes of payload,
// checksum filled in.
std::array<uint8_t, 16> BuildEchoRequest(uint16_t id, uint16_t seq);

// ParseEchoReply()
//
// An IPv4 packet as a raw ICMP socket reads it: true if it is an echo reply
// (type 0) carrying `id`, with the sender's address in `from` (host byte
// order). Never reads past `len`.
bool ParseEchoReply(const uint8_t* packet, size_t len, uint16_t id, uint32_t* from);

class IcmpEchoSocket {
 public:
  static absl::StatusOr<std::unique_ptr<IcmpEchoSocket>> Open();
  IcmpEchoSocket(UniqueFd fd, uint16_t id) : fd_(std::move(fd)), id_(id) {}

  int fd() const { return fd_.get(); }

  // Send()
  //
  // One echo request to `ip` (host byte order); never blocks.
  absl::Status Send(uint32_t ip, uint16_t seq);

  // Drain()
  //
  // Hands the sender of every waiting echo reply of ours to `sink`.
  void Drain(absl::FunctionRef<void(uint32_t ip)> sink);

 private:
  UniqueFd fd_;
  uint16_t id_;
};

}  // namespace tachy

#endif  // TACHY_ACTIONS_ICMP_ECHO_H_
