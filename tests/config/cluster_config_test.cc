// cluster_config_test.cc: the crc policy over keys and media, and
// LoadClusterConfig over a real directory.

#include "detector/config/cluster_config.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "detector/config/authkeys_file.h"
#include "detector/config/ha_cf.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

HaConfig MustParse(absl::string_view text) {
  absl::StatusOr<HaConfig> config = ParseHaCf(text, "ha.cf");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : HaConfig{};
}

ClusterConfig WithKeys(absl::string_view authkeys, absl::string_view media) {
  ClusterConfig c;
  c.ha = MustParse(absl::StrCat(media, "\nnode a b\n"));
  c.auth = *ParseAuthKeys(authkeys, "authkeys");
  return c;
}

TEST(AuthPolicyTest, CrcOnUdpIsRefusedUnlessAllowed) {
  const ClusterConfig c = WithKeys("auth 1\n1 crc\n", "raw eth1\nbcast eth0");
  std::vector<std::string> warnings;
  absl::Status s = CheckAuthPolicy(c, false, &warnings);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("UDP medium (on eth0)"));
  EXPECT_THAT(s.message(), HasSubstr("--allow-crc-on-udp"));
  ASSERT_TRUE(CheckAuthPolicy(c, true, &warnings).ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("WARNING: authkeys uses crc"));
}

TEST(AuthPolicyTest, CrcOnRawEthernetOnlyIsAllowedWithAWarning) {
  std::vector<std::string> warnings;
  ASSERT_TRUE(CheckAuthPolicy(WithKeys("auth 1\n1 crc\n", "raw eth1"), false, &warnings).ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("raw Ethernet"));
}

TEST(AuthPolicyTest, AnUnusedCrcKeyIsNoRiskButIsSaidToBeIgnored) {
  std::vector<std::string> warnings;
  ASSERT_TRUE(CheckAuthPolicy(WithKeys("auth 1\n1 sha256 s\n2 crc\n", "bcast eth0"), false,
                              &warnings)
                  .ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("key 2 (crc) is defined but neither signs"));
  warnings.clear();
  // Rotating, it verifies: on UDP that is refused.
  EXPECT_FALSE(CheckAuthPolicy(WithKeys("auth 1\n1 sha256 s\n2 crc\nrotate 2\n", "bcast eth0"),
                               false, &warnings)
                   .ok());
}

// LoadClusterConfig

constexpr char kSampleHaCf[] =
    "logfacility local0\n"
    "keepalive 2\n"
    "deadtime 30\n"
    "bcast eth0\n"
    "node ken3\n"
    "node Kathy\n";
constexpr char kSampleAuthKeys[] = "auth 1\n1 sha1 testpass\n";

class LoadClusterConfigTest : public testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()) << "mkdtemp failed"; }

  void Write(const std::string& name, absl::string_view text, mode_t mode) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::trunc) << text;
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
  }

  void WriteBoth(absl::string_view ha_cf = kSampleHaCf, mode_t auth_mode = 0600) {
    Write("ha.cf", ha_cf, 0644);
    Write("authkeys", kSampleAuthKeys, auth_mode);
  }

  TempDir temp_{"cluster_config_test"};
  const std::string dir_ = temp_.path();
};

TEST_F(LoadClusterConfigTest, LoadsWithNodeOverride) {
  WriteBoth();
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "KEN3");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->local_node, "ken3");
  EXPECT_EQ(config->config_dir, dir_);
  EXPECT_THAT(config->ha.nodes, ElementsAre("ken3", "kathy"));
  EXPECT_EQ(config->ha.keepalive, absl::Seconds(2));
  EXPECT_EQ(config->auth.active_index, 1);
  EXPECT_EQ(config->auth.keys.size(), 1u);
}

