// realtime_loop_test.cc: tachyd's real-time thread over an in-memory
// medium: peer events come out of the ring in order, our heartbeats go out
// carrying the advertisement, and snapshot, leave and stop requests are
// answered.
//
// This runs on the real clock (the loop's epoll timeout is real), so the
// tests assert only order and eventual outcomes, each within a generous
// bound; no durations are measured.
#include "detector/realtime_loop.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "detector/auth.h"
#include "detector/engine.h"
#include "detector/frame.h"
#include "detector/base/mono_time.h"
#include "detector/peer_state.h"
#include "detector/transport.h"
#include "detector/base/unique_fd.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/frame_builder.h"
#include "tests/support/test_keys.h"
#include "tests/support/memory_transport.h"

namespace tachy {
namespace {

// A medium in memory. The test thread Deliver()s frames "from the network";
// the loop's thread Drain()s them (rx time = when drained) and Send()s ours,
// which are kept for the test to read. The fd is an eventfd that is readable
// while frames wait, so epoll sees it like a socket.
struct Parsed {
  RejectReason reason = RejectReason::kShort;
  bool tag_ok = false;
  Frame frame;
};

std::string Brief(const DetectorEvent& e) {
  return absl::StrCat(PeerStateName(e.from), "->", PeerStateName(e.to));
}

// Every wait in these tests ends by this bound at the latest.
constexpr absl::Duration kBound = absl::Seconds(5);

// Local node "a" with peer "b" on `medium`.
EngineOptions TwoNodes(const std::string& medium, absl::Duration keepalive,
                       absl::Duration initdead) {
  EngineOptions o;
  o.local_node = "a";
  o.nodes = {"a", "b"};
  o.media = {medium};
  o.keepalive = keepalive;
  o.warntime = absl::Milliseconds(10);
  o.deadtime = absl::Milliseconds(20);
  o.initdead = initdead;
  return o;
}

class RealtimeLoopTest : public ::testing::Test {
 protected:
  RealtimeLoopTest() {
    keys_ = Sha256KeyRing("secret");
    signer_ = Sha256Signer("secret");
  }

  ~RealtimeLoopTest() override { StopLoop(); }

  void StartLoop() {
    ASSERT_TRUE(medium_.valid());
    ASSERT_NE(signer_, nullptr);
    EngineOptions o = TwoNodes(medium_.name(), absl::Milliseconds(1), absl::Milliseconds(200));
    o.generation = 5;
    engine_ = std::make_unique<Engine>(std::move(o), keys_, MonotonicNow());
    absl::StatusOr<std::unique_ptr<RtChannel>> channel = RtChannel::Create();
    ASSERT_TRUE(channel.ok()) << channel.status();
    channel_ = *std::move(channel);
    loop_ = std::make_unique<RealtimeLoop>(std::vector<Transport*>{&medium_}, *engine_, *channel_);
    thread_ = std::thread([this] { rc_ = loop_->Run(); });
  }

  void StopLoop() {
    if (!thread_.joinable()) return;
    channel_->RequestStop();
    thread_.join();
  }

  // b's next heartbeat, signed, into the medium.
  void FeedB() {
    medium_.Deliver(FrameBuilder()
                        .Node("b")
                        .Generation(3)
                        .Sequence(++b_seq_)
                        .SendTimeNs(MonotonicNow().nanos())
                        .IntervalUs(1000)
                        .DeadtimeUs(20000)
                        .SignedBy(*signer_));
  }

  // Waits (poll on events_ready, at most `timeout`) and pops every event
  // waiting; b's peer events are kept in order.
  void PollEvents(absl::Duration timeout) {
    pollfd p{channel_->events_ready.get(), POLLIN, 0};
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(timeout));
    if (poll(&p, 1, ms) > 0) {
      uint64_t count;
      [[maybe_unused]] const ssize_t n = read(p.fd, &count, sizeof(count));
    }
    DetectorEvent e;
    while (channel_->events.TryPop(&e)) {
      if (e.kind == EventKind::kPeer) {
        EXPECT_EQ(e.peer, 0u);  // b is the only peer
        peer_events_.push_back(e);
      }
    }
  }

  // Polls (feeding b first if `feed`) until `done()` or kBound.
  bool WaitFor(absl::FunctionRef<bool()> done, bool feed = false) {
    const MonoTime deadline = MonotonicNow() + kBound;
    while (!done()) {
      if (MonotonicNow() > deadline) return false;
      if (feed) FeedB();
      PollEvents(absl::Milliseconds(1));
    }
    return true;
  }

  bool BIs(PeerState s) const {
    return !peer_events_.empty() && peer_events_.back().to == s;
  }

  Parsed Parse(const std::vector<uint8_t>& bytes) const {
    Parsed p;
    std::span<const uint8_t> signed_part, tag;
    p.reason = ParseFrameHeader(bytes, &p.frame, &signed_part, &tag);
    if (p.reason == RejectReason::kNone) {
      const Authenticator* auth = keys_.Find(p.frame.key_id);
      p.tag_ok = auth != nullptr && auth->Verify(signed_part, tag);
    }
    return p;
  }

