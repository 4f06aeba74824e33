#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima serve benchmarks (issue 11), in one run, on an SQLite file and on a
# PostgreSQL database (a throwaway cluster, tests/cli/pglib.bash):
#   1. capture throughput over HTTP, POST /capture of EPCIS documents of
#      1,000 COMMISSION events, by 1, 4 and 16 clients at once (curl
#      --parallel), against `yima link import` of the same events
#      into a fresh store of the same kind; target >= 0.5;
#   2. latency of a single PACK of 24 (one AggregationEvent a document)
#      with 16 clients at once: p50 and p99; target p99 <= 20 ms;
#   3. PostgreSQL against SQLite: a bulk import of item->case PACK links
#      (links/s) and the trace of a full pallet of 1,440 items
#      (bench_link_trace, in-process, median).
# Usage: bash bench/serve.sh [BUILD_DIR] [--quick]   (default build/; needs
# yima and bench/bench_link_trace, curl, python3, sqlite3,
# and Debian's postgresql for the PostgreSQL side). Knobs (full / quick):
# SERVE_DOCS documents per throughput run (32 / 8), SERVE_DOC_EVENTS (1000),
# SERVE_CLIENTS ("1 4 16"), SERVE_PACKS PACK documents (2000 / 160),
# SERVE_BULK_CASES cases in the bulk import, rounded up to whole pallets of
# 60 (1200 / 120: PostgreSQL's bulk import is slow), SERVE_STORES ("sqlite pg").
# The full run takes some 5 to 10 minutes on 2 cores, most of it PostgreSQL.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
root=$(cd "$(dirname "$0")/.." && pwd)
bench_args "$@"
Y=$B/yima
TRACE=$B/bench/bench_link_trace
need_built "$Y" "$TRACE"
for c in curl python3 sqlite3; do
    command -v $c >/dev/null || { echo "serve.sh: $c is needed" >&2; exit 2; }
done
if [ "$QUICK" = 1 ]; then d=(8 160 120); else d=(32 2000 1200); fi
DOCS=${SERVE_DOCS:-${d[0]}} PACKS=${SERVE_PACKS:-${d[1]}} BULK=${SERVE_BULK_CASES:-${d[2]}}
EV=${SERVE_DOC_EVENTS:-1000}
BULK=$(((BULK + 59) / 60 * 60)) # whole pallets of 60 cases
CLIENTS=${SERVE_CLIENTS:-1 4 16}
STORES=${SERVE_STORES:-sqlite pg}
cd "$W"
log() { echo "serve.sh: $*" >&2; }
# quiet CMD...: CMD with its messages kept back, shown if it fails.
quiet() { "$@" 2>"$W/cmd.err" || { cat "$W/cmd.err" >&2; exit 3; }; }

# The PostgreSQL cluster, started as the tests start theirs; a store is a
# fresh database of it, or a fresh SQLite file.
if [[ " $STORES " == *" pg "* ]]; then
    FAILED=0
    bad() { echo "serve.sh: $*" >&2; }
    T=$W
    source "$root/tests/cli/pglib.bash"
    pg_start
fi
new_store() { # new_store KIND NAME: a fresh, empty store's path or URL
    if [ "$1" = pg ]; then "$PG_BINDIR/createdb" "$2" && pg_url "$2"; else echo "$W/$2.db"; fi
}

# serve_start STORE ARGS...: yima serve on a free loopback port: SRV, PORT.
serve_start() {
    local store=$1
    shift
    "$Y" serve -s "$store" "$@" --listen 127.0.0.1:0 2>"$W/srv.log" &
    SRV=$!
    PORT=""
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^yima serve: listening on http:\/\/[^/]*:\([0-9]*\)\/.*/\1/p' "$W/srv.log")
        [ -n "$PORT" ] && return
        sleep 0.1
    done
    echo "serve.sh: the server did not start: $(cat "$W/srv.log")" >&2
    exit 3
}
serve_stop() { kill -TERM "$SRV" && wait "$SRV" || true; }

