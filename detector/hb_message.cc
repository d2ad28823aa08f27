#include "detector/hb_message.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "detector/auth.h"

namespace tachy {
namespace {

absl::string_view AsText(std::span<const uint8_t> bytes) {
  return absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Netstring length: decimal digits then ':'. Returns false if malformed.
bool ReadNetstringLength(absl::string_view text, size_t* pos, size_t* len) {
  size_t i = *pos;
  size_t value = 0;
  size_t digits = 0;
  while (i < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
    if (++digits > 9) return false;  // no message is a gigabyte long
    value = value * 10 + static_cast<size_t>(text[i] - '0');
    ++i;
  }
  if (digits == 0 || i >= text.size() || text[i] != ':') return false;
  *pos = i + 1;
  *len = value;
  return true;
}

// "(T)name=value" or "name=value" (classic string fields).
bool SplitField(absl::string_view item, HeartbeatField* field) {
  int type = 0;
  if (!item.empty() && item[0] == '(') {
    const size_t close = item.find(')');
    if (close == absl::string_view::npos || close < 2 ||
        !absl::SimpleAtoi(item.substr(1, close - 1), &type) || type < 0 || type > 9) {
      return false;
    }
    item.remove_prefix(close + 1);
  }
  const size_t eq = item.find('=');
  if (eq == absl::string_view::npos || eq == 0) return false;
  field->type = type;
  field->name = std::string(item.substr(0, eq));
  field->value = std::string(item.substr(eq + 1));
  return true;
}

// "N hexdigest" of an auth field or trailer.
bool ParseAuthText(absl::string_view text, HeartbeatMessage* out) {
  const size_t space = text.find(' ');
  if (space == absl::string_view::npos) return false;
  int index = -1;
  if (!absl::SimpleAtoi(text.substr(0, space), &index) || index < 0 || index > 15) return false;
  out->has_auth = true;
  out->auth_index = index;
  out->auth_digest = std::string(text.substr(space + 1));
  return true;
}

absl::StatusOr<HeartbeatMessage> ParseNetstring(absl::string_view text) {
  HeartbeatMessage out;
  out.format = HeartbeatMessage::Format::kNetstring;
  size_t pos = 4;  // after "###\n"
  for (;;) {
    if (text.substr(pos, 4) == "%%%\n") break;
    if (pos >= text.size()) return absl::DataLossError("netstring: no %%% end line");
    size_t len = 0;
    if (!ReadNetstringLength(text, &pos, &len)) {
      return absl::DataLossError(absl::StrCat("netstring: bad length at offset ", pos));
    }
    if (len > text.size() - pos || text.size() - pos - len < 1) {
      return absl::DataLossError(
          absl::StrCat("netstring: field of ", len, " bytes overruns the message at offset ", pos));
    }
    if (text[pos + len] != ',') {
      return absl::DataLossError(absl::StrCat("netstring: no ',' after field at offset ", pos));
    }
    HeartbeatField field;
    if (!SplitField(text.substr(pos, len), &field)) {
      return absl::DataLossError(absl::StrCat("netstring: bad field at offset ", pos));
    }
    out.fields.push_back(std::move(field));
    pos += len + 1;
    if (out.fields.size() > 4096) return absl::DataLossError("netstring: too many fields");
  }
  pos += 4;
  out.signed_text = std::string(text.substr(0, pos));
  if (pos == text.size()) return out;  // unauthenticated
  size_t len = 0;
  if (!ReadNetstringLength(text, &pos, &len) || len > text.size() - pos ||
      text.size() - pos - len < 1 || text[pos + len] != ',') {
    return absl::DataLossError("netstring: bad auth trailer");
  }
  if (!ParseAuthText(text.substr(pos, len), &out)) {
    return absl::DataLossError("netstring: bad auth trailer text");
  }
  return out;
}

absl::StatusOr<HeartbeatMessage> ParseClassic(absl::string_view text) {
  HeartbeatMessage out;
  out.format = HeartbeatMessage::Format::kClassic;
  size_t pos = 4;  // after ">>>\n"
  for (;;) {
    const size_t nl = text.find('\n', pos);
    if (nl == absl::string_view::npos) return absl::DataLossError("classic: no <<< end line");
    const absl::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line == "<<<") break;
    HeartbeatField field;
    if (!SplitField(line, &field)) {
      return absl::DataLossError(
          absl::StrCat("classic: bad field line at offset ", pos - line.size() - 1));
    }
    // The auth= digest covers every other line as sent (§3.3 scheme 1).
    if (field.name == "auth" && !out.has_auth) {
      if (!ParseAuthText(field.value, &out)) return absl::DataLossError("classic: bad auth field");
    } else {
      absl::StrAppend(&out.signed_text, line, "\n");
    }
    out.fields.push_back(std::move(field));
    if (out.fields.size() > 4096) return absl::DataLossError("classic: too many fields");
  }
  // The wire copy ends with the C string's NUL; nothing else may follow.
  const absl::string_view rest = text.substr(pos);
  if (!rest.empty() && rest != absl::string_view("\0", 1)) {
    return absl::DataLossError(absl::StrCat("classic: ", rest.size(), " bytes after <<<"));
  }
  return out;
}

// The text the legacy auth= field covers: every field as a classic line,
// binary ones as (1)name=<base64>.
std::string ClassicText(const std::vector<HeartbeatField>& fields) {
  std::string out;
  for (const HeartbeatField& f : fields) {
    if (f.type == 0) {
      absl::StrAppend(&out, f.name, "=", f.value, "\n");
    } else {
      absl::StrAppend(&out, "(", f.type, ")", f.name, "=", absl::Base64Escape(f.value), "\n");
    }
  }
  return out;
}

void AppendNetstring(std::string* out, absl::string_view item) {
  absl::StrAppend(out, item.size(), ":", item, ",");
}

}  // namespace

absl::string_view HeartbeatMessage::Value(absl::string_view name) const {
  const HeartbeatField* f = Find(name);
  return f == nullptr ? absl::string_view() : absl::string_view(f->value);
}

bool IsHeartbeatPayload(std::span<const uint8_t> bytes) {
  const absl::string_view text = AsText(bytes);
  return absl::StartsWith(text, "###\n") || absl::StartsWith(text, ">>>\n");
}

const HeartbeatField* HeartbeatMessage::Find(absl::string_view name) const {
  for (const HeartbeatField& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::StatusOr<HeartbeatMessage> ParseHeartbeatMessage(std::span<const uint8_t> bytes) {
  const absl::string_view text = AsText(bytes);
  if (absl::StartsWith(text, "###\n")) return ParseNetstring(text);
  if (absl::StartsWith(text, ">>>\n")) return ParseClassic(text);
  return absl::DataLossError("not a Heartbeat message");
}

std::optional<uint64_t> ParseHex(absl::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

bool HeartbeatAuthentic(const HeartbeatMessage& message, const AuthKeys& keys) {
  if (!message.has_auth) return false;
  const AuthKey* named = keys.Find(message.auth_index);
  const AuthKey* own = keys.Find(keys.active_index);
  if (named == nullptr || own == nullptr) return false;
  const std::string expected = HeartbeatDigest(named->method, own->key, message.signed_text);
  return absl::AsciiStrToLower(message.auth_digest) == expected;
}

std::string EncodeHeartbeatMessage(const std::vector<HeartbeatField>& fields,
                                   const AuthKeys& keys) {
  const AuthKey* key = keys.Find(keys.active_index);
  if (key == nullptr) return "";  // LoadClusterConfig guarantees the active key exists
  const std::string auth_text =
      absl::StrCat(key->index, " ", HeartbeatDigest(key->method, key->key, ClassicText(fields)));
  std::string out = "###\n";
  for (const HeartbeatField& f : fields) {
    AppendNetstring(&out, absl::StrCat("(", f.type, ")", f.name, "=", f.value));
  }
  AppendNetstring(&out, absl::StrCat("(0)auth=", auth_text));
  absl::StrAppend(&out, "%%%\n");
  AppendNetstring(&out, absl::StrCat(key->index, " ", HeartbeatDigest(key->method, key->key, out)));
  return out;
}

}  // namespace tachy
