#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link migrate (issue 11): a store with every kind of row (gen --pack's
# plan, imported and hand events of every type, a refusal, a token, a
# capture, staged codes, a signed checkpoint) copied SQLite -> PostgreSQL ->
# SQLite gives the same export (TSV, EPCIS), trace, stats and rows, audits
# intact to the same head on both copies, and the checkpoint holds there;
# a copy into a store that holds events is refused (exit 2) and changes
# nothing; a tampered source is refused (exit 3) and leaves the copy empty;
# a kill -9 halfway leaves it empty too; the PostgreSQL copy takes new
# events and codes, chained on. Needs both stores: it starts its own
# PostgreSQL cluster (pglib.bash) and fails if it cannot.
source "$(dirname "$0")/testlib.bash"
source "$TESTS/cli/pglib.bash" && pg_start
FIXTURE=$(dirname "$Y")/tests/test_link
command -v sqlite3 >/dev/null || { echo "link_migrate: sqlite3 (the CLI) is needed" >&2; exit 1; }

"$FIXTURE" --fixture "$T" 3 # 72 items in cases 0-2
code() { sed -n "${1}p" "$T/day.tsv" | cut -f2; }
S=$T/src.db
L=("$Y" link -s "$S" -k "$T/brand.key")
RP=urn:epc:id:sgln:9506000.13435.0 PARTY=urn:epc:id:pgln:9506000.00001
SHIP_TO=urn:epc:id:sgln:9506000.20000.0 DESADV=urn:epcglobal:cbv:bt:9506000000017:DES-42

# --- a store with every kind of row ------------------------------------------
expect_status "import" 0 "${L[@]}" --read-point "$RP" --pack 24,60 -q import "$T/day.tsv"
"$Y" gen -k "$T/brand.key" --no-ledger --pack 3,2 -n 12 -f tsv -o "$T/batch.tsv" 2>/dev/null
col() { awk -F'\t' -v l="$1" -v n="$2" '$2 == l && $1 == n {print $4}' "$T/batch.tsv"; }
expect_status "plan" 0 "${L[@]}" plan "$T/batch.tsv"
expect_status "PACK as planned" 0 "${L[@]}" --pack 3,2 pack "$(col case 0)" "$(col item 0)" "$(col item 1)" "$(col item 2)"
expect_status "PACK a pallet" 0 "${L[@]}" --max --pack 3,2 pack "$(col pallet 0)" "$(col case 0)"
expect_status "UNPACK" 0 "${L[@]}" unpack "$(code 25)" "$(code 1)"
expect_status "REPLACE" 0 "${L[@]}" replace "$(code 2)" "$(col item 5)"
expect_status "DECOMMISSION" 0 "${L[@]}" decommission "$(code 3)" damaged
expect_status "SHIP" 0 "${L[@]}" ship "$(col pallet 0)" "$PARTY" "$SHIP_TO" "$DESADV"
expect_status "RECEIVE" 0 "${L[@]}" receive "$(col pallet 0)"
expect_status "SHIP, left sealed" 0 "${L[@]}" ship "$(code 50)" "$PARTY" "$SHIP_TO" "$DESADV"
expect_status "a refusal" 1 "${L[@]}" --id refused-1 receive "$(code 75)"
expect_status "a token" 0 "$Y" serve -s "$S" token add --role capture line-1
sqlite3 "$S" "INSERT INTO captures VALUES('0123456789abcdef0123456789abcdef', 'line-1', 1700000000000, 'applied', 1, 1, 0, 0, '[]')"
# A bulk import's codes waiting in the stage: the copy files them in the index.
sqlite3 "$S" "INSERT INTO code_stage SELECT h, id FROM code_index WHERE id % 7 = 0; DELETE FROM code_index WHERE id % 7 = 0"
same "staged codes in the source" "$(sqlite3 "$S" "SELECT count(*) > 5 FROM code_stage")" 1
fixed_key "$T/station" 7
expect_status "checkpoint" 0 "$Y" link -s "$S" -k "$T/station.key" checkpoint -o "$T/head.ckpt"
HEAD=$(sed -n 's/^head //p' "$T/head.ckpt")

# --- SQLite -> PostgreSQL -> SQLite -------------------------------------------
pg_db P copy
B=$T/back.db
expect_error "migrate SQLite -> PostgreSQL" 0 "migrate: 9 tables, .* rows (.* events, .* codes); the copy audits intact up to seq .*, head $HEAD" \
    "$Y" link -s "$P" migrate --from "$S"
expect_error "migrate PostgreSQL -> SQLite" 0 "the copy audits intact up to seq .*, head $HEAD" \
    "$Y" link -s "$B" migrate --from "$P"
