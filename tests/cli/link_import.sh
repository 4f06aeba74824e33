#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link import, realtime and bulk alike: lines are numbered from 1 in
# both, so a station's saved log re-imports in bulk as the same events; one
# line limit (65536 bytes) in both, refused as it streams, naming input and
# line, in bounded memory.
source "$(dirname "$0")/testlib.bash"
FIXTURE=$(dirname "$Y")/tests/test_link
LIMIT=65536

"$FIXTURE" --fixture "$T" 20 # 480 items, 20 cases: 500 events
K=(-k "$T/brand.key")
for n in a b c d1 d2 f; do printf -v "DB_$n" %s "$(store $n)"; done

# A station streams the first 150 lines, then the importer dies. After the
# crash the saved log is re-imported in bulk: every streamed line is
# recognised as the event already applied, the rest is applied.
head -n 150 "$T/day.tsv" >"$T/part.tsv"
expect_status "realtime import" 0 sh -c 'cat "$1" | "$2" link -s "$3" -k "$4" --realtime import' \
    _ "$T/part.tsv" "$Y" "$DB_a" "$T/brand.key"
contains "realtime import" "$T/err" "150 applied"
expect_status "bulk re-import of the saved log" 0 \
    "$Y" link -s "$DB_a" "${K[@]}" --bulk --source stdin import - <"$T/day.tsv"
contains "saved log recognised line for line" "$T/err" \
    "500 events: 350 applied, 150 skipped (already in the store), 0 rejected"
# The other way round: a bulk import, then the same lines streamed.
expect_status "bulk import" 0 "$Y" link -s "$DB_b" "${K[@]}" --source stdin import "$T/part.tsv"
expect_status "realtime re-run" 0 sh -c 'cat "$1" | "$2" link -s "$3" -k "$4" --realtime import' \
    _ "$T/part.tsv" "$Y" "$DB_b" "$T/brand.key"
contains "realtime re-run skips all" "$T/err" "150 events: 0 applied, 150 skipped"
# A refused line has one number whichever way it is read.
printf 'COMMISSION\t-\n# two\nFROB\n' >"$T/bad.tsv"
expect_status "realtime rejects" 1 sh -c 'cat "$1" | "$2" link -s "$3" -k "$4" --realtime import' \
    _ "$T/bad.tsv" "$Y" "$DB_c" "$T/brand.key"
contains "realtime: first line is 1" "$T/err" "stdin:1: rejected"
contains "realtime: third line is 3" "$T/err" "stdin:3: rejected"
expect_status "bulk rejects" 1 "$Y" link -s "$DB_c" "${K[@]}" --bulk import - <"$T/bad.tsv"
contains "bulk: first line is 1" "$T/err" "stdin:1: rejected"
contains "bulk: third line is 3" "$T/err" "stdin:3: rejected"

# line N BYTES: N bytes of 'A' and a newline.
line() { head -c "$1" /dev/zero | tr '\0' A; echo; }
{ head -n 2 "$T/day.tsv"; line $LIMIT; } >"$T/at-limit.tsv"
{ head -n 2 "$T/day.tsv"; line $((LIMIT + 1)); tail -n +3 "$T/day.tsv"; } >"$T/over-limit.tsv"
# At the limit: an ordinary refused event, and the import goes on.
expect_status "at the limit, bulk" 1 "$Y" link -s "$DB_d1" "${K[@]}" --bulk import "$T/at-limit.tsv"
contains "at the limit, bulk: refused as an event" "$T/err" "at-limit.tsv:3: rejected: unknown event type"
expect_status "at the limit, realtime" 1 sh -c 'cat "$1" | "$2" link -s "$3" -k "$4" --realtime import' \
    _ "$T/at-limit.tsv" "$Y" "$DB_d2" "$T/brand.key"
contains "at the limit, realtime: refused as an event" "$T/err" "stdin:3: rejected: unknown event type"
# One byte over: the import stops there (exit 3), naming input and line.
E_bulk=$(store e_bulk) E_realtime=$(store e_realtime)
for mode in --bulk --realtime; do
    e=E_${mode#--}
    expect_status "over the limit, $mode, stdin" 3 sh -c \
        'cat "$1" | "$2" link -s "$3" -k "$4" "$5" import' _ "$T/over-limit.tsv" "$Y" \
        "${!e}" "$T/brand.key" $mode
    contains "over the limit, $mode: error names line 3" "$T/err" \
        "error 300: (stdin):3: line longer than $LIMIT bytes"
done
# A station's lines before it stay applied.
expect_status "over the limit, realtime: line 1 applied" 0 \
    "$Y" link -s "$E_realtime" trace "$(head -n 1 "$T/day.tsv" | cut -f2)"
expect_status "over the limit, bulk file" 3 "$Y" link -s "$DB_f" "${K[@]}" import "$T/over-limit.tsv"
contains "over the limit, bulk file: names the file" "$T/err" \
    "$T/over-limit.tsv:3: line longer than $LIMIT bytes"
# The run's open batch is rolled back, so nothing counts as applied (0.1
# said "2 applied" of events the store does not hold).
contains "over the limit, bulk file: none applied" "$T/err" "2 events: 0 applied"
expect_status "over the limit, bulk file: line 1 not stored" 1 \
    "$Y" link -s "$DB_f" trace "$(head -n 1 "$T/day.tsv" | cut -f2)"
# Without a newline in sight, at the end of input, too.
{ head -n 1 "$T/day.tsv"; head -c $((LIMIT + 1)) /dev/zero | tr '\0' A; } >"$T/tail.tsv"
G_bulk=$(store g_bulk) G_realtime=$(store g_realtime)
for mode in --bulk --realtime; do
    g=G_${mode#--}
    expect_status "unfinished last line, $mode" 3 sh -c \
        'cat "$1" | "$2" link -s "$3" -k "$4" "$5" import' _ "$T/tail.tsv" "$Y" \
        "${!g}" "$T/brand.key" $mode
    contains "unfinished last line, $mode: line 2" "$T/err" "(stdin):2: line longer than $LIMIT bytes"
done

# Memory: a 256 MiB line from a pipe is refused as it streams. 0.1 buffered
# it whole (a 300 MB line took 592 MiB). Peak RSS (KiB) against a run on
# three ordinary lines: no more than 16 MiB above it.
peak() { # peak MODE INPUT-CMD STORE: the importer's peak RSS in KiB
    sh -c "$2" | /usr/bin/time -f %M -o "$T/rss" "$Y" link -s "$3" "${K[@]}" "$1" -q import \
        >/dev/null 2>"$T/err"
    tail -n 1 "$T/rss"
}
for mode in --realtime --bulk; do
    small=$(peak $mode "head -n 3 '$T/day.tsv'" "$(store "m_${mode#--}_small")")
    big=$(peak $mode "head -c 268435456 /dev/zero | tr '\\0' A" "$(store "m_${mode#--}_big")")
    contains "256 MiB line, $mode: refused" "$T/err" "(stdin):1: line longer than $LIMIT bytes"
    if [ "$big" -le $((small + 16384)) ]; then ok; else
        bad "256 MiB line, $mode: peak RSS $big KiB, $small KiB on three lines"
    fi
done

finish link_import
