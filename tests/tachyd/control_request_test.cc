// control_request_test.cc: request lines, and answers that stay JSON.
#include "detector/tachyd/control_request.h"

#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;
using Verb = ControlRequest::Verb;

TEST(ControlRequestTest, TheFourRequests) {
  EXPECT_EQ(ParseControlRequest("status").verb, Verb::kStatus);
  EXPECT_EQ(ParseControlRequest("  watch \r").verb, Verb::kWatch);
  ControlRequest s = ParseControlRequest("standby");
  EXPECT_EQ(s.verb, Verb::kStandby);
  EXPECT_EQ(s.scope, "all");
  ControlRequest t = ParseControlRequest("takeover failback");
  EXPECT_EQ(t.verb, Verb::kTakeover);
  EXPECT_EQ(t.scope, "foreign");
  EXPECT_EQ(ParseControlRequest("standby local").scope, "local");
}

TEST(ControlRequestTest, ReloadTakesNoArgument) {
  EXPECT_EQ(ParseControlRequest("reload").verb, Verb::kReload);
  EXPECT_EQ(ParseControlRequest("reload now").verb, Verb::kInvalid);
}

TEST(ControlRequestTest, ClearTakesAGroupKeyOrDefaultsToAll) {
  ControlRequest all = ParseControlRequest("clear");
  EXPECT_EQ(all.verb, Verb::kClear);
  EXPECT_EQ(all.scope, "all");
  ControlRequest one = ParseControlRequest("clear 10.0.0.5");
  EXPECT_EQ(one.verb, Verb::kClear);
  EXPECT_EQ(one.scope, "10.0.0.5");
  // An endless key is cut: what reaches the runner stays small.
  EXPECT_EQ(ParseControlRequest("clear " + std::string(5000, 'k')).scope.size(), 256u);
}

TEST(ControlRequestTest, AnythingElseIsInvalidWithAReason) {
  for (const char* line : {"", "stat", "status now", "standby local extra", "STATUS",
                           "clear a b"}) {
    SCOPED_TRACE(line);
    ControlRequest r = ParseControlRequest(line);
    EXPECT_EQ(r.verb, Verb::kInvalid);
    EXPECT_THAT(r.error, HasSubstr("unknown request"));
  }
  EXPECT_THAT(ParseControlRequest("standby \xff").error, HasSubstr("unknown scope"));
}

// Hardening row 14: the raw request was pasted into the answer unescaped.
TEST(ControlRequestTest, ErrorLinesAreJsonWhateverTheyQuote) {
  for (const std::string& line : {std::string("foo\"bar\\"), std::string("\xc3\x28"),
                                 std::string("a\x01\x7f"), std::string(5000, 'x')}) {
    const std::string answer = ControlErrorLine(ParseControlRequest(line).error);
    ASSERT_EQ(answer.back(), '\n');
    const nlohmann::json j = nlohmann::json::parse(answer, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << answer;
    EXPECT_EQ(j["ok"], false);
    EXPECT_LT(j["error"].get<std::string>().size(), 200u);  // quoted in part only
  }
}

}  // namespace
}  // namespace tachy
