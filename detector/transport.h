// transport.h: a heartbeat medium: sends our frames, drains received ones.
//
// Implementations: raw Ethernet (libpcap receive, libnet send) and UDP
// bcast/mcast/ucast sockets, as ha.cf describes them. Every transport is
// non-blocking and exposes one fd for epoll. Receive times are the kernel's
// (pcap header, SO_TIMESTAMPNS), converted to MonoTime, so a detector that
// reads late still judges by when frames really arrived.
#ifndef TACHY_DETECTOR_TRANSPORT_H_
#define TACHY_DETECTOR_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "detector/config/medium.h"
#include "detector/base/mono_time.h"

namespace tachy {

class Transport {
 public:
  using Sink = absl::FunctionRef<void(std::span<const uint8_t> payload, MonoTime rx_time)>;

  virtual ~Transport() = default;

  // name()
  //
  // The medium's name, MediumConfig::Name().
  virtual const std::string& name() const = 0;

  // fd()
  //
  // Becomes readable when frames wait.
  virtual int fd() const = 0;

  // Send()
  //
  // Sends one frame payload. kUnavailable on a transient error (link down,
  // no buffer); the next keepalive simply tries again.
  virtual absl::Status Send(std::span<const uint8_t> payload) = 0;

  // Drain()
  //
  // Hands every waiting frame to `sink` and returns how many; never blocks.
  virtual size_t Drain(Sink sink) = 0;
};

// OpenTransport()
//
// Opens the medium `config` describes. Errors name the medium and the failing
// operation, e.g. "raw:eth9: pcap_activate: No such device exists".
// kUnavailable means only "not yet": the interface does not exist or has no
// IPv4 address yet (a boot race); tachyd waits for it. Every other error is
// final.
absl::StatusOr<std::unique_ptr<Transport>> OpenTransport(const MediumConfig& config);

absl::StatusOr<std::unique_ptr<Transport>> OpenRawL2Transport(const MediumConfig& config);
absl::StatusOr<std::unique_ptr<Transport>> OpenUdpTransport(const MediumConfig& config);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TRANSPORT_H_
