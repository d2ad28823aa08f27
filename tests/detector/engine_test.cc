// engine_test.cc: the detector core, alone and inside tachyd's real-time
// loop.
//
// Local node "a", peers "b" and "c"; keepalive 2 ms, warntime 10 ms,
// deadtime 20 ms, initdead 1 s, 100 µs wheel tick. Peers' frames are signed
// with the same sha256 key (authkeys index 1). Time is a ManualClock. Run()
// drives the daemon's own loop (RealtimeLoop::RunOnce) over in-memory media:
// peer frames arrive when due (drained before a timer wake-up at the same
// instant) and the loop wakes exactly at the engine's NextWakeup().
#include "detector/engine.h"

#include "actions/ownership_ad.h"
#include "detector/event_text.h"
#include "detector/realtime_loop.h"
#include "tests/support/memory_transport.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "detector/auth.h"
#include "detector/config/authkeys_file.h"
#include "detector/frame.h"
#include "detector/base/mono_time.h"
#include "detector/peer_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/frame_builder.h"
#include "tests/support/test_keys.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr absl::Duration kKeepalive = absl::Milliseconds(2);
constexpr absl::Duration kWarntime = absl::Milliseconds(10);
constexpr absl::Duration kDeadtime = absl::Milliseconds(20);
constexpr absl::Duration kInitdead = absl::Seconds(1);
constexpr absl::Duration kTick = absl::Microseconds(100);
constexpr uint64_t kLocalGeneration = 7;
constexpr MonoTime kNever = MonoTime::FromNanos(std::numeric_limits<int64_t>::max());

size_t Idx(RejectReason r) { return static_cast<size_t>(r); }

// The engine's fixed-size events in words, as the control thread renders
// them (event_text.h): what these tests assert on.
struct PeerEvent {
  MonoTime t;
  std::string node;
  PeerState from = PeerState::kInit;
  PeerState to = PeerState::kInit;
  std::string reason;
  uint64_t generation = 0;
};
struct LinkEvent {
  MonoTime t;
  std::string node;
  std::string medium;
  bool up = false;
};
struct Notice {
  std::string text;
};

// "b:init->up": compact, readable event lists for ElementsAre.
std::string Brief(const PeerEvent& e) {
  return absl::StrCat(e.node, ":", PeerStateName(e.from), "->", PeerStateName(e.to));
}
std::string Brief(const LinkEvent& e) {
  return absl::StrCat(e.node, "@", e.medium, ":", e.up ? "up" : "dead");
}
template <typename T>
std::vector<std::string> Briefs(const std::vector<T>& events) {
  std::vector<std::string> out;
  for (const T& e : events) out.push_back(Brief(e));
  return out;
}

std::unique_ptr<Authenticator> MakeAuth(AuthMethod method, absl::string_view key) {
  absl::StatusOr<std::unique_ptr<Authenticator>> auth = Authenticator::Create(method, key);
  if (!auth.ok()) {
    ADD_FAILURE() << auth.status();
    return nullptr;
  }
  return *std::move(auth);
}

// A peer's transmitter: its generation and sequence, the media it sends on
// and when, and a copy of every frame sent (for replays).
struct Stream {
  std::string node;
  uint64_t generation = 1;
  uint64_t seq = 0;
  MonoTime next = kNever;   // next send
  MonoTime until = kNever;  // sends strictly before this only
  std::vector<size_t> media = {0};
  std::vector<std::vector<uint8_t>> sent;
  MonoTime last_sent;
};

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : signer_(MakeAuth(AuthMethod::kSha256, "secret")) {
    keys_ = Sha256KeyRing("secret");
  }

  void Start(std::vector<std::string> media = {"raw:eth1"},
             std::vector<std::string> nodes = {"a", "b", "c"}) {
    EngineOptions o;
    o.local_node = "a";
    o.nodes = std::move(nodes);
    o.media = std::move(media);
    o.keepalive = kKeepalive;
    o.warntime = kWarntime;
    o.deadtime = kDeadtime;
    o.initdead = kInitdead;
    o.generation = kLocalGeneration;
    start_ = clock_.Now();
    const size_t media_count = o.media.size();
    engine_ = std::make_unique<Engine>(std::move(o), keys_, start_);
    // tachyd's real-time loop over in-memory media, driven by Run().
    transports_.clear();
    std::vector<Transport*> loop_media;
    for (size_t m = 0; m < media_count; ++m) {
      transports_.push_back(std::make_unique<MemoryTransport>());
      loop_media.push_back(transports_.back().get());
    }
    channel_ = *RtChannel::Create();
    loop_ = std::make_unique<RealtimeLoop>(loop_media, *engine_, *channel_);
  }

  MonoTime Now() const { return clock_.Now(); }
  MonoTime At(absl::Duration since_start) const { return start_ + since_start; }

  const Peer& P(absl::string_view name) const {
    for (const Peer& p : engine_->peers()) {
      if (p.name == name) return p;
    }
    ADD_FAILURE() << "no peer " << name;
    return engine_->peers().front();
  }

  FrameBuilder From(absl::string_view node, uint64_t generation, uint64_t seq) const {
    return FrameBuilder()
        .Node(node)
        .Generation(generation)
        .Sequence(seq)
        .SendTimeNs(Now().nanos())
        .IntervalUs(2000)
        .DeadtimeUs(20000);
  }

  // Hands `bytes` to the engine as received on `medium` at `rx` (default:
  // now) and read now.
  void Deliver(std::span<const uint8_t> bytes, size_t medium = 0,
               std::optional<MonoTime> rx = std::nullopt) {
    engine_->OnFrame(medium, bytes, rx.value_or(Now()), Now());
    Collect();
  }
  void Deliver(const FrameBuilder& b, size_t medium = 0) { Deliver(b.SignedBy(*signer_), medium); }

  // The next heartbeat of `s`, recorded in s.sent.
  std::span<const uint8_t> Send(Stream& s) {
    s.sent.push_back(From(s.node, s.generation, ++s.seq).SignedBy(*signer_));
    s.last_sent = Now();
    return s.sent.back();
  }

  void AdvanceAt(MonoTime t, absl::Duration lateness = absl::ZeroDuration()) {
    clock_.Set(t);
    if (engine_->Advance(t, lateness)) sends_.push_back(t);
    Collect();
  }

  // tachyd's real-time loop itself (RealtimeLoop::RunOnce) on in-memory
  // media until `end` (inclusive): each stream's frames arrive at their
  // times, and the loop wakes for them and for its timers, as in tachyd.
  void Run(MonoTime end, std::vector<Stream*> streams = {}) {
    for (int guard = 0; guard < 10'000'000; ++guard) {
      // A wake-up due in the past (the test moved the clock) runs now, on
      // time: lateness is what StallTest sets explicitly.
      const MonoTime wake = std::max(engine_->NextWakeup(), Now());
      Stream* due = nullptr;
      for (Stream* s : streams) {
        if (s->next < s->until && s->next <= wake && (due == nullptr || s->next < due->next)) {
          due = s;
        }
      }
      const MonoTime t = due != nullptr ? due->next : wake;
      if (t > end) break;
      clock_.Set(t);
      if (due != nullptr) {
        const std::span<const uint8_t> bytes = Send(*due);
        for (size_t m : due->media) {
          transports_.at(m)->Deliver(std::vector<uint8_t>(bytes.begin(), bytes.end()), t);
        }
        due->next = due->next + kKeepalive;
      }
      const size_t sent = transports_.front()->sent_count();
      loop_->RunOnce(t, wake, [&](size_t m) { return transports_[m]->has_frames(); });
      if (transports_.front()->sent_count() != sent) sends_.push_back(t);
      Collect();
    }
    clock_.Set(std::max(Now(), end));
  }

  void Collect() {
    const EngineOptions& o = engine_->options();
    const std::vector<std::string> names = PeerNames(o);
    auto take = [&](const DetectorEvent& e) {
      const std::string& node = names.at(e.peer);
      switch (e.kind) {
        case EventKind::kPeer:
          events_.push_back({e.t, node, e.from, e.to, EventReason(e, o), e.generation});
          break;
        case EventKind::kLink:
          links_.push_back({e.t, node, o.media.at(e.medium), e.up});
          break;
        case EventKind::kUnjudgedGap:
          notices_.push_back({EventLogLine(e, o, node)});
          break;
        case EventKind::kAdvert:
          break;
      }
    };
    // What the loop handed on (it runs the engine in Run()), then what the
    // test's own direct calls produced: oldest first either way.
    DetectorEvent e;
    while (channel_ != nullptr && channel_->events.TryPop(&e)) take(e);
    engine_->DrainEvents(take);
  }
  std::vector<Notice> TakeNotices() {
    Collect();
    return std::exchange(notices_, {});
  }
  std::vector<PeerEvent> TakeEvents() { return std::exchange(events_, {}); }
  std::vector<LinkEvent> TakeLinks() { return std::exchange(links_, {}); }

  // A stream for `node` sending from `first` on, every keepalive.
  Stream MakeStream(absl::string_view node, MonoTime first, std::vector<size_t> media = {0}) {
    Stream s;
    s.node = std::string(node);
    s.next = first;
    s.media = std::move(media);
    return s;
  }

  ManualClock clock_;
  KeyRing keys_;
  std::unique_ptr<Authenticator> signer_;
  std::unique_ptr<Engine> engine_;
  MonoTime start_;
  std::vector<PeerEvent> events_;
  std::vector<LinkEvent> links_;
  std::vector<Notice> notices_;
  std::vector<MonoTime> sends_;
  std::vector<std::unique_ptr<MemoryTransport>> transports_;
  std::unique_ptr<RtChannel> channel_;
  std::unique_ptr<RealtimeLoop> loop_;
};

