#include "tools/lab/delay_queue.h"

#include <algorithm>
#include <utility>

namespace tachy {
namespace {

// Heap order for std::push_heap (a max-heap): the earliest release on top.
bool ReleasesLater(const DelayQueue::Frame& a, const DelayQueue::Frame& b) {
  if (a.release != b.release) return a.release > b.release;
  return a.seq > b.seq;
}

}  // namespace

bool DelayQueue::Push(MonoTime release, size_t direction, std::span<const uint8_t> bytes) {
  if (queued_bytes_ + bytes.size() > max_bytes_) return false;
  std::vector<uint8_t> buffer;
  if (!spare_.empty()) {
    buffer = std::move(spare_.back());
    spare_.pop_back();
  }
  buffer.assign(bytes.begin(), bytes.end());
  queued_bytes_ += buffer.size();
  heap_.push_back(Frame{release, next_seq_++, direction, std::move(buffer)});
  std::push_heap(heap_.begin(), heap_.end(), ReleasesLater);
  return true;
}

std::optional<MonoTime> DelayQueue::NextRelease() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().release;
}

DelayQueue::Frame DelayQueue::PopFront() {
  std::pop_heap(heap_.begin(), heap_.end(), ReleasesLater);
  Frame frame = std::move(heap_.back());
  heap_.pop_back();
  queued_bytes_ -= frame.bytes.size();
  return frame;
}

void DelayQueue::Recycle(std::vector<uint8_t> buffer) {
  if (spare_.size() < max_spare_) spare_.push_back(std::move(buffer));
}

}  // namespace tachy
