#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What verify says must be true (issue 7, sections 1 and 3): a manifest
# checks the file verified; every code column of a row is checked; outputs
# never replace an existing file or a key; key files are never echoed; input
# cannot forge result lines; many inputs keep their names; memory is bounded.
source "$(dirname "$0")/testlib.bash"

$Y keygen -o brand 2>/dev/null
# another brand whose key id differs from brand's
$Y keygen -o other --id $((($(sed -n 's/^id //p' brand.pub) + 1) % 1000)) 2>/dev/null
verify() { $Y verify -q "$@"; }

# --- 1. --manifest M FILE hashes and counts FILE, not the file named in M
$Y gen -k brand.key -b 1 -n 2000 -f tsv --no-ledger -q -o a.tsv
$Y gen -k brand.key -b 2 -n 2000 -f tsv --no-ledger -q -o b.tsv
cp a.tsv.manifest b.tsv.manifest
expect_status "a manifest beside another batch is bad" 1 $Y verify -p brand.pub --manifest b.tsv.manifest b.tsv -o res1.txt
contains "mismatch names the data file" "$T/err" "b.tsv: "
contains "mismatch names the manifest and its file" "$T/err" "b.tsv.manifest (written for a.tsv)"
head -c -40 a.tsv > c.tsv && cp a.tsv.manifest c.tsv.manifest
expect_status "a truncated copy is bad" 1 $Y verify -p brand.pub --manifest c.tsv.manifest c.tsv -o res2.txt
contains "truncation named" "$T/err" "(truncated)"
cp a.tsv d.tsv
expect_status "a faithful copy passes" 0 $Y verify -p brand.pub --manifest a.tsv.manifest d.tsv -o res3.txt
expect_status "the manifest alone still checks its own file" 0 $Y verify -p brand.pub --manifest b.tsv.manifest --data a.tsv
expect_status "--data that is not the FILE verified" 2 $Y verify -p brand.pub --manifest a.tsv.manifest --data a.tsv b.tsv
expect_status "one manifest, two files" 2 $Y verify -p brand.pub --manifest a.tsv.manifest a.tsv d.tsv

