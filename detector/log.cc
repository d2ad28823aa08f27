#include "detector/log.h"

#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace tachy {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

struct Sinks {
  absl::Mutex mu;
  LogOptions options ABSL_GUARDED_BY(mu);
  bool syslog_open ABSL_GUARDED_BY(mu) = false;
  FilePtr logfile ABSL_GUARDED_BY(mu);
  FilePtr debugfile ABSL_GUARDED_BY(mu);
};

Sinks& GetSinks() {
  static Sinks* sinks = [] {
    static Sinks s;
    return &s;
  }();
  return *sinks;
}

struct Facility {
  const char* name;
  int value;
};
constexpr Facility kFacilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},           {"kern", LOG_KERN},
    {"lpr", LOG_LPR},       {"mail", LOG_MAIL},         {"news", LOG_NEWS},
    {"syslog", LOG_SYSLOG}, {"user", LOG_USER},         {"uucp", LOG_UUCP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},     {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},     {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarning: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

int SyslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return LOG_DEBUG;
    case LogLevel::kInfo: return LOG_INFO;
    case LogLevel::kWarning: return LOG_WARNING;
    case LogLevel::kError: return LOG_ERR;
  }
  return LOG_INFO;
}

absl::StatusOr<FilePtr> OpenAppend(const std::string& path) {
  FILE* f = fopen(path.c_str(), "ae");
  if (f == nullptr) return absl::ErrnoToStatus(errno, absl::StrFormat("open log file %s", path));
  setvbuf(f, nullptr, _IOLBF, 0);
  return FilePtr(f);
}

}  // namespace

absl::Status InitLogging(const LogOptions& options) {
  int facility = -1;
  if (!options.facility.empty() && options.facility != "none") {
    for (const Facility& f : kFacilities) {
      if (options.facility == f.name) facility = f.value;
    }
    if (facility < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown syslog facility '%s'", options.facility));
    }
  }
  FilePtr logfile, debugfile;
  if (!options.logfile.empty()) {
    auto f = OpenAppend(options.logfile);
    if (!f.ok()) return f.status();
    logfile = std::move(*f);
  }
  if (!options.debugfile.empty()) {
    auto f = OpenAppend(options.debugfile);
    if (!f.ok()) return f.status();
    debugfile = std::move(*f);
  }
  Sinks& s = GetSinks();
  absl::MutexLock lock(&s.mu);
  s.options = options;
  if (s.syslog_open) closelog();
  s.syslog_open = facility >= 0;
  if (s.syslog_open) openlog("tachy", LOG_PID | LOG_NDELAY, facility);
  s.logfile = std::move(logfile);
  s.debugfile = std::move(debugfile);
  return absl::OkStatus();
}

void Log(LogLevel level, absl::string_view message) {
  Sinks& s = GetSinks();
  absl::MutexLock lock(&s.mu);
  if (level == LogLevel::kDebug && s.options.debug <= 0) return;
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  char when[32];
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
  const std::string line = absl::StrFormat("%s.%06d %s: %s: %s\n", when, ts.tv_nsec / 1000,
                                           s.options.ident, LevelName(level), message);
  if (level != LogLevel::kDebug) {
    if (s.options.to_stderr) fputs(line.c_str(), stderr);
    if (s.logfile) fputs(line.c_str(), s.logfile.get());
    if (s.syslog_open) {
      syslog(SyslogPriority(level), "%s: %.*s", s.options.ident.c_str(),
             static_cast<int>(message.size()), message.data());
    }
  }
  if (s.debugfile) fputs(line.c_str(), s.debugfile.get());
}

}  // namespace tachy
