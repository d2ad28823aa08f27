// control_request.h: one control-socket request line, parsed, and the JSON
// lines tachyd answers with.
//
// The control socket is open to root and the socket's group (mode 0660):
// whatever bytes arrive, parsing never throws, and every answer is valid JSON
// (invalid UTF-8 becomes U+FFFD).
#ifndef TACHY_DETECTOR_TACHYD_CONTROL_REQUEST_H_
#define TACHY_DETECTOR_TACHYD_CONTROL_REQUEST_H_

#include <string>
#include "absl/strings/string_view.h"

#include <nlohmann/json_fwd.hpp>

namespace tachy {

struct ControlRequest {
  enum class Verb { kInvalid, kStatus, kWatch, kStandby, kTakeover, kClear, kReload };
  Verb verb = Verb::kInvalid;
  // kStandby, kTakeover: all, local or foreign ("failback" = foreign);
  // kClear: a group key or all.
  std::string scope;
  std::string error;  // kInvalid: what is wrong, for the answer
};

// ParseControlRequest()
//
// `line` without its newline; surrounding whitespace is ignored. Requests:
// "status", "watch", "standby [SCOPE]", "takeover [SCOPE]" (SCOPE default all),
// "clear [GROUP]" (default all: forget the groups' failures), "reload".
ControlRequest ParseControlRequest(absl::string_view line);

// JsonLine()
//
// `j` as one line of JSON text plus "\n", whatever bytes its strings hold.
std::string JsonLine(const nlohmann::json& j);

// ControlErrorLine()
//
// {"ok":false,"error":MESSAGE} + "\n".
std::string ControlErrorLine(const std::string& message);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_CONTROL_REQUEST_H_
