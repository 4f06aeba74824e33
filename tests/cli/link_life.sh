#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link, issue 10 section 2, the full lifecycle: SHIP seals a container
# until RECEIVE or RETURN; DECOMMISSION takes a CBV reason; REPLACE carries
# the old label's product, lot and expiry; every event records who and
# where; gen --pack's hierarchy loads as the packing plan (--require-plan,
# plan --commission); the EPCIS export carries all of it and validates.
source "$(dirname "$0")/testlib.bash"
FIXTURE=$(dirname "$Y")/tests/test_link
SCHEMA=${YIMA_SHARED:?}/reference/epcis/EPCIS-JSON-Schema.json

"$FIXTURE" --fixture "$T" 63 # cases 0-59 on pallet 0, then cases 60, 61, 62
head -n 1526 "$T/day.tsv" >"$T/line.tsv" # pallet 0 and the loose case 60
code() { sed -n "${1}p" "$T/day.tsv" | cut -f2; }
ITEM0=$(code 1) ITEM1=$(code 2) ITEM2=$(code 3) CASE0=$(code 25) CASE1=$(code 50) PALLET=$(code 1501)
ITEM60=$(code 1502) CASE60=$(code 1526)
mapfile -t SPARE < <(sed -n '1527,1550p' "$T/day.tsv" | cut -f2) # case 61's items: unused
S=$(store line) COPY=$(store copy) PLAN=$(store plan) GS1=$(store gs1)
RP=urn:epc:id:sgln:9506000.13435.0 LOC=urn:epc:id:sgln:9506000.13435.1
PARTY=urn:epc:id:pgln:9506000.00001 SHIP_TO=urn:epc:id:sgln:9506000.20000.0
DESADV=urn:epcglobal:cbv:bt:9506000000017:DES-42
L=("$Y" link -s "$S" -k "$T/brand.key")
# one_line NAME: the last command's stderr is one line.
one_line() { same "$1: one line" "$(wc -l <"$T/err")" 1; }
expect_status "line import" 0 "${L[@]}" --user alice --station line-3 --read-point "$RP" \
    --location "$LOC" --pack 24,60 -q import "$T/line.tsv"

# --- SHIP seals; RECEIVE and RETURN unseal ------------------------------------
expect_status "ship the pallet" 0 "${L[@]}" --read-point "$RP" ship "$PALLET" "$PARTY" "$SHIP_TO" "$DESADV"
expect_error "ship it again" 1 "rejected: code '$PALLET' is shipped (sealed until RECEIVE or RETURN)" \
    "${L[@]}" ship "$PALLET" "$PARTY" "$SHIP_TO" "$DESADV"
one_line "ship it again"
expect_error "ship a case on the pallet" 1 "rejected: code '$CASE0' is inside shipped '$PALLET'" \
    "${L[@]}" ship "$CASE0" "$PARTY" "$SHIP_TO" "$DESADV"
expect_error "PACK onto the shipped pallet" 1 "rejected: parent '$PALLET' is shipped (sealed" \
    "${L[@]}" pack "$PALLET" "$CASE60"
expect_error "UNPACK the shipped pallet" 1 "rejected: parent '$PALLET' is shipped (sealed" \
    "${L[@]}" unpack "$PALLET" "$CASE0"
expect_error "UNPACK a case on it" 1 "rejected: parent '$CASE0' is inside shipped '$PALLET'" \
    "${L[@]}" unpack "$CASE0"
expect_error "move an item out of it" 1 "rejected: child 1 '$ITEM0' is inside shipped '$PALLET'" \
    "${L[@]}" --move pack "$CASE60" "$ITEM0"
expect_error "decommission an item in it" 1 "rejected: code '$ITEM0' is inside shipped" \
    "${L[@]}" decommission "$ITEM0" damaged
expect_error "replace an item's label in it" 1 "rejected: old code '$ITEM0' is inside shipped" \
    "${L[@]}" replace "$ITEM0" "${SPARE[0]}"
expect_error "receive a code never shipped" 1 "rejected: code '$CASE60' is not shipped" \
    "${L[@]}" receive "$CASE60"
