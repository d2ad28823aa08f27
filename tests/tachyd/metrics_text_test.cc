// metrics_text_test.cc: the status document as Prometheus text. (The suite
// also parses tachyd's live output with Prometheus' own client parser:
// tests/integration/test_service_netns.py.)
#include "detector/tachyd/metrics_text.h"

#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_fixture.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Text() {
  auto text = PrometheusText(StatusFixture().dump());
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

TEST(MetricsTextTest, PeersLinksAndCountersComeFromTheDocument) {
  const std::string t = Text();
  EXPECT_THAT(t, HasSubstr("tachy_peer_state{peer=\"b\",state=\"up\"} 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_peer_state{peer=\"b\",state=\"dead\"} 0\n"));
  EXPECT_THAT(t, HasSubstr("tachy_peer_state{peer=\"c\",state=\"dead\"} 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_peer_frames_total{peer=\"b\"} 690\n"));
  EXPECT_THAT(t, HasSubstr("tachy_peer_last_heard_seconds{peer=\"b\"} 0.0008\n"));
  EXPECT_THAT(t, Not(HasSubstr("tachy_peer_last_heard_seconds{peer=\"c\"}")));  // never heard
  EXPECT_THAT(t, HasSubstr(
      "tachy_peer_rejected_frames_total{peer=\"b\",reason=\"bad_signature\"} 2\n"));
  EXPECT_THAT(t, HasSubstr("tachy_link_up{peer=\"b\",medium=\"ucast:eth1:10.0.0.2\"} 0\n"));
  EXPECT_THAT(t, HasSubstr("tachy_frames_sent_total 700\n"));
  EXPECT_THAT(t, HasSubstr("tachy_setting_seconds{setting=\"deadtime\"} 0.02"));
  EXPECT_THAT(t, HasSubstr("tachy_info{version=\"0.1.0\",cluster=\"linux-ha\",node=\"a\"} 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_group_held{group=\"10.0.0.100\"} 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_group_owners{group=\"10.0.0.100\"} 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_actions_connected 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_quorate 1\n"));
}

TEST(MetricsTextTest, TakeoverStagesAreAHistogram) {
  const std::string t = Text();
  EXPECT_THAT(t, HasSubstr("# TYPE tachy_takeover_stage_seconds histogram\n"));
  EXPECT_THAT(t, HasSubstr("tachy_takeover_stage_seconds_bucket{stage=\"total\",le=\"0.02\"} 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_takeover_stage_seconds_bucket{stage=\"total\",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_takeover_stage_seconds_sum{stage=\"total\"} 0.015"));
  EXPECT_THAT(t, HasSubstr("tachy_takeover_stage_seconds_count{stage=\"total\"} 1\n"));
  EXPECT_THAT(t, HasSubstr(
      "tachy_takeovers_total{group=\"10.0.0.100\",cause=\"peer_dead\",result=\"ok\"} 1\n"));
  EXPECT_THAT(t, HasSubstr("tachy_requests_total{request=\"standby\"} 2\n"));
}

TEST(MetricsTextTest, EveryFamilyHasOneHelpAndTypeBeforeItsSamples) {
  const std::string t = Text();
  std::vector<std::string> families;
  std::string current;
  for (absl::string_view line : absl::StrSplit(t, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# HELP ")) continue;
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> words = absl::StrSplit(line, ' ');
      ASSERT_EQ(words.size(), 4u) << line;
      EXPECT_EQ(std::count(families.begin(), families.end(), words[2]), 0) << words[2];
      families.push_back(words[2]);
      current = words[2];
      continue;
    }
    EXPECT_TRUE(absl::StartsWith(line, current)) << line << " outside family " << current;
  }
  EXPECT_GT(families.size(), 30u);
}

TEST(MetricsTextTest, LabelValuesAreEscaped) {
  nlohmann::json doc = StatusFixture();
  doc["cluster"] = "a \"quoted\\\" name\nnext";
  auto text = PrometheusText(doc.dump());
  ASSERT_TRUE(text.ok());
  EXPECT_THAT(*text, HasSubstr("cluster=\"a \\\"quoted\\\\\\\" name\\nnext\""));
}

TEST(MetricsTextTest, NotAStatusDocumentIsAnError) {
  EXPECT_FALSE(PrometheusText("{\"ok\":false}").ok());
  EXPECT_FALSE(PrometheusText("not json").ok());
}

}  // namespace
}  // namespace tachy
