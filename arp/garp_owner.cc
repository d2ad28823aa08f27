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

absl::Status GarpOwner::Open(Interface& itf) {
  // Protocol 0: this socket only sends, so it never queues received frames.
  UniqueFd fd(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    return absl::ErrnoToStatus(errno, absl::StrFormat("GARP on %s: AF_PACKET socket", itf.name));
  }
  ifreq req{};
  std::strncpy(req.ifr_name, itf.name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd.get(), SIOCGIFINDEX, &req) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrFormat("GARP on %s: no such interface", itf.name));
  }
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_ifindex = req.ifr_ifindex;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrFormat("GARP on %s: bind", itf.name));
  }
  const unsigned int index = static_cast<unsigned int>(req.ifr_ifindex);
  if (ioctl(fd.get(), SIOCGIFHWADDR, &req) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrFormat("GARP on %s: read MAC", itf.name));
  }
  std::memcpy(itf.mac.data(), req.ifr_hwaddr.sa_data, itf.mac.size());
  itf.fd = std::move(fd);
  itf.index = index;
  ++opened_;
  return absl::OkStatus();
}

absl::Status GarpOwner::BuildFrames(Address& a) {
  const Interface& itf = *ifaces_[a.iface];
  for (bool reply : {false, true}) {
    auto frame = BuildGarpFrame(itf.mac, a.ip, reply);
    if (!frame.ok()) {
      return absl::Status(frame.status().code(),
                          absl::StrFormat("GARP on %s: %s", itf.name, frame.status().message()));
    }
    (reply ? a.reply : a.request) = std::move(*frame);
  }
  auto probe = BuildArpProbeFrame(itf.mac, a.ip);
  if (!probe.ok()) return probe.status();
  a.probe = std::move(*probe);
  return absl::OkStatus();
}

absl::StatusOr<GarpOwner::AddressId> GarpOwner::AddAddress(const std::string& iface,
                                                           const std::string& ip) {
  if (iface.empty() || iface.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(absl::StrFormat("GARP: bad interface name '%s'", iface));
  }
  size_t at = ifaces_.size();
  for (size_t i = 0; i < ifaces_.size(); ++i) {
    if (ifaces_[i]->name == iface) at = i;
  }
  if (at == ifaces_.size()) {
    auto itf = std::make_unique<Interface>();
    itf->name = iface;
    // Missing now: Refresh() opens it when it appears.
    (void)Open(*itf);
    ifaces_.push_back(std::move(itf));
  }
  Address a;
  a.iface = at;
  a.ip = ip;
  // The frames check the IP even before the interface is there.
  if (absl::Status s = BuildFrames(a); !s.ok()) return s;
  if (ifaces_[at]->index == 0) {
    a.request.clear();
    a.reply.clear();
    a.probe.clear();
  }
  addresses_.push_back(std::move(a));
  return addresses_.size() - 1;
}

std::vector<std::string> GarpOwner::Refresh() {
  std::vector<std::string> reopened;
  absl::MutexLock lock(&send_mu_);
  for (size_t i = 0; i < ifaces_.size(); ++i) {
    Interface& itf = *ifaces_[i];
    const unsigned int now = if_nametoindex(itf.name.c_str());
    if (now == itf.index) continue;
    itf.fd.reset();
    itf.index = 0;
    if (now == 0 || !Open(itf).ok()) continue;  // gone (again): Announce says so
    for (Address& a : addresses_) {
      if (a.iface == i) (void)BuildFrames(a);  // the IP was checked when added
    }
    reopened.push_back(itf.name);
  }
  return reopened;
}

absl::Status GarpOwner::Send(AddressId id, absl::string_view what,
                             std::initializer_list<std::vector<uint8_t> Address::*> frames) {
  if (id >= addresses_.size()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: unknown address", what));
  }
  absl::MutexLock lock(&send_mu_);
  const Address& a = addresses_[id];
  const Interface& itf = *ifaces_[a.iface];
  if (itf.index == 0 || a.request.empty()) {
    return absl::UnavailableError(
        absl::StrFormat("%s for %s: interface %s is not there", what, a.ip, itf.name));
  }
  for (std::vector<uint8_t> Address::*member : frames) {
    const std::vector<uint8_t>& frame = a.*member;
    if (send(itf.fd.get(), frame.data(), frame.size(), MSG_DONTWAIT) !=
        static_cast<ssize_t>(frame.size())) {
      const char* kind = member == &Address::request ? " request"
                         : member == &Address::reply ? " reply"
                                                     : "";
      return absl::UnavailableError(absl::StrFormat("send %s%s for %s on %s: %s", what, kind, a.ip,
                                                    itf.name, strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::Status GarpOwner::Announce(AddressId id) {
  return Send(id, "GARP", {&Address::request, &Address::reply});
}

absl::Status GarpOwner::Probe(AddressId id) { return Send(id, "ARP probe", {&Address::probe}); }

const MacAddress* GarpOwner::mac(const std::string& iface) const {
  for (const auto& i : ifaces_) {
    if (i->name == iface && i->index != 0) return &i->mac;
  }
  return nullptr;
}

}  // namespace tachy
