// timing_wheel.h: hashed timing wheel with O(1) schedule, cancel and expire.
//
// A fixed pool of timers (ids 0..capacity-1) hangs on intrusive, index-linked
// lists, one per slot; a bitmap of non-empty slots makes NextExpiry() a short
// word scan. Nothing allocates after construction and nothing locks: the wheel
// belongs to one thread.
//
// The design bet (Seastar's timer_set): timers are re-armed far more often
// than they fire. Heartbeat deadlines are not even re-armed per frame: the
// engine re-checks a peer's last-heard time when its deadline fires and
// re-arms for the remainder ("lazy re-arm"), so a received heartbeat costs no
// wheel operation at all.
//
// Time is an argument: the wheel never reads a clock. A timer whose deadline
// lies more than one revolution ahead stays in its slot and is skipped until
// its round comes, so any horizon works.
#ifndef TACHY_DETECTOR_TIMING_WHEEL_H_
#define TACHY_DETECTOR_TIMING_WHEEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "detector/base/mono_time.h"

namespace tachy {

class TimingWheel {
 public:
  using TimerId = uint32_t;

  // Preconditions: tick > 0, slots is a power of two, capacity > 0.
  TimingWheel(absl::Duration tick, size_t slots, size_t capacity, MonoTime start);
  TimingWheel(const TimingWheel&) = delete;
  TimingWheel& operator=(const TimingWheel&) = delete;

  size_t capacity() const { return nodes_.size(); }
  absl::Duration tick() const { return absl::Nanoseconds(tick_ns_); }

  // Schedule()
  //
  // Arms (or re-arms) timer `id` to fire at the first tick boundary at or after
  // `deadline`. A deadline already past fires at the next Expire(). O(1).
  // Precondition: id < capacity().
  void Schedule(TimerId id, MonoTime deadline);

  // Cancel()
  //
  // Disarms `id`; a no-op if it is not armed. O(1).
  void Cancel(TimerId id);

  bool IsScheduled(TimerId id) const { return nodes_[id].slot != kNone; }

  // Expire()
  //
  // Fires, in no particular order, every timer whose deadline tick is <= the
  // tick of `now`, calling on_expire(id) for each after it is disarmed. The
  // callback may Schedule or Cancel any timer, including the one firing.
  // A `now` earlier than a previous call's is treated as that call's time.
  // Returns the number fired.
  template <typename F>
  size_t Expire(MonoTime now, F&& on_expire) {
    CollectDue(now);
    size_t fired = 0;
    while (heads_[kPendingList] != kNone) {
      const TimerId id = heads_[kPendingList];
      Unlink(id);
      ++fired;
      on_expire(id);
    }
    return fired;
  }

  // NextExpiry()
  //
  // A lower bound of the next deadline: the start of the first non-empty slot
  // after the current tick (exact unless that slot only holds timers of a later
  // revolution, which merely costs an early wake-up). nullopt if nothing is
  // armed.
  std::optional<MonoTime> NextExpiry() const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Node {
    uint32_t prev = kNone;
    uint32_t next = kNone;
    uint32_t slot = kNone;  // list it is on: a slot, kPendingList, or kNone
    int64_t deadline_tick = 0;
  };

  int64_t TickOf(MonoTime t) const { return (t.nanos() - origin_ns_) / tick_ns_; }
  void Link(TimerId id, uint32_t list);
  void Unlink(TimerId id);
  void CollectDue(MonoTime now);
  void CollectSlot(uint32_t slot, int64_t up_to_tick);

  int64_t tick_ns_;
  int64_t origin_ns_;
  uint32_t mask_;
  uint32_t kPendingList;   // index of the pending list head (== slot count)
  int64_t current_tick_;   // every tick <= this has been collected
  std::vector<Node> nodes_;
  std::vector<uint32_t> heads_;     // slot heads, then the pending head
  std::vector<uint64_t> occupied_;  // bit per slot: list not empty
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_TIMING_WHEEL_H_
