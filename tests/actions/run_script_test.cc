#include "actions/run_script.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/file_text.h"
#include "tests/support/temp_dir.h"

namespace tachy {
namespace {

using ::testing::HasSubstr;

class RunScriptTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.empty()); }

  // Writes an executable /bin/sh script and returns its path.
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    chmod(path.c_str(), 0755);
    return path;
  }

  std::string ReadFile(const std::string& name) { return ReadFileText(dir_ + "/" + name); }

  // Reads a pid the script wrote to `name`, waiting briefly for it.
  pid_t ReadPid(const std::string& name) {
    for (int i = 0; i < 100; ++i) {
      std::string text = ReadFile(name);
      if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }

  static ScriptResult Run(std::vector<std::string> argv, absl::Duration timeout = absl::Seconds(5),
                          std::vector<std::string> env = {}) {
    ScriptCall call;
    call.argv = std::move(argv);
    call.env = std::move(env);
    call.timeout = timeout;
    return RunScript(call);
  }

  TempDir tmp_{"run_script_test"};
  const std::string dir_ = tmp_.path();
};

// True once `pid` is gone or a zombie waiting for init to reap it.
bool ProcessDead(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string line;
    std::getline(stat, line);
    size_t paren = line.rfind(')');
    if (paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z') return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

TEST_F(RunScriptTest, ExitZero) {
  ScriptResult r = Run({Script("ok", "exit 0")});
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.signal, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.success());
  EXPECT_TRUE(r.error.empty());
  EXPECT_GT(r.elapsed, absl::ZeroDuration());
}

TEST_F(RunScriptTest, ExitCodeReported) {
  ScriptResult r = Run({Script("three", "exit 3")});
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.success());
}

TEST_F(RunScriptTest, CapturesStdoutAndStderr) {
  ScriptResult r = Run({Script("both", "echo to-out; echo to-err >&2; echo more-out")});
  EXPECT_THAT(r.output, HasSubstr("to-out\n"));
  EXPECT_THAT(r.output, HasSubstr("to-err\n"));
  EXPECT_THAT(r.output, HasSubstr("more-out\n"));
  EXPECT_EQ(r.output.size(), r.stdout_text.size() + std::string("to-err\n").size());
  EXPECT_EQ(r.stdout_text, "to-out\nmore-out\n");
  EXPECT_FALSE(r.output_truncated);
}

TEST_F(RunScriptTest, PassesArgumentsVerbatim) {
  ScriptResult r = Run({Script("args", "printf '%s|' \"$@\""), "a b", "", "c*"});
  EXPECT_EQ(r.stdout_text, "a b||c*|");
}

TEST_F(RunScriptTest, EnvironmentIsInheritedAndExtended) {
  setenv("TACHY_TEST_INHERITED", "from-parent", 1);
  setenv("TACHY_TEST_OVERRIDDEN", "old", 1);
  ScriptResult r = Run({Script("env", "echo \"$TACHY_TEST_INHERITED $TACHY_TEST_OVERRIDDEN $EXTRA\"; "
                                      "env | grep -c '^TACHY_TEST_OVERRIDDEN='")},
                       absl::Seconds(5),
                       {"TACHY_TEST_OVERRIDDEN=new", "EXTRA=first", "EXTRA=a=b c"});
  unsetenv("TACHY_TEST_INHERITED");
  unsetenv("TACHY_TEST_OVERRIDDEN");
  EXPECT_EQ(r.stdout_text, "from-parent new a=b c\n1\n");
}

TEST_F(RunScriptTest, StdinIsDevNull) {
  ScriptResult r = Run({Script("cat", "cat; echo done")}, absl::Seconds(2));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.stdout_text, "done\n");
}

TEST_F(RunScriptTest, RunsInItsOwnProcessGroup) {
  ScriptResult r = Run({Script("pg", "cut -d' ' -f5 /proc/$$/stat; echo $$")});
  ASSERT_TRUE(r.success());
  std::istringstream lines(r.stdout_text);
  std::string pgid, pid;
  lines >> pgid >> pid;
  EXPECT_EQ(pgid, pid);
  EXPECT_NE(pgid, std::to_string(getpgrp()));
}

TEST_F(RunScriptTest, KilledBySignal) {
  ScriptResult r = Run({Script("suicide", "kill -KILL $$")});
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.success());
}

