#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The code format spec, yima-codes(5), is complete: tests/independent_verify.py,
# written from the man page alone, accepts what yima generates in both code
# formats, rejects what it should with the statuses yima gives, and the man
# page's worked examples (codes, message bytes, check values, the scoped key)
# are what yima produces today.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/speclib.bash"

gen() { "$YIMA" gen -k fixed.key --no-ledger -q "$@"; }
# Code surgery with the independent verifier's own helpers, one line of
# standard input each (one Python start for many codes):
#   raw CODE                  CODE as it is
#   trunc CODE K              drop the first K characters of the tag, new check
#   set CODE POS C [POS C]..  character POS becomes C, new check
#   lower CODE                lower case, 0 as o and 1 as l (aliases)
tools() {
  "$PY" -c '
import sys
sys.path.insert(0, sys.argv[1])
import independent_verify as v
def fix(t):
    a = v.detect(t)
    c = v.damm_check_value(a, v.char_values(a, t))
    return t + (v.BASE32[c] if a == "base32" else str(c))
for line in sys.stdin:
    op, code, *args = line.split()
    if op == "raw":
        print(code)
    elif op == "trunc":
        st, info = v.parse_as(v.detect(code), code)
        start = info["off"] + info["serial_len"]
        print(fix(code[:start] + code[start + int(args[0]):-1]))
    elif op == "set":
        for pos, char in zip(args[0::2], args[1::2]):
            code = fix(code[:int(pos)] + char + code[int(pos) + 1:-1])
        print(code)
    elif op == "lower":
        print(code.lower().replace("0", "o").replace("1", "l"))
' "$TESTS"
}
tool() { printf '%s\n' "$*" | tools; }
# For agree: every line's status and code (yima without its clone check).
yima_side() { "$YIMA" verify -q --no-duplicates "$@" | cut -f2,3; }
iv_side() { cut -f1,2; }

# --- keys ----------------------------------------------------------------
{
  spec_keys
  "$YIMA" keygen --seed-file seed.hex -o auto
  "$YIMA" keygen --scope 1,1048575 -k fixed.key -o line
} 2>keygen.err
same "derived key id" "$("${IV[@]}" --derive-id auto.pub)" "$(sed -n 's/^id //p' auto.pub)"
same "secret and public key agree" \
  "$(: >empty; "${IV[@]}" -p fixed.pub -k fixed.key empty && echo yes)" yes
same "keygen --scope writes the frozen scoped key" "$(cat line.key)" "$(cat "$VEC/scoped-1-1048575.key")"

# --- SipHash: the man page's definition, written out in Python, is libsodium's
sip_vectors=$("$PY" - "$TESTS" <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import independent_verify as v
import nacl.encoding, nacl.hash
raw = nacl.encoding.RawEncoder
bad = 0
for n in list(range(0, 41)) + [255, 256, 1000]:
    k, m = os.urandom(16), os.urandom(n)
    bad += v.siphash(k, m, 8) != nacl.hash.siphash24(m, key=k, encoder=raw)
    bad += v.siphash(k, m, 16) != nacl.hash.siphashx24(m, key=k, encoder=raw)
print(bad)
EOF
)
same "pure-Python SipHash-2-4 (64 and 128) equals libsodium's" "$sip_vectors" 0
k=000102030405060708090a0b0c0d0e0f m=000102030405060708090a0b0c0d0e
contains "man page SipHash-64 vector" "$MAN" "$("${IV[@]}" --siphash $k $m 64)"
contains "man page SipHash-128 vector" "$MAN" "$("${IV[@]}" --siphash $k $m 128)"
contains "man page SipHash-128 vector, empty" "$MAN" "$("${IV[@]}" --siphash $k '' 128)"

