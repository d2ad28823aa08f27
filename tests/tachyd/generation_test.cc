// generation_test.cc: BumpGeneration and LockStateDir in a private temp dir.
#include "detector/tachyd/generation.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "detector/base/unique_fd.h"
#include "gtest/gtest.h"
#include "tests/support/file_text.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

class GenerationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(root_.empty()); }
  void WriteFile(const std::string& path, const std::string& content) {
    ASSERT_TRUE(WriteFileText(path, content)) << path;
  }
  std::string ReadFile(const std::string& path) { return ReadFileText(path); }

  TempDir tmp_{"tachy-generation-test"};
  const std::string root_ = tmp_.path();
};

TEST_F(GenerationTest, CountsUpFromOne) {
  for (uint64_t want = 1; want <= 3; ++want) {
    absl::StatusOr<uint64_t> g = BumpGeneration(root_);
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_EQ(*g, want);
    EXPECT_EQ(ReadFile(root_ + "/generation"), std::to_string(want) + "\n");
  }
  // The temp file is renamed away, never left behind.
  EXPECT_FALSE(std::filesystem::exists(root_ + "/generation.tmp"));
}

TEST_F(GenerationTest, ContinuesFromExistingNumber) {
  struct Case {
    const char* content;
    uint64_t want;
  };
  const Case cases[] = {
      {.content = "41\n", .want = 42},
      {.content = "41", .want = 42},
      {.content = "  7 \n\n", .want = 8},
      {.content = "18446744073709551614\n", .want = 18446744073709551615u},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.content);
    WriteFile(root_ + "/generation", c.content);
    absl::StatusOr<uint64_t> g = BumpGeneration(root_);
    ASSERT_TRUE(g.ok()) << g.status();
    EXPECT_EQ(*g, c.want);
  }
}

TEST_F(GenerationTest, GarbageIsDataLossNamingThePath) {
  // An empty file is no number either: restarting from 1 silently would make
  // every peer that remembers us reject our frames as an old generation.
  for (const char* content : {"twelve\n", "12abc\n", "-3\n", "1.5\n", "0x10\n", "", "\n  \n",
                              "99999999999999999999999\n"}) {
    SCOPED_TRACE(testing::Message() << '"' << content << '"');
    const std::string path = root_ + "/generation";
    WriteFile(path, content);
    absl::StatusOr<uint64_t> g = BumpGeneration(root_);
    ASSERT_FALSE(g.ok()) << *g;
    EXPECT_EQ(g.status().code(), absl::StatusCode::kDataLoss) << g.status();
    EXPECT_TRUE(absl::StrContains(g.status().message(), path)) << g.status();
    // The bad file is left for the operator to inspect.
    EXPECT_EQ(ReadFile(path), content);
  }
}

TEST_F(GenerationTest, MissingDirIsAnErrorNamingIt) {
  const std::string dir = root_ + "/absent";
  absl::StatusOr<uint64_t> g = BumpGeneration(dir);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), absl::StatusCode::kNotFound) << g.status();
  EXPECT_TRUE(absl::StrContains(g.status().message(), dir)) << g.status();
}

TEST_F(GenerationTest, LockCreatesMissingDir) {
  const std::string dir = root_ + "/state";
  ASSERT_FALSE(std::filesystem::exists(dir));
  absl::StatusOr<UniqueFd> lock = LockStateDir(dir);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_TRUE(lock->valid());
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  const mode_t mask = umask(0);
  umask(mask);
  EXPECT_EQ(st.st_mode & 0777, 0755 & ~mask);
  EXPECT_TRUE(std::filesystem::exists(dir + "/lock"));
  // And the generation lives beside the lock.
  absl::StatusOr<uint64_t> g = BumpGeneration(dir);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*g, 1u);
}

TEST_F(GenerationTest, SecondLockFailsWhileFirstHeld) {
  absl::StatusOr<UniqueFd> first = LockStateDir(root_);
  ASSERT_TRUE(first.ok()) << first.status();
  // flock locks belong to the open file description: a second open() of the
  // same file conflicts even within one process.
  absl::StatusOr<UniqueFd> second = LockStateDir(root_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition) << second.status();
  EXPECT_TRUE(absl::StrContains(second.status().message(), root_ + "/lock")) << second.status();
}