TEST_F(RunScriptTest, TimeoutTerminatesTheScript) {
  ScriptResult r = Run({Script("slow", "echo begun; exec sleep 30")}, absl::Milliseconds(200));
  EXPECT_TRUE(r.started);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_FALSE(r.success());
  EXPECT_EQ(r.stdout_text, "begun\n");
  // Not before the timeout; and SIGTERM above says it was not the SIGKILL
  // a grace period later.
  EXPECT_GE(r.elapsed, absl::Milliseconds(200));
}

TEST_F(RunScriptTest, TimeoutKillsTheWholeProcessGroup) {
  ScriptResult r = Run({Script("forks", "sleep 30 & echo $! > " + dir_ + "/child.pid; sleep 30")},
                       absl::Milliseconds(200));
  EXPECT_TRUE(r.timed_out);
  pid_t child = ReadPid("child.pid");
  ASSERT_GT(child, 0);
  EXPECT_TRUE(ProcessDead(child)) << "background child " << child << " survived the timeout";
  EXPECT_EQ(r.signal, SIGTERM);
}

TEST_F(RunScriptTest, SigkillAfterGraceWhenTermIsIgnored) {
  ScriptResult r = Run({Script("stubborn", "trap '' TERM; sleep 30 & echo $! > " + dir_ +
                                               "/child.pid; while :; do sleep 1; done")},
                       absl::Milliseconds(100));
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_GE(r.elapsed, absl::Milliseconds(1100));  // the timeout, then the grace
  pid_t child = ReadPid("child.pid");
  ASSERT_GT(child, 0);
  EXPECT_TRUE(ProcessDead(child));
}

TEST_F(RunScriptTest, BlockedSignalsAreNotInherited) {
  // A daemon that blocks SIGTERM (for signalfd) must still be able to stop a
  // timed-out script with SIGTERM, without waiting for the SIGKILL grace.
  ScriptResult r;
  std::thread t([&] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    r = Run({Script("slow", "exec sleep 30")}, absl::Milliseconds(100));
  });
  t.join();
  EXPECT_TRUE(r.timed_out);
  // SIGTERM, not the SIGKILL that ends the grace: the mask was not inherited.
  EXPECT_EQ(r.signal, SIGTERM);
}

TEST_F(RunScriptTest, BackgroundChildHoldingThePipesDoesNotBlock) {
  // A start script that leaves a daemon behind with our stdout: the result
  // comes back when the script exits, and the daemon is left running.
  ScriptResult r = Run({Script("daemon", "sleep 30 & echo $! > " + dir_ + "/child.pid; echo started")},
                       absl::Seconds(5));
  // Done when the script exited, not at the 5 s timeout the held pipes
  // would otherwise run into.
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.success());
  EXPECT_EQ(r.stdout_text, "started\n");
  pid_t child = ReadPid("child.pid");
  ASSERT_GT(child, 0);
  EXPECT_EQ(kill(child, 0), 0) << "a successful script's children must not be killed";
  kill(child, SIGKILL);
}

TEST_F(RunScriptTest, NonexistentProgram) {
  ScriptResult r = Run({dir_ + "/missing"});
  EXPECT_FALSE(r.started);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_THAT(r.error, HasSubstr(dir_ + "/missing"));
  EXPECT_THAT(r.error, HasSubstr("No such file"));
}

TEST_F(RunScriptTest, BareNameIsLookedUpInPath) {
  ScriptResult ok = Run({"true"});
  EXPECT_TRUE(ok.success());
  ScriptResult missing = Run({"tachy-no-such-program-xyz"});
  EXPECT_FALSE(missing.started);
  EXPECT_THAT(missing.error, HasSubstr("tachy-no-such-program-xyz"));
}

TEST_F(RunScriptTest, NotExecutable) {
  std::string path = Script("noexec", "exit 0");
  chmod(path.c_str(), 0644);
  ScriptResult r = Run({path});
  EXPECT_FALSE(r.started);
  EXPECT_THAT(r.error, HasSubstr("Permission denied"));
}

TEST_F(RunScriptTest, EmptyArgv) {
  ScriptResult r = Run({});
  EXPECT_FALSE(r.started);
  EXPECT_FALSE(r.error.empty());
}

