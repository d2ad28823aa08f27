#include "tools/tachydump_capture.h"

#include <pcap/pcap.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <span>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/base/pcap_capture.h"
#include "detector/base/pcap_handle.h"

namespace tachy::dump {
namespace {

// How long one poll() waits, so that a stop request or the end of
// --duration is noticed promptly without busy-waiting.
constexpr int kPollSliceMs = 100;

absl::StatusOr<PcapPtr> OpenLive(const CaptureOptions& options) {
  LiveCaptureOptions capture;
  capture.iface = options.iface;
  capture.snaplen = options.snaplen;
  capture.promisc = options.promisc;
  // Heartbeats are small and sparse: without immediate mode a frame waits
  // for the buffer timeout and inter-arrival times become meaningless.
  capture.immediate = true;
  // Like tcpdump, any link type is opened; the decoder judges each frame.
  capture.require_ethernet = false;
  return OpenLiveCapture(capture);
}

absl::StatusOr<PcapPtr> OpenFile(const CaptureOptions& options) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  // Nanosecond precision whatever the file holds: microsecond files are
  // scaled up by libpcap, so the decode path sees one unit.
  PcapPtr pcap(pcap_open_offline_with_tstamp_precision(options.read_file.c_str(),
                                                       PCAP_TSTAMP_PRECISION_NANO, errbuf));
  if (!pcap) {
    // libpcap names the file in some messages ("F: No such file...") only.
    const absl::string_view why = errbuf;
    if (absl::StartsWith(why, options.read_file)) return absl::UnavailableError(why);
    return absl::UnavailableError(absl::StrCat(options.read_file, ": ", why));
  }
  return pcap;
}

absl::Status SetFilter(pcap_t* pcap, const std::string& filter, absl::string_view source) {
  if (filter.empty()) return absl::OkStatus();
  bpf_program prog;
  if (pcap_compile(pcap, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": bad filter \"", filter, "\": ", pcap_geterr(pcap)));
  }
  const int rc = pcap_setfilter(pcap, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat(source, ": pcap_setfilter: ", pcap_geterr(pcap)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CaptureResult> RunCapture(const CaptureOptions& options, Dumper& dumper,
                                         absl::FunctionRef<void(absl::string_view)> emit,
                                         const std::atomic<bool>* stop) {
  const bool live = options.read_file.empty();
  const std::string source = live ? options.iface : options.read_file;
  absl::StatusOr<PcapPtr> opened = live ? OpenLive(options) : OpenFile(options);
  if (!opened.ok()) return opened.status();
  PcapPtr pcap = *std::move(opened);

  const int dlt = pcap_datalink(pcap.get());
  const std::optional<LinkType> link = LinkTypeFromDlt(dlt);
  if (!link.has_value()) {
    const char* name = pcap_datalink_val_to_name(dlt);
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: link type %s (%d) not supported (Ethernet and Linux cooked only)",
                        source, name != nullptr ? name : "?", dlt));
  }
  if (absl::Status s = SetFilter(pcap.get(), options.filter, source); !s.ok()) return s;

  PcapDumperPtr writer;
  if (!options.write_file.empty()) {
    writer.reset(pcap_dump_open(pcap.get(), options.write_file.c_str()));
    if (!writer) {
      return absl::UnavailableError(
          absl::StrCat(options.write_file, ": pcap_dump_open: ", pcap_geterr(pcap.get())));
    }
  }

  // Nanoseconds were asked for; a device that cannot give them keeps
  // microseconds, and tv_usec means what it says.
  const bool nano = pcap_get_tstamp_precision(pcap.get()) == PCAP_TSTAMP_PRECISION_NANO;
  CaptureResult result;
  const int fd = live ? pcap_get_selectable_fd(pcap.get()) : -1;
  if (live && fd < 0) return absl::InternalError(absl::StrCat(source, ": no selectable fd"));
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  const bool bounded = live && options.duration > absl::ZeroDuration();
  const Clock::time_point deadline = start + absl::ToChronoNanoseconds(options.duration);

  auto done = [&] {
    if (stop != nullptr && stop->load(std::memory_order_relaxed)) return true;
    if (options.count > 0 && result.packets >= static_cast<uint64_t>(options.count)) return true;
    return bounded && Clock::now() >= deadline;
  };

  while (!done()) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(pcap.get(), &header, &data);
    if (rc == 1) {
      ++result.packets;
      if (writer) {
        pcap_dump(reinterpret_cast<u_char*>(writer.get()), header, data);
        // A live capture may be cut short by a signal or power loss; keep
        // the file useful up to the last packet.
        if (live) pcap_dump_flush(writer.get());
      }
      const int64_t ts_ns = int64_t{header->ts.tv_sec} * 1'000'000'000 +
                            int64_t{header->ts.tv_usec} * (nano ? 1 : 1000);
      const std::string line =
          dumper.Process(ts_ns, std::span<const uint8_t>(data, header->caplen), header->len, *link);
      emit(line);
      continue;
    }
    if (rc == 0) {
      // Live and nothing waiting (non-blocking).
      int timeout = kPollSliceMs;
      if (bounded) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        timeout = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(left, timeout)));
      }
      pollfd pfd{fd, POLLIN, 0};
      poll(&pfd, 1, timeout);  // EINTR (a signal) just means: check done()
      continue;
    }
    if (rc == PCAP_ERROR_BREAK) break;  // end of file
    return absl::InternalError(absl::StrCat(source, ": ", pcap_geterr(pcap.get())));
  }

  if (live) {
    pcap_stat st{};
    if (pcap_stats(pcap.get(), &st) == 0) result.kernel_dropped = st.ps_drop;
  }
  if (writer) pcap_dump_flush(writer.get());
  return result;
}

}  // namespace tachy::dump
