#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link with many writers (issue 10, section 1), in one run:
#   1. a bulk import of item->case PACK events (mac codes) into a fresh
#      store, alone;
#   2. the same import into another fresh store while two realtime
#      stations (bench_link_station: `link import --realtime --ack` on
#      pipes) each send one PACK of 24, wait for its acknowledgement, pause
#      INTERVAL ms and go on, for as long as the import runs: the import's
#      rate against (1), and the stations' p50/p99/max latency, counted
#      over the events sent while the import ran, each station's first
#      apart (it includes the program's start: bench_link_station.c).
# (2) runs once per station interval: a station's wait is the import's
# commit of what it changed since the last station event, so it grows with
# the interval while the import's cost shrinks.
# Usage: bash bench/link_lines.sh [BUILD_DIR] [--quick]   (default build/;
# full: 2,400,000 links, intervals 50, 250 and 720 ms, 720 ms being a
# 2,000-items-a-minute line's case rate; --quick: 480,000 links, 50 and
# 250 ms). Needs awk.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
bench_args "$@"
Y=$B/yima
STATION=$B/bench/bench_link_station
need_built "$Y" "$STATION"
if [ "$QUICK" = 1 ]; then CASES=20000 INTERVALS="50 250"; else CASES=100000 INTERVALS="50 250 720"; fi
cd "$W"
log() { echo "link_lines.sh: $*" >&2; }

# PACK lines of the items of each case, from gen --pack TSV.
topack() {
    awk 'BEGIN { FS = OFS = "\t" } $2 == "item" && $6 != cur {
        if (line != "") print line; cur = $6; line = "PACK\t" $6 }
        $2 == "item" { line = line "\t" $4 } END { if (line != "") print line }' "$1"
}
"$Y" keygen -o brand >/dev/null 2>&1
log "generating $((CASES * 24)) codes for the import, 2 x 5,000 cases for the stations"
"$Y" gen -k brand.key -b 1 -n $((CASES * 24)) -a mac --pack 24,60 -f tsv --no-ledger -q -o bulk.codes
topack bulk.codes >bulk.tsv
rm bulk.codes
"$Y" gen -k brand.key -b 2 -n 240000 -a mac --pack 24,60 -f tsv --no-ledger -q -o st.codes
topack st.codes >st.tsv
rm st.codes
head -n 5000 st.tsv >stA.tsv
tail -n 5000 st.tsv >stB.tsv
links=$((CASES * 24))
imp=("$Y" link -k brand.key --pack 24,60 -q)

# import STORE: the bulk import; prints its seconds.
import() {
    local t0 t1
    t0=$(now)
    "${imp[@]}" -s "$1" --bulk import bulk.tsv 2>"$1.err" || { cat "$1.err" >&2; exit 3; }
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

log "import alone: $links links"
alone=$(import alone.db)
rm -f alone.db*
rows=""
for iv in $INTERVALS; do
    log "import with two stations, $iv ms apart"
    rm -f st*.db* st?.out
    for st in stA stB; do
        "$STATION" -i "$iv" "$st.tsv" "${imp[@]}" -s shared.db --realtime --ack --source "$st" \
            import >"$st.out" 2>"$st.err" &
        eval "pid_$st=$!"
    done
    with=$(import shared.db)
    kill -TERM "$pid_stA" "$pid_stB"
    wait "$pid_stA" "$pid_stB" || { cat stA.err stB.err >&2; exit 3; }
    # Both stations' latencies, merged: p50/p99/max/first of the pair's worst.
    lat=$(cat stA.out stB.out | awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "=");
        v[kv[1]] = kv[2] } n += v["events"]; if (v["p50_ms"] > p50) p50 = v["p50_ms"]
        if (v["p99_ms"] > p99) p99 = v["p99_ms"]; if (v["max_ms"] > mx) mx = v["max_ms"]
        if (v["first_ms"] > first) first = v["first_ms"] }
        END { printf "%d %.2f %.2f %.2f %.2f", n, p50, p99, mx, first }')
    rows+="$iv $with $lat"$'\n'
    rm -f shared.db*
done

awk -v l="$links" -v alone="$alone" -v rows="$rows" 'BEGIN {
    printf "| measure | yima | peer | ratio | target | met? |\n|---|---|---|---|---|---|\n"
    printf "| bulk import alone, %d item->case links | %.0f links/s (%.2f s) | - | - | - | - |\n",
        l, l / alone, alone
    n = split(rows, r, "\n")
    for (i = 1; i <= n; i++) {
        if (split(r[i], f, " ") < 7) continue
        iv = f[1]; t = f[2]; ev = f[3]; p50 = f[4]; p99 = f[5]; mx = f[6]; first = f[7]
        printf "| import with 2 stations, one PACK each per %d ms + ack | %.0f links/s | alone: %.0f links/s | %.2f | >= 0.80 | %s |\n",
            iv, l / t, l / alone, alone / t, (alone / t >= 0.8 ? "yes" : "no")
        printf "| station latency during it (%d events; p50 %.2f, max %.2f ms; first event, with the program start, %.2f ms), worse station | p99 %.2f ms | - | - | <= 20 ms | %s |\n",
            ev, p50, mx, first, p99, (p99 <= 20 ? "yes" : "no")
    }
}'
