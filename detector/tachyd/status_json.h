// status_json.h: the JSON documents of the control socket (tachyctl).
//
// Formats are versioned ("v": 1) and documented in docs/control-protocol.md.
// The event stream to the action runner is typed, not JSON
// (detector/stream/event_stream.h).
#ifndef TACHY_DETECTOR_TACHYD_STATUS_JSON_H_
#define TACHY_DETECTOR_TACHYD_STATUS_JSON_H_

#include <string>

#include "detector/engine.h"
#include "detector/stream/event_stream.h"
#include "detector/base/mono_time.h"

namespace tachy {

class ActivityStats;
class HeartbeatNode;

struct DaemonInfo {
  std::string version{};
  int pid = 0;
  bool realtime = false;       // SCHED_FIFO + mlockall in force
  std::string realtime_note{}; // why not, when requested but refused
  bool actions_enabled = true; // false with --no-actions
  bool actions_connected = false;
  std::string groups_json{};   // the action runner's last group report, or empty
  uint64_t log_lines_dropped = 0;  // log lines a slow destination cost
  // The sockets' defences at work (ControlServer's counters).
  uint64_t control_accept_failures = 0;  // accept() failed: listeners paused
  uint64_t control_refused = 0;          // connections over the cap
  uint64_t event_messages_ignored = 0;   // sent by readers that are not the runner
  std::string heartbeat_json{};  // HeartbeatStatusJson(), or empty without UDP media
  const ActivityStats* activity = nullptr;  // what the runner did (activity_stats.h)
};

// HeartbeatStatusJson()
//
// The `heartbeat` object of status: our Heartbeat identity and, per peer,
// whether it speaks Heartbeat and its message counters (hb_node.h).
std::string HeartbeatStatusJson(const HeartbeatNode& node);

// StatusJson()
//
// The `tachyctl status --json` document from a snapshot: local node,
// settings, every node with state, generation, last heard, per-medium links,
// frames and rejected frames by reason, and the detector's own timing health.
std::string StatusJson(const EngineOptions& options, MonoTime started,
                       const EngineSnapshot& snapshot, MonoTime now, const DaemonInfo& info);

// WatchLineJson()
//
// One `tachyctl watch --json` line (without newline) for a peer change:
// {"type":"peer","t_ns":..,"node":..,"from":..,"to":..,"reason":..,"generation":..,
//  "last_heard_ns":..}.
std::string WatchLineJson(const PeerMsg& event);

// TakeoverLineJson()
//
// The watch line for a takeover timeline reported by the local runner:
// {"type":"takeover","node":<local>,"group":..,"ok":..,"cause":..,"peer":..|null,
//  "last_frame_ns":..|null,"verdict_ns":..|null,"decision_ns":..,"vip_ns":..|null,
//  "garp_ns":..|null,"resources":[{"name":..,"done_ns":..}],"done_ns":..,"error":..}.
std::string TakeoverLineJson(const TakeoverMsg& takeover, const std::string& node);

// MakeHello()
//
// The event-stream hello for a snapshot.
HelloMsg MakeHello(const EngineOptions& options, const EngineSnapshot& snapshot);

// ToWire()
//
// A peer state as it travels on the event stream.
WirePeerState ToWire(PeerState state);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_STATUS_JSON_H_
