#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scoped line keys (yima keygen --scope): a line PC's key makes and checks
# format-2 codes of its own batches only, is a 0600 secret, and names its scope
# when asked about another batch.
source "$(dirname "$0")/testlib.bash"

umask 000
check "brand key" "$Y" keygen -o brand 2>/dev/null
check "line key" "$Y" keygen --scope 5,7 -k brand.key -o line7 2>keygen.err
same "line key mode, whatever the umask" "$(stat -c %a line7.key)" 600
same "brand.pub mode, whatever the umask" "$(stat -c %a brand.pub)" 644
check "no .pub for a line key" test ! -e line7.pub
contains "keygen names the scope" keygen.err "5,7"
check "no seed in a line key" sh -c '! grep -q "^seed" line7.key'
umask 022

gen() { "$Y" gen --no-ledger -q "$@"; }
for auth in mac none; do
  gen -k brand.key -b 5 -n 50 -a "$auth" --inner -f tsv -o "brand-$auth.tsv"
  expect_status "line key makes batch 5 ($auth)" 0 gen -k line7.key -b 5 -n 50 -a "$auth" \
    --inner -f tsv -o "line-$auth.tsv"
  check "the same codes as the brand key ($auth)" cmp "brand-$auth.tsv" "line-$auth.tsv"
  expect_status "line key verifies batch 5 ($auth)" 0 "$Y" verify -k line7.key "line-$auth.tsv"
  gen -k brand.key -b 9 -n 20 -a "$auth" -o "b9-$auth.txt"
  expect_status "batch 9 is out of scope ($auth)" 1 "$Y" verify -k line7.key "b9-$auth.txt"
  same "every batch 9 code OUT_OF_SCOPE ($auth)" "$(grep -c 'OUT_OF_SCOPE' "$T/out")" 20
  expect_status "the brand key verifies batch 9 ($auth)" 0 "$Y" verify -k brand.key "b9-$auth.txt"
done
# A line key cannot sign: its manifest carries a mac under the batch's key.
gen -k line7.key -b 5 -n 30 -a mac -f tsv -o m5.tsv
contains "line manifest has a line mac" m5.tsv.manifest '"line_mac"'
contains "manifest names the code format" m5.tsv.manifest '"code_format": 2'
expect_status "the line key checks its manifest" 0 "$Y" verify -k line7.key --manifest m5.tsv.manifest
expect_status "the brand key checks it" 0 "$Y" verify -k brand.key --manifest m5.tsv.manifest
expect_status "the public key cannot" 3 "$Y" verify -p brand.pub --manifest m5.tsv.manifest
contains "and says who can" "$T/err" "line key of batch 5"
"$Y" keygen --scope 6 -k brand.key -o line6 2>/dev/null
expect_status "a line key of another batch cannot" 3 "$Y" verify -k line6.key --manifest m5.tsv.manifest
sed 's/"rows": 30/"rows": 31/' m5.tsv.manifest > forged.manifest
expect_status "an altered line manifest is bad" 1 "$Y" verify -k line7.key --manifest forged.manifest m5.tsv
expect_status "line key cannot make batch 9" 3 gen -k line7.key -b 9 -n 1 -a mac
contains "the error names the scope" "$T/err" "batches 5,7"
contains "with its stable number" "$T/err" "error 403"
expect_status "line key cannot sign" 3 gen -k line7.key -b 5 -n 1 -a sig
expect_status "line key cannot make format 1" 3 gen -k line7.key -b 5 -n 1 -a mac --code-format 1
gen -k brand.key -b 12 -n 5 -a sig -o sig.txt
expect_status "line key verifies any sig code" 0 "$Y" verify -k line7.key sig.txt
gen -k brand.key -b 5 -n 5 -a mac --code-format 1 -o f1.txt
expect_status "format-1 mac codes need the brand key" 1 "$Y" verify -k line7.key f1.txt
contains "NEED_SECRET for format 1" "$T/out" "NEED_SECRET"
expect_status "a line key is not made from a line key" 3 "$Y" keygen --scope 8 -k line7.key -o x
expect_status "--scope needs -k" 2 "$Y" keygen --scope 8 -o x
expect_status "-k needs --scope" 2 "$Y" keygen -k brand.key -o x
expect_status "--scope rejects garbage" 2 "$Y" keygen --scope 5,x -k brand.key -o x
cp brand.key brand.key.orig
expect_status "a line key never replaces its brand key" 2 \
  "$Y" keygen --scope 5 -k brand.key -o brand --force
check "the brand key is intact" cmp brand.key brand.key.orig
ln brand.key hard.key
expect_status "not through a hard link either" 2 "$Y" keygen --scope 5 -k brand.key -o hard --force
check "the brand key is still intact" cmp brand.key brand.key.orig
chmod 640 line7.key
expect_status "a readable line key is refused" 3 gen -k line7.key -b 5 -n 1 -a mac
finish scoped