TEST_F(RunScriptTest, LargeOutputKeepsTheTail) {
  ScriptResult r = Run({Script("big", "echo first; head -c 300000 /dev/zero | tr '\\0' x; echo; echo END")});
  EXPECT_TRUE(r.success());
  EXPECT_TRUE(r.output_truncated);
  EXPECT_EQ(r.output.size(), kMaxScriptOutput);
  EXPECT_EQ(r.stdout_text.size(), kMaxScriptOutput);
  EXPECT_TRUE(absl::EndsWith(r.stdout_text, "xxx\nEND\n"));
  EXPECT_EQ(r.output, r.stdout_text);
  EXPECT_FALSE(absl::StrContains(r.output, "first"));
}

TEST_F(RunScriptTest, LargeStderrIsCappedToo) {
  // Order between the two pipes is only as precise as the reads, so this
  // checks sizes, not positions.
  ScriptResult r = Run({Script("bigerr", "echo out; head -c 200000 /dev/zero | tr '\\0' y >&2")});
  EXPECT_TRUE(r.success());
  EXPECT_TRUE(r.output_truncated);
  EXPECT_EQ(r.output.size(), kMaxScriptOutput);
  EXPECT_EQ(r.stdout_text, "out\n");
}

TEST_F(RunScriptTest, ConcurrentCallsFromThreads) {
  // Each call waits (up to its timeout) for the other to have started: run
  // one after the other, the first would time out without its output.
  std::string path = Script("meet", "touch " + dir_ + "/$1; i=0; while [ ! -e " + dir_ +
                                        "/$2 ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); "
                                        "done; [ -e " + dir_ + "/$2 ] && echo \"$1\"");
  ScriptResult a, b;
  std::thread ta([&] { a = Run({path, "A", "B"}, absl::Seconds(5)); });
  std::thread tb([&] { b = Run({path, "B", "A"}, absl::Seconds(5)); });
  ta.join();
  tb.join();
  EXPECT_EQ(a.stdout_text, "A\n");
  EXPECT_EQ(b.stdout_text, "B\n");
  EXPECT_TRUE(a.success() && b.success());
}

TEST_F(RunScriptTest, ZeroTimeoutTimesOutAtOnce) {
  ScriptResult r = Run({Script("slow", "exec sleep 30")}, absl::ZeroDuration());
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, SIGTERM);
}

TEST_F(RunScriptTest, LeavesNoZombies) {
  Run({Script("ok", "exit 0")});
  Run({Script("fail", "echo x; exit 1")});
  Run({Script("suicide", "kill -KILL $$")});
  Run({Script("slow", "exec sleep 30")}, absl::Milliseconds(50));
  Run({dir_ + "/missing"});
  errno = 0;
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

// The runner is a child subreaper: a daemon a script leaves behind is
// adopted by us when the script exits, and must be reaped when it dies (not
// left a zombie an LSB `kill -0` check takes for "running"), while scripts
// RunScript is running are never reaped behind its back.
TEST(ReapOrphansTest, ReapsAdoptedDaemonsButNeverARunningScript) {
  const pid_t test = fork();  // the subreaper flag stays in this child
  ASSERT_GE(test, 0);
  if (test == 0) {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) _exit(10);
    ScriptCall daemon;
    daemon.argv = {"/bin/sh", "-c", "sleep 0.2 </dev/null >/dev/null 2>&1 & echo $!"};
    const ScriptResult d = RunScript(daemon);
    int orphan = 0;
    if (!d.success() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(d.stdout_text), &orphan)) {
      _exit(11);
    }
    // Scripts keep running and ending meanwhile; a sweep must not take them.
    std::atomic<bool> done{false};
    std::thread sweeper([&] {
      while (!done) ReapOrphans();
    });
    bool scripts_ok = true;
    for (int i = 0; i < 30; ++i) {
      ScriptCall c;
      c.argv = {"/bin/sh", "-c", absl::StrCat("exit ", i % 7)};
      const ScriptResult r = RunScript(c);
      scripts_ok = scripts_ok && r.exit_code == i % 7;
    }
    // The adopted daemon ended (0.2 s) and is gone, not a zombie.
    bool gone = false;
    for (int i = 0; i < 300 && !gone; ++i) {
      gone = access(absl::StrCat("/proc/", orphan).c_str(), F_OK) != 0;
      usleep(10000);
    }
    done = true;
    sweeper.join();
    _exit(!scripts_ok ? 12 : !gone ? 13 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(test, &status, 0), test);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: no subreaper, 11: no daemon pid, 12: a script's "
                                       "exit code was lost, 13: the daemon stayed a zombie";
}

}  // namespace
}  // namespace tachy
