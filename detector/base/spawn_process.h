// spawn_process.h: how tachy's daemons start a child (tachyd its action runner, the
// runner a resource script): posix_spawnp with the signal state reset, and
// optionally its own process group and stdio.
#ifndef TACHY_DETECTOR_BASE_SPAWN_PROCESS_H_
#define TACHY_DETECTOR_BASE_SPAWN_PROCESS_H_

#include <sys/types.h>

namespace tachy {

struct SpawnOptions {
  // Its own process group, so the whole tree it forks can be signalled.
  bool own_process_group = false;
  // Descriptors to put at 0, 1 and 2; -1 inherits ours.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Close every descriptor above 2 in the child: ours are O_CLOEXEC, but
  // those libraries open may not be.
  bool close_other_fds = false;
};

// SpawnProcess()
//
// posix_spawnp(program, argv, envp) as `options` say. The child's signal
// mask is emptied and every signal's disposition reset to the default: the
// daemons block signals for their signalfd and ignore SIGPIPE, and a child
// that inherited either would not stop on SIGTERM or would misbehave on a
// closed pipe. Returns 0 (and *pid) or an errno value. glibc's posix_spawn
// uses clone(CLONE_VM|CLONE_VFORK): cheap for a large parent, safe with
// threads, and exec failures come back as the return value.
int SpawnProcess(const char* program, char* const argv[], char* const envp[],
                 const SpawnOptions& options, pid_t* pid);

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_SPAWN_PROCESS_H_
