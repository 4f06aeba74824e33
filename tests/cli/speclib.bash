# SPDX-License-Identifier: MIT
# Sourced (after testlib.bash) by the tests that hold yima against the
# independent verifier written from yima-codes(5): codes_spec.sh (compact
# codes) and gs1_spec.sh (GS1 mode). Not a test itself: ctest runs *.sh only.
set -e
YIMA=$Y
ROOT=$(cd "$TESTS/.." && pwd)
PY=/usr/bin/python3 # Debian's, with python3-nacl; not a pyenv shim on PATH
IV=("$PY" "$TESTS/independent_verify.py")
MAN="$ROOT/man/yima-codes.5"
VEC=$TESTS/vectors

count() { grep -c "^$1	" "$2" || true; } # count STATUS FILE (independent verifier output)

# spec_keys: the page's test key (seed 32 x 0x42, id 7) as fixed.key/.pub and
# another brand's with the same id as other.key/.pub.
spec_keys() {
  printf '42%.0s' $(seq 32) >seed.hex
  printf '43%.0s' $(seq 32) >other.hex
  chmod 600 seed.hex other.hex
  "$YIMA" keygen --seed-file seed.hex --id 7 -o fixed
  "$YIMA" keygen --seed-file other.hex --id 7 -o other # another brand, same id
}

# agree NAME FILE KEYARGS...: yima verify and the independent verifier read
# every line of FILE alike. The sourcing test defines what is compared:
# yima_side KEYARGS... FILE prints yima's lines, iv_side filters the
# independent verifier's.
agree() {
  local name=$1 file=$2
  shift 2
  yima_side "$@" "$file" >agree.yima 2>agree.err || true
  "${IV[@]}" "$@" "$file" 2>>agree.err | iv_side >agree.iv || true
  if [ "$(wc -l <agree.yima)" -ne "$(wc -l <"$file")" ] || [ -s agree.err ]; then
    bad "$name: $(head -3 agree.err)"
    return
  fi
  if cmp -s agree.yima agree.iv; then ok; else
    bad "$name: the verifiers differ"
    diff agree.yima agree.iv | head -6 >&2 || true
  fi
}
