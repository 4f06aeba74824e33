#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link, issue 10 section 4, a feed an L4 can consume: export --after
# SEQ by the store's sequence number (a back-dated event applied later is in
# the next part), the last seq on stderr or in --last-seq FILE; the store
# keeps its payload template, so identifiers never switch with -t; --lot
# exports are indexed (timed against exporting that lot alone).
source "$(dirname "$0")/testlib.bash"
FIXTURE=$(dirname "$Y")/tests/test_link
SCHEMA=${YIMA_SHARED:?}/reference/epcis/EPCIS-JSON-Schema.json

"$FIXTURE" --fixture "$T" 3
S=$(store feed)
L=("$Y" link -s "$S" -k "$T/brand.key")
code() { sed -n "${1}p" "$T/day.tsv" | cut -f2; }
expect_status "import" 0 "${L[@]}" --pack 24,60 -q import "$T/day.tsv"

# --- export --after SEQ ------------------------------------------------------
expect_error "a full export names its last seq" 0 "export: 75 events; last seq 75" \
    "$Y" link -s "$S" export -o "$T/part1.tsv"
same "part 1: every event" "$(wc -l <"$T/part1.tsv")" 75
# A back-dated event, applied after part 1 was sent: its time lies in the
# window already exported, its seq after it.
printf '@late\t2020-01-01T08:00:00Z\tDECOMMISSION\t%s\tdamaged\n' "$(code 1)" >"$T/late.tsv"
expect_status "a back-dated event" 0 "${L[@]}" -q import "$T/late.tsv"
expect_error "part 2: after 75" 0 "export: 1 events; last seq 76" \
    "$Y" link -s "$S" export --after 75 -o "$T/part2.tsv"
same "part 2 is the back-dated event" "$(cut -f1,2 "$T/part2.tsv")" "@late	2020-01-01T08:00:00.000Z"
expect_status "part 3: --last-seq FILE" 0 "$Y" link -s "$S" export --after 76 --last-seq "$T/seq" -o "$T/part3.tsv"
same "part 3: nothing new" "$(wc -c <"$T/part3.tsv")" 0
same "part 3: the bookmark stays" "$(cat "$T/seq")" 76
same "--last-seq: stderr stays quiet" "$(cat "$T/err")" ""
expect_status "after 70, EPCIS" 0 "$Y" link -s "$S" export --after 70 -f epcis --last-seq "$T/seq" -o "$T/part.jsonld"
same "after 70: 6 events (5 PACK/COMMISSION, 1 DECOMMISSION)" \
    "$(grep -o '"yima:eventID":"[^"]*"' "$T/part.jsonld" | sort -u | wc -l)" 6
/usr/bin/python3 - "$SCHEMA" "$T/part.jsonld" <<'PY' && ok || bad "after 70: EPCIS does not validate"
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))
PY
expect_error "--after: not a number" 2 "after" "$Y" link -s "$S" export --after x
expect_error "--after: negative" 2 "after" "$Y" link -s "$S" export --after -1

# --- the store keeps its template ---------------------------------------------
TPL='HTTPS://V.EXAMPLE.CN/{code}' OTHER='https://other.example/{code}'
S2=$(store tpl)
# The line scans payloads (-t); a hand station later enters codes bare.
awk -F'\t' 'BEGIN { OFS = "\t" } NR <= 60 { for (i = 2; i <= NF; i++) if ($1 == "PACK" || i == 2) $i = "HTTPS://V.EXAMPLE.CN/" $i; print }' \
    "$T/day.tsv" >"$T/payloads.tsv"
