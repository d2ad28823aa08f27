// ARP claims seen on an interface, through libpcap in immediate mode (without
// it a claim would wait for the buffer timeout; as measured in the lab).
#include "arp/arp_watcher.h"

#include <fcntl.h>
#include <pcap/pcap.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/base/pcap_handle.h"
#include "detector/base/byte_order.h"

namespace tachy {

std::string FormatIpv4(uint32_t ip) {
  return absl::StrFormat("%d.%d.%d.%d", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}
namespace {

// RFC 826 over Ethernet II: 14-byte Ethernet header, then
// htype(2) ptype(2) hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4).
constexpr size_t kEthHeaderLen = 14;
constexpr size_t kArpLen = 28;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kHtypeEthernet = 1;

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
  if (frame == nullptr || len < kEthHeaderLen + kArpLen) return false;
  if (LoadBe16(frame + 12) != kEtherTypeArp) return false;
  return ParseArpPayload(frame + kEthHeaderLen, len - kEthHeaderLen, out);
}

bool ParseArpPayload(const uint8_t* arp, size_t len, ArpClaim* out) {
  if (arp == nullptr || len < kArpLen) return false;
  if (LoadBe16(arp + 0) != kHtypeEthernet || LoadBe16(arp + 2) != kEtherTypeIpv4 || arp[4] != 6 ||
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
  const char* dev = iface.c_str();
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  PcapPtr pcap(pcap_create(dev, errbuf));
  if (!pcap) return absl::UnavailableError(absl::StrCat(iface, ": pcap_create: ", errbuf));
  pcap_set_snaplen(pcap.get(), kSnapLen);
  pcap_set_promisc(pcap.get(), 0);  // GARPs and ARP requests are broadcast
  pcap_set_immediate_mode(pcap.get(), 1);
  pcap_set_buffer_size(pcap.get(), kPcapBufferBytes);
  if (int rc = pcap_activate(pcap.get()); rc < 0) {
    return absl::UnavailableError(absl::StrFormat("%s: pcap_activate: %s (%s)", iface,
                                                  pcap_statustostr(rc), pcap_geterr(pcap.get())));
  }
  if (pcap_datalink(pcap.get()) != DLT_EN10MB) {
    return absl::InvalidArgumentError(absl::StrCat(iface, ": not an Ethernet interface"));
  }
  // Our own GARPs leave through this interface: they are not claims by others.
  if (pcap_setdirection(pcap.get(), PCAP_D_IN) != 0) {
    return absl::InternalError(
        absl::StrCat(iface, ": pcap_setdirection: ", pcap_geterr(pcap.get())));
  }
  bpf_program prog;
  if (pcap_compile(pcap.get(), &prog, "arp", 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return absl::InternalError(absl::StrCat(iface, ": pcap_compile: ", pcap_geterr(pcap.get())));
  }
  const int set = pcap_setfilter(pcap.get(), &prog);
  pcap_freecode(&prog);
  if (set != 0) {
    return absl::InternalError(absl::StrCat(iface, ": pcap_setfilter: ", pcap_geterr(pcap.get())));
  }
  if (pcap_setnonblock(pcap.get(), 1, errbuf) != 0) {
    return absl::InternalError(absl::StrCat(iface, ": pcap_setnonblock: ", errbuf));
  }
  const int fd = pcap_get_selectable_fd(pcap.get());
  if (fd < 0) return absl::InternalError(absl::StrCat(iface, ": no selectable fd"));
  // libpcap opens its socket without O_CLOEXEC: children (the action runner,
  // resource scripts) must not inherit a capture of the heartbeat link.
  fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
  return std::make_unique<PcapArpWatcher>(std::move(pcap), fd);
}

}  // namespace tachy