for st in "$P" "$B"; do
  name=${st##*/}
  expect_error "$name: audit intact, the same head" 0 "head $HEAD" "$Y" link -s "$st" audit
  expect_error "$name: the checkpoint holds" 0 "the signed checkpoint at seq .* holds" \
      "$Y" link -s "$st" -p "$T/station.pub" audit --checkpoint "$T/head.ckpt"
done
# alike NAME ARGS...: ARGS's output is the same on the source and both copies.
alike() {
  local n=$1; shift
  "$Y" link -s "$S" "$@" 2>/dev/null | sed 's/"creationDate":"[^"]*"//' >"$T/$n.src"
  "$Y" link -s "$P" "$@" 2>/dev/null | sed 's/"creationDate":"[^"]*"//' >"$T/$n.pg"
  "$Y" link -s "$B" "$@" 2>/dev/null | sed 's/"creationDate":"[^"]*"//' >"$T/$n.back"
  if [[ -s $T/$n.src ]] && cmp -s "$T/$n.src" "$T/$n.pg" && cmp -s "$T/$n.src" "$T/$n.back"; then ok
  else bad "$n differs: $(diff "$T/$n.src" "$T/$n.pg" | head -3) / $(diff "$T/$n.src" "$T/$n.back" | head -3)"; fi
}
alike "export TSV" export
alike "export EPCIS" export -f epcis
alike "stats" stats
alike "stats --json" stats --json
for c in "$(code 1)" "$(code 25)" "$(code 2)" "$(col item 5)" "$(col pallet 0)" "$(code 50)" "$(col item 0)"; do
  alike "trace $c" trace "$c"
  alike "trace --json $c" trace --json "$c"
done
same "token list" "$("$Y" serve -s "$P" token list 2>&1)" "$("$Y" serve -s "$S" token list 2>&1)"
# rows QUERY: the same rows on the source and both copies (sqlite3, psql).
rows() {
  local a b c
  a=$(sql "$S" "$2") b=$(sql "$P" "$2") c=$(sql "$B" "$2")
  if [[ -n $a && $a == "$b" && $a == "$c" ]]; then ok; else bad "$1: rows differ"; fi
}
rows "codes" "SELECT id, code, level, state, parent, product, lot, expiry, payload, replaced_by, h, gcp, shipped FROM codes ORDER BY id"
rows "events" "SELECT seq, id, digest, type, time, tz, subject, other, info, read_point, location, user_name, station, party, ship_to, shipment FROM events ORDER BY seq"
rows "event_codes" "SELECT seq, code, prev_parent FROM event_codes ORDER BY seq, code"
rows "plan" "SELECT code, parent FROM plan ORDER BY code"
rows "rejects" "SELECT id, digest, reason FROM rejects ORDER BY id"
rows "captures" "SELECT * FROM captures ORDER BY id"
rows "tokens" "SELECT name, role, created, revoked FROM tokens ORDER BY name"
rows "every code filed once" "SELECT count(*) FROM codes WHERE id IN (SELECT id FROM code_index UNION ALL SELECT id FROM code_stage)"
same "the copies stage no code" "$(sql "$P" "SELECT count(*) FROM code_stage")$(sql "$B" "SELECT count(*) FROM code_stage")" 00
same "the store id kept" "$(sql "$P" "SELECT encode(value, 'hex') FROM meta WHERE key = 'store_id'")" \
    "$(sqlite3 "$S" "SELECT lower(hex(value)) FROM meta WHERE key = 'store_id'")"
same "token hashes kept" "$(sql "$P" "SELECT encode(hash, 'hex') FROM tokens")" \
    "$(sqlite3 "$B" "SELECT lower(hex(hash)) FROM tokens")"
same "events hashes kept" "$(sql "$P" "SELECT encode(hash, 'hex') || encode(chain, 'hex') FROM events ORDER BY seq" | md5sum)" \
    "$(sqlite3 "$S" "SELECT lower(hex(hash)) || lower(hex(chain)) FROM events ORDER BY seq" | md5sum)"
same "types kept (SQLite)" "$(sqlite3 "$B" "SELECT typeof(value) FROM meta ORDER BY key")" \
    "$(sqlite3 "$S" "SELECT typeof(value) FROM meta ORDER BY key")"

# --- refusals -----------------------------------------------------------------
N=$(sql "$P" "SELECT count(*) FROM events")
expect_error "into a store that holds events" 2 "holds events already" \
    "$Y" link -s "$P" migrate --from "$B"
same "refused: the copy unchanged" "$(sql "$P" "SELECT count(*) FROM events")" "$N"
alike "refused: export unchanged" export
expect_error "into itself" 2 "" "$Y" link -s "$B" migrate --from "$B"
expect_error "no --from" 2 "migrate needs the store to copy (--from SRC)" "$Y" link -s "$T/x.db" migrate
expect_error "a source that is not there" 3 "" "$Y" link -s "$T/x2.db" migrate --from "$T/none.db"
cp "$S" "$T/old.db"
sqlite3 "$T/old.db" "PRAGMA user_version = 8"
expect_error "a source at an older schema" 3 "store schema 8 needs an upgrade; open it for writing" \
    "$Y" link -s "$T/x3.db" migrate --from "$T/old.db"
cp "$S" "$T/tampered.db"
sqlite3 "$T/tampered.db" "UPDATE events SET time = time + 60000 WHERE seq = 10"
pg_db TP tampered
expect_error "a tampered source" 3 "the copy does not audit intact: broken (content) at seq 10, event 'day.tsv:10'" \
    "$Y" link -s "$TP" migrate --from "$T/tampered.db"
same "tampered: nothing copied" "$(sql "$TP" "SELECT count(*) FROM events")$(sql "$TP" "SELECT count(*) FROM codes")" 00
sql "$P" "UPDATE events SET info = 'x' WHERE seq = 12" >/dev/null
expect_error "a tampered PostgreSQL source" 3 "broken (content) at seq 12" \
    "$Y" link -s "$T/t2.db" migrate --from "$P"
same "tampered: nothing copied to SQLite" "$(sqlite3 "$T/t2.db" "SELECT count(*) FROM events")" 0
sql "$P" "UPDATE events SET info = NULL WHERE seq = 12" >/dev/null

# --- the PostgreSQL copy goes on -----------------------------------------------
"$Y" gen -k "$T/brand.key" --no-ledger -n 2 -b 9 -f tsv -o "$T/new.tsv" 2>/dev/null
NEW=$(awk -F'\t' 'NR == 2 {print $4}' "$T/new.tsv")
SEQ=$(sql "$P" "SELECT max(seq) FROM events")
PL=("$Y" link -s "$P" -k "$T/brand.key")
expect_status "the copy: a new code" 0 "${PL[@]}" commission "$NEW" WINE L9
expect_status "the copy: a new event" 0 "${PL[@]}" decommission "$(code 4)" sampled
same "new codes go on after the copied ids" "$(sql "$P" "SELECT max(id) > $(sqlite3 "$S" "SELECT max(id) FROM codes") FROM codes")" t
same "new events go on after the copied seqs" "$(sql "$P" "SELECT count(*) FROM events WHERE seq > $SEQ")" 2
expect_error "the copy: the chain goes on" 0 "the chain holds up to seq $((SEQ + 2))" "$Y" link -s "$P" audit
expect_error "the copy: the old checkpoint still holds" 0 "holds" \
    "$Y" link -s "$P" -p "$T/station.pub" audit --checkpoint "$T/head.ckpt"

# --- kill -9 halfway: the copy keeps nothing -----------------------------------
mkdir "$T/big" && "$FIXTURE" --fixture "$T/big" 400 # 10,000 events
BIG=$T/big.db
expect_status "a larger store" 0 "$Y" link -s "$BIG" -k "$T/big/brand.key" --pack 24,60 -q import "$T/big/day.tsv"
# killed FROM DEST DB QUERY: migrate --from FROM into DEST, killed once a
# session on database DB runs (or last ran) QUERY..., which must happen
# while it runs. The server watches, every millisecond, for at most 20 s.
killed() {
  local pid
  "$Y" link -s "$2" migrate --from "$1" 2>/dev/null & pid=$!
  sql "$P" "DO \$\$ BEGIN FOR i IN 1..20000 LOOP PERFORM pg_stat_clear_snapshot();
      EXIT WHEN EXISTS(SELECT 1 FROM pg_stat_activity WHERE datname = '$3' AND query LIKE '$4%');
      PERFORM pg_sleep(0.001); END LOOP; END \$\$" >/dev/null
  if kill -9 "$pid" 2>/dev/null; then ok; else bad "kill -9: migrate into $2 ended before"; fi
  wait "$pid" 2>/dev/null
}
# Into PostgreSQL: killed while it inserts events.
pg_db K killed
killed "$BIG" "$K" killed "INSERT INTO events"
sleep 0.3 # the server sees the connection gone and rolls back
same "killed (PostgreSQL): no events, no codes" "$(sql "$K" "SELECT count(*) FROM events")$(sql "$K" "SELECT count(*) FROM codes")" 00
expect_status "then migrated whole" 0 "$Y" link -s "$K" migrate --from "$BIG"
# Into SQLite: killed while it reads the PostgreSQL source (SQLite writes
# nothing to the file before the commit, which comes after the last read).
killed "$K" "$T/killed.db" killed FETCH
same "killed (SQLite): no events, no codes" "$(sqlite3 "$T/killed.db" "SELECT count(*) FROM events; SELECT count(*) FROM codes" | tr -d '\n')" 00
expect_status "then migrated whole (SQLite)" 0 "$Y" link -s "$T/killed.db" migrate --from "$K"
same "whole: the same export" "$("$Y" link -s "$T/killed.db" export 2>/dev/null | md5sum)" \
    "$("$Y" link -s "$BIG" export 2>/dev/null | md5sum)"
finish link_migrate
