// IPv4 service addresses over rtnetlink with libmnl: the requests
// `ip -f inet addr add|del` and `ip route list` send, without a fork/exec
// (~6.5 ms each, measured on the lab VM) on the failover path.
#include "actions/netlink_address.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "detector/base/ipv4.h"

namespace tachy {
namespace {

// Dump replies come in skbs of up to 32 KiB once the kernel has seen a large
// receive buffer; a smaller buffer would truncate them (ENOSPC from libmnl).
constexpr size_t kReceiveBufferBytes = 32 * 1024;
// One request is a header, ifaddrmsg and four small attributes.
constexpr size_t kRequestBufferBytes = 512;

struct MnlSocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using MnlSocketPtr = std::unique_ptr<mnl_socket, MnlSocketCloser>;

// Network-order address of a dotted quad, as netlink carries it.
bool ParseIpv4Be(absl::string_view ip, uint32_t* out_be) {
  const std::optional<uint32_t> host = ParseIpv4(ip);
  if (!host) return false;
  *out_be = htonl(*host);
  return true;
}

uint32_t PrefixMask(int prefix_len) {  // host order
  return prefix_len == 0 ? 0 : ~uint32_t{0} << (32 - prefix_len);
}

// Sends one request on a fresh NETLINK_ROUTE socket and feeds every reply
// message to `cb` until the dump's NLMSG_DONE or the request's ACK. A
// netlink error comes back as errno (mnl_cb_run sets it from the NLMSG_ERROR),
// also stored in `*error` when given (0 on success).
std::atomic<uint64_t> g_sockets_opened{0};

absl::StatusOr<MnlSocketPtr> OpenRoute(absl::string_view what) {
  g_sockets_opened.fetch_add(1, std::memory_order_relaxed);
  // Close-on-exec: resource scripts (children) must not inherit it.
  MnlSocketPtr sock(mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC));
  if (!sock) return absl::ErrnoToStatus(errno, absl::StrCat(what, ": netlink socket"));
  if (mnl_socket_bind(sock.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(what, ": netlink bind"));
  }
  return sock;
}

// The same on an open socket; `seq` tells this request's replies apart.
absl::Status TransactOn(mnl_socket* sock_ptr, unsigned int seq, nlmsghdr* request, mnl_cb_t cb,
                        void* data, absl::string_view what, int* error) {
  *error = 0;
  struct Borrowed {
    mnl_socket* p;
    mnl_socket* get() const { return p; }
  } sock{sock_ptr};
  const unsigned int portid = mnl_socket_get_portid(sock.get());
  request->nlmsg_seq = seq;
  if (mnl_socket_sendto(sock.get(), request, request->nlmsg_len) < 0) {
    *error = errno;
    return absl::ErrnoToStatus(*error, what);
  }
  std::vector<char> buf(kReceiveBufferBytes);
  int run = MNL_CB_OK;
  while (run > MNL_CB_STOP) {
    const ssize_t n = mnl_socket_recvfrom(sock.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = errno;
      return absl::ErrnoToStatus(*error, what);
    }
    run = mnl_cb_run(buf.data(), static_cast<size_t>(n), seq, portid, cb, data);
  }
  if (run == MNL_CB_ERROR) {
    *error = errno;
    return absl::ErrnoToStatus(*error, what);
  }
  return absl::OkStatus();
}

absl::Status Transact(nlmsghdr* request, mnl_cb_t cb, void* data, absl::string_view what,
                      int* error = nullptr) {
  int ignored = 0;
  if (error == nullptr) error = &ignored;
  auto sock = OpenRoute(what);
  if (!sock.ok()) {
    *error = errno;
    return sock.status();
  }
  // Private socket, one request: any sequence number will do.
  return TransactOn(sock->get(), 1, request, cb, data, what, error);
}

// Collects attributes by type into a table of `max + 1` slots; unknown
// (newer-kernel) types are skipped rather than treated as errors.
template <int kMax>
struct AttrTable {
  const nlattr* at[kMax + 1] = {};

