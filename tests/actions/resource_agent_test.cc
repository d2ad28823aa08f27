#include "actions/resource_agent.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/file_text.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

Resource ScriptResource(const std::string& name, std::vector<std::string> args = {}) {
  Resource r;
  r.kind = Resource::Kind::kScript;
  r.name = name;
  r.args = std::move(args);
  r.token = name;
  for (const std::string& a : r.args) r.token += "::" + a;
  return r;
}

Resource TokenResource(Resource::Kind kind, const std::string& token) {
  Resource r;
  r.kind = kind;
  r.token = token;
  return r;
}

class ResourceAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(root_.empty()) << "mkdtemp failed";
    dirs_.config_dir = root_ + "/ha.d";
    dirs_.resource_dir = root_ + "/ha.d/resource.d";
    dirs_.init_dir = root_ + "/init.d";
    dirs_.ocf_root = root_ + "/ocf";
    dirs_.systemctl = root_ + "/bin/systemctl";
    for (const std::string& d : {dirs_.resource_dir, dirs_.init_dir, dirs_.ocf_root,
                                 root_ + "/bin", root_ + "/out"}) {
      std::filesystem::create_directories(d);
    }
  }

  // Writes a /bin/sh script at `path` (mode 0755 unless told otherwise).
  void WriteScript(const std::string& path, const std::string& body, mode_t mode = 0755) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), mode);
  }

  void WriteFile(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
  }

  std::string Out(const std::string& name) { return ReadFileText(root_ + "/out/" + name); }

  std::unique_ptr<ResourceAgent> Make(const Resource& r) {
    absl::StatusOr<std::unique_ptr<ResourceAgent>> agent = MakeResourceAgent(r, dirs_);
    EXPECT_TRUE(agent.ok()) << agent.status();
    return agent.ok() ? *std::move(agent) : nullptr;
  }

  TempDir tmp_{"resource_agent_test"};
  const std::string root_ = tmp_.path();
  AgentDirs dirs_;
};

constexpr absl::Duration kTimeout = absl::Seconds(5);

// --- Script lookup -----------------------------------------------------------

TEST_F(ResourceAgentTest, ResourceDirWinsOverInitDir) {
  WriteScript(dirs_.resource_dir + "/svc", "echo from-resource-d");
  WriteScript(dirs_.init_dir + "/svc", "echo from-init-d");
  auto agent = Make(ScriptResource("svc"));
  ASSERT_NE(agent, nullptr);
  OpResult r = agent->Start(kTimeout);
  EXPECT_TRUE(r.ok);
  EXPECT_THAT(r.detail, HasSubstr("from-resource-d"));
}

TEST_F(ResourceAgentTest, FallsBackToInitDir) {
  WriteScript(dirs_.init_dir + "/svc", "echo from-init-d");
  auto agent = Make(ScriptResource("svc"));
  ASSERT_NE(agent, nullptr);
  EXPECT_THAT(agent->Start(kTimeout).detail, HasSubstr("from-init-d"));
}

TEST_F(ResourceAgentTest, NonExecutableInResourceDirFallsBackToInitDir) {
  WriteScript(dirs_.resource_dir + "/svc", "echo from-resource-d", 0644);
  WriteScript(dirs_.init_dir + "/svc", "echo from-init-d");
  auto agent = Make(ScriptResource("svc"));
  ASSERT_NE(agent, nullptr);
  EXPECT_THAT(agent->Start(kTimeout).detail, HasSubstr("from-init-d"));
}

TEST_F(ResourceAgentTest, NotFoundNamesBothPaths) {
  auto agent = MakeResourceAgent(ScriptResource("nosuch"), dirs_);
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(agent.status().message(),
              AllOf(HasSubstr(dirs_.resource_dir + "/nosuch"), HasSubstr(dirs_.init_dir + "/nosuch"),
                    HasSubstr("No such file")));
}