  KeyRing keys_;
  std::unique_ptr<Authenticator> signer_;
  MemoryTransport medium_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<RtChannel> channel_;
  std::unique_ptr<RealtimeLoop> loop_;
  std::thread thread_;
  int rc_ = -1;
  uint64_t b_seq_ = 0;
  std::vector<DetectorEvent> peer_events_;
};

TEST_F(RealtimeLoopTest, PeerComesUpThenGoesLateAndDeadWhenSilent) {
  FeedB();  // waiting before the loop's first wake-up
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return BIs(PeerState::kUp); }, /*feed=*/true));
  // Keep b talking for a while: our own frames go out meanwhile.
  ASSERT_TRUE(WaitFor([&] { return channel_->frames_sent.load() >= 20 && b_seq_ >= 30; },
                      /*feed=*/true));
  // Silence: late, then dead.
  ASSERT_TRUE(WaitFor([&] { return BIs(PeerState::kDead); }));

  ASSERT_GE(peer_events_.size(), 3u);
  EXPECT_EQ(Brief(peer_events_.front()), "init->up");
  EXPECT_EQ(peer_events_.front().generation, 3u);
  EXPECT_EQ(Brief(peer_events_[peer_events_.size() - 2]), "up->late");
  EXPECT_EQ(Brief(peer_events_.back()), "late->dead");
  EXPECT_EQ(peer_events_.back().input, PeerInput::kDeadTimeout);
  // A loaded machine may delay the feeder past warntime (up->late->up); the
  // chain of states must still be unbroken.
  for (size_t i = 1; i < peer_events_.size(); ++i) {
    EXPECT_EQ(peer_events_[i].from, peer_events_[i - 1].to) << i;
    EXPECT_LE(peer_events_[i - 1].t, peer_events_[i].t) << i;
  }
  // The verdict's last frame is not after the verdict.
  EXPECT_LE(peer_events_.back().last_heard, peer_events_.back().t);
  EXPECT_EQ(channel_->ring_full.load(), 0u);
  StopLoop();
  EXPECT_EQ(rc_, 0);
}

TEST_F(RealtimeLoopTest, SendsSignedHeartbeatsAndCountsThem) {
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return channel_->frames_sent.load() >= 5; }));
  StopLoop();
  const std::vector<std::vector<uint8_t>> sent = medium_.Sent();
  ASSERT_GE(sent.size(), 5u);
  EXPECT_EQ(sent.size(), channel_->frames_sent.load());
  uint64_t seq = 0;
  for (const std::vector<uint8_t>& bytes : sent) {
    const Parsed p = Parse(bytes);
    ASSERT_EQ(p.reason, RejectReason::kNone);
    EXPECT_TRUE(p.tag_ok);
    EXPECT_EQ(p.frame.type, FrameType::kHeartbeat);
    EXPECT_EQ(p.frame.node_id, NameId("a"));
    EXPECT_EQ(p.frame.cluster_id, NameId("linux-ha"));
    EXPECT_EQ(p.frame.generation, 5u);
    EXPECT_EQ(p.frame.interval_us, 1000u);
    EXPECT_EQ(p.frame.deadtime_us, 20000u);
    EXPECT_EQ(p.frame.sequence, seq + 1);
    seq = p.frame.sequence;
  }
  EXPECT_EQ(rc_, 0);
  EXPECT_FALSE(channel_->left.load());
}

TEST_F(RealtimeLoopTest, AdvertisementGoesIntoLaterFrames) {
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return channel_->frames_sent.load() >= 1; }));
  Advertisement ad;
  for (size_t i = 0; i < ad.data.size(); ++i) ad.data[i] = static_cast<uint8_t>(0xc0 ^ (i * 7));
  ad.ready = true;
  channel_->SetAdvertisement(ad);
  auto carried = [&] {
    for (const std::vector<uint8_t>& bytes : medium_.Sent()) {
      const Parsed p = Parse(bytes);
      if (p.reason == RejectReason::kNone && p.frame.runner == ad.data &&
          (p.frame.flags & kFlagActionsReady) != 0) {
        return true;
      }
    }
    // A stall of this thread longer than half the deadtime (ASan under
    // load: CI saw it) withdraws the runner's ready flag until the runner
    // speaks again, by design: speak again, as a runner does.
    channel_->SetAdvertisement(ad);
    return false;
  };
  ASSERT_TRUE(WaitFor(carried));
  StopLoop();
  // Byte for byte at 48..63 of the raw frame, and kept from then on.
  const std::vector<std::vector<uint8_t>> sent = medium_.Sent();
  bool seen = false;
  for (const std::vector<uint8_t>& bytes : sent) {
    ASSERT_GE(bytes.size(), kFrameHeaderSize);
    const bool has = std::equal(ad.data.begin(), ad.data.end(), bytes.begin() + 48);
    if (seen) {
      EXPECT_TRUE(has);
    }
    seen = seen || has;
  }
  EXPECT_TRUE(seen);
  // The first frame went out before the advertisement was set.
  EXPECT_EQ(Parse(sent.front()).frame.runner, RunnerData{});
}

