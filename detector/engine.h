// engine.h: the detector's core: peer table, deadlines, own heartbeats.
//
// The engine does no I/O and reads no clock. The daemon feeds it received
// frames with their kernel receive timestamps and calls Advance() when the
// wheel is due; the engine answers with frames to send and state-change
// events. That makes every behaviour testable with a ManualClock.
//
// Telling a dead peer from a stalled self:
//  - the daemon drains every receive queue before Advance(), and silence is
//    measured from kernel receive timestamps, not from when we read a frame;
//  - every wake-up's lateness is measured; a wake-up later than
//    stall_threshold adds its lateness to each live peer's grace for the
//    current silence, so a local stall is never mistaken for a dead peer.
//    Both savings are counted (EngineStats) and visible in status.
#ifndef TACHY_DETECTOR_ENGINE_H_
#define TACHY_DETECTOR_ENGINE_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "detector/auth.h"
#include "detector/base/format.h"
#include "detector/frame.h"
#include "detector/base/mono_time.h"
#include "detector/peer_state.h"
#include "detector/timing_wheel.h"

namespace tachy {

// What this node remembers of a peer from its previous run (STATE_DIR/peers,
// detector/tachyd/peer_memory.h), so that a restart does not reopen the door to
// frames recorded earlier.
struct RememberedPeer {
  std::string node;
  uint64_t generation = 0;     // the newest generation accepted: older ones are replays
  bool offset_known = false;   // clock_offset holds (this host has not rebooted since)
  absl::Duration clock_offset; // the peer's send clock minus our receive clock, then
};

struct EngineOptions {
  std::string cluster = "linux-ha";
  std::string local_node;
  std::vector<std::string> nodes;  // all nodes, the local one included
  std::vector<std::string> media;  // medium names; a frame's medium is an index
  absl::Duration keepalive = absl::Seconds(1);
  absl::Duration deadtime = absl::Seconds(30);
  absl::Duration warntime = absl::Seconds(15);
  absl::Duration initdead = absl::Seconds(30);
  uint64_t generation = 1;
  // Peers as the previous run left them (empty: nothing remembered).
  std::vector<RememberedPeer> remembered;
  // At first contact after our restart, a frame of a peer's remembered life
  // is stale when its send time is further than this from where the peer's
  // clock was (its remembered offset). Zero: the deadtime.
  absl::Duration send_time_tolerance = absl::ZeroDuration();
  // Wake-ups later than this count as local stalls and earn grace.
  absl::Duration stall_threshold = absl::Milliseconds(1);
  absl::Duration tick = absl::Microseconds(100);
};

// What the local action runner asks tachyd to put in every frame: its
// runner data (opaque here) and whether it is connected and ready.
struct Advertisement {
  RunnerData data{};
  bool ready = false;
  friend bool operator==(const Advertisement&, const Advertisement&) = default;
};

// Why a peer changed state; the figures are in the event, the words are
// added off the real-time thread (DescribeEvent in event_text.h).
enum class EventKind : uint8_t {
  kPeer,        // a peer changed state
  kLink,        // a medium's link to a peer came up or went dead
  kAdvert,      // a peer's advertisement changed (first frame, or any byte)
  kUnjudgedGap, // a gap > deadtime seen only afterwards (we were stalled)
};

// One engine event: fixed size, no strings, no allocation, so the real-time
// thread can hand it through a ring to the thread that publishes and logs.
struct DetectorEvent {
  EventKind kind = EventKind::kPeer;
  PeerInput input = PeerInput::kHeartbeat;  // kPeer: what caused the change
  PeerState from = PeerState::kInit;        // kPeer
  PeerState to = PeerState::kInit;          // kPeer
  bool up = false;                          // kLink
  bool first_heard = false;                 // kPeer: first frame ever (late start)
  uint16_t peer = 0;                        // index into Engine::peers()
  uint16_t medium = 0;                      // index into EngineOptions::media
  MonoTime t;           // kernel receive time of the frame, or the timer's time
  MonoTime last_heard;  // the peer's newest frame before this event
  absl::Duration silence;  // kPeer timeouts, kUnjudgedGap: how long it was silent
  absl::Duration grace;    // kPeer kDeadTimeout: local stall grace granted
  uint64_t generation = 0;      // the peer's generation this event belongs to
  uint64_t old_generation = 0;  // kRestart: the generation before
  uint64_t new_generation = 0;  // kRestart: the generation heard now
  Advertisement ad;             // kAdvert
};

// A Heartbeat peer's status message, authenticated and sequenced by the
// control thread's HeartbeatNode (hb_node.h) and passed to the engine, which
// judges Heartbeat peers like tachy ones but by the deadtime each advertises.
struct ForeignStatus {
  uint16_t peer = 0;    // index into Engine::peers()
  uint16_t medium = 0;
  bool leave = false;   // its shutdone: gone cleanly
  uint64_t generation = 0;
  absl::Duration deadtime;  // the peer's advertised dt
  MonoTime rx_time;
};

struct MediumLink {
  bool heard = false;
  bool up = false;
  MonoTime last_heard;
  uint64_t generation = 0;
  uint64_t last_seq = 0;
  uint64_t frames = 0;
  // Frames naming this peer that fail authentication here (a tag that does
  // not verify, or a key id that is neither `auth` nor `rotate`): a wrong
  // authkeys on one side, or a forger. `auth_key` is the key id of the
  // newest such frame, `auth_failed_at` its kernel receive time.
  uint64_t auth_failed = 0;
  uint8_t auth_key = 0;
  MonoTime auth_failed_at;
};

struct Peer {
  std::string name;
  uint32_t node_id = 0;
  PeerState state = PeerState::kInit;
  MonoTime state_since;
  bool heard = false;
  uint64_t generation = 0;
  uint64_t last_seq = 0;
  MonoTime last_heard;        // kernel receive time of the newest frame
  absl::Duration grace;       // local stalls during the current silence
  bool grace_saved = false;   // grace kept it alive this silence (count once)
  Advertisement ad;
  uint32_t interval_us = 0;
  uint64_t frames = 0;
  uint64_t duplicates = 0;    // valid copies via a second medium
  uint64_t lost = 0;          // sequence gaps
  uint64_t deaths = 0;
  absl::Duration max_gap;     // longest inter-arrival while up
  std::vector<MediumLink> media;
  std::array<uint64_t, kRejectReasonCount> rejected{};  // by claimed node id
  TimingWheel::TimerId timer = 0;
  // Replay protection across our restarts: frames of older generations than
  // `min_generation` are refused even before the first is accepted, and
  // until one is accepted, frames of generation `offset_generation` must
  // carry a send time near rx time + `clock_offset` (followed frame by frame
  // afterwards, for the memory).
  uint64_t min_generation = 0;
  bool offset_known = false;
  uint64_t offset_generation = 0;
  absl::Duration clock_offset;
  // A Heartbeat peer (OnForeignStatus) is judged by its own advertised
  // deadtime, as Heartbeat judges it; zero for tachy peers (the options').
  absl::Duration deadtime_override;
  absl::Duration warntime_override;
};

struct EngineStats {
  uint64_t wakeups = 0;
  uint64_t late_wakeups = 0;           // lateness > stall_threshold
  absl::Duration max_lateness;
  uint64_t saved_by_grace = 0;         // deadline passed, but within grace
  uint64_t saved_by_rx_timestamp = 0;  // read late, but received in time
  uint64_t unjudged_gaps = 0;          // gap > deadtime seen only afterwards (we stalled)
  uint64_t frames_received = 0;
  uint64_t frames_sent = 0;
  uint64_t sends_skipped = 0;          // keepalive slots missed by stalls
  std::array<uint64_t, kRejectReasonCount> rejected{};
  uint64_t events_dropped = 0;         // more events in one wake-up than the buffer holds
};

// A copy of the engine's state for the control thread (status, hello):
// taken by the real-time thread, read by the other, never shared live.
struct EngineSnapshot {
  std::vector<Peer> peers;
  EngineStats stats;
  Advertisement ad;
  uint64_t sequence = 0;
  MonoTime taken;
};

class Engine {
 public:
  // Preconditions: options.local_node is in options.nodes; keys outlives us.
  Engine(EngineOptions options, const KeyRing& keys, MonoTime now);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // OnFrame()
  //
  // Handles one received frame: `bytes` from medium `medium`, received by the
  // kernel at `rx_time`, handled at `now`. Rejected frames are counted by
  // reason. Never allocates in steady state (events aside).
  void OnFrame(size_t medium, std::span<const uint8_t> bytes, MonoTime rx_time, MonoTime now);

