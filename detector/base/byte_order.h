// byte_order.h: big-endian (network order) loads and stores on byte
// buffers, for every wire format in the tree (tachy frames, ARP, UDP/IP
// headers in tachydump, the lab bridge). Layouts are never
// reinterpret_cast: each field is read and written byte by byte.
#ifndef TACHY_DETECTOR_BASE_BYTE_ORDER_H_
#define TACHY_DETECTOR_BASE_BYTE_ORDER_H_

#include <cstdint>

namespace tachy {

inline uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

inline uint32_t LoadBe32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | p[i];
  return v;
}

inline uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline void StoreBe32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

inline void StoreBe64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}

}  // namespace tachy

#endif  // TACHY_DETECTOR_BASE_BYTE_ORDER_H_
