#include "actions/resource_processes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tachy {
namespace {

// The whole of a small /proc file; false if it cannot be read.
bool ReadSmallFile(const std::string& path, std::string* out) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  out->clear();
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > (1u << 20)) return true;  // an environment is far smaller
  }
}

bool EnvironHas(const std::string& environ_text, absl::string_view mark) {
  size_t at = 0;
  while (at < environ_text.size()) {
    size_t end = environ_text.find('\0', at);
    if (end == std::string::npos) end = environ_text.size();
    if (absl::string_view(environ_text).substr(at, end - at) == mark) return true;
    at = end + 1;
  }
  return false;
}

// State and parent from /proc/PID/stat: "pid (comm) S ppid ...", where comm
// may hold spaces and parentheses, so the fields start after the last ')'.
bool ReadStat(const std::string& dir, char* state, pid_t* ppid) {
  std::string stat;
  if (!ReadSmallFile(dir + "/stat", &stat)) return false;
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 > stat.size()) return false;
  *state = stat[close + 2];
  const size_t start = close + 4;
  const size_t end = stat.find(' ', start);
  int parent = 0;
  if (!absl::SimpleAtoi(absl::string_view(stat).substr(start, end - start), &parent)) return false;
  *ppid = parent;
  return true;
}

}  // namespace

std::string ResourceMark(absl::string_view node, absl::string_view group_key,
                         absl::string_view token) {
  return absl::StrCat("TACHY_RESOURCE=", node, " ", group_key, " ", token);
}

std::vector<MarkedProcess> FindMarkedProcesses(absl::string_view mark,
                                               const std::string& proc_root) {
  std::vector<MarkedProcess> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(proc_root.c_str()), closedir);
  if (dir == nullptr) return out;
  std::string environ_text;
  while (const dirent* e = readdir(dir.get())) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid) || pid <= 0) continue;
    const std::string path = absl::StrCat(proc_root, "/", e->d_name);
    if (!ReadSmallFile(path + "/environ", &environ_text) || !EnvironHas(environ_text, mark)) {
      continue;
    }
    char state = '?';
    pid_t ppid = 0;
    if (!ReadStat(path, &state, &ppid) || state == 'Z' || state == 'X') continue;
    out.push_back({pid, ppid});
  }
  std::sort(out.begin(), out.end(),
            [](const MarkedProcess& a, const MarkedProcess& b) { return a.pid < b.pid; });
  return out;
}

std::vector<pid_t> MainProcesses(const std::vector<MarkedProcess>& marked) {
  std::set<pid_t> pids;
  for (const MarkedProcess& p : marked) pids.insert(p.pid);
  std::vector<pid_t> out;
  for (const MarkedProcess& p : marked) {
    if (!pids.contains(p.ppid)) out.push_back(p.pid);
  }
  return out;
}

bool HasMark(pid_t pid, absl::string_view mark, const std::string& proc_root) {
  std::string environ_text;
  return ReadSmallFile(absl::StrCat(proc_root, "/", pid, "/environ"), &environ_text) &&
         EnvironHas(environ_text, mark);
}

absl::StatusOr<UniqueFd> OpenPidfd(pid_t pid) {
  // The raw syscall: Debian 12's <sys/pidfd.h> lacks C linkage for C++.
  // pidfds are close-on-exec from birth.
  UniqueFd fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, absl::StrCat("pidfd_open(", pid, ")"));
  return fd;
}

bool SignalPidfd(int pidfd, int sig) {
  return syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

}  // namespace tachy
