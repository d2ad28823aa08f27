// heartbeat_syntax_test.cc: Heartbeat's time and boolean syntax.

#include "detector/config/heartbeat_syntax.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(ParseHeartbeatTimeTest, AcceptsCgMsecSyntaxExactly) {
  struct Case {
    const char* text;
    absl::Duration want;
  };
  const Case cases[] = {
      {.text = "1.5", .want = absl::Milliseconds(1500)},
      {.text = "1500ms", .want = absl::Milliseconds(1500)},
      {.text = "1500msec", .want = absl::Milliseconds(1500)},
      {.text = "1500 ms", .want = absl::Milliseconds(1500)},
      {.text = "1500MS", .want = absl::Milliseconds(1500)},
      // Heartbeat rounds 501us to 1ms; tachy keeps it.
      {.text = "501us", .want = absl::Microseconds(501)},
      {.text = "501usec", .want = absl::Microseconds(501)},
      {.text = "0.25ms", .want = absl::Microseconds(250)},
      {.text = "2", .want = absl::Seconds(2)},
      {.text = "2.", .want = absl::Seconds(2)},
      {.text = ".5", .want = absl::Milliseconds(500)},
      {.text = "007", .want = absl::Seconds(7)},
      {.text = " 3 ", .want = absl::Seconds(3)},
      {.text = "0.000001", .want = absl::Microseconds(1)},
      {.text = "1.5us", .want = absl::Nanoseconds(1500)},
      {.text = "0", .want = absl::ZeroDuration()},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<absl::Duration> got = ParseHeartbeatTime(c.text);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, c.want);
  }
}

TEST(ParseHeartbeatTimeTest, RejectsEverythingElse) {
  for (const char* text : {"2s", "", " ", "1.2.3", "-1", ".", "ms", "1e3", "1,5", "1 2", "1msfoo",
                           "5m", "1h", "ten", "99999999999999999999"}) {
    SCOPED_TRACE(text);
    absl::StatusOr<absl::Duration> got = ParseHeartbeatTime(text);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ParseHeartbeatTimeTest, ErrorExplainsTheSyntax) {
  absl::StatusOr<absl::Duration> got = ParseHeartbeatTime("2s");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("'2s' is not a Heartbeat time"));
  EXPECT_THAT(got.status().message(), HasSubstr("a bare number is seconds"));
}

TEST(ParseHeartbeatBoolTest, AcceptsClStrToBooleanWords) {
  for (const char* text : {"true", "on", "yes", "y", "1", "TRUE", "On", "Y"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseHeartbeatBool(text).value_or(false), true);
  }
  for (const char* text : {"false", "off", "no", "n", "0", "FALSE", "Off", "N"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseHeartbeatBool(text).value_or(true), false);
  }
  for (const char* text : {"", "2", "ja", "truee", "o"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ParseHeartbeatBool(text).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace tachy
