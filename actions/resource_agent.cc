#include "actions/resource_agent.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "actions/run_script.h"
#include "detector/base/unique_fd.h"
#include "detector/base/format.h"

namespace tachy {
namespace {

// OCF return codes (OCF RA API 1.0).
constexpr int kOcfSuccess = 0;
constexpr int kOcfNotRunning = 7;

constexpr size_t kMaxDetailText = 200;
constexpr int kMaxDetailLines = 3;

// The last few non-blank lines of `output`, trimmed and joined with " | ",
// at most kMaxDetailText characters: the part of a script's output that says
// why it failed.
std::string LastLines(absl::string_view output) {
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(output, absl::ByAnyChar("\r\n"))) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.empty()) return "";
  absl::string_view last = lines.back();
  if (last.size() > kMaxDetailText) {
    return absl::StrCat(last.substr(0, kMaxDetailText - 3), "...");
  }
  size_t first = lines.size() - 1;
  size_t total = last.size();
  while (first > 0 && lines.size() - first < kMaxDetailLines &&
         total + 3 + lines[first - 1].size() <= kMaxDetailText) {
    --first;
    total += 3 + lines[first].size();
  }
  return absl::StrJoin(lines.begin() + static_cast<ptrdiff_t>(first), lines.end(), " | ");
}

// One line for the log: how the run ended, how long it took, and the tail of
// what it printed.
std::string Summarize(const ScriptResult& r, absl::Duration timeout) {
  if (!r.started) return r.error;
  std::string text;
  if (r.timed_out) {
    text = absl::StrFormat("timed out after %d ms (killed)", absl::ToInt64Milliseconds(timeout));
  } else if (r.signal != 0) {
    const char* abbrev = sigabbrev_np(r.signal);
    text = absl::StrFormat("killed by %s after %.1f ms",
                           abbrev ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", r.signal),
                           absl::ToDoubleMilliseconds(r.elapsed));
  } else {
    text = absl::StrFormat("exit %d after %.1f ms", r.exit_code,
                           absl::ToDoubleMilliseconds(r.elapsed));
  }
  std::string tail = LastLines(r.output);
  if (!tail.empty()) absl::StrAppend(&text, ": ", tail);
  return text;
}

OpResult ToOpResult(const ScriptResult& r, absl::Duration timeout) {
  OpResult op;
  op.ok = r.success();
  op.elapsed = r.elapsed;
  op.detail = Summarize(r, timeout);
  return op;
}

// Whether the run itself went wrong (as opposed to reporting a state).
bool QueryFailed(const ScriptResult& r) { return !r.started || r.timed_out || r.signal != 0; }

ResourceStatus Report(ResourceStatus status, const ScriptResult& r, absl::Duration timeout,
                      OpResult* result) {
  if (result != nullptr) {
    *result = ToOpResult(r, timeout);
    result->ok = status != ResourceStatus::kFailed;
  }
  return status;
}

// "" if `st` (of `path`) is owned by root or by us and writable by nobody
// else, else why not (`what`: "the script", "its directory").
std::string UnsafeToRunAsUs(const std::string& path, const struct stat& st, const char* what) {
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return absl::StrFormat("%s %s is owned by uid %d (not root): refusing to run it as root; "
                           "chown root it",
                           what, path, static_cast<int>(st.st_uid));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::StrFormat("%s %s is writable by group or others (mode %04o): refusing to run "
                           "it as root; chmod go-w it",
                           what, path, st.st_mode & 07777);
  }
  return "";
}