# --- sig codes, both formats and alphabets, all levels: public key only -------
: >all.tsv
for fmt in 1 2; do
  for alphabet in base32 digits; do
    for level in item case pallet; do
      gen -b 3 --range 1000:30 --code-format "$fmt" --alphabet "$alphabet" --level "$level" \
        -f tsv --header no -o "sig-$fmt-$alphabet-$level.tsv"
      cat "sig-$fmt-$alphabet-$level.tsv" >>all.tsv
      cut -f4 "sig-$fmt-$alphabet-$level.tsv" >codes
      expect_status "sig f$fmt $alphabet $level, public key" 0 "${IV[@]}" -p fixed.pub -l "$level" codes
      same "sig f$fmt $alphabet $level: all OK" "$(count OK "$T/out")" 30
      expect_status "sig f$fmt $alphabet $level, wrong level" 1 "${IV[@]}" -p fixed.pub -l \
        "$([ "$level" = item ] && echo case || echo item)" codes
      same "sig f$fmt $alphabet $level: all WRONG_LEVEL" "$(count WRONG_LEVEL "$T/out")" 30
    done
  done
done
total=$(wc -l <all.tsv)
# With the secret key every serial decodes to the batch and index gen wrote.
cut -f4 all.tsv >codes
expect_status "sig codes, secret key" 0 "${IV[@]}" -k fixed.key codes
same "batch and index recovered" "$(cut -f3,4,5 "$T/out" | sort | md5sum)" \
  "$(awk -F'\t' '{print $2 "\t3\t" $1}' all.tsv | sort | md5sum)"
# A scoped key decodes format-2 serials of any batch, but not format-1 ones.
expect_status "sig codes, scoped key" 0 "${IV[@]}" -k line.key codes
same "scoped key: format-2 positions only" "$(awk -F'\t' 'NF == 5' "$T/out" | wc -l)" $((total / 2))
agree "sig codes of both formats, scoped key" codes -k line.key

# A packed run: items, cases and pallets interleaved.
gen -b 2 -n 100 --pack 4,5 -f tsv -o pack.tsv
tail -n +2 pack.tsv | cut -f4 >codes
expect_status "packed run, secret key" 0 "${IV[@]}" -p fixed.pub -k fixed.key codes
same "packed run positions" "$(cut -f3,4,5 "$T/out" | md5sum)" \
  "$(tail -n +2 pack.tsv | awk -F'\t' '{print $2 "\t2\t" $1}' | md5sum)"
total=$((total + $(wc -l <codes)))

# --- mac, none and inner codes: every format, alphabet and level ------------
for fmt in 1 2; do
  for alphabet in base32 digits; do
    for auth in mac none; do
      : >codes
      for level in item case pallet; do
        gen -b 1 -n 20 --code-format "$fmt" --auth "$auth" --alphabet "$alphabet" --level "$level" >>codes
      done
      name="f$fmt $auth $alphabet"
      expect_status "$name, secret key" 0 "${IV[@]}" -k fixed.key codes
      same "$name: all OK" "$(count OK "$T/out")" 60
      expect_status "$name, public key only" 1 "${IV[@]}" -p fixed.pub codes
      same "$name: NEED_SECRET" "$(count NEED_SECRET "$T/out")" 60
      if [ "$fmt" = 2 ]; then
        expect_status "$name, scoped key in scope" 0 "${IV[@]}" -k line.key codes
      else
        expect_status "$name, scoped key cannot check format 1" 1 "${IV[@]}" -k line.key codes
        same "$name, scoped key: NEED_SECRET" "$(count NEED_SECRET "$T/out")" 60
      fi
      agree "$name, scoped key" codes -k line.key
      total=$((total + 60))
    done
    gen -b 5 -n 30 --code-format "$fmt" --inner --alphabet "$alphabet" -f tsv --header no \
      -o "inner-$fmt-$alphabet.tsv"
    cut -f4,6 "inner-$fmt-$alphabet.tsv" >pairs
    expect_status "inner pairs f$fmt $alphabet" 0 "${IV[@]}" -k fixed.key pairs
    paste <(cut -f4 "inner-$fmt-$alphabet.tsv") <(cut -f6 "inner-$fmt-$alphabet.tsv" | tail -n +2) |
      head -29 >pairs
    expect_status "shifted inner pairs f$fmt $alphabet" 1 "${IV[@]}" -k fixed.key pairs
    same "shifted inner pairs f$fmt: PAIR_MISMATCH" "$(count PAIR_MISMATCH "$T/out")" 29
    total=$((total + 60))
  done
