// pcap_capture.h: the one way the tree opens a live libpcap capture (the
// raw heartbeat medium, the ARP watcher, tachydump): created, tuned,
// activated, filtered, non-blocking, its fd close-on-exec.
#ifndef TACHY_DETECTOR_BASE_PCAP_CAPTURE_H_
#define TACHY_DETECTOR_BASE_PCAP_CAPTURE_H_

#include <string>

#include "absl/status/statusor.h"
#include "detector/base/pcap_handle.h"

namespace tachy {

struct LiveCaptureOptions {
  std::string iface;
  // How errors name the capture ("raw:eth1"); empty: the interface.
  std::string name;
  int snaplen = 1514;
  bool promisc = false;
  // libpcap's ring; 0 keeps its default (2 MiB).
  int buffer_bytes = 0;
  // Immediate mode: a frame is handed over as it arrives, not when the
  // buffer timeout expires (which would delay every heartbeat and claim).
  bool immediate = true;
  bool nanosecond_timestamps = true;
  // Refuse a link that is not Ethernet (every caller parses Ethernet II).
  bool require_ethernet = true;
  // What we send ourselves is not received (PCAP_D_IN; refused: kInternal),
  // and the kernel's PACKET_IGNORE_OUTGOING spares copying it into the ring.
  bool inbound_only = false;
  std::string filter;  // BPF program; empty: every frame
};

// OpenLiveCapture()
//
// Opens the capture as `options` says. kUnavailable when the interface does
// not exist or is down (it may still appear: callers retry), kFailedPrecondition
// for other activation failures (e.g. no permission), kInvalidArgument for a
// non-Ethernet link, kInternal for filter and libpcap errors. Every message
// starts with the capture's name.
absl::StatusOr<PcapPtr> OpenLiveCapture(const LiveCaptureOptions& options);

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_PCAP_CAPTURE_H_
