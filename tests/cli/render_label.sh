#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima render for the press: labels from a template over gen output merged
# with product data. Every PDF label decodes back to its payload (pdftoppm
# at 300 and 600 dpi, zbar), its text is read back by OCR (tesseract, eng
# and chi_sim), the PDF passes qpdf --check with boxes, metadata, no fonts
# and no images; --level, --column inner, --range, --split-pages, --dir and
# --name index behave as documented; outputs are byte-identical for any -j.
source "$(dirname "$0")/testlib.bash"

decode() { zbarimg -q --raw -Sdisable -Sqrcode.enable "$@" 2>/dev/null; }
# ocr IMAGE LANG: the text tesseract reads, spaces removed, upper case.
ocr() { tesseract "$1" stdout -l "$2" --psm 6 2>/dev/null | tr -d ' \n' | tr 'a-z' 'A-Z'; }
# The code alphabet has no I, L, O or U: read them as the digits they look like.
crockford() { tr 'OIL' '011'; }

fixed_key "$T/brand" 2
"$Y" gen -k "$T/brand.key" -b 1 -n 60 -a mac -f csv --inner -t 'HTTPS://V.EXAMPLE.CN/{code}' \
    --no-ledger -q -o "$T/gen.csv"
# gen output merged with the product's data, as a print vendor receives it.
awk -F, 'NR == 1 {print $0 ",product,lot,expiry"; next}
         {print $0 ",产品名称 Green Tea,L2026A,2027-05-31"}' "$T/gen.csv" >"$T/job.csv"
tail -n +2 "$T/gen.csv" | cut -d, -f5 >"$T/pay.txt"
tail -n +2 "$T/gen.csv" | cut -d, -f4 >"$T/codes.txt"
tail -n +2 "$T/gen.csv" | cut -d, -f6 >"$T/inner.txt"

LABEL=(--label-mm 50x30 --anchor left --text '{product}' --text-pt 9
       --text 'LOT {lot} EXP {expiry}' --text-pt 8 --text '{code}' --text-pt 8 --group 4)

# ---- a roll: one label a page ---------------------------------------------
expect_status "roll PDF" 0 "$Y" render -q --roll "${LABEL[@]}" --bleed-mm 2 --crop-marks \
    --title "Green Tea batch 1" "$T/job.csv" -o "$T/roll.pdf"
check "qpdf --check passes" qpdf --check "$T/roll.pdf" >/dev/null
same "pdffonts lists no fonts" "$(pdffonts "$T/roll.pdf" | tail -n +3 | wc -l)" 0
same "pdfimages lists no images" "$(pdfimages -list "$T/roll.pdf" | tail -n +3 | wc -l)" 0
same "one page a label" "$(pdfinfo "$T/roll.pdf" | awk '/^Pages:/ {print $2}')" 60
pdfinfo -box "$T/roll.pdf" >"$T/box"
# 50x30 mm trim = 141.732x85.039 pt; bleed 2 mm = 5.669 pt each side.
contains "TrimBox is the label" "$T/box" "TrimBox:      "
check "TrimBox 50x30 mm, BleedBox 2 mm larger" python3 - "$T/box" <<'EOF'
import sys, re
t = open(sys.argv[1]).read()
def box(name):
    x0, y0, x1, y1 = map(float, re.search(name + r":\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", t).groups())
    return (x1 - x0) * 25.4 / 72, (y1 - y0) * 25.4 / 72
tw, th = box("TrimBox"); bw, bh = box("BleedBox"); mw, mh = box("MediaBox")
ok = abs(tw - 50) < 0.01 and abs(th - 30) < 0.01 and abs(bw - 54) < 0.01 and abs(bh - 34) < 0.01
sys.exit(0 if ok and mw > bw and mh > bh else 1)
EOF
pdfinfo "$T/roll.pdf" >"$T/info"
contains "Info: title" "$T/info" "Green Tea batch 1"
contains "Info: producer" "$T/info" "yima"
check "XMP metadata names the title" bash -c "pdfinfo -meta '$T/roll.pdf' | grep -q 'Green Tea batch 1'"
qpdf --qdf --object-streams=disable "$T/roll.pdf" "$T/roll-qdf.pdf"
check "no RGB colour anywhere" bash -c "! grep -aqE ' (rg|RG)$|DeviceRGB' '$T/roll-qdf.pdf'"

for r in 300 600; do
    pdftoppm -r $r -gray -f 1 -l 12 "$T/roll.pdf" "$T/roll$r"
    check "roll at $r dpi: labels 1-12 decode in order" \
        cmp -s <(for f in "$T"/roll$r-*.pgm; do decode "$f"; done) <(head -12 "$T/pay.txt")
