// delay_queue.h: the impairment bridge's delayed frames, released by time.
//
// A min-heap keyed by release time (ties keep arrival order), bounded in
// bytes, recycling frame buffers so that steady delayed traffic allocates
// nothing. Time is an argument: tests run it with a manual clock.
#ifndef TACHY_TOOLS_LAB_DELAY_QUEUE_H_
#define TACHY_TOOLS_LAB_DELAY_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "detector/base/mono_time.h"

namespace tachy {

class DelayQueue {
 public:
  // A frame of `direction`, due at `release`.
  struct Frame {
    MonoTime release;
    uint64_t seq = 0;  // arrival order, for ties
    size_t direction = 0;
    std::vector<uint8_t> bytes;
  };

  // At most `max_bytes` queued; at most `max_spare` buffers kept for reuse.
  DelayQueue(size_t max_bytes, size_t max_spare) : max_bytes_(max_bytes), max_spare_(max_spare) {}

  // Push()
  //
  // Queues a copy of `bytes`; false (nothing queued) when it would pass the
  // byte bound.
  bool Push(MonoTime release, size_t direction, std::span<const uint8_t> bytes);

  // NextRelease()
  //
  // The earliest release time queued, if any.
  std::optional<MonoTime> NextRelease() const;

  // ReleaseDue()
  //
  // Calls `send(frame)` for every frame due at `now`, earliest first, and
  // recycles its buffer.
  template <typename Send>
  void ReleaseDue(MonoTime now, Send send) {
    while (!heap_.empty() && heap_.front().release <= now) {
      Frame frame = PopFront();
      send(static_cast<const Frame&>(frame));
      Recycle(std::move(frame.bytes));
    }
  }

  size_t queued_bytes() const { return queued_bytes_; }
  size_t size() const { return heap_.size(); }

 private:
  Frame PopFront();
  void Recycle(std::vector<uint8_t> buffer);

  const size_t max_bytes_;
  const size_t max_spare_;
  std::vector<Frame> heap_;
  std::vector<std::vector<uint8_t>> spare_;
  size_t queued_bytes_ = 0;
  uint64_t next_seq_ = 0;
};

}  // namespace tachy

#endif  // TACHY_TOOLS_LAB_DELAY_QUEUE_H_
