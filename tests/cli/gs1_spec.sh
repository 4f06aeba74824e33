#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima-codes(5)'s GS1 MODE specifies GS1 codes completely: the independent
# verifier (tests/independent_verify.py, written from the man page and GS1's
# public rules, never from lib/gs1) accepts what yima gen --gs1 writes in every
# spelling (HRI, RAW with GS after a symbology identifier, Digital Link),
# gives tampered codes the statuses yima verify gives, with the secret key,
# the public key and line keys, decodes the same batch and index, and
# recomputes the values the page's worked examples print.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/speclib.bash"
GS=$'\x1d'

ggen() {
  "$YIMA" gen -k fixed.key --no-ledger -q --gs1 --gtin 09506000134352 --gcp 9506000 \
    --lot L1 --expiry 271231 "$@"
}
# column NAME FILE: one column of a gen tsv with a header row, by name.
column() {
  awk -F'\t' -v name="$1" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == name) c = i; next}
    c {print $c}' "$2"
}
# For agree: yima verify's results as the independent verifier prints them,
# STATUS CODE [level batch index], control bytes of the code as \xNN.
yima_side() {
  "$YIMA" verify -q --no-duplicates --json "$@" | "$PY" -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    if "status" not in r:
        continue
    code = "".join(c if " " <= c < "\x7f" else "\\x%02x" % ord(c) for c in r["code"])
    pos = "\t%s\t%d\t%d" % (r["level"], r["batch"], r["index"]) if "batch" in r else ""
    print("%s\t%s%s" % (r["status"], code, pos))'
}
iv_side() { cat; }
statuses() { cut -f1 "$1" | sort | uniq -c | awk '{printf "%s%s ", $1, $2}'; }

# Code surgery, one line of standard input each: OP FORM-INDEPENDENT CODE.
#   lot, expiry        another lot (L2) or expiry (271230)
#   serial             a changed character in AI 21 (its Damm check then fails)
#   serialfix          the same with the Damm character recomputed
#   tag                a changed character of AI 8030 or 92 after the header
#   gtin               a wrong GTIN check digit
#   sscc               a changed SSCC digit, GS1 check digit recomputed
#   dlswap             Digital Link with /21 before /10
# The line is printed changed, or unchanged if the op does not apply.
tools() {
  "$PY" -c '
import re, sys
sys.path.insert(0, sys.argv[1])
import independent_verify as v

def spans(code):
    """{ai: (start, end)} of each value, in any of the three spellings."""
    out = {}
    if "://" in code:
        for m in re.finditer(r"/(\d{2,4})/([^/?#]*)", code):
            out.setdefault(m.group(1), m.span(2))
        for m in re.finditer(r"[?&](\d{2,4})=([^&#]*)", code):
            out.setdefault(m.group(1), m.span(2))
    elif code.startswith("("):
        for m in re.finditer(r"\((\d{2,4})\)([^(]*)", code):
            out[m.group(1)] = m.span(2)
    else:
        i = 3 if code.startswith("]") else 0
        i += code[i:i + 1] == v.GS
        while i < len(code):
            ai = v.gs1_match_ai(code, i)
            i += len(ai)
            end = i + v.GS1_AIS[ai][1][1] if v.GS1_AIS[ai][0] else \
                (code.find(v.GS, i) if v.GS in code[i:] else len(code))
            out[ai] = (i, end)
            i = end + (code[end:end + 1] == v.GS)
    return out

def edit(code, ai, fn):
    sp = spans(code).get(ai)
    if sp is None:
        return code
    return code[:sp[0]] + fn(code[sp[0]:sp[1]]) + code[sp[1]:]

def other(c, chars):
    return chars[(chars.index(c) + 1) % len(chars)] if c in chars else chars[0]

def damm(body):
    return body + v.BASE32[v.damm_check_value("base32", [v.BASE32.index(c) for c in body])]

def sscc(s):
    s = s[:10] + other(s[10], "0123456789") + s[11:17]
    return s + str(v.gs1_check_digit(s))

b64 = v.B64URL
ops = {
    "lot": lambda c: edit(c, "10", lambda s: "L2"),
    "expiry": lambda c: edit(c, "17", lambda s: "271230"),
    "serial": lambda c: edit(c, "21", lambda s: s[:8] + other(s[8], v.BASE32) + s[9:]),
    "serialfix": lambda c: edit(c, "21", lambda s: damm(s[:8] + other(s[8], v.BASE32) + s[9:-1])),
    "tag": lambda c: edit(edit(c, "8030", lambda s: s[:9] + other(s[9], b64) + s[10:]), "92",
                          lambda s: s[:6] + other(s[6], b64) + s[7:] if len(s) > 6 else s[:3] + "x"),
    "gtin": lambda c: edit(c, "01", lambda s: s[:13] + other(s[13], "0123456789")),
    "sscc": lambda c: edit(c, "00", sscc),
    "dlswap": lambda c: re.sub(r"/10/([^/]*)/21/([^/?]*)", r"/21/\2/10/\1", c),
}
for line in sys.stdin:
    op, code = line.rstrip("\n").split(" ", 1)
    print(ops[op](code))
' "$TESTS"
}

