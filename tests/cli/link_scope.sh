#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A scoped line key (yima keygen --scope) given to yima link: codes of its
# batches are applied, codes of other batches are refused with a reason that
# names the batch, the line key and its scope, by hand and in an import.
# (Before: the reason said only "OUT_OF_SCOPE".)
source "$(dirname "$0")/testlib.bash"

check "brand key" "$Y" keygen -o brand 2>/dev/null
check "line key for batch 5" "$Y" keygen --scope 5 -k brand.key -o line7 2>/dev/null
ID=$(sed -n 's/^id //p' brand.key)
gen() { "$Y" gen -k brand.key -b "$1" -n 3 -a mac --no-ledger -q; }
gen 5 >b5.txt
gen 9 >b9.txt
same "three codes of batch 5" "$(wc -l <b5.txt)" 3
same "three codes of batch 9" "$(wc -l <b9.txt)" 3

S=$(store s)
# By hand: one event at a time.
expect_status "batch 5 commissioned with the line key" 0 \
    "$Y" link -s "$S" -k line7.key commission "$(sed -n 1p b5.txt)" P L
expect_status "batch 9 refused with the line key" 1 \
    "$Y" link -s "$S" -k line7.key commission "$(sed -n 1p b9.txt)" P L
contains "the reason names the status" "$T/err" "OUT_OF_SCOPE"
contains "the reason names batch, line key and scope" "$T/err" \
    "batch 9 is outside the scope of line key $ID (batches 5)"
check "the reason names no option" sh -c '! grep -qE -- "--[a-z]| -[a-z] " "$1"' _ "$T/err"

# An import: the rest of both batches.
{
    sed -n '2,3p' b5.txt | while read -r c; do printf 'COMMISSION\t%s\tP\tL\n' "$c"; done
    sed -n '2,3p' b9.txt | while read -r c; do printf 'COMMISSION\t%s\tP\tL\n' "$c"; done
} >events.tsv
expect_status "import with the line key: batch 9 refused" 1 \
    "$Y" link -s "$S" -k line7.key --rejects rejects.tsv import events.tsv
contains "import: batch 5 applied, batch 9 refused" "$T/err" \
    "4 events: 2 applied, 0 skipped (already in the store), 2 rejected"
same "two refusals in the rejects file" \
    "$(grep -c "batch 9 is outside the scope of line key $ID (batches 5)" rejects.tsv)" 2
contains "a refusal names its line" rejects.tsv "events.tsv:3"

# The brand key knows every batch.
expect_status "the brand key commissions batch 9" 0 \
    "$Y" link -s "$S" -k brand.key commission "$(sed -n 1p b9.txt)" P L
finish link_scope
