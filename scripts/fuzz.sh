#!/usr/bin/env bash
# The fuzzers: builds build-fuzz (clang-14, libFuzzer, ASan + UBSan), replays
# every target's seed corpus (fuzz/corpus/<name>), then fuzzes each target
# for SECONDS (default 20) with the corpus as a start. New inputs go to a
# scratch copy, not into the tree; a crash leaves its input in
# build-fuzz/findings/<target>/ and fails the run.
#
# Usage (as any user): scripts/fuzz.sh [SECONDS] [TARGET...]
#   scripts/fuzz.sh 10              # the suite's run: 10 s each (default 20)
#   scripts/fuzz.sh 3600 fuzz_frame # an hour on the frame codec
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_frame fuzz_ha_cf fuzz_haresources fuzz_tachy_cf fuzz_event_stream
           fuzz_control_request fuzz_tachydump fuzz_hb_node)
fi
bash scripts/sanitized-build.sh || exit 1
# Any sanitizer report is a failure, not a warning.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
# One target, start to end; its output to the terminal only at the end, so
# that two running side by side do not interleave. Status 1 on a failure.
fuzz_one() {
  local t=$1 corpus scratch findings status=0 out=""
  corpus=fuzz/corpus/${t#fuzz_}
  scratch=$(mktemp -d "/tmp/tachy-$t-XXXXXX")
  findings=build-fuzz/findings/$t
  mkdir -p "$findings"
  cp -r "$corpus/." "$scratch/"
  # 1. The corpus replayed: every seed (and every input once found) still passes.
  if ! build-fuzz/fuzz/"$t" -runs=0 "$corpus" > "$findings/replay.log" 2>&1; then
    out+="fuzz: $t: the corpus replay failed (build-fuzz/findings/$t/replay.log):"$'\n'
    out+="$(tail -30 "$findings/replay.log")"$'\n'
    status=1
  fi
  # 2. Fuzzing, bounded in time; -max_len keeps inputs frame/file sized.
  if ! build-fuzz/fuzz/"$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
      -artifact_prefix="$findings/" -print_final_stats=1 "$scratch" \
      > "$findings/fuzz.log" 2>&1; then
    out+="fuzz: $t: FAILED, input in $findings/ (log: $findings/fuzz.log):"$'\n'
    out+="$(tail -40 "$findings/fuzz.log")"$'\n'
    status=1
  else
    local runs
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$findings/fuzz.log" | grep -o '[0-9]*$')
    echo "fuzz: $t: ${runs:-?} runs in ${seconds} s, no failure"
  fi
  rm -rf "$scratch"
  [[ -z "$out" ]] || printf '%s' "$out" >&2
  echo "$status" > "$findings/status"
}

# One target per core at a time (each fuzzer is one process, one thread);
# each leaves its verdict in build-fuzz/findings/<target>/status.
jobs_max=$(nproc 2>/dev/null || echo 2)
for t in "${targets[@]}"; do
  rm -f "build-fuzz/findings/$t/status"
  while (( $(jobs -rp | wc -l) >= jobs_max )); do wait -n || true; done
  fuzz_one "$t" &
done
wait
failed=0
for t in "${targets[@]}"; do
  if [[ "$(cat "build-fuzz/findings/$t/status" 2>/dev/null)" != 0 ]]; then
    [[ -f "build-fuzz/findings/$t/status" ]] || echo "fuzz: $t: did not finish" >&2
    failed=1
  fi
done
exit $failed
