#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima render --zpl: labels a Zebra printer prints right. The ZPL is printed
# by zebrash (npm's zpl-renderer-js, pinned in tests/zpl/) into PNG labels:
# zbar decodes all 200 labels of a gen run to their payloads in order,
# dmtxread the GS1 and rectangular DataMatrix ones; the symbol's first
# module lands where the raster drawer puts it on the same label, the text
# stays out of its quiet zone and reads back by OCR (tesseract, chi_sim for
# a Chinese product name); every format carries ^CI28, ^PW, ^LL, ^BY and
# ^PQ; the bytes are the same for any -j; sizes and options a printer
# cannot honour are refused with exit 2, never clamped.
source "$(dirname "$0")/testlib.bash"

ZPL_RENDER=$TESTS/zpl/render.mjs
if [ ! -d "$TESTS/zpl/node_modules/zpl-renderer-js" ]; then
    echo "render_zpl: no ZPL renderer: run npm ci --prefix tests/zpl (as .ci/install does)" >&2
    exit 1
fi
GS=$'\x1d'
# zplprint ZPL WxH DPMM DIR: prints the labels as DIR/label-NNNNN.png.
zplprint() { node "$ZPL_RENDER" "$@" 2>"$T/node.err" || cat "$T/node.err" >&2; }
decode() { zbarimg -q --raw -Sdisable -Sqrcode.enable "$@" 2>/dev/null; }
dm_gs1() { dmtxread -n -G 29 "$@" 2>/dev/null; }
ocr() { tesseract "$1" stdout -l "$2" --psm 6 2>/dev/null | tr -d ' \n' | tr 'a-z' 'A-Z'; }
contains_str() { case "$2" in *"$3"*) ok ;; *) bad "$1: '$3' not in '$2'" ;; esac; }

# geometry.py: reads PNG labels (gray 1 or 8 bit, RGB(A) 8 bit) and finds the
# symbol (the ink from the top down to the first blank band of 8 rows or
# more) and the text (the ink below it).
cat >"$T/geometry.py" <<'EOF'
import struct, sys, zlib

