#!/usr/bin/env bash
# The whole test suite: builds, runs unit and network-namespace integration
# tests, then a short run of the benchmarks (micro and failover), then the
# unit tests under ASan + UBSan and the fuzzers (clang-14, ./build-fuzz).
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
# Second stage: the unit tests again under ASan + UBSan (clang-14, build-fuzz),
# then every fuzz target: its seed corpus replayed and 10 s of fuzzing (a
# smoke inside the suite's 20 minutes; scripts/fuzz.sh SECONDS runs longer).
san_status=0
san_summary="not run (the first stage failed)"
fuzz_status=0
if [[ $tests_status -eq 0 ]]; then
  if bash scripts/sanitized-build.sh; then
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      meson test -C build-fuzz --suite unit --no-rebuild --print-errorlogs --num-processes 2
    san_status=$?
    san_summary=$(count build-fuzz/meson-logs/testlog.json)
    bash scripts/fuzz.sh 10
    fuzz_status=$?
  else
    san_status=1
    san_summary="the sanitized build failed"
  fi
fi
echo "tests: ${tests_summary}"
echo "unit tests under ASan+UBSan: ${san_summary}"
echo "fuzzers: $([[ $fuzz_status -eq 0 ]] && echo "no failure" || echo FAILED)"
[[ $tests_status -eq 0 && $bench_status -eq 0 && $san_status -eq 0 && $fuzz_status -eq 0 ]]
