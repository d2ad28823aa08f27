#!/usr/bin/env bash
# Builds everything into ./build-fuzz with clang-14 under AddressSanitizer and
# UndefinedBehaviorSanitizer, with the libFuzzer targets (fuzz/). The suite
# runs the unit tests from there and the fuzzers (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
if [[ ! -f build-fuzz/build.ninja ]]; then
  # -O1 with line tables: what ASan's documentation recommends, and a fifth
  # cheaper to compile than -O2 -g; the reports still name file:line.
  CXX=clang++-14 meson setup build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbench=false --buildtype=plain \
    -Dcpp_args='-O1 -gline-tables-only' >&2
fi
ninja -C build-fuzz >&2
