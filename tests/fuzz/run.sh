#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks, replays and fuzzes every target of a -DYIMA_FUZZ=ON build:
#   bash tests/fuzz/run.sh BUILD_DIR [SECONDS]
#  1. every target has a non-empty seed corpus of small files;
#  2. every seed is replayed once (a crash or oracle failure fails the run);
#  3. every target is fuzzed for SECONDS (default $YIMA_FUZZ_SECONDS or 60)
#     from a scratch copy of its corpus, so the tree is never modified.
# Crash reproducers go to BUILD_DIR/tests/fuzz/artifacts/, printed at the end.
# YIMA_FUZZ_PARALLEL targets run at once (default 2, one a core on 2 cores).
# Exit status: 0 clean, 1 a crash, oracle failure, leak or timeout, 2 usage.
set -uo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
seconds=${2:-${YIMA_FUZZ_SECONDS:-60}}
parallel=${YIMA_FUZZ_PARALLEL:-2}
src=$(cd "$(dirname "$0")" && pwd)
if ! bin=$(cd "$build/tests/fuzz" 2>/dev/null && pwd) || [ ! -f "$bin/targets.txt" ]; then
  echo "run.sh: no fuzz targets in $build (configure it with CC=clang -DYIMA_FUZZ=ON)" >&2
  exit 2
fi
mapfile -t targets < "$bin/targets.txt"
artifacts=$bin/artifacts
logs=$bin/logs
# In memory if we can: the ledger and key targets fsync on every run.
scratch=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
rm -rf "$artifacts" "$logs"
mkdir -p "$artifacts" "$logs"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The targets' own scratch files: a crash skips their clean-up, the trap does not.
mkdir -p "$scratch/tmp"
export YIMA_FUZZ_TMPDIR=$scratch/tmp
failed=0

# 1. Corpus check, no ctest needed: a target without seeds fuzzes blind.
for t in "${targets[@]}"; do
  dir=$src/corpus/$t
  [ -x "$bin/fuzz_$t" ] || { echo "FAIL $t: $bin/fuzz_$t not built"; failed=1; continue; }
  n=$(find "$dir" -maxdepth 1 -type f -size +0 2>/dev/null | wc -l)
  big=$(find "$dir" -maxdepth 1 -type f -size +64k 2>/dev/null | head -1)
  if [ "$n" -eq 0 ]; then echo "FAIL $t: no seed corpus in $dir"; failed=1; fi
  if [ -n "$big" ]; then echo "FAIL $t: $big is over 64 KiB; keep seeds small"; failed=1; fi
done
[ "$failed" = 0 ] || exit 1

flags() { # common libFuzzer flags of target $1
  local t=$1 d=$src/$1.dict
  echo "-artifact_prefix=$artifacts/$t- -timeout=30 -rss_limit_mb=2048 -print_final_stats=1"
  [ -f "$d" ] && echo "-dict=$d"
}

# 2. Replay: every seed once, files given one by one (nothing is written).
echo "=== fuzz: replaying the seed corpora"
declare -A replayed result execs
for t in "${targets[@]}"; do
  mapfile -t seeds < <(find "$src/corpus/$t" -maxdepth 1 -type f | sort)
  replayed[$t]=${#seeds[@]}
  # shellcheck disable=SC2046
  if "$bin/fuzz_$t" $(flags "$t") "${seeds[@]}" > "$logs/$t.replay.log" 2>&1; then
    result[$t]=ok
  else
    result[$t]="REPLAY FAILED"
    failed=1
    echo "FAIL $t: a seed crashes; see $logs/$t.replay.log"
    grep -E -A1 "ORACLE FAILURE" "$logs/$t.replay.log" | head -3 | sed 's/^/    /'
    grep -E "ERROR: |SUMMARY: |Running: |#[0-9]+ 0x[0-9a-f]+ in [^ ]+ /" "$logs/$t.replay.log" | head -10 | sed 's/^/    /'
  fi
done

# 3. Fuzz from scratch copies of the corpora, $parallel targets at a time.
fuzz_one() {
  local t=$1
  mkdir -p "$scratch/$t"
  cp "$src/corpus/$t"/* "$scratch/$t/"
  # shellcheck disable=SC2046
  "$bin/fuzz_$t" $(flags "$t") -max_total_time="$seconds" "$scratch/$t" > "$logs/$t.fuzz.log" 2>&1
  echo $? > "$logs/$t.rc"
}
echo "=== fuzz: $seconds s a target, $parallel at a time"
running=0
for t in "${targets[@]}"; do
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then wait -n; running=$((running - 1)); fi
done
wait

printf '\n%-10s %7s %12s %9s %7s  %s\n' target seeds executions exec/s corpus result
for t in "${targets[@]}"; do
  log=$logs/$t.fuzz.log
  rc=$(cat "$logs/$t.rc" 2>/dev/null || echo 1)
  execs[$t]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  size=$(find "$scratch/$t" -type f | wc -l)
  if [ "$rc" != 0 ]; then
    failed=1
    result[$t]="FAILED (exit $rc)"
  fi
  printf '%-10s %7s %12s %9s %7s  %s\n' "$t" "${replayed[$t]}" "${execs[$t]:-?}" "${rate:-?}" \
    "$size" "${result[$t]}"
done
for t in "${targets[@]}"; do
  rc=$(cat "$logs/$t.rc" 2>/dev/null || echo 1)
  [ "$rc" = 0 ] && continue
  echo
  echo "--- $t: $logs/$t.fuzz.log"
  # The oracle's message, the sanitizer's verdict, and the frames in our sources.
  grep -E -A1 "ORACLE FAILURE" "$logs/$t.fuzz.log" | head -3 | sed 's/^/    /'
  grep -E "ERROR: |SUMMARY: |#[0-9]+ 0x[0-9a-f]+ in [^ ]+ /" "$logs/$t.fuzz.log" | head -10 | sed 's/^/    /'
done
if ls "$artifacts"/* > /dev/null 2>&1; then
  echo
  echo "Reproducers (replay with: $bin/fuzz_TARGET FILE):"
  ls -1 "$artifacts"/* | sed 's/^/    /'
fi
echo
echo "fuzz artifacts: $artifacts"
exit "$failed"