expect_error "ship an item in a case" 1 "rejected: code '$ITEM60' is in '$CASE60': ship that, or UNPACK it first" \
    "${L[@]}" ship "$ITEM60" "$PARTY" "$SHIP_TO" "$DESADV"
expect_error "ship: party not a URI" 1 "rejected: party 'ACME Ltd' is not a URI" \
    "${L[@]}" ship "$CASE60" "ACME Ltd" "$SHIP_TO" "$DESADV"
expect_error "ship: ship-to not an SGLN" 1 "rejected: ship-to location 'dock 4' is not an SGLN EPC URI" \
    "${L[@]}" ship "$CASE60" "$PARTY" "dock 4" "$DESADV"
expect_error "ship: no shipment" 2 "ship takes CODE PARTY SHIP-TO SHIPMENT (too few arguments)" \
    "${L[@]}" ship "$CASE60" "$PARTY" "$SHIP_TO"
# The same refusals from an event file name the file and the line.
{
    printf 'PACK\t%s\t%s\n' "$PALLET" "$CASE60"
    printf 'SHIP\t%s\t%s\t%s\n' "$CASE60" "$PARTY" "$SHIP_TO"
    printf '{"type":"SHIP","code":"%s","party":"%s","ship_to":"%s","shipment":"%s"}\n' \
        "$CASE60" "$PARTY" "$SHIP_TO" "$DESADV"
    printf 'RETURN\t%s\n' "$CASE60"
} >"$T/ship.tsv"
expect_status "sealed, from a file" 1 "${L[@]}" import "$T/ship.tsv"
contains "sealed, from a file: counts" "$T/err" "4 events: 2 applied, 0 skipped (already in the store), 2 rejected"
contains "sealed, from a file: PACK" "$T/err" "ship.tsv:1: rejected: parent '$PALLET' is shipped (sealed until RECEIVE or RETURN)"
contains "sealed, from a file: SHIP arity" "$T/err" "ship.tsv:2: rejected: SHIP takes SHIP code party ship-to shipment; found 3 fields"
same "sealed, from a file: one line each" "$(grep -c 'rejected:' "$T/err")" 2
expect_status "returned case: unsealed" 0 "${L[@]}" --max --pack 25,60 pack "$CASE60" "${SPARE[1]}"
expect_status "receive the pallet" 0 "${L[@]}" receive "$PALLET"
expect_error "receive it twice" 1 "rejected: code '$PALLET' is not shipped" "${L[@]}" receive "$PALLET"
expect_status "received pallet: UNPACK works" 0 "${L[@]}" unpack "$CASE0" "$ITEM2"
expect_status "trace the pallet" 0 "$Y" link -s "$S" trace "$PALLET"
contains "trace: the shipment" "$T/out" "SHIP         hand-"
contains "trace: ship to" "$T/out" "to $PARTY at $SHIP_TO, shipment $DESADV"
contains "trace: RECEIVE" "$T/out" "RECEIVE"
expect_status "trace --json the returned case" 0 "$Y" link -s "$S" trace --json "$CASE60"
contains "trace: not sealed now" "$T/out" '"shipped":null'
expect_status "ship the case again" 0 "${L[@]}" ship "$CASE60" "$PARTY" "$SHIP_TO" "$DESADV"
expect_status "trace --json the shipped case" 0 "$Y" link -s "$S" trace --json "$CASE60"
contains "trace: sealed by its shipment" "$T/out" "\"shipped\":\"$DESADV\""
expect_status "stats" 0 "$Y" link -s "$S" stats --json
contains "stats: SHIP RECEIVE RETURN" "$T/out" '"SHIP":3,"RECEIVE":1,"RETURN":1'

# --- DECOMMISSION takes a CBV reason ------------------------------------------
expect_error "free-text reason" 1 "rejected: reason 'broken glass' is not a CBV reason (sampled, damaged, destroyed, recalled, stolen, expired)" \
    "${L[@]}" decommission "$ITEM1" "broken glass"
