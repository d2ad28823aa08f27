// cluster_config.h: a config directory (ha.cf + authkeys) read and resolved
// for the local node, and the policy checks that need both files.
#ifndef TACHY_DETECTOR_CONFIG_CLUSTER_CONFIG_H_
#define TACHY_DETECTOR_CONFIG_CLUSTER_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/config/auth_keys.h"
#include "detector/config/ha_cf.h"

namespace tachy {

// Everything tachyd needs from a config directory, resolved for one node.
struct ClusterConfig {
  HaConfig ha;
  AuthKeys auth;
  std::string local_node;  // lower-cased; is one of ha.nodes
  std::string config_dir;
};

// CheckAuthPolicy()
//
// What the keys allow, checked against the media: a `crc` key that verifies
// (`auth` or `rotate`) authenticates nothing, so on a UDP medium (bcast,
// mcast, ucast: any process on any host that reaches it can send) it is
// refused unless `allow_crc_on_udp`; on raw Ethernet only (sending needs
// root on a host of the segment) it is allowed with a warning. Keys that are
// defined but neither sign nor rotate are said to be ignored. Warnings are
// appended to `warnings`.
absl::Status CheckAuthPolicy(const ClusterConfig& config, bool allow_crc_on_udp,
                             std::vector<std::string>* warnings);

// LoadClusterConfig()
//
// Reads DIR/ha.cf and DIR/authkeys. authkeys must not be readable or writable
// by group or others (mode 600, as Heartbeat insists); otherwise
// kPermissionDenied. `node_override` (tachyd --node) replaces `uname -n`; the
// local node, lower-cased, must be listed in ha.cf (kInvalidArgument).
// Missing or unreadable files give kNotFound / kPermissionDenied naming the path.
absl::StatusOr<ClusterConfig> LoadClusterConfig(const std::string& dir,
                                                absl::string_view node_override);

}  // namespace tachy

#endif  // TACHY_DETECTOR_CONFIG_CLUSTER_CONFIG_H_