// ---------------------------------------------------------------------------
// Coming up and staying up

TEST_F(EngineTest, StartsWithPeersInInit) {
  Start();
  ASSERT_EQ(engine_->peers().size(), 2u);
  EXPECT_EQ(engine_->peers()[0].name, "b");
  EXPECT_EQ(engine_->peers()[1].name, "c");
  for (const Peer& p : engine_->peers()) {
    EXPECT_EQ(p.state, PeerState::kInit);
    EXPECT_FALSE(p.heard);
    EXPECT_EQ(p.media.size(), 1u);
  }
  EXPECT_EQ(engine_->started(), start_);
  EXPECT_EQ(engine_->sequence(), 0u);
}

TEST_F(EngineTest, FirstHeartbeatBringsPeerUp) {
  Start();
  clock_.Set(At(absl::Microseconds(1537)));
  Deliver(From("b", 3, 1).Held(0x5).Wants(0x2).Flags(kFlagActionsReady).State(SenderState::kStandby));
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:init->up"));
  EXPECT_EQ(ev[0].t, At(absl::Microseconds(1537)));
  EXPECT_EQ(ev[0].generation, 3u);
  EXPECT_THAT(ev[0].reason, HasSubstr("first heartbeat"));
  EXPECT_THAT(ev[0].reason, HasSubstr("raw:eth1"));

  const Peer& b = P("b");
  EXPECT_EQ(b.state, PeerState::kUp);
  EXPECT_EQ(b.state_since, At(absl::Microseconds(1537)));
  EXPECT_TRUE(b.heard);
  EXPECT_EQ(b.generation, 3u);
  EXPECT_EQ(b.last_seq, 1u);
  EXPECT_EQ(b.last_heard, At(absl::Microseconds(1537)));
  EXPECT_EQ(b.frames, 1u);
  EXPECT_EQ(DecodeOwnershipAd(b.ad.data).held, 0x5u);
  EXPECT_EQ(DecodeOwnershipAd(b.ad.data).wants, 0x2u);
  EXPECT_TRUE(b.ad.ready);
  EXPECT_EQ(b.interval_us, 2000u);
  EXPECT_EQ(b.media[0].frames, 1u);
  EXPECT_TRUE(b.media[0].heard);
  EXPECT_EQ(engine_->stats().frames_received, 1u);
  EXPECT_EQ(P("c").state, PeerState::kInit);

  // The link comes up with the frame that proves it.
  std::vector<LinkEvent> links = TakeLinks();
  ASSERT_THAT(Briefs(links), ElementsAre("b@raw:eth1:up"));
  EXPECT_EQ(links[0].t, At(absl::Microseconds(1537)));
  EXPECT_TRUE(P("b").media[0].up);
  AdvanceAt(engine_->NextWakeup());
  EXPECT_THAT(TakeLinks(), IsEmpty());
}

TEST_F(EngineTest, SteadyHeartbeatsCauseNoEvents) {
  Start();
  Stream b = MakeStream("b", At(absl::Microseconds(537)));
  Stream c = MakeStream("c", At(absl::Microseconds(1260)));
  Run(At(absl::Seconds(3)), {&b, &c});
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:init->up", "c:init->up"));
  EXPECT_THAT(Briefs(TakeLinks()), ElementsAre("b@raw:eth1:up", "c@raw:eth1:up"));
  for (const Peer* p : {&P("b"), &P("c")}) {
    EXPECT_EQ(p->state, PeerState::kUp) << p->name;
    EXPECT_EQ(p->frames, 1500u) << p->name;
    EXPECT_EQ(p->lost, 0u) << p->name;
    EXPECT_EQ(p->deaths, 0u) << p->name;
    EXPECT_EQ(p->duplicates, 0u) << p->name;
    EXPECT_EQ(p->max_gap, kKeepalive) << p->name;
    for (uint64_t r : p->rejected) EXPECT_EQ(r, 0u);
  }
  EXPECT_EQ(engine_->stats().frames_received, 3000u);
  EXPECT_EQ(engine_->stats().saved_by_grace, 0u);
  EXPECT_EQ(engine_->stats().late_wakeups, 0u);
}

// ---------------------------------------------------------------------------
// Going late and dead

