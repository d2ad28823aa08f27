// auth.cc: crc / HMAC-MD5 / HMAC-SHA1 / HMAC-SHA256 authenticators.

// OpenSSL 3 deprecates the low-level SHA256_CTX / SHA_CTX / MD5_CTX API in
// favour of EVP. We use it on purpose: those contexts are plain structs, so a
// precomputed HMAC inner/outer state can be copied by value per call, which
// keeps Sign/Verify allocation-free and avoids re-keying (one-shot HMAC()
// re-keys every call, ~1 us; EVP_MAC_CTX_dup allocates).
#define OPENSSL_SUPPRESS_DEPRECATED

#include "detector/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include <array>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "detector/config/auth_keys.h"

namespace tachy {
namespace {

// Heartbeat's crc.c table: MSB-first (non-reflected) CRC-32, poly 0x04C11DB7.
constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i << 24;
    for (int bit = 0; bit < 8; ++bit) {
      c = (c & 0x80000000u) ? (c << 1) ^ 0x04C11DB7u : (c << 1);
    }
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = MakeCrcTable();

// Hash traits: one per digest, wrapping the low-level OpenSSL API so the HMAC
// template below is written once. All three hashes have a 64-byte block.
struct Md5Hash {
  using Ctx = MD5_CTX;
  static constexpr size_t kBlockSize = MD5_CBLOCK;
  static constexpr size_t kDigestSize = MD5_DIGEST_LENGTH;
  static void Init(Ctx* ctx) { MD5_Init(ctx); }
  static void Update(Ctx* ctx, const void* data, size_t size) { MD5_Update(ctx, data, size); }
  static void Final(uint8_t* out, Ctx* ctx) { MD5_Final(out, ctx); }
};

struct Sha1Hash {
  using Ctx = SHA_CTX;
  static constexpr size_t kBlockSize = SHA_CBLOCK;
  static constexpr size_t kDigestSize = SHA_DIGEST_LENGTH;
  static void Init(Ctx* ctx) { SHA1_Init(ctx); }
  static void Update(Ctx* ctx, const void* data, size_t size) { SHA1_Update(ctx, data, size); }
  static void Final(uint8_t* out, Ctx* ctx) { SHA1_Final(out, ctx); }
};

struct Sha256Hash {
  using Ctx = SHA256_CTX;
  static constexpr size_t kBlockSize = SHA256_CBLOCK;
  static constexpr size_t kDigestSize = SHA256_DIGEST_LENGTH;
  static void Init(Ctx* ctx) { SHA256_Init(ctx); }
  static void Update(Ctx* ctx, const void* data, size_t size) { SHA256_Update(ctx, data, size); }
  static void Final(uint8_t* out, Ctx* ctx) { SHA256_Final(out, ctx); }
};

static_assert(MD5_DIGEST_LENGTH <= kMaxTagSize && SHA_DIGEST_LENGTH <= kMaxTagSize);

// HMAC (RFC 2104) with the keyed inner and outer states absorbed once, so a
// call costs the data blocks plus one outer block and no key processing.
template <typename Hash>
class HmacAuthenticator final : public Authenticator {
 public:
  HmacAuthenticator(AuthMethod method, size_t tag_size, absl::string_view key)
      : Authenticator(method, tag_size) {
    static_assert(std::is_trivially_copyable_v<typename Hash::Ctx>,
                  "per-call copies of the precomputed state must be plain copies");
    assert(tag_size <= Hash::kDigestSize);
    // RFC 2104 §2: keys longer than the block are replaced by their hash;
    // shorter ones are zero-padded to the block.
    uint8_t block[Hash::kBlockSize] = {};
    if (key.size() > Hash::kBlockSize) {
      typename Hash::Ctx ctx;
      Hash::Init(&ctx);
      Hash::Update(&ctx, key.data(), key.size());
      Hash::Final(block, &ctx);
      OPENSSL_cleanse(&ctx, sizeof(ctx));
    } else if (!key.empty()) {
      std::memcpy(block, key.data(), key.size());
    }
    uint8_t pad[Hash::kBlockSize];
    for (size_t i = 0; i < Hash::kBlockSize; ++i) pad[i] = block[i] ^ 0x36;
    Hash::Init(&inner_);
    Hash::Update(&inner_, pad, sizeof(pad));
    for (size_t i = 0; i < Hash::kBlockSize; ++i) pad[i] = block[i] ^ 0x5c;
    Hash::Init(&outer_);
    Hash::Update(&outer_, pad, sizeof(pad));
    // The padded key is as good as the key itself; don't leave it on the stack.
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
  }

  ~HmacAuthenticator() override {
    OPENSSL_cleanse(&inner_, sizeof(inner_));
    OPENSSL_cleanse(&outer_, sizeof(outer_));
  }

  void Sign(std::span<const uint8_t> data, std::span<uint8_t> tag) const override {
    assert(tag.size() >= tag_size());
    uint8_t digest[Hash::kDigestSize];
    typename Hash::Ctx ctx = inner_;
    Hash::Update(&ctx, data.data(), data.size());
    Hash::Final(digest, &ctx);
    ctx = outer_;
    Hash::Update(&ctx, digest, sizeof(digest));
    Hash::Final(digest, &ctx);
    // Truncation (sha256 -> 16 bytes) keeps the leftmost bytes, RFC 2104 §5.
    std::memcpy(tag.data(), digest, tag_size());
  }

