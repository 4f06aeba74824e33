#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link's feed to an L4 (issue 10, section 4), in one run:
#   1. export --lot of one lot among ten, in a store of N_LOT events (a line's
#      day of mac codes: 24 COMMISSIONs, then the PACK of their case; the
#      lots in blocks of cases), against a plain export of a store holding only
#      that lot's events (made by importing the --lot export, as TSV, into a
#      fresh store). Both timed exports write the same format, EPCIS 2.0
#      JSON-LD (-f epcis; FORMAT=tsv for TSV), best of REPS runs each,
#      alternating; they must hold the same events, or the script fails.
#   2. audit of a store of N_AUDIT COMMISSION events: events/s, no peer.
# Usage: bash bench/link_feed.sh [BUILD_DIR] [--quick]   (default build/;
# full: 1,000,000 and 10,000,000 events, some minutes and a few GB of scratch
# space; --quick: 100,000 and 1,000,000). Scratch in $TMPDIR. Needs awk.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
bench_args "$@"
Y=$B/yima
[ -x "$Y" ] || { echo "link_feed.sh: $Y missing; build the yima target" >&2; exit 2; }
if [ "$QUICK" = 1 ]; then N_LOT=${N_LOT:-100000} N_AUDIT=${N_AUDIT:-1000000}; else
    N_LOT=${N_LOT:-1000000} N_AUDIT=${N_AUDIT:-10000000}; fi
REPS=${REPS:-3}
FORMAT=${FORMAT:-epcis}
CASES=$((N_LOT / 25)) EVENTS=$((N_LOT / 25 * 25))
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
cd "$W"
log() { echo "link_feed.sh: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

# import STORE FILE EVENTS: a bulk import that must apply every event.
import() {
    "$Y" link -s "$1" -k k/brand.key --bulk -q import "$2" 2>import.err ||
        fail "import into $1 exited $?: $(cat import.err)"
    grep -q ": $3 events: $3 applied, 0 skipped (already in the store), 0 rejected" import.err ||
        fail "import into $1: not $3 events applied: $(cat import.err)"
}
# export_to STORE OUT [OPTION...]: an export that must succeed.
export_to() {
    local s=$1 o=$2
    shift 2
    "$Y" link -s "$s" export "$@" -o "$o" 2>export.err ||
        fail "export of $s exited $?: $(cat export.err)"
}
# day CASES LOTS: gen's items as a line's events, 24 COMMISSIONs then the
# case's PACK, cases in LOTS blocks of lots L0, L1, ...
day() {
    "$Y" gen -k k/brand.key -b 1 -n $(($1 * 24)) -a mac --pack 24,60 -f tsv --no-ledger -q -o - |
        awk -F'\t' -v OFS='\t' -v cases="$1" -v lots="$2" '
        NR == 1 || $2 != "item" { next }
        $6 != cur {
            if (pack != "") print pack
            cur = $6; lot = "L" int(k++ * lots / cases); pack = "PACK\t" $6
        }
        { print "COMMISSION", $4, "P1", lot; pack = pack "\t" $4 }
        END { if (pack != "") print pack }'
}
# events FILE: the events of an export, sorted by their yima event ids.
events() {
    if [ "$FORMAT" = epcis ]; then grep -o '"yima:eventID":"[^"]*"' "$1" | cut -d'"' -f4
    else cut -f1 "$1"; fi | sort
}

mkdir k
"$Y" keygen -o k/brand >/dev/null 2>&1

# --- 1. --lot among ten against that lot alone ---------------------------------
log "lot: $EVENTS events ($CASES cases) in ten lots"
day "$CASES" 10 >day.tsv
import big.db day.tsv "$EVENTS"
rm day.tsv
export_to big.db l3.tsv --lot L3
LOT_EVENTS=$(wc -l <l3.tsv)
import alone.db l3.tsv "$LOT_EVENTS"
rm l3.tsv
for _ in $(seq "$REPS"); do
    once lot "$LOT_EVENTS" export_to big.db out/lot --lot L3 -f "$FORMAT"
    events out/lot >lot.ids
    once alone "$LOT_EVENTS" export_to alone.db out/alone -f "$FORMAT"
    events out/alone >alone.ids
done
n_lot=$(wc -l <lot.ids) n_alone=$(wc -l <alone.ids)
if [ "$n_lot" != "$LOT_EVENTS" ] || [ "$n_alone" != "$LOT_EVENTS" ]; then
    fail "exports of L3: $n_lot events from the store of ten lots, $n_alone from that lot" \
        "alone, $LOT_EVENTS expected"
fi
cmp -s lot.ids alone.ids || fail "exports of L3: the same count ($n_lot), other events"
rm -f big.db* alone.db* lot.ids alone.ids

# --- 2. audit ---------------------------------------------------------------------
log "audit: $N_AUDIT events"
"$Y" gen -k k/brand.key -b 2 -n "$N_AUDIT" -a mac -f tsv --no-ledger -q -o - |
    awk -F'\t' -v OFS='\t' 'NR > 1 { print "COMMISSION", $4, "P1", "A" int((NR - 2) / 100000) }' |
    "$Y" link -s audit.db -k k/brand.key --bulk -q --source audit import - 2>import.err ||
    fail "audit store: import exited $?: $(cat import.err)"
grep -q ": $N_AUDIT events: $N_AUDIT applied" import.err || fail "audit store: $(cat import.err)"
STORE_MB=$(du -m audit.db | cut -f1)
audit() {
    "$Y" link -s audit.db audit 2>audit.err || fail "audit exited $?: $(cat audit.err)"
    grep -q "audit: $N_AUDIT events read" audit.err || fail "audit: $(cat audit.err)"
}
for _ in $(seq "$REPS"); do once audit "$N_AUDIT" audit; done
rm -f audit.db*

echo "link_feed.sh: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
    "build $B, scratch $(stat -f -c %T "$W"), export format $FORMAT, best of $REPS," \
    "load before the run $LOAD"
echo
awk -v n="$EVENTS" -v le="$LOT_EVENTS" -v lot="${rate[lot]}" -v alone="${rate[alone]}" \
    -v f="$FORMAT" -v na="$N_AUDIT" -v au="${rate[audit]}" -v mb="$STORE_MB" 'BEGIN {
    tl = le / lot; ta = le / alone
    printf "| measure | yima | peer | ratio | target | met? |\n|---|---|---|---|---|---|\n"
    printf "| export --lot, one lot of ten (%d of %d events), -f %s | %.3f s ", le, n, f, tl
    printf "| the same events, a store of that lot alone, plain export: %.3f s ", ta
    printf "| %.2f | <= 2 | %s |\n", tl / ta, (tl / ta <= 2 ? "yes" : "no")
    printf "| audit, %d COMMISSION events (store %d MB) ", na, mb
    printf "| %.0f events/s (%.2f s) ", au, na / au
    printf "| - | - | (report) | - |\n"
}'
