// spsc_ring_test.cc: the lock-free ring between the real-time and the
// control thread: FIFO, bounded, wraps, and stays in order across threads.
#include "detector/base/spsc_ring.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "gtest/gtest.h"

namespace tachy {
namespace {

struct Item {
  uint32_t a = 0;
  uint64_t b = 0;
};

TEST(SpscRingTest, EmptyRingPopsNothing) {
  SpscRing<int, 4> ring;
  int out = -1;
  EXPECT_FALSE(ring.TryPop(&out));
  EXPECT_EQ(out, -1);
  EXPECT_EQ(ring.capacity(), 4u);
}

TEST(SpscRingTest, FifoOrder) {
  SpscRing<Item, 8> ring;
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(ring.TryPush({i, 100u + i}));
  for (uint32_t i = 0; i < 5; ++i) {
    Item out;
    ASSERT_TRUE(ring.TryPop(&out));
    EXPECT_EQ(out.a, i);
    EXPECT_EQ(out.b, 100u + i);
  }
  Item out;
  EXPECT_FALSE(ring.TryPop(&out));
}

TEST(SpscRingTest, FullRingRefusesAndKeepsContents) {
  SpscRing<int, 4> ring;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(ring.TryPush(i));
  EXPECT_FALSE(ring.TryPush(99));
  EXPECT_FALSE(ring.TryPush(98));
  int out = -1;
  ASSERT_TRUE(ring.TryPop(&out));
  EXPECT_EQ(out, 0);
  // One slot free again: exactly one push fits.
  EXPECT_TRUE(ring.TryPush(4));
  EXPECT_FALSE(ring.TryPush(5));
  for (int want = 1; want <= 4; ++want) {
    ASSERT_TRUE(ring.TryPop(&out));
    EXPECT_EQ(out, want);
  }
  EXPECT_FALSE(ring.TryPop(&out));
}

TEST(SpscRingTest, WrapsAroundManyTimes) {
  SpscRing<uint64_t, 4> ring;
  uint64_t next_in = 0, next_out = 0;
  // Uneven batches (1..3 in, then all out) so the indices cross the end of
  // the array at every offset.
  for (int round = 0; round < 10'000; ++round) {
    const int batch = 1 + round % 3;
    for (int k = 0; k < batch; ++k) ASSERT_TRUE(ring.TryPush(next_in++));
    uint64_t out;
    while (ring.TryPop(&out)) ASSERT_EQ(out, next_out++);
  }
  EXPECT_EQ(next_out, next_in);
  EXPECT_GT(next_in, 4u * 1000);
}

TEST(SpscRingTest, TwoThreadsKeepOrder) {
  constexpr uint64_t kCount = 1'000'000;
  SpscRing<uint64_t, 64> ring;
  // Bounded: a broken ring fails the test instead of hanging it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(50);
  std::atomic<bool> gave_up{false};

  std::thread producer([&] {
    for (uint64_t i = 1; i <= kCount; ++i) {
      while (!ring.TryPush(i)) {
        if (gave_up.load(std::memory_order_relaxed) ||
            std::chrono::steady_clock::now() > deadline) {
          gave_up.store(true);
          return;
        }
        std::this_thread::yield();
      }
    }
  });

  uint64_t expected = 1;
  uint64_t out_of_order = 0;
  while (expected <= kCount && !gave_up.load(std::memory_order_relaxed)) {
    uint64_t v;
    if (ring.TryPop(&v)) {
      if (v != expected) ++out_of_order;
      expected = v + 1;
    } else if (std::chrono::steady_clock::now() > deadline) {
      gave_up.store(true);
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_FALSE(gave_up.load()) << "stopped at " << expected;
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(expected, kCount + 1);
  uint64_t v;
  EXPECT_FALSE(ring.TryPop(&v));
}

}  // namespace
}  // namespace tachy
