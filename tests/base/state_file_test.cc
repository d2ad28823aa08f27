// state_file_test.cc: reading and durably replacing state-dir files.
#include "detector/base/state_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/support/file_text.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }
  void Put(const std::string& name, const std::string& content) {
    ASSERT_TRUE(WriteFileText(dir_ + "/" + name, content));
  }
  std::string Get(const std::string& path) { return ReadFileText(path); }

  TempDir tmp_{"tachy-state-file-test"};
  const std::string dir_ = tmp_.path();
};

TEST_F(StateFileTest, AnAbsentFileIsNotAnError) {
  absl::StatusOr<std::optional<std::string>> text = ReadStateFile(dir_, "none");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_FALSE(text->has_value());
  absl::StatusOr<std::optional<uint64_t>> n = ReadStateCounter(dir_, "none");
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_FALSE(n->has_value());
}

TEST_F(StateFileTest, WrittenIsReadBackWholeAndNoTmpIsLeft) {
  const std::string bytes("a\0b\nc", 5);
  ASSERT_TRUE(WriteStateFile(dir_, "blob", bytes).ok());
  EXPECT_EQ(ReadStateFile(dir_, "blob")->value(), bytes);
  ASSERT_TRUE(WriteStateFile(dir_, "count", "42\n").ok());
  EXPECT_EQ(ReadStateCounter(dir_, "count")->value(), 42u);
  ASSERT_TRUE(WriteStateFile(dir_, "count", "43\n").ok());
  EXPECT_EQ(ReadStateCounter(dir_, "count")->value(), 43u);
  struct stat st;
  EXPECT_NE(stat((dir_ + "/count.tmp").c_str(), &st), 0);
}

TEST_F(StateFileTest, ACounterThatIsNotADecimalIsDataLossNamingThePath) {
  for (const char* content : {"", "\n", "x", "+5", "-1", "5x", "0x10", "1.5",
                              "99999999999999999999999"}) {
    SCOPED_TRACE(testing::Message() << '"' << content << '"');
    Put("count", content);
    absl::StatusOr<std::optional<uint64_t>> n = ReadStateCounter(dir_, "count");
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(absl::StrContains(n.status().message(), dir_ + "/count")) << n.status();
  }
  Put("count", "  7 \n");
  EXPECT_EQ(ReadStateCounter(dir_, "count")->value(), 7u);
}

TEST_F(StateFileTest, APlantedTmpSymlinkIsReplacedNotWrittenThrough) {
  Put("elsewhere", "precious\n");
  ASSERT_EQ(symlink((dir_ + "/elsewhere").c_str(), (dir_ + "/n.tmp").c_str()), 0);
  ASSERT_TRUE(WriteStateFile(dir_, "n", "1\n").ok());
  EXPECT_EQ(Get(dir_ + "/elsewhere"), "precious\n");
  EXPECT_EQ(Get(dir_ + "/n"), "1\n");
}

TEST_F(StateFileTest, AMissingDirIsAnErrorNamingIt) {
  absl::Status s = WriteStateFile(dir_ + "/gone", "n", "1\n");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), dir_ + "/gone")) << s;
}

}  // namespace
}  // namespace tachy
