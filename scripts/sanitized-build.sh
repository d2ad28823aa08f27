#!/usr/bin/env bash
# Builds the unit tests and the libFuzzer targets (fuzz/) into ./build-fuzz
# with clang-14 under AddressSanitizer and UndefinedBehaviorSanitizer. The
# suite runs the unit tests from there (meson test --no-rebuild) and the
# fuzzers (scripts/fuzz.sh).
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
# Only what the second stage runs: the unit tests with what they need (the
# layering test takes tachy-actions) and the fuzz targets. The daemons' and
# tools' own executables are the main build's; skipping them saves ~35 s.
mapfile -t targets < <(python3 scripts/sanitized_targets.py build-fuzz)
if ((${#targets[@]} == 0)); then
  echo "sanitized-build: no unit test or fuzz target found in build-fuzz" >&2
  exit 1
fi
ninja -C build-fuzz "${targets[@]}" >&2
