#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima render --symbol datamatrix and GS1 payloads: DataMatrix symbols of
# every output decode back to their payloads with dmtxread (dmtx-utils), GS1
# element strings decode with FNC1 first and GS between fields (never the
# parentheses), the readable line is the HRI form, one size per run, errors
# name their line, output is byte-identical for any -j.
source "$(dirname "$0")/testlib.bash"
GS=$'\x1d'
# dm FILE...: payloads dmtxread finds, one per line (GS1 mode: FNC1 as GS).
dm() { dmtxread -n "$@" 2>/dev/null; }
dm_gs1() { dmtxread -n -G 29 "$@" 2>/dev/null; }

"$Y" keygen -o "$T/brand" 2>/dev/null
"$Y" gen -k "$T/brand.key" -b 1 -n 1000 -t 'HTTPS://V.EXAMPLE.CN/{code}' --no-ledger -q \
    -o "$T/pay.txt"

# ---- plain payloads: PNG (tar), PBM (dir), PDF sheets, -j ----------------
mkdir "$T/png" "$T/pbm1" "$T/pbm8"
"$Y" render --symbol datamatrix -q --tar -j2 "$T/pay.txt" -o "$T/dm.tar"
tar -xf "$T/dm.tar" -C "$T/png"
check "1000 DataMatrix PNGs decode to their payloads, in order" \
    cmp -s <(dm "$T"/png/*.png) "$T/pay.txt"
"$Y" render --symbol datamatrix -q --tar -j8 "$T/pay.txt" -o "$T/dm8.tar"
check "DataMatrix tar -j8 = -j2" cmp -s "$T/dm.tar" "$T/dm8.tar"
head -100 "$T/pay.txt" >"$T/pay100.txt"
"$Y" render --symbol datamatrix -q -f pbm --dir "$T/pbm1" -j1 "$T/pay100.txt"
"$Y" render --symbol datamatrix -q -f pbm --dir "$T/pbm8" -j8 "$T/pay100.txt"
check "DataMatrix dir -j1 = -j8" diff -r "$T/pbm1" "$T/pbm8"
check "100 DataMatrix PBMs decode" cmp -s <(dm "$T"/pbm1/*.pbm) "$T/pay100.txt"
check "one size per run: every PBM has the same size" \
    test "$(head -qn2 "$T"/pbm1/*.pbm | grep -v P4 | sort -u | wc -l)" -eq 1
head -6 "$T/pay.txt" >"$T/pay6.txt"
"$Y" render --symbol datamatrix -q --sheet 3x2 --page-mm 100x70 -t "$T/pay6.txt" -o "$T/s.pdf"
pdftoppm -r 300 -gray "$T/s.pdf" "$T/page"
check "PDF sheet's 6 DataMatrix symbols decode" \
    cmp -s <(dm "$T"/page*.pgm | sort) <(sort "$T/pay6.txt")
"$Y" render --symbol datamatrix -q -f svg "$T/pay6.txt" --tar | tar -tf - >"$T/svg.lst"
check "SVG tar holds 6 members" test "$(wc -l <"$T/svg.lst")" -eq 6

# ---- GS1 element strings ---------------------------------------------------
HRI='(01)09506000134352(17)271231(10)LOT1(21)Y2AB3CD4EF5GH6JK7MN'
# RAW: fixed-length AIs first (01, 17), variable ones after, GS between.
RAW="01095060001343521727123110LOT1${GS}21Y2AB3CD4EF5GH6JK7MN"
printf '%s\n' "$HRI" >"$T/gs1.txt"
"$Y" render --symbol datamatrix -q "$T/gs1.txt" -o "$T/gs1.png"
same "GS1 DataMatrix decodes as FNC1 + RAW (GS between fields, no parentheses)" \
    "$(dm_gs1 "$T/gs1.png" | od -An -c | tr -s ' \n' ' ')" \
    "$(printf '%s%s\n' "$GS" "$RAW" | od -An -c | tr -s ' \n' ' ')"
same "first codeword is FNC1 (232)" "$(dmtxread -c "$T/gs1.png" | head -1)" "d:232"
# The same element string from a scanner (symbology id, GS) or unbracketed
# GS form gives the same symbol.
printf ']d2%s\n' "$RAW" >"$T/scan.txt"
"$Y" render --symbol datamatrix -q "$T/scan.txt" -o "$T/scan.png"
check "scanner output re-renders to the same symbol" cmp -s "$T/gs1.png" "$T/scan.png"
# Readable line: the HRI form, with parentheses, in SVG; PNG grows a band.
# Text is outlined, so OCR reads it back (the element strings' part; the
# random serial may lose a character to OCR).
hri_head=${HRI%%(21)*}
"$Y" render --symbol datamatrix -q -t --text-pt 9 --dpi 300 -f svg "$T/gs1.txt" -o "$T/gs1.svg"
rsvg-convert -d 600 -p 600 -b white "$T/gs1.svg" -o "$T/gs1-svg.png"
contains_ocr() { case "$(tesseract "$2" stdout --psm 6 2>/dev/null | tr -d ' \n')" in
    *"$3"*) ok ;; *) bad "$1: '$3' not read" ;; esac; }
contains_ocr "SVG text is the HRI form (OCR)" "$T/gs1-svg.png" "$hri_head(21)"
check "SVG has no <text>: the text is outlined" bash -c "! grep -q '<text' '$T/gs1.svg'"
"$Y" render --symbol datamatrix -q -t "$T/gs1.txt" -o "$T/gs1t.png"
same "text PNG decodes the same" "$(dm_gs1 "$T/gs1t.png")" "$(dm_gs1 "$T/gs1.png")"
check "text PNG is taller" test "$(file "$T/gs1t.png" | grep -o '[0-9]* x [0-9]*')" != \
    "$(file "$T/gs1.png" | grep -o '[0-9]* x [0-9]*')"
# A Digital Link URI is plain data.
DL='https://id.example.com/01/09506000134352/10/LOT1/21/Y2AB3CD4EF5GH6JK7MN?17=271231'
printf '%s\n' "$DL" | "$Y" render --symbol datamatrix -q -o "$T/dl.png"
same "Digital Link URI decodes as itself" "$(dm "$T/dl.png")" "$DL"
same "Digital Link URI has no FNC1" "$(dmtxread -c "$T/dl.png" | head -1)" "d:105"
# ZPL: ^BX quality 200 at the run's size, FNC1 as the escape `1.
"$Y" render --symbol datamatrix -q --zpl -t --text-pt 9 --label-mm 40x30 "$T/gs1.txt" \
    -o "$T/gs1.zpl"
contains "ZPL ^BX at 32x32 with escape \`" "$T/gs1.zpl" '^BXN,4,200,32,32,,`'
contains "ZPL field: FNC1 first and between fields" "$T/gs1.zpl" \
    '^FH_^FD`101095060001343521727123110LOT1`121Y2AB3CD4EF5GH6JK7MN^FS'
mkdir "$T/zpl"
node "$TESTS/zpl/render.mjs" "$T/gs1.zpl" 40x30 12 "$T/zpl" >/dev/null
contains_ocr "ZPL text is the HRI form (zebrash, OCR)" "$T/zpl/label-00000.png" "$hri_head(21)"

# Codes of one shape share a size whatever digits their serials hold: a
# first serial of digit pairs must not pick a size too small for letters.
printf '(01)09506000134352(21)%s\n' 1234567890123456 ABCDEFGHJKMNPQRS >"$T/shape.txt"
"$Y" render --symbol datamatrix -q -f pbm --tar "$T/shape.txt" -o "$T/shape.tar"
check "digit and letter serials of one length share a run" test -s "$T/shape.tar"

# ---- errors ----------------------------------------------------------------
printf '%s\n' '(01)09506000134353(21)ABC' >"$T/badcd.txt"
expect_status "bad GTIN check digit is a data error" 3 \
    "$Y" render --symbol datamatrix -q "$T/badcd.txt" -o "$T/x.png"
contains "... naming file:line" "$T/err" "badcd.txt:1:"
expect_status "GS1 in QR is a data error" 3 "$Y" render -q "$T/gs1.txt" -o "$T/x.png"
contains "... naming file:line and FNC1" "$T/err" "gs1.txt:1: a GS1 element string needs FNC1"
printf '12345678\n%s\n' "$HRI" >"$T/grow.txt"
expect_status "a later payload too long for the first size" 3 \
    "$Y" render --symbol datamatrix -q --tar "$T/grow.txt" -o "$T/x.tar"
contains "... names line 2 and the size" "$T/err" "grow.txt:2: payload of 52 bytes does not fit DataMatrix 14x14"
expect_status "--ecc with DataMatrix is a usage error" 2 \
    "$Y" render --symbol datamatrix -e Q -q "$T/gs1.txt" -o "$T/x.png"
expect_status "--version with DataMatrix is a usage error" 2 \
    "$Y" render --symbol datamatrix --version 3 -q "$T/gs1.txt" -o "$T/x.png"
expect_status "unknown symbology" 2 "$Y" render --symbol aztec -q "$T/gs1.txt"
finish render_gs1