  static int Collect(const nlattr* attr, void* data) {
    if (mnl_attr_type_valid(attr, kMax) < 0) return MNL_CB_OK;
    static_cast<AttrTable*>(data)->at[mnl_attr_get_type(attr)] = attr;
    return MNL_CB_OK;
  }

  // The u32 payload of `type`, if present and well-formed.
  bool U32(int type, uint32_t* out) const {
    const nlattr* a = at[type];
    if (a == nullptr || mnl_attr_validate(a, MNL_TYPE_U32) < 0) return false;
    *out = mnl_attr_get_u32(a);
    return true;
  }
};

struct RouteSearch {
  uint32_t ip = 0;  // host order
  bool found = false;
  int prefix_len = 0;
  uint32_t metric = 0;
  uint32_t oif = 0;
};

int OnRoute(const nlmsghdr* nlh, void* data) {
  auto* search = static_cast<RouteSearch*>(data);
  if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(rtmsg)) {
    return MNL_CB_OK;
  }
  const auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  // dst_len 0 is the default route, which covers everything and so tells
  // nothing about which interface the VIP belongs on (IPaddr's findif).
  if (rtm->rtm_family != AF_INET || rtm->rtm_type != RTN_UNICAST || rtm->rtm_dst_len == 0 ||
      rtm->rtm_dst_len > 32) {
    return MNL_CB_OK;
  }
  AttrTable<RTA_MAX> attrs;
  if (mnl_attr_parse(nlh, sizeof(rtmsg), &AttrTable<RTA_MAX>::Collect, &attrs) < 0) {
    return MNL_CB_OK;
  }
  // rtm_table is 8 bits; tables above 255 only show in RTA_TABLE.
  uint32_t table = rtm->rtm_table;
  attrs.U32(RTA_TABLE, &table);
  if (table != RT_TABLE_MAIN) return MNL_CB_OK;
  uint32_t dst_be = 0;
  uint32_t oif = 0;
  // A multipath route has RTA_MULTIPATH instead of RTA_OIF: no single
  // interface to put the address on.
  if (!attrs.U32(RTA_DST, &dst_be) || !attrs.U32(RTA_OIF, &oif)) return MNL_CB_OK;
  const uint32_t mask = PrefixMask(rtm->rtm_dst_len);
  if ((search->ip & mask) != (ntohl(dst_be) & mask)) return MNL_CB_OK;
  uint32_t metric = 0;
  attrs.U32(RTA_PRIORITY, &metric);
  const bool better = !search->found || rtm->rtm_dst_len > search->prefix_len ||
                      (rtm->rtm_dst_len == search->prefix_len && metric < search->metric);
  if (better) {
    search->found = true;
    search->prefix_len = rtm->rtm_dst_len;
    search->metric = metric;
    search->oif = oif;
  }
  return MNL_CB_OK;
}

struct AddressSearch {
  uint32_t ip_be = 0;
  bool found = false;
  uint32_t index = 0;
};

int OnAddress(const nlmsghdr* nlh, void* data) {
  auto* search = static_cast<AddressSearch*>(data);
  if (search->found || nlh->nlmsg_type != RTM_NEWADDR ||
      mnl_nlmsg_get_payload_len(nlh) < sizeof(ifaddrmsg)) {
    return MNL_CB_OK;
  }
  const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
  if (ifa->ifa_family != AF_INET) return MNL_CB_OK;
  AttrTable<IFA_MAX> attrs;
  if (mnl_attr_parse(nlh, sizeof(ifaddrmsg), &AttrTable<IFA_MAX>::Collect, &attrs) < 0) {
    return MNL_CB_OK;
  }
  // IFA_ADDRESS is the peer on point-to-point links; IFA_LOCAL is ours.
  uint32_t local_be = 0;
  if (!attrs.U32(IFA_LOCAL, &local_be) && !attrs.U32(IFA_ADDRESS, &local_be)) return MNL_CB_OK;
  if (local_be == search->ip_be) {
    search->found = true;
    search->index = ifa->ifa_index;
  }
  return MNL_CB_OK;
}

