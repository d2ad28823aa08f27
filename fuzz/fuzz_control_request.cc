// fuzz_control_request: a control-socket request line (what any client of
// the 0660 socket may send), parsed and answered as tachyd would answer it.
#include <cstddef>
#include <cstdint>
#include <string>
#include "fuzz/fuzz_target.h"
#include "absl/strings/string_view.h"

#include "detector/tachyd/control_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view line(reinterpret_cast<const char*>(data), size);
  const tachy::ControlRequest r = tachy::ParseControlRequest(line);
  // Every answer is JSON whatever bytes the request held.
  (void)tachy::ControlErrorLine(r.error.empty() ? std::string(line) : r.error);
  return 0;
}
