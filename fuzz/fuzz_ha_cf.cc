// fuzz_ha_cf: ha.cf and authkeys parsing on arbitrary text (files an
// operator brings from a Heartbeat cluster).
#include <cstddef>
#include <cstdint>
#include "fuzz/fuzz_target.h"
#include "absl/strings/string_view.h"

#include "detector/config/authkeys_file.h"
#include "detector/config/ha_cf.h"
#include "detector/config/heartbeat_syntax.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  (void)tachy::ParseHaCf(text, "ha.cf");
  (void)tachy::ParseAuthKeys(text, "authkeys");
  (void)tachy::ParseHeartbeatTime(text.substr(0, 64));
  return 0;
}