// Header + ifaddrmsg of an RTM_NEWADDR/RTM_DELADDR for ip/prefix_len on
// `index`, with IFA_LOCAL and IFA_ADDRESS as `ip addr` sends them (the kernel
// matches a delete on both and on the prefix length).
nlmsghdr* PutAddressRequest(char* buf, uint16_t type, uint16_t flags, uint32_t index,
                            uint32_t ip_be, int prefix_len) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_len);
  ifa->ifa_flags = 0;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;  // `ip addr add` default: scope global
  ifa->ifa_index = index;
  mnl_attr_put_u32(nlh, IFA_LOCAL, ip_be);
  mnl_attr_put_u32(nlh, IFA_ADDRESS, ip_be);
  return nlh;
}

}  // namespace

absl::StatusOr<CoveringRoute> FindCoveringRoute(absl::string_view ip) {
  uint32_t ip_be = 0;
  if (!ParseIpv4Be(ip, &ip_be)) {
    return absl::InvalidArgumentError(absl::StrFormat("bad IPv4 address '%s'", ip));
  }
  alignas(nlmsghdr) char buf[kRequestBufferBytes] = {};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rtm->rtm_family = AF_INET;
  RouteSearch search;
  search.ip = ntohl(ip_be);
  if (absl::Status s = Transact(nlh, OnRoute, &search, "dump IPv4 routes"); !s.ok()) return s;
  if (!search.found) {
    return absl::NotFoundError(absl::StrFormat(
        "no route of the main table other than the default covers %s, so its interface and "
        "netmask are unknown; give them as ip/cidr/iface (e.g. IPaddr::%s/24/eth0)",
        ip, ip));
  }
  char name[IF_NAMESIZE] = "";
  if (if_indextoname(search.oif, name) == nullptr) {
    return absl::ErrnoToStatus(
        errno, absl::StrFormat("name of interface %u (route to %s)", search.oif, ip));
  }
  return CoveringRoute{.iface = name, .prefix_len = search.prefix_len};
}

namespace {

// Builds the RTM_NEWADDR request into `buf`; `index` 0 = look the interface up.
absl::StatusOr<nlmsghdr*> BuildAdd(char* buf, const std::string& iface, unsigned int index,
                                   absl::string_view ip, int prefix_len,
                                   absl::string_view broadcast, absl::string_view label,
                                   const std::string& what) {
  uint32_t ip_be = 0;
  if (!ParseIpv4Be(ip, &ip_be)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": bad IPv4 address"));
  }
  if (prefix_len < 0 || prefix_len > 32) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": prefix length must be 0..32"));
  }
  // Like `brd +`: the subnet's highest address, except on /31 (RFC 3021) and
  // /32, which have no broadcast address.
  bool has_broadcast = false;
  uint32_t broadcast_be = 0;
  if (!broadcast.empty()) {
    if (!ParseIpv4Be(broadcast, &broadcast_be)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: bad broadcast address '%s'", what, broadcast));
    }
    has_broadcast = true;
  } else if (prefix_len <= 30) {
    broadcast_be = htonl(ntohl(ip_be) | ~PrefixMask(prefix_len));
    has_broadcast = true;
  }
  // The kernel shows labels as interface aliases and `ip` insists they start
  // with the interface name; IFNAMSIZ bounds them like interface names.
  if (!label.empty() && (label.size() >= IFNAMSIZ || label.substr(0, iface.size()) != iface)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: label '%s' must start with the interface name and be at most %d characters", what,
        label, IFNAMSIZ - 1));
  }
  if (index == 0) index = if_nametoindex(iface.c_str());
  if (index == 0) return absl::ErrnoToStatus(errno, what);

  nlmsghdr* nlh =
      PutAddressRequest(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, index, ip_be, prefix_len);
  if (has_broadcast) mnl_attr_put_u32(nlh, IFA_BROADCAST, broadcast_be);
  if (!label.empty()) {
    const std::string label_z(label);
    mnl_attr_put_strz(nlh, IFA_LABEL, label_z.c_str());
  }
  return nlh;
}