TEST_F(EngineTest, SilenceGoesLateAtWarntimeThenDeadAtDeadtime) {
  Start();
  Stream b = MakeStream("b", At(absl::Microseconds(537)));
  b.until = At(absl::Milliseconds(50));
  Stream c = MakeStream("c", At(absl::Microseconds(900)));
  Run(At(absl::Milliseconds(200)), {&b, &c});
  const MonoTime last = b.last_sent;
  ASSERT_EQ(last, At(absl::Microseconds(48'537)));

  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:init->up", "c:init->up", "b:up->late", "b:late->dead"));
  // Warntime and deadtime are measured from the last receive time and hit
  // on the first tick at or after them.
  EXPECT_GE(ev[2].t - last, kWarntime);
  EXPECT_LT(ev[2].t - last, kWarntime + kTick);
  EXPECT_THAT(ev[2].reason, HasSubstr("warntime 10 ms"));
  EXPECT_GE(ev[3].t - last, kDeadtime);
  EXPECT_LT(ev[3].t - last, kDeadtime + kTick);
  EXPECT_THAT(ev[3].reason, HasSubstr("no heartbeat"));
  EXPECT_THAT(ev[3].reason, HasSubstr("deadtime 20 ms"));
  EXPECT_THAT(ev[3].reason, ::testing::Not(HasSubstr("grace")));
  EXPECT_EQ(ev[3].generation, 1u);
  EXPECT_EQ(P("b").state, PeerState::kDead);
  EXPECT_EQ(P("b").deaths, 1u);
  EXPECT_EQ(P("c").state, PeerState::kUp);
}

// The detection delay (event time - last receive time) lies in
// [deadtime, deadtime + one tick) whatever the phase of the peer's frames
// against the wheel's ticks, when Advance() runs at NextWakeup().
TEST_F(EngineTest, DeathIsDetectedWithinOneTickOfDeadtime) {
  const absl::Duration phases[] = {
      absl::ZeroDuration(),       absl::Nanoseconds(1),      absl::Microseconds(37),
      absl::Microseconds(50),     absl::Nanoseconds(99'999), absl::Microseconds(100),
      absl::Microseconds(1'234),  absl::Microseconds(1'999),
  };
  for (const absl::Duration phase : phases) {
    SCOPED_TRACE(absl::FormatDuration(phase));
    events_.clear();
    Start({"raw:eth1"}, {"a", "b"});
    Stream b = MakeStream("b", At(absl::Milliseconds(1) + phase));
    b.until = At(absl::Milliseconds(101));
    Run(At(absl::Milliseconds(200)), {&b});
    std::vector<PeerEvent> ev = TakeEvents();
    ASSERT_THAT(Briefs(ev), ElementsAre("b:init->up", "b:up->late", "b:late->dead"));
    const absl::Duration delay = ev[2].t - b.last_sent;
    EXPECT_GE(delay, kDeadtime);
    EXPECT_LT(delay, kDeadtime + kTick);
    clock_.Advance(absl::Seconds(10));
  }
}

TEST_F(EngineTest, InitdeadDeclaresNeverHeardPeersDead) {
  Start();
  Run(At(kInitdead) - absl::Nanoseconds(1));
  EXPECT_THAT(TakeEvents(), IsEmpty());
  Run(At(kInitdead + absl::Milliseconds(50)));
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_EQ(ev.size(), 2u);
  std::vector<std::string> briefs = Briefs(ev);
  std::sort(briefs.begin(), briefs.end());
  EXPECT_THAT(briefs, ElementsAre("b:init->dead", "c:init->dead"));
  for (const PeerEvent& e : ev) {
    EXPECT_EQ(e.t, At(kInitdead));
    EXPECT_THAT(e.reason, HasSubstr("never heard within initdead"));
    EXPECT_THAT(e.reason, HasSubstr("initdead 1000 ms"));
  }
  EXPECT_EQ(P("b").deaths, 1u);
  // Heard at last: it comes up.
  Deliver(From("b", 1, 1));
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:dead->up"));
  EXPECT_EQ(P("b").state, PeerState::kUp);
}

TEST_F(EngineTest, WarnAndDeadTimeoutsDoNotApplyBeforeFirstHeard) {
  Start();
  Stream b = MakeStream("b", At(absl::Milliseconds(1)));
  Run(At(absl::Milliseconds(900)), {&b});  // c silent, but only initdead counts
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:init->up"));
  EXPECT_EQ(P("c").state, PeerState::kInit);
}

TEST_F(EngineTest, HeartbeatAfterDeathWithSameGenerationIsAPartition) {
  Start({"raw:eth1"}, {"a", "b"});
  Stream b = MakeStream("b", At(absl::Milliseconds(1)));
  b.until = At(absl::Milliseconds(10));
  Run(At(absl::Milliseconds(100)), {&b});
  ASSERT_EQ(P("b").state, PeerState::kDead);
  TakeEvents();
  // The path heals; b never stopped counting.
  b.seq += 40;
  b.next = At(absl::Milliseconds(100));
  b.until = kNever;
  Run(At(absl::Milliseconds(200)), {&b});
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:dead->up"));
  EXPECT_THAT(ev[0].reason, HasSubstr("partition"));
  EXPECT_EQ(ev[0].t, At(absl::Milliseconds(100)));
  EXPECT_EQ(ev[0].generation, 1u);
  EXPECT_EQ(P("b").lost, 40u);
  EXPECT_EQ(P("b").deaths, 1u);
  // And its deadline runs again.
  b.until = At(absl::Milliseconds(210));
  Run(At(absl::Milliseconds(300)), {&b});
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:up->late", "b:late->dead"));
}

// ---------------------------------------------------------------------------
// Restarts and leaving

TEST_F(EngineTest, NewGenerationWhileUpReportsDeathThenReturn) {
  Start({"raw:eth1"}, {"a", "b"});
  Stream b = MakeStream("b", At(absl::Milliseconds(1)));
  b.until = At(absl::Milliseconds(10));
  Run(At(absl::Milliseconds(11)), {&b});
  ASSERT_EQ(P("b").state, PeerState::kUp);
  TakeEvents();
  // b restarts quickly (within warntime): generation 2, sequence from 1.
  b.generation = 2;
  b.seq = 0;
  b.next = At(absl::Milliseconds(12));
  b.until = At(absl::Milliseconds(20));
  Run(At(absl::Milliseconds(21)), {&b});
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:up->dead", "b:dead->up"));
  EXPECT_THAT(ev[0].reason, HasSubstr("restarted with a new generation"));
  EXPECT_THAT(ev[0].reason, HasSubstr("generation 1 -> 2"));
  EXPECT_THAT(ev[1].reason, HasSubstr("came back with a new generation"));
  EXPECT_EQ(ev[0].t, At(absl::Milliseconds(12)));
  EXPECT_EQ(ev[1].t, At(absl::Milliseconds(12)));
  EXPECT_EQ(ev[0].generation, 1u);  // the death belongs to the old life
  EXPECT_EQ(ev[1].generation, 2u);
  const Peer& p = P("b");
  EXPECT_EQ(p.generation, 2u);
  EXPECT_EQ(p.last_seq, 4u);
  EXPECT_EQ(p.deaths, 1u);
  EXPECT_EQ(p.lost, 0u);  // a new generation restarting at 1 is no gap
  // The new life has a running deadline.
  Run(At(absl::Milliseconds(60)), {&b});
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:up->late", "b:late->dead"));
}

TEST_F(EngineTest, NewGenerationWhileLateAndWhileDead) {
  Start({"raw:eth1"}, {"a", "b"});
  Deliver(From("b", 1, 1));
  Run(At(absl::Milliseconds(15)));
  ASSERT_EQ(P("b").state, PeerState::kLate);
  TakeEvents();
  Deliver(From("b", 2, 1));
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:late->dead", "b:dead->up"));
  Run(At(absl::Milliseconds(60)));
  ASSERT_EQ(P("b").state, PeerState::kDead);
  TakeEvents();
  Deliver(From("b", 3, 1));
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:dead->up"));
  EXPECT_THAT(ev[0].reason, HasSubstr("came back with a new generation"));
  EXPECT_EQ(P("b").deaths, 2u);  // the restart while late, the silence after
}

TEST_F(EngineTest, LeaveMarksPeerDeadAtOnce) {
  Start({"raw:eth1"}, {"a", "b"});
  Stream b = MakeStream("b", At(absl::Milliseconds(1)));
  b.until = At(absl::Milliseconds(9));
  Run(At(absl::Milliseconds(9)), {&b});
  TakeEvents();
  clock_.Set(At(absl::Microseconds(9'300)));
  const std::vector<uint8_t> leave =
      From("b", 1, ++b.seq).Type(FrameType::kLeave).State(SenderState::kLeaving).SignedBy(*signer_);
  Deliver(leave);
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:up->dead"));
  EXPECT_EQ(ev[0].t, At(absl::Microseconds(9'300)));
  EXPECT_THAT(ev[0].reason, HasSubstr("left the cluster"));
  // No deadline keeps running for it, and the leave frame replayed changes nothing.
  Deliver(leave);
  Run(At(absl::Seconds(2)));
  EXPECT_THAT(TakeEvents(), IsEmpty());
  EXPECT_EQ(P("b").deaths, 1u);
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kReplay)], 1u);
}

TEST_F(EngineTest, LeaveFromInitIsDead) {
  Start();
  Deliver(From("c", 1, 1).Type(FrameType::kLeave));
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("c:init->dead"));
}

// ---------------------------------------------------------------------------
// Rejections

struct RejectCase {
  const char* name;
  // The frame, given the good signer and a wrong-key signer.
  std::vector<uint8_t> (*make)(const Authenticator& good, const Authenticator& wrong);
  RejectReason want;
  bool charged_to_b;  // counted in peer b's own rejected[] too
};

const RejectCase kRejectCases[] = {
    {.name = "bad_tag_wrong_key",
     .make = [](const Authenticator&, const Authenticator& wrong) {
       return FrameBuilder().Node("b").Sequence(50).SignedBy(wrong);
     },
     .want = RejectReason::kBadTag,
     .charged_to_b = true},
    {.name = "bad_tag_flipped_bit",
     .make = [](const Authenticator& good, const Authenticator&) {
       std::vector<uint8_t> f = FrameBuilder().Node("b").Sequence(50).SignedBy(good);
       f[47] ^= 1;  // deadtime field
       return f;
     },
     .want = RejectReason::kBadTag,
     .charged_to_b = true},
    {.name = "unknown_key_id",
     .make = [](const Authenticator& good, const Authenticator&) {
       return FrameBuilder().Node("b").KeyId(2).Sequence(50).SignedBy(good);
     },
     .want = RejectReason::kUnknownKey,
     .charged_to_b = true},
    {.name = "key_id_out_of_range",
     .make = [](const Authenticator& good, const Authenticator&) {
       return FrameBuilder().Node("b").KeyId(200).Sequence(50).SignedBy(good);
     },
     .want = RejectReason::kUnknownKey,
     .charged_to_b = true},
    {.name = "wrong_cluster",
     .make = [](const Authenticator& good, const Authenticator&) {
       return FrameBuilder().Cluster("other-ha").Node("b").Sequence(50).SignedBy(good);
     },
     .want = RejectReason::kWrongCluster,
     .charged_to_b = false},
    {.name = "unknown_node",
     .make = [](const Authenticator& good, const Authenticator&) {
       return FrameBuilder().Node("z").Sequence(50).SignedBy(good);
     },
     .want = RejectReason::kUnknownNode,
     .charged_to_b = false},
    {.name = "own_frame",
     .make = [](const Authenticator& good, const Authenticator&) {
       return FrameBuilder().Node("a").Generation(kLocalGeneration).Sequence(50).SignedBy(good);
     },
     .want = RejectReason::kOwnFrame,
     .charged_to_b = false},
    {.name = "short",
     .make = [](const Authenticator& good, const Authenticator&) {
       std::vector<uint8_t> f = FrameBuilder().Node("b").Sequence(50).SignedBy(good);
       f.resize(60);
       return f;
     },
     .want = RejectReason::kShort,
     .charged_to_b = false},
    {.name = "bad_magic",
     .make = [](const Authenticator& good, const Authenticator&) {
       std::vector<uint8_t> f = FrameBuilder().Node("b").Sequence(50).SignedBy(good);
       f[0] = 'X';
       return f;
     },
     .want = RejectReason::kBadMagic,
     .charged_to_b = false},
    {.name = "bad_version",
     .make = [](const Authenticator& good, const Authenticator&) {
       std::vector<uint8_t> f = FrameBuilder().Node("b").Sequence(50).SignedBy(good);
       f[2] = 9;
       return f;
     },
     .want = RejectReason::kBadVersion,
     .charged_to_b = false},
};

TEST_F(EngineTest, RejectionsAreCountedPerReason) {
  std::unique_ptr<Authenticator> wrong = MakeAuth(AuthMethod::kSha256, "not-the-secret");
  ASSERT_NE(wrong, nullptr);
  for (const RejectCase& c : kRejectCases) {
    SCOPED_TRACE(c.name);
    events_.clear();
    Start();
    Deliver(From("b", 1, 1));  // b is up at sequence 1
    TakeEvents();
    const std::vector<uint8_t> bytes = c.make(*signer_, *wrong);
    Deliver(bytes);
    Deliver(bytes);
    const EngineStats& st = engine_->stats();
    for (size_t r = 0; r < kRejectReasonCount; ++r) {
      EXPECT_EQ(st.rejected[r], r == Idx(c.want) ? 2u : 0u) << RejectReasonName(
          static_cast<RejectReason>(r));
      EXPECT_EQ(P("b").rejected[r], r == Idx(c.want) && c.charged_to_b ? 2u : 0u)
          << RejectReasonName(static_cast<RejectReason>(r));
      EXPECT_EQ(P("c").rejected[r], 0u);
    }
    EXPECT_EQ(st.frames_received, 1u);
    EXPECT_EQ(P("b").frames, 1u);
    EXPECT_EQ(P("b").last_seq, 1u);
    EXPECT_THAT(TakeEvents(), IsEmpty());
  }
}

TEST_F(EngineTest, OwnHeartbeatLoopedBackIsRejected) {
  Start();
  const std::span<const uint8_t> sent = engine_->NextHeartbeat(Now());
  const std::vector<uint8_t> own(sent.begin(), sent.end());
  Deliver(own);
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kOwnFrame)], 1u);
  EXPECT_EQ(engine_->stats().frames_received, 0u);
}

TEST_F(EngineTest, OldGenerationIsRejected) {
  Start();
  Deliver(From("b", 5, 1));
  Deliver(From("b", 5, 2));
  Deliver(From("b", 4, 100));  // a replay from b's previous life
  Deliver(From("b", 1, 1));
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kOldGeneration)], 2u);
  EXPECT_EQ(P("b").rejected[Idx(RejectReason::kOldGeneration)], 2u);
  EXPECT_EQ(P("b").generation, 5u);
  EXPECT_EQ(P("b").last_seq, 2u);
  EXPECT_EQ(P("b").frames, 2u);
}