# --- keys: the page's test key, another brand with the same id, line keys ------
{
  spec_keys
  "$YIMA" keygen --scope 5 -k fixed.key -o line5
  "$YIMA" keygen --scope 6 -k fixed.key -o line6
  "$YIMA" keygen --scope 5,6,7 -k fixed.key -o line567
} 2>keygen.err

# --- the frozen vectors -----------------------------------------------------------
grep -v '^#' "$VEC/gs1.tsv" >rows
cut -f5 rows >vec.txt
expect_status "gs1.tsv: independent verifier, secret key" 0 "${IV[@]}" -k fixed.key vec.txt
same "gs1.tsv: every row OK" "$(count OK "$T/out")" "$(wc -l <rows)"
same "gs1.tsv: level, batch and index" "$(cut -f3,4,5 "$T/out")" "$(cut -f1,3,4 rows)"
expect_status "gs1.tsv: a line key of batches 5 to 7" 0 "${IV[@]}" -k line567.key vec.txt
for keys in "-k fixed.key" "-p fixed.pub" "-k line567.key" "-k line5.key" "-k line6.key -p fixed.pub" \
  "-k other.key" "-k fixed.key -l pallet"; do
  # shellcheck disable=SC2086
  agree "gs1.tsv, keys $keys" vec.txt $keys
done
expect_status "gs1.tsv: public key" 1 "${IV[@]}" -p fixed.pub vec.txt
same "gs1.tsv, public key: sig OK, the others NEED_SECRET" "$(statuses "$T/out")" "6NEED_SECRET 3OK "

# --- the page's worked examples ------------------------------------------------
# The page as text: roff escapes resolved, one line, white space collapsed.
sed -e 's/\\-/-/g' -e 's/\\(mu/\xc3\x97/g' "$MAN" | tr '\n' ' ' | tr -s ' \t' '  ' >page.txt
flat() { tr -s ' ' <<<"$1"; }
examples=0
while IFS= read -r spec && IFS= read -r code; do
  read -r level auth batch index <<<"$spec"
  printf '%s\n' "$code" >one
  expect_status "man example $spec: independent verifier" 0 "${IV[@]}" -k fixed.key --explain one
  same "man example $spec: position" "$(head -1 "$T/out" | cut -f3-)" "$level	$batch	$index"
  contains "man example $spec is a frozen vector" "$VEC/gs1.tsv" "$level	$auth	$batch	$index	$code"
  # Every value the page prints beside the code is what the verifier computes.
  # (The page prints the canonical string and K_b of the item example only.)
  grep -v -e '^OK' -e '^  message ' -e '^  batch ' "$T/out" | sed 's/^  //' |
    { if [ "$level" = item ]; then cat; else grep -v -e '^canon ' -e '^K_'; fi; } >shown
  [ -s shown ] || bad "man example $spec: nothing explained"
  while IFS= read -r line; do contains "man example $spec shows: $line" page.txt "$(flat "$line")"; done <shown
  args=(--level "$level")
  [ "$level" != item ] || args=(--gtin 09506000134352 --lot LOT-7A --expiry 271231)
  got=$("$YIMA" gen -k fixed.key --no-ledger -q --gs1 --gcp 9506000 "${args[@]}" --auth "$auth" \
    -b "$batch" --range "$index:1" 2>&1 | tail -1) || true
  same "man example $spec: yima gen writes it" "$got" "$code"
  examples=$((examples + 1))