absl::StatusOr<nlmsghdr*> BuildDelete(char* buf, const std::string& iface, unsigned int index,
                                      absl::string_view ip, int prefix_len,
                                      const std::string& what) {
  uint32_t ip_be = 0;
  if (!ParseIpv4Be(ip, &ip_be)) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": bad IPv4 address"));
  }
  if (prefix_len < 0 || prefix_len > 32) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": prefix length must be 0..32"));
  }
  if (index == 0) index = if_nametoindex(iface.c_str());
  if (index == 0) return absl::ErrnoToStatus(errno, what);
  return PutAddressRequest(buf, RTM_DELADDR, 0, index, ip_be, prefix_len);
}

std::string AddWhat(const std::string& iface, absl::string_view ip, int prefix_len) {
  return absl::StrFormat("add %s/%d to %s", ip, prefix_len, iface);
}
std::string DeleteWhat(const std::string& iface, absl::string_view ip, int prefix_len) {
  return absl::StrFormat("delete %s/%d from %s", ip, prefix_len, iface);
}

// inet_rtm_deladdr answers EADDRNOTAVAIL when no address matches.
absl::Status DeleteResult(absl::Status s, int error) {
  return error == EADDRNOTAVAIL ? absl::NotFoundError(s.message()) : s;
}

// RTM_NEWLINK bringing a link up; with `kind`, creating it (NLM_F_EXCL).
absl::Status PutLinkUp(const std::string& name, unsigned int index, const char* kind,
                       int* error) {
  alignas(nlmsghdr) char buf[kRequestBufferBytes] = {};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  if (kind != nullptr) nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = static_cast<int>(index);
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  if (kind != nullptr) {
    nlattr* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
    mnl_attr_nest_end(nlh, info);
  }
  const std::string what = kind == nullptr
                               ? absl::StrCat("set link ", name, " up")
                               : absl::StrCat("create link ", name, " (type ", kind, ")");
  return Transact(nlh, nullptr, nullptr, what, error);
}

}  // namespace

absl::StatusOr<std::string> EnsureLocalInterface(const std::string& name) {
  if (name.empty() || name.size() >= IF_NAMESIZE) {
    return absl::InvalidArgumentError(absl::StrFormat("bad interface name '%s'", name));
  }
  int error = 0;
  if (const unsigned int index = if_nametoindex(name.c_str()); index != 0) {
    absl::Status s = PutLinkUp(name, index, nullptr, &error);
    if (!s.ok()) return s;
    return std::string("present");
  }
  // The kernel answers EOPNOTSUPP for a link type it has no driver for
  // (and cannot load one for, as in a container).
  for (const char* kind : {"dummy", "ifb"}) {
    absl::Status s = PutLinkUp(name, 0, kind, &error);
    if (s.ok()) return absl::StrCat("created (", kind, ")");
    if (error == EEXIST) {  // made meanwhile (by another tachy-actions?)
      const unsigned int index = if_nametoindex(name.c_str());
      if (index == 0) return s;
      if (absl::Status up = PutLinkUp(name, index, nullptr, &error); !up.ok()) return up;
      return std::string("present");
    }
    if (error != EOPNOTSUPP) return s;
  }
  return absl::UnimplementedError(absl::StrFormat(
      "create link %s: this kernel has neither the dummy nor the ifb driver", name));
}

