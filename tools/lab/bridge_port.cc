#include "tools/lab/bridge_port.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "detector/base/byte_order.h"
#include "detector/base/ethernet.h"

namespace tachy {
namespace {

constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kVnetGsoNone = 0;    // VIRTIO_NET_HDR_GSO_NONE
// Large enough for a GSO super-frame (64 KiB plus headers, and then some).
constexpr size_t kRxBufferBytes = 256 * 1024;
constexpr int kSocketBufferBytes = 4 * 1024 * 1024;

}  // namespace

absl::Status OpenBridgePort(const PortSpec& spec, UniqueFd* out) {
  const unsigned ifindex = if_nametoindex(spec.iface.c_str());
  if (ifindex == 0) return absl::ErrnoToStatus(errno, absl::StrCat("interface ", spec.iface));
  const std::string what = absl::StrCat("port ", spec.name, " (", spec.iface, ")");

  // Protocol 0 until bind(), so no frame of another interface is queued first.
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("AF_PACKET socket for ", what));
  const int one = 1;
  struct Option {
    int level, name;
    const char* label;
  };
  for (const Option& o : {Option{SOL_PACKET, PACKET_VNET_HDR, "PACKET_VNET_HDR"},
                          Option{SOL_PACKET, PACKET_AUXDATA, "PACKET_AUXDATA"},
                          Option{SOL_PACKET, PACKET_IGNORE_OUTGOING, "PACKET_IGNORE_OUTGOING"},
                          // The kernel's receive time: how long a frame spent
                          // in the bridge, socket queue included.
                          Option{SOL_SOCKET, SO_TIMESTAMPNS, "SO_TIMESTAMPNS"}}) {
    if (setsockopt(fd.get(), o.level, o.name, &one, sizeof(one)) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("setsockopt ", o.label, " on ", what));
    }
  }
  // Room for bursts; the *FORCE variants need CAP_NET_ADMIN, else the
  // sysctl-capped plain ones will do.
  for (const auto& [force, plain] :
       {std::pair{SO_RCVBUFFORCE, SO_RCVBUF}, std::pair{SO_SNDBUFFORCE, SO_SNDBUF}}) {
    if (setsockopt(fd.get(), SOL_SOCKET, force, &kSocketBufferBytes, sizeof(kSocketBufferBytes)) !=
        0) {
      setsockopt(fd.get(), SOL_SOCKET, plain, &kSocketBufferBytes, sizeof(kSocketBufferBytes));
    }
  }
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind AF_PACKET on ", what));
  }
  packet_mreq mreq{};
  mreq.mr_ifindex = static_cast<int>(ifindex);
  mreq.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd.get(), SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("promiscuous mode on ", what));
  }
  *out = std::move(fd);
  return absl::OkStatus();
}

PortReader::PortReader() : buffer_(kRxBufferBytes + kVlanTagBytes) {}

PortReader::Result PortReader::Receive(int fd) {
  // Read 4 bytes in, so an out-of-band VLAN tag can be put back in place by
  // moving only the header in front of it.
  uint8_t* const base = buffer_.data();
  iovec iov{base + kVlanTagBytes, buffer_.size() - kVlanTagBytes};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(tpacket_auxdata)) +
                                CMSG_SPACE(sizeof(timespec))];
  sockaddr_ll from{};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(fd, &msg, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Result::kNone;
    return errno == EINTR ? Result::kSkipped : Result::kError;
  }
  if (from.sll_pkttype == PACKET_OUTGOING) return Result::kSkipped;  // backstop
  if (msg.msg_flags & MSG_TRUNC) return Result::kOversize;
  size_t len = static_cast<size_t>(n);
  if (len < kVnetHdrBytes + kEthernetHeaderBytes) return Result::kRunt;
  uint8_t* start = base + kVlanTagBytes;
  rx_real_ns_ = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      rx_real_ns_ = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
      continue;
    }
    if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
    tpacket_auxdata aux;
    std::memcpy(&aux, CMSG_DATA(c), sizeof(aux));
    if (!(aux.tp_status & TP_STATUS_VLAN_VALID)) continue;
    std::memmove(base, start, kVnetHdrBytes + 2 * kMacBytes);
    start = base;
    len += kVlanTagBytes;
    uint8_t* tag = base + kVnetHdrBytes + 2 * kMacBytes;
    StoreBe16(tag, (aux.tp_status & TP_STATUS_VLAN_TPID_VALID)
                       ? aux.tp_vlan_tpid
                       : static_cast<uint16_t>(kEtherTypeVlan));
    StoreBe16(tag + 2, aux.tp_vlan_tci);
    // Offload offsets count from the frame start: shift them past the tag.
    VnetHeader vh;
    std::memcpy(&vh, base, sizeof(vh));
    if (vh.flags & kVnetNeedsCsum) vh.csum_start += kVlanTagBytes;
    if (vh.gso_type != kVnetGsoNone) vh.hdr_len += kVlanTagBytes;
    std::memcpy(base, &vh, sizeof(vh));
  }
  frame_ = std::span<const uint8_t>(start, len);
  return Result::kFrame;
}

}  // namespace tachy
