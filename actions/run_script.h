// run_script.h: run one external program with a timeout, capturing output.
//
// RunScript() is what every resource operation ends in: it starts the program
// in its own process group with stdin from /dev/null, collects stdout and
// stderr, and on timeout kills the whole group (SIGTERM, then SIGKILL 1 s
// later), so a script that forked helpers leaves nothing behind.
#ifndef TACHY_ACTIONS_RUN_SCRIPT_H_
#define TACHY_ACTIONS_RUN_SCRIPT_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tachy {

// Output beyond this many bytes is dropped from the front: the tail is what
// explains a failure.
inline constexpr size_t kMaxScriptOutput = 64 * 1024;

struct ScriptCall {
  // argv[0] is the program: a path, or a bare name looked up in PATH.
  std::vector<std::string> argv;
  // "NAME=value" entries added to (and overriding) the current environment.
  std::vector<std::string> env;
  // absl::InfiniteDuration() waits forever; zero or less times out at once.
  absl::Duration timeout = absl::Seconds(30);
};

struct ScriptResult {
  bool started = false;   // false: could not be started; see `error`
  int exit_code = -1;     // -1 if not started, killed by a signal or not reaped
  int signal = 0;         // the signal that ended it, else 0
  bool timed_out = false; // the timeout expired and the group was killed
  absl::Duration elapsed; // from spawn to reap
  // stdout and stderr interleaved in the order they were read (exact within
  // each stream, approximate between them), last kMaxScriptOutput bytes.
  std::string output;
  std::string stdout_text;  // stdout alone, last kMaxScriptOutput bytes
  bool output_truncated = false;  // either text lost bytes from its front
  std::string error;  // why it could not start, e.g. "cannot run /x: No such file or directory"

  // Exited normally with status 0.
  bool success() const { return started && !timed_out && signal == 0 && exit_code == 0; }
};

// RunScript()
//
// Runs `call.argv` and blocks until it exits or `call.timeout` passes; then
// reaps it, so no zombie is left. Output written after the program exited (by
// a background child still holding the pipes) is not waited for. On success
// the process group is left alone: a start script may leave a daemon in it.
//
// Thread-safe: no global state is touched besides reading `environ` (do not
// call setenv() concurrently) and the set of running scripts that
// ReapOrphans() consults; the process must not reap children it did not
// start otherwise (SIGCHLD not ignored, no waitpid(-1) elsewhere).
ScriptResult RunScript(const ScriptCall& call);

// ReapOrphans()
//
// For a process that is a child subreaper (PR_SET_CHILD_SUBREAPER): a
// daemon a script started becomes our child when it detaches, and a zombie
// of ours when it dies. Reaps every exited child that is not a script
// RunScript is running (those it reaps itself), so none lingers, and an LSB
// script's `kill -0 $(cat pidfile)` does not find a dead daemon "running".
// Returns how many were reaped. Thread-safe.
int ReapOrphans();

}  // namespace tachy

#endif  // TACHY_ACTIONS_RUN_SCRIPT_H_