one_line "free-text reason"
{
    printf 'DECOMMISSION\t%s\tsampled\n' "$ITEM1"
    printf 'DECOMMISSION\t%s\turn:epcglobal:cbv:disp:damaged\n' "$(code 4)"
    printf 'DECOMMISSION\t%s\tdestroyed\n' "$(code 5)"
    printf 'DECOMMISSION\t%s\tRECALLED\n' "$(code 6)"
    printf '{"type":"DECOMMISSION","code":"%s","reason":"stolen"}\n' "$(code 7)"
    printf 'DECOMMISSION\t%s\texpired\n' "$(code 8)"
    printf 'DECOMMISSION\t%s\tlost\n' "$(code 9)"
} >"$T/decom.tsv"
expect_status "CBV reasons" 1 "${L[@]}" import "$T/decom.tsv"
contains "CBV reasons: counts" "$T/err" "7 events: 6 applied, 0 skipped (already in the store), 1 rejected"
contains "CBV reasons: 'lost' refused" "$T/err" "decom.tsv:7: rejected: reason 'lost' is not a CBV reason"
for pair in "4 damaged" "6 recalled" "2 sampled"; do
    expect_status "reason stored bare: ${pair#* }" 0 "$Y" link -s "$S" trace --json "$(code "${pair%% *}")"
    contains "reason stored bare: ${pair#* }" "$T/out" "\"reason\":\"${pair#* }\""
done

# --- REPLACE carries product, lot and expiry -----------------------------------
expect_status "replace a label" 0 "${L[@]}" replace "$ITEM0" "${SPARE[2]}"
expect_status "trace the new label" 0 "$Y" link -s "$S" trace --json "${SPARE[2]}"
contains "new label: product" "$T/out" '"product":"WINE-750"'
contains "new label: lot" "$T/out" '"lot":"L0"'
contains "new label: expiry" "$T/out" '"expiry":"2030-12-31"'
contains "new label: in the old one's case" "$T/out" "\"code\":\"$CASE0\""

# --- Who and where: options, or the event line --------------------------------
expect_status "trace an imported item" 0 "$Y" link -s "$S" trace --json "$(code 10)"
contains "who: --user" "$T/out" '"user":"alice"'
contains "where: --station" "$T/out" '"station":"line-3"'
{
    printf 'user=bob\tstation=hand-2\tread_point=urn:epc:id:sgln:9506000.13435.7\tCOMMISSION\t%s\tP\tL9\n' "${SPARE[3]}"
    printf '{"type":"COMMISSION","code":"%s","product":"P","lot":"L9","user":"carol","location":"%s"}\n' "${SPARE[4]}" "$LOC"
    printf 'frob=1\tCOMMISSION\t%s\tP\tL9\n' "${SPARE[5]}"
    printf 'read_point=dock-7\tCOMMISSION\t%s\tP\tL9\n' "${SPARE[5]}"
    printf 'user=a\tuser=b\tCOMMISSION\t%s\tP\tL9\n' "${SPARE[5]}"
    printf '{"type":"COMMISSION","code":"%s","product":"P","lot":"L9","user":"x\\ty"}\n' "${SPARE[5]}"
} >"$T/who.tsv"
expect_status "who and where on the line" 1 "${L[@]}" --user alice --station line-3 import "$T/who.tsv"
contains "who: counts" "$T/err" "6 events: 2 applied, 0 skipped (already in the store), 4 rejected"
contains "who: unknown field" "$T/err" "who.tsv:3: rejected: unknown field 'frob=1' before the event type"
contains "where: read point not an SGLN" "$T/err" "who.tsv:4: rejected: read_point 'dock-7' is not an SGLN EPC URI"
contains "who: twice" "$T/err" "who.tsv:5: rejected: user given twice"
contains "who: a TAB" "$T/err" "who.tsv:6: rejected: user 'x\\ty' holds a TAB"
expect_status "trace bob's" 0 "$Y" link -s "$S" trace --json "${SPARE[3]}"
contains "line user over --user" "$T/out" '"user":"bob","station":"hand-2"'
expect_status "trace carol's" 0 "$Y" link -s "$S" trace --json "${SPARE[4]}"
contains "JSON user, --station kept" "$T/out" '"user":"carol","station":"line-3"'
expect_status "default user: the login name" 0 "${L[@]}" commission "${SPARE[6]}" P L9
expect_status "trace the default" 0 "$Y" link -s "$S" trace --json "${SPARE[6]}"
contains "default user" "$T/out" "\"user\":\"$(id -un)\""
expect_error "--user with a newline" 2 "^yima link: --user: a name may not hold a control character" \
    "${L[@]}" --user $'a\nb' commission "${SPARE[7]}" P L9