TEST_F(ResourceAgentTest, NonExecutableFileRejected) {
  WriteScript(dirs_.resource_dir + "/svc", "exit 0", 0644);
  auto agent = MakeResourceAgent(ScriptResource("svc"), dirs_);
  ASSERT_FALSE(agent.ok());
  EXPECT_EQ(agent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(agent.status().message(), HasSubstr(dirs_.resource_dir + "/svc (not executable)"));
}

// Hardening row 12: world-writable scripts (and scripts in world-writable
// directories) ran as root without a word.
TEST_F(ResourceAgentTest, AScriptOthersMayChangeIsNotRunAsRoot) {
  WriteScript(dirs_.resource_dir + "/svc", "exit 0", 0777);
  auto agent = MakeResourceAgent(ScriptResource("svc"), dirs_);
  ASSERT_FALSE(agent.ok());
  EXPECT_THAT(agent.status().message(),
              AllOf(HasSubstr(dirs_.resource_dir + "/svc is writable by group or others"),
                    HasSubstr("mode 0777"), HasSubstr("chmod go-w")));
}

TEST_F(ResourceAgentTest, AScriptInADirectoryOthersMayWriteIsNotRunAsRoot) {
  WriteScript(dirs_.resource_dir + "/svc", "exit 0");
  ASSERT_EQ(chmod(dirs_.resource_dir.c_str(), 0777), 0);
  auto agent = MakeResourceAgent(ScriptResource("svc"), dirs_);
  ASSERT_FALSE(agent.ok());
  EXPECT_THAT(agent.status().message(), HasSubstr("its directory " + dirs_.resource_dir +
                                                  " is writable by group or others"));
}

TEST_F(ResourceAgentTest, DirectoryRejected) {
  std::filesystem::create_directories(dirs_.init_dir + "/svc");
  auto agent = MakeResourceAgent(ScriptResource("svc"), dirs_);
  ASSERT_FALSE(agent.ok());
  EXPECT_THAT(agent.status().message(), HasSubstr("not a regular file"));
}

TEST_F(ResourceAgentTest, ScriptNameWithSlashRejected) {
  auto agent = MakeResourceAgent(ScriptResource("../svc"), dirs_);
  EXPECT_EQ(agent.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ResourceAgentTest, IpAddrIsNotAScript) {
  Resource r = TokenResource(Resource::Kind::kIpAddr, "IPaddr2::10.0.0.5/24");
  r.name = "IPaddr2";
  EXPECT_EQ(MakeResourceAgent(r, dirs_).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- Script calls -------------------------------------------------------------

TEST_F(ResourceAgentTest, ArgumentsFirstOperationLast) {
  WriteScript(dirs_.resource_dir + "/svc",
              "echo \"$*\" >> " + root_ + "/out/argv; echo \"$OCF_ROOT $HA_DIR $EXTRA\" > " + root_ +
                  "/out/env; echo running");
  dirs_.env = {"EXTRA=x"};
  auto agent = Make(ScriptResource("svc", {"a1", "a2"}));
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->name(), "svc::a1::a2");
  EXPECT_TRUE(agent->Start(kTimeout).ok);
  EXPECT_TRUE(agent->Stop(kTimeout).ok);
  EXPECT_EQ(agent->Status(kTimeout), ResourceStatus::kRunning);
  EXPECT_EQ(Out("argv"), "a1 a2 start\na1 a2 stop\na1 a2 status\n");
  EXPECT_EQ(Out("env"), dirs_.ocf_root + " " + dirs_.config_dir + " x\n");
}

TEST(HeartbeatStatusRunningTest, Rule) {
  struct Case {
    const char* text;
    bool running;
  };
  const Case cases[] = {
      {.text = "running", .running = true},
      {.text = "OK", .running = true},
      {.text = "httpd (pid 42) is running...", .running = true},
      {.text = "INFO: Running OK", .running = true},
      {.text = "is not running", .running = false},
      {.text = "NOT   Running", .running = false},
      {.text = "Not running", .running = false},
      {.text = "not\nrunning", .running = true},  // "not" needs a space after it
      {.text = "not \nrunning", .running = false},  // '*' spans lines
      {.text = "INFO: Resource is stopped", .running = false},
      {.text = "", .running = false},
      {.text = "blah", .running = false},
      {.text = "Running", .running = false},  // only *running* and *OK* count
      {.text = "ok", .running = false},
      {.text = "running, notrunning", .running = true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(HeartbeatStatusRunning(c.text), c.running) << '"' << c.text << '"';
  }
}

TEST_F(ResourceAgentTest, StatusFollowsStdoutTextNotExitCode) {
  WriteScript(dirs_.resource_dir + "/svc", "printf '%s' \"$STATUS_TEXT\"; exit ${STATUS_RC:-0}");
  struct Case {
    std::string text;
    std::string rc;
    ResourceStatus want;
  };
  const Case cases[] = {
      {.text = "running", .rc = "0", .want = ResourceStatus::kRunning},
      {.text = "OK", .rc = "0", .want = ResourceStatus::kRunning},
      {.text = "is not running", .rc = "0", .want = ResourceStatus::kStopped},
      {.text = "NOT   Running", .rc = "0", .want = ResourceStatus::kStopped},
      {.text = "", .rc = "0", .want = ResourceStatus::kStopped},
      {.text = "blah", .rc = "0", .want = ResourceStatus::kStopped},
      {.text = "running", .rc = "3", .want = ResourceStatus::kRunning},
      {.text = "stopped", .rc = "0", .want = ResourceStatus::kStopped},
  };
  for (const Case& c : cases) {
    dirs_.env = {"STATUS_TEXT=" + c.text, "STATUS_RC=" + c.rc};
    auto agent = Make(ScriptResource("svc"));
    ASSERT_NE(agent, nullptr);
    OpResult result;
    EXPECT_EQ(agent->Status(kTimeout, &result), c.want) << '"' << c.text << "\" rc " << c.rc;
    EXPECT_TRUE(result.ok);
  }
}

TEST_F(ResourceAgentTest, StatusIgnoresStderr) {
  WriteScript(dirs_.resource_dir + "/svc", "echo running >&2");
  auto agent = Make(ScriptResource("svc"));
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->Status(kTimeout), ResourceStatus::kStopped);
}

TEST_F(ResourceAgentTest, StatusTimeoutIsFailed) {
  WriteScript(dirs_.resource_dir + "/svc", "echo running; exec sleep 30");
  auto agent = Make(ScriptResource("svc"));
  ASSERT_NE(agent, nullptr);
  OpResult result;
  EXPECT_EQ(agent->Status(absl::Milliseconds(100), &result), ResourceStatus::kFailed);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.detail, StartsWith("timed out after 100 ms (killed)"));
}

TEST_F(ResourceAgentTest, StartFailureDetail) {
  WriteScript(dirs_.resource_dir + "/httpd",
              "echo 'Starting httpd'\n"
              "echo 'apache2: could not bind to port 80' >&2\n"
              "echo '   '\n"
              "exit 1");
  auto agent = Make(ScriptResource("httpd"));
  ASSERT_NE(agent, nullptr);
  OpResult r = agent->Start(kTimeout);
  EXPECT_FALSE(r.ok);
  EXPECT_GT(r.elapsed, absl::ZeroDuration());
  EXPECT_THAT(r.detail, MatchesRegex("exit 1 after [0-9]+\\.[0-9] ms: .*"));
  EXPECT_THAT(r.detail, ContainsRegex("apache2: could not bind to port 80$"));
}

TEST_F(ResourceAgentTest, LongOutputLineIsShortened) {
  WriteScript(dirs_.resource_dir + "/svc", "printf 'E%.0s' $(seq 500); echo; exit 2");
  auto agent = Make(ScriptResource("svc"));
  ASSERT_NE(agent, nullptr);
  OpResult r = agent->Stop(kTimeout);
  EXPECT_FALSE(r.ok);
  ASSERT_THAT(r.detail, StartsWith("exit 2 after "));
  std::string tail = r.detail.substr(r.detail.find(": ") + 2);
  EXPECT_EQ(tail.size(), 200u);
  EXPECT_THAT(tail, testing::EndsWith("EEE..."));
}

TEST_F(ResourceAgentTest, TimeoutDetail) {
  WriteScript(dirs_.resource_dir + "/svc", "exec sleep 30");
  auto agent = Make(ScriptResource("svc"));
  ASSERT_NE(agent, nullptr);
  OpResult r = agent->Start(absl::Milliseconds(150));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "timed out after 150 ms (killed)");
}

TEST_F(ResourceAgentTest, ScriptVanishedDetail) {
  std::string path = dirs_.resource_dir + "/svc";
  WriteScript(path, "exit 0");
  auto agent = Make(ScriptResource("svc"));
  ASSERT_NE(agent, nullptr);
  std::filesystem::remove(path);
  OpResult r = agent->Start(kTimeout);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "cannot run " + path + ": No such file or directory");
  OpResult status_result;
  EXPECT_EQ(agent->Status(kTimeout, &status_result), ResourceStatus::kFailed);
  EXPECT_FALSE(status_result.ok);
}

