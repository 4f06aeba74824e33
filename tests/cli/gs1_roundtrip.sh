#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# GS1 mode end to end, 10,000 items with their cases and pallets:
#  1. gen (Digital Link payloads, sig) -> render QR -> zbarimg -> verify;
#  2. gen (element strings, mac) -> render GS1 DataMatrix -> dmtxread (FNC1
#     as GS) -> verify, every decoded string byte-equal to gen's raw column;
#  3. gen -> link (commission, pack) -> EPCIS export -> the EPCIS 2.0 schema,
#     every EPC an urn:epc:id:sgtin: or urn:epc:id:sscc: URI.
. "$(dirname "$0")/testlib.bash"

N=10000
SCHEMA=${YIMA_SHARED:?}/reference/epcis/EPCIS-JSON-Schema.json
G="--gs1 --gtin 09506000134352 --gcp 9506000 --lot LOT-7A --expiry 271231"
for tool in zbarimg dmtxread; do
  command -v $tool >/dev/null || bad "$tool is not installed (.ci/install installs it)"
done
[ -f "$SCHEMA" ] || bad "no EPCIS schema at $SCHEMA"
"$Y" keygen -o brand >/dev/null 2>&1 || bad "keygen"
# decode DIR CMD...: CMD run over DIR's images in two halves at once, each
# to its own file (decoders write a line in pieces: a shared pipe would
# interleave them), then the lines of both.
decode() {
  local dir=$1
  shift
  ls "$dir"/*.png >"$dir.list"
  split -n l/2 "$dir.list" "$dir.part."
  for part in "$dir".part.*; do
    xargs -n 200 "$@" <"$part" >"$part.out" 2>/dev/null &
  done
  wait
  cat "$dir".part.*.out
}
qr_decode() { decode "$1" zbarimg -q --raw -Sdisable -Sqrcode.enable; } # QR only: no false EAN reads
dm_decode() { decode "$1" dmtxread -n -N1 -s s -G 29; }
rows() { awk -F'\t' -v c="$2" 'NR > 1 { print $c }' "$1"; } # rows FILE COLUMN

# --- 1. QR with Digital Link URIs ---------------------------------------------
# shellcheck disable=SC2086
"$Y" gen -k brand.key --no-ledger -q $G --dl-base https://id.example.com --pack 24,60 \
  -n $N -f tsv -o dl.tsv || bad "gen dl"
total=$(($(wc -l <dl.tsv) - 1))
same "items, cases and pallets" "$total" $((N + 417 + 7))
mkdir qr && "$Y" render -q -s 2 -j 2 -d qr dl.tsv || bad "render qr"
same "one QR per row" "$(ls qr | wc -l)" "$total"
qr_decode qr >qr.txt
same "zbarimg decodes every QR" "$(wc -l <qr.txt)" "$total"
same "the QRs carry gen's payloads" "$(sort qr.txt | md5sum)" "$(rows dl.tsv 5 | sort | md5sum)"
expect_status "verify the decoded QRs, public key" 0 "$Y" verify -p brand.pub qr.txt
contains "all OK" "$T/err" "$total lines: $total OK, 0 bad"

# --- 2. GS1 DataMatrix with element strings --------------------------------------
# shellcheck disable=SC2086
"$Y" gen -k brand.key --no-ledger -q $G -a mac -b 1 --pack 24,60 -n $N -f tsv -o es.tsv ||
  bad "gen element strings"
mkdir dm && "$Y" render -q --symbol datamatrix -s 2 -j 2 -d dm es.tsv || bad "render datamatrix"
same "one DataMatrix per row" "$(ls dm | wc -l)" "$total"
dm_decode dm >dm.txt
same "dmtxread decodes every DataMatrix" "$(wc -l <dm.txt)" "$total"
# GS1 DataMatrix starts with FNC1, which dmtxread -G 29 shows as GS (0x1D)
same "every symbol starts with FNC1" "$(grep -c $'^\x1d' dm.txt)" "$total"
same "the symbols carry gen's raw element strings" "$(sed 's/^\x1d//' dm.txt | sort | md5sum)" \
  "$(rows es.tsv 6 | sort | md5sum)"
expect_status "verify the decoded DataMatrix, secret key" 0 "$Y" verify -k brand.key dm.txt
contains "all OK" "$T/err" "$total lines: $total OK, 0 bad"

# --- 3. link and EPCIS ---------------------------------------------------------------
awk -F'\t' 'NR > 1 && $2 == "item" { print "COMMISSION\t" $5 "\t-\t-" }
  NR > 1 && $2 != "item" { print "COMMISSION\t" $4 "\t-\t-" }' dl.tsv >events.tsv
awk -F'\t' 'NR > 1 && $2 == "item" { kids[$(NF - 1)] = kids[$(NF - 1)] "\t" $4 }
  NR > 1 && $2 == "case" { print "PACK\t" $4 kids[$4]; cases[$NF] = cases[$NF] "\t" $4 }
  NR > 1 && $2 == "pallet" { print "PACK\t" $4 cases[$4] }' dl.tsv >>events.tsv
expect_status "link import of every commission and pack" 0 \
  "$Y" link -s store.db -p brand.pub --read-point urn:epc:id:sgln:9506000.13435.0 \
  --location urn:epc:id:sgln:9506000.13435.1 import events.tsv
expect_status "EPCIS export" 0 "$Y" link -s store.db export -f epcis -o epcis.jsonld
expect_status "schema-valid, every EPC an EPC URI, every code once" 0 python3 - "$SCHEMA" \
  epcis.jsonld "$total" <<'PY'
import json, re, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
jsonschema.validate(doc, schema)
pat = re.compile(r"^urn:epc:id:(sgtin:9506000\.013435\.[0-9A-Z]{19}|sscc:9506000\.\d{10})$")
epcs, commissioned = [], set()
for e in doc["epcisBody"]["eventList"]:
    here = e.get("epcList", []) + e.get("childEPCs", []) + ([e["parentID"]] if "parentID" in e else [])
    epcs += here
    if e.get("bizStep") == "commissioning":
        commissioned.update(e.get("epcList", []))
bad = [x for x in epcs if not pat.match(x)]
assert not bad, bad[:3]
assert len(commissioned) == int(sys.argv[3]), (len(commissioned), sys.argv[3])
print(len(epcs), "EPCs")
PY

finish gs1_roundtrip