# The TSV export carries who and where, and imports again as the same events.
expect_status "TSV export" 0 "$Y" link -s "$S" export -o "$T/log.tsv"
contains "TSV: who and where before the type" "$T/log.tsv" "	user=bob	station=hand-2	read_point=urn:epc:id:sgln:9506000.13435.7	COMMISSION	${SPARE[3]}"
contains "TSV: SHIP" "$T/log.tsv" "SHIP	$PALLET	$PARTY	$SHIP_TO	$DESADV"
expect_status "TSV re-import" 0 "$Y" link -s "$COPY" -k "$T/brand.key" -q import "$T/log.tsv"
contains "TSV re-import: all of it" "$T/err" "$(wc -l <"$T/log.tsv") applied, 0 skipped (already in the store), 0 rejected"
expect_status "export of the copy" 0 "$Y" link -s "$COPY" export -o "$T/log2.tsv"
if cmp -s "$T/log.tsv" "$T/log2.tsv"; then ok; else bad "TSV export of the re-import differs: $(diff "$T/log.tsv" "$T/log2.tsv" | head -4)"; fi

# --- EPCIS 2.0: the new events, validated -------------------------------------
expect_status "EPCIS export" 0 "$Y" link -s "$S" export -f epcis -o "$T/life.jsonld"
expect_status "EPCIS validates, carries the lifecycle" 0 /usr/bin/python3 - "$SCHEMA" "$T/life.jsonld" \
    "$PARTY" "$SHIP_TO" "$DESADV" "$RP" <<'EOF'
import json, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
party, ship_to, desadv, rp = sys.argv[3:7]
jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
ev = doc["epcisBody"]["eventList"]
def find(**kv):
    return [e for e in ev if all(e.get(k) == v for k, v in kv.items())]
ship = find(bizStep="shipping")
assert len(ship) == 3, ship
s = ship[0]
assert s["type"] == "ObjectEvent" and s["action"] == "OBSERVE" and s["disposition"] == "in_transit", s
assert s["bizTransactionList"] == [{"type": "desadv", "bizTransaction": desadv}], s
assert {"type": "owning_party", "destination": party} in s["destinationList"], s
assert {"type": "location", "destination": ship_to} in s["destinationList"], s
assert s["readPoint"]["id"] == rp and s["yima:user"] and s["yima:station"], s
assert len(find(bizStep="receiving", disposition="in_progress")) == 1
assert len(find(bizStep="receiving", disposition="returned")) == 1
assert len(find(bizStep="sampling", disposition="inactive", action="DELETE")) == 1
for d in ("damaged", "recalled", "stolen", "expired"):
    assert len(find(bizStep="decommissioning", disposition=d)) == 1, d
assert len(find(bizStep="destroying", disposition="destroyed")) == 1
rep = find(type="ObjectEvent", bizStep="replacing", action="ADD")
assert len(rep) == 1 and rep[0]["ilmd"] == {"cbvmda:lotNumber": "L0",
    "cbvmda:itemExpirationDate": "2030-12-31", "yima:product": "WINE-750"}, rep
com = find(bizStep="commissioning")
assert all("ilmd" in e for e in com) and com[0]["yima:user"] == "alice", com[0]
assert com[0]["yima:station"] == "line-3" and com[0]["readPoint"]["id"] == rp, com[0]
print(len(ev))
EOF

