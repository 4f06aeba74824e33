#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link benchmarks, each side by side with its peer in one run:
#   1. bulk import of item->case PACK links (mac codes) into a fresh store,
#      against sqlite3 .import of the same (parent, child) rows, no checks;
#   2. import with sig codes against the raw Ed25519 verify rate on as
#      many threads (bench_sodium verify);
#   3. real-time PACK events of 24, one commit each, synchronous=NORMAL,
#      against raw SQLite inserts of the same rows (bench_link_latency);
#   4. trace of a full pallet (1,440 items) in-process, against a raw
#      recursive subtree query (bench_link_trace), and through the CLI.
# Usage: bash bench/link.sh [BUILD_DIR] [--quick]   (default build/; full:
# 10,000,008 links; --quick: 240,000). Needs sqlite3 and awk.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
bench_args "$@"
Y=$B/yima
need_built "$Y" "$B/bench/bench_link_latency" "$B/bench/bench_link_trace"
command -v sqlite3 >/dev/null || { echo "link.sh: sqlite3 (the CLI) is needed" >&2; exit 2; }
if [ "$QUICK" = 1 ]; then CASES=10000 SIGCASES=1000 LAT=500; else CASES=416667 SIGCASES=10000 LAT=2000; fi
T=$(nproc)
cd "$W"
log() { echo "link.sh: $*" >&2; }

# Fixtures: CASES cases for the bulk import, then LAT more for the latency
# run; PACK events made from yima gen's pre-assigned hierarchy.
topack='BEGIN { FS = OFS = "\t" }
NR == 1 || $2 == "pallet" { next }
{ l = $2 == "item" ? 0 : 1; p = l == 0 ? $6 : $7 }
p != cur[l] { if (line[l] != "") print line[l]; cur[l] = p; line[l] = "PACK\t" p }
{ line[l] = line[l] "\t" $4 }
END { for (l = 0; l < 2; l++) if (line[l] != "") print line[l] }'
mkdir k
"$Y" keygen -o k/brand >/dev/null 2>&1
log "generating $(((CASES + LAT) * 24)) mac codes"
"$Y" gen -k k/brand.key -b 1 -n $(((CASES + LAT) * 24)) -a mac --pack 24,60 -f tsv --no-ledger \
    -q -o mac.tsv
awk "$topack" mac.tsv >events.tsv
rm mac.tsv
awk -F'\t' -v c="$CASES" 'NF == 26 { if (++n <= c) print >"bulk.tsv"; else print >"lat.tsv" }
    NF == 62 { print >"pallets.tsv" }' events.tsv
rm events.tsv
awk -F'\t' '{ for (i = 3; i <= NF; i++) print $2 "\t" $i }' bulk.tsv >raw.tsv
links=$(wc -l <raw.tsv)

log "import: yima link, $links links"
t0=$(now)
"$Y" link -s s.db -k k/brand.key --pack 24,60 --bulk -q import bulk.tsv 2>/dev/null
t1=$(now)
log "import: raw sqlite3 .import, $links rows"
sqlite3 raw.db "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" \
    "CREATE TABLE link(parent TEXT, child TEXT UNIQUE); CREATE INDEX link_parent ON link(parent);" \
    ".mode tabs" ".import raw.tsv link" >/dev/null
t2=$(now)
rm raw.tsv

log "import: sig, $((SIGCASES * 24)) links, $T threads"
"$Y" gen -k k/brand.key -b 2 -n $((SIGCASES * 24)) -a sig --pack 24,60 -f tsv --no-ledger -q \
    -o sig.tsv
awk "$topack" sig.tsv | awk -F'\t' 'NF == 26' >sigev.tsv
sigcodes=$(awk -F'\t' '{ n += NF - 1 } END { print n }' sigev.tsv)
t3=$(now)
"$Y" link -s sig.db -p k/brand.pub -j "$T" --pack 24,60 --bulk -q import sigev.tsv 2>/dev/null
t4=$(now)
verify=$("$B/bench/bench_sodium" verify "$T" 5s 2>/dev/null | sed -n 's/.* rate=\([0-9]*\).*/\1/p' ||
    true)

# The pallets (untimed), so that trace has a full one; raw gets them too.
"$Y" link -s s.db -k k/brand.key --bulk -q import pallets.tsv 2>/dev/null
awk -F'\t' '{ for (i = 3; i <= NF; i++) print $2 "\t" $i }' pallets.tsv >rawp.tsv
sqlite3 raw.db ".mode tabs" ".import rawp.tsv link"
P=$(awk -F'\t' '{ print $2; exit }' pallets.tsv)

log "latency: $LAT events"
"$B/bench/bench_link_latency" s.db k/brand.key lat.tsv raw.db >lat.out
log "trace: pallet $P"
"$B/bench/bench_link_trace" s.db "$P" raw.db 50 >trace.out
"$Y" link -s s.db trace "$P" >/dev/null
t5=$(now)
for _ in $(seq 20); do "$Y" link -s s.db trace "$P" >/dev/null; done
t6=$(now)

field() { sed -n "s/^$1 .* $2=\([0-9.]*\).*/\1/p" "$3"; }
awk -v l="$links" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" -v f="$t5" -v g="$t6" \
    -v sc="$sigcodes" -v sl="$((SIGCASES * 24))" -v vr="${verify:-0}" -v th="$T" \
    -v lp50="$(field yima p50_ms lat.out)" -v lp99="$(field yima p99_ms lat.out)" \
    -v lmax="$(field yima max_ms lat.out)" -v rp99="$(field raw p99_ms lat.out)" \
    -v tr="$(field yima median_ms trace.out)" -v rtr="$(field raw median_ms trace.out)" \
    -v rows="$(field raw rows trace.out)" -v lat="$LAT" 'BEGIN {
    imp = l / (b - a); raw = l / (c - b); sig = sc / (e - d); cli = (g - f) / 20 * 1000
    printf "| measure | yima | peer | ratio | target | met? |\n|---|---|---|---|---|---|\n"
    printf "| bulk import, mac, %d item->case links | %.0f links/s | sqlite3 .import, same rows: %.0f rows/s | %.2f | >= 200,000 links/s | %s |\n",
        l, imp, raw, imp / raw, (imp >= 200000 ? "yes" : "no")
    if (vr > 0)
        printf "| import, sig, %d links (%d codes verified), %d threads | %.0f codes/s | crypto_sign_verify_detached x %d threads: %.0f/s | %.2f | >= 0.80 | %s |\n",
            sl, sc, th, sig, th, vr, sig / vr, (sig / vr >= 0.8 ? "yes" : "no")
    else
        printf "| import, sig, %d links, %d threads | %.0f codes/s | bench_sodium missing | - | >= 0.80 | ? |\n",
            sl, th, sig
    printf "| realtime PACK of 24, sync NORMAL, p99 (%d events; p50 %.2f, max %.2f ms) | %.2f ms | raw inserts, 1 txn/event: p99 %.2f ms | %.2f | <= 2 ms | %s |\n",
        lat, lp50, lmax, lp99, rp99, lp99 / rp99, (lp99 <= 2 ? "yes" : "no")
    printf "| trace full pallet (%d codes), in-process, median | %.2f ms | recursive SQL subtree, raw table: %.2f ms | %.2f | <= 5 ms | %s |\n",
        rows, tr, rtr, tr / rtr, (tr <= 5 ? "yes" : "no")
    printf "| trace full pallet, CLI incl. process start, mean of 20 | %.2f ms | - | - | (report) | - |\n", cli
}'