 private:
  typename Hash::Ctx inner_;
  typename Hash::Ctx outer_;
};

// Heartbeat's crc method has no key: it detects corruption, not forgery.
class CrcAuthenticator final : public Authenticator {
 public:
  CrcAuthenticator() : Authenticator(AuthMethod::kCrc, 4) {}

  void Sign(std::span<const uint8_t> data, std::span<uint8_t> tag) const override {
    assert(tag.size() >= tag_size());
    const uint32_t crc = HeartbeatCrc32(data);
    tag[0] = static_cast<uint8_t>(crc >> 24);
    tag[1] = static_cast<uint8_t>(crc >> 16);
    tag[2] = static_cast<uint8_t>(crc >> 8);
    tag[3] = static_cast<uint8_t>(crc);
  }
};

std::string OneShotHmacHex(const EVP_MD* md, absl::string_view key, absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &out_len) == nullptr) {
    return "";
  }
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(out), out_len));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(AuthMethod method,
                                                                     absl::string_view key) {
  switch (method) {
    case AuthMethod::kCrc:
      // Heartbeat's parse_authfile rejects a key on a crc line; a key here
      // would suggest the caller expects protection crc does not give.
      if (!key.empty()) return absl::InvalidArgumentError("crc takes no key");
      return std::make_unique<CrcAuthenticator>();
    case AuthMethod::kMd5:
      if (key.empty()) return absl::InvalidArgumentError("md5 needs a key");
      return std::make_unique<HmacAuthenticator<Md5Hash>>(method, Md5Hash::kDigestSize, key);
    case AuthMethod::kSha1:
      if (key.empty()) return absl::InvalidArgumentError("sha1 needs a key");
      return std::make_unique<HmacAuthenticator<Sha1Hash>>(method, Sha1Hash::kDigestSize, key);
    case AuthMethod::kSha256:
      if (key.empty()) return absl::InvalidArgumentError("sha256 needs a key");
      // 16-byte truncation as HMAC-SHA-256-128 (RFC 4868): 128 bits of tag
      // is ample for a per-packet MAC and keeps frames short.
      return std::make_unique<HmacAuthenticator<Sha256Hash>>(method, 16, key);
  }
  return absl::InvalidArgumentError("unknown auth method");
}

bool Authenticator::Verify(std::span<const uint8_t> data, std::span<const uint8_t> tag) const {
  if (tag.size() != tag_size_) return false;
  uint8_t expected[kMaxTagSize];
  Sign(data, std::span<uint8_t>(expected, tag_size_));
  // Constant time so a forger learns nothing from how long rejection takes.
  return CRYPTO_memcmp(expected, tag.data(), tag_size_) == 0;
}

absl::StatusOr<KeyRing> KeyRing::Create(const AuthKeys& keys) {
  KeyRing ring;
  for (const AuthKey& key : keys.keys) {
    if (key.index < 0 || key.index >= static_cast<int>(ring.by_index_.size())) {
      return absl::InvalidArgumentError(
          absl::StrFormat("authkeys index %d out of range 0..15", key.index));
    }
    if (ring.by_index_[key.index] != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrFormat("authkeys index %d defined twice", key.index));
    }
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Create(key.method, key.key);
    if (!auth.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("authkeys index %d: %s", key.index, auth.status().message()));
    }
    ring.by_index_[key.index] = *std::move(auth);
  }
  if (keys.active_index < 0 || keys.active_index >= static_cast<int>(ring.by_index_.size()) ||
      ring.by_index_[keys.active_index] == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("auth %d names an undefined key", keys.active_index));
  }
  ring.signer_index_ = static_cast<uint8_t>(keys.active_index);
  ring.accepted_ = static_cast<uint16_t>(1u << keys.active_index);
  for (int index : keys.rotating) {
    if (index < 0 || index >= static_cast<int>(ring.by_index_.size()) ||
        ring.by_index_[index] == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrFormat("rotate %d names an undefined key", index));
    }
    ring.accepted_ |= static_cast<uint16_t>(1u << index);
  }
  return ring;
}

uint32_t HeartbeatCrc32(std::span<const uint8_t> data) {
  uint32_t crc = 0;
  for (uint8_t byte : data) {
    crc = (crc << 8) ^ kCrcTable[(crc >> 24) ^ byte];
  }
  return ~crc;
}

std::string HeartbeatDigest(AuthMethod method, absl::string_view key, absl::string_view data) {
  switch (method) {
    case AuthMethod::kCrc:
      // Heartbeat prints with "%lx": no zero padding, so 0x0dc57fd7 is "dc57fd7".
      return absl::StrFormat("%x",
                             HeartbeatCrc32(std::span<const uint8_t>(
                                 reinterpret_cast<const uint8_t*>(data.data()), data.size())));
    case AuthMethod::kMd5:
      return OneShotHmacHex(EVP_md5(), key, data);
    case AuthMethod::kSha1:
      return OneShotHmacHex(EVP_sha1(), key, data);
    case AuthMethod::kSha256:
      return OneShotHmacHex(EVP_sha256(), key, data);
  }
  return "";
}

}  // namespace tachy
