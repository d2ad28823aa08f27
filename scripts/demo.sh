#!/usr/bin/env bash
# The demo: builds everything, then runs two nodes (tachyd + tachy-actions +
# apache2) in network namespaces, crashes the VIP holder repeatedly and prints
# detection and failover times. It is tachybench's demo preset: any tachybench
# option may follow (bench/tachybench --help).
# Usage (as root): scripts/demo.sh [--trials N] [--keepalive 2ms] [--deadtime 20ms]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >&2
exec python3 bench/tachybench --preset demo --tachyd build/detector/tachyd/tachyd \
  --tachyctl build/tools/tachyctl --bridge build/tools/tachy-impair-bridge "$@"