TEST_F(RealtimeLoopTest, SnapshotOnRequest) {
  FeedB();
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return BIs(PeerState::kUp); }, /*feed=*/true));
  const uint64_t before = channel_->snapshot_version.load();
  channel_->RequestSnapshot();
  ASSERT_TRUE(WaitFor([&] { return channel_->snapshot_version.load() > before; }));
  {
    absl::MutexLock lock(&channel_->snapshot_mu);
    const EngineSnapshot s = channel_->snapshot;  // a copy: the analysis cannot follow a reference
    ASSERT_EQ(s.peers.size(), 1u);
    EXPECT_EQ(s.peers[0].name, "b");
    EXPECT_TRUE(s.peers[0].heard);
    EXPECT_EQ(s.peers[0].generation, 3u);
    EXPECT_GE(s.stats.frames_received, 1u);
    EXPECT_GE(s.sequence, 1u);
    EXPECT_NE(s.taken, MonoTime());
  }
  // Each request makes a fresh copy.
  const uint64_t after = channel_->snapshot_version.load();
  channel_->RequestSnapshot();
  ASSERT_TRUE(WaitFor([&] { return channel_->snapshot_version.load() > after; }));
}

TEST_F(RealtimeLoopTest, LeaveSendsLeaveFrameAndEndsTheLoop) {
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return channel_->frames_sent.load() >= 3; }));
  channel_->RequestLeave();
  ASSERT_TRUE(WaitFor([&] { return channel_->left.load(); }));
  thread_.join();  // Run() has returned
  EXPECT_EQ(rc_, 0);
  const std::vector<std::vector<uint8_t>> sent = medium_.Sent();
  ASSERT_FALSE(sent.empty());
  const Parsed last = Parse(sent.back());
  ASSERT_EQ(last.reason, RejectReason::kNone);
  EXPECT_TRUE(last.tag_ok);
  EXPECT_EQ(last.frame.type, FrameType::kLeave);
  EXPECT_EQ(last.frame.state, SenderState::kLeaving);
  // Exactly one leave frame, and it is the last.
  size_t leaves = 0;
  for (const std::vector<uint8_t>& bytes : sent) {
    if (Parse(bytes).frame.type == FrameType::kLeave) ++leaves;
  }
  EXPECT_EQ(leaves, 1u);
}

TEST_F(RealtimeLoopTest, StopEndsTheLoopWithoutLeaving) {
  StartLoop();
  ASSERT_TRUE(WaitFor([&] { return channel_->frames_sent.load() >= 2; }));
  channel_->RequestStop();
  thread_.join();  // bounded by the test timeout; the wake eventfd ends the wait
  EXPECT_EQ(rc_, 0);
  EXPECT_FALSE(channel_->left.load());
  for (const std::vector<uint8_t>& bytes : medium_.Sent()) {
    EXPECT_EQ(Parse(bytes).frame.type, FrameType::kHeartbeat);
  }
}

// A new advertisement (a claim or a release) goes out at once in a frame of
// its own, not with the next keepalive; an unchanged one sends nothing
// extra. Driven by RunOnce() with a manual clock.
TEST(RealtimeLoopRunOnceTest, ANewAdvertisementIsSentAtOnce) {
  KeyRing keys = Sha256KeyRing("secret");
  MemoryTransport medium;
  const EngineOptions o = TwoNodes(medium.name(), absl::Milliseconds(2), absl::Seconds(1));
  const MonoTime t0 = MonoTime::FromNanos(1'000'000'000);
  Engine engine(o, keys, t0);
  std::unique_ptr<RtChannel> channel = *RtChannel::Create();
  RealtimeLoop loop({&medium}, engine, *channel);
  const auto none = [](size_t) { return false; };
  const MonoTime first = engine.NextWakeup();
  MonoTime wake = loop.RunOnce(first, first, none);  // the first heartbeat
  ASSERT_EQ(medium.sent_count(), 1u);
  ASSERT_GT(wake, first + absl::Microseconds(500));

  Advertisement ad;
  ad.data[0] = 0x01;  // "holds group 0", as the runner encodes it
  ad.ready = true;
  channel->SetAdvertisement(ad);
  loop.RunOnce(first + absl::Microseconds(100), wake, none);  // not due: only the claim
  ASSERT_EQ(medium.sent_count(), 2u);
  Frame f;
  std::span<const uint8_t> signed_part, tag;
  const std::vector<uint8_t> claim = medium.Sent().back();
  ASSERT_EQ(ParseFrameHeader(claim, &f, &signed_part, &tag), RejectReason::kNone);
  EXPECT_EQ(f.runner[0], 0x01);
  EXPECT_EQ(f.flags & kFlagActionsReady, kFlagActionsReady);

  channel->SetAdvertisement(ad);  // the same again: nothing extra
  loop.RunOnce(first + absl::Microseconds(200), wake, none);
  EXPECT_EQ(medium.sent_count(), 2u);
}

}  // namespace
}  // namespace tachy
