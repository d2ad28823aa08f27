// hb_node.h: tachyd's Heartbeat 3 member: what this node sends and answers
// on the UDP media so that a real Heartbeat 3.0.6 node (haresources mode)
// treats it as a well-behaved cluster member during a rolling migration.
//
// When does tachyd speak Heartbeat? Per peer, by what it hears: a node of
// ha.cf whose authentic Heartbeat messages arrive, and from which no tachy
// frame came, is a Heartbeat peer. From the first one on, this node sends
// Heartbeat status messages every keepalive on every UDP medium, beside its
// tachy frames (Heartbeat drops those silently, and tachy peers drop
// Heartbeat messages). A node heard with tachy frames is a tachy peer for
// good (this run): after its own migration it is judged by tachy's frames
// and timing again.
//
// What it does, and what it leaves to others:
//  - status every keepalive: st=active, dt = our deadtime (hex ms); never
//    st=dead; no `protocol` field, so Heartbeat runs without flow control
//    (it logs one info line about that) and needs no ACKs or node lists;
//  - Heartbeat's sequence rules per sender (hb_sequence.h), requests for
//    missing numbers (NS_rexmit, after 50-250 ms, then every 250 ms, for up
//    to 10 s), answers to the peer's requests from the last 500 messages
//    sent (or NS_nak_rexmit);
//  - each accepted status message is handed to the engine (Output::status),
//    which judges the peer by the deadtime the peer advertised, so
//    detection, events and logs are those of any other peer;
//  - every other message for us (starting, resource, ask_resources,
//    hb_takeover, shutdone, ...) goes to the action runner (Output::deliver),
//    whose Heartbeat resource protocol (actions/hb_resources.h) answers
//    through Send().
// Pure: no I/O, no clock but the arguments, so tests drive it by hand.
#ifndef TACHY_DETECTOR_HB_NODE_H_
#define TACHY_DETECTOR_HB_NODE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "detector/config/auth_keys.h"
#include "detector/hb_message.h"
#include "detector/hb_sequence.h"
#include "detector/base/log.h"
#include "detector/base/mono_time.h"

namespace tachy {

// "Nothing to do" for NextWakeup().
inline constexpr MonoTime kHbNever = MonoTime::FromNanos(INT64_MAX);

struct HbNodeOptions {
  std::string local_node;
  std::vector<std::string> nodes;  // ha.cf's, the local one included
  absl::Duration keepalive = absl::Seconds(1);
  absl::Duration deadtime = absl::Seconds(30);
  uint64_t generation = 1;
  std::string uuid;  // 16 bytes
  AuthKeys keys;
  // time(NULL) for the `ts` field; tests pass their own.
  std::function<int64_t()> wall_seconds;
};

// A status message accepted from a Heartbeat peer, for the engine.
struct HbStatusSeen {
  size_t peer = 0;    // index among the peers (ha.cf order, the local node left out)
  size_t medium = 0;
  uint64_t generation = 0;
  absl::Duration deadtime;  // the peer's dt
  MonoTime rx_time;
  bool leave = false;  // shutdone: the peer is gone, cleanly
};

// A message for the action runner.
struct HbDelivery {
  std::string node;
  uint64_t generation = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // string fields, t first
};

struct HbPeerInfo {
  std::string name;
  bool heartbeat = false;  // speaks Heartbeat (heard so, and no tachy frame)
  bool tachy = false;      // heard with tachy frames: never taken for a Heartbeat peer
  std::string uuid;
  uint64_t generation = 0;
  std::string status;      // its last `st`
  absl::Duration deadtime;  // its last `dt`
  bool left = false;       // sent shutdone in this generation
  MonoTime last_heard;
  uint64_t messages = 0;           // accepted
  uint64_t lost = 0;               // numbers skipped (requested again)
  uint64_t late = 0;               // accepted late (reordered or retransmitted)
  uint64_t dropped = 0;            // duplicates and old numbers
  uint64_t replays = 0;            // older generation
  uint64_t restarts = 0;           // generation changes
  uint64_t rexmit_asked = 0;       // NS_rexmit we sent for its messages
  uint64_t rexmit_given = 0;       // messages of ours we sent it again
  uint64_t nak_sent = 0;
  uint64_t irretrievable = 0;      // NS_nak_rexmit from it, or given up
  uint64_t auth_failures = 0;
  MonoTime auth_logged;    // the last log line about each kind of refusal
  MonoTime replay_logged;
  HbSequence sequence;
  // Missing numbers of its messages, and when to ask for each next.
  std::map<uint64_t, std::pair<MonoTime, int>> asking;
};

class HeartbeatNode {
 public:
  struct Output {
    std::vector<std::string> send;  // datagrams for every UDP medium
    std::vector<HbStatusSeen> status;
    std::vector<HbDelivery> deliver;
    std::vector<std::pair<LogLevel, std::string>> log;
  };