# --- 2. every code column of a gen row is checked
$Y gen -k brand.key -b 3 -n 100 --pack 4,5 --inner -f tsv --header yes --no-ledger -q -o r.tsv
expect_status "all columns good with the secret key" 0 verify -k brand.key r.tsv -o /dev/null
expect_status "inner pairs unchecked with the public key" 1 verify -p brand.pub r.tsv -o pub.txt
contains "unchecked inner pair is NEED_SECRET" pub.txt "r.tsv:2	NEED_SECRET"
check "case rows (no inner) are OK with the public key" grep -qP '^r.tsv:6\tOK\t' pub.txt
# edit ROW COLUMN VALUE OUT IN: IN with one field of data row ROW changed to
# VALUE, which may name another field as $N
edit() { awk -F'\t' -v row="$1" -v col="$2" -v val="$3" 'BEGIN{OFS="\t"}
  NR==row+1 { if (val ~ /^\$[0-9]+$/) $col = $(substr(val, 2)); else $col = val } {print}' "$5" > "$4"; }
bad_row() { # NAME FILE STATUS DETAIL KEYS...: row 1 of FILE gets STATUS and DETAIL
  local name=$1 file=$2 status=$3 detail=$4; shift 4
  rm -f "$file.res"; expect_status "$name" 1 verify "$@" "$file" -o "$file.res"
  if grep -qP "^\Q$file\E:2\t$status\t[^\t]*\t\Q$detail\E" "$file.res"; then ok; else
    bad "$name: wanted $status ($detail): $(grep -P "^\Q$file\E:2\t" "$file.res")"; fi
}
edit 1 6 "" noinner.tsv r.tsv
bad_row "emptied inner column (secret key)" noinner.tsv MALFORMED "inner column is empty" -k brand.key
bad_row "emptied inner column (public key)" noinner.tsv MALFORMED "inner column is empty" -p brand.pub
edit 1 6 '$4' outerinner.tsv r.tsv
bad_row "an outer code as inner" outerinner.tsv PAIR_MISMATCH "inner column holds an outer code" -p brand.pub
edit 1 6 "NOT-A-CODE" junkinner.tsv r.tsv
bad_row "garbage inner: its own status" junkinner.tsv MALFORMED "inner code: MALFORMED" -k brand.key
edit 1 7 "NOT-A-CODE" junkcase.tsv r.tsv
bad_row "garbage case column (public key)" junkcase.tsv MALFORMED "case code: MALFORMED" -p brand.pub
bad_row "garbage case column (secret key)" junkcase.tsv MALFORMED "case code: MALFORMED" -k brand.key
edit 1 7 '$8' palletcase.tsv r.tsv
bad_row "a pallet code as case" palletcase.tsv WRONG_LEVEL "case column holds a pallet code" -k brand.key
edit 1 8 '$7' casepallet.tsv r.tsv
bad_row "a case code as pallet" casepallet.tsv WRONG_LEVEL "pallet column holds a case code" -k brand.key
edit 1 7 "" nocase.tsv r.tsv
bad_row "emptied case column" nocase.tsv MALFORMED "case column is empty" -k brand.key
$Y gen -k other.key -b 3 -n 4 --pack 4,5 -f tsv --no-ledger -q -o o.tsv
edit 1 7 "$(awk -F'\t' '$2=="case"{print $4; exit}' o.tsv)" othercase.tsv r.tsv
bad_row "a case code of another key" othercase.tsv PAIR_MISMATCH "case code of another key" -k brand.key -p other.pub
$Y gen -k brand.key -b 4 -n 4 --pack 4,5 -f tsv --no-ledger -q -o b4.tsv
edit 1 7 "$(awk -F'\t' '$2=="case"{print $4; exit}' b4.tsv)" batchcase.tsv r.tsv
bad_row "a case code of another batch" batchcase.tsv PAIR_MISMATCH "case code of another batch" -k brand.key
edit 1 5 '$7' payload.tsv r.tsv
bad_row "a payload carrying another code" payload.tsv MALFORMED "payload does not carry the code" -k brand.key
edit 1 2 "case" level.tsv r.tsv
bad_row "a level column that lies" level.tsv WRONG_LEVEL "level column says case" -k brand.key
$Y gen -k brand.key -b 5 -n 20 -a mac --pack 4,5 --inner -f jsonl --no-ledger -q -o m.jsonl
sed '1s/"inner":"[0-9A-Z]*"/"inner":""/' m.jsonl > m-noinner.jsonl
expect_status "emptied jsonl inner" 1 verify -k brand.key m-noinner.jsonl -o mj.txt
contains "emptied jsonl inner named" mj.txt "m-noinner.jsonl:1	MALFORMED"
sed '1s/"case":"[0-9A-Z]*"/"case":"NOT-A-CODE"/' m.jsonl > m-junkcase.jsonl
expect_status "garbage case in mac rows, public key" 1 verify -p brand.pub m-junkcase.jsonl -o mjc.txt
contains "garbage beats NEED_SECRET" mjc.txt "m-junkcase.jsonl:1	MALFORMED"

# --- 4. -o refuses an existing file without --force, and never a file the run reads
touch taken.txt
expect_status "existing output refused" 3 verify -k brand.key -o taken.txt a.tsv
contains "existing output named" "$T/err" "taken.txt: already exists"
check "refused output untouched" test ! -s taken.txt
expect_status "--force replaces it" 0 verify -k brand.key -o taken.txt --force a.tsv
check "results written" test -s taken.txt
cp brand.key brand.key.keep
expect_status "the key is never the output" 2 verify -k brand.key -o brand.key a.tsv
check "key intact" cmp -s brand.key brand.key.keep
ln -s brand.key alias.key
expect_status "nor under another name, even with --force" 2 verify -k brand.key -o alias.key --force a.tsv
check "key still intact" cmp -s brand.key brand.key.keep
expect_status "nor an input" 2 verify -k brand.key -o a.tsv --force a.tsv

# --- 5. key files are refused as input, never echoed
seed=$(sed -n 's/^seed //p' brand.key)
for input in brand.key brand.pub; do
  expect_status "$input as input refused" 3 $Y verify -p brand.pub $input
  contains "$input refusal is clear" "$T/err" "this is a yima key file"
  if grep -q "$seed" "$T/out" "$T/err"; then bad "key material echoed ($input)"; else ok; fi
done
cat a.tsv brand.key > mixed.tsv
expect_status "a key appended to codes refused" 3 $Y verify -p brand.pub mixed.tsv
if grep -q "$seed" "$T/out" "$T/err"; then bad "appended key material echoed"; else ok; fi
sed 1d brand.key > headless.key
expect_status "a key without its first line refused" 3 $Y verify -p brand.pub headless.key
if grep -q "$seed" "$T/out" "$T/err"; then bad "headless key material echoed"; else ok; fi

# --- 6. a duplicate's first sighting names its file in JSON too
sed -n 2p a.tsv > first.tsv; cp first.tsv second.tsv
verify -p brand.pub --json first.tsv second.tsv -o dup.json
check "json duplicate names the first file" grep -q '"status":"DUPLICATE".*"first_source":"first.tsv","first_line":1' dup.json
verify -p brand.pub first.tsv second.tsv -o dup.txt
contains "text duplicate names the first file" dup.txt "first seen at first.tsv:1"

# --- 7. input cannot forge a result line (and is not read past its end)
printf 'https://x/-\n-:7\tOK\tFAKE\n-\t-\n' | $Y verify -p brand.pub > forged.txt 2>/dev/null
check "one result per input line" test "$(wc -l < forged.txt)" -eq 3
check "no forged result" test -z "$(grep -v -P '^-:[123]\t' forged.txt)"
check "no raw tabs from the input" test -z "$(awk -F'\t' 'NF > 4' forged.txt)"
check "no bytes from beyond the line" test -z "$(LC_ALL=C grep -P '[^\t\x20-\x7e]' forged.txt)"
contains "tab shown escaped" forged.txt '-:3	MALFORMED	-\t-'

# --- 8. 65,538 inputs keep their names (one file given 65,536 times, then two)
$Y gen -k brand.key -b 6 -n 2 -a mac --no-ledger -q -o two.txt
head -1 two.txt > A.txt; tail -1 two.txt > B.txt; cp B.txt C.txt
verify -k brand.key -j 2 $(printf 'A.txt %.0s' $(seq 65536)) B.txt C.txt -o many.res
check "65,538 results" test "$(wc -l < many.res)" -eq 65538
contains "input 65,537 named" many.res "B.txt:1	OK"
contains "input 65,538 named" many.res "C.txt:1	DUPLICATE"
contains "a first sighting in input 65,537 named" many.res "first seen at B.txt:1"
check "the first input's line named once" test "$(grep -c '^A.txt:1	OK' many.res)" -eq 1

# --- 10. --ledger: codes the ledger never issued are NOT_ISSUED
$Y gen -k brand.key -b 30 -n 50 -a none --inner -f tsv -q -o issued.tsv
$Y gen -k brand.key -b 31 -n 50 -a none --inner -f tsv --no-ledger -q -o unissued.tsv
expect_status "issued codes pass the ledger" 0 verify -k brand.key --ledger brand.ledger issued.tsv -o /dev/null
expect_status "codes the ledger never issued" 1 verify -k brand.key --ledger brand.ledger unissued.tsv -o li.txt
check "every unissued row NOT_ISSUED" test "$(grep -c '	NOT_ISSUED	' li.txt)" -eq 50
expect_status "without a ledger they pass" 0 verify -k brand.key unissued.tsv -o /dev/null
cut -f6 issued.tsv | tail -n +2 > inner-issued.txt; cut -f6 unissued.tsv | tail -n +2 > inner-unissued.txt
expect_status "inner codes count as items: issued" 0 verify -k brand.key --ledger brand.ledger inner-issued.txt -o /dev/null
expect_status "inner codes count as items: unissued" 1 verify -k brand.key --ledger brand.ledger inner-unissued.txt -o lii.txt
contains "unissued inner named" lii.txt "inner-unissued.txt:1	NOT_ISSUED"
printf 'yima-ledger 1\nR 0123456789abcdef 40 0 0 100 1700000000 p.tsv\nD 0123456789abcdef\n' > items-only.ledger
$Y gen -k brand.key -b 40 -n 100 --pack 4,5 -f tsv --no-ledger -q -o p.tsv
expect_status "a case the ledger never issued" 1 verify -k brand.key --ledger items-only.ledger p.tsv -o lp.txt
contains "unissued case column named" lp.txt "p.tsv:2	NOT_ISSUED	"
contains "unissued case column detail" lp.txt "case code: NOT_ISSUED"
expect_status "a ledger with public keys only checks nothing: refused" 2 verify -p brand.pub --ledger brand.ledger issued.tsv
cp brand.ledger brand.ledger.keep
expect_status "the ledger is never the output" 2 verify -k brand.key --ledger brand.ledger -o brand.ledger --force issued.tsv
check "ledger intact" cmp -s brand.ledger brand.ledger.keep
printf 'yima-ledger 1\nR 0123456789abcdef 40 0 0 1' > torn.ledger
expect_status "a torn ledger is refused" 3 verify -k brand.key --ledger torn.ledger p.tsv -o /dev/null
contains "torn ledger named" "$T/err" "torn.ledger"

# --- a CRLF file: its header's last column (pallet) is still checked
$Y gen -k brand.key --no-ledger -q -b 41 -n 4 --pack 2,2 -f tsv |
  awk -F'\t' 'BEGIN { OFS = "\t" } NR > 1 { $7 = "GARBAGE" } { print }' | sed 's/$/\r/' > crlf.tsv
expect_status "CRLF: garbage in the pallet column is bad" 1 verify -p brand.pub crlf.tsv -o crlf.txt
check "CRLF: no row OK" test "$(grep -c '	OK	' crlf.txt)" -eq 0

# --- 9. memory bounded whatever the input and threads: tiny lines, -j 8
yes ab | head -n 6000000 | gzip -1 > tiny.gz
/usr/bin/time -f %M -o tiny.rss $Y verify -p brand.pub -j 8 -q -o /dev/null tiny.gz
rss=$(tail -1 tiny.rss)
# Under a sanitizer RSS measures the sanitizer's shadow memory too: a looser
# bound, which 0.1 (over 600 MB here) still fails.
limit=65536; [ -n "${YIMA_TEST_CFLAGS:-}" ] && limit=262144
check "tiny lines, -j 8: under $((limit / 1024)) MB ($rss KB)" test "$rss" -lt "$limit"

finish verify_trust
