// heartbeat_message_builder.h: Heartbeat 3 messages for tests, built field by
// field (Heartbeat 3's wire format) rather than pasted as blobs.
#ifndef TACHY_TESTS_SUPPORT_HEARTBEAT_MESSAGE_BUILDER_H_
#define TACHY_TESTS_SUPPORT_HEARTBEAT_MESSAGE_BUILDER_H_

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tachy {

// One message field; type 0 = string, 1 = binary (raw bytes).
struct HbField {
  int type = 0;
  std::string name;
  std::string value;
};

// The classic text that the `auth=` digest covers (§3.3 scheme 1): every
// field as name=value\n, binary ones as (1)name=<padded base64>\n.
inline std::string ClassicBody(const std::vector<HbField>& fields) {
  std::string out;
  for (const HbField& f : fields) {
    if (f.type == 0) {
      absl::StrAppend(&out, f.name, "=", f.value, "\n");
    } else {
      absl::StrAppend(&out, "(", f.type, ")", f.name, "=", absl::Base64Escape(f.value), "\n");
    }
  }
  return out;
}

// The netstring message from ###\n through %%%\n (§4.3): what the trailer
// digest covers.
inline std::string NetstringBody(const std::vector<HbField>& fields) {
  std::string out = "###\n";
  for (const HbField& f : fields) {
    const std::string item = absl::StrCat("(", f.type, ")", f.name, "=", f.value);
    absl::StrAppend(&out, item.size(), ":", item, ",");
  }
  absl::StrAppend(&out, "%%%\n");
  return out;
}

// One netstring: "<len>:<s>,".
inline std::string Netstring(absl::string_view s) { return absl::StrCat(s.size(), ":", s, ","); }

}  // namespace tachy

#endif  // TACHY_TESTS_SUPPORT_HEARTBEAT_MESSAGE_BUILDER_H_
