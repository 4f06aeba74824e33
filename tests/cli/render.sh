#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima render end to end: every symbol of a 10,000-code sample decodes back
# to its payload with zbar (PNG, PBM, SVG, PDF and PNG pages), outputs are
# byte-identical for any -j, golden files pin every format, option errors
# are clear. YIMA_UPDATE_GOLDEN=1 rewrites the goldens (review the diff!).
source "$(dirname "$0")/testlib.bash"
set -e
V=${YIMA_VECTORS:?YIMA_VECTORS must name tests/vectors}/render

# decode FILE...: the payloads zbar reads, one per line, in argument order.
decode() { zbarimg -q --raw -Sdisable -Sqrcode.enable "$@" 2>/dev/null; }

# A 10,000-code sample from gen: signed item codes as brand URLs (one shape,
# so one version holds them all).
fixed_key "$T/brand" 1
"$Y" gen -k "$T/brand.key" -b 1 -n 10000 -t 'HTTPS://V.EXAMPLE.CN/{code}' --no-ledger -q \
    -o "$T/pay.txt"

# ---- goldens: fixed payloads, every format, compared byte for byte -------
golden() {
    local name=$1
    shift
    if ! "$Y" render "$@" -q -o "$T/$name" 2>"$T/$name.err"; then
        bad "golden $name: yima failed: $(cat "$T/$name.err")"
        return
    fi
    if [[ ${YIMA_UPDATE_GOLDEN:-} == 1 ]]; then
        cp "$T/$name" "$V/$name"
    fi
    check "golden $name differs from $V/$name" cmp -s "$T/$name" "$V/$name"
}
golden url-m.png "$V/url.txt"
golden url-text-q.png -e Q -t --dpi 600 --module-mm 0.25 "$V/url.txt"
golden lower-l.png -e L -s 2 "$V/lower.txt"
golden code-h.svg -f svg -e H -t --version 5 "$V/url.txt"
golden url.pbm -f pbm -s 2 -m 2 "$V/url.txt"
golden sample.tar --tar -t -n serial "$V/sample.tsv"
golden sample-svg.tar --tar -f svg "$V/sample.tsv"
golden sheet.pdf --sheet 2x2 --page-mm 100x80 --pitch-mm 50x40 -t "$V/sample.tsv"
golden pages.tar --tar --sheet 2x2 --page-mm 100x80 --dpi 200 -s 3 -t "$V/sample.tsv"
golden labels.zpl --zpl -e Q "$V/sample.tsv"

# ---- 10,000 PNG symbols decode to exactly their payloads ------------------
mkdir "$T/png"
"$Y" render -q --tar -j2 "$T/pay.txt" -o "$T/all.tar"
check "tar -t lists 10000 members" test "$(tar -tf "$T/all.tar" | wc -l)" -eq 10000
tar -xf "$T/all.tar" -C "$T/png"
ls "$T/png" | sed "s|^|$T/png/|" | xargs -P2 -n 2500 zbarimg -q --raw -Sdisable -Sqrcode.enable 2>/dev/null >"$T/dec.txt" || true
# xargs -P runs batches in parallel: compare as sets, then order on one batch.
check "10000 PNG symbols decode to their payloads" \
    cmp -s <(sort "$T/dec.txt") <(sort "$T/pay.txt")
check "decoded order follows input order" \
    cmp -s <(decode "$T"/png/0000000{0..8}.png) <(head -9 "$T/pay.txt")

# ---- byte-identical for any thread count ---------------------------------
for j in 1 8; do
    "$Y" render -q --tar -j$j "$T/pay.txt" >"$T/all-j$j.tar"
    check "tar -j$j equals -j2" cmp -s "$T/all-j$j.tar" "$T/all.tar"