// "" if `path` is a regular file we may execute, else why not.
std::string NotExecutableReason(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoText(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (access(path.c_str(), X_OK) != 0) return "not executable";
  // It runs as root: whoever may change it, or swap it in its directory,
  // could run anything as root.
  if (std::string why = UnsafeToRunAsUs(path, st, "the script"); !why.empty()) return why;
  const std::string dir = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  struct stat dst;
  if (!dir.empty() && stat(dir.c_str(), &dst) == 0) {
    // A sticky directory (/tmp) lets nobody replace another's file.
    if ((dst.st_mode & S_ISVTX) == 0) {
      if (std::string why = UnsafeToRunAsUs(dir, dst, "its directory"); !why.empty()) return why;
    }
  }
  return "";
}

// A name that becomes one path component (script, OCF provider/agent/instance).
bool IsPathComponent(absl::string_view name) {
  return !name.empty() && name != "." && name != ".." && !absl::StrContains(name, '/') &&
         !absl::StrContains(name, '\0');
}

bool IsEnvName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

// The resource as written; rebuilt from name and args when the token is empty
// (e.g. a Resource built by hand).
std::string Spec(const Resource& resource) {
  if (!resource.token.empty()) return resource.token;
  if (resource.args.empty()) return resource.name;
  return absl::StrCat(resource.name, "::", absl::StrJoin(resource.args, "::"));
}

// Runs `argv` with `env`; the base of all three agent kinds.
class AgentBase : public ResourceAgent {
 public:
  AgentBase(std::string token, std::vector<std::string> env)
      : token_(std::move(token)), env_(std::move(env)) {}
  const std::string& name() const override { return token_; }

 protected:
  ScriptResult Run(std::vector<std::string> argv, absl::Duration timeout) const {
    ScriptCall call;
    call.argv = std::move(argv);
    call.env = env_;
    call.timeout = timeout;
    return RunScript(call);
  }

 private:
  std::string token_;
  std::vector<std::string> env_;
};

// Heartbeat resource.d / init.d script: `<script> [args...] start|stop|status`.
class ScriptAgent : public AgentBase {
 public:
  ScriptAgent(std::string token, std::vector<std::string> env, std::string path,
              std::vector<std::string> args)
      : AgentBase(std::move(token), std::move(env)), path_(std::move(path)), args_(std::move(args)) {}

  OpResult Start(absl::Duration timeout) override { return ToOpResult(Call("start", timeout), timeout); }
  OpResult Stop(absl::Duration timeout) override { return ToOpResult(Call("stop", timeout), timeout); }

  ResourceStatus Status(absl::Duration timeout, OpResult* result) override {
    ScriptResult r = Call("status", timeout);
    // Heartbeat ignores the exit code and reads stdout only (stderr goes to
    // /dev/null in ResourceManager's `we_own_resource`).
    ResourceStatus status = QueryFailed(r) ? ResourceStatus::kFailed
                            : HeartbeatStatusRunning(r.stdout_text) ? ResourceStatus::kRunning
                                                                    : ResourceStatus::kStopped;
    return Report(status, r, timeout, result);
  }

 private:
  ScriptResult Call(const char* op, absl::Duration timeout) const {
    std::vector<std::string> argv;
    argv.reserve(args_.size() + 2);
    argv.push_back(path_);
    argv.insert(argv.end(), args_.begin(), args_.end());
    argv.push_back(op);
    return Run(std::move(argv), timeout);
  }

  std::string path_;
  std::vector<std::string> args_;
};

class SystemdAgent : public AgentBase {
 public:
  SystemdAgent(std::string token, std::vector<std::string> env, std::string systemctl,
               std::string unit)
      : AgentBase(std::move(token), std::move(env)),
        systemctl_(std::move(systemctl)),
        unit_(std::move(unit)) {}

  OpResult Start(absl::Duration timeout) override {
    return ToOpResult(Run({systemctl_, "start", unit_}, timeout), timeout);
  }
  OpResult Stop(absl::Duration timeout) override {
    return ToOpResult(Run({systemctl_, "stop", unit_}, timeout), timeout);
  }
  ResourceStatus Status(absl::Duration timeout, OpResult* result) override {
    ScriptResult r = Run({systemctl_, "is-active", "--quiet", unit_}, timeout);
    // is-active exits 0 for active and non-zero (3) for inactive, failed or
    // unknown units: all of those mean "not running here".
    ResourceStatus status = QueryFailed(r)       ? ResourceStatus::kFailed
                            : r.exit_code == 0 ? ResourceStatus::kRunning
                                               : ResourceStatus::kStopped;
    return Report(status, r, timeout, result);
  }
  pid_t ManagerMainPid(absl::Duration timeout) override {
    ScriptResult r = Run({systemctl_, "show", "-p", "MainPID", "--value", unit_}, timeout);
    int pid = 0;
    if (!r.success() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(r.stdout_text), &pid)) {
      return 0;
    }
    return pid > 0 ? pid : 0;
  }

 private:
  std::string systemctl_;
  std::string unit_;
};

