#include "detector/hb_sequence.h"

#include <algorithm>

namespace tachy {

HbSeqVerdict HbSequence::Accept(uint64_t generation, uint64_t seq) {
  if (!heard_ || generation > generation_) {
    const bool restart = heard_;
    heard_ = true;
    generation_ = generation;
    last_ = seq;
    missing_.clear();
    return restart ? HbSeqVerdict::kRestart : HbSeqVerdict::kNext;
  }
  if (generation < generation_) return HbSeqVerdict::kOldGeneration;
  if (seq == last_ + 1) {
    last_ = seq;
    return HbSeqVerdict::kNext;
  }
  if (seq > last_) {
    if (seq - last_ - 1 > kMaxGap) {
      missing_.clear();
      last_ = seq;
      return HbSeqVerdict::kReset;
    }
    for (uint64_t s = last_ + 1; s < seq; ++s) missing_.push_back(s);
    // Bounded like Heartbeat's history: the oldest holes are given up first.
    if (missing_.size() > kMaxGap) {
      missing_.erase(missing_.begin(), missing_.end() - static_cast<long>(kMaxGap));
    }
    last_ = seq;
    return HbSeqVerdict::kGap;
  }
  if (seq == last_) return HbSeqVerdict::kDuplicate;
  const auto it = std::lower_bound(missing_.begin(), missing_.end(), seq);
  if (it != missing_.end() && *it == seq) {
    missing_.erase(it);
    return HbSeqVerdict::kLate;
  }
  return HbSeqVerdict::kOld;
}

void HbSequence::Forget(uint64_t seq) {
  const auto it = std::lower_bound(missing_.begin(), missing_.end(), seq);
  if (it != missing_.end() && *it == seq) missing_.erase(it);
}

}  // namespace tachy