done

# ---- OCR: the text on the label reads back --------------------------------
pdftoppm -r 600 -gray -f 3 -l 3 "$T/roll.pdf" "$T/ocr"
img=$(ls "$T"/ocr-*.pgm)
# The text sits right of the symbol: cut it off so the OCR sees text only.
python3 - "$img" "$T/text.pgm" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
parts = data.split(b"\n", 3)           # P5, "w h", maxval, pixels
w, h = map(int, parts[1].split()); px = parts[3]
x0 = int(w * 0.42)                     # the symbol is in the left 40 %
rows = [px[y * w + x0:(y + 1) * w] for y in range(h)]
open(sys.argv[2], "wb").write(b"P5\n%d %d\n255\n" % (w - x0, h) + b"".join(rows))
EOF
eng=$(ocr "$T/text.pgm" eng)
contains_str() { case "$2" in *"$3"*) ok ;; *) bad "$1: '$3' not in '$2'" ;; esac; }
contains_str "OCR reads the lot and expiry" "$eng" "2026AEXP2027-05-31"
contains_str "OCR reads the product's Latin words" "$eng" "GREENTEA"
code3=$(sed -n 3p "$T/codes.txt")
# OCR of a random code misreads a character now and then (J as }, S as 5):
# the code must match a window of the text with at most 5 characters off,
# where a wrong code differs in about 25 of its 27.
close_to() { python3 - "$@" <<'PY'
import sys, difflib
text, code = sys.argv[1], sys.argv[2]
n = len(code)
best = max(sum(m.size for m in difflib.SequenceMatcher(None, text[i:i + n + 2], code,
                                                        autojunk=False).get_matching_blocks())
           for i in range(max(1, len(text) - n + 1)))
sys.exit(0 if best >= len(code) - 5 else 1)
PY
}
check "OCR reads the code (groups of 4) within 5 characters" \
    close_to "$(crockford <<<"$eng")" "$(crockford <<<"$code3")"
chi=$(ocr "$T/text.pgm" chi_sim)
contains_str "OCR (chi_sim) reads the Chinese product name" "$chi" "产品名称"

# ---- byte-identical for any thread count; sheets -------------------------
for j in 1 2 5; do
    "$Y" render -q --sheet 3x8 "${LABEL[@]}" --label-mm 60x30 --gap-mm 3 -j$j "$T/job.csv" \
        -o "$T/sheet$j.pdf"
done
check "sheet PDF -j1 = -j2" cmp -s "$T/sheet1.pdf" "$T/sheet2.pdf"
check "sheet PDF -j1 = -j5" cmp -s "$T/sheet1.pdf" "$T/sheet5.pdf"
check "sheet PDF passes qpdf --check" qpdf --check "$T/sheet1.pdf" >/dev/null
pdftoppm -r 300 -gray "$T/sheet1.pdf" "$T/sheet"
check "sheet: all 60 labels decode" cmp -s <(decode "$T"/sheet-*.pgm | sort) <(sort "$T/pay.txt")
# Text is drawn by glyph: each glyph's outline once a file, as a form the
# labels place. Outlines repeated on every label weighed some 20 KB a label.
qpdf --qdf --object-streams=disable "$T/sheet1.pdf" "$T/sheet-qdf.pdf"
same "one form a glyph: as many as distinct characters in the text" \
    "$(grep -ac '/Subtype /Form' "$T/sheet-qdf.pdf")" \
    "$(awk -F, 'NR > 1 {print $7 "LOT" $8 "EXP" $9 $4}' "$T/job.csv" | tr -d ' \n' |
        python3 -c 'import sys; print(len(set(sys.stdin.read())))')"
check "three lines of text cost under 1,500 bytes a label" \
    test "$(stat -c %s "$T/sheet1.pdf")" -lt $((60 * 1500))

# ---- spot colour ------------------------------------------------------------
"$Y" render -q --roll "${LABEL[@]}" --spot 'Black Varnish' --range 0:2 "$T/job.csv" -o "$T/spot.pdf"
qpdf --qdf --object-streams=disable "$T/spot.pdf" "$T/spot-qdf.pdf"
check "spot: a Separation colour space of that name" \
    bash -c "tr -s ' \n' '  ' <'$T/spot-qdf.pdf' | grep -aq '/Separation /Black#20Varnish'"
pdftoppm -r 300 -gray "$T/spot.pdf" "$T/spot"
check "spot: labels decode" cmp -s <(decode "$T"/spot-*.pgm) <(head -2 "$T/pay.txt")

