#include "tools/lab/bridge_commands.h"

#include <net/if.h>

#include <algorithm>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tachy {
namespace {

absl::Status ParseDelay(absl::string_view key, absl::string_view value, absl::Duration* out) {
  absl::Duration d;
  if (!absl::ParseDuration(value, &d) || d < absl::ZeroDuration() || d > kMaxDelay) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad ", key, " '", value, "' (want a duration 0..60s with a unit, e.g. 5ms, 200us, 0)"));
  }
  *out = d;
  return absl::OkStatus();
}

}  // namespace

void ImpairmentPatch::ApplyTo(Impairment& imp) const {
  if (loss) imp.loss = *loss;
  if (burst) imp.burst = *burst;
  if (delay) imp.delay = *delay;
  if (jitter) imp.jitter = *jitter;
  if (block) imp.block = *block;
  if (proto) imp.proto = *proto;
}

absl::Status ParsePortSpec(absl::string_view arg, PortSpec* out) {
  const size_t eq = arg.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == arg.size()) {
    return absl::InvalidArgumentError(absl::StrCat("--port wants NAME=IFACE, got '", arg, "'"));
  }
  PortSpec spec{std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
  if (spec.name.size() > kMaxPortNameBytes ||
      !std::all_of(spec.name.begin(), spec.name.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
               c == '-';
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("port name '", spec.name, "': use up to 32 of [A-Za-z0-9_.-]"));
  }
  if (spec.iface.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(absl::StrCat("interface name '", spec.iface, "' too long"));
  }
  *out = std::move(spec);
  return absl::OkStatus();
}

absl::Status ParsePatch(std::span<const absl::string_view> tokens, ImpairmentPatch* out) {
  ImpairmentPatch patch;
  if (tokens.empty()) {
    return absl::InvalidArgumentError(
        "set needs at least one key=value (keys: loss, burst, delay, jitter, block, proto)");
  }
  for (const absl::string_view token : tokens) {
    const size_t eq = token.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("expected key=value, got '", token, "'"));
    }
    const absl::string_view key = token.substr(0, eq);
    const absl::string_view value = token.substr(eq + 1);
    if (key == "loss") {
      double p;
      // The negated comparison also rejects NaN.
      if (!absl::SimpleAtod(value, &p) || !(p >= 0.0 && p <= 1.0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad loss '", value, "' (want a probability 0..1)"));
      }
      patch.loss = p;
    } else if (key == "burst") {
      int n;
      if (!absl::SimpleAtoi(value, &n) || n < 1 || n > kMaxBurst) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad burst '", value, "' (want an integer 1..", kMaxBurst, ")"));
      }
      patch.burst = n;
    } else if (key == "delay" || key == "jitter") {
      absl::Duration d;
      absl::Status s = ParseDelay(key, value, &d);
      if (!s.ok()) return s;
      (key == "delay" ? patch.delay : patch.jitter) = d;
    } else if (key == "block") {
      if (value == "1" || value == "true") {
        patch.block = true;
      } else if (value == "0" || value == "false") {
        patch.block = false;
      } else {
        return absl::InvalidArgumentError(absl::StrCat("bad block '", value, "' (want 0 or 1)"));
      }
    } else if (key == "proto") {
      if (value == "all") {
        patch.proto = Proto::kAll;
      } else if (value == "tachy") {
        patch.proto = Proto::kTachy;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("bad proto '", value, "' (want all or tachy)"));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown key '", key, "' (keys: loss, burst, delay, jitter, block, proto)"));
    }
  }
  *out = patch;
  return absl::OkStatus();
}

std::string OkReply() { return R"({"ok":true})"; }

std::string ErrorReply(absl::string_view message) {
  // Replacing invalid UTF-8 rather than throwing: the message may quote
  // bytes the operator sent.
  return nlohmann::json{{"ok", false}, {"error", std::string(message)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace tachy
