#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima gen --gs1 (issue 8): its options and refusals (check digits, dates,
# SGTIN serial space and SSCC capacity named in the message, options of
# compact codes), the columns of every format, AI 21 serials (<= 20 chars
# of CSET 82, unique, not sequential), Digital Link payloads, output
# identical for any thread count, the pack hierarchy with SSCCs, GS1 fields
# in the signed manifest (and 0.1-style manifests still checked), and
# yima verify accepting what gen wrote.
source "$(dirname "$0")/testlib.bash"

# The key of tests/vectors (seed 32 x 0x42, key id 7), as yima-gen(1)'s examples.
printf '42%.0s' $(seq 32) > seed.hex
chmod 600 seed.hex
$Y keygen --seed-file seed.hex --id 7 -o brand >/dev/null 2>&1
GTIN=09506000134352
GCP=9506000
gen() { $Y gen -k brand.key --no-ledger -q "$@"; }
g1() { gen --gs1 --gtin $GTIN "$@"; }
colv() { # colv FILE NAME: the named column of a csv file, without its header
  awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next }
                        { print $c }' "$1"
}

# --- options and refusals -------------------------------------------------
expect_status "bad GTIN check digit" 2 g1 --gtin 09506000134353 -n 1
contains "names the expected digit" "$T/err" "check digit should be 2"
contains "names the option" "$T/err" "--gtin 09506000134353"
expect_status "GTIN-13 padded" 0 g1 --gtin 9506000134352 -n 1 -f csv -o g13.csv
same "GTIN-13 becomes GTIN-14" "$(colv g13.csv gtin)" "$GTIN"
expect_status "GTIN of 9 digits" 2 g1 --gtin 950600013 -n 1
expect_status "expiry 270230 refused" 2 g1 --expiry 270230 -n 1
contains "expiry message" "$T/err" "--expiry 270230: not a date"
expect_status "expiry day 00 accepted" 0 g1 --expiry 271200 -n 1
expect_status "gcp of 6 digits" 2 g1 --gcp 123456 -n 1
contains "gcp message" "$T/err" "7 to 11 digits"
expect_status "lot of 21 chars" 2 g1 --lot 123456789012345678901 -n 1
expect_status "lot outside CSET 82" 2 g1 --lot 'a b' -n 1
contains "lot message" "$T/err" "--lot a b: "
for opt in "--gtin $GTIN" "--gcp $GCP" "--lot L1" "--expiry 271231" "--dl-base https://id.example.com"; do
  expect_status "$opt without --gs1" 2 gen $opt -n 1
  contains "$opt without --gs1 message" "$T/err" "needs --gs1"
done
expect_status "--gs1 --alphabet digits" 2 g1 --alphabet digits -n 1
contains "alphabet message" "$T/err" "--alphabet digits does not apply"
expect_status "--gs1 --template" 2 g1 -t 'HTTPS://X/{code}' -n 1
contains "template message" "$T/err" "--template does not apply"
expect_status "--gs1 --code-format 1" 2 g1 --code-format 1 -n 1
expect_status "--gs1 alone" 2 gen --gs1 -n 1
contains "items need a GTIN" "$T/err" "give their --gtin"
expect_status "cases need --gcp" 2 gen --gs1 -l case -n 1
contains "cases message" "$T/err" "--gcp"
expect_status "--pack needs --gcp" 2 g1 --pack 2,2 -n 4
expect_status "cases take no lot" 2 gen --gs1 --gcp $GCP -l case --lot L1 -n 1
expect_status "serials of 16 chars would pass 20" 2 g1 --serial-len 16 -n 1
expect_status "http Digital Link base" 2 g1 --dl-base http://id.example.com -n 1
expect_status "Digital Link base with a space" 2 g1 --dl-base 'https://id.example.com/a b' -n 1
expect_status "Digital Link base with a query" 2 g1 --dl-base 'https://id.example.com/?x=1' -n 1

# The SGTIN serial space: 10^4 times the codes (EU FMD), refused past it.
expect_status "beyond the serial space" 2 g1 --serial-len 8 --range 200000000:1
contains "serial space message" "$T/err" "serial space >= 10^4 x codes"
# An 11-digit company prefix leaves 6 digits: 10^3 slots per batch, 500 cases
# and 500 pallets, batches 0..999.
G11=95060001343
expect_status "501 cases" 2 gen --gs1 --gcp $G11 -l case -n 501
contains "case capacity in the message" "$T/err" "hold 500 cases and 500 pallets per batch"
expect_status "500 cases fit" 0 gen --gs1 --gcp $G11 -l case -n 500 -o c500.txt
same "500 distinct SSCCs" "$(sort -u c500.txt | wc -l)" 500
expect_status "a pack needing 501 cases" 2 g1 --gcp $G11 --pack 2,10 -n 1002
contains "pack capacity message" "$T/err" "cases 0..500 of batch 0 do not fit"
expect_status "batch 1000 of SSCCs" 2 gen --gs1 --gcp $G11 -l pallet -b 1000 -n 1
contains "batch limit in the message" "$T/err" "carry batches 0..999"

