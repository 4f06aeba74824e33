#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link, issue 10: a refused event stays refused on a re-run (same
# reason, same exit status); a pallet's text trace puts every item under its
# own case; --rejects appends, as a log does; times need a UTC offset (or
# --tz), dates must exist, and a TAB or newline in a hand-entered field is
# refused with one line naming the input, the line and the fault.
source "$(dirname "$0")/testlib.bash"
FIXTURE=$(dirname "$Y")/tests/test_link

"$FIXTURE" --fixture "$T" 61 # 61 cases of 24; cases 1-60 make pallet 1
# The first 60 cases and their pallet go in; case 61 stays spare.
head -n 1501 "$T/day.tsv" >"$T/pallet.tsv"
code() { sed -n "${1}p" "$T/day.tsv" | cut -f2; }
mapfile -t SPARE < <(sed -n '1502,1525p' "$T/day.tsv" | cut -f2) # 24 unused items
SPARE_CASE=$(code 1526)
ITEM0=$(code 1) CASE0=$(code 25) PALLET=$(code 1501)
S=$(store line) COPY=$(store copy)
K=(-k "$T/brand.key")
L=("$Y" link -s "$S" "${K[@]}")
expect_status "pallet import" 0 "${L[@]}" --pack 24,60 -q import "$T/pallet.tsv"

# --- The pallet's text trace: every item under its own case -----------------
expect_status "pallet trace" 0 "$Y" link -s "$S" trace "$PALLET"
# item -> case, as packed, and as the trace's indentation says.
awk -F'\t' '$1 == "PACK" && NF == 26 {for (i = 3; i <= NF; i++) print $i "\t" $2}' \
    "$T/pallet.tsv" | sort >"$T/packed"
awk '/^contents/ {on = 1; next} /^history/ {on = 0}
     on && /^    case / {c = $2} on && /^      item / {print $2 "\t" c}' "$T/out" | sort >"$T/shown"
same "pallet trace shows 1440 items" "$(wc -l <"$T/shown")" 1440
if cmp -s "$T/packed" "$T/shown"; then ok; else
    bad "pallet trace: items under the wrong case ($(comm -3 "$T/packed" "$T/shown" | wc -l) differ)"
fi
# A case's own trace lists its 24 items, indented under it.
expect_status "case trace" 0 "$Y" link -s "$S" trace "$CASE0"
same "case trace: 24 items at depth 1" "$(grep -c '^    item ' "$T/out")" 24

# --- A refused event re-run: the same refusal, the same exit status ---------
printf 'PACK\t%s\t%s\n' "$SPARE_CASE" "$ITEM0" >"$T/refuse.tsv" # ITEM0 is in case 1
expect_status "refused event" 1 "${L[@]}" import "$T/refuse.tsv"
contains "refused event: reason" "$T/err" "refuse.tsv:1: rejected: child 1 '$ITEM0' is already in case '$CASE0'"
grep 'rejected:' "$T/err" >"$T/first"
expect_status "refused event re-run: exit 1 again" 1 "${L[@]}" import "$T/refuse.tsv"
contains "refused event re-run: not skipped" "$T/err" "1 events: 0 applied, 0 skipped (already in the store), 1 rejected"
grep 'rejected:' "$T/err" >"$T/again"
same "refused event re-run: the original reason" "$(cat "$T/again")" "$(cat "$T/first")"
# A hand station re-sending a refused event by its id.
expect_error "hand: refused" 1 "rejected: child 1 '$ITEM0' is already in case" \
    "${L[@]}" --id hand-1 pack "$SPARE_CASE" "$ITEM0"
cp "$T/err" "$T/first"
expect_error "hand: refused again, exit 1" 1 "rejected: child 1 '$ITEM0' is already in case" \
    "${L[@]}" --id hand-1 pack "$SPARE_CASE" "$ITEM0"
same "hand: refused again, same words" "$(cat "$T/err")" "$(cat "$T/first")"
# An applied event is still skipped.
expect_status "applied event re-run" 0 "${L[@]}" -q import "$T/pallet.tsv"
contains "applied event re-run: skipped" "$T/err" "1501 events: 0 applied, 1501 skipped"

# --- --rejects appends, as a log does -----------------------------------------
echo "# an earlier shift" >"$T/rej.tsv"
expect_status "--rejects, existing file" 1 "${L[@]}" --rejects "$T/rej.tsv" import "$T/refuse.tsv"
same "--rejects keeps what was there" "$(head -n 1 "$T/rej.tsv")" "# an earlier shift"
expect_status "--rejects, second run" 1 "${L[@]}" --rejects "$T/rej.tsv" import "$T/refuse.tsv"
same "--rejects: both runs' refusals appended" \
    "$(grep -c "^refuse.tsv:1	child 1 '$ITEM0' is already in case '$CASE0'" "$T/rej.tsv")" 2
