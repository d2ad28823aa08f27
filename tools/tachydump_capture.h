// tachydump_capture.h: libpcap input and output for tachydump.
//
// RunCapture() reads packets from a live interface (immediate mode) or a
// pcap/pcapng file, applies a BPF filter, optionally copies every packet to a
// pcap file (-w), and hands each to a Dumper, whose line goes to `emit`.
// The pcap handles are owned here (RAII) and never leak into the header.
#ifndef TACHY_TOOLS_TACHYDUMP_CAPTURE_H_
#define TACHY_TOOLS_TACHYDUMP_CAPTURE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/tachydump_stats.h"

namespace tachy::dump {

struct CaptureOptions {
  std::string iface{};       // live capture (-i); exactly one of iface/read_file
  std::string read_file{};   // pcap or pcapng file (-r)
  std::string write_file{};  // copy every packet here (-w); empty = don't
  std::string filter{};      // BPF, tcpdump syntax; empty = everything
  int64_t count = 0;         // stop after this many packets; 0 = no limit
  absl::Duration duration = absl::ZeroDuration();  // live only; 0 = no limit
  int snaplen = 262144;
  bool promisc = false;
};

struct CaptureResult {
  uint64_t packets = 0;         // handed to the dumper
  uint64_t kernel_dropped = 0;  // live only (pcap_stats)
};

// RunCapture()
//
// Runs until the file ends, `count` packets or `duration` have passed, or
// `*stop` (if given; e.g. set by a signal handler) becomes true. Errors:
// kUnavailable if the interface or file cannot be opened, kInvalidArgument
// for a bad filter or a link type tachydump cannot decode, kInternal for
// libpcap failures mid-run. Each error names the interface or file.
absl::StatusOr<CaptureResult> RunCapture(const CaptureOptions& options, Dumper& dumper,
                                         absl::FunctionRef<void(absl::string_view)> emit,
                                         const std::atomic<bool>* stop);

}  // namespace tachy::dump

#endif  // TACHY_TOOLS_TACHYDUMP_CAPTURE_H_