done

# --- scoped keys: OK inside the scope, OUT_OF_SCOPE outside -------------------
for b in 1 2 1048575 1048576; do
  for alphabet in base32 digits; do
    gen -b "$b" --range 4294967290:3 --auth mac --alphabet "$alphabet"
    gen -b "$b" -n 3 --auth none --alphabet "$alphabet" --level case
    gen -b "$b" -n 3 --inner --alphabet "$alphabet" -f tsv --header no | cut -f6
    gen -b "$b" -n 3 --auth sig --alphabet "$alphabet" --level pallet
  done
done >scoped.txt
expect_status "scoped key: codes of four batches" 1 "${IV[@]}" -k line.key scoped.txt
same "scoped key: in scope and sig codes OK" "$(count OK "$T/out")" $((2 * 2 * 12 + 2 * 2 * 3))
same "scoped key: mac, none, inner of other batches OUT_OF_SCOPE" \
  "$(count OUT_OF_SCOPE "$T/out")" $((2 * 2 * 9))
same "scoped key: out-of-scope batches named" \
  "$(grep '^OUT_OF_SCOPE' "$T/out" | cut -f4 | sort -u | tr '\n' ' ')" "1048576 2 "
agree "scoped key on four batches" scoped.txt -k line.key
agree "scoped key and public key" scoped.txt -k line.key -p fixed.pub
agree "secret key on four batches" scoped.txt -k fixed.key
# gen with the line key makes the same codes in scope and refuses others.
"$YIMA" gen -k line.key --no-ledger -q -b 1048575 -n 3 --auth none --level case >mine
same "line key makes the brand's codes" "$(cat mine)" \
  "$(gen -b 1048575 -n 3 --auth none --level case)"
expect_status "line key refuses batch 2" 3 "$YIMA" gen -k line.key --no-ledger -q -b 2 -n 1 --auth mac
total=$((total + $(wc -l <scoped.txt)))

# --- several keys with one id: each is tried --------------------------------
{
  gen -b 1 -n 5 --auth mac
  gen -b 1 -n 5 --auth none
  gen -b 1 -n 5 --auth sig --alphabet digits
  "$YIMA" gen -k other.key --no-ledger -q -b 1 -n 5 --auth mac
  "$YIMA" gen -k other.key --no-ledger -q -b 1 -n 5 --auth none --alphabet digits
  "$YIMA" gen -k other.key --no-ledger -q -b 1 -n 5 --auth sig
} >shared.txt
expect_status "two brands with id 7, both secret keys" 0 "${IV[@]}" -k other.key -k fixed.key shared.txt
same "two brands: every code OK" "$(count OK "$T/out")" 30
expect_status "two brands with id 7, both public keys" 1 "${IV[@]}" -p other.pub -p fixed.pub shared.txt
same "two brands, public keys: sig codes OK" "$(count OK "$T/out")" 10
for keys in "-k other.key -k fixed.key" "-p other.pub -p fixed.pub" "-k other.key" \
  "-k other.key -k line.key" "-p other.pub -k line.key" "-p fixed.pub -k other.key"; do
  # shellcheck disable=SC2086
  agree "id 7 shared, keys $keys" shared.txt $keys
  # shellcheck disable=SC2086
  agree "id 7 shared, keys $keys, level case" shared.txt $keys -l case
done

