#include "arp/garp_owner.h"

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace tachy {

absl::StatusOr<GarpOwner::AddressId> GarpOwner::AddAddress(const std::string& iface,
                                                           const std::string& ip) {
  size_t at = ifaces_.size();
  for (size_t i = 0; i < ifaces_.size(); ++i) {
    if (ifaces_[i]->name == iface) at = i;
  }
  if (at == ifaces_.size()) {
    auto itf = std::make_unique<Interface>();
    itf->name = iface;
    // Protocol 0: this socket only sends, so it never queues received frames.
    itf->fd = UniqueFd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    if (!itf->fd.valid()) {
      return absl::ErrnoToStatus(errno, absl::StrFormat("GARP on %s: AF_PACKET socket", iface));
    }
    ifreq req{};
    if (iface.size() >= IFNAMSIZ) {
      return absl::InvalidArgumentError(absl::StrFormat("GARP: interface name '%s' too long", iface));
    }
    std::strncpy(req.ifr_name, iface.c_str(), IFNAMSIZ - 1);
    if (ioctl(itf->fd.get(), SIOCGIFINDEX, &req) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrFormat("GARP on %s: no such interface", iface));
    }
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_ifindex = req.ifr_ifindex;
    if (bind(itf->fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrFormat("GARP on %s: bind", iface));
    }
    if (ioctl(itf->fd.get(), SIOCGIFHWADDR, &req) != 0) {
      return absl::ErrnoToStatus(errno, absl::StrFormat("GARP on %s: read MAC", iface));
    }
    std::memcpy(itf->mac.data(), req.ifr_hwaddr.sa_data, itf->mac.size());
    ifaces_.push_back(std::move(itf));
    ++opened_;
  }
  Address a;
  a.iface = at;
  a.ip = ip;
  for (bool reply : {false, true}) {
    auto frame = BuildGarpFrame(ifaces_[at]->mac, ip, reply);
    if (!frame.ok()) {
      return absl::Status(frame.status().code(),
                          absl::StrFormat("GARP on %s: %s", iface, frame.status().message()));
    }
    (reply ? a.reply : a.request) = std::move(*frame);
  }
  addresses_.push_back(std::move(a));
  return addresses_.size() - 1;
}

absl::Status GarpOwner::Announce(AddressId id) {
  if (id >= addresses_.size()) return absl::InvalidArgumentError("GARP: unknown address");
  const Address& a = addresses_[id];
  const Interface& itf = *ifaces_[a.iface];
  absl::MutexLock lock(&send_mu_);
  for (const std::vector<uint8_t>* frame : {&a.request, &a.reply}) {
    if (send(itf.fd.get(), frame->data(), frame->size(), MSG_DONTWAIT) !=
        static_cast<ssize_t>(frame->size())) {
      return absl::UnavailableError(absl::StrFormat(
          "send GARP %s for %s on %s: %s", frame == &a.request ? "request" : "reply", a.ip,
          itf.name, strerror(errno)));
    }
  }
  return absl::OkStatus();
}

const MacAddress* GarpOwner::mac(const std::string& iface) const {
  for (const auto& i : ifaces_) {
    if (i->name == iface) return &i->mac;
  }
  return nullptr;
}

}  // namespace tachy
