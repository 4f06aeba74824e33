#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima verify on GS1 codes: every spelling a scanner, a file or a person
# gives (Digital Link on any host, HRI, RAW with GS, symbology identifiers),
# the syntax checks (check digits, AI syntax, Digital Link order) with a
# detail naming the fault, the signature and MAC, and duplicates across
# spellings.
. "$(dirname "$0")/testlib.bash"

GS=$'\x1d'
G="--gs1 --gtin 09506000134352 --gcp 9506000 --lot L1 --expiry 271231"
"$Y" keygen -o brand >/dev/null 2>&1 || bad "keygen"
"$Y" keygen -o other >/dev/null 2>&1 || bad "keygen other"
# shellcheck disable=SC2086
"$Y" gen -k brand.key --no-ledger -q $G --dl-base https://id.example.com --pack 3,2 -n 12 \
  -f tsv -o sig.tsv || bad "gen sig"
# shellcheck disable=SC2086
"$Y" gen -k brand.key --no-ledger -q $G --auth mac -b 2 -n 6 -f tsv -o mac.tsv || bad "gen mac"
col() { awk -F'\t' -v c="$1" 'NR > 1 && $2 == "item" { print $c }' "$2"; }
col 4 sig.tsv >hri.txt     # code: HRI
col 5 sig.tsv >dl.txt      # payload: Digital Link
col 6 sig.tsv >raw.txt     # raw, GS separators
col 4 mac.tsv >mac.txt
same "12 items" "$(wc -l <hri.txt)" 12

# --- every spelling verifies ------------------------------------------------
expect_status "HRI" 0 "$Y" verify -k brand.key hri.txt
expect_status "Digital Link" 0 "$Y" verify -k brand.key dl.txt
expect_status "RAW with GS" 0 "$Y" verify -k brand.key raw.txt
sed 's|https://id.example.com|http://scan.other-domain.test/prefix|' dl.txt >dl-other.txt
expect_status "Digital Link on any host and path prefix" 0 "$Y" verify -k brand.key dl-other.txt
sed 's/^/]d2/' raw.txt >d2.txt
expect_status "scanner output, DataMatrix identifier ]d2" 0 "$Y" verify -k brand.key d2.txt
sed 's/^/]Q3/' raw.txt >q3.txt
expect_status "scanner output, QR identifier ]Q3" 0 "$Y" verify -k brand.key q3.txt
sed "s/^/$GS/" raw.txt >fnc1.txt
expect_status "scanner output, leading GS (FNC1)" 0 "$Y" verify -k brand.key fnc1.txt
expect_status "a -t template of another URL leaves Digital Link alone" 0 \
  "$Y" verify -k brand.key -t 'https://brand.example/c/{code}' dl.txt
expect_status "the public key checks signatures" 0 "$Y" verify -p brand.pub dl.txt
expect_status "the whole gen file, hierarchy included" 0 "$Y" verify -k brand.key sig.tsv
expect_status "mac codes, secret key" 0 "$Y" verify -k brand.key mac.txt
expect_status "mac codes, public key: NEED_SECRET" 1 "$Y" verify -p brand.pub mac.txt
contains "NEED_SECRET named" "$T/out" "NEED_SECRET"
expect_status "another brand's key: UNKNOWN_KEY" 1 "$Y" verify -p other.pub hri.txt

# --- one code, one identity: duplicates across spellings --------------------
{ head -1 hri.txt; head -1 dl.txt; head -1 raw.txt; } >three.txt
expect_status "one code in three spellings" 1 "$Y" verify -k brand.key three.txt
same "two of them are duplicates" "$(grep -c 'DUPLICATE' "$T/out")" 2

