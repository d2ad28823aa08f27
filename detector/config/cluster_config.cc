#include "detector/config/cluster_config.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "detector/config/authkeys_file.h"
#include "detector/config/heartbeat_syntax.h"

namespace tachy {
namespace {

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (absl::EndsWith(dir, "/")) return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

}  // namespace

absl::Status CheckAuthPolicy(const ClusterConfig& config, bool allow_crc_on_udp,
                             std::vector<std::string>* warnings) {
  const AuthKeys& auth = config.auth;
  const auto accepted = [&](int index) {
    return index == auth.active_index ||
           std::find(auth.rotating.begin(), auth.rotating.end(), index) != auth.rotating.end();
  };
  bool crc = false;
  for (const AuthKey& k : auth.keys) {
    if (!accepted(k.index)) {
      warnings->push_back(absl::StrFormat(
          "authkeys: key %d (%s) is defined but neither signs ('auth %d') nor rotates: frames "
          "signed with it are refused (add 'rotate %d' while peers still use it)",
          k.index, AuthMethodName(k.method), auth.active_index, k.index));
    } else if (k.method == AuthMethod::kCrc) {
      crc = true;
    }
  }
  if (!crc) return absl::OkStatus();
  std::string udp;
  for (const MediumConfig& m : config.ha.media) {
    if (m.kind != MediumConfig::Kind::kRaw) udp = m.iface;
  }
  if (!udp.empty() && !allow_crc_on_udp) {
    return absl::PermissionDeniedError(absl::StrFormat(
        "authkeys: a crc key authenticates nothing, and a UDP medium (on %s) lets any process "
        "of any host that reaches it speak for a node: use sha256 (or sha1/md5 with Heartbeat "
        "peers), or start tachyd with --allow-crc-on-udp to accept the risk",
        udp));
  }
  warnings->push_back(absl::StrFormat(
      "WARNING: authkeys uses crc, which authenticates nothing: anyone who can send %s can "
      "declare this cluster's nodes alive or dead; use sha256",
      udp.empty() ? "raw Ethernet frames on the heartbeat links (root on a host of the segment)"
                  : "UDP to the heartbeat port (--allow-crc-on-udp given)"));
  return absl::OkStatus();
}

absl::StatusOr<ClusterConfig> LoadClusterConfig(const std::string& dir,
                                                absl::string_view node_override) {
  ClusterConfig cluster;
  cluster.config_dir = dir;

  std::string ha_path = JoinPath(dir, "ha.cf");
  absl::StatusOr<std::string> ha_text = ReadConfigFile(ha_path, /*private_file=*/false);
  if (!ha_text.ok()) return ha_text.status();
  absl::StatusOr<HaConfig> ha = ParseHaCf(*ha_text, ha_path);
  if (!ha.ok()) return ha.status();
  cluster.ha = *std::move(ha);

  std::string auth_path = JoinPath(dir, "authkeys");
  absl::StatusOr<std::string> auth_text = ReadConfigFile(auth_path, /*private_file=*/true);
  if (!auth_text.ok()) return auth_text.status();
  absl::StatusOr<AuthKeys> auth = ParseAuthKeys(*auth_text, auth_path);
  if (!auth.ok()) return auth.status();
  cluster.auth = *std::move(auth);

  std::string local;
  if (!node_override.empty()) {
    local = std::string(node_override);
  } else {
    struct utsname names {};
    if (uname(&names) != 0) return absl::ErrnoToStatus(errno, "uname");
    local = names.nodename;
  }
  // Heartbeat lower-cases both sides (add_node, get_localnodeinfo).
  absl::AsciiStrToLower(&local);
  const std::vector<std::string>& nodes = cluster.ha.nodes;
  if (std::find(nodes.begin(), nodes.end(), local) == nodes.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ha_path, ": local node '", local, "' is not among the node lines (",
                     absl::StrJoin(nodes, ", "), "); set --node or add it"));
  }
  cluster.local_node = std::move(local);
  return cluster;
}

}  // namespace tachy