# --- The packing plan from gen --pack ------------------------------------------
G=("$Y" gen -k "$T/brand.key" --no-ledger)
expect_status "gen --pack" 0 "${G[@]}" --pack 3,2 -n 12 -f tsv -o "$T/batch1.tsv.gz"
zcat "$T/batch1.tsv.gz" >"$T/batch1.tsv"
col() { awk -F'\t' -v l="$1" -v n="$2" '$2 == l && $1 == n {print $4}' "$T/batch1.tsv"; }
P=(-s "$PLAN" -k "$T/brand.key")
expect_status "plan" 0 "$Y" link "${P[@]}" plan "$T/batch1.tsv.gz"
contains "plan: summary" "$T/err" "plan: 18 rows, 16 codes planned into a container: 16 added, 0 already planned; 0 commissioned"
expect_status "plan again" 0 "$Y" link "${P[@]}" plan "$T/batch1.tsv.gz"
contains "plan again: all known" "$T/err" "0 added, 16 already planned"
RP2=(--require-plan --pack 3,2)
expect_status "PACK as planned" 0 "$Y" link "${P[@]}" "${RP2[@]}" pack "$(col case 0)" "$(col item 0)" "$(col item 1)" "$(col item 2)"
expect_error "PACK against the plan" 1 "rejected: child 1 '$(col item 3)' belongs in case '$(col case 1)' by the plan, not in '$(col case 2)'" \
    "$Y" link "${P[@]}" "${RP2[@]}" --max pack "$(col case 2)" "$(col item 3)"
one_line "PACK against the plan"
"${G[@]}" -b 9 -n 1 -f tsv -o "$T/other.tsv" 2>/dev/null
OTHER=$(awk -F'\t' 'NR == 2 {print $4}' "$T/other.tsv")
expect_error "PACK of an unplanned item" 1 "rejected: child 1 '$OTHER' is not in the plan" \
    "$Y" link "${P[@]}" "${RP2[@]}" --max pack "$(col case 1)" "$OTHER"
expect_status "without --require-plan the plan is not checked" 0 \
    "$Y" link "${P[@]}" --max --pack 3,2 pack "$(col case 1)" "$OTHER"
# A plan that contradicts the one loaded, a forged code, not --pack output:
# refused with the file and line, and nothing of it stays.
awk -F'\t' -v OFS='\t' -v c="$(col case 3)" 'NR == 6 {$6 = c} {print}' "$T/batch1.tsv" >"$T/clash.tsv"
expect_error "plan clash" 3 "clash.tsv:6: item '$(col item 3)' is planned for '$(col case 1)' already, here for '$(col case 3)'" \
    "$Y" link "${P[@]}" plan "$T/clash.tsv"
one_line "plan clash"
awk -F'\t' -v OFS='\t' -v p="$(col pallet 0)" 'NR == 2 {$6 = p} {print}' "$T/batch1.tsv" >"$T/level.tsv"
expect_error "plan: a container of the wrong level" 3 "level.tsv:2: case '$(col pallet 0)' is a pallet code, not the container of item '$(col item 0)'" \
    "$Y" link "${P[@]}" plan "$T/level.tsv"
"${G[@]}" --pack 3,2 -b 3 -n 6 -f tsv -o "$T/batch3.tsv" 2>/dev/null
awk -F'\t' -v OFS='\t' 'NR == 4 {$4 = substr($4, 1, 30) (substr($4, 31, 1) == "A" ? "B" : "A") substr($4, 32); $5 = $4} {print}' \
    "$T/batch3.tsv" >"$T/forged.tsv"
expect_error "plan with a damaged code" 3 "forged.tsv:4: code '.*': BAD_CHECK" \
    "$Y" link "${P[@]}" plan "$T/forged.tsv"
B3ITEM=$(awk -F'\t' '$2 == "item" && $1 == 0 {print $4}' "$T/batch3.tsv")
B3CASE=$(awk -F'\t' '$2 == "case" && $1 == 0 {print $4}' "$T/batch3.tsv")
expect_error "forged plan: nothing of it stays" 1 "is not in the plan" \
    "$Y" link "${P[@]}" "${RP2[@]}" --max pack "$B3CASE" "$B3ITEM"
expect_error "not gen --pack output" 3 "other.tsv:2: no case or pallet column: not the output of gen --pack" \
    "$Y" link "${P[@]}" plan "$T/other.tsv"
# plan --commission: product and lot from the rows (gen output with product
# data merged in), or refused naming the row.
expect_error "plan --commission without product and lot" 3 "batch3.tsv:2: cannot commission: COMMISSION needs a product and a lot" \
    "$Y" link "${P[@]}" plan --commission "$T/batch3.tsv"
