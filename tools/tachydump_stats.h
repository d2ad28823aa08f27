// tachydump_stats.h: per-peer and ARP statistics, and the Dumper that turns
// captured packets into tachydump's output lines.
//
// Dumper::Process() decodes one packet (tachydump_decode.h), verifies its
// signature, checks it for replay against what was seen before, updates the
// statistics and returns the line to print. StatsText() and StatsJson()
// summarize a run. Pure logic: timestamps come with each packet, output is
// returned as strings, so tests feed bytes and compare text.
#ifndef TACHY_TOOLS_TACHYDUMP_STATS_H_
#define TACHY_TOOLS_TACHYDUMP_STATS_H_

#include <bitset>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "arp/garp.h"
#include "detector/config/auth_keys.h"
#include "tools/tachydump_decode.h"

namespace tachy::dump {

// How one sequenced message relates to those already seen in its generation.
enum class SeqClass { kNew, kDuplicate, kReordered };

// SeqWindow
//
// The sequence numbers seen in one generation, for the last kSize below the
// highest. New() counts the gap it jumps as lost; a late frame that fills a
// gap inside the window takes it back out (reordered, not lost).
class SeqWindow {
 public:
  static constexpr uint64_t kSize = 4096;

  void Reset();

  // Add()
  //
  // Classifies `seq` and records it. `*lost_delta` is what this frame adds
  // to (positive: a gap) or takes from (-1: a gap filled) the lost count.
  SeqClass Add(uint64_t seq, int64_t* lost_delta);

 private:
  bool any_ = false;
  uint64_t highest_ = 0;
  uint64_t lowest_ = 0;
  std::bitset<kSize> seen_;  // bit i: highest_ - i was seen
};

// Statistics of one sender: a tachy node id or a Heartbeat `src`.
struct PeerStats {
  std::string protocol;  // "tachy" or "heartbeat"
  std::string node;      // name, or "0x%08x" for an unknown tachy node id
  uint64_t frames = 0;   // every parsed frame claiming to be from this node
  uint64_t bad_signature = 0;
  uint64_t unknown_key = 0;
  uint64_t replayed = 0;
  uint64_t lost = 0;
  uint64_t duplicates = 0;
  uint64_t reordered = 0;
  uint64_t restarts = 0;         // generation changes after the first
  // Heartbeat's retransmission: requests this sender made (NS_rexmit), its
  // messages sent again (the same seq twice), and its refusals (NS_nak_rexmit).
  uint64_t rexmit_requests = 0;
  uint64_t retransmitted = 0;
  uint64_t naks = 0;
  uint32_t interval_us = 0;      // advertised keepalive (tachy); 0 if unknown
  std::vector<int64_t> gaps_ns;  // between consecutive new frames
  int64_t longest_silence_ns = 0;
  int64_t longest_silence_start_ns = 0;  // capture time of the frame before it

  // Tracking state.
  bool have_generation = false;
  uint64_t generation = 0;
  SeqWindow window;
  int64_t lost_signed = 0;  // may dip while reordered frames fill gaps
  absl::flat_hash_map<std::string, uint64_t> medium_last_seq;
  int64_t last_timing_ns = -1;
};

// What the tracker made of one authentic (or unverified) message.
struct Observation {
  bool replay = false;
  bool restart = false;
  std::optional<SeqClass> seq_class;
  uint64_t gap_lost = 0;  // frames lost just before this one
};

// Observe()
//
// Feeds `peer` one message at capture time `ts_ns`. Replay follows tachyd:
// a generation older than the newest seen, or (if `per_medium_replay`) a
// sequence not newer than the last one seen on `medium`. `timing` messages
// (tachy frames, Heartbeat t=status) feed inter-arrival and silence.
Observation Observe(PeerStats* peer, int64_t ts_ns, uint64_t generation,
                    std::optional<uint64_t> seq, absl::string_view medium, bool per_medium_replay,
                    bool timing);

// Who claimed one IPv4 address in ARP. Two MACs in turn are a move (a
// failover); a MAC that claims again after a newer one began is an overlap:
// two holders at once, the split brain itself.
struct ArpIpStats {
  uint32_t ip = 0;
  std::vector<MacAddress> macs;  // in order of first claim
  std::vector<int64_t> first_ns, last_ns;  // per MAC, capture times of its claims
  bool overlap = false;
  int64_t overlap_ns = 0;  // the first claim that overlapped
  uint64_t gratuitous = 0;
  uint64_t requests = 0;
  uint64_t replies = 0;
};

struct DumperOptions {
  std::optional<AuthKeys> keys;             // verify signatures if set
  std::vector<std::string> nodes;           // ha.cf node names, for node ids
  std::string cluster;                      // ha.cf cluster name, if not the default
  absl::TimeZone tz = absl::UTCTimeZone();  // for printed timestamps
};

// Dumper
//
// Thread-compatible. Holds the statistics of one run.
class Dumper {
 public:
  // Create()
  //
  // kInvalidArgument if the keys cannot be used.
  static absl::StatusOr<Dumper> Create(const DumperOptions& options);

  // Process()
  //
  // Decodes, verifies and counts one captured packet of `wire_len` bytes
  // captured at `ts_ns` (Unix ns); returns its line (no newline).
  std::string Process(int64_t ts_ns, std::span<const uint8_t> bytes, uint32_t wire_len,
                      LinkType link);

  // StatsText()
  //
  // The end-of-run summary: per peer, then ARP; several lines, each ending
  // in a newline.
  std::string StatsText() const;

  // StatsJson()
  //
  // {"frames", "peers": [...], "arp": [...], "malformed"}; see
  // docs/tachydump.md for every key.
  nlohmann::ordered_json StatsJson() const;

  uint64_t packets() const { return packets_; }
  uint64_t malformed() const { return malformed_; }
  // Peers sorted by protocol, then node.
  std::vector<const PeerStats*> Peers() const;
  const std::map<uint32_t, ArpIpStats>& arp() const { return arp_; }

  // FormatTime()
  //
  // "HH:MM:SS.uuuuuu" of `ts_ns` in the options' time zone.
  std::string FormatTime(int64_t ts_ns) const;

 private:
  Dumper() = default;

  PeerStats& Peer(absl::string_view protocol, absl::string_view node);
  std::string ProcessTachy(int64_t ts_ns, const DecodedPacket& packet);
  std::string ProcessHeartbeat(int64_t ts_ns, const DecodedPacket& packet);
  std::string ProcessArp(int64_t ts_ns, const DecodedPacket& packet);
  // How long `p` had been silent when the capture ended, if that silence is
  // its longest (a peer that died); else 0.
  int64_t SilenceAtEnd(const PeerStats& p) const;

  Verifier verifier_;
  NameBook names_;
  absl::TimeZone tz_;
  uint64_t packets_ = 0;
  uint64_t malformed_ = 0;
  std::map<std::string, PeerStats> peers_;  // key: protocol + '\0' + node
  std::map<uint32_t, ArpIpStats> arp_;
  int64_t last_packet_ns_ = 0;
};

}  // namespace tachy::dump

#endif  // TACHY_TOOLS_TACHYDUMP_STATS_H_
