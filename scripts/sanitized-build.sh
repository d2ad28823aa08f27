#!/usr/bin/env bash
# Builds everything into ./build-fuzz with clang-14 under AddressSanitizer and
# UndefinedBehaviorSanitizer, with the libFuzzer targets (fuzz/). The suite
# runs the unit tests from there and the fuzzers (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
if [[ ! -f build-fuzz/build.ninja ]]; then
  CXX=clang++-14 meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false --buildtype=debugoptimized >&2
fi
ninja -C build-fuzz >&2
