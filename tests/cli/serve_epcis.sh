#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima serve, POST /capture and GET /capture/ID (issue 11): an EPCIS 2.0
# document is mapped back to yima events (the inverse of link export -f
# epcis: a store's export captured into a fresh store exports the same
# TSV), verified and applied all or nothing, answered 202 with a Location
# only once committed (so it survives kill -9); a refused document applies
# nothing and its status names each refused event; a re-sent document is
# skipped; the token's name is every event's station (POST /events/tsv
# too); malformed JSON and non-EPCIS JSON are 400; roles are checked.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/servelib.bash"
# The brand's key and a forger's with the same key id: the forger's codes
# are well formed and name the brand's key, but their signatures fail.
for k in brand:21 forger:22; do
    printf '%064x\n' "${k#*:}" >"$T/${k%:*}.seed" && chmod 600 "$T/${k%:*}.seed"
    "$Y" keygen -o "$T/${k%:*}" --id 7 --seed-file "$T/${k%:*}.seed" 2>/dev/null
done
"$Y" gen -k "$T/forger.key" -b 2 -n 4 -a sig -f tsv --no-ledger -q -o "$T/forged.tsv"
RP=urn:epc:id:sgln:9506000.13435.0
LOC=urn:epc:id:sgln:9506000.13435.1
for b in 1 2 3; do # three batches of two cases of 24 items
    "$Y" gen -k "$T/brand.key" -b $b -n 48 -a sig --pack 24,2 -f tsv --no-ledger -q -o "$T/codes$b.tsv"
done
item() { awk -F'\t' -v n="$2" '$2 == "item" && ++i == n { print $4 }' "$1"; }
case_of() { awk -F'\t' -v n="${2:-1}" '$2 == "case" && ++i == n { print $4 }' "$1"; }
# field KEY: a top-level member of the JSON answer in $T/body.
field() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$T/body" "$1"; }
count() { sql "$1" "SELECT count(*) FROM events"; }

# --- the source store: every kind of event, exported as EPCIS -----------------
A=$(store a)
{
    awk -F'\t' '$2 == "item" { print "2026-03-01T08:00:00+08:00\tuser=ann\tCOMMISSION\t" $4 "\tP1\tL1\t2027-12-31" }' "$T/codes1.tsv"
    topack "$T/codes1.tsv" | sed 's/^/2026-03-01T09:00:00+08:00\t/'
    printf '2026-03-01T10:00:00+08:00\tUNPACK\t%s\t%s\n' "$(case_of "$T/codes1.tsv" 2)" "$(item "$T/codes1.tsv" 48)"
    printf '2026-03-01T10:01:00+08:00\tDECOMMISSION\t%s\tdamaged\n' "$(item "$T/codes1.tsv" 1)"
    printf '2026-03-01T10:02:00+08:00\tREPLACE\t%s\t%s\n' "$(item "$T/codes1.tsv" 2)" "$(item "$T/codes3.tsv" 1)"
    printf '2026-03-01T11:00:00+08:00\tSHIP\t%s\turn:epc:id:pgln:9506000.00001\t%s\turn:epcglobal:cbv:bt:9506000134352:desadv-1\n' \
        "$(case_of "$T/codes1.tsv" 2)" urn:epc:id:sgln:9506000.13435.9
    printf '2026-03-02T11:00:00+08:00\tRECEIVE\t%s\n' "$(case_of "$T/codes1.tsv" 2)"
} >"$T/a.tsv"
expect_status "the source store" 0 "$Y" link -s "$A" -k "$T/brand.key" --pack 24,2 --max \
    --read-point "$RP" --location "$LOC" --station st-1 -q import --rejects "$T/a.rej" "$T/a.tsv"
same "every source event applied" "$(count "$A")" 55
expect_status "EPCIS export" 0 "$Y" link -s "$A" export -f epcis -o "$T/a.json"
expect_status "TSV export" 0 "$Y" link -s "$A" export -o "$T/a.out.tsv"

# --- the capturing store and its server ---------------------------------------
B=$(store b)
expect_status "a fresh store" 0 "$Y" link -s "$B" -k "$T/brand.key" -q import /dev/null
CAPTURE=$("$Y" serve -s "$B" token add --role capture st-1 2>/dev/null)
QUERY=$("$Y" serve -s "$B" token add --role query erp 2>/dev/null)
ADMIN=$("$Y" serve -s "$B" token add --role admin ops 2>/dev/null)
start_server "$T/srv.log" -s "$B" -j 2 -k "$T/brand.key" --pack 24,2 --max
# capture NAME STATUS TOKEN FILE: POST FILE to /capture; headers in $T/head.
capture() {
    http "$1" "$2" -D "$T/head" -H "$(auth "$3")" -H "Content-Type: application/ld+json" \
        --data-binary @"$4" "$URL/capture"
}
location() { sed -n 's/^Location: \(.*\)\r$/\1/Ip' "$T/head"; }

