#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link from the command line: a line session, exit statuses, rejects,
# EPCIS export checked against the official GS1 schema.
source "$(dirname "$0")/testlib.bash"
set -e
SCHEMA=${YIMA_SHARED:?}/reference/epcis/EPCIS-JSON-Schema.json
# The fixture writer lives beside the other test programs.
FIXTURE=$(dirname "$Y")/tests/test_link

# expect STATUS CMD...: CMD's exit status, output kept in $T/out and $T/err.
expect() { local want=$1; shift; expect_status "$*" "$want" "$@"; }
# has FILE PATTERN: FILE matches the grep pattern.
has() { if grep -q -- "$2" "$1"; then ok; else bad "$1 lacks '$2'"; fi; }
field() { sed -n "${1}p" "$T/day.tsv" | cut -f"$2"; }

"$FIXTURE" --fixture "$T" 120 # 2,880 items, 120 cases, 2 pallets: 3,002 events
S=$(store line) COPY=$(store copy)
K=(-k "$T/brand.key")

# Help and usage.
expect 0 "$Y" link --help
has "$T/out" "\[Default: normal\]"
expect 2 "$Y" link
expect 2 "$Y" link -s "$S" frobnicate
expect 2 "$Y" link -s "$S" "${K[@]}" --sync sometimes import
expect 2 "$Y" link -s "$S" import "$T/day.tsv"          # no key
expect 3 "$Y" link -s "$T/none/x.db" "${K[@]}" import "$T/day.tsv"
# The commands come from one table: --help lists each with its arguments,
# each is known and documented, and a wrong argument count is a usage error.
"$Y" link --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ {print $1}' >"$T/cmds"
[ "$(tr '\n' ' ' <"$T/cmds")" = "import commission pack unpack replace decommission ship receive return plan trace stats export audit checkpoint migrate " ] \
    && ok || bad "--help lists commands: $(tr '\n' ' ' <"$T/cmds")"
while read -r c; do
    has "$TESTS/../man/yima-link.1" "^\.BR $c"
    expect 2 "$Y" link "$c"  # no store, and too few arguments for some
    if grep -q "unknown command" "$T/err"; then bad "$c is not a command"; else ok; fi
done <"$T/cmds"
expect 2 "$Y" link -s "$S" stats extra
has "$T/err" "stats takes no arguments"
expect 2 "$Y" link -s "$S" "${K[@]}" pack "$T/one"
has "$T/err" "pack takes PARENT CHILD... (too few arguments)"
expect 2 "$Y" link -s "$S" trace
echo "not sqlite" >"$T/junk.db"
expect 3 "$Y" link -s "$T/junk.db" stats
if is_pg "$S"; then
    # A database that does not exist; messages name it without its password.
    expect_error "no such database" 3 "postgresql://yima:\*\*\*@/nodb?host=" \
        "$Y" link -s "postgresql://yima:hunter2@/nodb?host=$PGHOST&port=$PGPORT" stats
    if grep -q hunter2 "$T/err"; then bad "the password is shown: $(cat "$T/err")"; else ok; fi
    expect_error "key=value: no such database" 3 "password=\*\*\* dbname=nodb" \
        "$Y" link -s "host=$PGHOST port=$PGPORT user=yima password=hunter2 dbname=nodb" stats
    if grep -q hunter2 "$T/err"; then bad "the password is shown: $(cat "$T/err")"; else ok; fi
fi

# Bulk import, then a re-run that skips everything.
expect 0 "$Y" link -s "$S" "${K[@]}" --pack 24,60 import "$T/day.tsv"
has "$T/err" "3002 applied"
expect 0 "$Y" link -s "$S" "${K[@]}" --pack 24,60 import "$T/day.tsv"
has "$T/err" "0 applied, 3002 skipped"

