# SPDX-License-Identifier: MIT
# Sourced by tests/cli/*.sh that need PostgreSQL, after testlib.bash.
# pg_start makes a throwaway cluster with Debian's postgresql: initdb into a
# fresh temp dir as an unprivileged user, trust auth on the Unix socket only,
# no TCP listener, one database. It exports PGHOST, PGPORT, PGUSER,
# PGDATABASE and YIMA_PG_URL (a libpq URI), and stops the server and removes
# the dir at exit, before testlib.bash's own EXIT trap, which it keeps.
# pg_db VAR DB adds an empty database (one per store a test needs).
# A cluster that cannot start is a failed test, never a skipped one.
#
# Overrides: YIMA_PG_BINDIR (where initdb, pg_ctl and postgres are; default
# the newest /usr/lib/postgresql/*/bin), YIMA_PG_OSUSER (who runs the server
# when we are root; default nobody).

PG_DIR=""

# pg_bindir: the server's bin dir; YIMA_PG_BINDIR wins, then the newest
# Debian version, then wherever PATH finds initdb.
pg_bindir() {
  if [[ -n ${YIMA_PG_BINDIR:-} ]]; then echo "$YIMA_PG_BINDIR"; return; fi
  local d best="" v bestv=-1
  for d in /usr/lib/postgresql/*/bin; do
    v=${d#/usr/lib/postgresql/}; v=${v%/bin}
    [[ $v =~ ^[0-9]+$ && -x $d/initdb && $v -gt $bestv ]] && { best=$d; bestv=$v; }
  done
  if [[ -z $best ]] && command -v initdb >/dev/null; then
    best=$(dirname "$(readlink -f "$(command -v initdb)")")
  fi
  echo "$best"
}

# pg_as CMD...: run a server command as the cluster's owner. initdb, pg_ctl
# and postgres refuse to run as root, so root hands them to an unprivileged
# user; anyone else runs them as themselves. The cd leaves a cwd (testlib's
# $T) that user may not be allowed to read.
pg_as() {
  if [[ $(id -u) -ne 0 ]]; then (cd "$PG_DIR" && "$@"); return; fi
  local who=${YIMA_PG_OSUSER:-nobody}
  if command -v runuser >/dev/null; then
    (cd "$PG_DIR" && runuser -u "$who" -- "$@")
  else
    (cd "$PG_DIR" && setpriv --reuid="$who" --regid="$(id -g "$who")" --clear-groups -- "$@")
  fi
}

# pg_fail MSG: the cluster could not start; the test fails here, loudly.
pg_fail() {
  bad "pg_start: $1"
  local f
  for f in "$PG_DIR"/*.log; do
    [[ -f $f ]] && { echo "--- ${f##*/}:"; tail -n 12 "$f"; } >&2
  done
  echo "${0##*/}: PostgreSQL could not start; this test fails rather than skips" >&2
  exit 3
}

# pg_stop: stop the server at once (its data is thrown away) and remove the
# dir; kept with its logs when YIMA_KEEP=1 and a check failed.
pg_stop() {
  [[ -n $PG_DIR && -d $PG_DIR ]] || return 0
  if [[ -f $PG_DIR/data/postmaster.pid ]]; then
    pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
  fi
  if [[ -n ${YIMA_KEEP:-} && ${FAILED:-0} -gt 0 ]]; then echo "kept $PG_DIR" >&2
  else rm -rf "$PG_DIR"; fi
}

# pg_chain_trap: run pg_stop at exit, then whatever EXIT trap was set before
# (testlib.bash's temp dir cleanup). Bash also runs it on SIGTERM and SIGINT.
pg_chain_trap() {
  local old
  old=$(trap -p EXIT)
  if [[ -n $old ]]; then
    old=${old#trap -- }
    old=${old% EXIT}
    eval "old=$old"
  fi
  trap -- "pg_stop; $old" EXIT
}

# pg_conf: Unix socket in $PG_DIR only, no TCP; fsync off as the data is
# thrown away at exit anyway.
pg_conf() {
  cat >>"$PG_DIR/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$PG_DIR'
port = $PGPORT
fsync = off
full_page_writes = off
max_connections = 60
EOF
}

pg_start() {
  PG_BINDIR=$(pg_bindir)
  local b
  for b in initdb pg_ctl postgres createdb; do
    [[ -n $PG_BINDIR && -x $PG_BINDIR/$b ]] ||
      pg_fail "no $b in '${PG_BINDIR:-(none found)}' (install Debian's postgresql, as \
.ci/debian-packages lists it, or set YIMA_PG_BINDIR)"
  done
  PG_DIR=$(mktemp -d /tmp/yima-pg.XXXXXX) || pg_fail "mktemp failed"
  pg_chain_trap
  if [[ $(id -u) -eq 0 ]]; then
    chown "${YIMA_PG_OSUSER:-nobody}:" "$PG_DIR" || pg_fail "cannot chown $PG_DIR"
  fi
  # The port only names the socket file here; vary it so a stray server's
  # SysV shared memory key is unlikely to be in the way.
  export PGPORT=$((20000 + RANDOM % 30000))
  pg_as "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U yima -E UTF8 --locale=C --no-sync \
    --auth-local=trust --auth-host=reject >"$PG_DIR/initdb.log" 2>&1 ||
    pg_fail "initdb failed in $PG_DIR/data"
  pg_conf
  # server.log is the server's (opened by the server user), pg_ctl.log ours.
  pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 start \
    >"$PG_DIR/pg_ctl.log" 2>&1 ||
    pg_fail "pg_ctl start failed (socket dir $PG_DIR, port $PGPORT)"
  export PGHOST=$PG_DIR PGUSER=yima PGDATABASE=yima_test
  "$PG_BINDIR/createdb" "$PGDATABASE" 2>"$PG_DIR/createdb.log" ||
    pg_fail "createdb $PGDATABASE failed"
  export YIMA_PG_URL
  YIMA_PG_URL=$(pg_url "$PGDATABASE")
}

# pg_url DB: the libpq URI of database DB in the cluster (socket dir as host).
pg_url() { echo "postgresql:///$1?host=$PG_DIR&port=$PGPORT&user=$PGUSER"; }

# pg_db VAR DB: a fresh, empty database DB (a test that needs several
# stores makes one each), its URI into VAR. Not in $(...): a failure there
# would be counted in a subshell and lost. Fails the test, returns non-zero.
pg_db() {
  if ! "$PG_BINDIR/createdb" "$2" 2>"$T/pg_db.err"; then
    bad "pg_db $2: $(head -n 1 "$T/pg_db.err")"
    return 3
  fi
  printf -v "$1" '%s' "$(pg_url "$2")"
}
