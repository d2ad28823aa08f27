// fuzz_event_stream: the tachyd <-> tachy-actions codec on arbitrary
// packets. What decodes must encode back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "fuzz/fuzz_target.h"
#include "detector/stream/event_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<tachy::StreamMessage> m = tachy::DecodeStream(std::span<const uint8_t>(data, size));
  if (!m.ok()) return 0;
  const std::string again = tachy::EncodeStream(*m);
  if (again.size() != size || std::memcmp(again.data(), data, size) != 0) __builtin_trap();
  return 0;
}
