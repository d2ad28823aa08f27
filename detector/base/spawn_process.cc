#include "detector/base/spawn_process.h"

#include <signal.h>
#include <spawn.h>

namespace tachy {
namespace {

// posix_spawn's attribute and file-action objects, destroyed on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Returns 0 or an errno value.
  int Init(const SpawnOptions& options) {
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (options.own_process_group) flags |= POSIX_SPAWN_SETPGROUP;
    int rc = posix_spawnattr_setflags(&attr_, flags);
    if (rc == 0 && options.own_process_group) rc = posix_spawnattr_setpgroup(&attr_, 0);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&attr_, &empty);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attr_, &all);
    const int stdio[3] = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
    for (int target = 0; target < 3 && rc == 0; ++target) {
      if (stdio[target] >= 0) {
        rc = posix_spawn_file_actions_adddup2(&actions_, stdio[target], target);
      }
    }
    if (rc == 0 && options.close_other_fds) {
      rc = posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    }
    return rc;
  }

  const posix_spawnattr_t* attr() const { return &attr_; }
  const posix_spawn_file_actions_t* actions() const { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

}  // namespace

int SpawnProcess(const char* program, char* const argv[], char* const envp[],
                 const SpawnOptions& options, pid_t* pid) {
  SpawnSetup setup;
  if (const int rc = setup.Init(options); rc != 0) return rc;
  return posix_spawnp(pid, program, setup.actions(), setup.attr(), argv, envp);
}

}  // namespace tachy
