// Raw Ethernet medium: ethertype 0x88B5 frames, received through libpcap's
// memory-mapped ring in immediate mode (no buffer timeout holds a frame back)
// with a BPF filter on the ethertype. libnet builds the Ethernet header once
// (and reads the interface MAC); each frame is then sent with one send() on a
// bound AF_PACKET socket. libnet_write() itself would cost a malloc, a copy,
// an ioctl and a sendto per frame, which at 1 kHz was a third of the
// detector's CPU time.
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/frame.h"
#include "detector/transport.h"
#include "detector/base/unique_fd.h"
#include "detector/base/ethernet.h"
#include "detector/base/libnet_handle.h"
#include "detector/base/pcap_capture.h"

namespace tachy {
namespace {

// Small and mlock()ed under `realtime on`: heartbeats are tiny and few.
constexpr int kPcapBufferBytes = 256 * 1024;
constexpr int kSnapLen = 256;


class RawL2Transport final : public Transport {
 public:
  RawL2Transport(std::string name, PcapPtr pcap, UniqueFd tx, int fd,
                 const uint8_t header[kEthernetHeaderBytes])
      : name_(std::move(name)), pcap_(std::move(pcap)), tx_(std::move(tx)), fd_(fd) {
    std::memcpy(frame_.data(), header, kEthernetHeaderBytes);
  }

  const std::string& name() const override { return name_; }
  int fd() const override { return fd_; }

  absl::Status Send(std::span<const uint8_t> payload) override {
    if (payload.size() > frame_.size() - kEthernetHeaderBytes) {
      return absl::InvalidArgumentError(absl::StrCat(name_, ": frame too large"));
    }
    std::memcpy(frame_.data() + kEthernetHeaderBytes, payload.data(), payload.size());
    const size_t len = kEthernetHeaderBytes + payload.size();
    if (send(tx_.get(), frame_.data(), len, MSG_DONTWAIT) != static_cast<ssize_t>(len)) {
      return absl::ErrnoToStatus(errno, absl::StrCat(name_, ": send"));
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
    // One call hands over every frame of the ready ring block(s); an empty
    // ring costs pcap a poll(), so do not ask twice. Frames arriving later
    // make the fd readable again.
    (void)pcap_dispatch(pcap_.get(), -1, on_packet, reinterpret_cast<u_char*>(&ctx));
    return ctx.count;
  }

 private:
  std::string name_;
  PcapPtr pcap_;
  UniqueFd tx_;
  int fd_;
  std::array<uint8_t, 1514> frame_{};
};

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> OpenRawL2Transport(const MediumConfig& config) {
  const std::string name = config.Name();
  const char* dev = config.iface.c_str();
  char errbuf[LIBNET_ERRBUF_SIZE] = "";
  LiveCaptureOptions capture;
  capture.iface = config.iface;
  capture.name = name;
  capture.snaplen = kSnapLen;
  capture.buffer_bytes = kPcapBufferBytes;
  // Our own frames must not come back as received ones.
  capture.inbound_only = true;
  capture.filter = absl::StrFormat("ether proto 0x%04x", kEtherType);
  absl::StatusOr<PcapPtr> pcap = OpenLiveCapture(capture);
  if (!pcap.ok()) return pcap.status();
  const int fd = pcap_get_selectable_fd(pcap->get());

  // libnet builds the Ethernet header (broadcast, our MAC, 0x88B5) once.
  LibnetPtr net(libnet_init(LIBNET_LINK_ADV, const_cast<char*>(dev), errbuf));
  if (!net) return absl::InternalError(absl::StrCat(name, ": libnet_init: ", errbuf));
  if (const int net_fd = libnet_getfd(net.get()); net_fd >= 0) {
    // libnet opens its socket without O_CLOEXEC: children must not inherit it.
    fcntl(net_fd, F_SETFD, fcntl(net_fd, F_GETFD) | FD_CLOEXEC);
  }
  libnet_ether_addr* mac = libnet_get_hwaddr(net.get());
  if (mac == nullptr) {
    return absl::InternalError(
        absl::StrCat(name, ": libnet_get_hwaddr: ", libnet_geterror(net.get())));
  }
  static const uint8_t kBroadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  if (libnet_build_ethernet(kBroadcast, mac->ether_addr_octet, kEtherType, nullptr, 0, net.get(),
                            0) == -1) {
    return absl::InternalError(
        absl::StrCat(name, ": libnet_build_ethernet: ", libnet_geterror(net.get())));
  }
  uint8_t* built = nullptr;
  uint32_t built_size = 0;
  if (libnet_adv_cull_packet(net.get(), &built, &built_size) == -1 ||
      built_size < kEthernetHeaderBytes) {
    return absl::InternalError(
        absl::StrCat(name, ": libnet_adv_cull_packet: ", libnet_geterror(net.get())));
  }
  uint8_t header[kEthernetHeaderBytes];
  std::memcpy(header, built, kEthernetHeaderBytes);
  libnet_adv_free_packet(net.get(), built);

  UniqueFd tx(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));  // protocol 0: send only
  if (!tx.valid()) return absl::ErrnoToStatus(errno, absl::StrCat(name, ": socket AF_PACKET"));
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = static_cast<int>(if_nametoindex(dev));
  if (sll.sll_ifindex == 0 ||
      bind(tx.get(), reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(name, ": bind AF_PACKET to ", config.iface));
  }
  return std::make_unique<RawL2Transport>(name, *std::move(pcap), std::move(tx), fd, header);
}

absl::StatusOr<std::unique_ptr<Transport>> OpenTransport(const MediumConfig& config) {
  if (config.kind == MediumConfig::Kind::kRaw) return OpenRawL2Transport(config);
  return OpenUdpTransport(config);
}

}  // namespace tachy
