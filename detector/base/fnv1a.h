// fnv1a.h: 32-bit FNV-1a, the project's one hash of names: a node's id in
// the frame (detector/frame.h NameId) and the runner's haresources digest.
#ifndef TACHY_DETECTOR_BASE_FNV1A_H_
#define TACHY_DETECTOR_BASE_FNV1A_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace tachy {

inline constexpr uint32_t kFnv1aSeed = 2166136261u;

// Fnv1a()
//
// The hash of `bytes`, continuing from `h` (kFnv1aSeed for a fresh one).
inline uint32_t Fnv1a(absl::string_view bytes, uint32_t h = kFnv1aSeed) {
  for (char c : bytes) h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  return h;
}

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_FNV1A_H_
