#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima link, issue 10 section 3, the audit trail: every event chained by
# BLAKE2b; audit names the first broken link (seq, event id, content or
# link) after a hand UPDATE, DELETE or INSERT with the sqlite3 CLI (psql on
# PostgreSQL); a checkpoint signs the head, so a chain re-hashed after
# tampering still fails against it; a schema 5 store upgrades and chains its
# events (SQLite: no PostgreSQL store is older than schema 9).
source "$(dirname "$0")/testlib.bash"
FIXTURE=$(dirname "$Y")/tests/test_link
[[ $STORE_KIND == pg ]] || command -v sqlite3 >/dev/null ||
    { echo "link_audit: sqlite3 (the CLI) is needed" >&2; exit 1; }

"$FIXTURE" --fixture "$T" 3
S=$(store line) OTHER=$(store other)
L=("$Y" link -s "$S" -k "$T/brand.key")
expect_status "import" 0 "${L[@]}" --pack 24,60 -q import "$T/day.tsv"
expect_status "hand event" 0 "${L[@]}" --id hand-1 decommission "$(sed -n 1p "$T/day.tsv" | cut -f2)" sampled
N=$(sql "$S" "SELECT max(seq) FROM events")
same "events applied" "$N" 76
same "every event hashed and chained" \
    "$(sql "$S" "SELECT count(*) FROM events WHERE length(hash) = 32 AND length(chain) = 32")" 76
expect_error "intact store" 0 "audit: 76 events read; the chain holds up to seq 76" \
    "$Y" link -s "$S" audit

# tampered COPY SQL: a copy of the store, named COPY, with SQL run on it by hand.
tampered() { local t; t=$(store_copy "$S" "$1") && sql "$t" "$2" >/dev/null && echo "$t"; }
expect_error "hand UPDATE of an event's time" 1 \
    "broken (content) at seq 10, event 'day.tsv:10': content differs" \
    "$Y" link -s "$(tampered t "UPDATE events SET time = time + 60000 WHERE seq = 10")" audit
expect_error "hand UPDATE of a child's prev parent" 1 "broken (content) at seq 25" \
    "$Y" link -s "$(tampered t "UPDATE event_codes SET prev_parent = 1 WHERE seq = 25 AND code = (SELECT min(code) FROM event_codes WHERE seq = 25)")" audit
expect_error "hand UPDATE of a lot (codes)" 1 "broken (content) at seq 3, event 'day.tsv:3'" \
    "$Y" link -s "$(tampered t "UPDATE codes SET lot = 'L9' WHERE id = 3")" audit
expect_error "hand DELETE of an event" 1 \
    "broken (link) at seq 41, event 'day.tsv:41': link differs" \
    "$Y" link -s "$(tampered t "DELETE FROM events WHERE seq = 40")" audit
expect_error "hand DELETE of the last event" 1 "broken (head) at seq 76: the recorded head is seq 76, the chain ends at seq 75" \
    "$Y" link -s "$(tampered t "DELETE FROM event_codes WHERE seq = 76; DELETE FROM events WHERE seq = 76")" audit
# At seq 77 (PostgreSQL gives a row a provisional seq until a writer seals it).
expect_error "hand INSERT of an event" 1 "broken (content) at seq 77, event 'forged': content differs: stored hash none" \
    "$Y" link -s "$(tampered t "INSERT INTO events(seq, id, digest, type, time, tz, subject) VALUES(77, 'forged', 1, 1, 0, 0, 1)")" audit
expect_error "hand INSERT copying an event's hashes" 1 "broken (content) at seq 77, event 'copy'" \
    "$Y" link -s "$(tampered t "INSERT INTO events(seq, id, digest, type, time, tz, subject, hash, chain) SELECT 77, 'copy', digest, type, time, tz, subject, hash, chain FROM events WHERE seq = 76")" audit

# --- checkpoints ------------------------------------------------------------
fixed_key "$T/station" 7
fixed_key "$T/other" 8
expect_status "checkpoint" 0 "$Y" link -s "$S" -k "$T/station.key" checkpoint -o "$T/head.ckpt"
contains "checkpoint names seq" "$T/head.ckpt" "seq 76"
same "checkpoint: 7 lines" "$(wc -l <"$T/head.ckpt")" 7
expect_error "checkpoint refuses to overwrite" 3 "exists" \
    "$Y" link -s "$S" -k "$T/station.key" checkpoint -o "$T/head.ckpt"
expect_error "checkpoint needs a secret key" 2 "checkpoint needs the station's secret key" \
    "$Y" link -s "$S" -p "$T/station.pub" checkpoint -o "$T/x.ckpt"
expect_error "audit --checkpoint holds" 0 "the signed checkpoint at seq 76 holds" \
    "$Y" link -s "$S" -p "$T/station.pub" audit --checkpoint "$T/head.ckpt"