  explicit HeartbeatNode(HbNodeOptions options);

  // OnDatagram()
  //
  // A UDP payload in a Heartbeat format (IsHeartbeatPayload) from `medium`.
  void OnDatagram(std::span<const uint8_t> bytes, size_t medium, MonoTime rx_time, MonoTime now,
                  Output* out);

  // Advance()
  //
  // Our status when due, retransmission requests when due.
  void Advance(MonoTime now, Output* out);

  // NextWakeup()
  //
  // When Advance() has something to do; kHbNever while idle.
  MonoTime NextWakeup() const;

  // Send()
  //
  // The runner's message (type first, string fields) with the control
  // fields added, numbered and signed; kept for retransmission. Nothing is
  // sent while no Heartbeat peer is known.
  void Send(const std::vector<std::pair<std::string, std::string>>& fields, MonoTime now,
            Output* out);

  // SendShutdone()
  //
  // `shutdone st=dead`: we released everything and leave. Heartbeat takes
  // over at once.
  void SendShutdone(MonoTime now, Output* out);

  // MarkTachy()
  //
  // `node` was heard with tachy frames: it is a tachy peer from now on.
  void MarkTachy(const std::string& node, Output* out);

  // SetTiming()
  //
  // A reload's keepalive and deadtime (reload_plan.h; refused while a
  // Heartbeat peer is known): what our status messages say from now on, to
  // a Heartbeat peer first heard later.
  void SetTiming(absl::Duration keepalive, absl::Duration deadtime) {
    options_.keepalive = keepalive;
    options_.deadtime = deadtime;
  }

  bool active() const;
  const std::vector<HbPeerInfo>& peers() const { return peers_; }
  uint64_t generation() const { return options_.generation; }
  uint64_t sent() const { return sent_; }

  static constexpr size_t kHistory = 500;
  static constexpr int kMaxAsks = 40;  // 10 s of NS_rexmit every 250 ms

 private:
  struct Sent {
    uint64_t seq = 0;
    std::string bytes;
    MonoTime resent;
  };

  HbPeerInfo* FindPeer(absl::string_view name);
  // Adds the control fields, signs; `numbered`: takes the next seq and keeps
  // the message for retransmission (every type not named NS_*).
  std::string Finish(std::vector<HeartbeatField> fields, const HbPeerInfo* dest, bool numbered);
  void SendStatus(MonoTime now, Output* out);
  void OnRexmitRequest(const HeartbeatMessage& m, HbPeerInfo& from, MonoTime now, Output* out);
  void Log(Output* out, LogLevel level, std::string line);

  HbNodeOptions options_;
  std::vector<HbPeerInfo> peers_;
  uint64_t seq_ = 0;
  uint64_t sent_ = 0;
  std::deque<Sent> history_;
  MonoTime next_status_ = kHbNever;
  std::map<std::string, MonoTime> unknown_logged_;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_HB_NODE_H_
