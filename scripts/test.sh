#!/usr/bin/env bash
# The whole test suite: builds, runs unit and network-namespace integration
# tests, then a short smoke run of the micro-benchmarks.
# Usage (as root): scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
meson test -C build --print-errorlogs --num-processes 2
meson test -C build --benchmark --print-errorlogs
