// delay_queue_test.cc: the impairment bridge's delayed frames, with a
// manual clock.
#include "tools/lab/delay_queue.h"

#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

constexpr MonoTime kT0 = MonoTime::FromNanos(1'000'000'000);

std::vector<uint8_t> Bytes(uint8_t tag, size_t n = 4) { return std::vector<uint8_t>(n, tag); }

// What ReleaseDue hands out at `now`: the first byte of each frame.
std::vector<uint8_t> Release(DelayQueue& q, MonoTime now) {
  std::vector<uint8_t> out;
  q.ReleaseDue(now, [&](const DelayQueue::Frame& f) { out.push_back(f.bytes[0]); });
  return out;
}

TEST(DelayQueueTest, ReleasedByTimeEarliestFirstTiesInArrivalOrder) {
  DelayQueue q(1 << 20, 16);
  ASSERT_TRUE(q.Push(kT0 + absl::Milliseconds(5), 0, Bytes(1)));
  ASSERT_TRUE(q.Push(kT0 + absl::Milliseconds(2), 1, Bytes(2)));
  ASSERT_TRUE(q.Push(kT0 + absl::Milliseconds(5), 0, Bytes(3)));
  ASSERT_TRUE(q.Push(kT0 + absl::Milliseconds(2), 1, Bytes(4)));
  EXPECT_EQ(q.NextRelease(), kT0 + absl::Milliseconds(2));
  EXPECT_EQ(Release(q, kT0 + absl::Milliseconds(1)), std::vector<uint8_t>{});
  EXPECT_EQ(Release(q, kT0 + absl::Milliseconds(2)), (std::vector<uint8_t>{2, 4}));
  EXPECT_EQ(q.NextRelease(), kT0 + absl::Milliseconds(5));
  EXPECT_EQ(Release(q, kT0 + absl::Seconds(1)), (std::vector<uint8_t>{1, 3}));
  EXPECT_FALSE(q.NextRelease().has_value());
  EXPECT_EQ(q.queued_bytes(), 0u);
}

TEST(DelayQueueTest, AFrameBeyondTheByteBoundIsRefusedAndNothingQueued) {
  DelayQueue q(10, 16);
  ASSERT_TRUE(q.Push(kT0, 0, Bytes(1, 6)));
  EXPECT_FALSE(q.Push(kT0, 0, Bytes(2, 5)));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.queued_bytes(), 6u);
  ASSERT_TRUE(q.Push(kT0, 0, Bytes(3, 4)));  // exactly at the bound
  EXPECT_EQ(Release(q, kT0), (std::vector<uint8_t>{1, 3}));
}

TEST(DelayQueueTest, DirectionAndBytesComeBackWhole) {
  DelayQueue q(1 << 20, 0);  // no recycling: still correct
  const std::vector<uint8_t> frame = {9, 8, 7, 6, 5};
  ASSERT_TRUE(q.Push(kT0, 3, frame));
  q.ReleaseDue(kT0, [&](const DelayQueue::Frame& f) {
    EXPECT_EQ(f.direction, 3u);
    EXPECT_EQ(f.bytes, frame);
    EXPECT_EQ(f.release, kT0);
  });
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace tachy
