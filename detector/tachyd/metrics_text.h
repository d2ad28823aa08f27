// metrics_text.h: the status document (status_json.h) in Prometheus' text
// exposition format (version 0.0.4), for `tachyctl metrics` and tachyd's
// optional HTTP listener (ha.cf `metrics_listen`).
//
// Derived from the status document alone, so the two never disagree: every
// metric is a field of `tachyctl status --json` (docs/control-protocol.md
// describes the fields; metrics_text.cc names the field of each metric).
#ifndef TACHY_DETECTOR_TACHYD_METRICS_TEXT_H_
#define TACHY_DETECTOR_TACHYD_METRICS_TEXT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tachy {

// PrometheusText()
//
// `status_json` as metric families. Fails only when it is not a status
// document (not a JSON object with "nodes"); fields it lacks (an older
// tachyd) are left out.
absl::StatusOr<std::string> PrometheusText(absl::string_view status_json);

}  // namespace tachy

#endif  // TACHY_DETECTOR_TACHYD_METRICS_TEXT_H_
