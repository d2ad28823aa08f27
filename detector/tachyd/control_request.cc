#include "detector/tachyd/control_request.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tachy {
namespace {

// At most this much of a bad request is quoted back.
constexpr size_t kQuoted = 40;

}  // namespace

ControlRequest ParseControlRequest(absl::string_view line) {
  ControlRequest r;
  const absl::string_view text = absl::StripAsciiWhitespace(line);
  std::vector<absl::string_view> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  const absl::string_view verb = words.empty() ? absl::string_view() : words[0];
  if (verb == "reload" && words.size() == 1) {
    r.verb = ControlRequest::Verb::kReload;
    return r;
  }
  if ((verb == "status" || verb == "watch") && words.size() == 1) {
    r.verb = verb == "status" ? ControlRequest::Verb::kStatus : ControlRequest::Verb::kWatch;
    return r;
  }
  if ((verb == "standby" || verb == "takeover") && words.size() <= 2) {
    const absl::string_view scope = words.size() == 2 ? words[1] : "all";
    if (scope != "all" && scope != "local" && scope != "foreign" && scope != "failback") {
      r.error = absl::StrCat("unknown scope '", scope.substr(0, kQuoted),
                             "'; expected all, local or foreign");
      return r;
    }
    r.verb = verb == "standby" ? ControlRequest::Verb::kStandby : ControlRequest::Verb::kTakeover;
    r.scope = scope == "failback" ? "foreign" : std::string(scope);
    return r;
  }
  if (verb == "clear" && words.size() <= 2) {
    // The group key is checked by the action runner, which knows haresources.
    r.verb = ControlRequest::Verb::kClear;
    r.scope = words.size() == 2 ? std::string(words[1].substr(0, 256)) : "all";
    return r;
  }
  r.error = absl::StrCat("unknown request '", text.substr(0, kQuoted),
                         "'; expected status, watch, standby [SCOPE], takeover [SCOPE], "
                         "clear [GROUP] or reload");
  return r;
}

std::string JsonLine(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string ControlErrorLine(const std::string& message) {
  return JsonLine({{"ok", false}, {"error", message}});
}

}  // namespace tachy
