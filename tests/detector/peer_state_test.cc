// peer_state_test.cc: NextState() for every (state, input) pair.
#include "detector/peer_state.h"

#include <set>
#include <utility>

#include "gtest/gtest.h"

namespace tachy {
namespace {

using S = PeerState;
using I = PeerInput;

struct Row {
  PeerState from;
  PeerInput input;
  PeerState to;
  bool changed;
};

// The whole table, 4 states x 6 inputs, as the diagram in peer_state.h draws it.
const Row kTable[] = {
    // init: only a frame or initdead moves it (Heartbeat: warn/dead times
    // start counting at the first heartbeat).
    {.from = S::kInit, .input = I::kHeartbeat, .to = S::kUp, .changed = true},
    {.from = S::kInit, .input = I::kRestart, .to = S::kUp, .changed = true},
    {.from = S::kInit, .input = I::kLeave, .to = S::kDead, .changed = true},
    {.from = S::kInit, .input = I::kWarnTimeout, .to = S::kInit, .changed = false},
    {.from = S::kInit, .input = I::kDeadTimeout, .to = S::kInit, .changed = false},
    {.from = S::kInit, .input = I::kInitdeadTimeout, .to = S::kDead, .changed = true},
    // up
    {.from = S::kUp, .input = I::kHeartbeat, .to = S::kUp, .changed = false},
    {.from = S::kUp, .input = I::kRestart, .to = S::kDead, .changed = true},
    {.from = S::kUp, .input = I::kLeave, .to = S::kDead, .changed = true},
    {.from = S::kUp, .input = I::kWarnTimeout, .to = S::kLate, .changed = true},
    {.from = S::kUp, .input = I::kDeadTimeout, .to = S::kDead, .changed = true},
    {.from = S::kUp, .input = I::kInitdeadTimeout, .to = S::kUp, .changed = false},
    // late
    {.from = S::kLate, .input = I::kHeartbeat, .to = S::kUp, .changed = true},
    {.from = S::kLate, .input = I::kRestart, .to = S::kDead, .changed = true},
    {.from = S::kLate, .input = I::kLeave, .to = S::kDead, .changed = true},
    {.from = S::kLate, .input = I::kWarnTimeout, .to = S::kLate, .changed = false},
    {.from = S::kLate, .input = I::kDeadTimeout, .to = S::kDead, .changed = true},
    {.from = S::kLate, .input = I::kInitdeadTimeout, .to = S::kLate, .changed = false},
    // dead: only a frame brings it back.
    {.from = S::kDead, .input = I::kHeartbeat, .to = S::kUp, .changed = true},
    {.from = S::kDead, .input = I::kRestart, .to = S::kUp, .changed = true},
    {.from = S::kDead, .input = I::kLeave, .to = S::kDead, .changed = false},
    {.from = S::kDead, .input = I::kWarnTimeout, .to = S::kDead, .changed = false},
    {.from = S::kDead, .input = I::kDeadTimeout, .to = S::kDead, .changed = false},
    {.from = S::kDead, .input = I::kInitdeadTimeout, .to = S::kDead, .changed = false},
};

const char* InputName(PeerInput input) {
  switch (input) {
    case I::kHeartbeat: return "heartbeat";
    case I::kRestart: return "restart";
    case I::kLeave: return "leave";
    case I::kWarnTimeout: return "warn_timeout";
    case I::kDeadTimeout: return "dead_timeout";
    case I::kInitdeadTimeout: return "initdead_timeout";
  }
  return "?";
}

TEST(PeerStateTest, TableCoversEveryPairOnce) {
  std::set<std::pair<PeerState, PeerInput>> pairs;
  for (const Row& r : kTable) pairs.emplace(r.from, r.input);
  EXPECT_EQ(std::size(kTable), 24u);
  EXPECT_EQ(pairs.size(), 24u);
}

TEST(PeerStateTest, EveryTransition) {
  for (const Row& r : kTable) {
    SCOPED_TRACE(testing::Message() << PeerStateName(r.from) << " + " << InputName(r.input));
    const Transition t = NextState(r.from, r.input);
    EXPECT_EQ(PeerStateName(t.to), PeerStateName(r.to));
    EXPECT_EQ(t.changed, r.changed);
    // A change always says why (it becomes the event's reason); a stay never
    // needs to.
    EXPECT_EQ(!t.why.empty(), r.changed) << "why: " << t.why;
    // `changed` means what it says.
    EXPECT_EQ(t.changed, t.to != r.from);
  }
}

TEST(PeerStateTest, ReasonsTellPartitionFromRestart) {
  // The engine and operators rely on these words (tachyctl watch, logs).
  EXPECT_EQ(NextState(S::kDead, I::kHeartbeat).why,
            "returned after partition (same generation)");
  EXPECT_EQ(NextState(S::kDead, I::kRestart).why, "came back with a new generation");
  EXPECT_EQ(NextState(S::kUp, I::kRestart).why, "restarted with a new generation");
  EXPECT_EQ(NextState(S::kInit, I::kInitdeadTimeout).why, "never heard within initdead");
  EXPECT_EQ(NextState(S::kLate, I::kDeadTimeout).why, "no heartbeat");
  EXPECT_EQ(NextState(S::kUp, I::kWarnTimeout).why, "late heartbeat");
  EXPECT_EQ(NextState(S::kLate, I::kHeartbeat).why, "heartbeat resumed");
  EXPECT_EQ(NextState(S::kUp, I::kLeave).why, "left the cluster");
}

TEST(PeerStateTest, Names) {
  EXPECT_EQ(PeerStateName(S::kInit), "init");
  EXPECT_EQ(PeerStateName(S::kUp), "up");
  EXPECT_EQ(PeerStateName(S::kLate), "late");
  EXPECT_EQ(PeerStateName(S::kDead), "dead");
}

}  // namespace
}  // namespace tachy
