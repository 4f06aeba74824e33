#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima serve GET /events over real HTTP (issue 11): an EPCIS 2.0 query
# document holding exactly the events of `yima link export -f epcis` that
# match each query parameter alone and combined (the expected ids picked
# from the export by an independent filter written here), paging with
# perPage=7 through the Link header walks every event once and in order, a
# tampered or foreign nextPageToken, an unknown parameter and a bad time are
# 400, the token roles 401/403, and every page validates against the EPCIS
# 2.0 JSON schema. A server that does not start is a failure, never a skip.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/servelib.bash"
SCHEMA=${YIMA_SHARED:?}/reference/epcis/EPCIS-JSON-Schema.json

# --- a store with every event type, a minute apart, two UTC offsets ----------
fixed_key "$T/brand" 12
S=$(store s)
"$Y" gen -k "$T/brand.key" -b 1 -n 240 -a sig --pack 6,4 -f tsv --no-ledger -q -o "$T/codes.tsv"
"$Y" gen -k "$T/brand.key" -b 2 -n 4 -a sig -f tsv --no-ledger -q -o "$T/spare.tsv"
python3 - "$T/codes.tsv" "$T/spare.tsv" >"$T/ev.tsv" <<'PY'
import sys, datetime
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1]) if not l.startswith('index')]
spare = [l.split('\t')[3] for l in open(sys.argv[2]) if not l.startswith('index')]
items = [r for r in rows if r[1] == 'item']
cases = [r for r in rows if r[1] == 'case']
pallets = [r for r in rows if r[1] == 'pallet']
lines = []
for i, r in enumerate(items):
    lines.append(['COMMISSION', r[3], 'P1', 'L%d' % (i % 3)])
for c in cases:
    lines.append(['PACK', c[3]] + [r[3] for r in items if r[5] == c[3]])
for p in pallets:
    lines.append(['PACK', p[3]] + [c[3] for c in cases if c[6] == p[3]])
it = [r[3] for r in items]
cs = [c[3] for c in cases]
party, ship_to = 'urn:epc:id:pgln:9506000.00001', 'urn:epc:id:sgln:9506000.20000.0'
lines += [['UNPACK', cs[0], it[0]],
          ['PACK', cs[1], it[0]],
          ['PACK', cs[2], it[1]],          # a move: it[1] leaves cs[0]
          ['REPLACE', it[2], spare[0]],
          ['DECOMMISSION', it[3], 'damaged'],
          ['DECOMMISSION', it[60], 'destroyed'],
          ['SHIP', pallets[0][3], party, ship_to, 'urn:epcglobal:cbv:bt:9506000000017:DES-1'],
          ['RECEIVE', pallets[0][3]],
          ['SHIP', pallets[1][3], party, ship_to, 'urn:epcglobal:cbv:bt:9506000000017:DES-2'],
          ['RETURN', pallets[1][3]],
          ['UNPACK', pallets[2][3]]]
t0 = datetime.datetime(2026, 3, 1, 8, 0, tzinfo=datetime.timezone.utc)
for n, l in enumerate(lines):
    tz = datetime.timezone(datetime.timedelta(hours=8)) if n % 2 else datetime.timezone.utc
    when = (t0 + datetime.timedelta(minutes=n)).astimezone(tz).isoformat()
    print('\t'.join([when] + l))
PY
expect_status "a store" 0 "$Y" link -s "$S" -k "$T/brand.key" --move -q import "$T/ev.tsv"
"$Y" link -s "$S" export -f epcis -o "$T/all.jsonld"
QUERY=$("$Y" serve -s "$S" token add --role query erp 2>/dev/null)
CAPTURE=$("$Y" serve -s "$S" token add --role capture line-1 2>/dev/null)
ADMIN=$("$Y" serve -s "$S" token add --role admin ops 2>/dev/null)
same "the store holds every event type" \
    "$(cut -f2 "$T/ev.tsv" | sort -u | tr '\n' ' ')" \
    "COMMISSION DECOMMISSION PACK RECEIVE REPLACE RETURN SHIP UNPACK "
check "a few hundred EPCIS events" test "$(grep -c '"eventID"' "$T/all.jsonld")" -gt 300

