// Heartbeat peers in the engine: judged by the deadtime they advertise,
// gone at once on their shutdone, restarted by a new generation.
#include <vector>

#include "detector/engine.h"
#include "gtest/gtest.h"
#include "tests/support/test_keys.h"

namespace tachy {
namespace {

class EngineForeignTest : public ::testing::Test {
 protected:
  EngineForeignTest() : keys_(Sha256KeyRing("k")), engine_(Options(), keys_, now_) {}

  static EngineOptions Options() {
    EngineOptions o;
    o.local_node = "test002";
    o.nodes = {"test001", "test002"};
    o.media = {"bcast:hb0"};
    o.keepalive = absl::Seconds(1);
    o.warntime = absl::Seconds(2);
    o.deadtime = absl::Seconds(3);  // ours; the peer advertises 5 s
    o.initdead = absl::Seconds(12);
    o.tick = absl::Milliseconds(1);
    return o;
  }

  void Status(uint64_t generation, bool leave = false) {
    engine_.OnForeignStatus({0, 0, leave, generation, absl::Seconds(5), now_}, now_);
  }
  // Moves time on, running the timers every 100 ms as the loop would.
  void Run(absl::Duration d) {
    const MonoTime end = now_ + d;
    while (now_ < end) {
      now_ = now_ + absl::Milliseconds(100);
      engine_.Advance(now_, absl::ZeroDuration());
    }
  }
  std::vector<PeerState> States() {
    std::vector<PeerState> out;
    engine_.DrainEvents([&](const DetectorEvent& e) {
      if (e.kind == EventKind::kPeer) out.push_back(e.to);
    });
    return out;
  }

  MonoTime now_ = MonoTime::FromNanos(1'000'000'000);
  KeyRing keys_;
  Engine engine_;
};

TEST_F(EngineForeignTest, JudgedByItsAdvertisedDeadtime) {
  Status(100);
  EXPECT_EQ(States(), std::vector<PeerState>{PeerState::kUp});
  Run(absl::Milliseconds(4500));  // past our 3 s, within its 5 s
  EXPECT_EQ(States(), std::vector<PeerState>{PeerState::kLate});
  Status(100);
  EXPECT_EQ(States(), std::vector<PeerState>{PeerState::kUp});
  Run(absl::Milliseconds(5200));
  EXPECT_EQ(States(), (std::vector<PeerState>{PeerState::kLate, PeerState::kDead}));
  EXPECT_EQ(engine_.peers()[0].deadtime_override, absl::Seconds(5));
}

TEST_F(EngineForeignTest, ShutdoneIsALeaveAndANewGenerationComesBack) {
  Status(100);
  States();
  Status(100, /*leave=*/true);
  EXPECT_EQ(States(), std::vector<PeerState>{PeerState::kDead});
  Status(99);  // a generation going back is refused
  EXPECT_TRUE(States().empty());
  Status(101);
  EXPECT_EQ(States(), std::vector<PeerState>{PeerState::kUp});
  EXPECT_EQ(engine_.peers()[0].generation, 101u);
}

}  // namespace
}  // namespace tachy