  // OnForeignStatus()
  //
  // A Heartbeat peer's accepted status message (or shutdone), handled at
  // `now`: the same state changes and events as a tachy frame.
  void OnForeignStatus(const ForeignStatus& status, MonoTime now);

  // Advance()
  //
  // Runs every timer due at `now`. `lateness` is how late this wake-up came
  // after NextWakeup(). Returns true if our own heartbeat is due: the caller
  // then sends NextHeartbeat() on every medium.
  bool Advance(MonoTime now, absl::Duration lateness);

  // NextWakeup()
  //
  // When Advance() must run next.
  MonoTime NextWakeup() const;

  // NextHeartbeat(), LeaveFrame()
  //
  // Encodes our next frame (sequence + 1). The span stays valid until the
  // next call of either.
  std::span<const uint8_t> NextHeartbeat(MonoTime now);
  std::span<const uint8_t> LeaveFrame(MonoTime now);

  // DrainEvents()
  //
  // Hands every event since the last call to `sink`, oldest first, and
  // forgets them. Never allocates: events live in a buffer reserved at
  // construction (kEventCapacity; beyond it they are counted as dropped).
  void DrainEvents(absl::FunctionRef<void(const DetectorEvent&)> sink);
  static constexpr size_t kEventCapacity = 256;

