#include "detector/base/pcap_capture.h"

#include <fcntl.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tachy {

absl::StatusOr<PcapPtr> OpenLiveCapture(const LiveCaptureOptions& options) {
  const std::string& name = options.name.empty() ? options.iface : options.name;
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  PcapPtr pcap(pcap_create(options.iface.c_str(), errbuf));
  if (!pcap) return absl::InternalError(absl::StrCat(name, ": pcap_create: ", errbuf));
  pcap_set_snaplen(pcap.get(), options.snaplen);
  pcap_set_promisc(pcap.get(), options.promisc ? 1 : 0);
  pcap_set_immediate_mode(pcap.get(), options.immediate ? 1 : 0);
  if (options.buffer_bytes > 0) pcap_set_buffer_size(pcap.get(), options.buffer_bytes);
  if (options.nanosecond_timestamps) {
    pcap_set_tstamp_precision(pcap.get(), PCAP_TSTAMP_PRECISION_NANO);
  }
  if (int rc = pcap_activate(pcap.get()); rc < 0) {
    const bool not_yet = rc == PCAP_ERROR_NO_SUCH_DEVICE || rc == PCAP_ERROR_IFACE_NOT_UP;
    return absl::Status(
        not_yet ? absl::StatusCode::kUnavailable : absl::StatusCode::kFailedPrecondition,
        absl::StrFormat("%s: pcap_activate: %s (%s)", name, pcap_statustostr(rc),
                        pcap_geterr(pcap.get())));
  }
  if (options.require_ethernet && pcap_datalink(pcap.get()) != DLT_EN10MB) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": not an Ethernet interface"));
  }
  if (options.inbound_only) {
    if (pcap_setdirection(pcap.get(), PCAP_D_IN) != 0) {
      return absl::InternalError(
          absl::StrCat(name, ": pcap_setdirection: ", pcap_geterr(pcap.get())));
    }
    // Only a saving (sent frames are not copied into the ring first); an
    // older kernel without it still sees only inbound frames.
    const int ignore_outgoing = 1;
    (void)setsockopt(pcap_fileno(pcap.get()), SOL_PACKET, PACKET_IGNORE_OUTGOING,
                     &ignore_outgoing, sizeof(ignore_outgoing));
  }
  if (!options.filter.empty()) {
    bpf_program prog;
    if (pcap_compile(pcap.get(), &prog, options.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return absl::InternalError(absl::StrCat(name, ": pcap_compile: ", pcap_geterr(pcap.get())));
    }
    const int set = pcap_setfilter(pcap.get(), &prog);
    pcap_freecode(&prog);
    if (set != 0) {
      return absl::InternalError(absl::StrCat(name, ": pcap_setfilter: ", pcap_geterr(pcap.get())));
    }
  }
  if (pcap_setnonblock(pcap.get(), 1, errbuf) != 0) {
    return absl::InternalError(absl::StrCat(name, ": pcap_setnonblock: ", errbuf));
  }
  const int fd = pcap_get_selectable_fd(pcap.get());
  if (fd < 0) return absl::InternalError(absl::StrCat(name, ": no selectable fd"));
  // libpcap opens its socket without O_CLOEXEC: children (the action runner,
  // resource scripts) must not inherit a capture of our links.
  fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
  return pcap;
}

}  // namespace tachy