done
head -1000 "$T/pay.txt" >"$T/pay1k.txt"
for j in 1 2 8; do
    "$Y" render -q --sheet 3x8 -t -j$j "$T/pay1k.txt" -o "$T/s$j.pdf"
    "$Y" render -q --zpl -j$j "$T/pay1k.txt" -o "$T/z$j.zpl"
    mkdir "$T/d$j"
    "$Y" render -q -f pbm --dir "$T/d$j" -j$j "$T/pay1k.txt"
done
check "pdf -j1 = -j2 = -j8" cmp -s "$T/s1.pdf" "$T/s2.pdf"
check "pdf -j8 = -j1" cmp -s "$T/s8.pdf" "$T/s1.pdf"
check "zpl -j1 = -j2 = -j8" cmp -s "$T/z1.zpl" "$T/z8.zpl"
check "dir -j1 = -j8" diff -r "$T/d1" "$T/d8"

# ---- PBM, SVG, PDF, PNG pages, ZPL ---------------------------------------
check "1000 PBM symbols decode" cmp -s <(decode "$T"/d1/*.pbm) "$T/pay1k.txt"

# SVG: parse as XML, then rasterise our own path format to PBM for zbar.
"$Y" render -q --tar -f svg -t "$T/pay1k.txt" | tar -xf - -C "$T" --one-top-level=svg
check "SVG parses as XML" python3 -c '
import sys, xml.dom.minidom
for p in sys.argv[1:]: xml.dom.minidom.parse(p)' "$T"/svg/0000000{0..8}.svg
# rsvg-convert (librsvg) rasterises them, as a print workflow would.
for f in $(ls "$T/svg" | head -300); do
    rsvg-convert -z 4 -b white "$T/svg/$f" -o "$T/svg/${f%.svg}.png"
done
check "300 SVG symbols decode (rsvg-convert)" cmp -s <(decode "$T"/svg/*.png) <(head -300 "$T/pay1k.txt")

# Every xref entry points at its object; startxref points at the table.
xref_ok() {
    python3 - "$1" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
x = d.rindex(b"\nxref\n") + 1
lines = d[x:].split(b"\n")
n = int(lines[1].split()[1])
bad = [i for i in range(1, n) if not d[int(lines[2 + i][:10]):].startswith(b"%d 0 obj" % i)]
start = int(d[d.rindex(b"startxref\n") + 10:].split()[0])
sys.exit(1 if bad or start != x else 0)
PY
}
check "PDF xref table is exact (1000 labels)" xref_ok "$T/s1.pdf"
check "PDF xref table is exact (golden)" xref_ok "$V/sheet.pdf"
pages=$(pdfinfo "$T/s1.pdf" 2>>"$T/pdferr" | awk '/^Pages:/ {print $2}')
check "pdfinfo reports 42 pages for 1000 labels at 3x8" test "$pages" = 42
pdftoppm -r 300 -png -f 1 -l 2 "$T/s1.pdf" "$T/pdf" 2>>"$T/pdferr"
pdftoppm -r 300 -png -f 42 -l 42 "$T/s1.pdf" "$T/pdf" 2>>"$T/pdferr"
check "pdfinfo and pdftoppm print no errors" test ! -s "$T/pdferr"
check "PDF pages 1-2 decode to labels 1-48" \
    cmp -s <(decode "$T"/pdf-01.png "$T"/pdf-02.png | sort) <(head -48 "$T/pay1k.txt" | sort)
check "last PDF page holds the last 16 labels" \
    cmp -s <(decode "$T"/pdf-42.png | sort) <(tail -16 "$T/pay1k.txt" | sort)

mkdir "$T/pg"
head -30 "$T/pay.txt" | "$Y" render -q --sheet 3x8 --dpi 300 --dir "$T/pg"
check "PNG pages: 2 pages" test "$(ls "$T/pg" | wc -l)" -eq 2
check "PNG pages decode" cmp -s <(decode "$T"/pg/*.png | sort) <(head -30 "$T/pay.txt" | sort)

check "ZPL: one ^XA..^XZ per code" test "$(grep -c '^\^XA$' "$T/z1.zpl")" -eq 1000
check "ZPL: ^BQ data carries the payload" \
    cmp -s <(sed -n 's/^\^FH_^FDMM,A\(HTTPS.*\)^FS$/\1/p' "$T/z1.zpl") "$T/pay1k.txt"

# ---- gen's formats, other ECC levels, 8-bit payloads ---------------------
"$Y" gen -k "$T/brand.key" -b 2 -n 500 -a mac -f csv -t 'HTTPS://V.EXAMPLE.CN/{code}' \
    --no-ledger -q -o "$T/gen.csv"
mkdir "$T/gen"
"$Y" render -q -e H --dir "$T/gen" -n serial "$T/gen.csv"
check "gen csv: payload column decodes" \
    cmp -s <(decode "$T"/gen/*.png | sort) <(tail -n +2 "$T/gen.csv" | cut -d, -f5 | sort)
check "--name serial names files by serial" \
    cmp -s <(ls "$T/gen" | sed 's/\.png$//' | sort) <(tail -n +2 "$T/gen.csv" | cut -d, -f3 | sort)
head -200 "$T/pay1k.txt" | tr 'A-Z' 'a-z' >"$T/lower.txt"
"$Y" render -q --tar -e Q "$T/lower.txt" | tar -xf - -C "$T" --one-top-level=lower
check "8-bit payloads decode" cmp -s <(decode "$T"/lower/*.png) "$T/lower.txt"
# width W of a PBM symbol for payload 1 at ECC $1
pbm_width() { head -1 "$T/pay.txt" | "$Y" render -e "$1" -f pbm | head -2 | tail -1 | cut -d' ' -f1; }
check "ECC L symbols are smaller than H" test "$(pbm_width L)" -lt "$(pbm_width H)"

# ---- errors --------------------------------------------------------------
expect_error "version too small" 2 "too long for QR version 1-M" "$Y" render --version 1 "$V/url.txt" -o "$T/x.png"
expect_error "unknown ECC" 2 "unknown value 'X'" "$Y" render -e X "$V/url.txt"
expect_error "sheet too big" 2 "page is 210x297 mm" "$Y" render --sheet 3x8 --pitch-mm 80x40 "$V/url.txt"
expect_error "label too small" 2 "larger than the" "$Y" render --sheet 2x2 --pitch-mm 5x5 "$V/url.txt"
expect_error "bad --scale" 2 "out of range" "$Y" render -s 0 "$V/url.txt"
expect_error "bad --module-mm" 2 "not a length" "$Y" render --dpi 600 --module-mm abc "$V/url.txt"
printf 'ABC\nDEF\n%s\n' "$(printf 'X%.0s' {1..80})" >"$T/long.txt"
expect_error "later payload too long names line" 3 "long.txt:3: payload of 80 bytes" \
    "$Y" render --tar "$T/long.txt" -o "$T/long.tar"
check "failed run leaves no output" test ! -e "$T/long.tar"
printf 'index,code,payload\n0,ABC,"unterminated\n' >"$T/bad.csv"
expect_error "malformed line names line" 3 "bad.csv:2:" "$Y" render --tar "$T/bad.csv" -o "$T/bad.tar"
expect_error "second payload without container" 2 "more than one payload" \
    "$Y" render "$T/pay1k.txt" -o "$T/one.png"
expect_error "module rounding warns" 0 "printing 6 dots = 0.2540 mm" \
    "$Y" render --dpi 600 --module-mm 0.25 "$V/url.txt" -o "$T/w.png"

# | head ends quietly with status 0.
rc=0
"$Y" render --tar "$T/pay.txt" 2>"$T/err" | head -c 1000 >/dev/null || rc=$?
check "| head: exit 0" test "$rc" = 0
check "| head: nothing on stderr" test ! -s "$T/err"
check "--help goes to stdout" bash -c "'$Y' render --help | grep -q -- '--sheet COLSxROWS'"

finish render