# --- a mixed file: genuine, tampered, truncated, relabelled, malformed --------
: >ops
op() { printf '%s\n' "$*" >>ops; }
for alphabet in base32 digits; do
  if [ "$alphabet" = base32 ]; then off=4 hp=2; else off=6 hp=3; fi
  for fmt in 1 2; do
    for auth in sig mac none; do
      code=$(gen -b 1 -n 1 --code-format "$fmt" --auth "$auth" --alphabet "$alphabet")
      op raw "$code"
      body=${code%?}
      c=${body:off+2:1}
      [ "$c" = 1 ] && n=2 || n=1
      op raw "${body:0:off+2}$n${body:off+3}${code: -1}" # a typo: BAD_CHECK
      op set "$code" $((off + 2)) "$n"                   # changed serial, new check
      op set "$code" $((${#code} - 2)) "$n"              # changed last tag character
      op set "$code" 1 8                                 # another key id
      op set "$code" 0 9                                 # key id 9xx: unknown
    done
    # Relabelled level (item -> case) and relabelled auth (sig -> mac), check fixed.
    code=$(gen -b 1 -n 1 --code-format "$fmt" --alphabet "$alphabet")
    if [ "$alphabet" = base32 ] && [ "$fmt" = 2 ]; then up=Q mac=K; else up=7 mac=3; fi
    op set "$code" "$hp" "$up"
    op set "$code" "$hp" "$mac"
    # Long mac tags, then every shorter spelling: format 1 accepts them all
    # (OK), format 2 authenticates the tag length (BAD_MAC).
    code=$(gen -b 1 -n 1 --code-format "$fmt" --auth mac --alphabet "$alphabet" \
      --mac-len "$([ "$alphabet" = base32 ] && echo 25 || echo 38)")
    op raw "$code"
    for k in 1 2 5 9 17; do op trunc "$code" "$k"; done
    # A format-2 mark that does not exist (base32 hdr 10 'A' or 26 'T';
    # digits len 40 and 99), and the other format's mark on the same code.
    code=$(gen -b 1 -n 1 --code-format "$fmt" --auth mac --alphabet "$alphabet")
    if [ "$alphabet" = base32 ]; then
      op set "$code" 2 A
      op set "$code" 2 T
      op set "$code" 2 "$([ "$fmt" = 2 ] && echo 3 || echo K)"
    else
      op set "$code" 4 4 5 0
      op set "$code" 4 9 5 9
      op set "$code" 4 "$([ "$fmt" = 2 ] && echo 2 || echo 7)"
    fi
  done
done
# Lower case and Crockford aliases, and a U (not base32).
code=$(gen -b 1 -n 1 --auth none)
op lower "$code"
op raw "${code:0:5}U${code:6}"
op lower "$(gen -b 1 -n 1 --auth mac --code-format 1)"
tools <ops >mixed.txt
same "mixed file complete" "$(wc -l <mixed.txt)" "$(wc -l <ops)"
for keys in "-k fixed.key" "-p fixed.pub" "-k line.key" "-k line.key -p fixed.pub" \
  "-k other.key -p fixed.pub" "-k fixed.key -l case"; do
  # shellcheck disable=SC2086
  agree "mixed file, keys $keys" mixed.txt $keys
done
"${IV[@]}" -k fixed.key mixed.txt >mixed.iv || true
for st in OK BAD_CHECK BAD_SIGNATURE BAD_MAC BAD_SERIAL MALFORMED UNKNOWN_KEY; do
  if grep -q "^$st	" mixed.iv; then ok; else bad "mixed file has no $st line"; fi
done
# Format-2 truncations are BAD_MAC, format-1 truncations OK.
trunc_status() { # FORMAT ALPHABET K
  local c
  c=$(gen -b 1 -n 1 --code-format "$1" --auth mac --alphabet "$2" \
    --mac-len "$([ "$2" = base32 ] && echo 25 || echo 38)")
  tool trunc "$c" "$3" >one
  "$YIMA" verify -q -k fixed.key one | cut -f2
  "${IV[@]}" -k fixed.key one | cut -f1
}
same "format-2 truncated tag" "$(trunc_status 2 base32 9 | tr '\n' ' ')" "BAD_MAC BAD_MAC "
same "format-1 truncated tag" "$(trunc_status 1 base32 9 | tr '\n' ' ')" "OK OK "
same "format-2 truncated digits tag" "$(trunc_status 2 digits 20 | tr '\n' ' ')" "BAD_MAC BAD_MAC "
same "format-1 truncated digits tag" "$(trunc_status 1 digits 20 | tr '\n' ' ')" "OK OK "
# Clones: every spelling of one code is that code (identity), in both verifiers.
code=$(gen -b 1 -n 1 --auth mac --code-format 1 --mac-len 25)
printf '%s\n' "raw $code" "trunc $code 4" "lower $code" "raw $(gen -b 1 -n 1 --auth mac)" |
  tools >clones
"$YIMA" verify -q -k fixed.key clones >clones.yima || true
"${IV[@]}" -k fixed.key --duplicates clones >clones.iv || true
same "clones: yima verify" "$(cut -f2 clones.yima | tr '\n' ' ')" "OK DUPLICATE DUPLICATE DUPLICATE "
same "clones: independent verifier" "$(cut -f1 clones.iv | tr '\n' ' ')" \
  "OK DUPLICATE DUPLICATE DUPLICATE "
total=$((total + $(wc -l <mixed.txt)))

# --- the ledger: only issued positions pass --------------------------------------
lgen() { "$YIMA" gen -k fixed.key -q "$@"; } # records the run in fixed.ledger
{
  lgen -b 1 --range 10:4 --auth none
  lgen -b 1 --range 10:3 --auth mac --level case
  lgen -b 1 -n 3 --inner -f tsv --header no | cut -f6
  gen -b 1 --range 14:2 --auth none            # never recorded
  gen -b 1 --range 10:2 --auth none --level pallet
  gen -b 1 --range 3:2 --inner -f tsv --header no | cut -f6
  gen -b 1 --range 20:2 --auth sig             # never recorded either
  gen -b 1 -n 2 --auth none --code-format 1    # items 0 and 1: recorded by --inner
} >issued.txt
expect_status "ledger: independent verifier" 1 "${IV[@]}" -k fixed.key --ledger fixed.ledger issued.txt
same "ledger: issued codes OK, others NOT_ISSUED" "$(cut -f1 "$T/out" | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" \
  "10OK 8NOT_ISSUED 2OK "
for keys in "-k fixed.key" "-k line.key" "-k line.key -p fixed.pub"; do
  # shellcheck disable=SC2086
  agree "ledger, keys $keys" issued.txt $keys --ledger fixed.ledger
done
total=$((total + $(wc -l <issued.txt)))

# --- codes in payloads ----------------------------------------------------------
code=$(gen -b 1 -n 1 --auth mac)
digits=$(gen -b 1 -n 1 --auth mac --alphabet digits)
cat >payloads <<EOF
https://v.example.cn/$code
https://v.example.cn:8443/p/$code?src=qr#top
HTTPS://user@V.EXAMPLE.CN:8443/$code#frag
https://v.example.cn/$code?campaign=A1B2C3D4E5F6G7H8J9K0M1N2P3Q4R5S6T7
https://v.example.cn/$code-$code
https://v.example.cn/q?c=$digits&x=1
https://$code.example.cn/
https://$code.example.cn
v.example.cn/$code
$code.
https://v.example.cn/--/?#
EOF
agree "payloads" payloads -k fixed.key
same "payload: port, query and fragment skipped" "$(sed -n 2p agree.iv | cut -f1,2)" "OK	$code"
same "payload: a longer query parameter wins" "$(sed -n 4p agree.iv | cut -f2)" \
  "A1B2C3D4E5F6G7H8J9K0M1N2P3Q4R5S6T7"
same "payload: ties go to the first run" "$(sed -n 5p agree.iv | cut -f1)" "OK"
same "payload: the host is never the code" "$(sed -n 7p agree.iv | cut -f1)" "MALFORMED"
printf '%s\n' "https://v.example.cn/$code" "HTTPS://V.EXAMPLE.CN/$code" \
  "https://v.example.cn/$code/" "https://other.example/$code" >templated
agree "template" templated -k fixed.key -t 'HTTPS://V.EXAMPLE.CN/{code}'
same "template statuses" "$(cut -f1 agree.iv | tr '\n' ' ')" "OK OK MALFORMED MALFORMED "

# --- the frozen vectors: every row --------------------------------------------
for vec in codes.tsv codes2.tsv; do
  grep -v '^#' "$VEC/$vec" >rows
  cut -f7 rows >codes
  expect_status "$vec: independent verifier, secret key" 0 "${IV[@]}" -k fixed.key codes
  same "$vec: every row OK" "$(count OK "$T/out")" "$(wc -l <rows)"
  same "$vec: level, batch and index" "$(cut -f3,4,5 "$T/out")" \
    "$(awk -F'\t' '{print ($6 == "inner" ? "item" : $3) "\t" $4 "\t" $5}' rows)"
  agree "$vec: public key" codes -p fixed.pub
  agree "$vec: scoped key" codes -k line.key
  agree "$vec: secret key" codes -k fixed.key
  total=$((total + $(wc -l <rows)))
done
expect_status "codes2.tsv: the scoped key verifies every row" 0 "${IV[@]}" -k line.key codes
same "codes2.tsv: format 2 throughout" \
  "$("${IV[@]}" -k fixed.key --explain codes | grep -c '^  format 2$')" "$(wc -l <codes)"

# --- manifest ------------------------------------------------------------------
gen -b 4 -n 1000 --pack 10,10 -f csv -t 'HTTPS://V.EXAMPLE.CN/{code}' -o batch.csv.gz
expect_status "manifest signature and hash" 0 "${IV[@]}" -p fixed.pub --manifest batch.csv.gz.manifest
printf 'x' >>batch.csv.gz
expect_status "altered data fails the manifest" 1 "${IV[@]}" -p fixed.pub --manifest batch.csv.gz.manifest

# --- the man page's worked examples ------------------------------------------
same "man page public key" "$(awk '/yima-example-pub/ {f=1; next} f && !/^\./ {print; exit}' "$MAN")" \
  "$(sed -n 's/^ed25519 //p' fixed.pub)"
same "man page scoped key file" \
  "$(awk '/yima-example-scoped-key/ {f=1; next} f && /^\.EE/ {exit} f && !/^\./' "$MAN" | sed 's/\\-/-/g')" \
  "$(cat line.key)"
subkeys=$("$PY" - "$TESTS" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import independent_verify as v
seed = bytes([0x42]) * 32
for i, n in [(1, 32), (2, 16), (3, 16), (4, 16), (5, 16)]:
    print("subkey %d  %s" % (i, v.kdf(seed, i, n).hex()))
EOF
)
while IFS= read -r line; do contains "man page: $line" "$MAN" "$line"; done <<<"$subkeys"
examples=0
while IFS= read -r spec && IFS= read -r want; do
  kind=${spec%%: *}
  spec=${spec#*: }
  field=${spec%% *}
  args=${spec#* }
  # shellcheck disable=SC2086
  got=$(gen $args -f tsv | tail -1 | cut -f"$field")
  same "man example: gen $args" "$got" "$want"
  if [ "$kind" = scoped ]; then
    # shellcheck disable=SC2086
    got=$("$YIMA" gen -k line.key --no-ledger -q $args -f tsv | tail -1 | cut -f"$field")
    same "man example: gen -k line.key $args" "$got" "$want"
  fi
  examples=$((examples + 1))
  printf '%s\n' "$want" >codes
  expect_status "independent verifier accepts man example: $args" 0 "${IV[@]}" -k fixed.key \
    --explain codes
  # What the page shows of it: the signature of both formats and, in format
  # 2, the message bytes, serial decoding, batch key, SipHash output and check value.
  awk -v f2="$(grep -c '^  format 2$' "$T/out" || true)" '
    $1 == "signature" {print substr($2, 1, 64); print substr($2, 65)}
    f2 && ($1 == "message" || $1 == "siphash128" || $1 == "K_b") {print $2}
    f2 && $1 == "y" {sub(/^  /, ""); print}
    f2 && $1 == "check-value" {sub(/:$/, "", $4); print $2 "  ->  " $4}' "$T/out" >shown
  while IFS= read -r line; do contains "man example $args shows $line" "$MAN" "$line"; done <shown
done < <(awk '/^\.\\" yima-example(-scoped)?: / {kind = ($2 ~ /scoped/) ? "scoped" : "plain";
                sub(/^\.\\" yima-example(-scoped)?: /, ""); spec = kind ": " $0; next}
              spec != "" && !/^\./ {print spec; print; spec=""}' "$MAN")
if [ "$examples" -ge 12 ]; then ok; else bad "only $examples worked examples found in $MAN"; fi

echo "codes_spec: $total codes generated and checked"
finish codes_spec
