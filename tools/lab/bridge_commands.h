// bridge_commands.h: the impairment bridge's command language — its
// `--port NAME=IFACE` arguments, the keys of a `set` command, and the JSON
// replies — apart from the packet I/O, so tests parse without a bridge.
#ifndef TACHY_TOOLS_LAB_BRIDGE_COMMANDS_H_
#define TACHY_TOOLS_LAB_BRIDGE_COMMANDS_H_

#include <optional>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tools/lab/impairment.h"

namespace tachy {

inline constexpr size_t kMaxPortNameBytes = 32;
inline constexpr int kMaxBurst = 1'000'000;
inline constexpr absl::Duration kMaxDelay = absl::Seconds(60);

// A bridge port: NAME in control commands, IFACE the interface.
struct PortSpec {
  std::string name;
  std::string iface;
};

// The keys of one `set` command; unset fields keep the direction's value.
struct ImpairmentPatch {
  std::optional<double> loss;
  std::optional<int> burst;
  std::optional<absl::Duration> delay;
  std::optional<absl::Duration> jitter;
  std::optional<bool> block;
  std::optional<Proto> proto;

  void ApplyTo(Impairment& imp) const;
};

// The parsers return Status plus an out-parameter rather than StatusOr: the
// bridge links only absl_status, not absl_statusor.

// ParsePortSpec()
//
// NAME=IFACE; NAME up to 32 of [A-Za-z0-9_.-], IFACE shorter than IFNAMSIZ.
absl::Status ParsePortSpec(absl::string_view arg, PortSpec* out);

// ParsePatch()
//
// `key=value` tokens (loss, burst, delay, jitter, block, proto); the first
// bad one is the error, and nothing is set then.
absl::Status ParsePatch(std::span<const absl::string_view> tokens, ImpairmentPatch* out);

// OkReply(), ErrorReply()
//
// {"ok":true} and {"ok":false,"error":MESSAGE}, MESSAGE escaped (errors
// quote what the operator typed).
std::string OkReply();
std::string ErrorReply(absl::string_view message);

}  // namespace tachy

#endif  // TACHY_TOOLS_LAB_BRIDGE_COMMANDS_H_