// --- systemd ------------------------------------------------------------------

TEST_F(ResourceAgentTest, SystemdUsesSystemctl) {
  WriteScript(dirs_.systemctl,
              "echo \"$*\" >> " + root_ + "/out/systemctl\n"
              "case \"$1\" in is-active) exit ${ACTIVE_RC:-0};; esac");
  auto agent = Make(TokenResource(Resource::Kind::kSystemd, "systemd::httpd.service"));
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->name(), "systemd::httpd.service");
  EXPECT_TRUE(agent->Start(kTimeout).ok);
  EXPECT_TRUE(agent->Stop(kTimeout).ok);
  EXPECT_EQ(agent->Status(kTimeout), ResourceStatus::kRunning);
  EXPECT_EQ(Out("systemctl"),
            "start httpd.service\nstop httpd.service\nis-active --quiet httpd.service\n");

  dirs_.env = {"ACTIVE_RC=3"};
  agent = Make(TokenResource(Resource::Kind::kSystemd, "systemd::httpd.service"));
  ASSERT_NE(agent, nullptr);
  OpResult result;
  EXPECT_EQ(agent->Status(kTimeout, &result), ResourceStatus::kStopped);
  EXPECT_TRUE(result.ok);
}

TEST_F(ResourceAgentTest, SystemdMainPidComesFromSystemctlShow) {
  WriteScript(dirs_.systemctl,
              "echo \"$*\" >> " + root_ + "/out/systemctl\n"
              "[ \"$1\" = show ] && echo ${MAIN_PID:-4242}; exit 0");
  auto agent = Make(TokenResource(Resource::Kind::kSystemd, "systemd::httpd.service"));
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->ManagerMainPid(kTimeout), 4242);
  EXPECT_EQ(Out("systemctl"), "show -p MainPID --value httpd.service\n");
  dirs_.env = {"MAIN_PID=0"};  // inactive: systemd says 0
  agent = Make(TokenResource(Resource::Kind::kSystemd, "systemd::httpd.service"));
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->ManagerMainPid(kTimeout), 0);
}

