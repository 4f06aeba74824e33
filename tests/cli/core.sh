#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keygen, gen and verify end to end: round trips, determinism across threads
# and shards, manifests, ledger, key permissions, bad input, pipes.
source "$(dirname "$0")/testlib.bash"

# --- keys
check "keygen" $Y keygen -o brand
check "secret key is 0600" test "$(stat -c %a brand.key)" = 600
check "public key is readable" test "$(stat -c %a brand.pub)" = "$(printf '%o' $((0644 & ~$(umask))))"
check "public key is small" test "$(wc -c < brand.pub)" -lt 200
expect_exit "keygen refuses to overwrite" 3 $Y keygen -o brand 2>err
contains "overwrite message" err "already exists"
cp brand.key loose.key && chmod 644 loose.key
expect_exit "loose secret key refused" 3 $Y gen -k loose.key -n 1 2>err
contains "loose key message" err "chmod 600"
if grep -q "$(sed -n 's/^seed //p' brand.key)" err; then bad "secret seed printed"; else ok; fi
expect_exit "public key given as the secret" 3 $Y gen -k brand.pub -n 1 2>err
contains "public key named as such" err "this is a public key"

# --- a million codes: all verify, all distinct
check "gen 1M mac" $Y gen -k brand.key -b 1 -n 1000000 -a mac -o m.txt -q
expect_exit "verify 1M" 0 $Y verify -k brand.key m.txt --bad-only -o res.txt 2>sum
contains "1M summary" sum "1000000 lines: 1000000 OK, 0 bad"
check "1M distinct" test "$(sort -u m.txt | wc -l)" -eq 1000000
check "manifest beside output" test -s m.txt.manifest
expect_exit "manifest verifies" 0 $Y verify -p brand.pub --manifest m.txt.manifest 2>err -o /dev/null

# --- sig codes with only the public key, with hierarchy and inner codes
check "gen sig pack" $Y gen -k brand.key -b 2 -n 5000 --pack 24,60 -f tsv -o s.tsv -q
expect_exit "verify sig with public key" 0 $Y verify -p brand.pub s.tsv -q -o /dev/null
check "case rows" test "$(awk -F'\t' '$2=="case"' s.tsv | wc -l)" -eq 209
check "pallet rows" test "$(awk -F'\t' '$2=="pallet"' s.tsv | wc -l)" -eq 4
check "item rows carry parents" test "$(awk -F'\t' 'NR>1 && $2=="item" && ($6=="" || $7=="")' s.tsv | wc -l)" -eq 0
$Y gen -k brand.key -b 2 --range 5040:3000 --inner -f tsv --header yes -o i.tsv -q
expect_exit "inner codes pair with their items" 0 $Y verify -k brand.key i.tsv -q -o /dev/null
expect_exit "auditors cannot vouch for inner pairs" 1 $Y verify -p brand.pub i.tsv -q -o pubinner.txt
check "inner rows are NEED_SECRET for auditors" test "$(grep -c '	NEED_SECRET	' pubinner.txt)" -eq 3000
awk -F'\t' 'BEGIN{OFS="\t"} NR==2{keep=$6} NR==3{$6=keep} {print}' i.tsv > swapped.tsv
expect_exit "wrong inner detected" 1 $Y verify -k brand.key swapped.tsv --bad-only -o bad.txt -q
contains "pair mismatch" bad.txt "swapped.tsv:3	PAIR_MISMATCH"
awk -F'\t' 'NR>1 && $2=="case" {print $4}' s.tsv > cases.txt
expect_exit "case code as item" 1 $Y verify -p brand.pub -l item cases.txt -o lv.txt -q
contains "wrong level" lv.txt "WRONG_LEVEL"

