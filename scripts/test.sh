#!/usr/bin/env bash
# The whole test suite: builds, runs unit and network-namespace integration
# tests, then a short run of the benchmarks (micro and failover).
# Usage (as root): scripts/test.sh
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh || exit 1

count() {  # summarises meson's test log as "N passed, N failed, N skipped"
  python3 - "$1" <<'PY'
import json, sys
res = [json.loads(l)["result"] for l in open(sys.argv[1]) if l.strip()]
ok = sum(r in ("OK", "EXPECTEDFAIL") for r in res)
skip = sum(r == "SKIP" for r in res)
print(f"{ok} passed, {len(res) - ok - skip} failed, {skip} skipped")
PY
}

meson test -C build --print-errorlogs --num-processes 2
tests_status=$?
tests_summary=$(count build/meson-logs/testlog.json)
bench_status=0
if [[ $tests_status -eq 0 ]]; then
  meson test -C build --benchmark --print-errorlogs
  bench_status=$?
fi
echo "tests: ${tests_summary}"
[[ $tests_status -eq 0 && $bench_status -eq 0 ]]
