// peer_memory_test.cc: STATE_DIR/peers, and the engine refusing recordings
// after a restart because of it (hardening row 4: a restarted tachyd took
// the first authentic frame of any generation, then every recorded frame
// with a higher sequence, and a dead node stayed "up" for a 4 s replay).
#include "detector/tachyd/peer_memory.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "detector/engine.h"
#include "detector/frame.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"
#include "tests/support/frame_builder.h"
#include "tests/support/test_keys.h"

namespace tachy {
namespace {

TEST(PeerMemoryTest, RoundTripOnTheSameBoot) {
  std::vector<RememberedPeer> peers(2);
  peers[0].node = "b";
  peers[0].generation = 12;
  peers[0].offset_known = true;
  peers[0].clock_offset = absl::Nanoseconds(-53000);
  peers[1].node = "c";
  peers[1].generation = 3;
  const std::string text = FormatPeerMemory(peers, "boot-1");
  auto back = ParsePeerMemory(text, "peers", "boot-1");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].node, "b");
  EXPECT_EQ((*back)[0].generation, 12u);
  EXPECT_TRUE((*back)[0].offset_known);
  EXPECT_EQ((*back)[0].clock_offset, absl::Nanoseconds(-53000));
  EXPECT_FALSE((*back)[1].offset_known);
}

TEST(PeerMemoryTest, AnotherBootKeepsGenerationsButNotOffsets) {
  std::vector<RememberedPeer> peers(1);
  peers[0].node = "b";
  peers[0].generation = 12;
  peers[0].offset_known = true;
  auto back = ParsePeerMemory(FormatPeerMemory(peers, "boot-1"), "peers", "boot-2");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ((*back)[0].generation, 12u);
  EXPECT_FALSE((*back)[0].offset_known);
}

TEST(PeerMemoryTest, GarbageIsDataLossNamingFileAndLine) {
  auto bad = ParsePeerMemory("boot x\npeer b twelve 0\n", "/var/lib/tachy/peers", "x");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "/var/lib/tachy/peers:2:"))
      << bad.status();
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "remove the file")) << bad.status();
}

TEST(PeerMemoryTest, WrittenAndReadBackFromAStateDir) {
  TempDir tmp("tachy-peer-memory");
  const std::string dir = tmp.path();
  ASSERT_FALSE(dir.empty());
  auto none = ReadPeerMemory(dir);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::vector<RememberedPeer> peers(1);
  peers[0].node = "b";
  peers[0].generation = 4;
  peers[0].offset_known = true;
  peers[0].clock_offset = absl::Microseconds(7);
  ASSERT_TRUE(WritePeerMemory(dir, peers).ok());
  auto back = ReadPeerMemory(dir);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].clock_offset, absl::Microseconds(7));
  EXPECT_TRUE((*back)[0].offset_known);  // same boot
}

RememberedPeer Remembered(const std::string& node, uint64_t generation, absl::Duration offset) {
  RememberedPeer r;
  r.node = node;
  r.generation = generation;
  r.offset_known = true;
  r.clock_offset = offset;
  return r;
}

