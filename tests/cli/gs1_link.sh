#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link with GS1 codes (issue 8, "Link and EPCIS"): every spelling of a
# code (Digital Link URI, HRI, raw with GS, JSON with \u001d) is one code;
# EPCIS export names codes by EPC URIs (or id.gs1.org Digital Link URIs),
# with eventID, readPoint, bizLocation and ILMD lot/expiry, and validates
# against the EPCIS 2.0 schema.
source "$(dirname "$0")/testlib.bash"
set -e
SCHEMA=${YIMA_SHARED:?}/reference/epcis/EPCIS-JSON-Schema.json
RP=urn:epc:id:sgln:9506000.13435.0
LOC=urn:epc:id:sgln:9506000.13435.1

expect() { local want=$1; shift; expect_status "$*" "$want" "$@"; }
# col N NAME: column NAME of the Nth item (from 1) of $CODES.
CODES=$T/codes.tsv
col() {
    awk -F'\t' -v r="$1" -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $2 == "item" && ++n == r { print $c[name] }' "$CODES"
}
# validate DOC [--dl]: schema-valid; every epc (parentID, epcList, childEPCs)
# an EPC URI (or, with --dl, an id.gs1.org Digital Link URI); eventIDs
# present and unique; readPoint and bizLocation on every event; commissioning
# ILMD with lot L1 and expiry 2027-12-31 for items.
validate() {
    expect 0 /usr/bin/python3 - "$SCHEMA" "$@" <<'EOF'
import json, re, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
dl = "--dl" in sys.argv[3:]
jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
pat = re.compile(r"^https://id\.gs1\.org/(01/\d{14}/21/[^/?]+|00/\d{18})$" if dl
                 else r"^urn:epc:id:(sgtin|sscc):")
events = doc["epcisBody"]["eventList"]
ids = [e.get("eventID") for e in events]
assert all(ids) and len(set(ids)) == len(ids), "eventID missing or repeated"
assert all(re.match(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", i)
           for i in ids), ids
epcs = []
for e in events:
    epcs += e.get("epcList", []) + e.get("childEPCs", []) + ([e["parentID"]] if "parentID" in e else [])
    assert e["readPoint"]["id"] == "urn:epc:id:sgln:9506000.13435.0", e
    assert e["bizLocation"]["id"] == "urn:epc:id:sgln:9506000.13435.1", e
    if e["bizStep"] == "commissioning" and "sgtin" in e["epcList"][0] + "/21/":
        assert e["ilmd"]["cbvmda:lotNumber"] == "L1", e
        assert e["ilmd"]["cbvmda:itemExpirationDate"] == "2027-12-31", e
bad = [x for x in epcs if not pat.match(x)]
assert epcs and not bad, bad
print(len(events), len(epcs))
EOF
}

# 8 signed items, 2 cases of 4, 1 pallet: the company prefix (7 digits) is in
# every code's header. 4 more items made without --gcp name none.
expect 0 "$Y" keygen -o "$T/brand"
expect 0 "$Y" gen -k "$T/brand.key" --gs1 --gtin 09506000134352 --gcp 9506000 --lot L1 \
    --expiry 271231 --dl-base https://id.example.com --pack 4,2 -n 8 -f tsv -o "$T/codes.tsv"
[ "$(col 1 level)" = item ] && ok || bad "gen --gs1 codes.tsv: $(head -2 "$T/codes.tsv")"
S="$T/line.db"
L=(link -s "$S" -p "$T/brand.pub" --read-point "$RP" --location "$LOC")

# A malformed SGLN is a usage error, whatever the command; nothing is stored.
for sgln in urn:epc:id:sgln:950600.13435 urn:epc:id:sgtin:9506000.013435.1 nonsense \
            urn:epc:id:sgln:9506000.1343.0; do
    expect 2 "$Y" link -s "$S" -p "$T/brand.pub" --read-point "$sgln" import /dev/null
    contains "--read-point $sgln" "$T/err" "--read-point"
done
expect 2 "$Y" link -s "$S" -p "$T/brand.pub" --location bad:sgln stats
expect 2 "$Y" link -s "$S" -p "$T/brand.pub" --gcp-length 13 stats
[ ! -e "$S" ] && ok || bad "a refused --read-point created the store"

# Items 1-8 commissioned in every spelling: DL URI, HRI, raw with GS (in TSV
# as the byte itself), JSON with \u001d. Product, lot and expiry from the code.
GS=$'\x1d'
{
    for i in 1 2 3 4 5 6 7 8; do
        case $((i % 4)) in
        1) printf 'COMMISSION\t%s\t-\t-\n' "$(col $i payload)" ;;
        2) printf 'COMMISSION\t%s\t-\t-\n' "$(col $i code)" ;;
        3) printf 'COMMISSION\t%s\t-\t-\n' "$(col $i raw)" ;;
        0) printf '{"type":"COMMISSION","code":"%s","product":"-","lot":"L1"}\n' \
               "$(col $i raw | sed 's/\x1d/\\u001d/g')" ;;
        esac
    done
} >"$T/commission.tsv"
grep -q "$GS" "$T/commission.tsv" && ok || bad "no raw GS spelling in the test input"
expect 0 "$Y" "${L[@]}" import "$T/commission.tsv"
contains "commission import" "$T/err" "8 applied"

