#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima render's options: --help lists every option under its heading in two
# aligned columns; every flag-level fault (unknown value, malformed number,
# flags that contradict each other or mean nothing for the output) is a
# usage error, exit 2, whose message names the flag, and leaves no output;
# options that fit together are taken. A last part holds refusals that
# yima_render_check (the library), not the option parser, makes.
source "$(dirname "$0")/testlib.bash"

printf 'HTTPS://V.EXAMPLE.CN/0123456789ABCDEFGHJKMNPQRS\n' >"$T/one.txt"
ONE=$T/one.txt

# expect NAME STATUS PATTERN COMMAND...: exit status, and a stderr line
# matching PATTERN (a grep regex).
expect() {
    local name=$1 want=$2 pattern=$3 rc=0
    shift 3
    "$@" >"$T/out" 2>"$T/err" || rc=$?
    if [[ $rc != "$want" ]] || ! grep -q -- "$pattern" "$T/err"; then
        bad "$name: exit $rc (want $want), stderr: $(head -c 300 "$T/err")"
    else
        ok
    fi
}
# usage NAME PATTERN ARGS...: `yima render ARGS` is a usage error naming
# PATTERN, with the --help hint, and writes no output file.
usage() {
    local name=$1 pattern=$2
    shift 2
    rm -f "$T/x.out"
    expect "$name" 2 "$pattern" "$Y" render -q "$@" -o "$T/x.out" "$ONE"
    contains "$name: the hint" "$T/err" "Try 'yima render --help'"
    check "$name: no output" test ! -e "$T/x.out"
}
# usage_noout: the same for options that take no -o (--dir).
usage_noout() {
    local name=$1 pattern=$2
    shift 2
    expect "$name" 2 "$pattern" "$Y" render -q "$@" "$ONE"
}

# ---- --help ----------------------------------------------------------------
expect_status "--help succeeds" 0 "$Y" render --help
cp "$T/out" "$T/help"
same "--help writes nothing to stderr" "$(cat "$T/err")" ""
same "-h is --help" "$("$Y" render -h)" "$(cat "$T/help")"
for opt in symbol shape ecc version scale dpi module-mm margin level column \
    format output dir name tar sheet roll page-mm pitch-mm origin-mm force \
    label-mm gap-mm bleed-mm safe-mm anchor rotate \
    text text-pt font group \
    spot crop-marks title split-pages \
    zpl copies \
    range threads quiet help; do
    if grep -qE -- "^ +(-[a-z], )?--$opt( |$)" "$T/help"; then ok; else bad "--help has no line for --$opt"; fi
done
check "--help has a line for -t" grep -qE -- '^  -t ' "$T/help"
# Headings in order, each followed by its options.
same "--help groups the options under headings" \
    "$(grep -E '^[A-Z][A-Za-z]*:$' "$T/help" | tr '\n' ' ')" \
    "Symbol: Output: Label: Text: PDF: ZPL: Run: "
# Two columns: every option line's description starts in one column, every
# [Default: ...] in another.
same "descriptions start in one column" \
    "$(awk '/^ +-/ { print substr($0, 26, 1) == " " && substr($0, 27, 1) != " " ? 27 : "line " NR }' \
        "$T/help" | sort -u)" 27