// OCF resource agent: `<agent> start|stop|monitor`, parameters in the
// environment.
class OcfAgent : public AgentBase {
 public:
  OcfAgent(std::string token, std::vector<std::string> env, std::string path)
      : AgentBase(std::move(token), std::move(env)), path_(std::move(path)) {}

  OpResult Start(absl::Duration timeout) override {
    return ToOpResult(Run({path_, "start"}, timeout), timeout);
  }
  // OCF requires stop of a stopped resource to succeed, so exit 0 is the
  // only success here too.
  OpResult Stop(absl::Duration timeout) override {
    return ToOpResult(Run({path_, "stop"}, timeout), timeout);
  }
  ResourceStatus Status(absl::Duration timeout, OpResult* result) override {
    ScriptResult r = Run({path_, "monitor"}, timeout);
    ResourceStatus status = ResourceStatus::kFailed;
    if (!QueryFailed(r) && r.exit_code == kOcfSuccess) status = ResourceStatus::kRunning;
    if (!QueryFailed(r) && r.exit_code == kOcfNotRunning) status = ResourceStatus::kStopped;
    return Report(status, r, timeout, result);
  }

 private:
  std::string path_;
};

// Parses the NAME=value lines of a Heartbeat OCF instance file into
// OCF_RESKEY_NAME=value entries. The file is shell (sourced by Heartbeat's
// resource.d/OCF), so "export " prefixes and surrounding quotes are accepted;
// names already spelled OCF_RESKEY_x are kept as they are.
absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(what, " ", path, ": ", ErrnoText(err)));
    return absl::ErrnoToStatus(err, absl::StrCat("open ", what, " ", path));
  }
  std::string text;
  char buf[4096];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return text;
    } else if (errno != EINTR) {
      return absl::ErrnoToStatus(errno, absl::StrCat("read ", what, " ", path));
    }
  }
}

absl::StatusOr<std::vector<std::string>> ReadOcfInstanceFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path, "OCF instance file");
  if (!text.ok()) return text.status();
  std::vector<std::string> env;
  int line_no = 0;
  for (absl::string_view raw : absl::StrSplit(*text, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line[0] == '#') continue;
    if (absl::ConsumePrefix(&line, "export")) {
      if (line.empty() || !absl::ascii_isspace(static_cast<unsigned char>(line[0]))) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_no, ": expected NAME=value"));
      }
      line = absl::StripLeadingAsciiWhitespace(line);
    }
    size_t eq = line.find('=');
    absl::string_view name = eq == absl::string_view::npos ? line : line.substr(0, eq);
    if (eq == absl::string_view::npos || !IsEnvName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no, ": expected NAME=value, got \"", line, "\""));
    }
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    env.push_back(absl::StartsWith(name, "OCF_RESKEY_") ? absl::StrCat(name, "=", value)
                                                        : absl::StrCat("OCF_RESKEY_", name, "=", value));
  }
  return env;
}

// OCF_RESOURCE_INSTANCE for the tachy form, which has no instance name: the
// agent plus its parameter values, reduced to characters that are safe in the
// file names agents build from it (state files under HA_RSCTMP).
std::string InstanceName(absl::string_view agent, const std::vector<std::string>& params) {
  std::string name(agent);
  for (const std::string& p : params) {
    absl::string_view value = p;
    size_t eq = value.find('=');
    if (eq != absl::string_view::npos) value = value.substr(eq + 1);
    name.push_back('_');
    for (char c : value) {
      name.push_back(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-'
                         ? c
                         : '_');
    }
  }
  return name;
}