  const std::vector<Peer>& peers() const { return peers_; }
  const EngineStats& stats() const { return stats_; }
  const EngineOptions& options() const { return options_; }
  uint64_t sequence() const { return sequence_; }
  MonoTime started() const { return started_; }

  // CopyTo()
  //
  // Copies the state into `out`. Once `out` has held a copy, later copies
  // reuse its storage and do not allocate.
  void CopyTo(EngineSnapshot* out, MonoTime now) const;

  // set_advertisement(), advertisement()
  //
  // What our frames carry for the action runners (ours and the peers').
  void set_advertisement(const Advertisement& ad) { ad_ = ad; }
  const Advertisement& advertisement() const { return ad_; }

  // SetTiming()
  //
  // A reload's new keepalive, warntime and deadtime (reload_plan.h says
  // which are allowed), from `now` on: the next heartbeat goes out at most a
  // new keepalive from now, and every live peer is judged again at once by
  // the new limits (its deadline re-armed). Never allocates.
  void SetTiming(absl::Duration keepalive, absl::Duration warntime, absl::Duration deadtime,
                 MonoTime now);

 private:
  Peer* FindPeer(uint32_t node_id);
  void Reject(RejectReason reason, Peer* claimed);
  void MarkLinkHeard(Peer& peer, size_t medium, MonoTime rx_time);
  // The part of accepting a frame that tachy and Heartbeat peers share:
  // silence bookkeeping, the advertisement (`ad`, tachy only), the state
  // change and the deadline.
  void AcceptHeard(Peer& p, size_t medium, uint64_t generation, bool leave, MonoTime rx_time,
                   MonoTime now, const Advertisement* ad);
  absl::Duration DeadtimeOf(const Peer& p) const;
  absl::Duration WarntimeOf(const Peer& p) const;
  DetectorEvent* NewEvent(EventKind kind, const Peer& peer, MonoTime t);
  void Apply(Peer& peer, PeerInput input, MonoTime t, size_t medium = 0,
             absl::Duration silence = absl::ZeroDuration());
  void OnPeerTimer(Peer& peer, MonoTime now);
  void UpdateLinks(MonoTime now);
  std::span<const uint8_t> Encode(FrameType type, MonoTime now);

  EngineOptions options_;
  const KeyRing& keys_;
  uint32_t cluster_id_;
  uint32_t self_id_;
  MonoTime started_;
  TimingWheel wheel_;
  TimingWheel::TimerId send_timer_;
  MonoTime next_send_;
  absl::Duration send_time_tolerance_;
  std::vector<Peer> peers_;
  std::vector<DetectorEvent> events_;  // capacity kEventCapacity, never grown
  uint64_t restart_from_ = 0;  // the generation a kRestart leaves (0: first heard)
  uint64_t restart_to_ = 0;    // the generation a kRestart enters
  EngineStats stats_;
  uint64_t sequence_ = 0;
  Advertisement ad_;
  std::array<uint8_t, kMaxFrameSize> tx_buffer_{};
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_ENGINE_H_