same "[Default: ...] starts in one column" \
    "$(awk '{ i = index($0, "[Default:"); if (i) print i }' "$T/help" | sort -u)" 62
check "no --help line wider than 100 columns" awk 'length > 100 { exit 1 }' "$T/help"
for pat in "Default: qr" "Default: square" "Default: center" "Default: 1\]" \
    "WenQuanYi Micro Hei" "Default: 210x297" "Default: 0\]" "Default: M\]" "Default: 4\]"; do
    check "--help gives the default '$pat'" grep -q -- "$pat" "$T/help"
done

# ---- symbol -------------------------------------------------------------------
usage "unknown --symbol" "--symbol: unknown value 'aztec'" --symbol aztec
usage "--shape without DataMatrix" "--shape is for --symbol datamatrix" --shape rect
usage "--shape square with QR too" "--shape is for --symbol datamatrix" --shape square --symbol qr
usage "--shape with Micro QR" "--shape" --symbol microqr --shape rect
usage "unknown --shape" "--shape: unknown value 'oval'" --symbol datamatrix --shape oval
usage "--ecc with DataMatrix" "--ecc is for QR" --symbol datamatrix -e Q
usage "--version with Micro QR" "--version is for QR" --symbol microqr --version 2
usage "--version with DataMatrix" "--version is for QR" --symbol datamatrix --version 2
usage "unknown --level" "--level: unknown value 'box'" --level box
usage "unknown --column" "--column: unknown value 'outer'" --column outer
usage "--level all is not a level" "--level: unknown value" --level all

# ---- label ----------------------------------------------------------------------
usage "--label-mm without x" "--label-mm: expected WxH" --roll --label-mm 50
usage "--label-mm of 0" "--label-mm: '0' is not a length" --roll --label-mm 0x30
usage "--label-mm not a number" "--label-mm: 'abc' is not a length" --roll --label-mm 50xabc
usage "--label-mm with an exponent" "--label-mm: '5e1' is not a length" --roll --label-mm 5e1x30
usage "--label-mm hex" "--label-mm" --roll --label-mm 0x10x30
usage "--gap-mm negative" "--gap-mm: '-1' is not a length" --sheet 2x2 --gap-mm -1
usage "--gap-mm not a number" "--gap-mm: 'wide'" --sheet 2x2 --gap-mm wide
usage "--bleed-mm above 10" "--bleed-mm: '11' is not a length in mm (0 <= mm <= 10)" \
    --roll --label-mm 50x30 --bleed-mm 11
usage "--bleed-mm two points" "--bleed-mm: '1.2.3'" --roll --label-mm 50x30 --bleed-mm 1.2.3
usage "--bleed-mm inf" "--bleed-mm: 'inf'" --roll --label-mm 50x30 --bleed-mm inf
usage "--safe-mm empty" "--safe-mm: ''" --roll --label-mm 50x30 --safe-mm ''
usage "unknown --anchor" "--anchor: unknown value 'middle'" --roll --label-mm 50x30 --anchor middle
usage "--rotate 45" "--rotate: 45 is not 0, 90, 180 or 270" --roll --label-mm 50x30 --rotate 45
usage "--rotate 360" "--rotate: 360 is out of range" --roll --label-mm 50x30 --rotate 360
usage "--rotate -90" "--rotate: '-90' is not a whole number" --roll --label-mm 50x30 --rotate -90
usage "--anchor without a label size" "--anchor needs --label-mm" --anchor left
usage "--rotate without a label size" "--rotate needs --label-mm" --rotate 90 --tar
usage "--gap-mm without a label size" "--gap-mm needs --label-mm" --gap-mm 2 --tar
usage "--roll without --label-mm" "--roll needs --label-mm" --roll
usage "--roll and --sheet" "choose one of --sheet and --roll" --roll --sheet 2x2 --label-mm 50x30
usage "--page-mm without --sheet" "--page-mm is for --sheet" --roll --label-mm 50x30 --page-mm 100x100
usage "--pitch-mm without --sheet" "--pitch-mm is for --sheet" --pitch-mm 50x30
usage "--origin-mm without --sheet" "--origin-mm is for --sheet" --tar --origin-mm 5x5
usage "--sheet 0x3" "--sheet: 0 is out of range" --sheet 0x3

# ---- text -----------------------------------------------------------------------
usage "--text empty" "--text needs a template" --text ''
usage "nine --text lines" "--text: at most 8 lines of text" \
    --text a --text b --text c --text d --text e --text f --text g --text h --text i
usage "-t as a ninth line" "-t: at most 8 lines of text" \
    --text a --text b --text c --text d --text e --text f --text g --text h -t
usage "--text-pt below 6" "--text-pt: '5' is not a size in points (6..72)" -t --text-pt 5
usage "--text-pt 5.99" "--text-pt: '5.99'" -t --text-pt 5.99
usage "--text-pt above 72" "--text-pt: '72.5'" -t --text-pt 72.5
usage "--text-pt not a number" "--text-pt: 'big'" -t --text-pt big
usage "--text-pt nan" "--text-pt: 'nan'" -t --text-pt nan
usage "--text-pt with a unit" "--text-pt: '8pt'" -t --text-pt 8pt
usage "--text-pt without text" "--text-pt: there is no text" --text-pt 8
usage "--font without text" "--font: there is no text" --font 'Noto Sans CJK SC'
usage "--font empty" "--font needs a value" -t --font ''
usage "--group without text" "--group: there is no text" --group 4
usage "--group 0" "--group: 0 is out of range 1..16" -t --group 0
usage "--group 17" "--group: 17 is out of range 1..16" -t --group 17
# --text takes a value now (0.1's --text was a switch, now -t).
expect "--text needs its template" 2 "missing value: '--text'" "$Y" render -q "$ONE" --text

# ---- PDF-only options -----------------------------------------------------------
usage "--spot without PDF" "--spot is for PDF output" --spot Black
usage "--spot on PNG pages" "--spot is for PDF output" --sheet 2x2 --tar --spot Black
usage "--spot empty" "--spot needs a value" --sheet 2x2 --spot ''
usage "--crop-marks on PNG pages" "--crop-marks is for PDF output" \
    --roll --label-mm 50x30 --tar --crop-marks
usage "--crop-marks on a sheet" "--crop-marks is for --roll" --sheet 2x2 --crop-marks
usage "--bleed-mm on a sheet" "--bleed-mm is for --roll" --sheet 2x2 --label-mm 50x30 --bleed-mm 2
usage "--title without PDF" "--title is for PDF output" --title 'Batch 7'
usage "--title with ZPL" "--title is for PDF output" --zpl --title 'Batch 7'
usage "--split-pages without PDF" "--split-pages is for PDF output" --tar --split-pages 10
usage "--split-pages 0" "--split-pages: 0 is out of range" --sheet 2x2 --split-pages 0
expect "--split-pages to stdout" 2 "--split-pages needs --output FILE" \
    "$Y" render -q --sheet 2x2 --split-pages 10 "$ONE"
expect "--split-pages to -" 2 "--split-pages needs --output FILE" \
    "$Y" render -q --sheet 2x2 --split-pages 10 -o - "$ONE"
usage "--format with PDF output" "--format does not apply to PDF output" --sheet 2x2 -f png
mkdir "$T/d"
usage_noout "LIBRARY: -f svg on PNG pages" "not svg" \
    --sheet 2x2 -f svg --dir "$T/d" # sheet and roll pages are PDF or PNG

# ---- ZPL ------------------------------------------------------------------------
usage "--zpl -f png" "--format does not apply to --zpl: the printer draws the symbol" --zpl -f png
usage "--zpl -f svg" "--format does not apply to --zpl" -f svg --zpl
usage "--zpl --sheet" "--zpl prints label by label: no --sheet" --zpl --sheet 2x2
usage "--zpl --roll" "--zpl prints label by label: no --roll" --zpl --roll --label-mm 50x30
usage_noout "--zpl --dir" "choose one of --dir, --tar and --zpl" --zpl --dir "$T/d"
usage "--zpl --tar" "choose one of --dir, --tar and --zpl" --zpl --tar
usage "--copies without --zpl" "--copies is for --zpl" --copies 2
usage "--copies 0" "--copies: 0 is out of range 1..99999999" --zpl --copies 0
usage "--copies 10^8" "--copies: 100000000 is out of range" --zpl --copies 100000000
usage "--copies not a number" "--copies: 'two'" --zpl --copies two

# ---- run ------------------------------------------------------------------------
usage "--range without a colon" "--range: expected START:COUNT" --range 5
usage "--range count 0" "--range: 0 is out of range 1\.\." --range 5:0
usage "--range negative start" "--range: '-1' is not a whole number" --range -1:5
usage "--range start too large" "--range: '99999999999999999999' is too large" \
    --range 99999999999999999999:1
usage "--range past the last row number" "--range: 18446744073709551615:2 ends beyond" \
    --range 18446744073709551615:2
usage "--range empty count" "--range" --range 5:
usage "-j not a number" "-j: 'x'" -j x

# ---- options that fit together are taken ----------------------------------------
# (With the real library these render; each must succeed.)
expect_status "DataMatrix rect" 0 "$Y" render -q --symbol datamatrix --shape rect "$ONE" -o "$T/r.png"
expect_status "a sheet of labels with a gap (pitch = label + gap)" 0 \
    "$Y" render -q --sheet 4x8 --label-mm 50x34 --gap-mm 2 -t "$ONE" -o "$T/s.pdf"
expect_status "text sizes before and after lines" 0 \
    "$Y" render -q --roll --label-mm 60x40 --anchor left --text-pt 7 --text '{code}' \
    --text 'LOT {{A}' --text-pt 9 --group 4 --bleed-mm 2 --crop-marks --title T "$ONE" -o "$T/t.pdf"
expect_status "--range and --level: a txt input has no level column" 3 \
    "$Y" render -q --range 0:1 --level item "$ONE" -o "$T/l.png"
expect_status "--zpl with copies and a label" 0 \
    "$Y" render -q --zpl --copies 3 --label-mm 50x30 --anchor left -t "$ONE" -o "$T/z.zpl"
expect_status "--split-pages to a file" 0 \
    "$Y" render -q --roll --label-mm 50x30 --split-pages 5 "$ONE" -o "$T/sp.pdf"

# ---- refusals of the library (yima_render_check and the run) ---------------------
# These are not the option parser's: the integrator's library makes them.
# LIBRARY: Micro QR has no error correction level H.
expect "LIBRARY: Micro QR -e H" 2 "level H" "$Y" render -q --symbol microqr -e H "$ONE" -o "$T/m.png"
# LIBRARY: ZPL sizes the printer cannot make are refused, not clamped (^BQ
# magnification is 1..10).
expect "LIBRARY: --zpl -s 12 is refused" 2 "12" "$Y" render -q --zpl -s 12 "$ONE" -o "$T/z12.zpl"
check "LIBRARY: no ZPL after the refusal" test ! -e "$T/z12.zpl"
# LIBRARY: ZPL has no Micro QR command.
expect "LIBRARY: --zpl --symbol microqr" 2 "Micro QR" \
    "$Y" render -q --zpl --symbol microqr "$ONE" -o "$T/zm.zpl"
# LIBRARY: a grid of labels that does not fit the page.
expect "LIBRARY: 3 labels of 80 mm on A4" 2 "page is 210x297 mm" \
    "$Y" render -q --sheet 3x8 --label-mm 80x30 "$ONE" -o "$T/g.pdf"
# LIBRARY: a label that does not fit the pitch given.
expect "LIBRARY: label and gap larger than the pitch" 2 "do not fit the 40x30 mm pitch" \
    "$Y" render -q --sheet 2x2 --pitch-mm 40x30 --label-mm 40x30 --gap-mm 2 "$ONE" -o "$T/p.pdf"
# LIBRARY: a safe area of half the label or more leaves nothing.
expect "LIBRARY: --safe-mm 15 on a 30 mm label" 2 "safe area" \
    "$Y" render -q --roll --label-mm 30x30 --safe-mm 15 "$ONE" -o "$T/sa.pdf"
# LIBRARY: a spot colour name longer than 63 bytes.
expect "LIBRARY: a 64-byte spot name" 2 "spot colour" \
    "$Y" render -q --sheet 2x2 --spot "$(printf 'S%.0s' {1..64})" "$ONE" -o "$T/sp64.pdf"
# LIBRARY: malformed templates.
expect "LIBRARY: a '{' without its '}'" 2 "without its '}'" \
    "$Y" render -q --text 'LOT {lot' "$ONE" -o "$T/b.png"
expect "LIBRARY: an empty {}" 2 "an empty {}" "$Y" render -q --text 'A {} B' "$ONE" -o "$T/b.png"
check "LIBRARY: no image after a template error" test ! -e "$T/b.png"

finish render_cli
