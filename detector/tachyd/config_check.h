// config_check.h: what `tachyd --check` says beyond "the files parse": the
// media's interfaces on this machine, what a Heartbeat 3 peer could not
// hold, and the effective configuration. Reads interfaces; no other I/O.
#ifndef TACHY_DETECTOR_TACHYD_CONFIG_CHECK_H_
#define TACHY_DETECTOR_TACHYD_CONFIG_CHECK_H_

#include <string>
#include <vector>

#include "detector/config/cluster_config.h"

namespace tachy {

// MediaInterfaceProblems()
//
// One "DIR/ha.cf:LINE: ..." line per medium whose interface does not exist
// on this machine, or (bcast) has no IPv4 broadcast address, now. tachyd
// waits for such a medium at start (a boot race), so these are warnings,
// errors under --check --strict.
std::vector<std::string> MediaInterfaceProblems(const ClusterConfig& config);

// HeartbeatPeerWarnings()
//
// What a Heartbeat 3 node sharing the UDP media (a rolling migration) could
// not hold: its timing limits, sha256 keys, tachy's own directives, the
// legacy failback exchange.
std::vector<std::string> HeartbeatPeerWarnings(const ClusterConfig& config);

// EffectiveConfiguration()
//
// Every setting in force, defaults resolved, one "name value" line each (no
// key material), as --check prints it.
std::string EffectiveConfiguration(const ClusterConfig& config);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_CONFIG_CHECK_H_