TEST_F(GenerationTest, LockIsReleasedWithTheFd) {
  {
    absl::StatusOr<UniqueFd> first = LockStateDir(root_);
    ASSERT_TRUE(first.ok()) << first.status();
  }
  absl::StatusOr<UniqueFd> again = LockStateDir(root_);
  EXPECT_TRUE(again.ok()) << again.status();
}

TEST_F(GenerationTest, LockHeldByAnotherFdBlocksUs) {
  // Someone else (another tachyd) holds the lock on its own descriptor.
  const std::string path = root_ + "/lock";
  UniqueFd other(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  ASSERT_TRUE(other.valid());
  ASSERT_EQ(flock(other.get(), LOCK_EX | LOCK_NB), 0);
  absl::StatusOr<UniqueFd> ours = LockStateDir(root_);
  ASSERT_FALSE(ours.ok());
  EXPECT_EQ(ours.status().code(), absl::StatusCode::kFailedPrecondition);
  other.reset();
  EXPECT_TRUE(LockStateDir(root_).ok());
}

TEST_F(GenerationTest, LockUnderMissingParentNamesTheDir) {
  const std::string dir = root_ + "/no/such/parent";
  absl::StatusOr<UniqueFd> lock = LockStateDir(dir);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), absl::StatusCode::kNotFound) << lock.status();
  EXPECT_TRUE(absl::StrContains(lock.status().message(), dir)) << lock.status();
}

// Hardening row 11: the generation wrapped to 0 (then every peer rejects
// the node as old).
TEST_F(GenerationTest, TheLargestGenerationIsRefusedNotWrapped) {
  WriteFile(root_ + "/generation", "18446744073709551615\n");
  absl::StatusOr<uint64_t> g = BumpGeneration(root_);
  EXPECT_EQ(g.status().code(), absl::StatusCode::kFailedPrecondition) << g.status();
  EXPECT_TRUE(absl::StrContains(g.status().message(), "cannot grow")) << g.status();
  EXPECT_EQ(ReadFile(root_ + "/generation"), "18446744073709551615\n");
}

// Row 11: generation.tmp was opened following symlinks.
TEST_F(GenerationTest, APlantedTmpSymlinkIsNotWrittenThrough) {
  const std::string target = root_ + "/elsewhere";
  WriteFile(target, "precious\n");
  ASSERT_EQ(symlink(target.c_str(), (root_ + "/generation.tmp").c_str()), 0);
  absl::StatusOr<uint64_t> g = BumpGeneration(root_);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(*g, 1u);
  EXPECT_EQ(ReadFile(target), "precious\n");
  EXPECT_EQ(ReadFile(root_ + "/generation"), "1\n");
}

// Row 11: the state dir was accepted whatever its owner and mode.
TEST_F(GenerationTest, AStateDirOthersMayWriteIsRefused) {
  const std::string dir = root_ + "/state";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  absl::StatusOr<UniqueFd> lock = LockStateDir(dir);
  EXPECT_EQ(lock.status().code(), absl::StatusCode::kFailedPrecondition) << lock.status();
  EXPECT_TRUE(absl::StrContains(lock.status().message(), "mode 0777")) << lock.status();
  EXPECT_TRUE(absl::StrContains(lock.status().message(), "chmod go-w")) << lock.status();
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  EXPECT_TRUE(LockStateDir(dir).ok());
}

TEST_F(GenerationTest, AStateDirThatIsASymlinkIsRefused) {
  const std::string real = root_ + "/real", link = root_ + "/link";
  ASSERT_EQ(mkdir(real.c_str(), 0755), 0);
  ASSERT_EQ(symlink(real.c_str(), link.c_str()), 0);
  absl::StatusOr<UniqueFd> lock = LockStateDir(link);
  EXPECT_EQ(lock.status().code(), absl::StatusCode::kFailedPrecondition) << lock.status();
  EXPECT_TRUE(absl::StrContains(lock.status().message(), "not a directory")) << lock.status();
}

TEST_F(GenerationTest, AStateDirOfAnotherOwnerIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the directory away";
  const std::string dir = root_ + "/theirs";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(chown(dir.c_str(), 65534, 65534), 0);
  absl::StatusOr<UniqueFd> lock = LockStateDir(dir);
  EXPECT_EQ(lock.status().code(), absl::StatusCode::kFailedPrecondition) << lock.status();
  EXPECT_TRUE(absl::StrContains(lock.status().message(), "it is uid 65534")) << lock.status();
}

}  // namespace
}  // namespace tachy
