// engine.h: the detector's core: peer table, deadlines, own heartbeats.
//
// The engine does no I/O and reads no clock. The daemon feeds it received
// frames with their kernel receive timestamps and calls Advance() when the
// wheel is due; the engine answers with frames to send and state-change
// events. That makes every behaviour testable with a ManualClock.
//
// Telling a dead peer from a stalled self (design.md):
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

#include "absl/time/time.h"
#include "detector/auth.h"
#include "detector/config.h"
#include "detector/frame.h"
#include "detector/mono_time.h"
#include "detector/peer_state.h"
#include "detector/timing_wheel.h"

namespace tachy {

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
  // Wake-ups later than this count as local stalls and earn grace.
  absl::Duration stall_threshold = absl::Milliseconds(1);
  absl::Duration tick = absl::Microseconds(100);

  // FromConfig()
  //
  // Settings from a loaded config for the given generation and media names.
  static EngineOptions FromConfig(const ClusterConfig& config, uint64_t generation,
                                  std::vector<std::string> media);
};

// A peer's change of state, with the reason in words (also what is logged).
struct PeerEvent {
  MonoTime t;
  std::string node;
  PeerState from = PeerState::kInit;
  PeerState to = PeerState::kInit;
  std::string reason;
  uint64_t generation = 0;
};

// Something the daemon should log that is not a state change.
struct Notice {
  MonoTime t;
  std::string text;
};

// A medium's link to one peer changed (heard again / silent for deadtime).
struct LinkEvent {
  MonoTime t;
  std::string node;
  std::string medium;
  bool up = false;
};

// What the local action runner asks tachyd to advertise in every frame.
struct Advertisement {
  uint32_t held = 0;
  uint16_t wants = 0;
  uint16_t declines = 0;
  uint32_t digest = 0;
  bool ready = false;  // the action runner is connected and has probed
  friend bool operator==(const Advertisement&, const Advertisement&) = default;
};

// A peer's advertisement changed (first frame, or any field).
struct AdEvent {
  MonoTime t;
  std::string node;
  Advertisement ad;
};

struct MediumLink {
  bool heard = false;
  bool up = false;
  MonoTime last_heard;
  uint64_t generation = 0;
  uint64_t last_seq = 0;
  uint64_t frames = 0;
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
  SenderState remote_state = SenderState::kInit;
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

  // TakeEvents(), TakeLinkEvents()
  //
  // Events since the last call, oldest first.
  std::vector<PeerEvent> TakeEvents();
  std::vector<LinkEvent> TakeLinkEvents();
  std::vector<AdEvent> TakeAdEvents();
  std::vector<Notice> TakeNotices();

  const std::vector<Peer>& peers() const { return peers_; }
  const EngineStats& stats() const { return stats_; }
  const EngineOptions& options() const { return options_; }
  uint64_t sequence() const { return sequence_; }
  MonoTime started() const { return started_; }

  // set_advertisement(), advertisement()
  //
  // What our frames carry for the action runners (ours and the peers').
  void set_advertisement(const Advertisement& ad) { ad_ = ad; }
  const Advertisement& advertisement() const { return ad_; }

 private:
  Peer* FindPeer(uint32_t node_id);
  void Reject(RejectReason reason, Peer* claimed);
  void MarkLinkHeard(Peer& peer, size_t medium, MonoTime rx_time);
  void AddGapNotice(const Peer& peer, absl::Duration gap, MonoTime now);
  void Apply(Peer& peer, PeerInput input, MonoTime t, std::string detail);
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
  std::vector<Peer> peers_;
  std::vector<PeerEvent> events_;
  std::vector<LinkEvent> link_events_;
  EngineStats stats_;
  uint64_t sequence_ = 0;
  Advertisement ad_;
  std::vector<AdEvent> ad_events_;
  std::vector<Notice> notices_;
  std::array<uint8_t, kMaxFrameSize> tx_buffer_{};
};

// FormatMillis()
//
// "20.3 ms" style, for logs and reasons.
std::string FormatMillis(absl::Duration d);

}  // namespace tachy

#endif  // TACHY_DETECTOR_ENGINE_H_