# A line session by hand: commission, pack, replace, trace.
ITEM=$(field 1 2) CASE=$(field 25 2) PALLET=$(awk -F'\t' '$1 == "PACK" && NF == 62 {print $2; exit}' "$T/day.tsv")
expect 0 "$Y" link -s "$S" trace "$ITEM"
has "$T/out" "in         case $CASE"
has "$T/out" "in         pallet $PALLET"
expect 0 "$Y" link -s "$S" trace --json "$PALLET"
[ "$(grep -o '"level":"item"' "$T/out" | wc -l)" = 1440 ] && ok || bad "pallet trace lacks 1440 items"
# Replace the item's label with an unused code: the first item of case 121.
"$FIXTURE" --fixture "$T" 121 && SPARE=$(field 3003 2)
"$FIXTURE" --fixture "$T" 120
expect 0 "$Y" link -s "$S" "${K[@]}" replace "$ITEM" "$SPARE"
expect 0 "$Y" link -s "$S" trace "$SPARE"
has "$T/out" "in         case $CASE"
expect 1 "$Y" link -s "$S" "${K[@]}" replace "$ITEM" "$SPARE"
has "$T/err" "is replaced"
expect 1 "$Y" link -s "$S" trace "$(field 1 2 | sed 's/.$/0/')"  # not in the store
expect 0 "$Y" link -s "$S" stats --json
has "$T/out" '"REPLACE":1'

# Bad input: each line refused with its reason; nothing else affected.
printf 'FROB\t%s\nPACK\t%s\nPACK\t%s\t%s\t%s\n' "$ITEM" "$CASE" "$CASE" "$SPARE" "$SPARE" >"$T/bad.tsv"
printf 'PACK\t%s\t%s\n' "$ITEM" "$CASE" >>"$T/bad.tsv"
expect 1 "$Y" link -s "$S" "${K[@]}" --max --pack 24,60 --rejects "$T/rej.tsv" import "$T/bad.tsv"
has "$T/err" "4 rejected"
has "$T/rej.tsv" "bad.tsv:1	unknown event type"
has "$T/rej.tsv" "bad.tsv:2	PACK takes"
has "$T/rej.tsv" "bad.tsv:3	child 2 .* appears twice"
has "$T/rej.tsv" "bad.tsv:4	parent .* is an item code"

# Realtime from a pipe, full sync, JSON events.
printf '{"type":"UNPACK","parent":"%s","children":["%s"]}\n' "$CASE" "$SPARE" >"$T/ev.json"
expect 0 sh -c 'cat "$1" | "$2" link -s "$3" -k "$4" --sync full import -' _ "$T/ev.json" "$Y" "$S" "$T/brand.key"
expect 0 "$Y" link -s "$S" trace --json "$SPARE"
has "$T/out" '"up":\[\]'
printf '{"id":"a\\tb","type":"DECOMMISSION","code":"%s"}\n' "$SPARE" >"$T/badid.json"
expect 1 "$Y" link -s "$S" "${K[@]}" import "$T/badid.json"
has "$T/err" "without control characters"

# Export: TSV re-imports; EPCIS validates against the GS1 schema.
expect 0 "$Y" link -s "$S" export -o "$T/log.tsv"
[ "$(wc -l <"$T/log.tsv")" = 3004 ] && ok || bad "export has $(wc -l <"$T/log.tsv") lines"
expect 0 "$Y" link -s "$COPY" "${K[@]}" import "$T/log.tsv"
has "$T/err" "3004 applied"
expect 0 "$Y" link -s "$S" export -f epcis -t 'HTTPS://V.EXAMPLE.CN/{code}' -o "$T/all.jsonld"
expect 0 "$Y" link -s "$S" export -f epcis --subtree "$PALLET" -o "$T/pallet.jsonld"
expect 0 "$Y" link -s "$S" export -f epcis --lot L0 --from 2000-01-01T00:00:00Z -o "$T/lot.jsonld"
expect 2 "$Y" link -s "$S" export --from yesterday
for doc in all pallet lot; do
    expect 0 /usr/bin/python3 - "$SCHEMA" "$T/$doc.jsonld" <<'EOF'
import json, sys, jsonschema
schema, doc = (json.load(open(p)) for p in sys.argv[1:3])
jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
kinds = {(e["type"], e["action"]) for e in doc["epcisBody"]["eventList"]}
print(len(doc["epcisBody"]["eventList"]), sorted(kinds))
EOF
done
has "$T/out" "AggregationEvent', 'ADD'"
grep -q 'HTTPS://V.EXAMPLE.CN/' "$T/all.jsonld" && ok || bad "template not used"
n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["epcisBody"]["eventList"]))' "$T/pallet.jsonld")
# The pallet's subtree: 1,440 commissions, 60 case packs, the pallet pack, the replace (4 events), unpack.
[ "$n" -ge 1501 ] && ok || bad "pallet export has $n events"
expect 3 "$Y" link -s "$S" export -o "$T/log.tsv"    # exists: no --force

finish link
