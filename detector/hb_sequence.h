// hb_sequence.h: Heartbeat 3's rules for one sender's generation and
// sequence numbers (its should_drop_message), which tachyd applies to
// Heartbeat peers instead of tachy's strict replay rule.
//
// Heartbeat reorders its own messages (it handles a message locally before
// writing it, and the handler may send first), so a lower sequence number
// than the last one is normal: every standby hand-over puts `resource n+1`
// on the wire before `ask_resources done n`. A sequence number that skips
// ahead records the ones in between as missing; those are accepted late
// (and requested again, hb_node.h), anything else below the newest is a
// duplicate or old. A gap wider than kMaxGap resets the tracking, as
// Heartbeat does ("lost a lot of packets").
#ifndef TACHY_DETECTOR_HB_SEQUENCE_H_
#define TACHY_DETECTOR_HB_SEQUENCE_H_

#include <cstdint>
#include <vector>

namespace tachy {

enum class HbSeqVerdict : uint8_t {
  kNext,           // accepted in order, or the first message heard
  kRestart,        // a higher generation: accepted, tracking starts again
  kGap,            // accepted; the numbers skipped are now missing
  kReset,          // accepted after a gap wider than kMaxGap: tracking reset
  kLate,           // a missing number arrived: accepted
  kDuplicate,      // the newest number again: dropped
  kOld,            // below the newest and not missing: dropped
  kOldGeneration,  // a generation below the accepted one: dropped (a replay)
};

// Accepted()
//
// Whether a message with this verdict is handled (delivered) at all.
inline bool Accepted(HbSeqVerdict v) {
  return v == HbSeqVerdict::kNext || v == HbSeqVerdict::kRestart || v == HbSeqVerdict::kGap ||
         v == HbSeqVerdict::kReset || v == HbSeqVerdict::kLate;
}

class HbSequence {
 public:
  static constexpr uint64_t kMaxGap = 250;

  // Accept()
  //
  // Judges the next message of this sender.
  HbSeqVerdict Accept(uint64_t generation, uint64_t seq);

  // Forget()
  //
  // Stops waiting for a missing number (it was refused, or given up on).
  void Forget(uint64_t seq);

  bool heard() const { return heard_; }
  uint64_t generation() const { return generation_; }
  uint64_t last() const { return last_; }
  // The numbers skipped and not yet received, ascending.
  const std::vector<uint64_t>& missing() const { return missing_; }

 private:
  bool heard_ = false;
  uint64_t generation_ = 0;
  uint64_t last_ = 0;
  std::vector<uint64_t> missing_;
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_HB_SEQUENCE_H_
