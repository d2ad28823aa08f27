// The runner's side of Heartbeat's resource protocol, message by message as
// real Heartbeat 3.0.6 nodes exchange them (start-up, takeover, failback,
// standby both ways, hb_takeover, shutdown).
#include "actions/hb_resources.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_join.h"

namespace tachy {
namespace {

using Fields = HbResources::Fields;

// "resource:all:1:req_our_resources()" style, for compact expectations.
std::string Brief(const Fields& f) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : f) parts.push_back(value);
  return absl::StrJoin(parts, ":");
}

class HbResourcesTest : public ::testing::Test {
 protected:
  HbResourcesTest() : hb_({"test001", true, absl::Seconds(10), absl::Seconds(10)}) {}

  std::vector<std::string> Sent() {
    std::vector<std::string> out;
    for (const Fields& f : hb_.TakeOutgoing()) out.push_back(Brief(f));
    return out;
  }
  void From(Fields f, uint64_t generation = 1) { hb_.OnMessage(f, generation, now_); }
  void Tick(absl::Duration d = absl::ZeroDuration(), bool settled = true) {
    now_ = now_ + d;
    hb_.Tick(now_, settled);
  }
  // Comm-up with a peer that already runs, stable, holding its local groups.
  void JoinStablePeer() {
    hb_.OnPeerAlive(1, now_);
    From({{"t", "resource"}, {"rsc_hold", "local"}, {"rtype", "full"}, {"isstable", "1"}});
    Tick();
    Sent();
  }

  MonoTime now_ = MonoTime::FromNanos(1'000'000'000);
  HbResources hb_;
};

TEST_F(HbResourcesTest, BothStartingTakeLocalAfterTheRequestDelay) {
  hb_.OnPeerAlive(1, now_);
  EXPECT_EQ(Sent(), std::vector<std::string>{"starting"});
  From({{"t", "starting"}});
  EXPECT_EQ(Sent(), std::vector<std::string>{"resource:none:full:0"});
  From({{"t", "resource"}, {"rsc_hold", "none"}, {"rtype", "full"}, {"isstable", "0"}});
  Tick(absl::Seconds(9));
  EXPECT_EQ(hb_.Wanted(), kHbNone);
  Tick(absl::Seconds(1));
  EXPECT_EQ(hb_.Wanted(), kHbLocal);
  EXPECT_EQ(Sent(), std::vector<std::string>{"resource:local:full:1:req_our_resources()"});
  EXPECT_EQ(hb_.state(), HbResources::State::kStable);
}

TEST_F(HbResourcesTest, LeavesWhatAStablePeerHolds) {
  hb_.OnPeerAlive(1, now_);
  Sent();
  // It holds all (it took our groups while we were away).
  From({{"t", "resource"}, {"rsc_hold", "all"}, {"rtype", "full"}, {"isstable", "1"}});
  Tick();
  EXPECT_EQ(hb_.Wanted(), kHbNone);
  EXPECT_EQ(hb_.peer_holds(), kHbAll);
  const std::vector<std::string> sent = Sent();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back(), "resource:none:full:1:req_our_resources()");
}

TEST_F(HbResourcesTest, TakesOwnLocalWhenTheStablePeerDoesNotClaimThem) {
  JoinStablePeer();  // it claims its local = our foreign
  EXPECT_EQ(hb_.Wanted(), kHbLocal);
  EXPECT_EQ(hb_.peer_holds(), kHbForeign);
}

TEST_F(HbResourcesTest, DeathTakesAllAndFailbackGivesForeignBack) {
  JoinStablePeer();
  hb_.OnPeerDead(now_);
  EXPECT_EQ(hb_.Wanted(), kHbAll);
  EXPECT_EQ(Sent(), std::vector<std::string>{"resource:all:full:1:req_our_resources()"});
  // It restarts: a new generation, `starting`, then it reports itself
  // stable holding nothing ("Local Resource acquisition completed (none)").
  hb_.OnPeerAlive(2, now_);
  From({{"t", "starting"}}, 2);
  EXPECT_EQ(Sent(), std::vector<std::string>{"resource:all:full:1"});
  From({{"t", "resource"}, {"rsc_hold", "none"}, {"isstable", "0"}}, 2);
  Tick(absl::Milliseconds(10), /*settled=*/false);  // not while a group is busy
  EXPECT_TRUE(Sent().empty());
  From({{"t", "resource"}, {"rsc_hold", "none"}, {"isstable", "1"}}, 2);
  EXPECT_EQ(Sent(), std::vector<std::string>{"resource:all:full:1"});
  Tick();
  EXPECT_EQ(Sent(), std::vector<std::string>{"ask_resources:foreign:me"});
  From({{"t", "ask_resources"}, {"rsc_hold", "foreign"}, {"info", "other"}}, 2);
  EXPECT_EQ(hb_.Wanted(), kHbLocal);  // release the foreign groups now
  EXPECT_EQ(Sent(), std::vector<std::string>{"resource:local:full:0:standby"});
  Tick(absl::Milliseconds(10), /*settled=*/false);
  EXPECT_TRUE(Sent().empty());  // done only once they are released
  Tick();
  EXPECT_EQ(Sent(), std::vector<std::string>{"ask_resources:foreign:done"});
  // Its claim arrives before its done, as on the wire.
  From({{"t", "resource"}, {"rsc_hold", "local"}, {"rtype", "full"}, {"isstable", "1"}}, 2);
  From({{"t", "ask_resources"}, {"rsc_hold", "foreign"}, {"info", "done"}}, 2);
  EXPECT_EQ(hb_.standby(), HbResources::StandbyPhase::kNot);
  Tick(absl::Seconds(5));
  EXPECT_EQ(hb_.Wanted(), kHbLocal);
  const std::vector<std::string> sent = Sent();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent.back(), "resource:local:full:1");
}