mkdir k
"$Y" keygen -o k/brand >/dev/null 2>&1
# post_load PORT PATH TOKEN CLIENTS FILE...: curl POSTs each file once,
# CLIENTS transfers at a time (--parallel: a new one as soon as one ends),
# and prints "post requests= ok= seconds= p50_ms= p99_ms= max_ms=": the
# answers 2xx, the wall time of the whole load, and each transfer's time
# from its start to the answer's end (curl's time_total).
post_load() {
    local port=$1 path=$2 token=$3 clients=$4 f sep="" t0 t1
    shift 4
    (umask 077 && : >post.cfg) # it holds the token
    for f in "$@"; do
        printf '%surl = "http://127.0.0.1:%s%s"\nheader = "Authorization: Bearer %s"\n' \
            "$sep" "$port" "$path" "$token" >>post.cfg
        printf 'header = "Content-Type: application/json"\ndata-binary = "@%s"\n' "$f" >>post.cfg
        printf 'output = "/dev/null"\nwrite-out = "%%{http_code} %%{time_total}\\n"\n' >>post.cfg
        sep=$'next\n'
    done
    t0=$(now)
    curl -s --no-progress-meter --parallel --parallel-immediate --parallel-max "$clients" -K post.cfg >post.times || true
    t1=$(now)
    awk -v n=$# 'END { exit NR != n } $1 < 200 || $1 >= 300 { exit 1 }' post.times || {
        echo "serve.sh: a POST $path failed or got no answer; the server said: $(tail -n 3 "$W/srv.log")" >&2
        exit 3
    }
    sort -k2 -g post.times | awk -v n=$# -v a="$t0" -v b="$t1" '
        { ms[NR] = $2 * 1000; if ($1 >= 200 && $1 < 300) ok++ }
        END { printf "post requests=%d ok=%d seconds=%.3f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
              n, ok, b - a, ms[int(NR / 2) + 1], ms[int((NR - 1) * 0.99) + 1], ms[NR] }'
}
# field NAME FILE: NAME=value of post_load's line.
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" "$2"; }

# --- fixtures ----------------------------------------------------------------------
log "fixtures: $((DOCS * EV)) items in $DOCS documents; $PACKS PACKs of 24; $BULK cases"
"$Y" gen -k k/brand.key -b 1 -n $((DOCS * EV)) -a mac -f tsv --no-ledger -q -o thr.tsv
"$Y" gen -k k/brand.key -b 2 -n $((PACKS * 24)) -a mac --pack 24,60 -f tsv --no-ledger -q -o pack.tsv
"$Y" gen -k k/brand.key -b 3 -n $((BULK * 24)) -a mac --pack 24,60 -f tsv --no-ledger -q \
    -o bulk.tsv
mkdir docs packs
python3 - "$EV" <<'PY'
import json, sys
ev = int(sys.argv[1])
def doc(path, events):
    json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
               "type": "EPCISDocument", "schemaVersion": "2.0",
               "creationDate": "2026-06-01T00:00:00Z", "epcisBody": {"eventList": events}},
              open(path, "w"))
def base(i):
    return {"eventID": "b-%d" % i, "eventTime": "2026-06-01T08:00:00.000Z",
            "eventTimeZoneOffset": "+00:00", "action": "ADD"}