// The bug: the time of the last write moved on at every (unchanged) check,
// so the minute's rewrite never came. Time is the caller's: a manual clock.
TEST(PeerMemoryTest, RewrittenAtOnceForNewsAndOnceAMinuteForSmallDrift) {
  const MonoTime written = MonoTime::FromNanos(1'000'000'000);
  const std::vector<RememberedPeer> stored = {Remembered("b", 4, absl::Microseconds(100))};
  const auto at = [&](absl::Duration d) { return written + d; };
  // Nothing new: not rewritten for a minute, whatever the checks in between.
  EXPECT_FALSE(PeerMemoryNeedsWrite(stored, written, stored, at(absl::Seconds(1))));
  EXPECT_FALSE(PeerMemoryNeedsWrite(stored, written, stored, at(absl::Seconds(59))));
  // A drift under a millisecond waits for the minute; then it is written.
  const std::vector<RememberedPeer> drifted = {Remembered("b", 4, absl::Microseconds(900))};
  EXPECT_FALSE(PeerMemoryNeedsWrite(stored, written, drifted, at(absl::Seconds(30))));
  EXPECT_TRUE(PeerMemoryNeedsWrite(stored, written, drifted, at(absl::Seconds(61))));
  // News at once.
  EXPECT_TRUE(PeerMemoryNeedsWrite(stored, written, {Remembered("b", 5, absl::Microseconds(100))},
                                   at(absl::Seconds(1))));
  EXPECT_TRUE(PeerMemoryNeedsWrite(stored, written, {Remembered("b", 4, absl::Milliseconds(2))},
                                   at(absl::Seconds(1))));
  EXPECT_TRUE(PeerMemoryNeedsWrite(
      stored, written, {stored[0], Remembered("c", 1, absl::ZeroDuration())}, at(absl::Seconds(1))));
  RememberedPeer unknown = stored[0];
  unknown.offset_known = false;
  EXPECT_TRUE(PeerMemoryNeedsWrite(stored, written, {unknown}, at(absl::Seconds(1))));
}

class RestartedReceiverTest : public ::testing::Test {
 protected:
  RestartedReceiverTest() : keys_(Sha256KeyRing("secret")) {
    auto auth = Authenticator::Create(AuthMethod::kSha256, "secret");
    signer_ = *std::move(auth);
  }
  void Start(std::vector<RememberedPeer> remembered) {
    EngineOptions o;
    o.local_node = "a";
    o.nodes = {"a", "b"};
    o.media = {"raw:eth1"};
    o.keepalive = absl::Milliseconds(2);
    o.warntime = absl::Milliseconds(10);
    o.deadtime = absl::Milliseconds(20);
    o.initdead = absl::Seconds(1);
    o.remembered = std::move(remembered);
    engine_ = std::make_unique<Engine>(std::move(o), keys_, now_);
  }
  // A frame of b sent at `sent`, received now.
  void Deliver(uint64_t generation, uint64_t seq, MonoTime sent) {
    const std::vector<uint8_t> bytes = FrameBuilder()
                                           .Node("b")
                                           .Generation(generation)
                                           .Sequence(seq)
                                           .SendTimeNs(sent.nanos())
                                           .IntervalUs(2000)
                                           .DeadtimeUs(20000)
                                           .SignedBy(*signer_);
    engine_->OnFrame(0, bytes, now_, now_);
  }
  uint64_t Rejected(RejectReason r) const {
    return engine_->stats().rejected[static_cast<size_t>(r)];
  }
  const Peer& B() const { return engine_->peers().front(); }

  KeyRing keys_;
  std::unique_ptr<Authenticator> signer_;
  MonoTime now_ = MonoTime::FromNanos(100'000'000'000);
  std::unique_ptr<Engine> engine_;
};

RememberedPeer Remembered(uint64_t generation, bool offset_known) {
  RememberedPeer r;
  r.node = "b";
  r.generation = generation;
  r.offset_known = offset_known;
  return r;
}

TEST_F(RestartedReceiverTest, AnOlderGenerationThanRememberedIsRefusedAtFirstContact) {
  Start({Remembered(5, false)});
  Deliver(4, 900, now_);
  EXPECT_EQ(Rejected(RejectReason::kOldGeneration), 1u);
  EXPECT_FALSE(B().heard);
  Deliver(5, 1, now_);
  EXPECT_TRUE(B().heard);
}

TEST_F(RestartedReceiverTest, ARecordingOfTheCurrentLifeIsStaleByItsSendTime) {
  Start({Remembered(5, true)});  // b's clock = ours (offset 0), as in the lab
  // Frames recorded 4 s ago, replayed now with sequences we never saw.
  for (uint64_t seq = 100; seq < 110; ++seq) Deliver(5, seq, now_ - absl::Seconds(4));
  EXPECT_EQ(Rejected(RejectReason::kStale), 10u);
  EXPECT_FALSE(B().heard);
  // The live b is believed.
  Deliver(5, 2000, now_ - absl::Microseconds(50));
  EXPECT_TRUE(B().heard);
  EXPECT_EQ(B().last_seq, 2000u);
}

// Once heard, sequences protect: a peer whose clock jumped (a paused VM) is
// followed, not refused, and the new offset is what will be remembered.
TEST_F(RestartedReceiverTest, WithinARunAClockJumpIsFollowedNotRefused) {
  Start({});
  Deliver(1, 1, now_);
  now_ = now_ + absl::Milliseconds(2);
  Deliver(1, 2, now_ - absl::Seconds(30));
  EXPECT_EQ(Rejected(RejectReason::kStale), 0u);
  EXPECT_EQ(B().last_seq, 2u);
  EXPECT_EQ(B().clock_offset, -absl::Seconds(30));
}

TEST_F(RestartedReceiverTest, TheRememberedOffsetAllowsTheDeadtime) {
  RememberedPeer r = Remembered(5, true);
  r.clock_offset = absl::Milliseconds(-1);
  Start({r});
  Deliver(5, 7, now_ - absl::Milliseconds(21) - absl::Microseconds(1));  // 20 ms + 1 us off
  EXPECT_EQ(Rejected(RejectReason::kStale), 1u);
  Deliver(5, 8, now_ - absl::Milliseconds(20));  // 19 ms off: within the deadtime
  EXPECT_TRUE(B().heard);
}

TEST_F(RestartedReceiverTest, ANewGenerationLearnsTheOffsetAfresh) {
  Start({Remembered(5, true)});
  // b rebooted: new generation, its clock an hour away from ours.
  Deliver(6, 1, now_ + absl::Hours(1));
  EXPECT_TRUE(B().heard);
  EXPECT_EQ(Rejected(RejectReason::kStale), 0u);
  now_ = now_ + absl::Milliseconds(2);
  Deliver(6, 2, now_ + absl::Hours(1));
  EXPECT_EQ(B().last_seq, 2u);
}

}  // namespace
}  // namespace tachy
