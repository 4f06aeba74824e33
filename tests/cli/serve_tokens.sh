#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima serve's bearer tokens (issue 11): a token is printed once and the
# store keeps only its hash; list shows names, roles and revocation, never
# hashes; names are unique; roles are checked; schema 6 stores upgrade to 7
# keeping their events and their audit trail (SQLite: no PostgreSQL store
# is older than schema 9).
source "$(dirname "$0")/testlib.bash"
S=$(store s)
TK=("$Y" serve -s "$S" token)

expect_status "token add" 0 "${TK[@]}" add --role capture line-1
tok=$(cat "$T/out")
check "the token is yima_ and 43 URL-safe base64 characters" \
    grep -qxE 'yima_[A-Za-z0-9_-]{43}' "$T/out"
contains "the token is said to be shown once" "$T/err" "shown this once"
same "stdout holds the token alone" "$(wc -l <"$T/out")" 1
# The store keeps its hash only: neither the token nor its random part is
# anywhere in the file (nor in its WAL), or in a dump of the database.
raw() { if is_pg "$S"; then "$PG_BINDIR/pg_dump" -d "$S"; else cat "$S" "$S"-wal 2>/dev/null; fi; }
same "the token is not in the store" "$(raw | grep -c -a -F -e "$tok")" 0
same "nor its random part" "$(raw | grep -c -a -F -e "${tok#yima_}")" 0
check "the store could be read for that" test "$(raw | wc -c)" -gt 1000
same "a 32-byte hash is kept" "$(sql "$S" "SELECT length(hash) FROM tokens WHERE name = 'line-1'")" 32
expect_status "another token" 0 "${TK[@]}" add --role capture line-2
tok2=$(cat "$T/out")
check "tokens differ" test "$tok" != "$tok2"

expect_status "a query token" 0 "${TK[@]}" add --role query erp
expect_status "an admin token" 0 "${TK[@]}" add --role admin ops
expect_error "a duplicate name: exit 2" 2 "a token named 'line-1' exists" \
    "${TK[@]}" add --role query line-1
expect_error "a bad role: exit 2" 2 "'reader' is not capture, query or admin" \
    "${TK[@]}" add --role reader x
expect_error "no role: exit 2" 2 "needs --role" "${TK[@]}" add y
expect_error "a bad name: exit 2" 2 "may hold only letters" "${TK[@]}" add --role query 'a b'
expect_error "an unknown token command: exit 2" 2 "unknown token command 'rm'" "${TK[@]}" rm x
same "four tokens kept" "$(sql "$S" "SELECT count(*) FROM tokens")" 4

expect_status "revoke" 0 "${TK[@]}" revoke line-2
expect_error "revoke an unknown name: exit 2" 2 "no token is named 'nope'" "${TK[@]}" revoke nope
expect_status "list" 0 "${TK[@]}" list
same "list: names, roles, status" "$(cut -f1,2,4 "$T/out")" "name	role	status
line-1	capture	live
line-2	capture	revoked
erp	query	live
ops	admin	live"
check "list: created times" grep -qE '^line-1	capture	20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z	' "$T/out"
same "list shows no token" "$(grep -c -F -e "$tok" -e "$tok2" "$T/out")" 0
same "revoked in the store" "$(sql "$S" "SELECT revoked FROM tokens WHERE name = 'line-2'")" 1
if [[ $STORE_KIND == pg ]]; then finish serve_tokens; exit; fi

# --- the upgrade from schema 6 ----------------------------------------------
fixed_key "$T/brand" 11
"$Y" gen -k "$T/brand.key" -b 1 -n 48 -a sig --pack 24,2 -f tsv --no-ledger -q -o "$T/codes.tsv"
awk -F'\t' '$2 == "item" { print "COMMISSION\t" $4 "\tP1\tL1" }' "$T/codes.tsv" >"$T/ev.tsv"
expect_status "a store with events" 0 "$Y" link -s "$T/v6.db" -k "$T/brand.key" -q import "$T/ev.tsv"
now=$(sqlite3 "$T/v6.db" "PRAGMA user_version")
check "a new store is schema 8 or later" test "$now" -ge 8
sqlite3 "$T/v6.db" "DROP TABLE tokens; PRAGMA user_version = 6"
before=$(sqlite3 "$T/v6.db" "SELECT count(*), hex(max(chain)) FROM events")
expect_error "a schema 6 store needs the upgrade to be read" 3 "store schema 6 needs an upgrade" \
    "$Y" serve -s "$T/v6.db" token list
expect_status "token add upgrades it" 0 "$Y" serve -s "$T/v6.db" token add --role query q
same "the current schema now" "$(sqlite3 "$T/v6.db" "PRAGMA user_version")" "$now"
same "its events kept" "$(sqlite3 "$T/v6.db" "SELECT count(*), hex(max(chain)) FROM events")" "$before"
same "48 events" "${before%%|*}" 48
expect_status "the audit passes on the upgraded store" 0 "$Y" link -s "$T/v6.db" audit
expect_status "and imports go on" 0 "$Y" link -s "$T/v6.db" -k "$T/brand.key" -q import "$T/ev.tsv"
contains "a re-run skips all" "$T/err" "48 events: 0 applied, 48 skipped"
finish serve_tokens