// Hardening row 12: authkeys mode 600 but owned by another user was
// accepted, and so was an ha.cf anyone could rewrite.
TEST_F(LoadClusterConfigTest, AFileOthersMayChangeIsRefusedSayingHowToFixIt) {
  WriteBoth();
  ASSERT_EQ(chmod((dir_ + "/ha.cf").c_str(), 0666), 0);
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "ken3");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(config.status().message(), HasSubstr("ha.cf: mode 0666 lets group or others"));
  EXPECT_THAT(config.status().message(), HasSubstr("chmod go-w"));
}

TEST_F(LoadClusterConfigTest, AuthkeysOfAnotherOwnerIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give the file away";
  WriteBoth();
  ASSERT_EQ(chown((dir_ + "/authkeys").c_str(), 65534, 65534), 0);
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "ken3");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(config.status().message(), HasSubstr("authkeys: owned by uid 65534"));
}

TEST_F(LoadClusterConfigTest, TrailingSlashInDir) {
  WriteBoth();
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_ + "/", "kathy");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->local_node, "kathy");
}

TEST_F(LoadClusterConfigTest, DefaultsToUnameNodename) {
  utsname names{};
  ASSERT_EQ(uname(&names), 0);
  std::string self = absl::AsciiStrToLower(names.nodename);
  WriteBoth(absl::StrCat("bcast eth0\nnode other ", self, "\n"));
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->local_node, self);
}

TEST_F(LoadClusterConfigTest, GroupReadableAuthKeysIsRefused) {
  WriteBoth(kSampleHaCf, 0644);
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "ken3");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(config.status().message(),
            absl::StrCat(dir_,
                         "/authkeys: mode 0644 lets group or others read it; chmod 600 "
                         "it (Heartbeat refuses it too)"));
}

TEST_F(LoadClusterConfigTest, AnyGroupOrOtherBitIsRefused) {
  for (mode_t mode : {0640, 0604, 0620, 0602, 0610, 0601}) {
    SCOPED_TRACE(mode);
    WriteBoth(kSampleHaCf, mode);
    EXPECT_EQ(LoadClusterConfig(dir_, "ken3").status().code(), absl::StatusCode::kPermissionDenied);
  }
  WriteBoth(kSampleHaCf, 0400);
  EXPECT_TRUE(LoadClusterConfig(dir_, "ken3").ok());
}

TEST_F(LoadClusterConfigTest, LocalNodeMustBeListed) {
  WriteBoth();
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "Nobody");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            absl::StrCat(dir_,
                         "/ha.cf: local node 'nobody' is not among the node lines (ken3, "
                         "kathy); set --node or add it"));
}

TEST_F(LoadClusterConfigTest, MissingHaCf) {
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "ken3");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr(dir_ + "/ha.cf: No such file or directory"));
}

TEST_F(LoadClusterConfigTest, MissingAuthKeys) {
  Write("ha.cf", kSampleHaCf, 0644);
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "ken3");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr(dir_ + "/authkeys: No such file"));
}

TEST_F(LoadClusterConfigTest, ErrorsNameTheFullPath) {
  WriteBoth("bcast eth0\nnode ken3\nkeepalive 2s\n");
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "ken3");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr(dir_ + "/ha.cf:3: keepalive: '2s'"));

  Write("ha.cf", kSampleHaCf, 0644);
  Write("authkeys", "auth 2\n1 crc\n", 0600);
  config = LoadClusterConfig(dir_, "ken3");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr(dir_ + "/authkeys:1: 'auth 2' names a key"));
}

TEST_F(LoadClusterConfigTest, HugeFileIsNotAConfig) {
  WriteBoth(std::string((1 << 20) + 1, '#'));
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "ken3");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr(dir_ + "/ha.cf: larger than 1048576 bytes"));
}

TEST_F(LoadClusterConfigTest, DirectoryInPlaceOfFile) {
  ASSERT_EQ(mkdir((dir_ + "/ha.cf").c_str(), 0755), 0);
  absl::StatusOr<ClusterConfig> config = LoadClusterConfig(dir_, "ken3");
  rmdir((dir_ + "/ha.cf").c_str());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr(dir_ + "/ha.cf: not a file"));
}

}  // namespace
}  // namespace tachy