start_server "$T/srv.log" -s "$S" -j 2

# expected QUERY-STRING: the eventIDs of the export that match, in order,
# by the standard's rules, written here apart from the server's code.
cat >"$T/expect.py" <<'PY'
import json, sys, urllib.parse, datetime
doc = json.load(open(sys.argv[1]))
q = {k: v[0] for k, v in urllib.parse.parse_qs(sys.argv[2], keep_blank_values=True).items()}
def when(s): return datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
def bare(v):
    for p in ('urn:epcglobal:cbv:bizstep:', 'urn:epcglobal:cbv:disp:',
              'https://ref.gs1.org/cbv/BizStep-', 'https://ref.gs1.org/cbv/Disp-'):
        if v.startswith(p): return v[len(p):]
    return v
def code(v): return v if ':' in v else 'urn:yima:code:' + v  # a bare code names its URN
def ok(e):
    if 'eventType' in q and e['type'] not in q['eventType'].split(','): return False
    if 'GE_eventTime' in q and when(e['eventTime']) < when(q['GE_eventTime']): return False
    if 'LT_eventTime' in q and when(e['eventTime']) >= when(q['LT_eventTime']): return False
    if 'MATCH_epc' in q and not set(map(code, q['MATCH_epc'].split(','))) & set(e.get('epcList', []) + e.get('childEPCs', [])): return False
    if 'MATCH_parentID' in q and e.get('parentID') not in map(code, q['MATCH_parentID'].split(',')): return False
    if 'EQ_bizStep' in q and e['bizStep'] not in [bare(v) for v in q['EQ_bizStep'].split(',')]: return False
    if 'EQ_disposition' in q and e['disposition'] not in [bare(v) for v in q['EQ_disposition'].split(',')]: return False
    return True
for e in doc['epcisBody']['eventList']:
    if ok(e): print(e['eventID'])
PY
# ids FILE...: the eventIDs of query documents, in order.
ids() { python3 -c 'import json,sys; [print(e["eventID"]) for f in sys.argv[1:] for e in json.load(open(f))["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]' "$@"; }
# Every page of every walk is kept in $T/pages.d and validated at the end,
# in one run of the validator (it takes seconds to load the schema).
mkdir -p "$T/pages.d"
WALKS=0
# walk NAME QUERY-STRING: every page of the query, following Link rel="next";
# the ids of all pages must be the export's that match. The number of pages
# goes to $T/pages, the ids to $T/got.
walk() {
    local name=$1 qs=$2 url="$URL/events?$2" n=0 code next
    WALKS=$((WALKS + 1))
    while [ -n "$url" ] && [ $n -lt 500 ]; do
        n=$((n + 1))
        code=$(curl -s -D "$T/head" -o "$T/pages.d/$WALKS.$n.json" -w '%{http_code}' -H "$(auth "$QUERY")" "$url")
        if [ "$code" != 200 ]; then bad "$name: page $n: HTTP $code: $(head -c 300 "$T/pages.d/$WALKS.$n.json")"; return; fi
        next=$(tr -d '\r' <"$T/head" | sed -n 's/^[Ll]ink: <\([^>]*\)>; rel="next"$/\1/p')
        url=${next:+$URL$next}
    done
    echo $n >"$T/pages"
    ids $(seq -f "$T/pages.d/$WALKS.%g.json" 1 $n) >"$T/got"
    python3 "$T/expect.py" "$T/all.jsonld" "$qs" >"$T/want"
    # A query meant to match nothing says so in its name; any other must
    # match something, or it would pass with a server that answers nothing.
    case $name in
    *none* | *"never saw"*) same "$name: nothing" "$(wc -l <"$T/want")" 0 ;;
    *) check "$name: some events match" test -s "$T/want" ;;
    esac
    if cmp -s "$T/got" "$T/want"; then ok; else
        bad "$name: $(wc -l <"$T/got") events, want $(wc -l <"$T/want"): $(diff "$T/got" "$T/want" | head -n 4 | tr '\n' ' ')"
    fi
}
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
uri_of() { echo "urn:yima:code:$1"; }