TEST_F(EngineTest, ReplayedSequencesAreRejected) {
  Start();
  std::vector<std::vector<uint8_t>> sent;
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    sent.push_back(From("b", 1, seq).SignedBy(*signer_));
    Deliver(sent.back());
  }
  Deliver(sent[4]);  // same sequence again
  Deliver(sent[2]);  // older sequence
  Deliver(sent[0]);
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kReplay)], 3u);
  EXPECT_EQ(P("b").rejected[Idx(RejectReason::kReplay)], 3u);
  EXPECT_EQ(P("b").frames, 5u);
  EXPECT_EQ(P("b").last_seq, 5u);
  EXPECT_EQ(P("b").duplicates, 0u);
  EXPECT_EQ(engine_->stats().frames_received, 5u);
}

TEST_F(EngineTest, ReplayedOrForgedFramesDoNotReviveADeadPeer) {
  std::unique_ptr<Authenticator> wrong = MakeAuth(AuthMethod::kSha256, "guess");
  ASSERT_NE(wrong, nullptr);
  Start({"raw:eth1", "bcast:eth0"}, {"a", "b"});
  Stream b = MakeStream("b", At(absl::Milliseconds(1)));
  b.until = At(absl::Milliseconds(30));
  Run(At(absl::Milliseconds(100)), {&b});
  ASSERT_EQ(P("b").state, PeerState::kDead);
  TakeEvents();
  const uint64_t received = engine_->stats().frames_received;

  // Every captured frame again, on the medium it came from.
  for (const std::vector<uint8_t>& f : b.sent) Deliver(f, 0);
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kReplay)], b.sent.size());
  // Newer sequences and generations an attacker cannot sign.
  Deliver(From("b", 1, b.seq + 1).SignedBy(*wrong));
  Deliver(From("b", 2, 1).SignedBy(*wrong));
  std::vector<uint8_t> tampered = b.sent.back();
  tampered[31] += 1;  // sequence + 1, tag unchanged
  Deliver(tampered);
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kBadTag)], 3u);
  // Captured frames injected on the other medium prove at most that link.
  for (const std::vector<uint8_t>& f : b.sent) Deliver(f, 1);
  Run(At(absl::Milliseconds(200)));

  EXPECT_THAT(TakeEvents(), IsEmpty());
  EXPECT_EQ(P("b").state, PeerState::kDead);
  EXPECT_EQ(P("b").last_seq, b.seq);
  EXPECT_EQ(engine_->stats().frames_received, received);
  // The genuine next frame does revive it.
  Deliver(From("b", 1, b.seq + 1));
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:dead->up"));
}

