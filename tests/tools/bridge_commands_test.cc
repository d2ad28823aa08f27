// bridge_commands_test.cc: the impairment bridge's command language.
#include "tools/lab/bridge_commands.h"

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;

absl::Status Parse(absl::string_view line, ImpairmentPatch* patch) {
  const std::vector<absl::string_view> tokens = absl::StrSplit(line, ' ', absl::SkipEmpty());
  return ParsePatch(tokens, patch);
}

TEST(ParsePatchTest, EveryKeyAndOnlyThoseNamedChange) {
  ImpairmentPatch patch;
  ASSERT_TRUE(Parse("loss=0.25 burst=3 delay=5ms jitter=200us block=1 proto=tachy", &patch).ok());
  Impairment imp;
  patch.ApplyTo(imp);
  EXPECT_EQ(imp.loss, 0.25);
  EXPECT_EQ(imp.burst, 3);
  EXPECT_EQ(imp.delay, absl::Milliseconds(5));
  EXPECT_EQ(imp.jitter, absl::Microseconds(200));
  EXPECT_TRUE(imp.block);
  EXPECT_EQ(imp.proto, Proto::kTachy);

  ImpairmentPatch only_delay;
  ASSERT_TRUE(Parse("delay=0", &only_delay).ok());
  only_delay.ApplyTo(imp);
  EXPECT_EQ(imp.delay, absl::ZeroDuration());
  EXPECT_EQ(imp.loss, 0.25);  // kept
  EXPECT_TRUE(imp.block);     // kept
}

TEST(ParsePatchTest, TheFirstBadTokenIsTheErrorAndNothingIsSet) {
  struct Case {
    const char* line;
    const char* error;
  };
  for (const Case& c : {Case{"", "at least one key=value"},
                        Case{"loss", "expected key=value"},
                        Case{"loss=1.5", "bad loss '1.5'"},
                        Case{"loss=nan", "bad loss"},
                        Case{"burst=0", "bad burst"},
                        Case{"delay=5", "bad delay '5'"},
                        Case{"delay=-1ms", "bad delay"},
                        Case{"jitter=61s", "bad jitter"},
                        Case{"block=yes", "bad block"},
                        Case{"proto=udp", "bad proto"},
                        Case{"rate=1", "unknown key 'rate'"},
                        Case{"loss=0.1 rate=1", "unknown key"}}) {
    SCOPED_TRACE(c.line);
    ImpairmentPatch patch;
    patch.loss = 0.5;  // must survive a refused command
    const absl::Status s = Parse(c.line, &patch);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(s.message(), HasSubstr(c.error));
    EXPECT_EQ(patch.loss, 0.5);
  }
}

TEST(ParsePortSpecTest, NameAndInterface) {
  PortSpec spec;
  ASSERT_TRUE(ParsePortSpec("a.1-x_y=veth0", &spec).ok());
  EXPECT_EQ(spec.name, "a.1-x_y");
  EXPECT_EQ(spec.iface, "veth0");
  for (const char* bad : {"a", "=veth0", "a=", "a b=veth0", "a=abcdefghijklmnop",
                          "012345678901234567890123456789012=x"}) {
    EXPECT_FALSE(ParsePortSpec(bad, &spec).ok()) << bad;
  }
}

TEST(RepliesTest, ErrorsAreJsonWhateverTheyQuote) {
  EXPECT_EQ(OkReply(), R"({"ok":true})");
  const std::string reply = ErrorReply("unknown port '\"\\\n\t\x01\xff'");
  const nlohmann::json parsed = nlohmann::json::parse(reply);
  EXPECT_EQ(parsed["ok"], false);
  EXPECT_THAT(parsed["error"].get<std::string>(), HasSubstr("unknown port '\"\\\n\t\x01"));
}

}  // namespace
}  // namespace tachy
