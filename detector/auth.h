// auth.h: frame signing and verification for every authkeys method.
//
// tachy frames carry a tag over every byte before it:
//   crc    CRC-32 as Heartbeat computes it (no key: integrity only), 4 bytes
//   md5    HMAC-MD5, 16 bytes
//   sha1   HMAC-SHA1, 20 bytes
//   sha256 HMAC-SHA256 truncated to 16 bytes (as RFC 4868's -128 variant)
// An Authenticator keeps its key's inner and outer hash states precomputed, so
// Sign() and Verify() cost two short hash runs and never allocate.
//
// HeartbeatDigest() gives the hex digests Heartbeat 3 puts on the wire
// (Heartbeat 3's authkeys methods), for compatibility code and tests.
#ifndef TACHY_DETECTOR_AUTH_H_
#define TACHY_DETECTOR_AUTH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "detector/config/auth_keys.h"

namespace tachy {

inline constexpr size_t kMaxTagSize = 20;

// Authenticator
//
// Signs and verifies with one key. Thread-compatible: Sign/Verify are const and
// keep no state between calls, so one instance may be shared by threads.
class Authenticator {
 public:
  // Create()
  //
  // kInvalidArgument if a keyed method has an empty key, or crc is given one
  // (Heartbeat's authkeys parser rejects that too).
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(AuthMethod method,
                                                               absl::string_view key);
  virtual ~Authenticator() = default;

  AuthMethod method() const { return method_; }
  size_t tag_size() const { return tag_size_; }

  // Sign()
  //
  // Writes tag_size() bytes of tag over `data` to `tag`.
  // Precondition: tag.size() >= tag_size().
  virtual void Sign(std::span<const uint8_t> data, std::span<uint8_t> tag) const = 0;

  // Verify()
  //
  // True if `tag` is exactly tag_size() bytes and matches `data`. Constant time
  // in the tag contents.
  bool Verify(std::span<const uint8_t> data, std::span<const uint8_t> tag) const;

 protected:
  Authenticator(AuthMethod method, size_t tag_size) : method_(method), tag_size_(tag_size) {}

 private:
  AuthMethod method_;
  size_t tag_size_;
};

// KeyRing
//
// One Authenticator per authkeys index; the `auth N` one signs, and only it
// and the `rotate` ones verify: a key left over in authkeys (say a `crc`
// from a Heartbeat migration) must not let anyone who knows it speak for a
// node.
class KeyRing {
 public:
  static absl::StatusOr<KeyRing> Create(const AuthKeys& keys);

  // Find()
  //
  // The authenticator for key `index` (0..15), or nullptr if not configured.
  const Authenticator* Find(uint8_t index) const {
    return index < by_index_.size() ? by_index_[index].get() : nullptr;
  }

  // Accepted()
  //
  // The authenticator to verify a frame signed with key `index`: the
  // signer's, or a rotating one's; nullptr for any other index.
  const Authenticator* Accepted(uint8_t index) const {
    return index < by_index_.size() && (accepted_ >> index & 1) ? by_index_[index].get()
                                                                : nullptr;
  }
  const Authenticator& signer() const { return *by_index_[signer_index_]; }
  uint8_t signer_index() const { return signer_index_; }

 private:
  std::array<std::unique_ptr<Authenticator>, 16> by_index_;
  uint8_t signer_index_ = 0;
  uint16_t accepted_ = 0;  // bit i: key i verifies
};

// HeartbeatCrc32()
//
// Heartbeat's crc method: non-reflected CRC-32, poly 0x04C11DB7, init 0, final
// complement, no length appended. "123456789" -> 0x765e7680.
uint32_t HeartbeatCrc32(std::span<const uint8_t> data);

// HeartbeatDigest()
//
// The hex digest Heartbeat 3 writes for `data`: crc as "%lx" (no zero padding),
// md5/sha1 as HMAC lowercase hex. sha256 (not a Heartbeat method) gives the
// full HMAC-SHA256 hex.
std::string HeartbeatDigest(AuthMethod method, absl::string_view key, absl::string_view data);

}  // namespace tachy

#endif  // TACHY_DETECTOR_AUTH_H_