// ---------------------------------------------------------------------------
// Several media

TEST_F(EngineTest, DuplicateOnSecondMediumIsNotAReplay) {
  Start({"raw:eth1", "bcast:eth0"});
  const std::vector<uint8_t> f1 = From("b", 1, 1).SignedBy(*signer_);
  Deliver(f1, 0);
  Deliver(f1, 1);
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:init->up"));
  const Peer& b = P("b");
  EXPECT_EQ(b.frames, 1u);
  EXPECT_EQ(b.duplicates, 1u);
  EXPECT_EQ(engine_->stats().frames_received, 1u);
  EXPECT_EQ(b.media[0].frames, 1u);
  EXPECT_EQ(b.media[1].frames, 1u);
  for (uint64_t r : engine_->stats().rejected) EXPECT_EQ(r, 0u);
  AdvanceAt(engine_->NextWakeup());
  EXPECT_THAT(Briefs(TakeLinks()), ElementsAre("b@raw:eth1:up", "b@bcast:eth0:up"));

  // Either medium may win the race.
  const std::vector<uint8_t> f2 = From("b", 1, 2).SignedBy(*signer_);
  Deliver(f2, 1);
  Deliver(f2, 0);
  EXPECT_EQ(b.frames, 2u);
  EXPECT_EQ(b.duplicates, 2u);
  // A third copy is a replay on whichever medium it comes.
  Deliver(f2, 0);
  Deliver(f2, 1);
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kReplay)], 2u);
  EXPECT_EQ(b.frames, 2u);
  EXPECT_EQ(b.duplicates, 2u);
}

TEST_F(EngineTest, DuplicateOfANewGenerationIsNotAReplay) {
  // The second medium last saw sequence 9 of generation 1; after b restarts,
  // sequence 1 of generation 2 there is a copy, not an old frame.
  Start({"raw:eth1", "bcast:eth0"});
  for (uint64_t seq = 1; seq <= 9; ++seq) {
    const std::vector<uint8_t> f = From("b", 1, seq).SignedBy(*signer_);
    Deliver(f, 0);
    Deliver(f, 1);
  }
  const std::vector<uint8_t> restart = From("b", 2, 1).SignedBy(*signer_);
  Deliver(restart, 0);
  Deliver(restart, 1);
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kReplay)], 0u);
  EXPECT_EQ(P("b").duplicates, 10u);
  EXPECT_EQ(P("b").media[1].generation, 2u);
  EXPECT_EQ(P("b").media[1].last_seq, 1u);
  Deliver(restart, 1);
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kReplay)], 1u);
}

