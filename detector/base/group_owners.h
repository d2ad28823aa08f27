// group_owners.h: the `owner` field of the runner's group report (status
// JSON "groups"): the nodes that hold the group, joined by ',' ("a"; "a,b"
// in a split brain; "" for nobody).
#ifndef TACHY_DETECTOR_BASE_GROUP_OWNERS_H_
#define TACHY_DETECTOR_BASE_GROUP_OWNERS_H_

#include <cstddef>

#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace tachy {

inline bool OwnersInclude(absl::string_view owners, absl::string_view node) {
  for (absl::string_view owner : absl::StrSplit(owners, ',', absl::SkipEmpty())) {
    if (owner == node) return true;
  }
  return false;
}

inline size_t OwnerCount(absl::string_view owners) {
  size_t n = 0;
  for (absl::string_view owner : absl::StrSplit(owners, ',', absl::SkipEmpty())) {
    n += !owner.empty();
  }
  return n;
}

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_GROUP_OWNERS_H_