same "--rejects: nothing else" "$(wc -l <"$T/rej.tsv")" 3
expect_status "--rejects --force starts afresh" 1 \
    "${L[@]}" --force --rejects "$T/rej.tsv" import "$T/refuse.tsv"
same "--rejects --force: this run only" "$(wc -l <"$T/rej.tsv")" 1
expect_error "--rejects in a missing directory" 3 "$T/none/rej.tsv" \
    "${L[@]}" --rejects "$T/none/rej.tsv" import "$T/refuse.tsv"
# A station's refusal is in the log as it happens, not when the station stops.
mkfifo "$T/cam"
"${L[@]}" --realtime --rejects "$T/rt.tsv" import <"$T/cam" 2>"$T/rt.err" &
station=$!
exec 3>"$T/cam"
printf 'PACK\t%s\t%s\n' "$SPARE_CASE" "$ITEM0" >&3
for _ in $(seq 50); do grep -q "already in case" "$T/rt.tsv" 2>/dev/null && break; sleep 0.1; done
contains "realtime: the refusal is logged while the station runs" "$T/rt.tsv" "stdin:1	child 1"
exec 3>&-
wait "$station"
same "realtime station: exit 1 at the end" "$?" 1

# --- Times: a UTC offset, or --tz; dates that exist ----------------------------
{
    printf '2026-03-01T08:00:00\tCOMMISSION\t%s\tP\tL1\n' "${SPARE[0]}"   # 1 no offset
    printf '2026-03-01\tCOMMISSION\t%s\tP\tL1\n' "${SPARE[1]}"            # 2 date, no offset
    printf '2026-02-30T08:00:00Z\tCOMMISSION\t%s\tP\tL1\n' "${SPARE[2]}"  # 3 no such day
    printf 'COMMISSION\t%s\tP\tL1\t2026-02-30\n' "${SPARE[3]}"            # 4 expiry: no such day
    printf 'COMMISSION\t%s\tP\tL1\t2025-02-29\n' "${SPARE[4]}"            # 5 not a leap year
    printf 'COMMISSION\t%s\tP\tL1\t2026-03-01T00:00:00Z\n' "${SPARE[5]}"  # 6 expiry is a date
    printf '2024-02-29T23:59:59+08:00\tCOMMISSION\t%s\tP\tL1\t2024-02-29\n' "${SPARE[6]}" # 7 ok
    printf '{"time":"2026-03-01T08:00:00","type":"COMMISSION","code":"%s","product":"P","lot":"L1"}\n' \
        "${SPARE[7]}"                                                      # 8 JSON, no offset
    printf '2026-03-01T24:00:00Z\tCOMMISSION\t%s\tP\tL1\n' "${SPARE[8]}"  # 9 no such hour
} >"$T/times.tsv"
expect_status "strict times" 1 "${L[@]}" import "$T/times.tsv"
contains "strict times: counts" "$T/err" "9 events: 1 applied, 0 skipped (already in the store), 8 rejected"
contains "time without offset" "$T/err" "times.tsv:1: rejected: time '2026-03-01T08:00:00' has no UTC offset"
contains "date without offset" "$T/err" "times.tsv:2: rejected: time '2026-03-01' has no UTC offset"
contains "time on 30 February" "$T/err" "times.tsv:3: rejected: time '2026-02-30T08:00:00Z': 2026-02-30 is not a calendar date"
contains "expiry on 30 February" "$T/err" "times.tsv:4: rejected: expiry '2026-02-30' is not a date"
contains "expiry on 29 February 2025" "$T/err" "times.tsv:5: rejected: expiry '2025-02-29' is not a date"
contains "expiry with a time" "$T/err" "times.tsv:6: rejected: expiry '2026-03-01T00:00:00Z' is not a date"
contains "JSON time without offset" "$T/err" "times.tsv:8: rejected: time '2026-03-01T08:00:00' has no UTC offset"
contains "hour 24" "$T/err" "times.tsv:9: rejected: time '2026-03-01T24:00:00Z' is not RFC 3339"
same "one line per refusal" "$(grep -c 'rejected:' "$T/err")" 8
for i in 0 1 2 3 4 5 7 8; do
    expect_status "refused time: ${SPARE[$i]} not stored" 1 "$Y" link -s "$S" trace "${SPARE[$i]}"