TEST_F(EngineTest, OneMediumFailingIsALinkEventNotAPeerEvent) {
  Start({"raw:eth1", "bcast:eth0"}, {"a", "b"});
  Stream both = MakeStream("b", At(absl::Microseconds(700)), {0, 1});
  both.until = At(absl::Milliseconds(30));
  Run(At(absl::Milliseconds(30)), {&both});
  EXPECT_THAT(Briefs(TakeLinks()), ElementsAre("b@raw:eth1:up", "b@bcast:eth0:up"));
  const MonoTime last_on_bcast = both.last_sent;
  // bcast:eth0 fails; raw:eth1 carries on.
  Stream raw_only = MakeStream("b", both.next, {0});
  raw_only.seq = both.seq;
  Run(At(absl::Milliseconds(200)), {&raw_only});

  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:init->up"));
  std::vector<LinkEvent> links = TakeLinks();
  ASSERT_THAT(Briefs(links), ElementsAre("b@bcast:eth0:dead"));
  // Links are judged at wake-ups, which come at least every keepalive.
  EXPECT_GE(links[0].t - last_on_bcast, kDeadtime);
  EXPECT_LE(links[0].t - last_on_bcast, kDeadtime + kKeepalive);
  EXPECT_EQ(P("b").state, PeerState::kUp);
  EXPECT_TRUE(P("b").media[0].up);
  EXPECT_FALSE(P("b").media[1].up);

  // bcast:eth0 heals: the first frame there is news for the link only.
  Stream healed = MakeStream("b", raw_only.next, {0, 1});
  healed.seq = raw_only.seq;
  Run(At(absl::Milliseconds(210)), {&healed});
  EXPECT_THAT(Briefs(TakeLinks()), ElementsAre("b@bcast:eth0:up"));
  EXPECT_THAT(TakeEvents(), IsEmpty());
}

// ---------------------------------------------------------------------------
// Telling a dead peer from a stalled self

