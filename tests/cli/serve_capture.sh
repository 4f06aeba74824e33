#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima serve, POST /events/tsv (issue 11): event lines as link import reads
# them, applied by the server's rules, the token's name as each event's
# station, answered with counts and each refused line's number and reason
# only once committed, so an acknowledged capture survives kill -9 of the
# server. Roles: capture and admin may, query may not; no keys, no capture.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/servelib.bash"
fixed_key "$T/brand" 13
S=$(store s)
for b in 1 2 3; do # three batches of two cases of 24 items
    "$Y" gen -k "$T/brand.key" -b $b -n 48 -a sig --pack 24,2 -f tsv --no-ledger -q -o "$T/codes$b.tsv"
    events "$T/codes$b.tsv" >"$T/ev$b.tsv"
done
# The server's temporary files go here, so a leftover is seen.
mkdir "$T/tmp" && export TMPDIR=$T/tmp
case_of() { awk -F'\t' '$2 == "case" { print $4; exit }' "$1"; }
expect_status "a store" 0 "$Y" link -s "$S" -k "$T/brand.key" -q import /dev/null
CAPTURE=$("$Y" serve -s "$S" token add --role capture line-1 2>/dev/null)
QUERY=$("$Y" serve -s "$S" token add --role query erp 2>/dev/null)
ADMIN=$("$Y" serve -s "$S" token add --role admin ops 2>/dev/null)
post() { # post NAME STATUS TOKEN FILE: POST FILE to /events/tsv
    http "$1" "$2" -H "$(auth "$3")" --data-binary @"$4" "$URL/events/tsv"
}
# field KEY: a top-level field of the JSON answer in $T/body.
field() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$T/body" "$1"; }

# --- without keys the server takes no events ---------------------------------
start_server "$T/nokey.log" -s "$S" -j 1
post "no keys: 503" 503 "$CAPTURE" "$T/ev1.tsv"
contains "503 says why" "$T/body" "no keys to verify codes"
kill -TERM "$SRV"; wait "$SRV"

start_server "$T/srv.log" -s "$S" -j 2 -k "$T/brand.key" --pack 24,2
post "a query token may not capture: 403" 403 "$QUERY" "$T/ev1.tsv"
same "nothing applied by the refused request" "$(sql "$S" "SELECT count(*) FROM events")" 0

# --- a capture, then link trace on the store shows it ------------------------
post "capture batch 1" 200 "$CAPTURE" "$T/ev1.tsv"
same "counts" "$(field events) $(field applied) $(field skipped) $(field rejected) $(field rejects)" \
    "50 50 0 0 []"
CASE1=$(case_of "$T/codes1.tsv")
expect_status "link trace shows the captured case" 0 "$Y" link -s "$S" trace --json "$CASE1"
same "its 24 items, captured by line-1" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["down"]), {e.get("station") for e in d["history"]})' "$T/out")" \
    "24 {'line-1'}"
same "every event's station is the token's name" \
    "$(sql "$S" "SELECT DISTINCT station FROM events")" line-1
# PostgreSQL has no GLOB: the same pattern as a regular expression there.
if is_pg "$S"; then ID_IS="id ~ '^line-1\.[0-9a-f]+:[0-9]+\$'"; else ID_IS="id GLOB 'line-1.[0-9a-f]*:[0-9]*'"; fi
check "event ids: the token's name, a request id, the line" \
    test "$(sql "$S" "SELECT count(*) FROM events WHERE $ID_IS")" = 50
http "the query token traces it over HTTP" 200 -H "$(auth "$QUERY")" "$URL/trace/$CASE1"

# --- refused lines: each with its line and reason; the rest applied ----------
{ head -n 3 "$T/ev2.tsv"; printf 'BOGUS\tx\n'; sed -n 4,5p "$T/ev2.tsv"
  printf 'PACK\t%s\t%s\n' "$(case_of "$T/codes2.tsv")" "$(awk -F'\t' '$2 == "item" { print $4; exit }' "$T/codes1.tsv")"
} >"$T/mixed.tsv"
post "a capture with bad lines is answered 200" 200 "$ADMIN" "$T/mixed.tsv"
same "counts" "$(field events) $(field applied) $(field rejected)" "7 5 2"
same "refused: lines 4 and 7" \
    "$(python3 -c 'import json,sys; print([r["line"] for r in json.load(open(sys.argv[1]))["rejects"]])' "$T/body")" "[4, 7]"
contains "line 4's reason" "$T/body" "\"reason\":\"unknown event type 'BOGUS'"
contains "line 7's reason: the child is in another case" "$T/body" "\"line\":7,\"reason\":\""
same "the admin's events carry its name" "$(sql "$S" "SELECT count(*) FROM events WHERE station = 'ops'")" 5

# --- limits --------------------------------------------------------------------
head -c 10485760 /dev/zero >"$T/big"
post "a 10 MB capture: 413" 413 "$CAPTURE" "$T/big"
http "a 10 MB capture without Content-Length (chunked): 413" 413 -H "$(auth "$CAPTURE")" \
    -H "Transfer-Encoding: chunked" --data-binary @"$T/big" "$URL/events/tsv"
printf 'COMMISSION\t%0100000d\tP\tL\n' 0 >"$T/long.tsv"
post "a line over 64 KiB: 400" 400 "$CAPTURE" "$T/long.tsv"
contains "400 names the body's line, not a file" "$T/body" '"error":"body:1: line longer than 65536 bytes"'

# --- kill -9 right after a 200: the capture is kept ----------------------------
post "capture batch 3" 200 "$CAPTURE" "$T/ev3.tsv"
kill -9 "$SRV"
wait "$SRV" 2>/dev/null
same "batch 3 acknowledged" "$(field applied)" 50
CASE3=$(case_of "$T/codes3.tsv")
expect_status "after kill -9 link trace shows batch 3" 0 "$Y" link -s "$S" trace --json "$CASE3"
same "with its 24 items" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["down"]))' "$T/out")" 24
same "every acknowledged event is in the store" "$(sql "$S" "SELECT count(*) FROM events")" 105
expect_error "the audit passes" 0 "the chain holds up to seq 105" "$Y" link -s "$S" audit
same "no temporary file left" "$(ls -A "$T/tmp")" ""

# --- a long capture holds up no other request of its worker thread -------------
# One worker thread: a capture used to run on it, and a /health on another
# connection of that thread waited for the whole capture.
"$Y" gen -k "$T/brand.key" -b 4 -n 40000 -a sig -f tsv --no-ledger -q -o "$T/codes4.tsv"
awk -F'\t' '$2 == "item" { print "COMMISSION\t" $4 "\tP1\tL1" }' "$T/codes4.tsv" >"$T/ev4.tsv"
start_server "$T/srv4.log" -s "$S" -j 1 -k "$T/brand.key" --pack 24,2 --max-body 8388608
(curl -s -o "$T/long.body" -H "$(auth "$CAPTURE")" --data-binary @"$T/ev4.tsv" "$URL/events/tsv"
 date +%s.%N >"$T/long.done") &
LONG=$!
sleep 0.5 # its body (2.7 MB) is in: the capture runs, some seconds
http "GET /health during a long capture" 200 "$URL/health"
HEALTH_DONE=$(date +%s.%N)
wait "$LONG"
check "answered while the capture ran (not as it ended)" \
    awk -v h="$HEALTH_DONE" -v l="$(cat "$T/long.done")" 'BEGIN { exit !(h + 0.3 < l) }'
same "the long capture applied every event" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["applied"])' "$T/long.body")" 40000
kill -TERM "$SRV"; wait "$SRV"
finish serve_capture
