// fuzz_tachy_cf: tachy.cf (monitoring settings) parsing on arbitrary text.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "actions/tachy_cf.h"
#include "fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  (void)tachy::ParseTachyCf(text, "tachy.cf");
  return 0;
}
