// Raw Ethernet medium: ethertype 0x88B5 frames, received through libpcap's
// memory-mapped ring in immediate mode (no buffer timeout holds a frame back)
// with a BPF filter on the ethertype, sent with libnet link-layer injection.
#include <pcap/pcap.h>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/frame.h"
#include "detector/transport.h"

// libnet.h trips -Wshadow and has const-unsafe prototypes: keep it quiet and
// confined to this file (style.md §4.6).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <libnet.h>
#pragma GCC diagnostic pop

namespace tachy {
namespace {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
struct LibnetDestroyer {
  void operator()(libnet_t* l) const { libnet_destroy(l); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;
using LibnetPtr = std::unique_ptr<libnet_t, LibnetDestroyer>;

// Small and mlock()ed under `realtime on`: heartbeats are tiny and few.
constexpr int kPcapBufferBytes = 512 * 1024;
constexpr int kSnapLen = 256;

class RawL2Transport final : public Transport {
 public:
  RawL2Transport(std::string name, PcapPtr pcap, LibnetPtr net, int fd)
      : name_(std::move(name)), pcap_(std::move(pcap)), net_(std::move(net)), fd_(fd) {}

  const std::string& name() const override { return name_; }
  int fd() const override { return fd_; }

  absl::Status Send(std::span<const uint8_t> payload) override {
    // Reusing the pblock tag rewrites the frame in place: no allocation once
    // the first frame of this size was built.
    static const uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ptag_ = libnet_build_ethernet(kBroadcast, src_mac_, kEtherType, payload.data(),
                                  static_cast<uint32_t>(payload.size()), net_.get(), ptag_);
    if (ptag_ == -1) {
      return absl::InternalError(
          absl::StrCat(name_, ": libnet_build_ethernet: ", libnet_geterror(net_.get())));
    }
    if (libnet_write(net_.get()) == -1) {
      return absl::UnavailableError(
          absl::StrCat(name_, ": libnet_write: ", libnet_geterror(net_.get())));
    }
    return absl::OkStatus();
  }

  size_t Drain(Sink sink) override {
    struct Ctx {
      Sink* sink;
      MonoTime mono_now;
      int64_t real_now;
      size_t count;
    } ctx{&sink, MonotonicNow(), RealtimeNowNanos(), 0};
    auto on_packet = [](u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
      Ctx* c = reinterpret_cast<Ctx*>(user);
      ++c->count;
      if (h->caplen < 14) return;
      // Nanosecond timestamps were requested at activation (tv_usec holds ns).
      const int64_t rx_real = int64_t{h->ts.tv_sec} * 1'000'000'000 + h->ts.tv_usec;
      (*c->sink)(std::span<const uint8_t>(bytes + 14, h->caplen - 14),
                 RealtimeToMonotonic(rx_real, c->mono_now, c->real_now));
    };
    // pcap_dispatch hands over at most one ring block per call; loop, bounded.
    for (int i = 0; i < 64; ++i) {
      const int n = pcap_dispatch(pcap_.get(), -1, on_packet, reinterpret_cast<u_char*>(&ctx));
      if (n <= 0) break;
    }
    return ctx.count;
  }

  void set_src_mac(const uint8_t mac[6]) { std::memcpy(src_mac_, mac, 6); }

 private:
  std::string name_;
  PcapPtr pcap_;
  LibnetPtr net_;
  int fd_;
  uint8_t src_mac_[6] = {};
  libnet_ptag_t ptag_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> OpenRawL2Transport(const MediumConfig& config) {
  const std::string name = config.Name();
  const char* dev = config.iface.c_str();
  char errbuf[PCAP_ERRBUF_SIZE > LIBNET_ERRBUF_SIZE ? PCAP_ERRBUF_SIZE : LIBNET_ERRBUF_SIZE] = "";
  PcapPtr pcap(pcap_create(dev, errbuf));
  if (!pcap) return absl::UnavailableError(absl::StrCat(name, ": pcap_create: ", errbuf));
  pcap_set_snaplen(pcap.get(), kSnapLen);
  pcap_set_promisc(pcap.get(), 0);
  pcap_set_immediate_mode(pcap.get(), 1);
  pcap_set_buffer_size(pcap.get(), kPcapBufferBytes);
  pcap_set_tstamp_precision(pcap.get(), PCAP_TSTAMP_PRECISION_NANO);
  if (int rc = pcap_activate(pcap.get()); rc < 0) {
    return absl::UnavailableError(absl::StrFormat("%s: pcap_activate: %s (%s)", name,
                                                  pcap_statustostr(rc), pcap_geterr(pcap.get())));
  }
  if (pcap_datalink(pcap.get()) != DLT_EN10MB) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": not an Ethernet interface"));
  }
  // Our own frames must not come back as received ones.
  pcap_setdirection(pcap.get(), PCAP_D_IN);
  bpf_program prog;
  const std::string filter = absl::StrFormat("ether proto 0x%04x", kEtherType);
  if (pcap_compile(pcap.get(), &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return absl::InternalError(absl::StrCat(name, ": pcap_compile: ", pcap_geterr(pcap.get())));
  }
  const int set = pcap_setfilter(pcap.get(), &prog);
  pcap_freecode(&prog);
  if (set != 0) {
    return absl::InternalError(absl::StrCat(name, ": pcap_setfilter: ", pcap_geterr(pcap.get())));
  }
  if (pcap_setnonblock(pcap.get(), 1, errbuf) != 0) {
    return absl::InternalError(absl::StrCat(name, ": pcap_setnonblock: ", errbuf));
  }
  const int fd = pcap_get_selectable_fd(pcap.get());
  if (fd < 0) return absl::InternalError(absl::StrCat(name, ": no selectable fd"));

  LibnetPtr net(libnet_init(LIBNET_LINK, const_cast<char*>(dev), errbuf));
  if (!net) return absl::UnavailableError(absl::StrCat(name, ": libnet_init: ", errbuf));
  libnet_ether_addr* mac = libnet_get_hwaddr(net.get());
  if (mac == nullptr) {
    return absl::UnavailableError(
        absl::StrCat(name, ": libnet_get_hwaddr: ", libnet_geterror(net.get())));
  }
  auto transport = std::make_unique<RawL2Transport>(name, std::move(pcap), std::move(net), fd);
  transport->set_src_mac(mac->ether_addr_octet);
  return transport;
}

absl::StatusOr<std::unique_ptr<Transport>> OpenTransport(const MediumConfig& config) {
  if (config.kind == MediumConfig::Kind::kRaw) return OpenRawL2Transport(config);
  return OpenUdpTransport(config);
}

}  // namespace tachy
