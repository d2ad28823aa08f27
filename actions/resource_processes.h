// resource_processes.h: the processes a resource's scripts left running.
//
// Every script call of a resource carries one mark in its environment,
// TACHY_RESOURCE=<node> <group key> <resource token>, and so does every process it
// starts: a daemon inherits its starter's environment, keeps it in
// /proc/PID/environ whatever it forks or however often it detaches, and a
// restarted tachy-actions finds it again by that mark alone. That tells, for
// a plain LSB script with no pid file and no service manager, which
// processes are the service: the main ones (whose parent is not marked: the
// daemon, not its workers) are watched with a pidfd, so a service that dies
// is noticed in the wake-up its process exits in; all of them are killed
// before a restart, so no orphaned worker still holds the port the new
// daemon wants.
#ifndef TACHY_ACTIONS_RESOURCE_PROCESSES_H_
#define TACHY_ACTIONS_RESOURCE_PROCESSES_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/base/unique_fd.h"

namespace tachy {

// ResourceMark()
//
// The environment entry "TACHY_RESOURCE=<node> <group key> <token>". The
// node name keeps apart nodes that share one process table (containers or
// namespaces on one host, like the lab's).
std::string ResourceMark(absl::string_view node, absl::string_view group_key,
                         absl::string_view token);

struct MarkedProcess {
  pid_t pid = 0;
  pid_t ppid = 0;
};

// FindMarkedProcesses()
//
// Every live (not zombie) process under `proc_root` whose environment holds
// `mark` as one whole entry, in pid order. Processes that vanish or cannot be
// read meanwhile are skipped. Reads two small files per process: a few
// milliseconds, for a worker thread, never the takeover path.
std::vector<MarkedProcess> FindMarkedProcesses(absl::string_view mark,
                                               const std::string& proc_root = "/proc");

// MainProcesses()
//
// The pids in `marked` whose parent is not in `marked`.
std::vector<pid_t> MainProcesses(const std::vector<MarkedProcess>& marked);

// HasMark()
//
// Whether process `pid` (under `proc_root`) carries `mark` now: to check,
// after pidfd_open(), that the pid was not reused since it was found.
bool HasMark(pid_t pid, absl::string_view mark, const std::string& proc_root = "/proc");

// OpenPidfd()
//
// A pidfd for `pid` (pidfd_open(2), close-on-exec): readable once the
// process exits.
absl::StatusOr<UniqueFd> OpenPidfd(pid_t pid);

// SignalPidfd()
//
// Sends `sig` to the process of `pidfd` (no pid-reuse race); false on error.
bool SignalPidfd(int pidfd, int sig);

}  // namespace tachy

#endif  // TACHY_ACTIONS_RESOURCE_PROCESSES_H_