# --- other key, templates, csv quoting, digits
check "keygen other" $Y keygen -o other --id "$(sed -n 's/^id //p' brand.pub)"
$Y gen -k other.key -b 2 -n 3 -o forged.txt -q
expect_exit "other key rejected" 1 $Y verify -p brand.pub forged.txt -o f.txt -q
contains "bad signature" f.txt "BAD_SIGNATURE"
$Y gen -k brand.key -b 3 -n 200 -t 'HTTPS://V.EXAMPLE.CN/{code}' -o url.txt -q
expect_exit "payload URLs verify" 0 $Y verify -p brand.pub url.txt -q -o /dev/null
$Y gen -k brand.key -b 4 -n 200 -a mac -t 'HTTPS://X.CN/Q?a=1,c={code}' -f csv -o q.csv -q
expect_exit "csv with quoted payloads" 0 $Y verify -k brand.key q.csv -q -o /dev/null
$Y gen -k brand.key -b 5 -n 300 -a mac --alphabet digits -f jsonl --inner -o d.jsonl -q
expect_exit "digits jsonl round trip" 0 $Y verify -k brand.key d.jsonl -q -o /dev/null
check "digits are digits" test "$(grep -c '"code":"[0-9]*"' d.jsonl)" -eq 300
expect_exit "capacity refused" 2 $Y gen -k brand.key --alphabet digits --serial-len 12 -b 1 -n 5 2>err
contains "capacity message" err "do not fit"

# --- identical bytes for any thread count, and shards that concatenate
for fmt in "txt a.txt" "tsv a.tsv.gz" "jsonl a.jsonl"; do
  set -- $fmt
  for j in 1 2 8; do
    $Y gen -k brand.key -b 6 -n 150000 -a mac --pack 24,60 --inner -f $1 -j $j --no-ledger -o j$j.$2 -q
  done
  check "threads 1=2 ($1)" cmp -s j1.$2 j2.$2
  check "threads 1=8 ($1)" cmp -s j1.$2 j8.$2
done
for k in 1 2 3; do
  $Y gen -k brand.key -b 6 -n 150000 -a mac --pack 24,60 --inner -f tsv --shard $k/3 -j 2 --no-ledger -o sh$k.tsv.gz -q
done
cat sh1.tsv.gz sh2.tsv.gz sh3.tsv.gz > shards.tsv.gz
check "gzip shards concatenate to one run" cmp -s shards.tsv.gz j1.a.tsv.gz
$Y gen -k brand.key -b 6 -n 150000 -a mac --pack 24,60 --inner -f tsv -z --no-ledger -q > piped.gz
check "gzip to a pipe is the same stream" cmp -s piped.gz j1.a.tsv.gz
script -qec "$Y gen -k brand.key -b 6 -n 10 -a mac -z --no-ledger -q" /dev/null > ttygz.out
contains "no gzip to a terminal" ttygz.out "refusing to write binary data to a terminal"
expect_exit "a headerless later shard verifies, inner pairs included" 0 \
  $Y verify -k brand.key sh2.tsv.gz -q -o /dev/null
zcat sh2.tsv.gz | awk -F'\t' 'BEGIN{OFS="\t"} NR==1{keep=$6} NR==2{$6=keep} {print}' > sh2-swapped.tsv
expect_exit "headerless shard still checks inner pairs" 1 $Y verify -k brand.key sh2-swapped.tsv -q -o /dev/null
check "concatenated gzip is valid" gzip -t shards.tsv.gz
$Y gen -k brand.key -b 6 --range 0:70000 -a mac --no-ledger -o r1.txt -q
$Y gen -k brand.key -b 6 --range 70000:80000 -a mac --no-ledger -o r2.txt -q
$Y gen -k brand.key -b 6 -n 150000 -a mac --no-ledger -o r.txt -q
check "ranges concatenate" cmp -s <(cat r1.txt r2.txt) r.txt
$Y gen -k brand.key -b 6 --range 1000:200000 -a mac -f tsv --no-ledger -o off.tsv.gz -q
for k in 1 2 3; do
  $Y gen -k brand.key -b 6 --range 1000:200000 -a mac -f tsv --shard $k/3 --no-ledger -o off$k.tsv.gz -q
