// impairment_test.cc: the impairment bridge's model of one direction, with
// a manual clock and scripted chance: proto, block, loss and bursts, delay,
// jitter and FIFO order.
#include "tools/lab/impairment.h"

#include <algorithm>
#include <deque>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

constexpr MonoTime kT0 = MonoTime::FromNanos(1'000'000'000);

// Answers from scripts; runs dry as 0.999 (no loss) and the middle value.
class ScriptedChance : public Chance {
 public:
  std::deque<double> units;
  std::deque<int64_t> betweens;
  int calls = 0;
  double Unit() override {
    ++calls;
    if (units.empty()) return 0.999;
    const double u = units.front();
    units.pop_front();
    return u;
  }
  int64_t Between(int64_t lo, int64_t hi) override {
    ++calls;
    if (betweens.empty()) return (lo + hi) / 2;
    const int64_t v = std::clamp(betweens.front(), lo, hi);
    betweens.pop_front();
    return v;
  }
};

TEST(ImpairmentTest, NoImpairmentSendsAtOnceAndAsksNoChance) {
  Impairment imp;
  ImpairState st;
  ScriptedChance chance;
  EXPECT_EQ(Impair(imp, st, true, kT0, chance).fate, Fate::kSend);
  EXPECT_EQ(chance.calls, 0);
}

TEST(ImpairmentTest, ATachyOnlyImpairmentPassesOtherFramesUntouched) {
  Impairment imp;
  imp.proto = Proto::kTachy;
  imp.block = true;
  ImpairState st;
  ScriptedChance chance;
  EXPECT_EQ(Impair(imp, st, /*tachy=*/false, kT0, chance).fate, Fate::kPass);
  EXPECT_EQ(Impair(imp, st, /*tachy=*/true, kT0, chance).fate, Fate::kDrop);
}

TEST(ImpairmentTest, BlockDropsEverything) {
  Impairment imp;
  imp.block = true;
  ImpairState st;
  ScriptedChance chance;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Impair(imp, st, true, kT0, chance).fate, Fate::kDrop);
}

TEST(ImpairmentTest, ALossStartsABurstOfTheGivenLength) {
  Impairment imp;
  imp.loss = 0.1;
  imp.burst = 3;
  ImpairState st;
  ScriptedChance chance;
  chance.units = {0.5, 0.05, 0.5, 0.5};  // kept, lost (burst of 3), then kept
  EXPECT_EQ(Impair(imp, st, true, kT0, chance).fate, Fate::kSend);
  EXPECT_EQ(Impair(imp, st, true, kT0, chance).fate, Fate::kDrop);  // the loss
  EXPECT_EQ(Impair(imp, st, true, kT0, chance).fate, Fate::kDrop);  // burst, no chance asked
  EXPECT_EQ(Impair(imp, st, true, kT0, chance).fate, Fate::kDrop);
  EXPECT_EQ(chance.calls, 2);
  EXPECT_EQ(Impair(imp, st, true, kT0, chance).fate, Fate::kSend);
}

TEST(ImpairmentTest, DelayHoldsEachFrameAndStaysFifoWhenLowered) {
  Impairment imp;
  imp.delay = absl::Milliseconds(5);
  ImpairState st;
  ScriptedChance chance;
  Verdict v = Impair(imp, st, true, kT0, chance);
  EXPECT_EQ(v.fate, Fate::kDelay);
  EXPECT_EQ(v.release, kT0 + absl::Milliseconds(5));
  imp.delay = absl::Milliseconds(1);  // lowered: a later frame must not overtake
  v = Impair(imp, st, true, kT0 + absl::Milliseconds(1), chance);
  EXPECT_EQ(v.release, kT0 + absl::Milliseconds(5));
  imp.delay = absl::ZeroDuration();  // even at no delay, after the queue
  v = Impair(imp, st, true, kT0 + absl::Milliseconds(2), chance);
  EXPECT_EQ(v.fate, Fate::kDelay);
  EXPECT_EQ(v.release, kT0 + absl::Milliseconds(5));
  v = Impair(imp, st, true, kT0 + absl::Milliseconds(6), chance);
  EXPECT_EQ(v.fate, Fate::kSend);
}

TEST(ImpairmentTest, JitterIsBoundedClampedAtZeroAndMayReorder) {
  Impairment imp;
  imp.delay = absl::Milliseconds(2);
  imp.jitter = absl::Milliseconds(3);
  ImpairState st;
  ScriptedChance chance;
  chance.betweens = {3'000'000, -3'000'000, -10'000'000};
  Verdict v = Impair(imp, st, true, kT0, chance);
  EXPECT_EQ(v.release, kT0 + absl::Milliseconds(5));
  v = Impair(imp, st, true, kT0, chance);  // 2 - 3 ms: clamped at 0, sent at once
  EXPECT_EQ(v.fate, Fate::kSend);
  v = Impair(imp, st, true, kT0 + absl::Milliseconds(1), chance);  // drawn below -j: clamped
  EXPECT_EQ(v.fate, Fate::kSend);  // overtakes the first frame: jitter reorders
}

}  // namespace
}  // namespace tachy