expect_error "audit --checkpoint needs a public key" 2 "needs the signer's public key" \
    "$Y" link -s "$S" audit --checkpoint "$T/head.ckpt"
expect_error "checkpoint under another key" 1 "broken (checkpoint) at seq 76: the checkpoint's signature does not verify" \
    "$Y" link -s "$S" -p "$T/other.pub" audit --checkpoint "$T/head.ckpt"
sed 's/^seq 76$/seq 75/' "$T/head.ckpt" >"$T/forged.ckpt"
expect_error "a checkpoint edited by hand" 1 "signature does not verify" \
    "$Y" link -s "$S" -p "$T/station.pub" audit --checkpoint "$T/forged.ckpt"
sed 's/^seq 76$/seq +76/' "$T/head.ckpt" >"$T/plus.ckpt"
expect_error "a checkpoint's seq not in digits" 3 "plus.ckpt:3: not a yima link checkpoint line" \
    "$Y" link -s "$S" -p "$T/station.pub" audit --checkpoint "$T/plus.ckpt"
head -n 3 "$T/head.ckpt" >"$T/short.ckpt"
expect_error "a truncated checkpoint" 3 "short.ckpt:4: not a yima link checkpoint line" \
    "$Y" link -s "$S" -p "$T/station.pub" audit --checkpoint "$T/short.ckpt"
expect_error "a missing checkpoint" 3 "cannot open checkpoint" \
    "$Y" link -s "$S" -p "$T/station.pub" audit --checkpoint "$T/none.ckpt"
# The events applied after a checkpoint extend the chain it signed.
expect_status "one more event" 0 "${L[@]}" --id hand-2 decommission "$(sed -n 2p "$T/day.tsv" | cut -f2)" damaged
expect_error "an older checkpoint still holds" 0 "the signed checkpoint at seq 76 holds" \
    "$Y" link -s "$S" -p "$T/station.pub" audit --checkpoint "$T/head.ckpt"
expect_status "a second store" 0 "$Y" link -s "$OTHER" -k "$T/brand.key" -q import "$T/day.tsv"
expect_error "a checkpoint of another store" 1 "names another store" \
    "$Y" link -s "$OTHER" -p "$T/station.pub" audit --checkpoint "$T/head.ckpt"
# The rest takes stores back to schema 5, which only SQLite stores had.
if [[ $STORE_KIND == pg ]]; then finish link_audit; exit; fi
# Tampering before the checkpoint, then the whole chain re-hashed (here by
# yima's own upgrade of a store taken back to schema 5): the chain is
# intact, but the signed head no longer matches.
UNDO="ALTER TABLE events DROP COLUMN hash; ALTER TABLE events DROP COLUMN chain;
      DELETE FROM meta WHERE key = 'chain_head'; PRAGMA user_version = 5;"
cp "$S" "$T/r.db"
sqlite3 "$T/r.db" "UPDATE codes SET lot = 'L9' WHERE id = 3; $UNDO"
expect_status "re-hash the tampered chain" 0 "$Y" link -s "$T/r.db" -k "$T/brand.key" -q import /dev/null
expect_error "re-hashed chain: intact on its own" 0 "the chain holds up to seq 77" \
    "$Y" link -s "$T/r.db" audit
expect_error "re-hashed chain: fails the checkpoint" 1 "broken (checkpoint) at seq 76: the store's chain at the signed seq differs from the signed head" \
    "$Y" link -s "$T/r.db" -p "$T/station.pub" audit --checkpoint "$T/head.ckpt"

# --- the upgrade from schema 5 ---------------------------------------------
cp "$S" "$T/v5.db"
sqlite3 "$T/v5.db" "$UNDO"
expect_error "a schema 5 store needs the upgrade" 3 "store schema 5 needs an upgrade" \
    "$Y" link -s "$T/v5.db" audit
expect_status "upgrade by a writer" 0 "$Y" link -s "$T/v5.db" -k "$T/brand.key" -q import /dev/null
same "the current schema, as a new store's" "$(sqlite3 "$T/v5.db" "PRAGMA user_version")" \
    "$(sqlite3 "$S" "PRAGMA user_version")"
same "the upgrade chains as the writer did" \
    "$(sqlite3 "$T/v5.db" "SELECT hex(chain) FROM events ORDER BY seq" | md5sum)" \
    "$(sqlite3 "$S" "SELECT hex(chain) FROM events ORDER BY seq" | md5sum)"
expect_error "upgraded store: the checkpoint holds" 0 "the signed checkpoint at seq 76 holds" \
    "$Y" link -s "$T/v5.db" -p "$T/station.pub" audit --checkpoint "$T/head.ckpt"
finish link_audit