done
check "shards of an offset range concatenate" cmp -s <(cat off1.tsv.gz off2.tsv.gz off3.tsv.gz) off.tsv.gz

# --- manifests catch truncation, edits and forgery
cp s.tsv s.keep && cp s.tsv.manifest s.tsv.manifest.keep
truncate -s -40 s.tsv
expect_exit "truncated data" 1 $Y verify -p brand.pub --manifest s.tsv.manifest 2>err
contains "truncation named" err "truncated"
cp s.keep s.tsv
flip=X; [ "$(dd if=s.tsv bs=1 skip=500 count=1 2>/dev/null)" = X ] && flip=Y
printf '%s' "$flip" | dd of=s.tsv bs=1 seek=500 conv=notrunc 2>/dev/null
expect_exit "changed byte" 1 $Y verify -p brand.pub --manifest s.tsv.manifest 2>err
contains "hash mismatch" err "altered"
cp s.keep s.tsv && sed -i 's/"rows": [0-9]*/"rows": 1/' s.tsv.manifest
expect_exit "edited manifest" 1 $Y verify -p brand.pub --manifest s.tsv.manifest 2>err
contains "forged manifest" err "signature does not verify"
cp s.tsv.manifest.keep s.tsv.manifest
expect_exit "restored manifest" 0 $Y verify -p brand.pub --manifest s.tsv.manifest 2>err -o /dev/null

# --- the ledger refuses overlaps, allows --force, coordinates parallel shards
expect_exit "overlap refused" 3 $Y gen -k brand.key -b 1 --range 999999:5 -a mac -q 2>err
contains "overlap message" err "already issued"
expect_exit "force re-issues" 0 $Y gen -k brand.key -b 1 --range 999999:5 -a mac --force -q -o forced.txt
expect_exit "disjoint range ok" 0 $Y gen -k brand.key -b 1 --range 1000004:5 -a mac -q -o next.txt
for k in 1 2 3 4; do $Y gen -k brand.key -b 7 -n 300000 -a mac --shard $k/4 -q -o p$k.txt & done; wait
check "parallel shards recorded" test "$(grep -c ' 7 0 ' brand.ledger)" -eq 4
expect_exit "parallel shards cover the batch" 3 $Y gen -k brand.key -b 7 --range 299999:1 -a mac -q 2>/dev/null

touch taken.txt
expect_exit "existing output refused" 3 $Y gen -k brand.key -b 11 -n 10 -a mac -q -o taken.txt 2>/dev/null
expect_exit "refused output cost no range" 0 $Y gen -k brand.key -b 11 -n 10 -a mac -q -o fresh.txt

# --- outputs that are not regular files are written in place
mkfifo pipe.fifo
cat pipe.fifo > from-fifo.txt & reader=$!
expect_exit "gen into a fifo" 0 $Y gen -k brand.key -b 12 -n 1000 -a mac --no-ledger -q -o pipe.fifo
wait $reader
check "fifo is still a fifo" test -p pipe.fifo
check "fifo carried the codes" test "$(wc -l < from-fifo.txt)" -eq 1000
check "no temp file beside the fifo" test -z "$(ls -A | grep '^\.pipe.fifo.tmp')"

