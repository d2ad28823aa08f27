// UDP media as Heartbeat's bcast, mcast and ucast plugins set them up
// (Heartbeat 3's bcast/mcast/ucast directives), carrying tachy frames.
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "detector/frame.h"
#include "detector/transport.h"
#include "detector/base/unique_fd.h"

namespace tachy {
namespace {

class UdpTransport final : public Transport {
 public:
  UdpTransport(std::string name, UniqueFd fd, sockaddr_in dest)
      : name_(std::move(name)), fd_(std::move(fd)), dest_(dest) {}

  const std::string& name() const override { return name_; }
  int fd() const override { return fd_.get(); }

  absl::Status Send(std::span<const uint8_t> payload) override {
    const ssize_t n = sendto(fd_.get(), payload.data(), payload.size(), MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&dest_), sizeof(dest_));
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat(name_, ": sendto"));
    return absl::OkStatus();
  }

  size_t Drain(Sink sink) override {
    const MonoTime mono_now = MonotonicNow();
    const int64_t real_now = RealtimeNowNanos();
    size_t count = 0;
    // Bounded: a flood on the port cannot starve the timer.
    for (int i = 0; i < 256; ++i) {
      iovec iov{buffer_, sizeof(buffer_)};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof(control);
      const ssize_t n = recvmsg(fd_.get(), &msg, MSG_DONTWAIT);
      if (n < 0) break;
      ++count;
      MonoTime rx = mono_now;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts;
          std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
          rx = RealtimeToMonotonic(int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec, mono_now,
                                   real_now);
        }
      }
      sink(std::span<const uint8_t>(buffer_, static_cast<size_t>(n)), rx);
    }
    return count;
  }

 private:
  std::string name_;
  UniqueFd fd_;
  sockaddr_in dest_;
  uint8_t buffer_[2048];
};

absl::Status SetOpt(int fd, int level, int opt, const void* value, socklen_t len,
                    const std::string& what) {
  if (setsockopt(fd, level, opt, value, len) != 0) return absl::ErrnoToStatus(errno, what);
  return absl::OkStatus();
}

absl::StatusOr<in_addr> Resolve(const std::string& host, const std::string& name) {
  in_addr addr;
  if (inet_pton(AF_INET, host.c_str(), &addr) == 1) return addr;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: cannot resolve '%s': %s", name, host, gai_strerror(rc)));
  }
  addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  return addr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> OpenUdpTransport(const MediumConfig& config) {
  const std::string name = config.Name();
  const unsigned ifindex = if_nametoindex(config.iface.c_str());
  if (ifindex == 0) {
    // kUnavailable: it may still appear (a late driver, a bond being built).
    if (errno == ENODEV || errno == ENXIO) {
      return absl::UnavailableError(absl::StrCat(name, ": no interface ", config.iface, " (yet)"));
    }
    return absl::ErrnoToStatus(errno, absl::StrCat(name, ": interface ", config.iface));
  }
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat(name, ": socket"));
  const int one = 1;
  absl::Status s = SetOpt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one),
                          name + ": SO_REUSEADDR");
  if (s.ok()) {
    s = SetOpt(fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one), name + ": SO_TIMESTAMPNS");
  }
  // Several media may share the port on different interfaces; binding to the
  // device keeps each socket's traffic on its own link (Heartbeat does too).
  if (s.ok()) {
    s = SetOpt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, config.iface.c_str(),
               static_cast<socklen_t>(config.iface.size()), name + ": SO_BINDTODEVICE");
  }
  // Heartbeats are latency-critical: ask for low-delay queueing.
  const int tos = IPTOS_LOWDELAY;
  if (s.ok()) s = SetOpt(fd.get(), IPPROTO_IP, IP_TOS, &tos, sizeof(tos), name + ": IP_TOS");
  if (!s.ok()) return s;

  sockaddr_in dest{};
  dest.sin_family = AF_INET;
  uint16_t port = config.port;
  switch (config.kind) {
    case MediumConfig::Kind::kBcast: {
      s = SetOpt(fd.get(), SOL_SOCKET, SO_BROADCAST, &one, sizeof(one), name + ": SO_BROADCAST");
      if (!s.ok()) return s;
      ifreq ifr{};
      std::strncpy(ifr.ifr_name, config.iface.c_str(), IFNAMSIZ - 1);
      if (ioctl(fd.get(), SIOCGIFBRDADDR, &ifr) != 0) {
        // kUnavailable: DHCP or ifup may not have given it one yet.
        if (errno == EADDRNOTAVAIL) {
          return absl::UnavailableError(
              absl::StrCat(name, ": no IPv4 broadcast address on ", config.iface, " (yet)"));
        }
        return absl::ErrnoToStatus(
            errno, absl::StrCat(name, ": no IPv4 broadcast address on ", config.iface));
      }
      dest.sin_addr = reinterpret_cast<sockaddr_in*>(&ifr.ifr_broadaddr)->sin_addr;
      break;
    }
    case MediumConfig::Kind::kUcast: {
      auto addr = Resolve(config.address, name);
      if (!addr.ok()) return addr.status();
      dest.sin_addr = *addr;
      break;
    }
    case MediumConfig::Kind::kMcast: {
      auto group = Resolve(config.address, name);
      if (!group.ok()) return group.status();
      dest.sin_addr = *group;
      ip_mreqn mreq{};
      mreq.imr_multiaddr = *group;
      mreq.imr_ifindex = static_cast<int>(ifindex);
      s = SetOpt(fd.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq),
                 name + ": IP_ADD_MEMBERSHIP");
      if (s.ok()) {
        s = SetOpt(fd.get(), IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq),
                   name + ": IP_MULTICAST_IF");
      }
      const int ttl = config.ttl;
      const int loop = config.loop ? 1 : 0;
      if (s.ok()) {
        s = SetOpt(fd.get(), IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl),
                   name + ": IP_MULTICAST_TTL");
      }
      if (s.ok()) {
        s = SetOpt(fd.get(), IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop),
                   name + ": IP_MULTICAST_LOOP");
      }
      if (!s.ok()) return s;
      break;
    }
    case MediumConfig::Kind::kRaw:
      return absl::InvalidArgumentError(absl::StrCat(name, ": not a UDP medium"));
  }
  dest.sin_port = htons(port);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_ANY);
  local.sin_port = htons(port);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrFormat("%s: bind UDP port %d", name, port));
  }
  return std::make_unique<UdpTransport>(name, std::move(fd), dest);
}

}  // namespace tachy
