// log_test.cc: log destinations that could stall tachyd are refused at
// start, promptly.
#include "detector/base/log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }
  void TearDown() override {
    LogOptions plain;
    (void)InitLogging(plain);  // back to stderr only
  }
  TempDir tmp_{"tachy-log-test"};
  const std::string dir_ = tmp_.path();
};

// Hardening row 3: a logfile that is a FIFO hung tachyd in fopen() at start.
TEST_F(LogTest, ALogfileThatIsAFifoIsRefusedWithoutWaitingForAReader) {
  const std::string fifo = dir_ + "/ha-log";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  LogOptions options;
  options.logfile = fifo;
  const absl::Status s = InitLogging(options);  // returns: does not wait for a reader
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "not a regular file")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), fifo)) << s;
}

TEST_F(LogTest, ARegularFileAndDevNullAreTaken) {
  LogOptions options;
  options.logfile = dir_ + "/tachyd.log";
  options.debugfile = "/dev/null";
  EXPECT_TRUE(InitLogging(options).ok());
  LogInfo("hello %s", "file");
  LogOptions plain;
  ASSERT_TRUE(InitLogging(plain).ok());
  struct stat st{};
  ASSERT_EQ(stat(options.logfile.c_str(), &st), 0);
  EXPECT_GT(st.st_size, 0);
}

// Issue 14: a debugfile in a directory that did not exist yet made tachyd
// exit 1; the directory is created instead.
TEST_F(LogTest, AMissingLogDirectoryIsCreated) {
  LogOptions options;
  options.debugfile = dir_ + "/var/log/tachy/debug.log";
  ASSERT_TRUE(InitLogging(options).ok());
  LogOptions plain;
  ASSERT_TRUE(InitLogging(plain).ok());
  struct stat st{};
  ASSERT_EQ(stat((dir_ + "/var/log/tachy").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  EXPECT_EQ(stat(options.debugfile.c_str(), &st), 0);
}

}  // namespace
}  // namespace tachy