done < <(awk '/^\.\\" yima-example-gs1: / {sub(/^\.\\" yima-example-gs1: /, ""); spec = $0; next}
              spec != "" && !/^\./ {print spec; print; spec = ""}' "$MAN" | sed 's/\\-/-/g')
if [ "$examples" -ge 2 ]; then ok; else bad "only $examples GS1 worked examples found in $MAN"; fi
# The Digital Link spelling and the sig item of the first example.
item=$(awk -F'\t' '$1 == "item" && $2 == "mac" {print $5}' rows)
dl=$(grep -o 'https://id\.example\.com/01/[^ ]*' page.txt | head -1)
page=$(cat page.txt)
rest=${page#*AI 21 is }
sig21=${rest%% *}
sig8030=$(for w in ${page#*and AI 8030 is }; do [[ $w == .* ]] || { echo "$w"; break; }; done)
sigitem="${item%%(21)*}(21)$sig21(8030)$sig8030"
printf '%s\n' "$item" "$dl" "$sigitem" >examples.txt
expect_status "man page: HRI, Digital Link and sig item" 0 "${IV[@]}" -k fixed.key examples.txt
same "man page: one item, three spellings" "$(cut -f3- "$T/out" | sort -u)" "item	5	1000"
contains "man page: the sig item is the frozen one" "$VEC/gs1.tsv" "$sigitem"
pallet=$(grep -o '(00)[0-9]*(8030)IB5w' page.txt | head -1)
contains "man page: the pallet sig example is the frozen one" "$VEC/gs1.tsv" "$pallet"

# --- what yima gen --gs1 writes: every auth, items, cases and pallets ------------
: >hri.txt
: >raw.txt
: >dl.txt
: >want.pos
for auth in sig mac none; do
  ggen -b 5 -n 40 --pack 4,3 --auth "$auth" -f tsv -o "gen-$auth.tsv"
  ggen -b 5 -n 40 --pack 4,3 --auth "$auth" -f tsv --dl-base https://id.example.com -o "dl-$auth.tsv"
  column code "gen-$auth.tsv" >>hri.txt
  column raw "gen-$auth.tsv" >>raw.txt
  column payload "dl-$auth.tsv" >>dl.txt
  paste <(column level "gen-$auth.tsv") <(column index "gen-$auth.tsv") |
    awk -F'\t' '{print $1 "\t5\t" $2}' >>want.pos
done
n=$(wc -l <hri.txt)
same "gen: 3 runs of 40 items, 10 cases and 4 pallets" "$n" $((3 * 54))
same "gen: the tsv raw column has GS separators" "$(grep -c "$GS" raw.txt)" $((3 * 40))
same "gen: Digital Link URIs" "$(grep -c '^https://id\.example\.com/0[01]/' dl.txt)" "$n"
# Scanner output: RAW after each GS1 symbology identifier, or after a GS.
{
  sed 's/^/]d2/' raw.txt
  sed 's/^/]Q3/' raw.txt
  sed 's/^/]C1/' raw.txt
  sed "s/^/$GS/" raw.txt
} >scanned.txt
for f in hri.txt raw.txt dl.txt scanned.txt; do
  expect_status "gen $f: independent verifier, secret key" 0 "${IV[@]}" -k fixed.key "$f"
  same "gen $f: every code OK" "$(count OK "$T/out")" "$(wc -l <"$f")"
  reps=$(($(wc -l <"$f") / n))
  same "gen $f: level, batch and index as gen wrote them" "$(cut -f3,4,5 "$T/out")" \
    "$(for _ in $(seq "$reps"); do cat want.pos; done)"
done
# gen's raw column itself (no symbology identifier, no leading GS): yima
# verify must read it too. An SSCC's raw form has no GS (AI 00 has a
# predefined length and its AI 8030 or 92 comes last), and where its signature
# or MAC holds "-" or "_" it is neither a compact code nor GS-separated.
agree "yima verify reads gen's own raw column (bare RAW), secret key" raw.txt -k fixed.key
agree "yima verify reads gen's own raw column (bare RAW), public key" raw.txt -p fixed.pub
cat hri.txt dl.txt scanned.txt >all.txt
expect_status "gen: public key" 1 "${IV[@]}" -p fixed.pub all.txt
same "gen, public key: sig OK, mac and none NEED_SECRET" "$(statuses "$T/out")" \
  "$((2 * 6 * n / 3))NEED_SECRET $((6 * n / 3))OK "
expect_status "gen: line key of batch 5" 0 "${IV[@]}" -k line5.key all.txt
expect_status "gen: line key of batch 6" 1 "${IV[@]}" -k line6.key all.txt
same "gen, line key of another batch: sig OK, mac and none OUT_OF_SCOPE" "$(statuses "$T/out")" \
  "$((6 * n / 3))OK $((2 * 6 * n / 3))OUT_OF_SCOPE "
for keys in "-k fixed.key" "-p fixed.pub" "-k line5.key" "-k line6.key" "-k line6.key -p fixed.pub" \
  "-k other.key -p fixed.pub" "-k other.key" "-k fixed.key -l case" "-p fixed.pub -l pallet" \
  "-k line5.key -l item"; do
  # shellcheck disable=SC2086
  agree "gen output, keys $keys" all.txt $keys
done
# One code in every spelling is one code: clones in both verifiers.
first=$(head -1 hri.txt)
printf '%s\n' "$first" "$(head -1 raw.txt)" "$(head -1 dl.txt)" "]d2$(head -1 raw.txt)" >clones
"$YIMA" verify -q -k fixed.key clones >clones.yima || true
"${IV[@]}" -k fixed.key --duplicates clones >clones.iv || true
same "clones: yima verify" "$(cut -f2 clones.yima | tr '\n' ' ')" "OK DUPLICATE DUPLICATE DUPLICATE "
same "clones: independent verifier" "$(cut -f1 clones.iv | tr '\n' ' ')" "OK DUPLICATE DUPLICATE DUPLICATE "

# --- tampered codes ---------------------------------------------------------------
# The first item, the first case and the last pallet of each run, in each
# spelling (RAW as a scanner gives it), each tampered in the ways that apply.
: >ops
: >meta
sed 's/^/]d2/' raw.txt >d2.txt
for f in hri.txt d2.txt dl.txt; do
  for auth in sig mac none; do
    case $auth in sig) off=0 ;; mac) off=54 ;; none) off=108 ;; esac
    for line in 1 5 54; do
      code=$(sed -n "$((off + line))p" "$f")
      if [ "$line" = 1 ]; then
        tamper="lot expiry serial serialfix tag gtin"
        [ "$f" != dl.txt ] || tamper="$tamper dlswap"
      else
        tamper="sscc tag"
      fi
      for op in $tamper; do
        printf '%s %s\n' "$op" "$code" >>ops
        printf '%s %s\n' "$op" "$auth" >>meta
      done
    done
  done
done
tools <ops >tampered.txt
same "tampered file complete" "$(wc -l <tampered.txt)" "$(wc -l <ops)"
for keys in "-k fixed.key" "-p fixed.pub" "-k line5.key" "-k line6.key -p fixed.pub" \
  "-k other.key -p fixed.pub" "-k fixed.key -l case"; do
  # shellcheck disable=SC2086
  agree "tampered, keys $keys" tampered.txt $keys
done
# What each tampering gives with the secret key, in all three spellings. A
# none item's lot and expiry are not authenticated (no tag covers them); a GTIN
# with a wrong check digit is BAD_CHECK in every spelling (a URL whose path
# names /01/ is GS1 even when it is no valid Digital Link).
"${IV[@]}" -k fixed.key tampered.txt >tampered.iv || true
same "tampered: statuses by tampering and auth" \
  "$(paste -d' ' meta <(cut -f1 tampered.iv) | sort -u | awk '{k = $1 " " $2}
      k != last {if (last != "") print line; line = k ":"; last = k} {line = line " " $3}
      END {print line}')" \
  "dlswap mac: MALFORMED
dlswap none: MALFORMED
dlswap sig: MALFORMED
expiry mac: BAD_MAC
expiry none: OK
expiry sig: BAD_SIGNATURE
gtin mac: BAD_CHECK
gtin none: BAD_CHECK
gtin sig: BAD_CHECK
lot mac: BAD_MAC
lot none: OK
lot sig: BAD_SIGNATURE
serial mac: BAD_CHECK
serial none: BAD_CHECK
serial sig: BAD_CHECK
serialfix mac: BAD_MAC
serialfix none: BAD_SERIAL
serialfix sig: BAD_SIGNATURE
sscc mac: BAD_MAC BAD_SERIAL
sscc none: BAD_SERIAL OK
sscc sig: BAD_SIGNATURE
tag mac: BAD_MAC
tag none: MALFORMED
tag sig: BAD_SIGNATURE"

# --- edge cases of the page's rules: both verifiers agree ------------------------
I=$(awk -F'\t' '$1 == "item" && $2 == "mac" {print $5}' rows) # the page's mac item
C=$(awk -F'\t' '$1 == "case" && $2 == "mac" {print $5}' rows) # and its mac case
IS=${I%%(92)*}                                                 # without its AI 92
CS=${C%%(92)*}
NS=$(awk -F'\t' '$1 == "item" && $2 == "none" {print $5}' rows) # the none item
NS=${NS%%(92)*}
ser=${IS#*(21)}
dlb=https://id.example.com/01/09506000134352/10/LOT-7A/21/$ser
sscc=${CS#(00)}
hdr() { # VERSION KID LEVEL G LOW4 -> the 4 base64url characters
  "$PY" -c 'import base64, sys; v = [int(a) for a in sys.argv[1:]]
print(base64.urlsafe_b64encode((v[0] << 20 | v[1] << 10 | v[2] << 8 | v[3] << 4 | v[4])
      .to_bytes(3, "big")).decode())' "$@"
}
{
  # The header: version, key id, level, company prefix length, low bits.
  for h in "3 7 0 7 0" "2 7 0 7 1" "2 7 3 7 0" "2 7 1 7 0" "2 8 0 7 0" "2 1000 0 7 0" \
    "2 7 0 0 0" "2 7 0 5 0" "2 7 0 6 0" "2 7 0 12 0" "2 7 0 13 0"; do
    # shellcheck disable=SC2086
    echo "$NS(92)$(hdr $h)"
  done
  for h in "2 7 1 6 0" "2 7 1 8 0" "2 7 1 11 0" "2 7 1 12 0" "2 7 0 7 0" "2 7 2 7 0" "2 8 1 7 0" \
    "2 999 1 7 0" "2 7 1 0 0"; do
    # shellcheck disable=SC2086
    echo "$CS(92)$(hdr $h)"
  done
  echo "$IS"                       # no header: UNKNOWN_KEY
  echo "$CS(91)IB1w"               # another company-internal AI is no header
  echo "$C(8030)IB1w"              # both 8030 and 92
  echo "$CS(92)XXXX"               # an AI 92 that is not a yima header
  echo "$CS(92)ib1w"
  echo "${C:0:${#C}-2}"            # MAC of 6: too short
  echo "${C:0:${#C}-1}"            # MAC of 7
  echo "${C}AAAAAAAAAAAAA"         # MAC of 21
  echo "${C}AAAAAAAAAAAAAA"        # MAC of 22
  echo "${I%????????}"             # a mac item with the header alone
  echo "$CS(8030)IB1w"
  # AI 21: case, aliases, Damm, hdr and length.
  echo "${I/(21)07VE3W/(21)07ve3w}"
  echo "${I/(21)07VE3W3CC/(21)07VE3W3OC}"
  echo "${I/(21)07V/(21)07S}"
  echo "${I/(21)07/(21)08}"
  # Element strings: order, duplicates, pairings, dates, syntax.
  echo "(92)${I#*(92)}${IS}"
  echo "$I(10)LOT-7A"
  echo "$I(10)LOT-7B"
  echo "${I/(17)271231/(17)271200}"
  echo "${I/(17)271231/(17)270231}"
  echo "${I/(10)LOT-7A/(10)LOT 7A}"
  echo "${I/(10)LOT-7A/(10)}"
  echo "$I("
  echo " $I"
  echo "$C(240)X"
  echo "$CS(21)${ser}(92)${C#*(92)}"
  echo "(01)9506000134352${I#(01)09506000134352}"
  echo "$I(99)EXTRA"
  # RAW: separators and symbology identifiers.
  echo "00${sscc}92${C#*(92)}"
  echo "00${sscc}${GS}92${C#*(92)}"
  echo "00${sscc}${GS}${GS}92${C#*(92)}"
  echo "${GS}${GS}00${sscc}92${C#*(92)}"
  echo "00${sscc}92${C#*(92)}${GS}"
  for sym in ]d2 ]Q3 ]C1 ]e0 ]J1 ]d1 ]Q1 ]X3; do echo "${sym}00${sscc}92${C#*(92)}"; done
  echo "00${sscc}"
  # Digital Link: spellings a resolver may see, and URIs that are none.
  echo "$dlb?17=271231&92=${I#*(92)}"
  echo "$dlb?92=${I#*(92)}&17=271231"
  echo "HTTP://ID.EXAMPLE.COM:8443/a/b/01/09506000134352/10/LOT-7A/21/$ser?17=271231&92=${I#*(92)}#x"
  echo "$dlb?17=271231&linkType=gs1:pip&&92=${I#*(92)}&"
  echo "${dlb/LOT-7A/LOT%2D7A}?17=271231&92=${I#*(92)}"
  echo "${dlb/09506000134352/9506000134352}?17=271231&92=${I#*(92)}"
  echo "${dlb/LOT-7A/LOT%ZZ}?17=271231&92=${I#*(92)}"
  echo "$dlb/?17=271231&92=${I#*(92)}"
  echo "${dlb/\/10\/LOT-7A/}?10=LOT-7A&17=271231&92=${I#*(92)}"
  echo "$dlb?17=271231&17=271231&92=${I#*(92)}"
  echo "$dlb?17=271231&21=$ser&92=${I#*(92)}"
  echo "$dlb?17=271232&92=${I#*(92)}"
  echo "${dlb/https/ftp}?17=271231&92=${I#*(92)}"
  echo "https://id.example.com/00/$sscc?92=${C#*(92)}"
  echo "https://id.example.com/00/$sscc?92=${C#*(92)}&17=271231"
  echo "https://id.example.com/00/$sscc/10/X?92=${C#*(92)}"
  echo "]Q1https://id.example.com/00/$sscc?92=${C#*(92)}"
  echo "https://id.example.com/00/$sscc"
  # Compact codes in GS1 clothing are no GS1 codes, nor compact ones.
  compact=07KEYSCR0SWKY1SBS6D36PRGATP
  echo "]Q1$compact"
  echo "]Q3https://v.example.cn/$compact"
  echo "($compact)"
  echo "$compact$GS"
} >edges.txt
for keys in "-k fixed.key" "-p fixed.pub" "-k line6.key" "-k line5.key -p fixed.pub" "-k fixed.key -l item"; do
  # shellcheck disable=SC2086
  agree "edge cases, keys $keys" edges.txt $keys
done
"${IV[@]}" -k fixed.key edges.txt >edges.iv || true
for st in OK MALFORMED BAD_CHECK UNKNOWN_KEY BAD_MAC BAD_SERIAL; do
  if grep -q "^$st	" edges.iv; then ok; else bad "edge cases have no $st line"; fi
done

echo "gs1_spec: $(wc -l <all.txt) codes and $(wc -l <tampered.txt) tampered codes checked"
finish gs1_spec
