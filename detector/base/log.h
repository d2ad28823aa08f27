// log.h: the one logging header: stderr, syslog and Heartbeat's logfile/debugfile.
//
// Debian 12's Abseil has no absl/log. Every message goes to stderr (journald
// adds its own timestamp when run under systemd; we add one for plain use),
// to syslog when ha.cf sets `logfacility`, and to `logfile`; debug messages go
// to `debugfile` only when `debug` > 0. Never log per packet: count instead.
#ifndef TACHY_DETECTOR_BASE_LOG_H_
#define TACHY_DETECTOR_BASE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace tachy {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

struct LogOptions {
  std::string ident = "tachy";  // prefix of every line, e.g. "tachyd[a]"
  bool to_stderr = true;
  std::string facility;   // syslog facility name; empty or "none" = no syslog
  std::string logfile;    // empty = none
  std::string debugfile;  // empty = none
  int debug = 0;          // > 0 enables debug messages
};

// InitLogging()
//
// Sets the destinations. kInvalidArgument for an unknown facility,
// kPermissionDenied/kNotFound if a log file cannot be opened (named).
absl::Status InitLogging(const LogOptions& options);

// StartAsyncLogging(), StopAsyncLogging()
//
// From Start on, Log() only queues the line (up to `capacity` lines) for a
// writer thread, so no caller ever waits for stderr, a file or syslog: a
// line that finds the queue full is dropped and counted, and the writer
// says how many were lost. Stop writes what is queued, then joins.
void StartAsyncLogging(size_t capacity = 4096);
void StopAsyncLogging();

// LogLinesDropped()
//
// Lines dropped because the queue was full.
uint64_t LogLinesDropped();

// Log()
//
// Writes one line to every destination (or queues it). Thread-safe.
void Log(LogLevel level, absl::string_view message);

template <typename... Args>
void LogDebug(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Log(LogLevel::kDebug, absl::StrFormat(format, args...));
}
template <typename... Args>
void LogInfo(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Log(LogLevel::kInfo, absl::StrFormat(format, args...));
}
template <typename... Args>
void LogWarning(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Log(LogLevel::kWarning, absl::StrFormat(format, args...));
}
template <typename... Args>
void LogError(const absl::FormatSpec<Args...>& format, const Args&... args) {
  Log(LogLevel::kError, absl::StrFormat(format, args...));
}

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_LOG_H_
