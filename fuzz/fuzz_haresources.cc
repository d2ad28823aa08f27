// fuzz_haresources: haresources parsing on arbitrary text.
#include <cstddef>
#include <cstdint>
#include <string>
#include "fuzz/fuzz_target.h"
#include "absl/strings/string_view.h"
#include <vector>

#include "actions/haresources.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> nodes = {"a", "b", "node-1"};
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  (void)tachy::ParseHaResources(text, "haresources", nodes);
  return 0;
}