TEST_F(ResourceAgentTest, SystemdStartFailure) {
  WriteScript(dirs_.systemctl, "echo \"Job for $2 failed.\" >&2; exit 1");
  auto agent = Make(TokenResource(Resource::Kind::kSystemd, "systemd::web"));
  ASSERT_NE(agent, nullptr);
  OpResult r = agent->Start(kTimeout);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.detail, ContainsRegex("^exit 1 after .*: Job for web failed\\.$"));
}

TEST_F(ResourceAgentTest, SystemdErrors) {
  WriteScript(dirs_.systemctl, "exit 0");
  EXPECT_EQ(MakeResourceAgent(TokenResource(Resource::Kind::kSystemd, "systemd::-x"), dirs_)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeResourceAgent(TokenResource(Resource::Kind::kSystemd, "systemd::a::b"), dirs_)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  dirs_.systemctl = root_ + "/bin/nope";
  auto missing = MakeResourceAgent(TokenResource(Resource::Kind::kSystemd, "systemd::web"), dirs_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr(dirs_.systemctl));
}

// --- OCF ------------------------------------------------------------------------

// A fake OCF agent: records its argv and OCF_* environment; monitor exits
// $MONITOR_RC, start $START_RC, stop 0.
constexpr char kFakeOcfAgent[] =
    "echo \"$*\" >> $OUT/argv\n"
    "env | grep '^OCF_' | sort > $OUT/env\n"
    "case \"$1\" in\n"
    "  monitor) exit ${MONITOR_RC:-0};;\n"
    "  start) echo 'ERROR: cannot start' >&2; exit ${START_RC:-0};;\n"
    "esac\n"
    "exit 0";

TEST_F(ResourceAgentTest, OcfHeartbeatForm) {
  WriteScript(dirs_.ocf_root + "/resource.d/heartbeat/Dummy", kFakeOcfAgent);
  WriteFile(dirs_.config_dir + "/conf/OCF/Dummy/inst1",
            "# parameters of inst1\n"
            "\n"
            "state=/var/run/dummy.state\n"
            "  fake=\"quoted value\"  \n"
            "export other='single'\n"
            "OCF_RESKEY_already=prefixed\n");
  dirs_.env = {"OUT=" + root_ + "/out"};
  auto agent = Make(TokenResource(Resource::Kind::kOcf, "OCF::Dummy::inst1"));
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->name(), "OCF::Dummy::inst1");
  EXPECT_TRUE(agent->Start(kTimeout).ok);
  EXPECT_EQ(agent->Status(kTimeout), ResourceStatus::kRunning);
  EXPECT_TRUE(agent->Stop(kTimeout).ok);
  EXPECT_EQ(Out("argv"), "start\nmonitor\nstop\n");
  EXPECT_EQ(Out("env"),
            "OCF_RA_VERSION_MAJOR=1\n"
            "OCF_RA_VERSION_MINOR=0\n"
            "OCF_RESKEY_already=prefixed\n"
            "OCF_RESKEY_fake=quoted value\n"
            "OCF_RESKEY_other=single\n"
            "OCF_RESKEY_state=/var/run/dummy.state\n"
            "OCF_RESOURCE_INSTANCE=inst1\n"
            "OCF_RESOURCE_PROVIDER=heartbeat\n"
            "OCF_RESOURCE_TYPE=Dummy\n"
            "OCF_ROOT=" + dirs_.ocf_root + "\n");
}

