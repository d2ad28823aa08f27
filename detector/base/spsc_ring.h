// spsc_ring.h: a bounded single-producer, single-consumer ring of trivially
// copyable items, lock-free and allocation-free: how the real-time thread
// hands events to the control thread without ever waiting for it.
#ifndef TACHY_DETECTOR_BASE_SPSC_RING_H_
#define TACHY_DETECTOR_BASE_SPSC_RING_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <type_traits>

namespace tachy {

template <typename T, size_t N>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>);
  static_assert(N >= 2 && (N & (N - 1)) == 0, "capacity must be a power of two");

 public:
  // TryPush()
  //
  // Producer only. False (and nothing stored) when the ring is full.
  bool TryPush(const T& item) {
    const size_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_.load(std::memory_order_acquire) == N) return false;
    items_[head & (N - 1)] = item;
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // TryPop()
  //
  // Consumer only. False when the ring is empty.
  bool TryPop(T* out) {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_.load(std::memory_order_acquire)) return false;
    *out = items_[tail & (N - 1)];
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  static constexpr size_t capacity() { return N; }

 private:
  // Producer and consumer indices on their own cache lines.
  alignas(64) std::atomic<size_t> head_{0};
  alignas(64) std::atomic<size_t> tail_{0};
  alignas(64) std::array<T, N> items_{};
};

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_SPSC_RING_H_
