#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The throwaway PostgreSQL cluster of pglib.bash, checked with psql: it
# stores and reads back a table, listens on no TCP port, runs as a user who
# is not root, is gone (server and dir) when its script ends however it
# ends, and a cluster that cannot start fails its test loudly.
source "$(dirname "$0")/testlib.bash"
CLI=$(cd "$(dirname "$0")" && pwd)
source "$CLI/pglib.bash"

pg_start
PSQL=("$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1)

# A table written and read back over the socket.
"${PSQL[@]}" -c "CREATE TABLE t (id bigint PRIMARY KEY, code text NOT NULL)" \
  -c "INSERT INTO t SELECT g, 'c' || g FROM generate_series(1, 1000) g" >"$T/out" 2>&1
check "create and insert: $(head -c 300 "$T/out")" test ! -s "$T/out"
same "rows read back" \
  "$("${PSQL[@]}" -c "SELECT count(*), max(code) FROM t WHERE code LIKE 'c%'")" "1000|c999"

# YIMA_PG_URL alone, without the PG* variables, reaches the same database.
same "YIMA_PG_URL" "$(env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE \
  "${PSQL[@]}" "$YIMA_PG_URL" -c "SELECT count(*) FROM t")" "1000"
# pg_db: a second, empty database of its own, refused when it exists.
pg_db U2 second
same "pg_db: its own database" "$("${PSQL[@]}" "$U2" -c \
  "SELECT current_database(), count(*) FROM pg_tables WHERE tablename = 't'")" "second|0"
got=0
(pg_db U3 second) 2>"$T/dup.err" || got=$? # a subshell: its bad() is not ours
same "pg_db: an existing name fails" "$got" 3
contains "pg_db: says why" "$T/dup.err" 'FAIL: pg_db second: createdb: error'
same "socket dir" "$("${PSQL[@]}" -c "SHOW unix_socket_directories")" "$PG_DIR"

# No TCP: nothing to connect to on loopback, no listener on the port.
same "listen_addresses" "$("${PSQL[@]}" -c "SHOW listen_addresses")" ""
expect_status "no TCP on 127.0.0.1" 2 "${PSQL[@]}" -h 127.0.0.1 -c "SELECT 1"
expect_status "no TCP on ::1" 2 "${PSQL[@]}" -h ::1 -c "SELECT 1"
same "no TCP listener on $PGPORT" "$(ss -Hltn "sport = :$PGPORT")" ""

# The server is not root's, even when the test is.
PM_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
same "postmaster not root" "$(stat -c %u "/proc/$PM_PID")" \
  "$(if [ "$(id -u)" -eq 0 ]; then id -u "${YIMA_PG_OSUSER:-nobody}"; else id -u; fi)"

# A child test script that starts a cluster, notes its dir and postmaster,
# then ends the way MODE says. The parent checks nothing of it is left.
cat >"$T/child.sh" <<'EOF'
source "$CLI/testlib.bash"
source "$CLI/pglib.bash"
pg_start
echo "$PG_DIR $(head -n 1 "$PG_DIR/data/postmaster.pid") $T" >"$REPORT"
"$PG_BINDIR/psql" -X -q -c "SELECT 1" >/dev/null || exit 9
case $MODE in
  pass) finish child ;;
  fail) bad "on purpose"; finish child ;;
  term) kill -TERM $$; sleep 5 ;;
esac
EOF

# left_of DIR PID: names what is still there of a cluster, or nothing.
left_of() {
  local p
  [ -e "$1" ] && echo "dir $1"
  # A zombie is already gone; reaping it is init's business, not ours.
  [[ $(ps -o stat= -p "$2" | tr -d " ") == [^Z]* ]] && echo "postmaster $2"
  # Every backend's cwd is the data dir, so this finds orphans too.
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/cwd" 2>/dev/null) == "$1/data"* ]] && echo "process ${p#/proc/}"
  done
  return 0
}

for mode_rc in pass:0 fail:1 term:143; do
  mode=${mode_rc%:*} want=${mode_rc#*:} got=0
  rm -f "$T/report"
  # The braces keep bash's "Terminated" for the term child out of the log.
  { CLI=$CLI REPORT=$T/report MODE=$mode bash "$T/child.sh" >"$T/cout" 2>"$T/cerr" ||
    got=$?; } 2>/dev/null
  same "child $mode: exit status" "$got" "$want"
  if ! read -r cdir cpid ctmp <"$T/report"; then bad "child $mode: no report"; continue; fi
  same "child $mode: nothing left of its cluster" "$(left_of "$cdir" "$cpid")" ""
  check "child $mode: testlib's own trap still ran" test ! -e "$ctmp"
done

# No initdb: PATH and the bin dir lookup both point at an empty dir.
mkdir "$T/empty"
got=0
PATH=$T/empty YIMA_PG_BINDIR=$T/empty CLI=$CLI REPORT=$T/report MODE=pass \
  /bin/bash "$T/child.sh" >"$T/cout" 2>"$T/cerr" || got=$?
check "no initdb: exit non-zero" test "$got" -ne 0
contains "no initdb: names it" "$T/cerr" "FAIL: pg_start: no initdb in '$T/empty'"
contains "no initdb: fails, not skips" "$T/cerr" "fails rather than skips"

# initdb that fails once the temp dir exists: a loud failure, dir removed.
mkdir "$T/fakebin"
for b in pg_ctl postgres createdb psql; do ln -s "$PG_BINDIR/$b" "$T/fakebin/$b"; done
printf '#!/bin/sh\necho "fake initdb $*" >&2\nexit 1\n' >"$T/fakebin/initdb"
chmod 755 "$T/fakebin/initdb"
chmod 711 "$T" # the unprivileged server user runs the fake initdb from here
got=0
YIMA_PG_BINDIR=$T/fakebin CLI=$CLI REPORT=$T/report MODE=pass \
  bash "$T/child.sh" >"$T/cout" 2>"$T/cerr" || got=$?
check "initdb fails: exit non-zero" test "$got" -ne 0
contains "initdb fails: says so" "$T/cerr" "FAIL: pg_start: initdb failed"
contains "initdb fails: shows its log" "$T/cerr" "fake initdb -D /tmp/yima-pg."
fdir=$(grep -o -- '-D /tmp/yima-pg\.[A-Za-z0-9]*' "$T/cerr" | head -n 1)
fdir=${fdir#-D }
check "initdb fails: temp dir removed ($fdir)" test -n "$fdir" -a ! -e "$fdir"

finish pg_cluster