TEST_F(HbResourcesTest, HbStandbyOnThePeerHandsUsEverything) {
  JoinStablePeer();
  From({{"t", "ask_resources"}, {"rsc_hold", "all"}, {"info", "me"}});
  EXPECT_EQ(Sent(), std::vector<std::string>{"ask_resources:all:other"});
  From({{"t", "resource"}, {"rsc_hold", "none"}, {"rtype", "full"}, {"isstable", "0"},
        {"info", "standby"}});
  EXPECT_EQ(hb_.Wanted(), kHbLocal);  // nothing taken before its done
  From({{"t", "ask_resources"}, {"rsc_hold", "all"}, {"info", "done"}});
  EXPECT_EQ(hb_.Wanted(), kHbAll);
  Tick(absl::Milliseconds(10), /*settled=*/false);
  EXPECT_TRUE(Sent().empty());
  Tick();
  EXPECT_EQ(Sent(), (std::vector<std::string>{"resource:all:full:1", "ask_resources:all:done"}));
  // A standby moves groups for good: no failback afterwards.
  From({{"t", "resource"}, {"rsc_hold", "none"}, {"isstable", "1"}});
  Sent();
  Tick(absl::Seconds(20));
  EXPECT_TRUE(Sent().empty());
}

TEST_F(HbResourcesTest, OurStandbyAndItsTimeout) {
  JoinStablePeer();
  std::string why;
  ASSERT_TRUE(hb_.Standby(kHbLocal, now_, &why)) << why;
  EXPECT_EQ(Sent(), std::vector<std::string>{"ask_resources:local:me"});
  EXPECT_FALSE(hb_.Standby(kHbLocal, now_, &why));
  EXPECT_EQ(why, "a standby is already in progress");
  Tick();
  Tick(absl::Seconds(10));
  EXPECT_EQ(hb_.standby(), HbResources::StandbyPhase::kNot);  // no reply: cancelled
  EXPECT_EQ(hb_.Wanted(), kHbLocal);                     // nothing given up
}

TEST_F(HbResourcesTest, HbTakeoverFromThePeerStartsOurStandby) {
  JoinStablePeer();
  From({{"t", "hb_takeover"}, {"rsc_hold", "foreign"}});  // it wants its foreign = our local
  EXPECT_EQ(Sent(), std::vector<std::string>{"ask_resources:local:me"});
  std::string why;
  EXPECT_FALSE(hb_.Takeover(kHbAll, now_, &why));  // busy
}

TEST_F(HbResourcesTest, OurTakeoverAsksThePeer) {
  JoinStablePeer();
  std::string why;
  ASSERT_TRUE(hb_.Takeover(kHbForeign, now_, &why)) << why;
  EXPECT_EQ(Sent(), std::vector<std::string>{"hb_takeover:foreign"});
}

TEST_F(HbResourcesTest, ShutdoneTakesAllAtOnceAndOurShutdownReleases) {
  JoinStablePeer();
  From({{"t", "resource"}, {"rsc_hold", "none"}, {"rtype", "full"}, {"isstable", "0"},
        {"info", "shutdown"}});
  From({{"t", "shutdone"}, {"st", "dead"}});
  EXPECT_EQ(hb_.Wanted(), kHbAll);
  hb_.OnPeerDead(now_);  // the detector's leave afterwards changes nothing
  Sent();
  hb_.Shutdown();
  EXPECT_EQ(hb_.Wanted(), kHbNone);
  EXPECT_EQ(Sent(), std::vector<std::string>{"resource:none:full:0:shutdown"});
}

TEST_F(HbResourcesTest, IgnoresAStandbyWhileInFlux) {
  hb_.OnPeerAlive(1, now_);
  Sent();
  From({{"t", "ask_resources"}, {"rsc_hold", "all"}, {"info", "me"}});
  EXPECT_TRUE(Sent().empty());
  const std::vector<std::string> log = hb_.TakeLog();
  ASSERT_FALSE(log.empty());
  EXPECT_NE(log.back().find("ignored"), std::string::npos);
}

TEST(HbSetTest, NamesAndSwaps) {
  EXPECT_EQ(ParseHbSet("failback"), kHbForeign);
  EXPECT_FALSE(ParseHbSet("most").has_value());
  EXPECT_EQ(SwapHbSet(kHbLocal), kHbForeign);
  EXPECT_EQ(SwapHbSet(kHbAll), kHbAll);
  EXPECT_EQ(SwapHbSet(kHbNone), kHbNone);
  EXPECT_STREQ(HbSetName(kHbForeign), "foreign");
}

}  // namespace
}  // namespace tachy