# --- columns ------------------------------------------------------------------
g1 --lot 'L1' --expiry 271231 -n 1000 -f csv -o items.csv
same "csv header" "$(head -1 items.csv)" "index,level,serial,code,payload,raw,gtin,lot,expiry,sscc"
g1 --lot 'L1' --expiry 271231 -n 3 -f tsv -o items.tsv
same "tsv header" "$(head -1 items.tsv | tr '\t' ,)" "index,level,serial,code,payload,raw,gtin,lot,expiry,sscc"
same "tsv rows" "$(tail -n +2 items.tsv | tr '\t' ,)" "$(sed -n 2,4p items.csv)"
same "gtin column" "$(colv items.csv gtin | sort -u)" "$GTIN"
same "lot column" "$(colv items.csv lot | sort -u)" "L1"
same "expiry column" "$(colv items.csv expiry | sort -u)" "271231"
same "no sscc on items" "$(colv items.csv sscc | sort -u)" ""
same "code is the HRI" "$(colv items.csv code | head -1)" \
  "(01)$GTIN(10)L1(17)271231(21)$(colv items.csv serial | head -1)(8030)$(colv items.csv code | head -1 | sed 's/.*(8030)//')"
same "payload is the HRI without --dl-base" "$(colv items.csv payload)" "$(colv items.csv code)"
check "raw has GS separators" grep -q $'\x1d' items.csv
# RAW: predefined-length AIs (01, 17) first, GS after variable-length ones.
same "raw form" "$(colv items.csv raw | head -1 | sed 's/\(8030\).*/\1/' | tr '\035' '|')" \
  "01${GTIN}17271231""10L1|21$(colv items.csv serial | head -1)|8030"

# --- serials ------------------------------------------------------------------
colv items.csv serial > serials
same "1000 serials" "$(wc -l < serials)" 1000
same "serials <= 20 chars of Crockford base32 (CSET 82)" \
  "$(grep -cvE '^[0-9A-HJKMNP-TV-Z]{1,20}$' serials)" 0
same "serials unique" "$(sort serials | uniq -d | wc -l)" 0
# Not sequential: sorting them scatters the index order, and the characters
# after the fixed key id, mark and length spread over the alphabet.
check "serials not in sorted order" test "$(sort serials | head -20)" != "$(head -20 serials)"
check "serials spread" test "$(cut -c5-6 serials | sort -u | wc -l)" -gt 500

# --- txt, jsonl and Digital Link payloads ------------------------------------
g1 --lot L1 --expiry 271231 -n 5 -o items.txt
same "txt is the HRI payload" "$(cat items.txt)" "$(colv items.csv payload | head -5)"
g1 --lot L1 --expiry 271231 -n 5 --dl-base https://id.example.com -o dl.txt
s0=$(colv items.csv serial | head -1)
check "Digital Link path order" grep -q "^https://id.example.com/01/$GTIN/10/L1/21/$s0?" dl.txt
check "expiry and signature in the query" grep -qE '[?&]17=271231(&|$)' dl.txt
check "AI 8030 in the query" grep -qE '[?&]8030=[A-Za-z0-9_-]{90}$' dl.txt
g1 -a mac -n 2 --dl-base https://id.example.com/p -f jsonl -o mac.jsonl
check "mac value as AI 92" grep -q '"payload":"https://id.example.com/p/01/'"$GTIN"'/21/[^"]*?92=' mac.jsonl
check "jsonl raw escapes GS" grep -q '\\u001d' mac.jsonl
check "jsonl lines are JSON" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert o["gtin"] == sys.argv[2] and "\x1d" in o["raw"] and "sscc" not in o, o
' mac.jsonl $GTIN
# A lot with a comma and a quote: csv quotes, jsonl escapes.
g1 -a none --lot 'A,"B' -n 2 -f csv -o q.csv
check "csv with quoted lot reads back" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 2 and rows[0]["lot"] == "A,\"B" and "(10)A,\"B" in rows[0]["code"], rows
' q.csv
g1 -a none --lot 'A,"B' -n 2 -f jsonl -o q.jsonl
check "jsonl with quoted lot reads back" python3 -c '
import json, sys
assert [json.loads(l)["lot"] for l in open(sys.argv[1])] == ["A,\"B"] * 2
' q.jsonl

