// config_check_test.cc: what --check says a Heartbeat 3 peer could not hold.
#include "detector/tachyd/config_check.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "detector/config/authkeys_file.h"
#include "detector/config/ha_cf.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

ClusterConfig Config(absl::string_view ha_cf) {
  ClusterConfig c;
  absl::StatusOr<HaConfig> ha = ParseHaCf(ha_cf, "ha.cf");
  EXPECT_TRUE(ha.ok()) << ha.status();
  if (ha.ok()) c.ha = *ha;
  c.auth = *ParseAuthKeys("auth 1\n1 sha1 secret\n", "authkeys");
  c.local_node = "a";
  return c;
}

constexpr char kHeartbeatFriendly[] =
    "keepalive 1\ndeadtime 10\nbcast eth0\nnode a b\n";

TEST(HeartbeatPeerWarningsTest, AFileHeartbeatHoldsSaysNothing) {
  EXPECT_THAT(HeartbeatPeerWarnings(Config(absl::StrCat(kHeartbeatFriendly,
                                                        "auto_failback on\n"))),
              IsEmpty());
  EXPECT_THAT(HeartbeatPeerWarnings(Config(absl::StrCat(kHeartbeatFriendly,
                                                        "auto_failback off\n"))),
              IsEmpty());
}

// The bug: legacy was `on` between tachy nodes and `off` with a Heartbeat
// peer, and nothing said that Heartbeat's legacy exchange is not spoken.
TEST(HeartbeatPeerWarningsTest, LegacyFailbackIsNamedWithWhatToSetInstead) {
  for (const char* line : {"auto_failback legacy\n", ""}) {  // legacy is the default
    SCOPED_TRACE(line);
    EXPECT_THAT(HeartbeatPeerWarnings(Config(absl::StrCat(kHeartbeatFriendly, line))),
                Contains(HasSubstr("auto_failback legacy makes it ask for groups with ip-request")));
  }
  EXPECT_TRUE(FailbackPullsBack(AutoFailback::kLegacy));
  EXPECT_TRUE(FailbackPullsBack(AutoFailback::kOn));
  EXPECT_FALSE(FailbackPullsBack(AutoFailback::kOff));
}

TEST(HeartbeatPeerWarningsTest, RawOnlyHasNoHeartbeatPeerToWarnAbout) {
  EXPECT_THAT(HeartbeatPeerWarnings(Config("keepalive 2ms\ndeadtime 20ms\nraw eth1\nnode a b\n")),
              IsEmpty());
}

TEST(HeartbeatPeerWarningsTest, TimingHeartbeatCannotHoldIsNamed) {
  EXPECT_THAT(HeartbeatPeerWarnings(Config("keepalive 2ms\ndeadtime 20ms\nwarntime 10ms\n"
                                           "initdead 20ms\nbcast eth0\nnode a b\n"
                                           "auto_failback on\n")),
              Contains(HasSubstr("below what it can hold")));
  EXPECT_THAT(HeartbeatPeerWarnings(Config(absl::StrCat(kHeartbeatFriendly, "auto_failback on\n"))),
              Not(Contains(HasSubstr("below what it can hold"))));
}

}  // namespace
}  // namespace tachy