sed -n '61,$p' "$T/day.tsv" >"$T/bare.tsv"
expect_status "import payloads with a template" 0 "$Y" link -s "$S2" -k "$T/brand.key" -t "$TPL" -q import "$T/payloads.tsv"
expect_status "import bare codes without -t" 0 "$Y" link -s "$S2" -k "$T/brand.key" -q import "$T/bare.tsv"
expect_status "export without -t" 0 "$Y" link -s "$S2" export -f epcis -o "$T/a.jsonld"
contains "identifiers from the kept template" "$T/a.jsonld" "\"HTTPS://V.EXAMPLE.CN/$(code 75)\""
if grep -q 'urn:yima:code:' "$T/a.jsonld"; then bad "an identifier switched to urn:yima:code:"; else ok; fi
expect_status "export with the same -t" 0 "$Y" link -s "$S2" -t "$TPL" export -f epcis -o "$T/b.jsonld"
same "the same identifiers with or without -t" "$(grep -o '"epcList":\[[^]]*\]' "$T/a.jsonld" | md5sum)" \
    "$(grep -o '"epcList":\[[^]]*\]' "$T/b.jsonld" | md5sum)"
expect_error "export: a conflicting -t" 2 "keeps the payload template 'HTTPS://V.EXAMPLE.CN/{code}'; 'https://other.example/{code}' differs" \
    "$Y" link -s "$S2" -t "$OTHER" export -f epcis
expect_error "import: a conflicting -t" 2 "keeps the payload template 'HTTPS://V.EXAMPLE.CN/{code}'; 'https://other.example/{code}' differs" \
    "$Y" link -s "$S2" -k "$T/brand.key" -t "$OTHER" import "$T/late.tsv"
expect_error "hand event: a conflicting -t" 2 "'https://other.example/{code}' differs" \
    "$Y" link -s "$S2" -k "$T/brand.key" -t "$OTHER" receive "$(code 1)"
expect_status "a store without one: the first -t is kept" 0 "${L[@]}" -t "$OTHER" -q import /dev/null
expect_status "export it without -t" 0 "$Y" link -s "$S" export -f epcis -o "$T/c.jsonld"
contains "the first template used" "$T/c.jsonld" "\"https://other.example/$(code 1)\""

# --- --lot is indexed: one lot among ten at 100,000 events ---------------------
mkdir "$T/big" && "$FIXTURE" --fixture "$T/big" 3960
# Ten lots, L0..L9, one per block of cases.
awk -F'\t' 'BEGIN { OFS = "\t" } $1 == "COMMISSION" { $4 = "L" int(n++ * 10 / 95040) } { print }' \
    "$T/big/day.tsv" >"$T/big/lots.tsv"
BIG=$(store big) ALONE=$(store alone)
expect_status "import 100,000 events" 0 "$Y" link -s "$BIG" -k "$T/big/brand.key" --pack 24,60 --batch 20000 -q import "$T/big/lots.tsv"
now() { date +%s.%N; }
t0=$(now)
expect_status "--lot L3" 0 "$Y" link -s "$BIG" export --lot L3 -o "$T/l3.tsv"
t1=$(now)
lot_events=$(wc -l <"$T/l3.tsv")
expect_status "that lot alone" 0 "$Y" link -s "$ALONE" -k "$T/big/brand.key" -q import "$T/l3.tsv"
t2=$(now)
expect_status "export that lot alone" 0 "$Y" link -s "$ALONE" export -o "$T/alone.tsv"
t3=$(now)
same "that lot alone: the same events" "$(wc -l <"$T/alone.tsv")" "$lot_events"
lot=$(echo "$t1 - $t0" | bc) alone=$(echo "$t3 - $t2" | bc)
echo "link_feed: --lot L3 of 10 lots at $(wc -l <"$T/big/lots.tsv") events: $lot_events events in ${lot}s; that lot alone: ${alone}s" >&2
# The issue's target is 2x; 3x and 0.3 s of start-up leave room for a busy
# machine. On PostgreSQL this caught a plan that hashed whole tables and a
# JIT compile of it (5x to 10x the lot alone).
if [ "$(echo "$lot <= 3 * $alone + 0.3" | bc)" = 1 ]; then ok; else bad "--lot took ${lot}s, that lot alone ${alone}s"; fi
finish link_feed
