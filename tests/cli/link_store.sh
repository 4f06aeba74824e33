#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Several yima link processes creating one new store at once: creation is
# serialised by the store's write lock, so every one succeeds. (0.1: the
# losers failed with SQLite's schema text, cut at 512 bytes.)
source "$(dirname "$0")/testlib.bash"
FIXTURE=$(dirname "$Y")/tests/test_link
ROUNDS=10 PROCS=8

"$FIXTURE" --fixture "$T" 1
mapfile -t CODES < <(awk -F'\t' '$1 == "COMMISSION" {print $2}' "$T/day.tsv" | head -n $PROCS)
for round in $(seq $ROUNDS); do
    S=$(store "new$round") pids=()
    for i in $(seq 0 $((PROCS - 1))); do
        "$Y" link -s "$S" -k "$T/brand.key" --id "r$round-$i" commission "${CODES[$i]}" P L1 \
            >"$T/out$i" 2>&1 &
        pids+=($!)
    done
    for i in $(seq 0 $((PROCS - 1))); do
        if wait "${pids[$i]}"; then ok; else bad "round $round, process $i: $(head -c 300 "$T/out$i")"; fi
        if grep -q CREATE "$T/out$i"; then bad "round $round, process $i quotes the schema"; fi
    done
    "$Y" link -s "$S" stats --json >"$T/stats" 2>&1
    contains "round $round: every commission applied" "$T/stats" "\"COMMISSION\":$PROCS"
done
finish link_store
