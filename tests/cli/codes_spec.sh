#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The code format spec, yima-codes(5), is complete: tests/independent_verify.py,
# written from the man page alone, accepts what yima generates, rejects what it
# should, and the man page's worked examples are what yima produces today.
source "$(dirname "$0")/testlib.bash"
set -e
YIMA=$Y
ROOT=$(cd "$TESTS/.." && pwd)
PY=/usr/bin/python3 # Debian's, with python3-nacl; not a pyenv shim on PATH
IV=("$PY" "$TESTS/independent_verify.py")
MAN="$ROOT/man/yima-codes.5"

gen() { "$YIMA" gen -k fixed.key --no-ledger -q "$@"; }
damm_fix() { # CODE-WITHOUT-CHECK -> CODE with a recomputed check character
  "$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import independent_verify as v
t = sys.argv[2]; a = v.detect(t); c = v.damm_check_value(a, v.char_values(a, t))
print(t + (v.BASE32[c] if a == "base32" else str(c)))' "$TESTS" "$1"
}

# --- keys ----------------------------------------------------------------
printf '42%.0s' $(seq 32) >seed.hex
chmod 600 seed.hex
"$YIMA" keygen --seed-file seed.hex --id 7 -o fixed 2>keygen.err
"$YIMA" keygen --seed-file seed.hex -o auto 2>>keygen.err
same "derived key id" "$("${IV[@]}" --derive-id auto.pub)" "$(sed -n 's/^id //p' auto.pub)"
same "secret and public key agree" \
  "$(: >empty; "${IV[@]}" -p fixed.pub -k fixed.key empty && echo yes)" yes

# --- sig codes, both alphabets, all levels: public key only ---------------
: >all.tsv
for alphabet in base32 digits; do
  for level in item case pallet; do
    gen -b 3 --range 1000:60 --alphabet "$alphabet" --level "$level" -f tsv --header no \
      -o "sig-$alphabet-$level.tsv"
    cat "sig-$alphabet-$level.tsv" >>all.tsv
    cut -f4 "sig-$alphabet-$level.tsv" >codes
    expect_status "sig $alphabet $level, public key" 0 "${IV[@]}" -p fixed.pub -l "$level" codes
    same "sig $alphabet $level: all OK" "$(grep -c '^OK' "$T/out")" 60
    expect_status "sig $alphabet $level, wrong level" 1 "${IV[@]}" -p fixed.pub -l \
      "$([ "$level" = item ] && echo case || echo item)" codes
    same "sig $alphabet $level: all WRONG_LEVEL" "$(grep -c '^WRONG_LEVEL' "$T/out")" 60
  done
done
total=$(wc -l <all.tsv)
# With the secret key every serial inverts to the batch and index gen wrote.
cut -f4 all.tsv >codes
expect_status "sig codes, secret key" 0 "${IV[@]}" -k fixed.key codes
same "batch and index recovered" "$(cut -f3,4,5 "$T/out" | sort | md5sum)" \
  "$(awk -F'\t' '{print $2 "\t3\t" $1}' all.tsv | sort | md5sum)"

# A packed run: items, cases and pallets interleaved.
gen -b 2 -n 100 --pack 4,5 -f tsv -o pack.tsv
tail -n +2 pack.tsv | cut -f4 >codes
expect_status "packed run, secret key" 0 "${IV[@]}" -p fixed.pub -k fixed.key codes
same "packed run positions" "$(cut -f3,4,5 "$T/out" | md5sum)" \
  "$(tail -n +2 pack.tsv | awk -F'\t' '{print $2 "\t2\t" $1}' | md5sum)"
total=$((total + $(wc -l <codes)))

# --- mac, none and inner codes: need the secret -----------------------------
for alphabet in base32 digits; do
  for auth in mac none; do
    gen -n 50 --auth "$auth" --alphabet "$alphabet" >codes
    expect_status "$auth $alphabet, secret key" 0 "${IV[@]}" -k fixed.key codes
    same "$auth $alphabet: all OK" "$(grep -c '^OK' "$T/out")" 50
    expect_status "$auth $alphabet, public key only" 1 "${IV[@]}" -p fixed.pub codes
    same "$auth $alphabet: NEED_SECRET" "$(grep -c '^NEED_SECRET' "$T/out")" 50
    total=$((total + 50))
  done
  gen -b 5 -n 50 --inner --alphabet "$alphabet" -f tsv --header no -o "inner-$alphabet.tsv"
  cut -f4,6 "inner-$alphabet.tsv" >pairs
  expect_status "inner pairs $alphabet" 0 "${IV[@]}" -k fixed.key pairs
  paste <(cut -f4 "inner-$alphabet.tsv") <(cut -f6 "inner-$alphabet.tsv" | tail -n +2) | head -49 >pairs
  expect_status "shifted inner pairs $alphabet" 1 "${IV[@]}" -k fixed.key pairs
  same "shifted inner pairs: PAIR_MISMATCH" "$(grep -c '^PAIR_MISMATCH' "$T/out")" 49
  total=$((total + 100))
