#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two brands' keys with one key id, given to yima link together: each code
# is checked against every key with its id. (0.1: the second -p made
# yima_keyring_add fail and free the key, then cmd/link.c freed it again:
# exit 139.)
source "$(dirname "$0")/testlib.bash"
code() { "$Y" gen -k "$1" -b 1 --range "$2":1 --no-ledger -q "${@:3}"; }

for b in a b c; do
    expect_status "keygen $b --id 5" 0 "$Y" keygen -o "$T/$b" --id 5
done
A=$(code "$T/a.key" 0) B=$(code "$T/b.key" 0) C=$(code "$T/c.key" 0)
S=$(store s)
expect_status "sig code of a, keys a and b" 0 \
    "$Y" link -s "$S" -p "$T/a.pub" -p "$T/b.pub" commission "$A" P L1
expect_status "sig code of b, keys a and b" 0 \
    "$Y" link -s "$S" -p "$T/a.pub" -p "$T/b.pub" commission "$B" P L1
expect_status "sig code of c, keys a and b: refused" 1 \
    "$Y" link -s "$S" -p "$T/b.pub" -p "$T/a.pub" commission "$C" P L1
contains "code of c: refused as forged" "$T/err" "BAD_SIGNATURE"
# The same key twice is no error either.
expect_status "one key twice" 0 \
    "$Y" link -s "$S" -p "$T/a.pub" -p "$T/a.pub" -k "$T/a.key" commission "$(code "$T/a.key" 1)" P L1
# Secret keys with one id: mac codes of either brand.
MA=$(code "$T/a.key" 2 --auth mac) MB=$(code "$T/b.key" 2 --auth mac)
printf 'COMMISSION\t%s\tP\tL2\nCOMMISSION\t%s\tP\tL2\n' "$MA" "$MB" >"$T/mac.tsv"
expect_status "mac codes of a and b, secret keys a and b" 0 \
    "$Y" link -s "$S" -k "$T/b.key" -k "$T/a.key" import "$T/mac.tsv"
contains "both mac codes applied" "$T/err" "2 events: 2 applied"
finish link_keys