awk -F'\t' -v OFS='\t' 'NR == 1 {print $0, "product", "lot", "expiry"; next}
    {print $0, "WINE-750", "B3", "2031-06-30"}' "$T/batch3.tsv" >"$T/merged.tsv"
expect_status "plan --commission" 0 "$Y" link "${P[@]}" --user planner plan --commission "$T/merged.tsv"
contains "plan --commission: summary" "$T/err" "plan: 9 rows, 8 codes planned into a container: 8 added, 0 already planned; 6 commissioned"
expect_status "planned item commissioned" 0 "$Y" link -s "$PLAN" trace --json "$B3ITEM"
contains "commissioned from the plan" "$T/out" '"state":"commissioned","product":"WINE-750","lot":"B3","expiry":"2031-06-30"'
contains "commissioned: by the plan's event" "$T/out" '"id":"plan:merged.tsv:2"'
contains "commissioned: who" "$T/out" '"user":"planner"'
expect_status "plan --commission again: nothing twice" 0 "$Y" link "${P[@]}" plan --commission "$T/merged.tsv"
contains "plan --commission again" "$T/err" "0 added, 8 already planned; 0 commissioned"
expect_status "--require-plan --require-commissioned" 0 "$Y" link "${P[@]}" --require-plan \
    --require-commissioned --pack 3,2 pack "$B3CASE" $(awk -F'\t' '$2 == "item" && $1 < 3 {print $4}' "$T/batch3.tsv")
# GS1, jsonl (which leaves empty members out): the plan from gen --gs1 --pack,
# each item commissioned with the product, lot and expiry its code carries.
expect_status "gen --gs1 --pack" 0 "${G[@]}" --gs1 --gtin 09506000134352 --gcp 9506000 \
    --lot G7 --expiry 271231 --pack 2,2 -n 4 -f jsonl -o "$T/gs1.jsonl"
expect_status "GS1 plan --commission" 0 "$Y" link -s "$GS1" -k "$T/brand.key" plan --commission "$T/gs1.jsonl"
contains "GS1 plan: summary" "$T/err" "plan: 7 rows, 6 codes planned into a container: 6 added, 0 already planned; 4 commissioned"
GS1ITEM=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["code"])' "$T/gs1.jsonl")
expect_status "GS1 planned item" 0 "$Y" link -s "$GS1" trace --json "$GS1ITEM"
contains "GS1 item: from its code" "$T/out" '"product":"09506000134352","lot":"G7","expiry":"2027-12-31"'
# A GS1 label carries its own lot and expiry: a new label must carry the old one's.
first_code() { /usr/bin/python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["code"])' "$1"; }
GS=("${G[@]}" --gs1 --gtin 09506000134352 --gcp 9506000 --expiry 271231 -n 1 -f jsonl)
"${GS[@]}" -b 5 --lot X9 -o "$T/x9.jsonl" && "${GS[@]}" -b 6 --lot G7 -o "$T/g7.jsonl"
expect_error "GS1 REPLACE with another lot" 1 "rejected: new code '(01)09506000134352(21)[^']*' carries lot 'X9'; old code '[^']*' has 'G7'" \
    "$Y" link -s "$GS1" -k "$T/brand.key" replace "$GS1ITEM" "$(first_code "$T/x9.jsonl")"
expect_status "GS1 REPLACE, same lot and expiry" 0 \
    "$Y" link -s "$GS1" -k "$T/brand.key" replace "$GS1ITEM" "$(first_code "$T/g7.jsonl")"
head -n 1 "$T/gs1.jsonl" | sed 's/"case":"[^"]*",\{0,1\}//; s/,\{0,1\}"pallet":"[^"]*"//' >"$T/nocase.jsonl"
expect_error "jsonl without containers" 3 "nocase.jsonl: no code is planned into a container: not the output of gen --pack" \
    "$Y" link -s "$GS1" -k "$T/brand.key" plan "$T/nocase.jsonl"

# The audit trail holds through every kind of event above (section 3): the
# writer's hashes are the ones audit recomputes.
for db in "$S" "$GS1" "$PLAN"; do
    expect_error "audit: ${db##*/}" 0 "audit: .* events read; the chain holds up to seq [1-9]" \
        "$Y" link -s "$db" audit
done
finish link_life
