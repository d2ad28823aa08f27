// resource_processes_test.cc: finding a resource's processes by its mark,
// over a fake /proc, and a pidfd that turns readable when a real child exits.
#include "actions/resource_processes.h"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class FakeProc : public testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(root_.empty()); }

  void Process(int pid, int ppid, const std::string& environ_text, char state = 'S',
               const std::string& comm = "apache2") {
    const std::string dir = absl::StrCat(root_, "/", pid);
    mkdir(dir.c_str(), 0755);
    std::ofstream(dir + "/environ") << environ_text;
    std::ofstream(dir + "/stat") << pid << " (" << comm << ") " << state << " " << ppid
                                 << " 1 1 0 -1 4194560";
  }

  TempDir tmp_{"tachy-proc"};
  const std::string root_ = tmp_.path();
};

const std::string kMark = ResourceMark("alpha", "10.0.0.5", "httpd");
std::string Env(const std::string& extra) {
  return std::string("PATH=/bin\0", 10) + extra + std::string("\0HOME=/\0", 8);
}

TEST_F(FakeProc, FindsTheDaemonAndItsWorkersButNotOthers) {
  EXPECT_EQ(kMark, "TACHY_RESOURCE=alpha 10.0.0.5 httpd");
  Process(1, 0, Env("LANG=C"), 'S', "init");
  Process(500, 1, Env(kMark));                 // the daemon, detached
  Process(501, 500, Env(kMark));               // its workers
  Process(502, 500, Env(kMark), 'S', "a) (b"); // a comm with parentheses
  Process(600, 1, Env(kMark + "x"));           // another resource's longer mark
  Process(601, 1, Env("X" + kMark));           // not a whole entry
  Process(602, 1, Env(ResourceMark("beta", "10.0.0.5", "httpd")));  // the other node's
  Process(700, 500, Env(kMark), 'Z');          // a zombie worker
  std::ofstream(root_ + "/self") << "";        // not a pid
  const std::vector<MarkedProcess> found = FindMarkedProcesses(kMark, root_);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].pid, 500);
  EXPECT_EQ(found[0].ppid, 1);
  EXPECT_EQ(found[2].pid, 502);
  EXPECT_EQ(found[2].ppid, 500);
  EXPECT_THAT(MainProcesses(found), ElementsAre(500));
  EXPECT_TRUE(HasMark(501, kMark, root_));
  EXPECT_FALSE(HasMark(600, kMark, root_));
  EXPECT_FALSE(HasMark(999, kMark, root_));
}

TEST_F(FakeProc, WorkersLeftByADeadDaemonAreAllMain) {
  // The parent was SIGKILLed: its workers now hang off init, each a main
  // process (all of them must go before a restart).
  Process(501, 1, Env(kMark));
  Process(502, 1, Env(kMark));
  EXPECT_THAT(MainProcesses(FindMarkedProcesses(kMark, root_)), ElementsAre(501, 502));
}

TEST_F(FakeProc, NothingMarkedOrNoProcAtAll) {
  Process(10, 1, Env("A=b"));
  EXPECT_THAT(FindMarkedProcesses(kMark, root_), IsEmpty());
  EXPECT_THAT(FindMarkedProcesses(kMark, root_ + "/missing"), IsEmpty());
}

TEST(ResourceProcessesTest, TheRealProcFindsAMarkedChildAndItsPidfdSignalsItsExit) {
  const std::string mark = ResourceMark("test", "g", absl::StrCat("child-", getpid()));
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string entry = mark;
    char* const argv[] = {const_cast<char*>("sleep"), const_cast<char*>("30"), nullptr};
    char* const envp[] = {const_cast<char*>(entry.c_str()), nullptr};
    execve("/bin/sleep", argv, envp);
    _exit(127);
  }
  std::vector<MarkedProcess> found;
  for (int i = 0; i < 200 && found.empty(); ++i) {  // until the exec happened
    found = FindMarkedProcesses(mark);
    if (found.empty()) usleep(5000);
  }
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].pid, child);
  EXPECT_EQ(found[0].ppid, getpid());
  absl::StatusOr<UniqueFd> fd = OpenPidfd(child);
  ASSERT_TRUE(fd.ok()) << fd.status();
  pollfd p{fd->get(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 0), 0);  // alive
  kill(child, SIGKILL);
  EXPECT_EQ(poll(&p, 1, 5000), 1);  // exited
  int status = 0;
  EXPECT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(OpenPidfd(child).ok());
}

}  // namespace
}  // namespace tachy
