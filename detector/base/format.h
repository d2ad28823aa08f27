// format.h: how durations read in tachy's logs, reasons and status lines.
#ifndef TACHY_DETECTOR_BASE_FORMAT_H_
#define TACHY_DETECTOR_BASE_FORMAT_H_

#include <string>

#include "absl/time/time.h"

namespace tachy {

// FormatMillis()
//
// "20.3 ms" style: one decimal below 100 ms unless whole, none above.
std::string FormatMillis(absl::Duration d);

// ErrnoText()
//
// strerror(err), thread-safe: strerror() may use a shared buffer for
// unknown codes; the GNU strerror_r never does (scripts run on worker
// threads).
std::string ErrnoText(int err);

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_FORMAT_H_
