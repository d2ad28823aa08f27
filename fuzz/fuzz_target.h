// fuzz_target.h: libFuzzer's entry point, declared once for every target.
#ifndef TACHY_FUZZ_FUZZ_TARGET_H_
#define TACHY_FUZZ_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // TACHY_FUZZ_FUZZ_TARGET_H_