def read(path):
    d = open(path, 'rb').read()
    assert d[:8] == b'\x89PNG\r\n\x1a\n', path
    pos, idat = 8, b''
    while pos < len(d):
        n, t = struct.unpack('>I4s', d[pos:pos + 8])
        c = d[pos + 8:pos + 8 + n]
        pos += 12 + n
        if t == b'IHDR':
            w, h, bd, ct, _, _, il = struct.unpack('>IIBBBBB', c)
        elif t == b'IDAT':
            idat += c
    assert il == 0 and (bd == 8 or (bd == 1 and ct == 0)), (path, bd, ct)
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[ct]
    st = (w * ch * bd + 7) // 8
    bpp = max(1, ch * bd // 8)
    raw = zlib.decompress(idat)
    prev, dark = bytearray(st), []
    for y in range(h):
        f = raw[y * (st + 1)]
        ln = bytearray(raw[y * (st + 1) + 1:(y + 1) * (st + 1)])
        for i in range(st):
            a = ln[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1: ln[i] = (ln[i] + a) & 255
            elif f == 2: ln[i] = (ln[i] + b) & 255
            elif f == 3: ln[i] = (ln[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                ln[i] = (ln[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = ln
        if bd == 1:
            dark.append([not (ln[x // 8] >> (7 - x % 8) & 1) for x in range(w)])
        else:
            dark.append([ln[x * ch] < 128 for x in range(w)])
    return w, h, dark

def box(dark, y0, y1):
    xs = [x for y in range(y0, y1) for x, v in enumerate(dark[y]) if v]
    ys = [y for y in range(y0, y1) if any(dark[y])]
    return (min(xs), min(ys), max(xs) + 1, max(ys) + 1) if xs else None

def split(path):
    """(symbol box, text box or None, width, height, dark) of one label."""
    w, h, dark = read(path)
    rows = [any(r) for r in dark]
    top = rows.index(True)
    y, blank = top, 0
    while y < h and blank < 8:
        blank = 0 if rows[y] else blank + 1
        y += 1
    sym = box(dark, top, y - blank)
    return sym, box(dark, y, h), w, h, dark
EOF
geometry() { PYTHONPATH=$T python3 - "$@"; }

# ---- 200 signed codes, a 50x30 mm label each -----------------------------
fixed_key "$T/brand" 3
"$Y" gen -k "$T/brand.key" -b 1 -n 200 -a mac -f csv -t 'HTTPS://V.EXAMPLE.CN/{code}' \
    --no-ledger -q -o "$T/gen.csv"
awk -F, 'NR == 1 {print $0 ",product"; next} {print $0 ",产品名称 绿茶"}' "$T/gen.csv" >"$T/job.csv"
col() { awk -F, -v name="$1" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == name) c = i; next}
                                {print $c}' "$T/gen.csv"; }
col payload >"$T/pay.txt"
col code >"$T/codes.txt"
same "gen made 200 codes" "$(wc -l <"$T/pay.txt")" 200

expect_status "200 ZPL labels" 0 "$Y" render -q --zpl --label-mm 50x30 --text '{code}' -j2 \
    "$T/job.csv" -o "$T/labels.zpl"
same "zebrash prints 200 labels" "$(zplprint "$T/labels.zpl" 50x30 12 "$T/png")" 200
check "all 200 labels decode to their payloads, in order" \
    cmp -s <(decode "$T"/png/label-*.png) "$T/pay.txt"

# ---- the format -------------------------------------------------------------
# 50x30 mm on a 300 dpi Zebra (12 dots a mm): ^PW600 ^LL360.
check "every label: ^XA ^CI28 ^PW600 ^LL360 ^BY ^BQ ^PQ1 ^XZ" python3 - "$T/labels.zpl" <<'EOF'
import re, sys
labels = open(sys.argv[1], encoding='utf-8').read().split('^XZ')
assert labels[-1].strip() == '' and len(labels) == 201, len(labels)
for l in labels[:-1]:
    for cmd in ('^XA', '^CI28', '^PW600', '^LL360', '^LH0,0', '^BQN,2,4,M', '^PQ1'):
        assert cmd in l, (cmd, l[:200])
    assert re.search(r'\^BY\d+,[\d.]+,\d+', l), 'no ^BY'
    assert l.index('^BY') < l.index('^BQ'), '^BY after ^BQ'
    assert re.search(r'\^GFA,\d+,\d+,\d+,:Z64:', l), 'text is not a ^GF graphic'
EOF
check "ZPL is ASCII for ASCII data (text as graphics)" \
    bash -c "! LC_ALL=C grep -q '[^[:print:][:space:]]' '$T/labels.zpl'"
"$Y" render -q --zpl --label-mm 50x30 --text '{code}' -j1 "$T/job.csv" -o "$T/labels1.zpl"
check "ZPL -j1 = -j2" cmp -s "$T/labels1.zpl" "$T/labels.zpl"
"$Y" render -q --zpl --label-mm 50x30 --copies 3 --range 0:5 "$T/job.csv" -o "$T/copies.zpl"
same "--copies 3: ^PQ3 on each label" "$(grep -c '\^PQ3$' "$T/copies.zpl")" 5

# ---- where things land ------------------------------------------------------
# Every label: one symbol size and place, QR-shaped at 4 dots a module, and
# the text starts at least the 4-module quiet zone (16 dots) below it.
check "symbol the same on every label; text below its quiet zone" \
    geometry "$T"/png/label-000{00..19}.png <<'EOF'
import sys
from geometry import split
boxes = set()
for p in sys.argv[1:]:
    sym, text, w, h, _ = split(p)
    x0, y0, x1, y1 = sym
    n = (x1 - x0) // 4
    assert x1 - x0 == y1 - y0 and (x1 - x0) % 4 == 0 and (n - 17) % 4 == 0, (p, sym)
    assert text and text[1] - y1 >= 16, (p, sym, text)
    assert text[3] <= h and text[2] <= w, (p, text)
    boxes.add(sym)
assert len(boxes) == 1, boxes
EOF
# The same label through the raster drawer at 300 dpi: the printer's QR has
# the version yima planned for (4 dots a module in both), and its first
# module and the text's top-left land within a tenth of a mm or so.
"$Y" render -q --label-mm 50x30 --dpi 300 --text '{code}' --range 0:1 "$T/job.csv" \
    -o "$T/raster.png"
check "ZPL symbol and text land where the raster label has them" \
    geometry "$T/png/label-00000.png" "$T/raster.png" <<'EOF'
import sys
from geometry import split
zs, zt, *_ = split(sys.argv[1])
rs, rt, *_ = split(sys.argv[2])
zpl = [v / 12 for v in zs[:2] + zt[:2]]            # 12 dots a mm
ras = [v * 25.4 / 300 for v in rs[:2] + rt[:2]]    # 300 px an inch
assert zs[2] - zs[0] == rs[2] - rs[0] and zs[3] - zs[1] == rs[3] - rs[1], (zs, rs)
for name, tol, a, b in zip(('symbol x', 'symbol y', 'text x', 'text y'), (0.1, 0.1, 0.2, 0.2),
                           zpl, ras):
    assert abs(a - b) <= tol, (name, a, b, zs, zt, rs, rt)
EOF

# ---- text reads back ----------------------------------------------------------
# At 600 dpi (24 dots a mm), the text band cut out of the label for OCR.
"$Y" render -q --zpl --dpi 600 --label-mm 50x30 --text '{product}' --text-pt 10 \
    --text '{code}' --text-pt 8 --range 2:1 "$T/job.csv" -o "$T/ocr.zpl"
same "600 dpi: ^PW1200 ^LL720" "$(grep -c '^\^PW1200$\|^\^LL720$' "$T/ocr.zpl")" 2
zplprint "$T/ocr.zpl" 50x30 24 "$T/ocr" >/dev/null
check "600 dpi label decodes" cmp -s <(decode "$T/ocr/label-00000.png") <(sed -n 3p "$T/pay.txt")
geometry "$T/ocr/label-00000.png" "$T/text.pgm" <<'EOF'
import sys
from geometry import split
sym, text, w, h, dark = split(sys.argv[1])
x0, y0 = max(text[0] - 20, 0), max(text[1] - 20, 0)
x1, y1 = min(text[2] + 20, w), min(text[3] + 20, h)
px = bytes(0 if dark[y][x] else 255 for y in range(y0, y1) for x in range(x0, x1))
open(sys.argv[2], 'wb').write(b'P5\n%d %d\n255\n' % (x1 - x0, y1 - y0) + px)
EOF
contains_str "OCR (chi_sim) reads the Chinese product name" "$(ocr "$T/text.pgm" chi_sim)" \
    "产品名称"
# The code's characters in order, allowing a misread or two: tesseract takes
# 5 for S now and then in this font (the code alphabet has no O, I or L).
check "OCR reads the code" python3 - "$(sed -n 3p "$T/codes.txt")" \
    "$(tesseract "$T/text.pgm" stdout -l eng --psm 6 2>/dev/null)" <<'EOF'
import difflib, sys
def norm(s):
    return ''.join(c for c in s.upper().translate(str.maketrans('OILS', '0115')) if c.isalnum())
code, seen = norm(sys.argv[1]), norm(sys.argv[2])
found = sum(b.size for b in difflib.SequenceMatcher(None, code, seen).get_matching_blocks())
sys.exit(0 if found >= 0.9 * len(code) else print(f'read {seen!r} for {code!r}') or 1)
EOF

# ---- DataMatrix ---------------------------------------------------------------
printf '%s\n' '(01)09506000134352(17)271231(10)LOT1(21)SER0001' \
    '(01)09506000134352(17)271231(10)LOT1(21)SER0002' >"$T/gs1.txt"
RAW1="01095060001343521727123110LOT1${GS}21SER0001"
RAW2="01095060001343521727123110LOT1${GS}21SER0002"
expect_status "GS1 DataMatrix ZPL" 0 "$Y" render -q --zpl --symbol datamatrix \
    --label-mm 50x30 -t "$T/gs1.txt" -o "$T/gs1.zpl"
zplprint "$T/gs1.zpl" 50x30 12 "$T/gs1" >/dev/null
same "GS1 DataMatrix labels decode: FNC1 first, GS between fields" \
    "$(dm_gs1 "$T"/gs1/label-*.png | od -An -c | tr -s ' \n' ' ')" \
    "$(printf '%s%s\n%s%s\n' "$GS" "$RAW1" "$GS" "$RAW2" | od -An -c | tr -s ' \n' ' ')"
same "first codeword is FNC1 (232)" "$(dmtxread -c "$T/gs1/label-00000.png" | head -1)" "d:232"
# ^BX names the run's size (columns, rows): each symbol is that many 4-dot
# modules, with the text at least the 4-module quiet zone below it.
check "DataMatrix: the size ^BX names; text below the quiet zone" \
    geometry "$T/gs1.zpl" "$T"/gs1/label-*.png <<'EOF'
import re, sys
from geometry import split
sizes = re.findall(r'\^BXN,4,200,(\d+),(\d+),', open(sys.argv[1]).read())
assert len(sizes) == 2 and sizes[0] == sizes[1] and sizes[0][0] == sizes[0][1], sizes
n = int(sizes[0][0])
for p in sys.argv[2:]:
    sym, text, *_ = split(p)
    assert sym[2] - sym[0] == n * 4 and sym[3] - sym[1] == n * 4, (n, sym)
    assert text and text[1] - sym[3] >= 16, (sym, text)
EOF
printf '%s\n' AB12CD XY34ZW >"$T/short.txt"
expect_status "rectangular DataMatrix ZPL" 0 "$Y" render -q --zpl --symbol datamatrix \
    --shape rect --label-mm 40x20 "$T/short.txt" -o "$T/rect.zpl"
zplprint "$T/rect.zpl" 40x20 12 "$T/rect" >/dev/null
check "rectangular DataMatrix labels decode" \
    cmp -s <(dmtxread -n -s r "$T"/rect/label-*.png 2>/dev/null) "$T/short.txt"
expect_status "DataMatrix turned 90 degrees" 0 "$Y" render -q --zpl --symbol datamatrix \
    --rotate 90 --label-mm 50x30 -t "$T/gs1.txt" -o "$T/turn.zpl"
contains "turned: ^BXR" "$T/turn.zpl" "^BXR,"
zplprint "$T/turn.zpl" 50x30 12 "$T/turn" >/dev/null
same "turned GS1 DataMatrix decodes" "$(dm_gs1 "$T/turn/label-00001.png")" "$GS$RAW2"

# ---- refused, never clamped ---------------------------------------------------
R=("$Y" render -q --zpl --label-mm 50x30)
expect_error "-s 12: ^BQ magnifies 1..10" 2 "BQ" "${R[@]}" -s 12 "$T/pay.txt" -o "$T/x.zpl"
check "-s 12 wrote nothing" test ! -e "$T/x.zpl"
expect_error "--zpl -f svg" 2 "format" "${R[@]}" -f svg "$T/pay.txt" -o "$T/x.zpl"
expect_error "--zpl -f pbm" 2 "format" "${R[@]}" -f pbm "$T/pay.txt" -o "$T/x.zpl"
expect_error "--zpl Micro QR" 2 "Micro QR" "${R[@]}" --symbol microqr "$T/short.txt" -o "$T/x.zpl"
expect_error "--zpl --dpi 250" 2 "250 dpi" "${R[@]}" --dpi 250 "$T/pay.txt" -o "$T/x.zpl"
expect_error "--zpl 250 mm wide" 2 "wider than any Zebra" "$Y" render -q --zpl --label-mm 250x30 \
    "$T/pay.txt" -o "$T/x.zpl"
expect_error "--zpl QR turned" 2 "upright" "${R[@]}" --rotate 90 "$T/pay.txt" -o "$T/x.zpl"
check "no refused run left a file" test ! -e "$T/x.zpl"
expect_status "-s 10 is the largest QR module" 0 "$Y" render -q --zpl --label-mm 100x100 -s 10 \
    --range 0:1 "$T/pay.txt" -o "$T/s10.zpl"
contains "-s 10: ^BQN,2,10" "$T/s10.zpl" "^BQN,2,10,"

finish render_zpl