absl::StatusOr<std::unique_ptr<ResourceAgent>> MakeScriptAgent(const Resource& resource,
                                                              const AgentDirs& dirs) {
  if (!IsPathComponent(resource.name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource ", Spec(resource), ": bad script name \"", resource.name, "\""));
  }
  // ResourceManager `scriptpath`: resource.d first, then init.d.
  std::vector<std::string> tried;
  for (const std::string& dir : {dirs.resource_dir, dirs.init_dir}) {
    std::string path = absl::StrCat(dir, "/", resource.name);
    std::string why = NotExecutableReason(path);
    if (why.empty()) {
      std::vector<std::string> env = {absl::StrCat("OCF_ROOT=", dirs.ocf_root),
                                      absl::StrCat("HA_DIR=", dirs.config_dir)};
      env.insert(env.end(), dirs.env.begin(), dirs.env.end());
      return std::make_unique<ScriptAgent>(Spec(resource), std::move(env), std::move(path),
                                           resource.args);
    }
    tried.push_back(absl::StrCat(path, " (", why, ")"));
  }
  return absl::NotFoundError(absl::StrCat("resource script \"", resource.name,
                                          "\" not found: tried ", absl::StrJoin(tried, ", ")));
}

// The systemctl binary, checked like a script so a missing one is reported
// at configuration time rather than at the first failover.
absl::Status CheckSystemctl(const std::string& systemctl) {
  if (absl::StrContains(systemctl, '/')) {
    std::string why = NotExecutableReason(systemctl);
    if (why.empty()) return absl::OkStatus();
    return absl::NotFoundError(absl::StrCat("systemctl ", systemctl, ": ", why));
  }
  const char* path_env = getenv("PATH");
  absl::string_view path_list = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::vector<std::string> tried;
  for (absl::string_view dir : absl::StrSplit(path_list, ':')) {
    if (dir.empty()) dir = ".";
    std::string candidate = absl::StrCat(dir, "/", systemctl);
    if (NotExecutableReason(candidate).empty()) return absl::OkStatus();
    tried.push_back(std::move(candidate));
  }
  return absl::NotFoundError(
      absl::StrCat(systemctl, " not found in PATH: tried ", absl::StrJoin(tried, ", ")));
}

absl::StatusOr<std::unique_ptr<ResourceAgent>> MakeSystemdAgent(const Resource& resource,
                                                               const AgentDirs& dirs) {
  // "systemd::unit"; a hand-built Resource may also carry just the unit name.
  std::string spec = Spec(resource);
  std::vector<std::string> parts = absl::StrSplit(spec, "::");
  std::string unit;
  if (parts.size() == 2 && absl::EqualsIgnoreCase(parts[0], "systemd")) {
    unit = parts[1];
  } else if (parts.size() == 1) {
    unit = parts[0];
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("resource ", spec, ": expected systemd::<unit>"));
  }
  // A leading '-' would make systemctl read the unit as an option.
  if (unit.empty() || unit[0] == '-' || absl::StrContains(unit, '/')) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource ", spec, ": bad systemd unit \"", unit, "\""));
  }
  if (absl::Status s = CheckSystemctl(dirs.systemctl); !s.ok()) return s;
  return std::make_unique<SystemdAgent>(spec, dirs.env, dirs.systemctl, std::move(unit));
}

