# SPDX-License-Identifier: MIT
# Sourced by tests/cli/*.sh: a temp dir, pass/fail counting and a closing
# "NAME: N passed, M failed" line. Not a test itself (no .sh suffix match
# needed: ctest runs only files that call finish).
set -uo pipefail
Y=${YIMA_BIN:?YIMA_BIN must point at the yima binary}
T=$(mktemp -d /tmp/yima-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
PASSED=0
FAILED=0

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
# contains NAME FILE TEXT: FILE must contain TEXT.
contains() { if grep -qF -- "$3" "$2"; then ok; else bad "$1: '$3' not in $2: $(head -c 300 "$2")"; fi; }
finish() {
  echo "$1: $PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}
