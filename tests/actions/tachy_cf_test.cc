// tachy_cf_test.cc: tachy.cf, the monitoring settings: defaults, every
// directive, and file:line errors.
#include "actions/tachy_cf.h"

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;

TEST(TachyCfTest, EmptyOrMissingGivesTheDefaults) {
  absl::StatusOr<MonitorSettings> s = ParseTachyCf("# nothing\n\n", "tachy.cf");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->interval, absl::Seconds(1));
  EXPECT_EQ(s->timeout, absl::Seconds(20));
  EXPECT_EQ(s->policy.restarts, 1);
  EXPECT_EQ(s->policy.window, absl::Minutes(5));
  EXPECT_EQ(s->policy.decline_for, absl::Minutes(5));
  EXPECT_TRUE(s->takeover_arp_check);
  EXPECT_EQ(s->takeover_arp_check_timeout, absl::Milliseconds(1));
  EXPECT_EQ(s->bgp_handover_overlap, absl::Seconds(1));
  absl::StatusOr<MonitorSettings> missing = LoadTachyCf("/nonexistent/tachy.cf");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_EQ(missing->policy.restarts, 1);
}

TEST(TachyCfTest, EveryDirective) {
  absl::StatusOr<MonitorSettings> s = ParseTachyCf(
      "monitor_interval 250ms   # fast\n"
      "monitor_timeout 5\n"
      "restarts 0\n"
      "restart_window 60\n"
      "failure_timeout 10\n"
      "takeover_arp_check off\n"
      "takeover_arp_check_timeout 1500us\n"
      "bgp_handover_overlap 300ms\n",
      "tachy.cf");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->interval, absl::Milliseconds(250));
  EXPECT_EQ(s->timeout, absl::Seconds(5));
  EXPECT_EQ(s->policy.restarts, 0);
  EXPECT_EQ(s->policy.window, absl::Seconds(60));
  EXPECT_EQ(s->policy.decline_for, absl::Seconds(10));
  EXPECT_FALSE(s->takeover_arp_check);
  EXPECT_EQ(s->takeover_arp_check_timeout, absl::Microseconds(1500));
  EXPECT_EQ(s->bgp_handover_overlap, absl::Milliseconds(300));
  absl::StatusOr<MonitorSettings> off = ParseTachyCf("monitor_interval 0\n", "tachy.cf");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->interval, absl::ZeroDuration());
}

TEST(TachyCfTest, ApplicationChecksPerGroup) {
  absl::StatusOr<MonitorSettings> s = ParseTachyCf(
      "check 10.0.0.5 http 10.0.0.5:8080/health\n"
      "check 10.0.0.6 tcp 10.0.0.6:3306\n"
      "check 10.0.0.7 http 10.0.0.7:80\n"
      "check_timeout 500ms\n",
      "tachy.cf");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->checks.size(), 3u);
  EXPECT_EQ(s->checks[0].group, "10.0.0.5");
  EXPECT_EQ(s->checks[0].kind, AppCheck::Kind::kHttp);
  EXPECT_EQ(s->checks[0].ip, "10.0.0.5");
  EXPECT_EQ(s->checks[0].port, 8080);
  EXPECT_EQ(s->checks[0].path, "/health");
  EXPECT_EQ(s->checks[0].line, 1);
  EXPECT_EQ(s->checks[1].kind, AppCheck::Kind::kTcp);
  EXPECT_EQ(s->checks[1].port, 3306);
  EXPECT_EQ(s->checks[2].path, "/");
  EXPECT_EQ(s->check_timeout, absl::Milliseconds(500));
}

TEST(TachyCfTest, ErrorsNameFileAndLine) {
  auto check_err = [](const char* text) {
    return std::string(ParseTachyCf(text, "tachy.cf").status().message());
  };
  EXPECT_THAT(check_err("check g tcp 10.0.0.1\n"), HasSubstr("tachy.cf:1: check: '10.0.0.1' is not IP:PORT"));
  EXPECT_THAT(check_err("check g tcp 10.0.0.1:80/x\n"), HasSubstr("is not IP:PORT"));
  EXPECT_THAT(check_err("check g http 10.0.0.256:80\n"), HasSubstr("is not IP:PORT[/PATH]"));
  EXPECT_THAT(check_err("check g udp 10.0.0.1:80\n"), HasSubstr("'check' takes a group key"));
  EXPECT_THAT(check_err("check g tcp 1.2.3.4:1\ncheck g tcp 1.2.3.4:2\n"),
              HasSubstr("tachy.cf:2: check: group g has a check already (line 1)"));
  EXPECT_THAT(check_err("check g tcp 1.2.3.4:0\n"), HasSubstr("is not IP:PORT"));
  auto err = [](const char* text) { return std::string(ParseTachyCf(text, "tachy.cf").status().message()); };
  EXPECT_THAT(err("\nmonitor_interval\n"), HasSubstr("tachy.cf:2: 'monitor_interval' takes exactly one value"));
  EXPECT_THAT(err("restarts -1\n"), HasSubstr("tachy.cf:1: restarts: expected 0..100"));
  EXPECT_THAT(err("restarts 1 2\n"), HasSubstr("takes exactly one value"));
  EXPECT_THAT(err("monitor_intervall 1\n"), HasSubstr("tachy.cf:1: unknown directive 'monitor_intervall'"));
  EXPECT_THAT(err("monitor_timeout 0\n"), HasSubstr("out of range"));
  EXPECT_THAT(err("restart_window 25h\n"), HasSubstr("tachy.cf:1: restart_window:"));
  EXPECT_THAT(err("failure_timeout 90000\n"), HasSubstr("out of range"));
  EXPECT_THAT(err("takeover_arp_check maybe\n"), HasSubstr("tachy.cf:1: takeover_arp_check:"));
  EXPECT_THAT(err("takeover_arp_check_timeout 2\n"),
              HasSubstr("tachy.cf:1: takeover_arp_check_timeout: 2 is out of range"));
  EXPECT_THAT(err("bgp_handover_overlap 61\n"),
              HasSubstr("tachy.cf:1: bgp_handover_overlap: 61 is out of range (0 to 60 seconds)"));
  EXPECT_THAT(err("bgp_handover_overlap soon\n"), HasSubstr("tachy.cf:1: bgp_handover_overlap:"));
}

}  // namespace
}  // namespace tachy