http "no token: 401" 401 --data-binary @"$T/a.json" "$URL/capture"
capture "a query token may not capture: 403" 403 "$QUERY" "$T/a.json"
same "nothing applied by refused requests" "$(count "$B")" 0

# --- round trip -----------------------------------------------------------------
capture "capture the source store's export: 202" 202 "$CAPTURE" "$T/a.json"
LOCATION=$(location)
check "Location: /capture/ID" grep -Eq '^/capture/[0-9a-f]{32}$' <<<"$LOCATION"
http "GET the capture (query token)" 200 -H "$(auth "$QUERY")" "$URL$LOCATION"
same "success, rollback, no errors" \
    "$(field running) $(field success) $(field captureErrorBehaviour) $(field errors) $(field applied)" \
    'false true "rollback" [] 55'
same "captureID is the Location's" "$(field captureID)" "\"${LOCATION#/capture/}\""
expect_status "TSV export of the capturing store" 0 "$Y" link -s "$B" export -o "$T/b.out.tsv"
check "round trip: the same TSV export" cmp -s "$T/a.out.tsv" "$T/b.out.tsv"
expect_error "the capturing store's audit passes" 0 "the chain holds up to seq 55" "$Y" link -s "$B" audit

# --- a re-sent document is skipped, not doubled --------------------------------
capture "re-send: 202" 202 "$ADMIN" "$T/a.json"
same "all skipped" "$(field success) $(field applied) $(field skipped) $(field refused)" "true 0 55 0"
same "nothing doubled" "$(count "$B")" 55

# --- a document whose third event is invalid: nothing applied ------------------
# mkdoc OUT CODES...: an EPCIS document commissioning each code (a
# "pack:CASE:N" packs the first N items of batch 2 into CASE instead);
# event ids are OUT's name and the event's place.
mkdoc() {
    python3 - "$@" "$T/codes2.tsv" <<'EOF'
import json, sys
out, specs, codes = sys.argv[1], sys.argv[2:-1], sys.argv[-1]
items = [l.split("\t")[3] for l in open(codes) if l.split("\t")[1] == "item"]
events = []
for n, s in enumerate(specs):
    ev = {"type": "ObjectEvent", "eventID": "%s-%d" % (out.split("/")[-1].split(".")[0], n + 1),
          "eventTime": "2026-04-01T08:00:0%d.000Z" % n, "eventTimeZoneOffset": "+08:00",
          "action": "ADD", "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
          "disposition": "active", "yima:station": "elsewhere",
          "ilmd": {"cbvmda:lotNumber": "L2", "yima:product": "P2"}}
    if s.startswith("pack:"):
        _, parent, k = s.split(":")
        ev.update(type="AggregationEvent", bizStep="packing", parentID="urn:yima:code:" + parent,
                  childEPCs=["urn:yima:code:" + c for c in items[:int(k)]])
        del ev["ilmd"]
    else:
        ev["epcList"] = ["urn:yima:code:" + s]
    events.append(ev)
doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
       "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-04-01T00:00:00Z",
       "epcisBody": {"eventList": events}}
json.dump(doc, open(out, "w"))
EOF
}
# reason N: the reason of the refusal of event N in $T/body's errors.
reason() { python3 -c 'import json,sys; print([e["reason"] for e in json.load(open(sys.argv[1]))["errors"] if e["eventIndex"] == int(sys.argv[2])])' "$T/body" "$1"; }
I1=$(item "$T/codes2.tsv" 1) I2=$(item "$T/codes2.tsv" 2) I3=$(item "$T/codes2.tsv" 3)
mkdoc "$T/forged.json" "$I1" "$I2" "$(item "$T/forged.tsv" 1)"
"$Y" link -s "$B" stats --json >"$T/stats0.json"
capture "a forged third code: still 202" 202 "$CAPTURE" "$T/forged.json"
FORGED=$(location)
http "its status" 200 -H "$(auth "$CAPTURE")" "$URL$FORGED"
same "refused: success false, event 3 only" \
    "$(field success) $(field refused) $(python3 -c 'import json,sys; print([(e["eventIndex"], e["eventID"]) for e in json.load(open(sys.argv[1]))["errors"]])' "$T/body")" \
    "false 1 [(3, 'forged-3')]"