absl::Status AddAddress(const std::string& iface, absl::string_view ip, int prefix_len,
                        absl::string_view broadcast, absl::string_view label) {
  const std::string what = AddWhat(iface, ip, prefix_len);
  alignas(nlmsghdr) char buf[kRequestBufferBytes] = {};
  auto nlh = BuildAdd(buf, iface, 0, ip, prefix_len, broadcast, label, what);
  if (!nlh.ok()) return nlh.status();
  // EEXIST maps to kAlreadyExists.
  return Transact(*nlh, nullptr, nullptr, what);
}

absl::Status DeleteAddress(const std::string& iface, absl::string_view ip, int prefix_len) {
  const std::string what = DeleteWhat(iface, ip, prefix_len);
  alignas(nlmsghdr) char buf[kRequestBufferBytes] = {};
  auto nlh = BuildDelete(buf, iface, 0, ip, prefix_len, what);
  if (!nlh.ok()) return nlh.status();
  int error = 0;
  absl::Status s = Transact(*nlh, nullptr, nullptr, what, &error);
  return DeleteResult(std::move(s), error);
}

uint64_t NetlinkSocketsOpened() { return g_sockets_opened.load(std::memory_order_relaxed); }

struct AddressSocket::Impl {
  MnlSocketPtr sock;
  unsigned int seq = 0;
};

AddressSocket::AddressSocket() : impl_(std::make_unique<Impl>()) {}
AddressSocket::~AddressSocket() = default;

absl::StatusOr<std::unique_ptr<AddressSocket>> AddressSocket::Open() {
  auto sock = OpenRoute("service addresses");
  if (!sock.ok()) return sock.status();
  std::unique_ptr<AddressSocket> s(new AddressSocket());  // private constructor
  s->impl_->sock = std::move(*sock);
  return s;
}

absl::Status AddressSocket::Add(const AddressSpec& a) {
  const std::string what = AddWhat(a.iface, a.ip, a.prefix_len);
  alignas(nlmsghdr) char buf[kRequestBufferBytes] = {};
  auto nlh = BuildAdd(buf, a.iface, a.ifindex, a.ip, a.prefix_len, a.broadcast, a.label, what);
  if (!nlh.ok()) return nlh.status();
  absl::MutexLock lock(&mu_);
  int error = 0;
  return TransactOn(impl_->sock.get(), ++impl_->seq, *nlh, nullptr, nullptr, what, &error);
}

absl::Status AddressSocket::Delete(const AddressSpec& a) {
  const std::string what = DeleteWhat(a.iface, a.ip, a.prefix_len);
  alignas(nlmsghdr) char buf[kRequestBufferBytes] = {};
  auto nlh = BuildDelete(buf, a.iface, a.ifindex, a.ip, a.prefix_len, what);
  if (!nlh.ok()) return nlh.status();
  absl::MutexLock lock(&mu_);
  int error = 0;
  absl::Status s = TransactOn(impl_->sock.get(), ++impl_->seq, *nlh, nullptr, nullptr, what, &error);
  return DeleteResult(std::move(s), error);
}

absl::StatusOr<std::string> InterfaceWithAddress(absl::string_view ip) {
  AddressSearch search;
  if (!ParseIpv4Be(ip, &search.ip_be)) {
    return absl::InvalidArgumentError(absl::StrFormat("bad IPv4 address '%s'", ip));
  }
  alignas(nlmsghdr) char buf[kRequestBufferBytes] = {};
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = AF_INET;
  if (absl::Status s = Transact(nlh, OnAddress, &search, "dump IPv4 addresses"); !s.ok()) {
    return s;
  }
  if (!search.found) {
    return absl::NotFoundError(absl::StrFormat("no interface has %s", ip));
  }
  char name[IF_NAMESIZE] = "";
  if (if_indextoname(search.index, name) == nullptr) {
    return absl::ErrnoToStatus(errno,
                               absl::StrFormat("name of interface %u (has %s)", search.index, ip));
  }
  return std::string(name);
}

}  // namespace tachy
