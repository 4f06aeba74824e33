# SPDX-License-Identifier: MIT
# Sourced by tests/cli/*.sh: a temp dir, pass/fail counting and a closing
# "NAME: N passed, M failed" line. Not a test itself: ctest runs *.sh only.
set -uo pipefail
Y=${YIMA_BIN:?YIMA_BIN must point at the yima binary}
TESTS=$(cd "$(dirname "$0")/.." && pwd) # tests/, found before we leave for $T
T=$(mktemp -d /tmp/yima-cli.XXXXXX)
# YIMA_KEEP=1 keeps the temp dir of a failed run, for a look at what failed.
trap 'if [[ -n ${YIMA_KEEP:-} && $FAILED -gt 0 ]]; then echo "kept $T" >&2; else rm -rf "$T"; fi' EXIT
cd "$T"
PASSED=0
FAILED=0

# fixed_key BASE N: the brand key pair BASE.key and BASE.pub from seed N, the
# same in every run, so checks that read symbols or text back (zbar, OCR)
# see the same codes every time and cannot pass or fail by the draw.
fixed_key() {
  printf '%064x\n' "$2" >"$1.seed" && chmod 600 "$1.seed" &&
    "$Y" keygen -o "$1" --seed-file "$1.seed" 2>/dev/null
}

ok() { PASSED=$((PASSED + 1)); }
bad() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }
# check NAME CMD...: CMD must succeed.
check() { local name=$1; shift; if "$@"; then ok; else bad "$name"; fi; }
# expect_exit NAME CODE CMD...: CMD must exit with CODE.
expect_exit() {
  local name=$1 want=$2; shift 2
  "$@"; local got=$?
  if [ "$got" -eq "$want" ]; then ok; else bad "$name (exit $got, wanted $want)"; fi
}
# expect_status NAME CODE CMD...: like expect_exit, keeping CMD's output in
# files and showing its start when the status is wrong.
expect_status() {
  local name=$1 want=$2 got=0
  shift 2
  "$@" >"$T/out" 2>"$T/err" || got=$?
  if [ "$got" -eq "$want" ]; then ok; else
    bad "$name: exit $got, want $want"
    head -5 "$T/out" "$T/err" >&2
  fi
}
# expect_error NAME STATUS PATTERN CMD...: CMD must exit with STATUS and
# print a stderr line matching PATTERN (grep).
expect_error() {
  local name=$1 want=$2 pattern=$3 rc=0
  shift 3
  "$@" >/dev/null 2>"$T/err" || rc=$?
  if [[ $rc != "$want" ]] || ! grep -q -- "$pattern" "$T/err"; then
    bad "$name: exit $rc, stderr: $(cat "$T/err")"
  else
    ok
  fi
}
# same NAME GOT WANT: string equality.
same() { if [ "$2" == "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi; }
# contains NAME FILE TEXT: FILE must contain TEXT.
contains() { if grep -qF -- "$3" "$2"; then ok; else bad "$1: '$3' not in $2: $(head -c 300 "$2")"; fi; }
finish() {
  # A store that could not be made in a $(store ...) subshell counts here.
  [[ -s $T/.store-failed ]] && bad "stores not made: $(tr '\n' ' ' <"$T/.store-failed")"
  echo "$1: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

# The store the link tests run against: SQLite files, or with
# YIMA_TEST_STORE=pg databases of a throwaway PostgreSQL cluster started
# here (pglib.bash; one that cannot start fails the test).
STORE_KIND=${YIMA_TEST_STORE:-sqlite}
case $STORE_KIND in
  sqlite) ;;
  pg) source "$TESTS/cli/pglib.bash" && pg_start ;;
  *) echo "YIMA_TEST_STORE is sqlite or pg, not '$STORE_KIND'" >&2; exit 2 ;;
esac
# is_pg STORE: STORE names a PostgreSQL database rather than an SQLite file.
is_pg() { [[ $1 == postgresql://* ]]; }
# store NAME: a new, empty store: "$T/NAME.db", or a fresh database's URL.
# Used in $(...): a failure is noted in a file that finish counts.
store() {
  if [[ $STORE_KIND != pg ]]; then echo "$T/$1.db"; return; fi
  "$PG_BINDIR/createdb" "$1" 2>>"$T/.store-failed.log" || { echo "$1" >>"$T/.store-failed"; return 3; }
  pg_url "$1"
}
# store_copy STORE NAME: a copy of STORE (no writer open on it) as store NAME,
# replacing any store NAME made before; prints its name.
store_copy() {
  if ! is_pg "$1"; then rm -f "$T/$2.db"; cp "$1" "$T/$2.db" && echo "$T/$2.db"; return; fi
  local from=${1#postgresql:///}
  from=${from%%\?*}
  "$PG_BINDIR/dropdb" --if-exists "$2" 2>>"$T/.store-failed.log" &&
    "$PG_BINDIR/createdb" -T "$from" "$2" 2>>"$T/.store-failed.log" ||
    { echo "$2" >>"$T/.store-failed"; return 3; }
  pg_url "$2"
}
# sql STORE QUERY: QUERY's rows as the sqlite3 shell prints them (fields
# joined by |), by sqlite3 or psql as the store is.
sql() {
  if is_pg "$1"; then
    "$PG_BINDIR/psql" -X -q -At -F '|' -v ON_ERROR_STOP=1 -d "$1" -c "$2"
  else
    sqlite3 "$1" "$2"
  fi
}
