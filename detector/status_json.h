// status_json.h: the JSON documents of the control socket and event stream.
//
// Formats are versioned ("v": 1) and documented in docs/control-protocol.md.
#ifndef TACHY_DETECTOR_STATUS_JSON_H_
#define TACHY_DETECTOR_STATUS_JSON_H_

#include <cstdint>
#include <string>

#include "detector/engine.h"
#include "detector/mono_time.h"

namespace tachy {

struct DaemonInfo {
  std::string version{};
  int pid = 0;
  bool realtime = false;       // SCHED_FIFO + mlockall in force
  std::string realtime_note{}; // why not, when requested but refused
  bool actions_enabled = true; // false with --no-actions
  bool actions_connected = false;
  std::string groups_json{};   // the action runner's last group report, or empty
};

// StatusJson()
//
// The `tachyctl status --json` document: local node, settings, every node
// with state, generation, last heard, per-medium links, frames and rejected
// frames by reason, and the detector's own timing health.
std::string StatusJson(const Engine& engine, MonoTime now, const DaemonInfo& info);

// WatchLineJson()
//
// One `tachyctl watch --json` line (without newline):
// {"t_ns":..,"node":..,"from":..,"to":..,"reason":..,"generation":..}.
std::string WatchLineJson(const PeerEvent& event);

// EventMessageJson(), LinkMessageJson(), HelloMessageJson()
//
// Event-stream messages (one per SOCK_SEQPACKET packet); `seq` numbers every
// message after the hello so a reader can detect a gap.
std::string EventMessageJson(const PeerEvent& event, uint64_t seq);
std::string LinkMessageJson(const LinkEvent& event, uint64_t seq);
std::string HelloMessageJson(const Engine& engine, uint64_t last_seq);

// AdMessageJson()
//
// A peer's advertisement as an event-stream message:
// {"v":1,"type":"peer_ads","seq":..,"t_ns":..,"node":..,"held":..,"wants":..,
//  "declines":..,"digest":..,"ready":..}.
std::string AdMessageJson(const AdEvent& event, uint64_t seq);

}  // namespace tachy

#endif  // TACHY_DETECTOR_STATUS_JSON_H_
