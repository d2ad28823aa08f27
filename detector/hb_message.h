// hb_message.h: Heartbeat 3's messages as they travel on UDP: parsing both
// wire formats, building the netstring one, and both digests.
//
// A netstring message is "###\n", then one "<len>:(<T>)<name>=<value>," per
// field, then "%%%\n" and a trailer "<len>:<N> <hex digest>," over every
// byte before it. The classic format is "name=value\n" lines between ">>>\n"
// and "<<<\n", signed by an `auth=N <digest>` field over the other lines.
// Heartbeat always puts that `auth=` field in netstring messages too (older
// peers check it), so EncodeHeartbeatMessage() writes both. Receivers pick
// the format from the first four bytes and drop anything else silently.
#ifndef TACHY_DETECTOR_HB_MESSAGE_H_
#define TACHY_DETECTOR_HB_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/config/auth_keys.h"

namespace tachy {

// One Heartbeat message field: `(type)name=value`. Type 0 string, 1 binary,
// 2 struct, 3 list, 4 compressed, 5 uncompressed, as Heartbeat 3 numbers them.
// Netstring binary values are the raw bytes; classic ones are kept as their
// base64 text.
struct HeartbeatField {
  int type = 0;
  std::string name;
  std::string value;
};

struct HeartbeatMessage {
  enum class Format { kClassic, kNetstring };
  Format format = Format::kNetstring;
  std::vector<HeartbeatField> fields;  // in wire order, `auth` included
  // The exact text the digest covers: classic = every field line but `auth`
  // with its "\n"; netstring = the bytes from "###\n" through "%%%\n".
  std::string signed_text;
  bool has_auth = false;  // classic: an auth= field; netstring: a trailer
  int auth_index = -1;
  std::string auth_digest;  // lowercase hex as sent

  // Find()
  //
  // The first field called `name` (Heartbeat's lookup rule), or nullptr.
  const HeartbeatField* Find(absl::string_view name) const;

  // Value()
  //
  // The value of the first field called `name`, or "" if there is none.
  absl::string_view Value(absl::string_view name) const;
};

// IsHeartbeatPayload()
//
// Whether a UDP payload is in one of Heartbeat's formats ("###\n", ">>>\n").
bool IsHeartbeatPayload(std::span<const uint8_t> bytes);

// ParseHeartbeatMessage()
//
// Decodes a UDP payload starting with ">>>\n" or "###\n". kDataLoss with the
// reason for anything malformed or truncated.
absl::StatusOr<HeartbeatMessage> ParseHeartbeatMessage(std::span<const uint8_t> bytes);

// ParseHex()
//
// Heartbeat's hex numbers (seq, hg, dt): 1..16 hex digits, no prefix.
std::optional<uint64_t> ParseHex(absl::string_view text);

// HeartbeatAuthentic()
//
// Whether `message` verifies as a Heartbeat 3.0.6 receiver checks it: the
// netstring trailer (classic: the auth= field), computed with the *method*
// of the authkeys entry the message names and the *key* of our own `auth`
// line (Heartbeat's rule; identical authkeys files make the two agree). A
// message without a digest, or naming an index we do not have, fails.
bool HeartbeatAuthentic(const HeartbeatMessage& message, const AuthKeys& keys);

// EncodeHeartbeatMessage()
//
// The netstring message for `fields` (in order, no `auth` among them), with
// the legacy `auth=` field over their classic text and the trailer, both
// signed with authkeys entry `keys.active_index`.
std::string EncodeHeartbeatMessage(const std::vector<HeartbeatField>& fields,
                                   const AuthKeys& keys);

}  // namespace tachy

#endif  // TACHY_DETECTOR_HB_MESSAGE_H_
