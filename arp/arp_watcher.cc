// ARP claims seen on an interface, through libpcap in immediate mode (without
// it a claim would wait for the buffer timeout; as measured in the lab).
#include "arp/arp_watcher.h"

#include <pcap/pcap.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/base/pcap_capture.h"
#include "detector/base/byte_order.h"
#include "detector/base/ethernet.h"

namespace tachy {

namespace {

// ARP frames are 42 bytes (60 with padding); 128 leaves room for a VLAN tag.
constexpr int kSnapLen = 128;
// ARP is rare: a small ring is plenty.
constexpr int kPcapBufferBytes = 256 * 1024;
// Upper bound on pcap_dispatch calls per Drain, so a flood cannot starve the
// engine loop; what is left stays readable and the fd fires again.
constexpr int kMaxDispatchRounds = 16;


class PcapArpWatcher final : public ArpWatcher {
 public:
  PcapArpWatcher(PcapPtr pcap, int fd) : pcap_(std::move(pcap)), fd_(fd) {}

  int fd() const override { return fd_; }

  size_t Drain(Sink sink) override {
    struct Ctx {
      Sink* sink;
      size_t count;
    } ctx{&sink, 0};
    auto on_packet = [](u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
      Ctx* c = reinterpret_cast<Ctx*>(user);
      ArpClaim claim;
      if (!ParseArpClaim(bytes, h->caplen, &claim)) return;
      ++c->count;
      (*c->sink)(claim);
    };
    // pcap_dispatch hands over at most one ring block per call; loop, bounded.
    for (int i = 0; i < kMaxDispatchRounds; ++i) {
      const int n = pcap_dispatch(pcap_.get(), -1, on_packet, reinterpret_cast<u_char*>(&ctx));
      if (n <= 0) break;
    }
    return ctx.count;
  }

 private:
  PcapPtr pcap_;
  int fd_;  // owned by pcap_
};

}  // namespace

bool ParseArpClaim(const uint8_t* frame, size_t len, ArpClaim* out) {
  if (frame == nullptr || len < kEthernetHeaderBytes + kArpPacketBytes) return false;
  if (LoadBe16(frame + 12) != kEtherTypeArp) return false;
  return ParseArpPayload(frame + kEthernetHeaderBytes, len - kEthernetHeaderBytes, out);
}

bool ParseArpPayload(const uint8_t* arp, size_t len, ArpClaim* out) {
  if (arp == nullptr || len < kArpPacketBytes) return false;
  if (LoadBe16(arp + 0) != kArpHtypeEthernet || LoadBe16(arp + 2) != kEtherTypeIpv4 || arp[4] != 6 ||
      arp[5] != 4) {
    return false;
  }
  const uint16_t op = LoadBe16(arp + 6);
  if (op != 1 && op != 2) return false;
  ArpClaim claim;
  std::memcpy(claim.sender_mac.data(), arp + 8, 6);
  claim.sender_ip = LoadBe32(arp + 14);
  claim.target_ip = LoadBe32(arp + 24);
  claim.reply = op == 2;
  claim.gratuitous = claim.sender_ip == claim.target_ip;
  *out = claim;
  return true;
}

absl::StatusOr<std::unique_ptr<ArpWatcher>> ArpWatcher::Open(const std::string& iface) {
  LiveCaptureOptions capture;
  capture.iface = iface;
  capture.snaplen = kSnapLen;
  capture.buffer_bytes = kPcapBufferBytes;
  // Our own GARPs leave through this interface: they are not claims by others.
  capture.inbound_only = true;
  capture.filter = "arp";
  absl::StatusOr<PcapPtr> pcap = OpenLiveCapture(capture);
  if (!pcap.ok()) return pcap.status();
  const int fd = pcap_get_selectable_fd(pcap->get());
  return std::make_unique<PcapArpWatcher>(*std::move(pcap), fd);
}

}  // namespace tachy
