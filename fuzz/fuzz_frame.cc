// fuzz_frame: tachy's frame codec and tag check on arbitrary bytes (what any
// host on the heartbeat link can send). A frame that parses is verified with
// every method's key ring; one that verifies must re-encode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "fuzz/fuzz_target.h"
#include "detector/auth.h"
#include "detector/config/authkeys_file.h"
#include "detector/frame.h"

namespace {

const tachy::KeyRing& Ring() {
  static const tachy::KeyRing ring = [] {
    auto keys = tachy::ParseAuthKeys(
        "auth 1\n1 sha256 fuzz-secret\n2 sha1 fuzz-secret\n3 md5 fuzz-secret\n4 crc\n",
        "authkeys");
    return *tachy::KeyRing::Create(*keys);
  }();
  return ring;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tachy::Frame frame;
  std::span<const uint8_t> signed_part, tag;
  const std::span<const uint8_t> bytes(data, size);
  if (tachy::ParseFrameHeader(bytes, &frame, &signed_part, &tag) != tachy::RejectReason::kNone) {
    return 0;
  }
  const tachy::Authenticator* auth = Ring().Find(frame.key_id);
  if (auth == nullptr || !auth->Verify(signed_part, tag)) return 0;
  // Authentic (a crc frame, or a lucky guess): encoding what was parsed
  // must give the signed bytes back.
  uint8_t out[tachy::kMaxFrameSize];
  const size_t n = tachy::EncodeFrame(frame, *auth, out);
  if (n < signed_part.size() || std::memcmp(out, signed_part.data(), signed_part.size()) != 0) {
    __builtin_trap();
  }
  return 0;
}