TEST_F(ResourceAgentTest, OcfTachyForm) {
  WriteScript(dirs_.ocf_root + "/resource.d/acme/Web", kFakeOcfAgent);
  dirs_.env = {"OUT=" + root_ + "/out"};
  auto agent = Make(TokenResource(Resource::Kind::kOcf, "ocf:acme:Web::port=8080::root=/srv/a b"));
  ASSERT_NE(agent, nullptr);
  EXPECT_TRUE(agent->Start(kTimeout).ok);
  std::string env = Out("env");
  EXPECT_THAT(env, HasSubstr("OCF_RESKEY_port=8080\n"));
  EXPECT_THAT(env, HasSubstr("OCF_RESKEY_root=/srv/a b\n"));
  EXPECT_THAT(env, HasSubstr("OCF_RESOURCE_PROVIDER=acme\n"));
  EXPECT_THAT(env, HasSubstr("OCF_RESOURCE_TYPE=Web\n"));
  EXPECT_THAT(env, HasSubstr("OCF_RESOURCE_INSTANCE=Web_8080__srv_a_b\n"));
}

TEST_F(ResourceAgentTest, OcfMonitorMapping) {
  WriteScript(dirs_.ocf_root + "/resource.d/acme/Web", kFakeOcfAgent);
  struct Case {
    std::string rc;
    ResourceStatus want;
    bool ok;
  };
  const Case cases[] = {
      {.rc = "0", .want = ResourceStatus::kRunning, .ok = true},
      {.rc = "7", .want = ResourceStatus::kStopped, .ok = true},
      {.rc = "1", .want = ResourceStatus::kFailed, .ok = false},
      {.rc = "5", .want = ResourceStatus::kFailed, .ok = false},
  };
  for (const Case& c : cases) {
    dirs_.env = {"OUT=" + root_ + "/out", "MONITOR_RC=" + c.rc};
    auto agent = Make(TokenResource(Resource::Kind::kOcf, "ocf:acme:Web"));
    ASSERT_NE(agent, nullptr);
    OpResult result;
    EXPECT_EQ(agent->Status(kTimeout, &result), c.want) << "monitor exit " << c.rc;
    EXPECT_EQ(result.ok, c.ok) << "monitor exit " << c.rc;
    EXPECT_THAT(result.detail, StartsWith("exit " + c.rc + " after "));
  }
}

