// The identity a migrated node keeps: Heartbeat's uuid, a generation above
// Heartbeat's.
#include "detector/tachyd/hb_identity.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/file_text.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

void Write(const std::string& path, const std::string& text) { WriteFileText(path, text); }

std::string Read(const std::string& path) { return ReadFileText(path); }

TEST(HbIdentityTest, ContinuesAboveHeartbeatsOwnGenerationWithItsUuid) {
  TempDir state_dir("hb_identity_test"), hb_dir("hb_identity_test");
  const std::string state = state_dir.path(), hb = hb_dir.path();
  ASSERT_FALSE(state.empty() || hb.empty());
  Write(hb + "/hb_uuid", "0123456789abcdef");
  Write(hb + "/hb_generation", "      1796130838");
  absl::StatusOr<HbIdentity> id = LoadHbIdentity(state, hb, 3);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->uuid, "0123456789abcdef");
  EXPECT_EQ(id->generation, 1796130839u);
  EXPECT_EQ(Read(hb + "/hb_generation"), "1796130839");  // a move back continues above it
  id = LoadHbIdentity(state, hb, 3);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->generation, 1796130840u);
}

TEST(HbIdentityTest, WithoutHeartbeatAStableNewUuid) {
  TempDir state_dir("hb_identity_test");
  const std::string state = state_dir.path();
  ASSERT_FALSE(state.empty());
  absl::StatusOr<HbIdentity> a = LoadHbIdentity(state, state + "/absent", 7);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->uuid.size(), 16u);
  EXPECT_EQ(a->uuid_from, "new");
  EXPECT_EQ(a->generation, 7u);
  absl::StatusOr<HbIdentity> b = LoadHbIdentity(state, state + "/absent", 8);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->uuid, a->uuid);
  EXPECT_EQ(b->generation, 8u);
  struct stat st;
  EXPECT_NE(stat((state + "/absent").c_str(), &st), 0);  // nothing created there
}

TEST(HbIdentityTest, NamesABadGenerationFile) {
  TempDir state_dir("hb_identity_test"), hb_dir("hb_identity_test");
  const std::string state = state_dir.path(), hb = hb_dir.path();
  ASSERT_FALSE(state.empty() || hb.empty());
  Write(hb + "/hb_generation", "twelve");
  absl::StatusOr<HbIdentity> id = LoadHbIdentity(state, hb, 1);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find(hb + "/hb_generation"), std::string::npos);
}

}  // namespace
}  // namespace tachy
