#include "detector/config/medium.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tachy {

std::string MediumConfig::Name() const {
  switch (kind) {
    case Kind::kRaw:
      return absl::StrCat("raw:", iface);
    case Kind::kBcast:
      return absl::StrCat("bcast:", iface);
    case Kind::kMcast:
      return absl::StrCat("mcast:", iface, ":", address);
    case Kind::kUcast:
      return absl::StrCat("ucast:", iface, ":", address);
  }
  return absl::StrCat("?:", iface);
}

}  // namespace tachy