# The same codes in another spelling are the same codes: commissioned already.
{
    for i in 1 2 3 4; do
        case $i in
        1) printf 'COMMISSION\t%s\t-\t-\n' "$(col $i code)" ;;
        2) printf 'COMMISSION\t%s\t-\t-\n' "$(col $i raw)" ;;
        3) printf 'COMMISSION\t%s\t-\t-\n' "$(col $i payload)" ;;
        4) printf 'COMMISSION\t%s\t-\t-\n' "]d2$(col $i raw)" ;;
        esac
    done
} >"$T/again.tsv"
expect 1 "$Y" "${L[@]}" import "$T/again.tsv"
contains "other spellings" "$T/err" "4 rejected"
contains "other spellings" "$T/err" "is already commissioned"
# A lot other than the code's is refused.
expect 1 "$Y" "${L[@]}" commission "$(col 1 code)" - L2
contains "lot mismatch" "$T/err" "differs from the code's"

# Cases and the pallet, from their SSCCs; children in mixed spellings, and
# the same child twice in two spellings is one code twice.
C1=$(awk -F'\t' '$2 == "case" { print $5; exit }' "$T/codes.tsv")          # DL URI
C1_HRI=$(awk -F'\t' '$2 == "case" { print $4; exit }' "$T/codes.tsv")
C2=$(awk -F'\t' '$2 == "case" { n++ } $2 == "case" && n == 2 { print $4; exit }' "$T/codes.tsv")
PAL=$(awk -F'\t' '$2 == "pallet" { print $6; exit }' "$T/codes.tsv")       # raw
expect 1 "$Y" "${L[@]}" pack "$C1" "$(col 1 payload)" "$(col 1 code)"
contains "one code in two spellings" "$T/err" "appears twice"
expect 0 "$Y" "${L[@]}" pack "$C1" "$(col 1 raw)" "$(col 2 payload)" "$(col 3 code)" "$(col 4 raw)"
expect 0 "$Y" "${L[@]}" pack "$C2" "$(col 5 code)" "$(col 6 code)" "$(col 7 payload)" "$(col 8 code)"
expect 0 "$Y" "${L[@]}" pack "$PAL" "$C1_HRI" "$C2"

# trace finds a code by any spelling, and the store holds 8 + 2 + 1 codes.
for spelling in "$(col 1 payload)" "$(col 1 code)" "$(col 1 raw)"; do
    expect 0 "$Y" link -s "$S" trace "$spelling"
    contains "trace" "$T/out" "(01)09506000134352(21)$(col 1 serial)"
    contains "trace" "$T/out" "2027-12-31"
done
expect 0 "$Y" link -s "$S" stats --json
n=$(/usr/bin/python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["codes"]
print(c["item"]["commissioned"], sum(sum(v.values()) for v in c.values()))' "$T/out")
same "codes stored" "$n" "8 11"

# EPCIS: EPC URIs from the codes' headers, eventIDs, read point, location, ILMD.
expect 0 "$Y" link -s "$S" export -f epcis -o "$T/epc.jsonld"
validate "$T/epc.jsonld"
contains "sgtin" "$T/epc.jsonld" "urn:epc:id:sgtin:9506000.013435.$(col 1 serial)"
# The same store exports the same eventIDs.
expect 0 "$Y" link -s "$S" export -f epcis -o "$T/epc2.jsonld"
ids() { /usr/bin/python3 -c 'import json,sys; print(" ".join(e["eventID"] for e in json.load(open(sys.argv[1]))["epcisBody"]["eventList"]))' "$1"; }
same "eventIDs are stable" "$(ids "$T/epc.jsonld")" "$(ids "$T/epc2.jsonld")"

# Codes that name no company prefix: Digital Link URIs on id.gs1.org, unless
# --gcp-length gives one (at import, remembered; or at export).
CODES=$T/nogcp-codes.tsv
expect 0 "$Y" gen -k "$T/brand.key" --gs1 --gtin 09506000134352 --lot L1 --expiry 271231 --batch 1 \
    -n 4 -f tsv -o "$CODES"
printf 'COMMISSION\t%s\t-\t-\n' "$(col 1 code)" "$(col 2 code)" >"$T/nogcp.tsv"
S2="$T/nogcp.db"
L=(link -s "$S2" -p "$T/brand.pub" --read-point "$RP" --location "$LOC")
expect 0 "$Y" "${L[@]}" import "$T/nogcp.tsv"
expect 0 "$Y" link -s "$S2" export -f epcis -o "$T/dl.jsonld"
validate "$T/dl.jsonld" --dl
expect 0 "$Y" link -s "$S2" --gcp-length 7 export -f epcis -o "$T/gcp.jsonld"
validate "$T/gcp.jsonld"
printf 'COMMISSION\t%s\t-\t-\n' "$(col 3 code)" >"$T/nogcp3.tsv"
expect 0 "$Y" "${L[@]}" --gcp-length 7 import "$T/nogcp3.tsv"
expect 0 "$Y" link -s "$S2" export -f epcis -o "$T/mixed.jsonld"
contains "remembered gcp" "$T/mixed.jsonld" "urn:epc:id:sgtin:9506000.013435.$(col 3 serial)"
contains "unknown gcp" "$T/mixed.jsonld" "https://id.gs1.org/01/09506000134352/21/$(col 1 serial)"

# The audit trail of GS1 events (commissioned from the codes' own ILMD).
for db in "$T"/*.db; do
    expect_error "audit: $(basename "$db")" 0 "the chain holds up to seq [1-9]" "$Y" link -s "$db" audit
done
finish gs1_link