# --- bad input: named file and line, documented exit status
head -3 m.txt > trunc.txt && sed -n 4p m.txt | cut -c1-15 >> trunc.txt
expect_exit "truncated line" 1 $Y verify -k brand.key trunc.txt -o t.txt -q
contains "truncated line reported" t.txt "trunc.txt:4	"
head -2 m.txt > junk.txt && head -c 300 /dev/urandom | tr -d '\n' | tr '\000' '\001' >> junk.txt && echo >> junk.txt
expect_exit "binary junk" 3 $Y verify -k brand.key junk.txt -q -o /dev/null 2>err
contains "binary named" err "junk.txt:3: binary data"
: > empty.txt
expect_exit "empty file" 3 $Y verify -k brand.key empty.txt -q 2>err
contains "empty named" err "empty.txt: empty input"
head -2 m.txt > long.txt && head -c 1048576 /dev/zero | tr '\0' 'A' >> long.txt && echo >> long.txt
expect_exit "1 MB line" 3 $Y verify -k brand.key long.txt -q -o /dev/null 2>err
contains "long line named" err "long.txt:3: line longer than"
(head -5 m.txt; sed -n 2p m.txt) > dup.txt
expect_exit "duplicate code" 1 $Y verify -k brand.key dup.txt -o du.txt -q
contains "duplicate reported" du.txt "dup.txt:6	DUPLICATE"
contains "first sighting" du.txt "first seen at dup.txt:2"
$Y verify -k brand.key dup.txt --json -q -o du.json
check "json results parse" /usr/bin/python3 -c "import json,sys; [json.loads(l) for l in open('du.json')]"
check "json summary is the last line" test "$(tail -1 du.json | cut -c1-11)" = '{"summary":'
sed -n 3p m.txt | tr '01' 'OL' > alias.txt; sed -n 3p m.txt >> alias.txt
expect_exit "clone typed with aliases" 1 $Y verify -k brand.key alias.txt -o al.txt -q
contains "alias clone is a duplicate" al.txt "alias.txt:2	DUPLICATE"

# --- memory: constant in the count, under 64 MB even for the widest rows
wide() { /usr/bin/time -f %M -o "$1" env ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4" \
  $Y gen -k brand.key -b 13 -n "$2" -a mac --pack 24,60 --inner -f jsonl \
  -t 'HTTPS://V.EXAMPLE.CN/{code}' --no-ledger -q --force -o wide.jsonl.gz; }
wide rss-small 200000 && wide rss-large 2000000
check "memory does not grow with the count" test "$(cat rss-large)" -lt $(($(cat rss-small) + 16384))
if [ -z "${YIMA_TEST_CFLAGS:-}" ]; then # under a sanitizer RSS measures the sanitizer
  check "memory under 64 MB" test "$(cat rss-large)" -lt 65536
fi

# --- progress: on a terminal only, silenced by -q
script -qec "$Y gen -k brand.key -b 10 -n 400000 -a mac --no-ledger -o tty.txt" /dev/null > tty.out
contains "progress on a terminal" tty.out "400000/400000 items (100.0%)"
$Y gen -k brand.key -b 10 -n 400000 -a mac --no-ledger --force -o tty.txt 2> notty.err
check "no progress without a terminal" test ! -s notty.err
script -qec "$Y gen -k brand.key -b 10 -n 1000 -a mac --no-ledger -q --force -o tty.txt" /dev/null > q.out
check "-q silences progress" test ! -s q.out

# --- usage errors, pipes, write errors, killed runs
expect_exit "bad number" 2 $Y gen -k brand.key -n 12x 2>err
contains "bad number named" err "--count: '12x' is not a whole number"
expect_exit "unknown format" 2 $Y gen -k brand.key -n 1 -f xml 2>err
expect_exit "help" 0 $Y gen --help >help.txt
contains "help lists options" help.txt "--pack CASE,PALLET"
$Y gen -k brand.key -b 8 -n 50000000 -a mac --no-ledger 2>pipe.err | head -1 >/dev/null
check "head ends quietly" test ! -s pipe.err
expect_exit "write error named" 3 $Y gen -k brand.key -b 8 -n 100000 -a mac --no-ledger -q >/dev/full 2>err
contains "write error message" err "(stdout): write failed: No space left on device"
$Y gen -k brand.key -b 9 -n 500000000 -a mac --no-ledger -q -o killed.txt & pid=$!
sleep 1; kill -9 $pid; wait $pid 2>/dev/null
check "killed run leaves no output" test ! -e killed.txt
check "killed run leaves no manifest" test ! -e killed.txt.manifest
rm -f .killed.txt.tmp.*

finish core