# --- syntax faults: the status and a detail naming what is wrong ------------
one() { # one NAME WANT_STATUS DETAIL TEXT
  printf '%s\n' "$4" >one.txt
  expect_status "$1" 1 "$Y" verify -k brand.key one.txt
  contains "$1: status" "$T/out" "$2"
  [ -z "$3" ] || contains "$1: detail" "$T/out" "$3"
}
H=$(head -1 hri.txt)
one "GTIN check digit" BAD_CHECK "check digit" "${H/09506000134352/09506000134353}"
one "expiry not a date" MALFORMED "(17)" "${H/(17)271231/(17)271332}"
one "lot longer than 20" MALFORMED "(10)" "${H/(10)L1/(10)L123456789012345678901}"
one "lot outside CSET 82" MALFORMED "(10)" "${H/(10)L1/(10)L~1}"
D=$(head -1 dl.txt)
SER=$(echo "$D" | sed 's|.*/21/\([^?]*\).*|\1|')
one "Digital Link: /21 before /10" MALFORMED "path order" \
  "https://id.example.com/01/09506000134352/21/$SER/10/L1?${D#*\?}"
one "Digital Link: unknown primary key" MALFORMED "" "https://id.example.com/99/1234/21/$SER"
one "Digital Link: AI 17 in the path" MALFORMED "" \
  "https://id.example.com/01/09506000134352/17/271231/21/$SER?${D#*\?}"
S=$(awk -F'\t' 'NR > 1 && $2 == "case" { print $4; exit }' sig.tsv)
SSCC=$(echo "$S" | sed 's/^(00)\([0-9]*\).*/\1/')
BADSSCC="${SSCC:0:17}$(( (${SSCC:17:1} + 1) % 10 ))"
one "SSCC check digit" BAD_CHECK "check digit" "${S/$SSCC/$BADSSCC}"
one "a foreign GS1 code (no yima header)" UNKNOWN_KEY "" "(01)09506000134352(21)ABC123"

# --- authentication: every element is covered ------------------------------
one "changed lot, sig" BAD_SIGNATURE "" "${H/(10)L1/(10)L2}"
one "changed expiry, sig" BAD_SIGNATURE "" "${H/(17)271231/(17)271230}"
one "dropped lot, sig" BAD_SIGNATURE "" "${H/(10)L1/}"
M=$(head -1 mac.txt)
one "changed lot, mac" BAD_MAC "" "${M/(10)L1/(10)L2}"
SIGV=${H##*(8030)}
FLIP=$([ "${SIGV:40:1}" = A ] && echo B || echo A)
one "changed signature character" BAD_SIGNATURE "" "${H%(8030)*}(8030)${SIGV:0:40}$FLIP${SIGV:41}"
MACV=${M##*(92)}
FLIPM=$([ "${MACV:6:1}" = A ] && echo B || echo A)
one "changed MAC character" BAD_MAC "" "${M%(92)*}(92)${MACV:0:6}$FLIPM${MACV:7}"

# --- ledger and scope ----------------------------------------------------------
# shellcheck disable=SC2086
"$Y" gen -k brand.key --ledger brand.ledger -q $G -b 7 -n 4 -o issued.txt || bad "gen issued"
# shellcheck disable=SC2086
"$Y" gen -k brand.key --no-ledger -q $G -b 7 --range 4:2 -o unissued.txt || bad "gen unissued"
cat issued.txt unissued.txt >both.txt
expect_status "ledger: codes it never issued" 1 "$Y" verify -k brand.key --ledger brand.ledger both.txt
same "two NOT_ISSUED" "$(grep -c NOT_ISSUED "$T/out")" 2
"$Y" keygen --scope 2 -k brand.key -o line >/dev/null 2>&1 || bad "keygen --scope"
expect_status "line key, its own batch" 0 "$Y" verify -k line.key mac.txt
# shellcheck disable=SC2086
"$Y" gen -k brand.key --no-ledger -q $G --auth mac -b 3 -n 2 -o mac3.txt || bad "gen mac3"
expect_status "line key, another batch: OUT_OF_SCOPE" 1 "$Y" verify -k line.key mac3.txt
contains "OUT_OF_SCOPE named" "$T/out" "OUT_OF_SCOPE"

finish gs1_verify
