#!/usr/bin/env bash
# The demo: builds everything, then runs two tachyd nodes in network
# namespaces, SIGKILLs one repeatedly and prints the detection times.
# Usage (as root): scripts/demo.sh [--trials N] [--keepalive 2ms] [--deadtime 20ms]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >&2
exec python3 tools/lab/demo.py --tachyd build/detector/tachyd --tachyctl build/tools/tachyctl "$@"
