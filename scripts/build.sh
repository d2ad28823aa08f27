#!/usr/bin/env bash
# Installs dependencies (Debian 12) and builds tachy into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [[ ! -f build/build.ninja ]]; then
  # -g1 (line tables and function names: backtraces, perf and strace -k
  # still name file:line) rather than full -g: a fifth less compile time of
  # the suite's 20 minutes. The Debian package builds with Debian's flags.
  meson setup build --buildtype=debugoptimized -Dcpp_args=-g1
fi
ninja -C build
