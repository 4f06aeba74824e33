#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Eight station clients capturing into one store at once through yima serve
# (issue 11): each curl client has its own capture token and sends a stream
# of EPCIS documents to POST /capture and event lines to POST /events/tsv
# (commissions, PACKs of cases and a pallet, and one document sent twice),
# all eight at the same time against a server with a thread each. Every
# event is applied exactly once (the export holds each once, no duplicate,
# the re-sent document skipped), every 202's capture is applied, each
# event's station is the token's name of the client that sent it, and the
# audit passes; the threads' store handles were open before the first
# request. Runs on SQLite and (cli_serve_stations_pg) PostgreSQL.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/servelib.bash"
STATIONS=8
ITEMS=96 # a station's items: 4 cases of 24, one pallet
fixed_key "$T/brand" 31
S=$(store s)
expect_status "a store" 0 "$Y" link -s "$S" -k "$T/brand.key" -q import /dev/null
for i in $(seq $STATIONS); do
    "$Y" gen -k "$T/brand.key" -b "$i" -n $ITEMS -a sig --pack 24,4 -f tsv --no-ledger -q \
        -o "$T/codes$i.tsv"
    TOKEN[i]=$("$Y" serve -s "$S" token add --role capture "station-$i" 2>/dev/null)
done
ADMIN=$("$Y" serve -s "$S" token add --role admin ops 2>/dev/null)

# A station's requests, in the order it sends them, as files $T/st$i/NN.json
# (EPCIS, POST /capture) or NN.tsv (POST /events/tsv): commissions of 12
# items a document, then 24 as event lines, the first three cases' PACKs as
# a document, the last case's and the pallet's as lines, and the first
# document once more (a station retrying after a lost answer).
python3 - "$T" "$STATIONS" <<'PY'
import json, os, shutil, sys
def station(st):
    rows = [l.rstrip("\n").split("\t") for l in open("%s/codes%s.tsv" % (T, st)) if not l.startswith("index")]
    out = "%s/st%s" % (T, st)
    os.mkdir(out)
    items = [r[3] for r in rows if r[1] == "item"]
    cases = [r[3] for r in rows if r[1] == "case"]
    pallet = [r[3] for r in rows if r[1] == "pallet"][0]
    kids = {c: [r[3] for r in rows if r[1] == "item" and r[5] == c] for c in cases}
    uri = lambda c: "urn:yima:code:" + c
    def doc(name, events):
        for n, e in enumerate(events):
            e.update(eventID="st%s-%s-%d" % (st, name, n), eventTime="2026-06-01T08:00:00.000Z",
                     eventTimeZoneOffset="+00:00", action="ADD")
        json.dump({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                   "type": "EPCISDocument", "schemaVersion": "2.0",
                   "creationDate": "2026-06-01T00:00:00Z", "epcisBody": {"eventList": events}},
                  open("%s/%s.json" % (out, name), "w"))
    def commission(codes):
        return [{"type": "ObjectEvent", "epcList": [uri(c)], "bizStep": "commissioning",
                 "disposition": "active", "ilmd": {"yima:product": "P" + st, "cbvmda:lotNumber": "L1"}}
                for c in codes]
    for d in range(6):
        doc("%02d" % d, commission(items[12 * d:12 * d + 12]))
    open(out + "/06.tsv", "w").write("".join("COMMISSION\t%s\tP%s\tL1\n" % (c, st) for c in items[72:]))
    doc("07", [{"type": "AggregationEvent", "parentID": uri(c), "childEPCs": [uri(k) for k in kids[c]],
                "bizStep": "packing"} for c in cases[:3]])
    open(out + "/08.tsv", "w").write("PACK\t%s\t%s\nPACK\t%s\t%s\n" % (
        cases[3], "\t".join(kids[cases[3]]), pallet, "\t".join(cases)))
    shutil.copy(out + "/00.json", out + "/09.json")
T = sys.argv[1]
for st in range(1, int(sys.argv[2]) + 1):
    station(str(st))
PY
EVENTS=$((ITEMS + ITEMS / 24 + 1)) # a station's events

start_server "$T/srv.log" -s "$S" -j "$STATIONS" -k "$T/brand.key" --pack 24,4
# Every thread's store handle is open before the first request: on
# PostgreSQL each thread's first request waited 200-300 ms for its
# connection and its prepared statements. Handles: a connection each, or
# descriptors of the SQLite file.
if is_pg "$S"; then
    open=$(sql "$S" "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                     AND pid <> pg_backend_pid()")
else
    open=$(find "/proc/$SRV/fd" -lname "$(readlink -f "$S")" | wc -l)
fi
check "a handle for each of $STATIONS threads and the writer before any request ($open)" \
    test "$open" -ge $((STATIONS + 1))