# Every row's RAW and Digital Link forms, rebuilt from its HRI by the rules of
# yima-gen(1) (gen patches the values of later codes into the first's forms).
g1 --gcp $GCP --lot L1 --expiry 271231 -a mac --pack 4,3 -n 300 --dl-base https://id.example.com/p \
  -f csv -o forms.csv
check "RAW and Digital Link forms of every row" python3 -c '
import csv, re, sys
fixed = {"00", "01", "17"}
def forms(hri):
    el = re.findall(r"\((\d+)\)([^(]*)", hri)
    assert "".join("(%s)%s" % e for e in el) == hri, hri
    seq = [e for e in el if e[0] in fixed] + [e for e in el if e[0] not in fixed]
    raw = ""
    for i, (ai, v) in enumerate(seq):
        raw += ai + v + ("\x1d" if ai not in fixed and i + 1 < len(seq) else "")
    d = dict(el)
    path = "/00/" + d.pop("00") if "00" in d else "/01/%s%s/21/%s" % (
        d.pop("01"), "/10/" + d.pop("10") if "10" in d else "", d.pop("21"))
    query = "&".join("%s=%s" % (ai, d[ai]) for ai in sorted(d, key=int))
    return raw, "https://id.example.com/p" + path + ("?" + query if query else "")
n = 0
for r in csv.DictReader(open(sys.argv[1], newline="")):
    assert (r["raw"], r["payload"]) == forms(r["code"]), r
    n += 1
assert n == 300 + 75 + 25, n
' forms.csv

# --- identical output for any thread count -----------------------------------
for j in 1 4; do
  g1 --gcp $GCP --lot L1 -a mac --pack 4,3 -n 20000 -f csv -j $j -o j$j.csv
  g1 --gcp $GCP -a sig -n 9000 --dl-base https://id.example.com -j $j -o s$j.txt
done
check "-j1 and -j4 csv identical" cmp -s j1.csv j4.csv
check "-j1 and -j4 sig identical" cmp -s s1.txt s4.txt
for k in 1 2 3; do
  g1 --gcp $GCP --lot L1 -a mac --pack 4,3 -n 20000 -f csv --shard $k/3 -o part$k.csv.gz
done
check "shards concatenate to one run" cmp -s <(zcat part1.csv.gz part2.csv.gz part3.csv.gz) j1.csv

# --- pack hierarchy with SSCCs ------------------------------------------------
g1 --gcp $GCP --lot L1 --expiry 271231 --pack 24,60 -n 2880 -f csv -o pack.csv
same "pack header" "$(head -1 pack.csv)" \
  "index,level,serial,code,payload,raw,gtin,lot,expiry,sscc,case,pallet"
same "rows: items, cases, pallets" \
  "$(tail -n +2 pack.csv | cut -d, -f2 | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')" \
  "case=120 item=2880 pallet=2 "
