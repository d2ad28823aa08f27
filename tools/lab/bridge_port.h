// bridge_port.h: one port of the impairment bridge, an AF_PACKET socket on
// a veth end. Offloads pass through untouched: the socket uses
// PACKET_VNET_HDR, so a TCP super-frame (GSO) or a frame whose checksum the
// sender left to "hardware" (CHECKSUM_PARTIAL, the normal case on veth)
// keeps its offload metadata to the egress veth, as in the kernel bridge. A
// VLAN tag the kernel moved out of band (PACKET_AUXDATA) is put back.
#ifndef TACHY_TOOLS_LAB_BRIDGE_PORT_H_
#define TACHY_TOOLS_LAB_BRIDGE_PORT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "detector/base/unique_fd.h"
#include "tools/lab/bridge_commands.h"

namespace tachy {

// struct virtio_net_hdr, which PACKET_VNET_HDR puts in front of every frame
// (host byte order). <linux/virtio_net.h> does not compile as C++ (a field
// is named `class`), hence this copy of the part we use.
struct VnetHeader {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len;
  uint16_t gso_size;
  uint16_t csum_start;
  uint16_t csum_offset;
};
static_assert(sizeof(VnetHeader) == 10);
inline constexpr size_t kVnetHdrBytes = sizeof(VnetHeader);

// OpenBridgePort()
//
// A promiscuous AF_PACKET socket bound to `spec.iface`, non-blocking, with
// the offload header, out-of-band VLAN tags and kernel receive times on,
// our own sends not looped back, and large buffers. Errors name the port.
absl::Status OpenBridgePort(const PortSpec& spec, UniqueFd* out);

// Receives a port's frames into a buffer of its own.
class PortReader {
 public:
  enum class Result {
    kNone,      // nothing more to read now
    kFrame,     // frame() holds one
    kSkipped,   // interrupted, or our own frame: read on
    kError,     // recvmsg failed (e.g. ENETDOWN, or an offload it cannot map)
    kRunt,      // shorter than the offload header plus an Ethernet header
    kOversize,  // longer than the buffer
  };

  PortReader();

  // Receive()
  //
  // Reads one frame from `fd`.
  Result Receive(int fd);

  // The last frame received, starting with its virtio_net_hdr, the VLAN tag
  // back in place; valid until the next Receive().
  std::span<const uint8_t> frame() const { return frame_; }
  // Its kernel receive time, CLOCK_REALTIME ns (0: unknown).
  int64_t rx_real_ns() const { return rx_real_ns_; }

 private:
  std::vector<uint8_t> buffer_;
  std::span<const uint8_t> frame_;
  int64_t rx_real_ns_ = 0;
};

}  // namespace tachy

#endif  // TACHY_TOOLS_LAB_BRIDGE_PORT_H_