# station I: its requests in turn; each answer's file, status and Location
# (or "-") to $T/st$I.log, its body to $T/st$I/NN.answer.
station() {
    local i=$1 f code loc
    for f in $(ls "$T/st$i" | grep -E '^[0-9]+\.(json|tsv)$' | sort); do
        local path=/capture
        [[ $f == *.tsv ]] && path=/events/tsv
        code=$(curl -s -o "$T/st$i/${f%.*}.answer" -D "$T/st$i/head" -w '%{http_code}' \
            -H "$(auth "${TOKEN[i]}")" --data-binary @"$T/st$i/$f" "$URL$path")
        loc=$(sed -n 's/^Location: \(.*\)\r$/\1/Ip' "$T/st$i/head")
        echo "$f $code ${loc:--}" >>"$T/st$i.log"
    done
}
for i in $(seq $STATIONS); do station "$i" & CLIENTS[i]=$!; done
for i in $(seq $STATIONS); do wait "${CLIENTS[i]}"; done

# --- every request answered, every capture applied --------------------------------
answers=$(cat "$T"/st*.log)
same "every document answered 202" "$(grep -c '\.json 202 /capture/' <<<"$answers")" $((STATIONS * 8))
same "every event-lines request answered 200" "$(grep -c '\.tsv 200 -$' <<<"$answers")" $((STATIONS * 2))
# A request not answered as it should be: its answer, for the log.
for i in $(seq $STATIONS); do
    while read -r f code _; do
        [[ $f == *.json && $code == 202 || $f == *.tsv && $code == 200 ]] ||
            echo "station $i: $f answered $code: $(head -c 300 "$T/st$i/${f%.*}.answer")"
    done <"$T/st$i.log"
done
# Each 202's status (GET /capture/ID) next to its answer, then one check of
# them all: applied whole, the re-sent document skipped; the event lines'
# answers: every line applied.
while read -r f code loc; do
    [[ $f == *.json && $code == 202 ]] || continue
    curl -s -o "$T/status.${loc##*/}.${f%.json}" -H "$(auth "$ADMIN")" "$URL$loc"
done <<<"$answers"
python3 - "$T" "$STATIONS" >"$T/wrong" <<'PY'
import glob, json, sys
want = {"07": (True, 3, 0, 0), "09": (True, 0, 12, 0)} # else (True, 12, 0, 0)
for f in glob.glob(sys.argv[1] + "/status.*"):
    d, n = json.load(open(f)), f.rsplit(".", 1)[1]
    got = (d["success"], d["applied"], d["skipped"], d["refused"])
    if got != want.get(n, (True, 12, 0, 0)):
        print(f, got)
for st in range(1, int(sys.argv[2]) + 1):
    for n, k in (("06", 24), ("08", 2)):
        d = json.load(open("%s/st%d/%s.answer" % (sys.argv[1], st, n)))
        if (d["events"], d["applied"], d["rejected"]) != (k, k, 0):
            print(st, n, d)
PY
same "statuses read" "$(ls "$T"/status.* | wc -l)" $((STATIONS * 8))
same "every 202's capture applied (the re-sent one skipped), every event line" \
    "$(head -c 600 "$T/wrong")" ""

# --- the store: each event once, under its station's name ------------------------
expect_status "export" 0 "$Y" link -s "$S" export -o "$T/all.tsv"
same "every event is in the store" "$(grep -c . "$T/all.tsv")" $((STATIONS * EVENTS))
same "the store counts as many" "$(sql "$S" "SELECT count(*) FROM events")" $((STATIONS * EVENTS))
# An event's what (type, codes), without its id, time and station.
cut -f4- "$T/all.tsv" | sort >"$T/what"
same "no event twice" "$(uniq -d "$T/what" | wc -l)" 0
same "one COMMISSION per item" "$(grep -c '^COMMISSION' "$T/what")" $((STATIONS * ITEMS))
same "one PACK per case and pallet" "$(grep -c '^PACK' "$T/what")" $((STATIONS * (ITEMS / 24 + 1)))
# Each event's station is the name of the token that sent its codes.
wrong=0
for i in $(seq $STATIONS); do
    n=$(awk -F'\t' -v st="station=station-$i" 'NR == FNR { if ($2 != "level") mine[$4] = 1; next }
        ($5 in mine) && $3 != st { n++ } END { print n + 0 }' "$T/codes$i.tsv" "$T/all.tsv")
    wrong=$((wrong + n))
    same "station-$i's events" "$(grep -c "	station=station-$i	" "$T/all.tsv")" "$EVENTS"
done
same "every event's station is its client's token name" "$wrong" 0
same "no other station" "$(sql "$S" "SELECT count(*) FROM events WHERE station NOT LIKE 'station-%'")" 0
expect_error "the audit passes" 0 \
    "$((STATIONS * EVENTS)) events read; the chain holds up to seq" "$Y" link -s "$S" audit
PALLET=$(awk -F'\t' '$2 == "pallet" { print $4; exit }' "$T/codes$STATIONS.tsv")
expect_status "trace of a pallet" 0 "$Y" link -s "$S" trace --json "$PALLET"
same "it holds its cases and items" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted((l, sum(c["level"] == l for c in d["down"])) for l in {c["level"] for c in d["down"]}))' "$T/out")" \
    "[('case', 4), ('item', 96)]"
kill -TERM "$SRV"
wait "$SRV"
same "the server stops cleanly" "$?" 0
finish serve_stations
