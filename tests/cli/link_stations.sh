#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link, issue 11: stations on different machines write one store at
# once without losing or double-applying an event. Eight writers: two bulk
# imports on the same items (one commissions them, one packs them into
# their cases, so both add the same new codes) and six real-time stations on
# pipes packing items into cases and the cases onto three pallets they all
# share (their parents overlap), two of them sending three event ids both,
# two an over-full PACK both. A feed reader walks `export --after` in slices
# all the while. Then: every event applied exactly once, the over-full PACK
# refused with its reason, seqs 1..N without a gap, every slice's events
# after the one before (seq order is commit order), each event in exactly
# one slice, and audit INTACT. Runs on both stores (cli_link_stations,
# cli_link_stations_pg).
source "$(dirname "$0")/testlib.bash"
STATION=$(dirname "$Y")/tests/link_station
fixed_key "$T/brand" 13
S=$(store s)
L=("$Y" link -s "$S" -k "$T/brand.key" --pack 24,60 --max)
gen() { # gen BATCH N PACK OUT
    "$Y" gen -k "$T/brand.key" -b "$1" -n "$2" -a sig --pack "$3" -f tsv --no-ledger -q -o "$4"
}
# topack FILE: a PACK line per case of FILE with its items.
topack() {
    awk 'BEGIN { FS = OFS = "\t" } $2 == "item" && $6 != cur {
        if (line != "") print line; cur = $6; line = "PACK\t" $6 }
        $2 == "item" { line = line "\t" $4 } END { if (line != "") print line }' "$1"
}
# The bulk imports: 2,880 items commissioned, and packed into their 120 cases.
gen 1 2880 24,60 "$T/bulk-codes.tsv"
awk -F'\t' '$2 == "item" { print "COMMISSION\t" $4 "\tP1\tL1" }' "$T/bulk-codes.tsv" >"$T/bulkA.tsv"
topack "$T/bulk-codes.tsv" >"$T/bulkB.tsv"
# The stations: 4,320 items in 180 cases on 3 pallets. Case i goes to
# station i % 6, which packs its items, then puts it on its pallet: every
# pallet takes cases from every station.
gen 2 4320 24,60 "$T/st-codes.tsv"
topack "$T/st-codes.tsv" >"$T/st-cases.tsv"
awk -F'\t' '$2 == "case" { print "PACK\t" $7 "\t" $4 }' "$T/st-codes.tsv" >"$T/st-pallets.tsv"
same "180 cases for the stations" "$(wc -l <"$T/st-cases.tsv")|$(wc -l <"$T/st-pallets.tsv")" "180|180"
paste -d '\n' "$T/st-cases.tsv" "$T/st-pallets.tsv" |
    awk -v dir="$T" '{ print > (dir "/st" (int((NR - 1) / 2) % 6 + 1) ".tsv") }'
# Extra codes: three items two stations both commission under one event
# id each, and 25 items an over-full PACK puts in a case.
gen 3 48 24,2 "$T/x-codes.tsv"
items=($(awk -F'\t' '$2 == "item" { print $4 }' "$T/x-codes.tsv"))
xcase=$(awk -F'\t' '$2 == "case" { print $4; exit }' "$T/x-codes.tsv")
for st in st1 st2; do
    for k in 1 2 3; do printf '@dup-%d\tCOMMISSION\t%s\tP9\tL9\n' "$k" "${items[$((30 + k))]}"; done >>"$T/$st.tsv"
done
overfull=$(printf '@overfull\tPACK\t%s' "$xcase"; printf '\t%s' "${items[@]:0:25}")
for st in st5 st6; do echo "$overfull" >>"$T/$st.tsv"; done
want=$((2880 + 120 + 360 + 3))

# The feed: export --after its last seq, again and again until told to stop,
# then once more; each slice's ids and its last seq kept in order.
feed() {
    local after=0 n=0 last
    while :; do
        local stop=0
        [[ -e $T/feed.stop ]] && stop=1
        n=$((n + 1))
        "$Y" link -s "$S" export --after "$after" --last-seq "$T/feed.last" >"$T/feed.$n" \
            2>>"$T/feed.err" || { echo "export failed" >>"$T/feed.err"; return 1; }
        last=$(cat "$T/feed.last")
        echo "$n $after $last $(wc -l <"$T/feed.$n")" >>"$T/feed.slices"
        after=$last
        [[ $stop == 1 ]] && return 0
        sleep 0.05
    done
}
# The store exists before anyone writes it, so the feed reads from the start.
expect_status "a store" 0 "${L[@]}" commission "${items[40]}" P0 L0 --id first
want=$((want + 1))
feed & reader=$!
"${L[@]}" -q import "$T/bulkA.tsv" >"$T/bulkA.out" 2>"$T/bulkA.err" & bulkA=$!
"${L[@]}" -q import "$T/bulkB.tsv" >"$T/bulkB.out" 2>"$T/bulkB.err" & bulkB=$!
pids=()
for i in 1 2 3 4 5 6; do
    "$STATION" -i 1 "$T/st$i.tsv" "${L[@]}" --realtime --ack --source "st$i" -q import \
        >"$T/st$i.out" 2>"$T/st$i.err" &
    pids+=($!)