ITEM0=$(awk -F'\t' '$2 == "item" { print $4; exit }' "$T/codes.tsv")
ITEM1=$(awk -F'\t' '$2 == "item" { if (++n == 2) { print $4; exit } }' "$T/codes.tsv")
CASE0=$(awk -F'\t' '$2 == "case" { print $4; exit }' "$T/codes.tsv")
CASE1=$(awk -F'\t' '$2 == "case" { if (++n == 2) { print $4; exit } }' "$T/codes.tsv")
PALLET0=$(awk -F'\t' '$2 == "pallet" { print $4; exit }' "$T/codes.tsv")
# Times of the import: line n at 08:00Z + n minutes; 09:00+08:00 is 01:00Z, before all.
GE=2026-03-01T10:00:00.000%2B02:00 LT=2026-03-01T08:30:00Z

# --- each parameter alone, then combined ------------------------------------
walk "no parameter: every event" ""
same "no parameter: 100 a page" "$(cat "$T/pages")" "$(( ($(grep -c '"eventID"' "$T/all.jsonld") + 99) / 100 ))"
walk "eventType=ObjectEvent" "eventType=ObjectEvent&perPage=1000"
walk "eventType=AggregationEvent" "eventType=AggregationEvent&perPage=1000"
walk "eventType, a list" "eventType=AggregationEvent,ObjectEvent&perPage=1000"
walk "eventType=TransactionEvent: none" "eventType=TransactionEvent"
walk "GE_eventTime" "GE_eventTime=$GE&perPage=1000"
walk "LT_eventTime" "LT_eventTime=$LT&perPage=1000"
walk "a time window" "GE_eventTime=2026-03-01T08:10:00Z&LT_eventTime=2026-03-01T16:20:00%2B08:00"
walk "MATCH_epc: an item" "MATCH_epc=$(enc "$(uri_of "$ITEM0")")"
walk "MATCH_epc: a case (PACKed onto a pallet)" "MATCH_epc=$(enc "$(uri_of "$CASE1")")"
walk "MATCH_epc: two, as its payload and as a URN" "MATCH_epc=$(enc "$ITEM1"),$(enc "$(uri_of "$ITEM0")")"
walk "MATCH_epc: a code the store never saw" "MATCH_epc=urn:yima:code:NOPE"
walk "MATCH_parentID: a case" "MATCH_parentID=$(enc "$(uri_of "$CASE0")")"
walk "MATCH_parentID: a pallet" "MATCH_parentID=$(enc "$(uri_of "$PALLET0")")"
walk "EQ_bizStep, bare" "EQ_bizStep=packing&perPage=1000"
walk "EQ_bizStep, URN and web URI" "EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping,$(enc https://ref.gs1.org/cbv/BizStep-receiving)"
walk "EQ_disposition" "EQ_disposition=in_transit,urn:epcglobal:cbv:disp:returned,destroyed"
walk "combined: type, time, bizStep" "eventType=AggregationEvent&GE_eventTime=2026-03-01T08:30:00Z&EQ_bizStep=packing,unpacking"
walk "combined: epc and parent" "MATCH_epc=$(enc "$(uri_of "$ITEM1")")&MATCH_parentID=$(enc "$(uri_of "$CASE0")")"
walk "combined: parent, type and disposition" "MATCH_parentID=$(enc "$(uri_of "$PALLET0")")&eventType=AggregationEvent&EQ_disposition=in_progress&LT_eventTime=2026-03-02T00:00:00Z"

