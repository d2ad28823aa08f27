// auth_alarm_test.cc: a wrong key is said at once, then once a second per
// peer and medium, naming node, medium, key id and count; status problems.
#include "detector/tachyd/auth_alarm.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "detector/engine.h"
#include "detector/base/mono_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

MonoTime At(absl::Duration d) { return MonoTime::FromNanos(1'000'000'000) + d; }

Peer MakePeer(const std::string& name, PeerState state, size_t media) {
  Peer p;
  p.name = name;
  p.state = state;
  p.media.resize(media);
  return p;
}

void Fail(Peer& p, size_t medium, uint64_t frames, uint8_t key, MonoTime at) {
  p.media[medium].auth_failed += frames;
  p.media[medium].auth_key = key;
  p.media[medium].auth_failed_at = at;
}

const std::vector<std::string> kMedia = {"bcast:eth1", "raw:eth2"};

TEST(AuthAlarmTest, FirstFailureIsSaidAtTheNextCheckThenOncePerSecond) {
  AuthAlarm alarm;
  std::vector<Peer> peers = {MakePeer("test002", PeerState::kDead, 2)};
  EXPECT_THAT(alarm.Check(peers, kMedia, At(absl::ZeroDuration())), IsEmpty());
  Fail(peers[0], 0, 60, 2, At(absl::Milliseconds(240)));
  EXPECT_THAT(alarm.Check(peers, kMedia, At(absl::Milliseconds(250))),
              ElementsAre("node test002 failed authentication on bcast:eth1 (key 2): 60 frame(s) "
                          "in the last 250 ms; check authkeys (test002 is heard only with "
                          "frames that fail authentication: it counts as dead)"));
  // More within the second: counted, not said.
  Fail(peers[0], 0, 125, 2, At(absl::Milliseconds(490)));
  EXPECT_THAT(alarm.Check(peers, kMedia, At(absl::Milliseconds(500))), IsEmpty());
  Fail(peers[0], 0, 125, 2, At(absl::Milliseconds(1240)));
  const std::vector<std::string> later = alarm.Check(peers, kMedia, At(absl::Milliseconds(1250)));
  ASSERT_THAT(later, SizeIs(1));
  EXPECT_THAT(later[0], HasSubstr("250 frame(s) in the last 1 s"));
  // Nothing new: nothing said.
  EXPECT_THAT(alarm.Check(peers, kMedia, At(absl::Seconds(5))), IsEmpty());
}

TEST(AuthAlarmTest, EachPeerAndMediumOnItsOwnLineAndALivePeerIsNotCalledDead) {
  AuthAlarm alarm;
  std::vector<Peer> peers = {MakePeer("b", PeerState::kUp, 2), MakePeer("c", PeerState::kInit, 2)};
  Fail(peers[0], 1, 3, 7, At(absl::Milliseconds(1)));
  Fail(peers[1], 0, 4, 1, At(absl::Milliseconds(1)));
  Fail(peers[1], 1, 5, 1, At(absl::Milliseconds(1)));
  const std::vector<std::string> lines = alarm.Check(peers, kMedia, At(absl::Milliseconds(2)));
  ASSERT_THAT(lines, SizeIs(3));
  EXPECT_THAT(lines[0], HasSubstr("node b failed authentication on raw:eth2 (key 7): 3 frame"));
  EXPECT_THAT(lines[0], ::testing::EndsWith("check authkeys"));
  EXPECT_THAT(lines[1], HasSubstr("node c failed authentication on bcast:eth1 (key 1): 4"));
  EXPECT_THAT(lines[1], HasSubstr("it counts as init"));
  EXPECT_THAT(lines[2], HasSubstr("node c failed authentication on raw:eth2 (key 1): 5"));
}

TEST(AuthProblemsTest, RecentFailuresOnlyWithTheirAge) {
  Peer p = MakePeer("b", PeerState::kDead, 2);
  EXPECT_THAT(AuthProblems(p, kMedia, At(absl::Seconds(1)), absl::Seconds(10)), IsEmpty());
  Fail(p, 1, 7034, 2, At(absl::Seconds(1)));
  EXPECT_THAT(AuthProblems(p, kMedia, At(absl::Milliseconds(1300)), absl::Seconds(10)),
              ElementsAre("failed authentication on raw:eth2 (key 2): 7034 frame(s), the last "
                          "300 ms ago; check authkeys; heard only with frames that fail "
                          "authentication"));
  EXPECT_THAT(AuthProblems(p, kMedia, At(absl::Seconds(12)), absl::Seconds(10)), IsEmpty());
}

}  // namespace
}  // namespace tachy