// b's last frame is at T. The wake-up due when that frame was ~15 ms old
// comes 30 ms late (a local stall), so b has been silent ~45 ms by then:
// past deadtime, but within deadtime + 30 ms of grace.
class StallTest : public EngineTest {
 protected:
  void SetUp() override {
    Start({"raw:eth1"}, {"a", "b"});
    b_ = MakeStream("b", At(absl::Microseconds(1'300)));
    b_.until = At(absl::Milliseconds(11));
    Run(At(absl::Milliseconds(11)), {&b_});
    last_ = b_.last_sent;
    ASSERT_EQ(last_, At(absl::Microseconds(9'300)));
    Run(last_ + absl::Milliseconds(15) - absl::Nanoseconds(1));
    due_ = engine_->NextWakeup();
    ASSERT_GE(due_ - last_, absl::Milliseconds(15));
    ASSERT_LE(due_ - last_, absl::Milliseconds(17));
    AdvanceAt(due_ + kStall, kStall);
  }

  static constexpr absl::Duration kStall = absl::Milliseconds(30);
  Stream b_;
  MonoTime last_;
  MonoTime due_;
};

TEST_F(StallTest, LateWakeUpEarnsGraceAndIsCounted) {
  EXPECT_EQ(P("b").state, PeerState::kLate);
  EXPECT_EQ(P("b").grace, kStall);
  EXPECT_EQ(P("b").deaths, 0u);
  const EngineStats& st = engine_->stats();
  EXPECT_EQ(st.saved_by_grace, 1u);
  EXPECT_EQ(st.late_wakeups, 1u);
  EXPECT_EQ(st.max_lateness, kStall);
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:init->up", "b:up->late"));
  // b's link is not declared dead during the grace either.
  EXPECT_TRUE(P("b").media[0].up);
}

TEST_F(StallTest, FrameAfterTheStallKeepsPeerUp) {
  TakeEvents();
  clock_.Advance(absl::Microseconds(200));
  Deliver(From("b", 1, b_.seq + 1));
  Run(Now() + absl::Milliseconds(5));
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:late->up"));
  EXPECT_EQ(P("b").state, PeerState::kUp);
  EXPECT_EQ(P("b").grace, absl::ZeroDuration());  // a new silence starts from scratch
  EXPECT_EQ(P("b").deaths, 0u);
  EXPECT_EQ(engine_->stats().saved_by_grace, 1u);
}

TEST_F(StallTest, SilenceBeyondDeadtimePlusGraceIsDeath) {
  TakeEvents();
  Run(last_ + absl::Milliseconds(100));
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:late->dead"));
  EXPECT_GE(ev[0].t - last_, kDeadtime + kStall);
  EXPECT_LT(ev[0].t - last_, kDeadtime + kStall + kTick);
  EXPECT_THAT(ev[0].reason, HasSubstr("deadtime 20 ms + 30 ms local stall grace"));
  EXPECT_EQ(engine_->stats().saved_by_grace, 1u);
}

TEST_F(EngineTest, OnTimeWakeUpsEarnNoGrace) {
  Start({"raw:eth1"}, {"a", "b"});
  Deliver(From("b", 1, 1));
  // Lateness at the threshold (1 ms) is not a stall.
  AdvanceAt(engine_->NextWakeup() + absl::Milliseconds(1), absl::Milliseconds(1));
  EXPECT_EQ(P("b").grace, absl::ZeroDuration());
  EXPECT_EQ(engine_->stats().late_wakeups, 0u);
  EXPECT_EQ(engine_->stats().max_lateness, absl::Milliseconds(1));
}

TEST_F(EngineTest, StallsDoNotDelayInitdead) {
  Start({"raw:eth1"}, {"a", "b"});
  AdvanceAt(At(absl::Milliseconds(500)), absl::Milliseconds(400));
  Run(At(kInitdead));
  EXPECT_THAT(Briefs(TakeEvents()), ElementsAre("b:init->dead"));
  EXPECT_EQ(P("b").grace, absl::ZeroDuration());
}

TEST_F(EngineTest, FrameReadLateButReceivedInTimeSavesPeer) {
  Start({"raw:eth1"}, {"a", "b"});
  Stream b = MakeStream("b", At(absl::Milliseconds(1)));
  b.until = At(absl::Milliseconds(10));
  Run(At(absl::Milliseconds(10)), {&b});
  const MonoTime last = b.last_sent;
  Run(last + absl::Milliseconds(19));  // late by now, deadline at last + 20 ms
  ASSERT_EQ(P("b").state, PeerState::kLate);
  TakeEvents();
  // The kernel received b's next frame at last + 19.5 ms, but the wake-up
  // due at last + 20 ms (b's deadline) came 5 ms late, and the daemon reads
  // the frame before it runs the timers.
  ASSERT_EQ(engine_->NextWakeup(), last + kDeadtime);
  clock_.Set(last + absl::Milliseconds(25));
  Deliver(From("b", 1, b.seq + 1).SignedBy(*signer_), 0, last + absl::Microseconds(19'500));
  EXPECT_EQ(engine_->stats().saved_by_rx_timestamp, 1u);
  AdvanceAt(Now(), absl::Milliseconds(5));
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:late->up"));
  EXPECT_EQ(ev[0].t, last + absl::Microseconds(19'500));
  EXPECT_EQ(P("b").last_heard, last + absl::Microseconds(19'500));
  EXPECT_EQ(P("b").deaths, 0u);
  // Its next deadline counts from the receive time, not from when we read
  // it, plus the 5 ms stall that falls into this new silence.
  Run(last + absl::Milliseconds(100));
  ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:up->late", "b:late->dead"));
  const MonoTime rx = last + absl::Microseconds(19'500);
  EXPECT_GE(ev[1].t - rx, kDeadtime + absl::Milliseconds(5));
  EXPECT_LT(ev[1].t - rx, kDeadtime + absl::Milliseconds(5) + kTick);
  EXPECT_THAT(ev[1].reason, HasSubstr("deadtime 20 ms + 5 ms local stall grace"));
}

TEST_F(EngineTest, FrameReadInTimeIsNotCountedAsSaved) {
  Start({"raw:eth1"}, {"a", "b"});
  Deliver(From("b", 1, 1));
  clock_.Advance(absl::Milliseconds(5));
  Deliver(From("b", 1, 2).SignedBy(*signer_), 0, Now() - absl::Milliseconds(1));
  EXPECT_EQ(engine_->stats().saved_by_rx_timestamp, 0u);
}

TEST_F(EngineTest, FrameReceivedAfterTheDeadlineIsNotSavedByItsTimestamp) {
  Start({"raw:eth1"}, {"a", "b"});
  Deliver(From("b", 1, 1));
  const MonoTime last = Now();
  // Received 21 ms after the previous frame, read at 25 ms: the receive
  // timestamp proves nothing in b's favour.
  clock_.Set(last + absl::Milliseconds(25));
  Deliver(From("b", 1, 2).SignedBy(*signer_), 0, last + absl::Milliseconds(21));
  EXPECT_EQ(engine_->stats().saved_by_rx_timestamp, 0u);
}

// ---------------------------------------------------------------------------
// Our own heartbeats

TEST_F(EngineTest, NextHeartbeatIsSignedAndNumbered) {
  Start();
  engine_->set_advertisement(
      {.data = EncodeOwnershipAd({.held = 6, .wants = 1, .declines = 2, .digest = 9}),
       .ready = true});
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    clock_.Advance(absl::Microseconds(777));
    const std::span<const uint8_t> bytes = engine_->NextHeartbeat(Now());
    EXPECT_EQ(engine_->sequence(), seq);
    Frame f;
    std::span<const uint8_t> signed_part, tag;
    ASSERT_EQ(ParseFrameHeader(bytes, &f, &signed_part, &tag), RejectReason::kNone);
    EXPECT_EQ(bytes.size(), kFrameHeaderSize + 16);
    EXPECT_EQ(f.type, FrameType::kHeartbeat);
    EXPECT_EQ(f.sequence, seq);
    EXPECT_EQ(f.node_id, NameId("a"));
    EXPECT_EQ(f.cluster_id, NameId("linux-ha"));
    EXPECT_EQ(f.generation, kLocalGeneration);
    EXPECT_EQ(f.key_id, 1);
    EXPECT_EQ(f.state, SenderState::kActive);
    EXPECT_EQ(f.send_time_ns, Now().nanos());
    EXPECT_EQ(f.interval_us, 2000u);
    EXPECT_EQ(f.deadtime_us, 20000u);
    // Carried byte for byte, never interpreted.
    EXPECT_EQ(DecodeOwnershipAd(f.runner),
              (OwnershipAd{.held = 6, .wants = 1, .declines = 2, .digest = 9}));
    EXPECT_EQ(f.flags, kFlagActionsReady);
    const Authenticator* auth = keys_.Find(f.key_id);
    ASSERT_NE(auth, nullptr);
    EXPECT_TRUE(auth->Verify(signed_part, tag));
    EXPECT_TRUE(signer_->Verify(signed_part, tag));
  }
  EXPECT_EQ(engine_->stats().frames_sent, 3u);

  const std::span<const uint8_t> leave = engine_->LeaveFrame(Now());
  Frame f;
  std::span<const uint8_t> signed_part, tag;
  ASSERT_EQ(ParseFrameHeader(leave, &f, &signed_part, &tag), RejectReason::kNone);
  EXPECT_EQ(f.type, FrameType::kLeave);
  EXPECT_EQ(f.state, SenderState::kLeaving);
  EXPECT_EQ(f.sequence, 4u);
  EXPECT_TRUE(signer_->Verify(signed_part, tag));
  EXPECT_EQ(engine_->stats().frames_sent, 4u);
}

TEST_F(EngineTest, PeerEngineAcceptsOurHeartbeats) {
  // Two engines, "a" and "b", on one key: a's frames bring a up at b.
  Start({"raw:eth1"}, {"a", "b"});
  EngineOptions o;
  o.local_node = "b";
  o.nodes = {"a", "b"};
  o.media = {"raw:eth1"};
  o.keepalive = kKeepalive;
  o.warntime = kWarntime;
  o.deadtime = kDeadtime;
  o.initdead = kInitdead;
  Engine b(o, keys_, Now());
  for (int i = 0; i < 3; ++i) b.OnFrame(0, engine_->NextHeartbeat(Now()), Now(), Now());
  ASSERT_EQ(b.peers().size(), 1u);
  EXPECT_EQ(b.peers()[0].name, "a");
  EXPECT_EQ(b.peers()[0].state, PeerState::kUp);
  EXPECT_EQ(b.peers()[0].generation, kLocalGeneration);
  EXPECT_EQ(b.peers()[0].frames, 3u);
}

TEST_F(EngineTest, AdvanceAsksForAHeartbeatEveryKeepalive) {
  Start();
  Run(At(absl::Milliseconds(20)));
  // The first at the first tick, then on a fixed 2 ms grid.
  std::vector<MonoTime> want = {At(kTick)};
  for (int ms = 2; ms <= 20; ms += 2) want.push_back(At(absl::Milliseconds(ms)));
  EXPECT_EQ(sends_, want);
  EXPECT_EQ(engine_->stats().sends_skipped, 0u);
  EXPECT_EQ(engine_->stats().late_wakeups, 0u);
  EXPECT_GE(engine_->stats().wakeups, want.size());
}

// Issue 14: a reload's timing (reload_plan.h) applies from the moment the
// real-time loop takes it: a dead peer is judged by the new deadtime, and
// heartbeats go out at the new keepalive at once.
TEST_F(EngineTest, ReloadedTimingJudgesAndSendsByTheNewValues) {
  Start();
  Stream b = MakeStream("b", At(absl::Microseconds(537)));
  b.until = At(absl::Milliseconds(50));
  Run(At(absl::Milliseconds(30)), {&b});
  TakeEvents();
  engine_->SetTiming(absl::Milliseconds(1), absl::Milliseconds(20), absl::Milliseconds(40),
                     Now());
  sends_.clear();
  Run(At(absl::Milliseconds(200)), {&b});
  const MonoTime last = b.last_sent;
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:up->late", "b:late->dead"));
  EXPECT_GE(ev[0].t - last, absl::Milliseconds(20));
  EXPECT_LT(ev[0].t - last, absl::Milliseconds(20) + kTick);
  EXPECT_GE(ev[1].t - last, absl::Milliseconds(40));
  EXPECT_LT(ev[1].t - last, absl::Milliseconds(40) + kTick);
  EXPECT_THAT(ev[1].reason, HasSubstr("deadtime 40 ms"));
  ASSERT_GE(sends_.size(), 100u);
  for (size_t i = 1; i < sends_.size(); ++i) {
    EXPECT_EQ(sends_[i] - sends_[i - 1], absl::Milliseconds(1)) << i;
  }
}

TEST_F(EngineTest, LongGapSkipsMissedSendsInsteadOfBursting) {
  Start();
  Run(At(absl::Milliseconds(20)));
  sends_.clear();
  ASSERT_EQ(engine_->NextWakeup(), At(absl::Milliseconds(22)));
  // Woken 9 ms late: one frame now, the 24, 26, 28 and 30 ms slots are gone.
  AdvanceAt(At(absl::Milliseconds(31)), absl::Milliseconds(9));
  EXPECT_THAT(sends_, ElementsAre(At(absl::Milliseconds(31))));
  EXPECT_EQ(engine_->stats().sends_skipped, 4u);
  EXPECT_EQ(engine_->stats().late_wakeups, 1u);
  EXPECT_EQ(engine_->stats().max_lateness, absl::Milliseconds(9));
  // The cadence resumes from the late send.
  EXPECT_EQ(engine_->NextWakeup(), At(absl::Milliseconds(33)));
  Run(At(absl::Milliseconds(37)));
  EXPECT_THAT(sends_, ElementsAre(At(absl::Milliseconds(31)), At(absl::Milliseconds(33)),
                                  At(absl::Milliseconds(35)), At(absl::Milliseconds(37))));
  EXPECT_EQ(engine_->stats().sends_skipped, 4u);
}

TEST_F(EngineTest, NextWakeupNeverPassesAPendingDeadline) {
  Start({"raw:eth1"}, {"a", "b"});
  Deliver(From("b", 1, 1));
  // The warn deadline is at +10 ms; sends are every 2 ms.
  EXPECT_LE(engine_->NextWakeup(), At(kWarntime));
  EXPECT_GT(engine_->NextWakeup(), Now());
}

// ---------------------------------------------------------------------------
// Loss

TEST_F(EngineTest, SequenceGapsCountAsLost) {
  Start();
  for (uint64_t seq : {1, 2, 5, 6, 10}) Deliver(From("b", 1, seq));
  EXPECT_EQ(P("b").lost, 5u);
  EXPECT_EQ(P("b").frames, 5u);
  // A new generation starts counting afresh.
  Deliver(From("b", 2, 1));
  Deliver(From("b", 2, 3));
  EXPECT_EQ(P("b").lost, 6u);
  EXPECT_EQ(P("b").frames, 7u);
}

// ---------------------------------------------------------------------------
// Fixes found in review, each with the test that would have caught it.

TEST_F(EngineTest, FirstHeartbeatAfterInitdeadIsNotCalledAPartition) {
  Start({"raw:eth1"}, {"a", "b"});
  Run(At(kInitdead + absl::Milliseconds(1)));
  ASSERT_EQ(P("b").state, PeerState::kDead);
  TakeEvents();
  Deliver(From("b", 1, 1));
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_THAT(Briefs(ev), ElementsAre("b:dead->up"));
  EXPECT_THAT(ev[0].reason, HasSubstr("first heartbeat after initdead"));
  EXPECT_THAT(ev[0].reason, Not(HasSubstr("partition")));
}

TEST_F(EngineTest, SustainedLatenessCannotDelayDetectionWithoutBound) {
  Start({"raw:eth1"}, {"a", "b"});
  Stream b = MakeStream("b", At(absl::Milliseconds(1)));
  b.until = At(absl::Milliseconds(10));
  Run(At(absl::Milliseconds(10)), {&b});
  const MonoTime last = b.last_sent;
  TakeEvents();
  // Every wake-up comes 8 ms late while b is silent for good.
  for (int i = 0; i < 200 && P("b").state != PeerState::kDead; ++i) {
    const MonoTime due = engine_->NextWakeup();
    AdvanceAt(due + absl::Milliseconds(8), absl::Milliseconds(8));
  }
  ASSERT_EQ(P("b").state, PeerState::kDead);
  std::vector<PeerEvent> ev = TakeEvents();
  ASSERT_FALSE(ev.empty());
  EXPECT_LE(ev.back().t - last, 5 * kDeadtime + absl::Milliseconds(10));
  EXPECT_LE(P("b").grace, 4 * kDeadtime);
}

TEST_F(EngineTest, GapPastDeadtimeSeenOnlyAfterAStallIsCountedNotHidden) {
  Start({"raw:eth1"}, {"a", "b"});
  Stream b = MakeStream("b", At(absl::Milliseconds(1)));
  b.until = At(absl::Milliseconds(10));
  Run(At(absl::Milliseconds(10)), {&b});
  TakeEvents();
  // No Advance ran for 40 ms (we were stalled); the next frame shows a
  // 30 ms gap by its kernel timestamp.
  clock_.Set(b.last_sent + absl::Milliseconds(40));
  Deliver(From("b", 1, b.seq + 1), 0);
  engine_->OnFrame(0, From("b", 1, b.seq + 2).SignedBy(*signer_),
                   b.last_sent + absl::Milliseconds(30), Now());
  EXPECT_EQ(engine_->stats().unjudged_gaps, 1u);
  const std::vector<Notice> notices = TakeNotices();
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_THAT(notices[0].text, HasSubstr("exceeded deadtime"));
  EXPECT_EQ(P("b").state, PeerState::kUp);
}

// Hardening row 5: with `auth 1` / `1 sha256` / `2 crc` (left over from a
// Heartbeat migration) one forged crc frame claiming generation 2^62 made
// the real node's frames "old" and the node dead while it was up.
TEST_F(EngineTest, OnlyTheSigningAndRotatingKeysVerify) {
  auto keys = ParseAuthKeys("auth 1\n1 sha256 secret\n2 crc\n", "authkeys");
  ASSERT_TRUE(keys.ok()) << keys.status();
  keys_ = *KeyRing::Create(*keys);
  Start();
  std::unique_ptr<Authenticator> crc = MakeAuth(AuthMethod::kCrc, "");
  Deliver(From("b", 1, 1));
  Deliver(From("b", uint64_t{1} << 62, 1).KeyId(2).SignedBy(*crc));
  EXPECT_EQ(engine_->stats().rejected[Idx(RejectReason::kUnknownKey)], 1u);
  EXPECT_EQ(P("b").generation, 1u);
  Deliver(From("b", 1, 2));
  EXPECT_EQ(P("b").last_seq, 2u);  // the real node still believed

  // During a rotation (`rotate 2`) key 2 verifies too.
  keys = ParseAuthKeys("auth 1\n1 sha256 secret\n2 crc\nrotate 2\n", "authkeys");
  ASSERT_TRUE(keys.ok()) << keys.status();
  keys_ = *KeyRing::Create(*keys);
  Start();
  Deliver(From("b", 3, 1).KeyId(2).SignedBy(*crc));
  EXPECT_EQ(P("b").generation, 3u);
}

}  // namespace
}  // namespace tachy