# --- paging -------------------------------------------------------------------
walk "perPage=7 walks every event once, in order" "perPage=7"
ALL=$(grep -c '"eventID"' "$T/all.jsonld")
same "perPage=7: the number of pages" "$(cat "$T/pages")" "$(( (ALL + 6) / 7 ))"
same "perPage=7: no event twice" "$(sort "$T/got" | uniq -d | wc -l)" 0
walk "perPage=7 with a filter" "perPage=7&eventType=AggregationEvent&EQ_bizStep=packing"
http "a first page" 200 -D "$T/head" -H "$(auth "$ADMIN")" "$URL/events?perPage=7"
TOKEN=$(tr -d '\r' <"$T/head" | sed -n 's/^[Ll]ink: <.*nextPageToken=\([^>]*\)>; rel="next"$/\1/p')
check "the first page links the next" test -n "$TOKEN"
same "7 events in it" "$(ids "$T/body" | wc -l)" 7
http "the token works" 200 -H "$(auth "$QUERY")" "$URL/events?perPage=7&nextPageToken=$TOKEN"
flip=$(python3 -c 'import sys; t=sys.argv[1]; i=len(t)//3; print(t[:i] + ("A" if t[i] != "A" else "B") + t[i+1:])' "$TOKEN")
http "a tampered token: 400" 400 -H "$(auth "$QUERY")" "$URL/events?perPage=7&nextPageToken=$flip"
contains "400 says so" "$T/body" "page token"
http "a truncated token: 400" 400 -H "$(auth "$QUERY")" "$URL/events?nextPageToken=${TOKEN:0:10}"
http "the token with another query: 400" 400 -H "$(auth "$QUERY")" "$URL/events?eventType=ObjectEvent&nextPageToken=$TOKEN"
S2=$(store other)
expect_status "another store" 0 "$Y" link -s "$S2" -k "$T/brand.key" --move -q import "$T/ev.tsv"
OTHER=$("$Y" serve -s "$S2" token add --role query erp 2>/dev/null)
URL1=$URL
start_server "$T/srv2.log" -s "$S2" -j 1
http "another store's token: 400" 400 -H "$(auth "$OTHER")" "$URL/events?perPage=7&nextPageToken=$TOKEN"
URL=$URL1

# --- refusals -------------------------------------------------------------------
http "an unknown parameter: 400" 400 -H "$(auth "$QUERY")" "$URL/events?EQ_readPoint=x"
contains "400 names it" "$T/body" "unknown query parameter 'EQ_readPoint'"
http "a time without an offset: 400" 400 -H "$(auth "$QUERY")" "$URL/events?GE_eventTime=2026-03-01T08:00:00"
contains "400 names the parameter" "$T/body" "GE_eventTime: '2026-03-01T08:00:00' has no UTC offset"
http "a date that does not exist: 400" 400 -H "$(auth "$QUERY")" "$URL/events?LT_eventTime=2026-02-30T08:00:00Z"
http "perPage=0: 400" 400 -H "$(auth "$QUERY")" "$URL/events?perPage=0"
http "perPage=1001: 400" 400 -H "$(auth "$QUERY")" "$URL/events?perPage=1001"
http "perPage=1000 is the most" 200 -H "$(auth "$QUERY")" "$URL/events?perPage=1000"
http "a parameter twice: 400" 400 -H "$(auth "$QUERY")" "$URL/events?eventType=ObjectEvent&eventType=AggregationEvent"
http "no token: 401" 401 "$URL/events"
http "a capture token: 403" 403 -H "$(auth "$CAPTURE")" "$URL/events"
http "an admin token queries" 200 -H "$(auth "$ADMIN")" "$URL/events?perPage=1"
same "the answer is an EPCISQueryDocument" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["type"], d["epcisBody"]["queryResults"]["queryName"])' "$T/body")" \
    "EPCISQueryDocument SimpleEventQuery"
# The events are the export's, byte for byte as JSON values.
python3 - "$T/all.jsonld" "$T/body" <<'PY' && ok || bad "the first event is not the export's first"
import json, sys
a = json.load(open(sys.argv[1]))["epcisBody"]["eventList"][0]
b = json.load(open(sys.argv[2]))["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]
sys.exit(a != b)
PY
python3 - "$SCHEMA" "$T"/pages.d/*.json <<'PY' && ok || bad "a page does not validate against the EPCIS 2.0 schema"
import json, sys, jsonschema
v = jsonschema.Draft7Validator(json.load(open(sys.argv[1])))
bad = [f for f in sys.argv[2:] if not v.is_valid(json.load(open(f)))]
print(*bad[:3], file=sys.stderr)
sys.exit(1 if bad or len(sys.argv) < 40 else 0)
PY
check "access log: the query line" grep -qE "method=GET path=/events status=200 .* token=erp$" "$T/srv.log"
finish serve_query