check "event 3's reason: its signature does not verify" grep -q "forged or damaged" <<<"$(reason 3)"
same "nothing applied" "$(count "$B")" 55
"$Y" link -s "$B" stats --json >"$T/stats1.json"
check "stats: unchanged" cmp -s "$T/stats0.json" "$T/stats1.json"
expect_status "trace: event 1's code is unknown" 1 "$Y" link -s "$B" trace "$I1"
same "no rejects left behind" "$(sql "$B" "SELECT count(*) FROM rejects")" 0

mkdoc "$T/over.json" "$I1" "$I2" "pack:$(case_of "$T/codes2.tsv"):25"
capture "a PACK over the case limit as third event: 202" 202 "$CAPTURE" "$T/over.json"
http "its status" 200 -H "$(auth "$CAPTURE")" "$URL$(location)"
same "refused at event 3" "$(field success) $(python3 -c 'import json,sys; print([e["eventIndex"] for e in json.load(open(sys.argv[1]))["errors"]])' "$T/body")" \
    "false [3]"
check "its reason names the case limit" grep -q "would hold 25 codes; the pack spec says at most 24" <<<"$(reason 3)"
same "still nothing applied" "$(count "$B")" 55

# The corrected document: the same event ids, applied (not refused again).
mkdoc "$T/forged.json" "$I1" "$I2" "$I3"
capture "the corrected document: 202" 202 "$CAPTURE" "$T/forged.json"
same "applied" "$(field success) $(field applied) $(field refused)" "true 3 0"
same "the token's name is the station, not the document's" \
    "$(sql "$B" "SELECT DISTINCT station FROM events WHERE seq > 55")" st-1
http "the refused capture's status is kept" 200 -H "$(auth "$ADMIN")" "$URL$FORGED"
same "still refused" "$(field success)" false

# --- malformed and non-EPCIS bodies ---------------------------------------------
printf '{"type": "EPCISDocument",\n "epcisBody": {"eventList": [}\n' >"$T/bad.json"
capture "malformed JSON: 400" 400 "$CAPTURE" "$T/bad.json"
contains "400 names line and column" "$T/body" "malformed JSON at line 2, column"
echo '{"hello": "world"}' >"$T/other.json"
capture "JSON that is not EPCIS: 400" 400 "$CAPTURE" "$T/other.json"
contains "400 says what is wrong" "$T/body" 'not an EPCIS document: \"type\" is missing'
echo '{"type": "EPCISDocument", "epcisBody": {}}' >"$T/nolist.json"
capture "no eventList: 400" 400 "$CAPTURE" "$T/nolist.json"
contains "400 names eventList" "$T/body" 'no \"eventList\" array'
http "an unknown capture: 404" 404 -H "$(auth "$QUERY")" "$URL/capture/0123456789abcdef0123456789abcdef"
http "GET /capture: 405" 405 -H "$(auth "$QUERY")" "$URL/capture"
same "no capture recorded for a 400" "$(sql "$B" "SELECT count(*) FROM captures")" 5

# --- POST /events/tsv: a line's station= gives way to the token's name ---------
printf 'station=liar\tCOMMISSION\t%s\tP3\tL3\n' "$(item "$T/codes2.tsv" 4)" >"$T/liar.tsv"
http "events/tsv with station=" 200 -H "$(auth "$CAPTURE")" --data-binary @"$T/liar.tsv" "$URL/events/tsv"
same "its station is the token's name" \
    "$(sql "$B" "SELECT station FROM events e JOIN codes c ON c.id = e.subject WHERE c.code = '$(item "$T/codes2.tsv" 4)'")" st-1

# --- kill -9 right after a 202 ----------------------------------------------------
mkdoc "$T/last.json" "$(item "$T/codes2.tsv" 5)" "$(item "$T/codes2.tsv" 6)"
capture "a capture, then kill -9" 202 "$CAPTURE" "$T/last.json"
kill -9 "$SRV"
wait "$SRV" 2>/dev/null
LAST=$(location)
same "the acknowledged capture is in the store" \
    "$(sql "$B" "SELECT state, applied FROM captures WHERE id = '${LAST#/capture/}'")" "applied|2"
same "with its events" "$(count "$B")" 61
# PostgreSQL's seq has gaps where refused documents' inserts were rolled back.
expect_error "the audit passes after kill -9" 0 \
    "61 events read; the chain holds up to seq $(sql "$B" "SELECT max(seq) FROM events")" \
    "$Y" link -s "$B" audit