uri = lambda c: "urn:yima:code:" + c
rows = [l.rstrip("\n").split("\t") for l in open("thr.tsv") if not l.startswith("index")]
items = [r[3] for r in rows]
with open("thr.events.tsv", "w") as t:
    for d in range(len(items) // ev):
        events = []
        for i in range(d * ev, d * ev + ev):
            events.append(dict(base(i), type="ObjectEvent", epcList=[uri(items[i])],
                               bizStep="commissioning", disposition="active",
                               ilmd={"yima:product": "P1", "cbvmda:lotNumber": "L1"}))
            t.write("COMMISSION\t%s\tP1\tL1\n" % items[i])
        doc("docs/%05d.json" % d, events)
rows = [l.rstrip("\n").split("\t") for l in open("pack.tsv") if not l.startswith("index")]
kids = {}
with open("pack.commission.tsv", "w") as t:
    for r in rows:
        if r[1] == "item":
            kids.setdefault(r[5], []).append(r[3])
            t.write("COMMISSION\t%s\tP1\tL1\n" % r[3])
for n, (case, k) in enumerate(kids.items()):
    doc("packs/%05d.json" % n, [dict(base(n), type="AggregationEvent", parentID=uri(case),
                                     childEPCs=[uri(c) for c in k], bizStep="packing")])
PY
# The bulk import's PACK lines (cases, then pallets), as bench/link.sh makes them.
awk 'BEGIN { FS = OFS = "\t" } NR == 1 { next }
{ l = $2 == "item" ? 0 : $2 == "case" ? 1 : 2; p = l == 0 ? $6 : $7 }
l < 2 && p != cur[l] { if (line[l] != "") print line[l] >(l ? "pallets.tsv" : "cases.tsv"); cur[l] = p; line[l] = "PACK\t" p }
l < 2 { line[l] = line[l] "\t" $4 }
END { print line[0] >"cases.tsv"; print line[1] >"pallets.tsv" }' bulk.tsv
LINKS=$(awk -F'\t' '{ n += NF - 2 } END { print n }' cases.tsv)
PALLET=$(awk -F'\t' '{ print $2; exit }' pallets.tsv)
sqlite3 raw.db "CREATE TABLE link(parent TEXT, child TEXT UNIQUE); CREATE INDEX link_parent ON link(parent);"
rm thr.tsv pack.tsv bulk.tsv

# --- the runs ----------------------------------------------------------------------
rows=()
row() { local r="|" a; for a in "$@"; do r+=" $a |"; done; rows+=("$r"); }
declare -A bulk trace
for kind in $STORES; do
    # 1. capture throughput against link import
    s=$(new_store "$kind" import)
    log "$kind: link import of $((DOCS * EV)) events"
    t0=$(now)
    quiet "$Y" link -s "$s" -k k/brand.key -q import thr.events.tsv
    t1=$(now)
    direct=$(awk -v n=$((DOCS * EV)) -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
    for c in $CLIENTS; do
        s=$(new_store "$kind" "capture$c")
        quiet "$Y" link -s "$s" -k k/brand.key -q import /dev/null
        tok=$("$Y" serve -s "$s" token add --role capture bench 2>/dev/null)
        serve_start "$s" -k k/brand.key -j $((c > 2 ? c : 2))
        log "$kind: capture, $c clients, $DOCS documents"
        post_load "$PORT" /capture "$tok" "$c" docs/*.json >post.out
        serve_stop
        ok=$(field ok post.out) sec=$(field seconds post.out)
        http=$(awk -v n=$((ok * EV)) -v s="$sec" 'BEGIN { printf "%.0f", n / s }')
        ratio=$(awk -v a="$http" -v b="$direct" 'BEGIN { printf "%.2f", a / b }')
        row "capture, POST /capture of $ok x $EV events, clients: $c (p50 $(field p50_ms post.out) ms a document)" \
            "$kind" "$http events/s" "link import, same events: $direct events/s" "$ratio" ">= 0.5" \
            "$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5 ? "yes" : "no") }')"
    done
    # 2. PACK latency, 16 clients
    s=$(new_store "$kind" pack)
    quiet "$Y" link -s "$s" -k k/brand.key -q import pack.commission.tsv
    tok=$("$Y" serve -s "$s" token add --role capture bench 2>/dev/null)
    serve_start "$s" -k k/brand.key --pack 24,60 -j 16
    log "$kind: $PACKS PACKs of 24, 16 clients"
    post_load "$PORT" /capture "$tok" 16 packs/*.json >post.out
    serve_stop
    p99=$(field p99_ms post.out)
    row "PACK of 24, one a document, 16 clients: p99 ($(field ok post.out) PACKs; p50 $(field p50_ms post.out), max $(field max_ms post.out) ms)" \
        "$kind" "$p99 ms" "-" "-" "<= 20 ms" "$(awk -v p="$p99" 'BEGIN { print (p <= 20 ? "yes" : "no") }')"
    # 3. bulk import and trace
    s=$(new_store "$kind" bulk)
    log "$kind: bulk import of $LINKS links"
    t0=$(now)
    quiet "$Y" link -s "$s" -k k/brand.key --pack 24,60 --bulk -q import cases.tsv
    t1=$(now)
    quiet "$Y" link -s "$s" -k k/brand.key --pack 24,60 --bulk -q import pallets.tsv
    bulk[$kind]=$(awk -v n="$LINKS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
    "$TRACE" "$s" "$PALLET" raw.db 20 >trace.out
    trace[$kind]=$(sed -n 's/^yima .*median_ms=\([0-9.]*\).*/\1/p' trace.out)
done
if [[ -n ${bulk[pg]:-} && -n ${bulk[sqlite]:-} ]]; then
    row "bulk import, mac, $LINKS item->case links" "pg / sqlite" "${bulk[pg]} links/s" \
        "SQLite: ${bulk[sqlite]} links/s" "$(awk -v a="${bulk[pg]}" -v b="${bulk[sqlite]}" 'BEGIN { printf "%.2f", a / b }')" \
        "(report)" "-"
    row "trace full pallet, in-process, median of 20" "pg / sqlite" "${trace[pg]} ms" \
        "SQLite: ${trace[sqlite]} ms" "$(awk -v a="${trace[pg]}" -v b="${trace[sqlite]}" 'BEGIN { printf "%.2f", a / b }')" \
        "(report)" "-"
else
    for kind in $STORES; do
        row "bulk import, mac, $LINKS links" "$kind" "${bulk[$kind]} links/s" "-" "-" "(report)" "-"
        row "trace full pallet, in-process, median of 20" "$kind" "${trace[$kind]} ms" "-" "-" "(report)" "-"
    done
fi

echo "yima serve, $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| measure | store | yima | peer | ratio | target | met? |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
