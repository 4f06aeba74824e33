#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# On PostgreSQL every statement is a network round trip: an event's codes
# are read, moved and recorded a few statements for all of them, not a
# statement or more a code. The server logs every statement of one yima run
# (log_min_duration_statement=0 through PGOPTIONS: the cluster's superuser
# runs yima here) and the test counts those of the event's transaction: a
# PACK of 24 commissioned items, the same 24 moved into another case, and
# that case's UNPACK of all it holds each run at most BOUND (before: 86, 110
# and 63). The rows they write are those the same events write on SQLite,
# and the audit holds. Needs PostgreSQL: it starts its own cluster
# (pglib.bash) and fails if it cannot.
source "$(dirname "$0")/testlib.bash"
source "$TESTS/cli/pglib.bash" && pg_start
FIXTURE=$(dirname "$Y")/tests/test_link
command -v sqlite3 >/dev/null || { echo "link_roundtrips: sqlite3 (the CLI) is needed" >&2; exit 1; }
BOUND=30

"$FIXTURE" --fixture "$T" 2 # 48 items, cases 0 and 1
grep '^COMMISSION' "$T/day.tsv" >"$T/commission.tsv"
grep '^PACK' "$T/day.tsv" | head -n 1 >"$T/pack0.tsv"
CASE0=$(cut -f2 "$T/pack0.tsv")
CASE1=$(grep '^PACK' "$T/day.tsv" | sed -n 2p | cut -f2)
cut -f3- "$T/pack0.tsv" | sed "s/^/PACK\t$CASE1\t/" >"$T/move1.tsv" # case 0's items
printf 'UNPACK\t%s\n' "$CASE1" >"$T/unpack1.tsv"
LOG=$PG_DIR/server.log

# statements STEP STORE ARGS...: runs yima link on STORE with the server
# logging every statement, and prints how many its event's transaction ran,
# BEGIN and COMMIT included (execute: a prepared statement's run;
# statement: a simple query's; BEGIN and COMMIT are either, as the latter
# when sent with other statements in one round trip). The connection's own (its SETs, and
# DEALLOCATE a statement at its close) are not the event's.
statements() {
  local step=$1 st=$2 from
  shift 2
  from=$(($(stat -c %s "$LOG") + 1))
  PGOPTIONS="-c log_min_duration_statement=0" "$Y" link -s "$st" -k "$T/brand.key" \
    --pack 24,60 "$@" >"$T/$step.out" 2>&1 || bad "$step: $(head -c 300 "$T/$step.out")"
  tail -c "+$from" "$LOG" >"$T/$step.log"
  awk '!/duration: [0-9.]+ ms +(statement|execute [^:]*):/ { next }
    /(statement|execute [^:]*): BEGIN/ { on = 1; txns++ } on { n++ }
    /(statement|execute [^:]*): COMMIT/ { on = 0 }
    END { print txns == 1 ? n : "transactions: " txns + 0 }' "$T/$step.log" | tee -a "$T/counts"
}

# The rows each event wrote, by code text, the same on both stores.
ROWS="SELECT e.type, c.code, p.code FROM event_codes ec JOIN events e ON e.seq = ec.seq
JOIN codes c ON c.id = ec.code LEFT JOIN codes p ON p.id = ec.prev_parent ORDER BY e.seq, c.code"
# held CASE: how many codes CASE holds.
held() { sql "$P" "SELECT count(*) FROM codes c JOIN codes p ON p.id = c.parent WHERE p.code = '$1'"; }

pg_db P roundtrips
S=$T/same.db
for st in "$P" "$S"; do
  expect_status "commission" 0 "$Y" link -s "$st" -k "$T/brand.key" -q import "$T/commission.tsv"
done
n=$(statements pack "$P" import "$T/pack0.tsv")
check "PACK of 24 in at most $BOUND statements (got $n)" test "$n" -le "$BOUND"
same "case 0 holds 24" "$(held "$CASE0")" 24
n=$(statements move "$P" --move import "$T/move1.tsv")
check "PACK moving 24 in at most $BOUND statements (got $n)" test "$n" -le "$BOUND"
same "case 1 holds 24, case 0 none" "$(held "$CASE1") $(held "$CASE0")" "24 0"
n=$(statements unpack "$P" import "$T/unpack1.tsv")
check "UNPACK of 24 in at most $BOUND statements (got $n)" test "$n" -le "$BOUND"
same "case 1 holds none" "$(held "$CASE1")" 0
for f in pack0 move1 unpack1; do
  expect_status "SQLite: $f" 0 "$Y" link -s "$S" -k "$T/brand.key" --pack 24,60 --move -q import "$T/$f.tsv"
done

# What they wrote: 24 packed loose, moved from case 0, unpacked from case 1.
sql "$P" "$ROWS" >"$T/pg.rows"
sqlite3 "$S" "$ROWS" >"$T/sqlite.rows"
same "event_codes rows" "$(wc -l <"$T/pg.rows")" 72
same "PACK: 24 codes, none had a parent" "$(grep -c "^2|[^|]*|$" "$T/pg.rows")" 24
same "moved: 24 codes from case 0" "$(grep -c "^2|[^|]*|$CASE0$" "$T/pg.rows")" 24
same "UNPACK: 24 codes from case 1" "$(grep -c "^3|[^|]*|$CASE1$" "$T/pg.rows")" 24
check "the same rows on SQLite" cmp -s "$T/pg.rows" "$T/sqlite.rows"
expect_error "audit intact" 0 "the chain holds up to seq 51," "$Y" link -s "$P" audit
echo "statements of PACK, moving PACK, UNPACK: $(tr '\n' ' ' <"$T/counts")"

