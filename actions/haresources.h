// haresources.h: Heartbeat's haresources file (Heartbeat 3's format).
//
//   preferred-node resource1 resource2 ...      one line = one resource group
//
// `Script::arg1::arg2` passes arguments; a bare dotted-quad token means
// `IPaddr::token`; `BGP::A.B.C.D[/32]` (tachy's own, docs/bgp.md) is a host
// address the local routing daemon announces; `#` comments; a trailing `\` continues the line. The first
// resource names the group ("group key") and must be unique in the file.
#ifndef TACHY_ACTIONS_HARESOURCES_H_
#define TACHY_ACTIONS_HARESOURCES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tachy {

// A service address from IPaddr/IPaddr2 arguments:
// ip[/cidr[/iface[/broadcast]]] or ip/cidr/broadcast (a third field starting
// with a digit is the broadcast); IPaddr2 also takes iface:label.
//
// Members carry `{}` so a designated initializer may leave them out without
// GCC 12's -Wmissing-field-initializers (on at warning_level=2).
struct VipSpec {
  std::string ip{};         // dotted quad, validated
  int prefix_len = -1;      // -1: take it from the covering route
  std::string iface{};      // empty: the covering route's interface
  std::string label{};      // IPaddr2 "iface:label" label, else empty
  std::string broadcast{};  // empty: highest address of the subnet

  friend bool operator==(const VipSpec&, const VipSpec&) = default;
};

struct Resource {
  enum class Kind {
    kIpAddr,   // IPaddr / IPaddr2 / bare IP: handled natively (netlink + GARP)
    kScript,   // resource.d/<name> or init.d/<name>, called `args... start|stop|status`
    kSystemd,  // systemd::unit
    kOcf,      // OCF::agent::instance (Heartbeat) or ocf:provider:agent[::k=v...]
    // BGP::A.B.C.D[/32]: a /32 on tachy-own or tachy-take (netlink), which
    // FRR redistributes; no ARP at all (docs/bgp.md). tachy's own kind: a
    // Heartbeat node would look for a script resource.d/BGP.
    kBgpAddress,
  };
  Kind kind = Kind::kScript;
  std::string token{};              // as written, e.g. "IPaddr2::10.0.0.5/24/eth0"
  std::string name{};               // script/agent/unit name, e.g. "IPaddr2", "httpd"
  std::vector<std::string> args{};  // the `::`-separated arguments
  VipSpec vip{};                    // kIpAddr, kBgpAddress (ip, prefix_len 32)

  friend bool operator==(const Resource&, const Resource&) = default;
};

struct ResourceGroup {
  std::string key{};             // first resource's token; names the group
  std::string preferred_node{};  // lower-cased
  std::vector<Resource> resources{};
  int line = 0;  // first physical line of the group's logical line

  friend bool operator==(const ResourceGroup&, const ResourceGroup&) = default;
};

struct HaResources {
  std::vector<ResourceGroup> groups{};
};

// ParseHaResources()
//
// Parses the file text. `nodes` are ha.cf's node names (lower-cased); a group
// whose node is not among them is an error. Errors are kInvalidArgument
// "FILE:LINE: what is wrong" (bad IP, bad cidr, empty argument, duplicate
// group key, unknown node, line with a node but no resources, ...).
absl::StatusOr<HaResources> ParseHaResources(absl::string_view text, absl::string_view filename,
                                             const std::vector<std::string>& nodes);

// LoadHaResources()
//
// Reads and parses `path`. A missing file is kNotFound naming the path.
absl::StatusOr<HaResources> LoadHaResources(const std::string& path,
                                            const std::vector<std::string>& nodes);

// FindGroup()
//
// The group whose key is `key`, or nullptr. The pointer borrows from
// `resources`.
const ResourceGroup* FindGroup(const HaResources& resources, absl::string_view key);

}  // namespace tachy

#endif  // TACHY_ACTIONS_HARESOURCES_H_
