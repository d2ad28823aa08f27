#include "detector/timing_wheel.h"

#include <algorithm>
#include <bit>
#include <cstdlib>

namespace tachy {

TimingWheel::TimingWheel(absl::Duration tick, size_t slots, size_t capacity, MonoTime start)
    : tick_ns_(absl::ToInt64Nanoseconds(tick)),
      origin_ns_(start.nanos()),
      mask_(static_cast<uint32_t>(slots - 1)),
      kPendingList(static_cast<uint32_t>(slots)),
      current_tick_(0),
      nodes_(capacity),
      heads_(slots + 1, kNone),
      occupied_((slots + 63) / 64, 0) {
  // Misconfiguration is a programming error caught at start, never at run time.
  if (tick_ns_ <= 0 || slots == 0 || !std::has_single_bit(slots) || capacity == 0) std::abort();
}

void TimingWheel::Link(TimerId id, uint32_t list) {
  Node& n = nodes_[id];
  n.slot = list;
  n.prev = kNone;
  n.next = heads_[list];
  if (n.next != kNone) nodes_[n.next].prev = id;
  heads_[list] = id;
  if (list != kPendingList) occupied_[list / 64] |= uint64_t{1} << (list % 64);
}

void TimingWheel::Unlink(TimerId id) {
  Node& n = nodes_[id];
  if (n.prev != kNone) {
    nodes_[n.prev].next = n.next;
  } else {
    heads_[n.slot] = n.next;
    if (n.next == kNone && n.slot != kPendingList) {
      occupied_[n.slot / 64] &= ~(uint64_t{1} << (n.slot % 64));
    }
  }
  if (n.next != kNone) nodes_[n.next].prev = n.prev;
  n.prev = n.next = n.slot = kNone;
}

void TimingWheel::Schedule(TimerId id, MonoTime deadline) {
  if (nodes_[id].slot != kNone) Unlink(id);
  // Round up: a timer must never fire before its deadline.
  const int64_t ns = deadline.nanos() - origin_ns_;
  int64_t tick = ns <= 0 ? 0 : (ns + tick_ns_ - 1) / tick_ns_;
  tick = std::max(tick, current_tick_ + 1);
  nodes_[id].deadline_tick = tick;
  Link(id, static_cast<uint32_t>(tick) & mask_);
}

void TimingWheel::Cancel(TimerId id) {
  if (nodes_[id].slot != kNone) Unlink(id);
}

void TimingWheel::CollectSlot(uint32_t slot, int64_t up_to_tick) {
  uint32_t id = heads_[slot];
  while (id != kNone) {
    const uint32_t next = nodes_[id].next;
    if (nodes_[id].deadline_tick <= up_to_tick) {
      Unlink(id);
      Link(id, kPendingList);
    }
    id = next;
  }
}

void TimingWheel::CollectDue(MonoTime now) {
  const int64_t now_tick = TickOf(now);
  if (now_tick <= current_tick_) return;
  const int64_t span = now_tick - current_tick_;
  if (span > static_cast<int64_t>(mask_)) {
    // A long gap (a stalled host, a test jumping ahead): every slot may hold
    // due timers, so visit each once instead of tick by tick.
    for (uint32_t slot = 0; slot <= mask_; ++slot) {
      if (heads_[slot] != kNone) CollectSlot(slot, now_tick);
    }
  } else {
    for (int64_t t = current_tick_ + 1; t <= now_tick; ++t) {
      const uint32_t slot = static_cast<uint32_t>(t) & mask_;
      if (heads_[slot] != kNone) CollectSlot(slot, now_tick);
    }
  }
  current_tick_ = now_tick;
}

std::optional<MonoTime> TimingWheel::NextExpiry() const {
  const uint32_t slots = mask_ + 1;
  const uint32_t start = static_cast<uint32_t>(current_tick_ + 1) & mask_;
  // Scan the bitmap from `start` around the wheel, a 64-bit word at a time.
  // A wheel of fewer than 64 slots uses only the low `slots` bits of its one
  // word, so a step must end at the wheel's end, not at bit 64.
  const uint32_t word_bits = std::min<uint32_t>(slots, 64);
  for (uint32_t scanned = 0; scanned < slots + word_bits;) {
    const uint32_t slot = (start + scanned) & mask_;
    const uint64_t word = occupied_[slot / 64] >> (slot % 64);
    if (word != 0) {
      const uint32_t offset = scanned + static_cast<uint32_t>(std::countr_zero(word));
      if (offset >= slots) break;
      const int64_t tick = current_tick_ + 1 + offset;
      return MonoTime::FromNanos(origin_ns_ + tick * tick_ns_);
    }
    scanned += word_bits - (slot % 64);
  }
  return std::nullopt;
}

}  // namespace tachy