check "pack hierarchy holds" python3 -c '
import csv, sys
gcp = sys.argv[2]
def check_digit(d):
    s = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(d)))
    return str((10 - s % 10) % 10)
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
code = {(r["level"], int(r["index"])): r for r in rows}
for r in rows:
    if r["level"] == "item":
        assert r["sscc"] == "" and r["serial"] and r["gtin"], r
        case = code[("case", int(r["index"]) // 24)]
        assert r["case"] == case["code"], r
        assert r["pallet"] == code[("pallet", int(r["index"]) // 1440)]["code"], r
    else:
        s = r["sscc"]
        assert len(s) == 18 and s.isdigit() and s[1:1 + len(gcp)] == gcp, r
        assert s[17] == check_digit(s[:17]), r
        assert r["serial"] == r["gtin"] == r["lot"] == r["expiry"] == "", r
        assert r["code"].startswith("(00)" + s + "(8030)"), r
    if r["level"] == "case":
        assert r["case"] == "" and r["pallet"] == code[("pallet", int(r["index"]) // 60)]["code"]
ssccs = [r["sscc"] for r in rows if r["sscc"]]
assert len(set(ssccs)) == len(ssccs) == 122
' pack.csv $GCP
gen --gs1 --gcp $GCP -l pallet -n 3 -f csv -o pallets.csv
same "pallet rows" "$(colv pallets.csv level | sort -u)" "pallet"
check "pallets are not the cases" test "$(colv pallets.csv sscc | head -1)" != \
  "$(gen --gs1 --gcp $GCP -l case -n 1 -f csv | sed -n 2p | cut -d, -f10)"
g1 --inner -a mac -n 3 -f csv -o inner.csv
same "--inner adds compact inner codes" "$(colv inner.csv inner | grep -cE '^[0-9A-Z]{15,}$')" 3

# --- the manifest records the GS1 parameters, signed -------------------------
g1 --gcp $GCP --lot L1 --expiry 271231 --dl-base https://id.example.com -n 10 -f csv -o m.csv
check "manifest gs1 fields" python3 -c '
import json, sys
g = json.load(open(sys.argv[1]))["gs1"]
assert g == {"gtin": sys.argv[2], "gcp": sys.argv[3], "lot": "L1", "expiry": "271231",
             "dl_base": "https://id.example.com"}, g
' m.csv.manifest $GTIN $GCP
expect_status "manifest verifies" 0 $Y verify -p brand.pub --manifest m.csv.manifest m.csv
sed 's/"lot": "L1"/"lot": "L2"/' m.csv.manifest > forged.manifest
expect_status "altered gs1 field refused" 1 $Y verify -p brand.pub --manifest forged.manifest m.csv
contains "altered manifest message" "$T/err" "signature does not verify"
gen -a none -n 3 -o compact.txt
check "compact manifests have no gs1 member" test "$(grep -c gs1 compact.txt.manifest)" -eq 0
# A manifest as yima before GS1 mode wrote it (same key), still checked.
cat > old.csv <<'EOF'
index,level,serial,code,payload
0,item,AACE3T5M6GJ2HQ,07GEAACE3T5M6GJ2HQW,07GEAACE3T5M6GJ2HQW
1,item,RQBYWD6MSSF4TV,07GERQBYWD6MSSF4TVJ,07GERQBYWD6MSSF4TVJ
2,item,H2NMSKY0P4PVMY,07GEH2NMSKY0P4PVMY7,07GEH2NMSKY0P4PVMY7
EOF
cat > old.csv.manifest <<'EOF'
{
  "alphabet": "base32",
  "auth": "none",
  "batch": 0,
  "blake2b": "91e07e326e92405576ab8b8d888a1bef7a0f58538f760b156954d2128fcb29a3",
  "bytes": 218,
  "code_format": 2,
  "count": 3,
  "created": "2026-11-27T21:39:57Z",
  "file": "old.csv",
  "format": "csv",
  "header": true,
  "inner": false,
  "key_id": 7,
  "level": "item",
  "mac_length": 8,
  "pack_case": 0,
  "pack_pallet": 0,
  "public_key": "5728bef59015cb3f9c4a8c70e660d574b84cb9eb8b0acce693fb33f83b64b38f",
  "rows": 3,
  "serial_length": 14,
  "signature": "20797388c712a2fc2d72f40e003e617a6afa0278c560ad969e055b5eaf4b61c49e8a62144a4b398239ff319aaaca386c458e020d2c40f597f740a294ecc7150f",
  "start": 0,
  "template": null,
  "yima_manifest": 1,
  "yima_version": "0.1.0"
}
EOF
expect_status "old manifest still checked" 0 $Y verify -k brand.key --manifest old.csv.manifest old.csv
contains "old manifest OK" "$T/err" "manifest OK: old.csv, 3 rows"
gen -a none -n 3 -f csv -o new.csv
check "compact output unchanged" cmp -s old.csv new.csv

# --- yima-gen(1)'s worked examples are this key's real output -----------------
MANWIDTH=250 man -E ascii -l "$TESTS/../man/yima-gen.1" 2>/dev/null | col -bx | sed 's/^ *//' > page.txt
ex() { gen -b 1 --gs1 "$@" > ex.txt; while read -r line; do
  if grep -qxF -- "$line" page.txt; then ok; else bad "yima-gen(1) lacks: $line"; fi
done < ex.txt; }
ex --gtin $GTIN --lot A1B2C3 --expiry 271231 -n 2
ex --gtin $GTIN --lot A1B2C3 --expiry 271231 -n 1 --dl-base https://id.example.com
ex --gcp $GCP -l case -n 1
ex --gcp $GCP -l pallet -n 1
ex --gcp $GCP -l case -n 1 -a mac --dl-base https://id.example.com

# --- yima verify accepts what gen --gs1 wrote --------------------------------
expect_status "verify sig txt (HRI)" 0 $Y verify -p brand.pub items.txt
expect_status "verify sig txt (Digital Link)" 0 $Y verify -p brand.pub dl.txt
expect_status "verify sig csv with pack" 0 $Y verify -p brand.pub pack.csv
expect_status "verify mac csv, Digital Link payloads" 0 $Y verify -k brand.key forms.csv
expect_status "verify mac jsonl" 0 $Y verify -k brand.key mac.jsonl
expect_status "verify quoted lot csv" 0 $Y verify -k brand.key q.csv
expect_status "verify inner pairs" 0 $Y verify -k brand.key inner.csv

finish gs1_gen
