#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link benchmarks, side by side: bulk import of item->case PACK links
# (mac codes) against raw SQLite inserts of the same rows, and trace of a
# full pallet. Usage: bench/link.sh BUILD_DIR [CASES]  (CASES x 24 links;
# 416667 for 10M, default 41667 for 1M).
set -euo pipefail
B=${1:?build dir}
CASES=${2:-41667}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
"$B/tests/test_link" --fixture "$W" "$CASES"
awk -F'\t' '$1 == "PACK" && NF == 26' "$W/day.tsv" >"$W/pack.tsv"
awk -F'\t' '{for (i = 3; i <= NF; i++) print $2 "\t" $i}' "$W/pack.tsv" >"$W/raw.tsv"
links=$(wc -l <"$W/raw.tsv")

t0=$(now)
"$B/yima" link -s "$W/s.db" -k "$W/brand.key" --pack 24,60 --bulk -q import "$W/pack.tsv" 2>/dev/null
t1=$(now)
sqlite3 "$W/raw.db" "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" \
    "CREATE TABLE link(parent TEXT, child TEXT UNIQUE); CREATE INDEX link_parent ON link(parent);" \
    ".mode tabs" ".import $W/raw.tsv link" >/dev/null
t2=$(now)

# A full pallet (60 cases, 1,440 items) from the full day's stream.
"$B/yima" link -s "$W/p.db" -k "$W/brand.key" --bulk -q import <(head -n 1600 "$W/day.tsv") 2>/dev/null
P=$(awk -F'\t' '$1 == "PACK" && NF == 62 {print $2; exit}' "$W/day.tsv")
t3=$(now)
for _ in $(seq 20); do "$B/yima" link -s "$W/p.db" trace "$P" >/dev/null; done
t4=$(now)

awk -v l="$links" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" 'BEGIN {
    imp = l / (b - a); raw = l / (c - b)
    printf "%-42s %14s\n", "benchmark", "result"
    printf "%-42s %11.0f/s\n", "link import, mac, item->case links", imp
    printf "%-42s %11.0f/s\n", "raw sqlite3 .import, same rows", raw
    printf "%-42s %14.2f\n", "ratio import / raw", imp / raw
    printf "%-42s %11.1f ms\n", "trace full pallet (1,440 items), per run", (e - d) / 20 * 1000
}'