# ---- --range parts make the same labels as one run ------------------------
mkdir "$T/all" "$T/parts"
"$Y" render -q --dir "$T/all" "${LABEL[@]}" "$T/job.csv"
"$Y" render -q --dir "$T/parts" "${LABEL[@]}" --range 0:25 "$T/job.csv"
"$Y" render -q --dir "$T/parts" "${LABEL[@]}" --range 25:100 "$T/job.csv"
check "--range 0:25 + 25:100 = one run" diff -r "$T/all" "$T/parts"
same "--name index counts from 0" "$(ls "$T/all" | head -1)" 00000000.png
same "--name index ends at n-1" "$(ls "$T/all" | tail -1)" 00000059.png
"$Y" render -q --tar --range 10:3 "$T/job.csv" -o "$T/r.tar"
same "--range 10:3 renders rows 10, 11, 12" "$(tar -tf "$T/r.tar" | tr '\n' ' ')" \
    "00000010.png 00000011.png 00000012.png "

# ---- --split-pages ----------------------------------------------------------
"$Y" render -q --roll "${LABEL[@]}" --split-pages 25 "$T/job.csv" -o "$T/split.pdf"
same "--split-pages 25: three numbered files" "$(cd "$T" && ls split-*.pdf | tr '\n' ' ')" \
    "split-0001.pdf split-0002.pdf split-0003.pdf "
check "no unnumbered file" test ! -e "$T/split.pdf"
same "the last part holds 10 pages" "$(pdfinfo "$T/split-0003.pdf" | awk '/^Pages:/ {print $2}')" 10
for f in "$T"/split-*.pdf; do check "$(basename "$f") passes qpdf --check" qpdf --check "$f" >/dev/null; done

# ---- --level and --column inner --------------------------------------------
"$Y" gen -k "$T/brand.key" -b 3 -n 8 -a mac -f tsv --pack 4,2 --no-ledger -q -o "$T/pack.tsv"
mkdir "$T/cases"
"$Y" render -q --level case --dir "$T/cases" "$T/pack.tsv"
same "--level case renders the 2 cases" "$(ls "$T/cases" | tr '\n' ' ')" \
    "case-00000000.png case-00000001.png "
check "case symbols carry the case codes" cmp -s <(decode "$T"/cases/*.png) \
    <(awk -F'\t' '$2 == "case" {print $5}' "$T/pack.tsv")
mkdir "$T/inner"
"$Y" render -q --column inner --range 0:5 --dir "$T/inner" "$T/job.csv"
check "--column inner: symbols carry the inner codes" cmp -s <(decode "$T"/inner/*.png) \
    <(head -5 "$T/inner.txt")
same "--column inner keeps the outer row's index in the name" "$(ls "$T/inner" | head -1)" 00000000.png

# ---- --dir makes a missing directory ----------------------------------------
"$Y" render -q --dir "$T/new/deeper" --range 0:2 "$T/pay.txt"
same "--dir makes missing directories" "$(ls "$T/new/deeper" | wc -l)" 2

# ---- errors ----------------------------------------------------------------
expect_error "text too large names the label" 3 "job.csv:2: .*text" \
    "$Y" render -q --roll --label-mm 30x14 --text '{product} {lot} {expiry} {code}' --text-pt 12 \
    "$T/job.csv" -o "$T/big.pdf"
check "failed run leaves no PDF" test ! -e "$T/big.pdf"
printf 'code,product\nABCD,\xf0\x9f\x98\x80 smile\n' >"$T/emoji.csv"
expect_error "missing glyph names the character and the font" 3 "U+1F600.*WenQuanYi Micro Hei" \
    "$Y" render -q --text '{product}' "$T/emoji.csv" -o "$T/e.png"
expect_error "unknown font is a usage error" 2 "font 'No Such Font'" \
    "$Y" render -q -t --font 'No Such Font' "$T/pay.txt" --tar -o "$T/f.tar"
expect_error "unknown column names it" 3 "no column 'colour'" \
    "$Y" render -q --text '{colour}' "$T/job.csv" --tar -o "$T/c.tar"
expect_error "range start inside a page" 2 "multiple of the 24 labels" \
    "$Y" render -q --sheet 3x8 --range 5:10 "$T/pay.txt" -o "$T/x.pdf"
expect_error "symbol larger than the label" 2 "larger than the 8x8 mm label" \
    "$Y" render -q --roll --label-mm 8x8 "$T/pay.txt" -o "$T/x.pdf"

finish render_label
