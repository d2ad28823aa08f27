// Heartbeat's sequence rules for Heartbeat peers: reordering is normal,
// replays of an older generation are not.
#include "detector/hb_sequence.h"

#include <gtest/gtest.h>

namespace tachy {
namespace {

TEST(HbSequenceTest, InOrderAndDuplicates) {
  HbSequence s;
  EXPECT_EQ(s.Accept(10, 5), HbSeqVerdict::kNext);  // first heard: any number
  EXPECT_EQ(s.Accept(10, 6), HbSeqVerdict::kNext);
  EXPECT_EQ(s.Accept(10, 6), HbSeqVerdict::kDuplicate);
  EXPECT_EQ(s.Accept(10, 4), HbSeqVerdict::kOld);
  EXPECT_FALSE(Accepted(HbSeqVerdict::kOld));
}

// Heartbeat's every standby hand-over: `resource` n+1 before `done` n.
TEST(HbSequenceTest, AcceptsTheReorderedDone) {
  HbSequence s;
  s.Accept(10, 0x0c);
  EXPECT_EQ(s.Accept(10, 0x0e), HbSeqVerdict::kGap);
  EXPECT_EQ(s.missing(), std::vector<uint64_t>{0x0d});
  EXPECT_EQ(s.Accept(10, 0x0d), HbSeqVerdict::kLate);
  EXPECT_TRUE(s.missing().empty());
  EXPECT_EQ(s.Accept(10, 0x0d), HbSeqVerdict::kOld);  // only once
  EXPECT_EQ(s.Accept(10, 0x0f), HbSeqVerdict::kNext);
}

TEST(HbSequenceTest, GenerationsRestartOrReplay) {
  HbSequence s;
  s.Accept(10, 40);
  EXPECT_EQ(s.Accept(9, 41), HbSeqVerdict::kOldGeneration);
  EXPECT_EQ(s.Accept(11, 1), HbSeqVerdict::kRestart);
  EXPECT_EQ(s.generation(), 11u);
  EXPECT_EQ(s.Accept(11, 2), HbSeqVerdict::kNext);
  EXPECT_EQ(s.Accept(10, 99), HbSeqVerdict::kOldGeneration);
}

TEST(HbSequenceTest, AWideGapResets) {
  HbSequence s;
  s.Accept(1, 1);
  EXPECT_EQ(s.Accept(1, 2 + HbSequence::kMaxGap + 1), HbSeqVerdict::kReset);
  EXPECT_TRUE(s.missing().empty());
  const uint64_t last = s.last();
  EXPECT_EQ(s.Accept(1, last + 3), HbSeqVerdict::kGap);
  s.Forget(last + 1);
  EXPECT_EQ(s.missing(), std::vector<uint64_t>{last + 2});
  EXPECT_EQ(s.Accept(1, last + 1), HbSeqVerdict::kOld);
}

}  // namespace
}  // namespace tachy