TEST_F(ResourceAgentTest, OcfStartFailure) {
  WriteScript(dirs_.ocf_root + "/resource.d/acme/Web", kFakeOcfAgent);
  dirs_.env = {"OUT=" + root_ + "/out", "START_RC=1"};
  auto agent = Make(TokenResource(Resource::Kind::kOcf, "ocf:acme:Web::port=1"));
  ASSERT_NE(agent, nullptr);
  OpResult r = agent->Start(kTimeout);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.detail, ContainsRegex("^exit 1 after [0-9.]+ ms: ERROR: cannot start$"));
}

TEST_F(ResourceAgentTest, OcfNotFound) {
  auto agent = MakeResourceAgent(TokenResource(Resource::Kind::kOcf, "ocf:acme:Nope"), dirs_);
  EXPECT_EQ(agent.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(agent.status().message(), HasSubstr(dirs_.ocf_root + "/resource.d/acme/Nope"));

  WriteScript(dirs_.ocf_root + "/resource.d/heartbeat/Dummy", kFakeOcfAgent);
  auto no_conf = MakeResourceAgent(TokenResource(Resource::Kind::kOcf, "OCF::Dummy::missing"), dirs_);
  EXPECT_EQ(no_conf.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(no_conf.status().message(), HasSubstr(dirs_.config_dir + "/conf/OCF/Dummy/missing"));
}

TEST_F(ResourceAgentTest, OcfMalformed) {
  WriteScript(dirs_.ocf_root + "/resource.d/heartbeat/Dummy", kFakeOcfAgent);
  WriteFile(dirs_.config_dir + "/conf/OCF/Dummy/bad", "# ok\nthis is not an assignment\n");
  for (const char* token : {"OCF::Dummy", "OCF::Dummy::a::b", "OCF::../x::y", "ocf:acme",
                            "ocf:acme:Web:extra", "ocf:acme:Web::noequals", "ocf:acme:Web::=v",
                            "ocf::Web", "Dummy"}) {
    auto agent = MakeResourceAgent(TokenResource(Resource::Kind::kOcf, token), dirs_);
    EXPECT_EQ(agent.status().code(), absl::StatusCode::kInvalidArgument) << token;
  }
  auto bad_line = MakeResourceAgent(TokenResource(Resource::Kind::kOcf, "OCF::Dummy::bad"), dirs_);
  EXPECT_EQ(bad_line.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_line.status().message(), HasSubstr("conf/OCF/Dummy/bad:2:"));
}

}  // namespace
}  // namespace tachy