# The seal reads the committing transaction's own events by key: a PACK
# committed on a store of 10,000 events scans none of events, event_codes
# and codes whole (their seq_scan counts stay; before, the seal's
# WHERE seq < 0 read every event and event code, a past seal's dead rows
# too, and hash-joined every code: 10 ms a commit at 10,000 events, all of
# it holding the chain head every writer waits for).
"$Y" gen -k "$T/brand.key" -b 7 -n 9624 -a mac --pack 24,60 -f tsv --no-ledger -q -o "$T/big.codes"
awk -F'\t' '$2 == "item" { print "COMMISSION\t" $4 "\tP7\tL7" }' "$T/big.codes" >"$T/big.tsv"
awk 'BEGIN { FS = OFS = "\t" } $2 == "item" && $6 != cur { if (line != "") print line; cur = $6
    line = "PACK\t" $6 } $2 == "item" { line = line "\t" $4 } END { print line }' "$T/big.codes" >"$T/big-packs.tsv"
head -n -1 "$T/big-packs.tsv" >>"$T/big.tsv"
tail -n 1 "$T/big-packs.tsv" >"$T/last-pack.tsv"
pg_db B big
expect_status "a store of 10,000 events" 0 "$Y" link -s "$B" -k "$T/brand.key" --pack 24,60 -q import "$T/big.tsv"
# scans: each table's seq_scan and idx_scan, once the last yima's server
# process has flushed its counts (it does so as it exits, after yima).
SCANS="SELECT string_agg(relname || ' ' || seq_scan || ' ' || idx_scan, ', ' ORDER BY relname)
  FROM pg_stat_user_tables WHERE relname IN ('codes', 'event_codes', 'events')"
scans() {
    for _ in $(seq 50); do
        [ "$(sql "$B" "SELECT count(*) FROM pg_stat_activity WHERE datname = 'big'
            AND backend_type = 'client backend' AND pid <> pg_backend_pid()")" = 0 ] && break
        sleep 0.1
    done
    sql "$B" "$SCANS"
}
before=$(scans)
expect_status "one more PACK" 0 "$Y" link -s "$B" -k "$T/brand.key" --pack 24,60 -q import "$T/last-pack.tsv"
after=$(scans)
seqs() { tr ',' '\n' | awk '{ print $1, $2 }'; }
same "no table scanned whole for it ($before -> $after)" "$(seqs <<<"$after")" "$(seqs <<<"$before")"
check "its lookups went by index ($before -> $after)" test "$before" != "$after"
# A trace reads each code by index too: it scans no table whole (before,
# PostgreSQL hash-joined every code to the recursion's rows).
CASE=$(cut -f2 "$T/last-pack.tsv")
before=$(scans)
expect_status "trace of a case" 0 "$Y" link -s "$B" trace --json "$CASE"
after=$(scans)
same "no table scanned whole for the trace ($before -> $after)" "$(seqs <<<"$after")" "$(seqs <<<"$before")"
same "the trace holds the case's 24 items" "$(grep -o '"level": *"item"' "$T/out" | wc -l)" 24

# A connection keeps the statements it ran prepared: a server's writer
# prepares and deallocates nothing in its second and third captures (823a924
# prepared, described and deallocated each request's ad hoc statements anew,
# three round trips more each: 8 parse and DEALLOCATE lines in these two).
source "$TESTS/cli/servelib.bash"
printf 'UNPACK\t%s\n' "$CASE0" >"$T/unpack0.tsv"
TOKEN=$("$Y" serve -s "$P" token add --role capture st 2>/dev/null)
from=$(($(stat -c %s "$LOG") + 1))
export PGOPTIONS="-c log_min_duration_statement=0"
start_server "$T/srv.log" -s "$P" -j 1 -k "$T/brand.key" --pack 24,60
unset PGOPTIONS
for f in pack0 unpack0 pack0; do
  http "capture $f" 200 -H "$(auth "$TOKEN")" --data-binary @"$T/$f.tsv" "$URL/events/tsv"
done
kill -TERM "$SRV"; wait "$SRV"
tail -c "+$from" "$LOG" >"$T/srv.pglog"
# The writer's lines: its connection's process wrote the events.
pid=$(grep -m1 'execute [^:]*: INSERT INTO events' "$T/srv.pglog" | grep -o '\[[0-9]*\]')
grep -F "$pid" "$T/srv.pglog" >"$T/writer.pglog"
same "three captures, three commits" "$(grep -cE '(statement|execute [^:]*): COMMIT' "$T/writer.pglog")" 3
same "nothing prepared or deallocated after the first capture" \
  "$(awk '/(statement|execute [^:]*): COMMIT/ { c++ } c == 1 || c == 2 { if (/ms +(parse |statement: DEALLOCATE)/) n++ }
          END { print n + 0 }' "$T/writer.pglog")" 0
# Nor does it send its durability setting again (809722c sent "SET
# synchronous_commit" before each capture, one round trip more).
same "no SET after the first capture" \
  "$(awk '/(statement|execute [^:]*): COMMIT/ { c++ } c == 1 || c == 2 { if (/statement: SET /) n++ }
          END { print n + 0 }' "$T/writer.pglog")" 0
check "the first capture prepared statements (the count sees them)" \
  grep -qE 'ms +parse ' "$T/writer.pglog"
finish link_roundtrips