# --- kill -9 during a capture stream ------------------------------------------------
# A client sends a stream of documents (two new items each) and the server
# is killed while it sends. Every document answered 202 is in the
# store, whole; none is there by halves (one the server committed but could
# not answer may be there too); the audit passes.
"$Y" gen -k "$T/brand.key" -b 4 -n 160 -a sig -f tsv --no-ledger -q -o "$T/codes4.tsv"
mkdir "$T/stream"
python3 - "$T/codes4.tsv" "$T/stream" <<'PY'
import json, sys
items = [l.split("\t")[3] for l in open(sys.argv[1]) if l.split("\t")[1] == "item"]
for d in range(len(items) // 2):
    pair = items[2 * d:2 * d + 2]
    events = [{"type": "ObjectEvent", "eventID": "stream-%d-%d" % (d, k), "action": "ADD",
               "eventTime": "2026-05-01T08:00:00.000Z", "eventTimeZoneOffset": "+00:00",
               "bizStep": "commissioning", "disposition": "active",
               "epcList": ["urn:yima:code:" + c],
               "ilmd": {"yima:product": "P4", "cbvmda:lotNumber": "L4"}} for k, c in enumerate(pair)]
    doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
           "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-05-01T00:00:00Z",
           "epcisBody": {"eventList": events}}
    json.dump(doc, open("%s/%d.json" % (sys.argv[2], d), "w"))
    open("%s/%d.codes" % (sys.argv[2], d), "w").write(" ".join(pair) + "\n")
PY
DOCS=$(ls "$T/stream"/*.json | wc -l)
start_server "$T/srv3.log" -s "$B" -j 2 -k "$T/brand.key" --pack 24,2 --max
# stream: the documents in turn until one is not answered 202; each
# acknowledged one's number and capture id to $T/acked.
stream() {
    local d code
    for ((d = 0; d < DOCS; d++)); do
        code=$(curl -s -o /dev/null -D "$T/head.s" -w '%{http_code}' -H "$(auth "$CAPTURE")" \
            --data-binary @"$T/stream/$d.json" "$URL/capture")
        [ "$code" = 202 ] || break
        echo "$d $(sed -n 's/^Location: \/capture\/\(.*\)\r$/\1/Ip' "$T/head.s")" >>"$T/acked"
    done
}
: >"$T/acked"
stream & client=$!
for _ in $(seq 400); do # some acknowledged: kill it mid-stream
    [ "$(wc -l <"$T/acked")" -ge 10 ] && break
    sleep 0.05
done
kill -9 "$SRV"
wait "$SRV" 2>/dev/null
wait "$client"
N=$(wc -l <"$T/acked")
check "kill -9 came mid-stream: 10 to $((DOCS - 1)) of $DOCS acknowledged ($N)" \
    test "$N" -ge 10 -a "$N" -lt "$DOCS"
quoted() { tr ' ' '\n' | sed "/^$/d; s/.*/'&'/" | paste -sd,; }
same "every acknowledged capture is recorded applied" \
    "$(sql "$B" "SELECT count(*) FROM captures WHERE state = 'applied' AND applied = 2 AND id IN ($(cut -d' ' -f2 "$T/acked" | quoted))")" "$N"
# The stream's codes that have an event, against each document's pair.
sql "$B" "SELECT c.code FROM events e JOIN codes c ON c.id = e.subject WHERE c.code IN ($(cat "$T"/stream/*.codes | quoted))" | sort >"$T/stored"
acked_ok=0 whole=0
for f in "$T"/stream/*.codes; do
    d=$(basename "$f" .codes) in=$(tr ' ' '\n' <"$f" | sed '/^$/d' | sort | comm -12 - "$T/stored" | wc -l)
    grep -q "^$d " "$T/acked" && [ "$in" -ne 2 ] && acked_ok=$((acked_ok + 1))
    [ "$in" -eq 1 ] && whole=$((whole + 1))
done
same "every acknowledged capture's two events are in the store" "$acked_ok" 0
same "no document is in the store by halves" "$whole" 0
expect_error "the audit passes after kill -9 mid-stream" 0 "the chain holds" "$Y" link -s "$B" audit
check "no answer echoes a token" bash -c "! grep -rqF -e '$CAPTURE' -e '$ADMIN' -e '$QUERY' '$T/body' '$T/head' '$T/srv.log'"
finish serve_epcis