done

# --- tampering ---------------------------------------------------------------
for alphabet in base32 digits; do
  code=$(gen -b 1 -n 1 --alphabet "$alphabet")
  if [ "$alphabet" = base32 ]; then off=4 lvl=2; else off=6 lvl=3; fi
  body=${code%?}
  # A changed serial character without a new check: a typo.
  c=${body:off:1}
  [ "$c" = 1 ] && n=2 || n=1
  typo=${body:0:off}$n${body:off+1}${code: -1}
  printf '%s\n' "$typo" >codes
  expect_status "typo $alphabet" 1 "${IV[@]}" -p fixed.pub codes
  same "typo $alphabet: BAD_CHECK" "$(cut -f1 "$T/out")" BAD_CHECK
  # The same change with a recomputed check: a forgery.
  forged=$(damm_fix "${body:0:off}$n${body:off+1}")
  printf '%s\n' "$forged" >codes
  expect_status "changed serial $alphabet" 1 "${IV[@]}" -p fixed.pub codes
  same "changed serial $alphabet: BAD_SIGNATURE" "$(cut -f1 "$T/out")" BAD_SIGNATURE
  # Item (hdr 6) relabelled as a case (hdr 7), check recomputed.
  relabel=$(damm_fix "${body:0:lvl}7${body:lvl+1}")
  printf '%s\n' "$relabel" >codes
  expect_status "relabelled level $alphabet" 1 "${IV[@]}" -p fixed.pub codes
  same "relabelled level $alphabet: BAD_SIGNATURE" "$(cut -f1 "$T/out")" BAD_SIGNATURE
  # yima agrees on all three.
  printf '%s\n' "$typo" "$forged" "$relabel" >codes
  expect_status "yima verify rejects the tampered $alphabet codes" 1 "$YIMA" verify -q -p fixed.pub codes
  same "yima verify statuses $alphabet" "$(cut -f2 "$T/out" | tr '\n' ' ')" \
    "BAD_CHECK BAD_SIGNATURE BAD_SIGNATURE "
  # The genuine code passes both.
  printf '%s\n' "$code" >codes
  expect_status "genuine $alphabet" 0 "${IV[@]}" -p fixed.pub codes
done
# Lower case and Crockford aliases read as the canonical code.
code=$(gen -b 1 -n 1 --auth none)
alias=$(printf '%s' "$code" | tr '[:upper:]' '[:lower:]' | sed 's/0/o/g; s/1/l/g')
printf '%s\n' "$alias" >codes
expect_status "lower case and aliases" 0 "${IV[@]}" -k fixed.key codes
printf '%s\n' "${code:0:3}U${code:4}" >codes
expect_status "U is not base32" 1 "${IV[@]}" -k fixed.key codes
same "U: MALFORMED" "$(cut -f1 "$T/out")" MALFORMED

# --- manifest ------------------------------------------------------------------
gen -b 4 -n 1000 --pack 10,10 -f csv -t 'HTTPS://V.EXAMPLE.CN/{code}' -o batch.csv.gz
expect_status "manifest signature and hash" 0 "${IV[@]}" -p fixed.pub --manifest batch.csv.gz.manifest
printf 'x' >>batch.csv.gz
expect_status "altered data fails the manifest" 1 "${IV[@]}" -p fixed.pub --manifest batch.csv.gz.manifest

# --- the man page's worked examples ------------------------------------------
same "man page public key" "$(awk '/yima-example-pub/ {f=1; next} f && !/^\./ {print; exit}' "$MAN")" \
  "$(sed -n 's/^ed25519 //p' fixed.pub)"
examples=0
while IFS= read -r spec && IFS= read -r want; do
  field=${spec%% *}
  args=${spec#* }
  # shellcheck disable=SC2086
  got=$(gen $args -f tsv | tail -1 | cut -f"$field")
  same "man example: gen $args" "$got" "$want"
  examples=$((examples + 1))
  printf '%s\n' "$want" >codes
  expect_status "independent verifier accepts man example: $args" 0 "${IV[@]}" -k fixed.key codes
done < <(awk '/^\.\\" yima-example: / {sub(/^\.\\" yima-example: /, ""); spec=$0; next}
              spec != "" && !/^\./ {print spec; print; spec=""}' "$MAN")
if [ "$examples" -ge 6 ]; then ok; else bad "only $examples worked examples found in $MAN"; fi

echo "codes_spec: $total codes generated and checked"
finish codes_spec