absl::StatusOr<std::unique_ptr<ResourceAgent>> MakeOcfAgent(const Resource& resource,
                                                           const AgentDirs& dirs) {
  std::string spec = Spec(resource);
  std::vector<std::string> parts = absl::StrSplit(spec, "::");
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("resource ", spec, ": ", why));
  };
  std::string provider, agent, instance;
  std::vector<std::string> params;  // OCF_RESKEY_x=v
  if (parts[0] == "OCF") {
    // Heartbeat form OCF::<agent>::<instance> (DEB /etc/ha.d/resource.d/OCF).
    if (parts.size() != 3) return bad("expected OCF::<agent>::<instance>");
    provider = "heartbeat";
    agent = parts[1];
    instance = parts[2];
    if (!IsPathComponent(agent)) return bad(absl::StrCat("bad OCF agent \"", agent, "\""));
    if (!IsPathComponent(instance)) return bad(absl::StrCat("bad OCF instance \"", instance, "\""));
    absl::StatusOr<std::vector<std::string>> from_file = ReadOcfInstanceFile(
        absl::StrCat(dirs.config_dir, "/conf/OCF/", agent, "/", instance));
    if (!from_file.ok()) return from_file.status();
    params = *std::move(from_file);
  } else if (absl::StartsWithIgnoreCase(parts[0], "ocf:")) {
    // tachy form ocf:<provider>:<agent>::k=v::k=v.
    std::vector<std::string> head = absl::StrSplit(parts[0], ':');
    if (head.size() != 3) return bad("expected ocf:<provider>:<agent>[::name=value...]");
    provider = head[1];
    agent = head[2];
    if (!IsPathComponent(provider)) return bad(absl::StrCat("bad OCF provider \"", provider, "\""));
    if (!IsPathComponent(agent)) return bad(absl::StrCat("bad OCF agent \"", agent, "\""));
    std::vector<std::string> raw(parts.begin() + 1, parts.end());
    for (const std::string& kv : raw) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos || !IsEnvName(absl::string_view(kv).substr(0, eq))) {
        return bad(absl::StrCat("expected name=value, got \"", kv, "\""));
      }
      params.push_back(absl::StrCat("OCF_RESKEY_", kv));
    }
    instance = InstanceName(agent, raw);
  } else {
    return bad("expected OCF::<agent>::<instance> or ocf:<provider>:<agent>[::name=value...]");
  }

  std::string path = absl::StrCat(dirs.ocf_root, "/resource.d/", provider, "/", agent);
  if (std::string why = NotExecutableReason(path); !why.empty()) {
    return absl::NotFoundError(
        absl::StrCat("OCF agent ", provider, ":", agent, " not found: tried ", path, " (", why, ")"));
  }
  std::vector<std::string> env = {absl::StrCat("OCF_ROOT=", dirs.ocf_root)};
  env.insert(env.end(), dirs.env.begin(), dirs.env.end());
  env.push_back(absl::StrCat("OCF_RA_VERSION_MAJOR=1"));
  env.push_back(absl::StrCat("OCF_RA_VERSION_MINOR=0"));
  env.push_back(absl::StrCat("OCF_RESOURCE_INSTANCE=", instance));
  env.push_back(absl::StrCat("OCF_RESOURCE_TYPE=", agent));
  env.push_back(absl::StrCat("OCF_RESOURCE_PROVIDER=", provider));
  env.insert(env.end(), params.begin(), params.end());
  return std::make_unique<OcfAgent>(spec, std::move(env), std::move(path));
}

}  // namespace

bool HeartbeatStatusRunning(absl::string_view text) {
  // "*[Nn][Oo][Tt]\ *[Rr]unning*": "not" in any case, a space, then anything
  // (newlines included: the glob is applied to the whole captured output),
  // then "running" with only its first letter case-free.
  size_t not_at = absl::string_view::npos;
  for (size_t i = 0; i + 4 <= text.size(); ++i) {
    if (absl::EqualsIgnoreCase(text.substr(i, 3), "not") && text[i + 3] == ' ') {
      not_at = i;
      break;
    }
  }
  if (not_at != absl::string_view::npos) {
    absl::string_view rest = text.substr(not_at + 4);
    if (absl::StrContains(rest, "running") || absl::StrContains(rest, "Running")) return false;
  }
  return absl::StrContains(text, "running") || absl::StrContains(text, "OK");
}

absl::StatusOr<std::unique_ptr<ResourceAgent>> MakeResourceAgent(const Resource& resource,
                                                                 const AgentDirs& dirs) {
  switch (resource.kind) {
    case Resource::Kind::kIpAddr:
    case Resource::Kind::kBgpAddress:
      return absl::InvalidArgumentError(absl::StrCat(
          "resource ", Spec(resource), ": IP addresses are managed natively, not by a script"));
    case Resource::Kind::kScript:
      return MakeScriptAgent(resource, dirs);
    case Resource::Kind::kSystemd:
      return MakeSystemdAgent(resource, dirs);
    case Resource::Kind::kOcf:
      return MakeOcfAgent(resource, dirs);
  }
  return absl::InvalidArgumentError("unknown resource kind");
}

}  // namespace tachy