done
wait $bulkA; rc_a=$?
wait $bulkB; rc_b=$?
rcs=()
for p in "${pids[@]}"; do wait "$p"; rcs+=($?); done
touch "$T/feed.stop"
wait $reader; rc_feed=$?

same "bulk A exits 0" "$rc_a" 0
same "bulk B exits 0" "$rc_b" 0
contains "bulk A: every event applied" "$T/bulkA.err" "2880 events: 2880 applied, 0 skipped"
contains "bulk B: every event applied" "$T/bulkB.err" "120 events: 120 applied, 0 skipped"
same "stations 1 to 4 exit 0, stations 5 and 6 (a refusal) exit 1" "${rcs[*]}" "0 0 0 0 1 1"
for i in 3 4; do
    contains "station $i: its 60 events applied" "$T/st$i.out" "events=60 applied=60 skipped=0 rejected=0"
done
# Of two stations sending one event id, one applies it and the other finds
# it applied: 63 events each, 60 + 3 applied between them.
stat() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$T/st$1.out"; }
same "stations 1 and 2: 63 events each" "$(stat 1 events) $(stat 2 events)" "63 63"
same "stations 1 and 2: the three shared ids applied once, found applied once" \
    "$(($(stat 1 applied) + $(stat 2 applied)))|$(($(stat 1 skipped) + $(stat 2 skipped)))|$(stat 1 rejected)$(stat 2 rejected)" \
    "123|3|00"
for i in 5 6; do
    contains "station $i: the over-full PACK refused" "$T/st$i.out" "events=61 applied=60 skipped=0 rejected=1"
    contains "station $i: with its reason" "$T/st$i.err" "would hold 25 codes; the pack spec says at most 24"
done
same "nothing failed for another writer" \
    "$(cat "$T"/bulk?.err "$T"/st?.err | grep -ci 'deadlock\|serializ\|lock\|busy\|another writer')" 0
q() { sql "$S" "$1"; }
same "every event once" "$(q "SELECT count(*), count(DISTINCT id) FROM events")" "$want|$want"
same "seqs 1..N without a gap" "$(q "SELECT min(seq), max(seq), count(*) FROM events")" "1|$want|$want"
same "by writer" "$(q "SELECT CASE WHEN id LIKE 'st_:%' THEN 'st' ELSE substr(id, 1, 5) END, count(*)
                        FROM events GROUP BY 1 ORDER BY 1")" \
    "bulkA|2880
bulkB|120
dup-1|1
dup-2|1
dup-3|1
first|1
st|360"
same "the over-full PACK refused with its reason" \
    "$(q "SELECT id, reason FROM rejects")" \
    "overfull|case '$xcase' would hold 25 codes; the pack spec says at most 24"
same "every pallet holds its 60 cases" \
    "$(q "SELECT count(*) FROM codes c JOIN codes p ON p.id = c.parent WHERE p.level = 2")" 180
same "every case its 24 items" \
    "$(q "SELECT count(*) FROM codes c JOIN codes p ON p.id = c.parent WHERE p.level = 1")" $((300 * 24))
same "the writers ran together: station events between bulk events" \
    "$(q "SELECT CASE WHEN count(*) > 0 THEN 1 ELSE 0 END FROM events WHERE id LIKE 'bulk%' AND seq >
          (SELECT min(seq) FROM events WHERE id LIKE 'st%')")" 1
expect_status "audit: the chain holds" 0 "$Y" link -s "$S" audit
contains "audit: intact to the last seq" "$T/err" "the chain holds up to seq $want,"

# The feed: each slice starts where the last ended, and the slices hold
# every event exactly once, in seq order.
same "the feed reader exits 0" "$rc_feed" 0
slices=$(wc -l <"$T/feed.slices")
echo "link_stations: the feed read $slices slices"
check "the feed read the store in several slices ($slices)" test "$slices" -gt 3
same "each slice starts at the last one's end" \
    "$(awk 'NR > 1 && $2 != prev { bad++ } { prev = $3 } END { print bad + 0 }' "$T/feed.slices")" 0
same "the feed ends at the last seq" "$(tail -n 1 "$T/feed.slices" | cut -d' ' -f3)" "$want"
for n in $(seq "$slices"); do cat "$T/feed.$n"; done | cut -f1 | sed 's/^@//' >"$T/feed.ids"
same "the feed gives every event once" \
    "$(wc -l <"$T/feed.ids")|$(sort -u "$T/feed.ids" | wc -l)" "$want|$want"
q "SELECT id FROM events ORDER BY seq" >"$T/store.ids"
check "the feed's events in seq order" cmp -s "$T/feed.ids" "$T/store.ids"
finish link_stations
