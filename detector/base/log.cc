#include "detector/base/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "detector/base/unique_fd.h"

namespace tachy {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

// Lines waiting for the writer thread (async mode). Its own mutex, held only
// to push or to swap the queue: a caller never waits for a destination.
// New destinations (InitLogging again: a reload, logrotate), opened and
// waiting to be put in place.
struct NewSinks {
  LogOptions options;
  int facility = -1;  // -1: no syslog
  FilePtr logfile;
  FilePtr debugfile;
};

struct AsyncQueue {
  absl::Mutex mu;
  // With a writer thread, it puts new destinations in place itself: the
  // caller must not wait for the destinations' lock, which the writer holds
  // while a destination blocks it (a full pipe).
  std::optional<NewSinks> pending ABSL_GUARDED_BY(mu);
  std::deque<std::pair<LogLevel, std::string>> lines ABSL_GUARDED_BY(mu);
  size_t capacity ABSL_GUARDED_BY(mu) = 0;  // 0 = synchronous logging
  bool stop ABSL_GUARDED_BY(mu) = false;
  std::atomic<uint64_t> dropped{0};
  std::thread writer;
};

AsyncQueue& GetQueue() {
  static AsyncQueue* q = [] {
    static AsyncQueue a;
    return &a;
  }();
  return *q;
}

// What a line looks like: read by every caller to format a line, under a
// mutex that no write is ever done under (so a blocked destination cannot
// block a caller through it).
struct Format {
  absl::Mutex mu;
  std::string ident ABSL_GUARDED_BY(mu) = "tachy";
  int debug ABSL_GUARDED_BY(mu) = 0;
};

Format& GetFormat() {
  static Format* f = [] {
    static Format x;
    return &x;
  }();
  return *f;
}

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

// Creates the missing directories above `path`, mode 0750 (logs may say
// more than the world should read).
absl::Status MakeParentDirs(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST) {
      return absl::ErrnoToStatus(errno,
                                 absl::StrFormat("create directory %s for log file %s", dir, path));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FilePtr> OpenAppend(const std::string& path) {
  // Non-blocking open: a FIFO would otherwise hold tachyd in open() until
  // something reads it. Then only a regular file or a character device
  // (/dev/null, a console) is taken; a FIFO or socket is refused, since a
  // reader that stops reading would stop the log with it.
  const auto refuse = [&path] {
    return absl::InvalidArgumentError(absl::StrFormat(
        "log file %s is not a regular file (a FIFO or socket would stall the log whenever its "
        "reader does; send logs to syslog with logfacility instead)",
        path));
  };
  struct stat st{};
  // (ENXIO is what a FIFO without a reader answers a non-blocking open.)
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
    return refuse();
  }
  constexpr int kFlags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK;
  UniqueFd fd(open(path.c_str(), kFlags, 0640));
  if (!fd.valid() && errno == ENOENT) {
    // Its directory is missing (a fresh /var/log/tachy, a tmpfs after boot):
    // create it, as a package's postinst would have, rather than not start.
    if (absl::Status made = MakeParentDirs(path); !made.ok()) return made;
    fd = UniqueFd(open(path.c_str(), kFlags, 0640));
  }
  if (!fd.valid()) {
    if (errno == ENXIO) return refuse();
    return absl::ErrnoToStatus(errno, absl::StrFormat("open log file %s", path));
  }
  // Checked again on what was opened: the path may have changed meanwhile.
  if (fstat(fd.get(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrFormat("stat log file %s", path));
  }
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) return refuse();
  fcntl(fd.get(), F_SETFL, fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  FILE* f = fdopen(fd.get(), "a");
  if (f == nullptr) return absl::ErrnoToStatus(errno, absl::StrFormat("open log file %s", path));
  (void)fd.release();  // the FILE owns it now
  setvbuf(f, nullptr, _IOLBF, 0);
  return FilePtr(f);
}

}  // namespace

namespace {

void InstallSinks(NewSinks n) {
  Sinks& s = GetSinks();
  absl::MutexLock lock(&s.mu);
  s.options = std::move(n.options);
  if (s.syslog_open) closelog();
  s.syslog_open = n.facility >= 0;
  if (s.syslog_open) openlog("tachy", LOG_PID | LOG_NDELAY, n.facility);
  s.logfile = std::move(n.logfile);
  s.debugfile = std::move(n.debugfile);
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
  NewSinks sinks;
  sinks.options = options;
  sinks.facility = facility;
  if (!options.logfile.empty()) {
    auto f = OpenAppend(options.logfile);
    if (!f.ok()) return f.status();
    sinks.logfile = std::move(*f);
  }
  if (!options.debugfile.empty()) {
    auto f = OpenAppend(options.debugfile);
    if (!f.ok()) return f.status();
    sinks.debugfile = std::move(*f);
  }
  {
    Format& f = GetFormat();
    absl::MutexLock lock(&f.mu);
    f.ident = options.ident;
    f.debug = options.debug;
  }
  {
    AsyncQueue& q = GetQueue();
    absl::MutexLock lock(&q.mu);
    if (q.capacity != 0) {
      q.pending = std::move(sinks);  // the writer puts them in place
      return absl::OkStatus();
    }
  }
  InstallSinks(std::move(sinks));
  return absl::OkStatus();
}

namespace {

std::string FormatLine(LogLevel level, absl::string_view ident, absl::string_view message) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  localtime_r(&ts.tv_sec, &tm);
  char when[32];
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
  return absl::StrFormat("%s.%06d %s: %s: %s\n", when, ts.tv_nsec / 1000, ident,
                         LevelName(level), message);
}

// Writes one formatted line to every destination (may block).
void WriteLine(LogLevel level, const std::string& line) {
  Sinks& s = GetSinks();
  absl::MutexLock lock(&s.mu);
  if (level != LogLevel::kDebug) {
    if (s.options.to_stderr) fputs(line.c_str(), stderr);
    if (s.logfile) fputs(line.c_str(), s.logfile.get());
    if (s.syslog_open) {
      // The line without its timestamp and trailing newline: syslog adds both.
      const size_t at = line.find(s.options.ident);
      const absl::string_view text =
          absl::string_view(line).substr(at == std::string::npos ? 0 : at);
      syslog(SyslogPriority(level), "%.*s", static_cast<int>(text.size() - 1), text.data());
    }
  }
  if (s.debugfile) fputs(line.c_str(), s.debugfile.get());
}

void WriterMain() {
  AsyncQueue& q = GetQueue();
  uint64_t reported = 0;
  for (;;) {
    std::deque<std::pair<LogLevel, std::string>> batch;
    std::optional<NewSinks> sinks;
    {
      absl::MutexLock lock(&q.mu);
      q.mu.Await(absl::Condition(
          +[](AsyncQueue* a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(a->mu) {
            return a->stop || !a->lines.empty() || a->pending.has_value();
          },
          &q));
      sinks.swap(q.pending);
      if (q.lines.empty() && q.stop && !sinks) return;
      batch.swap(q.lines);
    }
    if (sinks) InstallSinks(std::move(*sinks));
    for (const auto& [level, line] : batch) WriteLine(level, line);
    const uint64_t dropped = q.dropped.load(std::memory_order_relaxed);
    if (dropped != reported) {
      std::string ident;
      {
        Format& f = GetFormat();
        absl::MutexLock lock(&f.mu);
        ident = f.ident;
      }
      WriteLine(LogLevel::kWarning,
                FormatLine(LogLevel::kWarning, ident,
                           absl::StrFormat("%d log line(s) dropped: a log destination was too "
                                           "slow (%d in all)",
                                           dropped - reported, dropped)));
      reported = dropped;
    }
  }
}

}  // namespace

void StartAsyncLogging(size_t capacity) {
  AsyncQueue& q = GetQueue();
  absl::MutexLock lock(&q.mu);
  if (q.capacity != 0) return;
  q.capacity = std::max<size_t>(capacity, 1);
  q.writer = std::thread(WriterMain);
}

void StopAsyncLogging() {
  AsyncQueue& q = GetQueue();
  {
    absl::MutexLock lock(&q.mu);
    if (q.capacity == 0) return;
    q.stop = true;
  }
  q.writer.join();
  absl::MutexLock lock(&q.mu);
  q.capacity = 0;
  q.stop = false;
}

uint64_t LogLinesDropped() { return GetQueue().dropped.load(std::memory_order_relaxed); }

void Log(LogLevel level, absl::string_view message) {
  std::string line;
  {
    Format& f = GetFormat();
    absl::MutexLock lock(&f.mu);
    if (level == LogLevel::kDebug && f.debug <= 0) return;
    line = FormatLine(level, f.ident, message);
  }
  AsyncQueue& q = GetQueue();
  {
    absl::MutexLock lock(&q.mu);
    if (q.capacity != 0) {
      if (q.lines.size() >= q.capacity) {
        q.dropped.fetch_add(1, std::memory_order_relaxed);
      } else {
        q.lines.emplace_back(level, std::move(line));
      }
      return;
    }
  }
  WriteLine(level, line);
}

}  // namespace tachy