done
expect_status "29 February 2024 stored" 0 "$Y" link -s "$S" trace "${SPARE[6]}"
contains "29 February 2024 as given" "$T/out" "2024-02-29T23:59:59.000+08:00"
# --tz supplies the offset of times without one; a time with its own keeps it.
{
    printf '2026-03-01T08:00:00\tCOMMISSION\t%s\tP\tL1\n' "${SPARE[0]}"
    printf '2026-03-01\tCOMMISSION\t%s\tP\tL1\n' "${SPARE[1]}"
    printf '2026-03-01T08:00:00Z\tCOMMISSION\t%s\tP\tL1\n' "${SPARE[2]}"
} >"$T/tz.tsv"
expect_status "--tz +08:00" 0 "${L[@]}" --tz +08:00 import "$T/tz.tsv"
for want in "0 2026-03-01T08:00:00.000+08:00" "1 2026-03-01T00:00:00.000+08:00" \
            "2 2026-03-01T08:00:00.000Z"; do
    expect_status "--tz: trace ${want%% *}" 0 "$Y" link -s "$S" trace "${SPARE[${want%% *}]}"
    contains "--tz: time ${want#* }" "$T/out" "${want#* }"
done
for tz in Asia/Shanghai +8 +08 +15:00 08:00 ""; do
    expect_error "--tz '$tz' refused" 2 "^yima link: --tz: '$tz' is not a UTC offset" \
        "${L[@]}" --tz "$tz" import "$T/tz.tsv"
done
# Export bounds follow the same rules.
expect_error "--from 2026-02-30" 2 "--from: '2026-02-30T00:00:00Z': 2026-02-30 is not a calendar date" \
    "$Y" link -s "$S" export --from 2026-02-30T00:00:00Z
expect_error "--from without offset" 2 "--from: '2026-03-01' has no UTC offset" \
    "$Y" link -s "$S" export --from 2026-03-01
expect_status "--from, --to with --tz" 0 "$Y" link -s "$S" export --tz +08:00 --from 2026-03-01 --to 2026-03-02
same "--from, --to with --tz: that day's events" "$(wc -l <"$T/out")" 3

# --- A TAB or newline in a hand-entered field ----------------------------------
# one_line NAME: the command's stderr is exactly one line.
one_line() { same "$1: one line" "$(wc -l <"$T/err")" 1; }
expect_error "hand: TAB in product" 1 "rejected: product 'WINE\\\\t750' holds a TAB" \
    "${L[@]}" commission "${SPARE[9]}" $'WINE\t750' L1
one_line "hand: TAB in product"
expect_error "hand: newline in lot" 1 "rejected: lot 'L1\\\\nX' holds a newline" \
    "${L[@]}" commission "${SPARE[9]}" P $'L1\nX'
one_line "hand: newline in lot"
expect_error "hand: TAB in reason" 1 "rejected: reason 'broken\\\\tglass' holds a TAB" \
    "${L[@]}" decommission "${SPARE[6]}" $'broken\tglass'
expect_error "hand: newline in a code" 1 "rejected: parent '.*\\\\n' holds a newline" \
    "${L[@]}" pack "$SPARE_CASE"$'\n' "${SPARE[10]}"
one_line "hand: newline in a code"
expect_status "hand: nothing stored" 1 "$Y" link -s "$S" trace "${SPARE[9]}"
expect_error "hand: TAB in --id" 2 "^yima link: --id: 'a\\\\tb' holds a TAB" \
    "${L[@]}" --id $'a\tb' commission "${SPARE[9]}" P L1
{
    printf '{"type":"COMMISSION","code":"%s","product":"A\\tB","lot":"L1"}\n' "${SPARE[9]}"
    printf '{"type":"DECOMMISSION","code":"%s","reason":"x\\ny"}\n' "${SPARE[6]}"
    printf '{"type":"COMMISSION","code":"%s","product":"P","lot":"L\\r1"}\n' "${SPARE[11]}"
    printf '{"type":"COMMISSION","code":"%s\\t","product":"P","lot":"L1"}\n' "${SPARE[11]}"
} >"$T/hand.jsonl"
expect_status "JSON fields with control characters" 1 "${L[@]}" --rejects "$T/hand.rej" import "$T/hand.jsonl"
contains "JSON: TAB in product" "$T/hand.rej" "hand.jsonl:1	product 'A\\tB' holds a TAB"
contains "JSON: newline in reason" "$T/hand.rej" "hand.jsonl:2	reason 'x\\ny' holds a newline"
contains "JSON: CR in lot" "$T/hand.rej" "hand.jsonl:3	lot 'L\\r1' holds a carriage return"
contains "JSON: TAB in a code" "$T/hand.rej" "hand.jsonl:4	code '${SPARE[11]}\\t' holds a TAB"
same "JSON: one rejects line each" "$(wc -l <"$T/hand.rej")" 4
# What the store holds exports as TSV that imports again, event for event.
expect_status "export" 0 "$Y" link -s "$S" export -o "$T/log.tsv"
expect_status "export re-imports" 0 "$Y" link -s "$COPY" "${K[@]}" -q import "$T/log.tsv"
contains "export re-imports: nothing refused" "$T/err" "$(wc -l <"$T/log.tsv") applied, 0 skipped (already in the store), 0 rejected"

finish link_strict
