#include "detector/base/format.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/str_format.h"

namespace tachy {

std::string FormatMillis(absl::Duration d) {
  const double ms = absl::ToDoubleMilliseconds(d);
  if (ms >= 100 || ms == static_cast<int64_t>(ms)) return absl::StrFormat("%.0f ms", ms);
  return absl::StrFormat("%.1f ms", ms);
}

std::string ErrnoText(int err) {
  char buf[128];
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

}  // namespace tachy
