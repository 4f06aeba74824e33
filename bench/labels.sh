#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Press labels, side by side in one run (issue 9's benchmark):
#  - N labels (default 20,000) as PDF sheets with three lines of text (a
#    product name, lot and expiry, the code in groups) by yima -j1 and -j2,
#    against zint --batch writing one PNG per code for the same payloads
#    (QR, ECC M, 4-module quiet zone, 4 px a module; zint has no text
#    templates, so its labels are the symbols alone);
#  - libqrencode alone encoding the same payloads (bench/bench_qrencode): every
#    QR symbol is its work, so its rate bounds yima -j1's;
#  - the peak RSS of one PDF job of BIG labels (default 1,000,000).
# Rates are the best of 3 rounds; each round times every row once, so load
# drifting over the minutes falls on every row alike.
# Usage: bench/labels.sh BUILD_DIR [N] [BIG]
set -euo pipefail
B=${1:?build dir}
N=${2:-20000}
BIG=${3:-1000000}
source "$(dirname "$0")/lib.bash"

"$B/yima" keygen -o "$W/brand" 2>/dev/null
gen_job() { # gen_job COUNT FILE: gen csv output merged with product data
    "$B/yima" gen -k "$W/brand.key" -b 1 -n "$1" -a mac -f csv -t 'HTTPS://V.EXAMPLE.CN/{code}' \
        --no-ledger -q -o - |
        awk -F, 'NR == 1 {print $0 ",product,lot,expiry"; next}
                 {print $0 ",绿茶 Green Tea 500 ml,L2026A,2027-05-31"}' >"$2"
}
gen_job "$N" "$W/job.csv"
tail -n +2 "$W/job.csv" | cut -d, -f5 >"$W/pay.txt"

LABEL=(--sheet 4x10 --label-mm 50x25 --gap-mm 2 --anchor left --text '{product}' --text-pt 8
       --text 'LOT {lot} EXP {expiry}' --text '{code}' --group 4)
yima_pdf() { "$B/yima" render -q "${LABEL[@]}" -j"$1" "$W/job.csv" -o "$W/out/labels.pdf"; }
zint_png() {
    zint -b QRCODE --secure=2 --quietzones --scale=2 --batch --input="$W/pay.txt" \
        -o "$W/out/~~~~~.png" >/dev/null
}
# libqrencode alone, the ceiling of yima -j1 (every QR symbol is its work).
qrencode_only() {
    local r
    r=$("$B/bench/bench_qrencode" "$W/pay.txt" | sed -n 's/.* rate=\([0-9]*\).*/\1/p')
    rate[qrencode]=$(awk -v r="$r" -v c="${rate[qrencode]:-0}" 'BEGIN { print (r > c ? r : c) }')
}
for _ in 1 2 3; do
    once yima_j1 "$N" yima_pdf 1
    once zint "$N" zint_png
    once yima_j2 "$N" yima_pdf 2
    qrencode_only
done

# Peak RSS of a BIG-label job (GNU time's maximum resident set size).
gen_job "$BIG" "$W/big.csv"
t0=$(now)
/usr/bin/time -f '%M' -o "$W/rss" "$B/yima" render -q "${LABEL[@]}" "$W/big.csv" \
    -o "$W/big.pdf"
t1=$(now)
pages=$(pdfinfo "$W/big.pdf" | awk '/^Pages:/ {print $2}')
qpdf_ok=$(qpdf --check "$W/big.pdf" >/dev/null 2>&1 && echo yes || echo no)

printf '%-46s %12s\n' "labels ($N, PDF sheets with 3 text lines)" "labels/s"
for k in yima_j1 yima_j2 zint qrencode; do
    printf '%-46s %12.0f\n' "$k" "${rate[$k]}"
done
awk -v a="${rate[yima_j1]}" -v b="${rate[yima_j2]}" -v z="${rate[zint]}" -v q="${rate[qrencode]}" 'BEGIN {
    printf "%-46s %12.2f\n", "yima PDF -j1 / zint --batch PNG", a / z
    printf "%-46s %12.2f\n", "yima PDF -j2 / yima PDF -j1", b / a
    printf "%-46s %12.2f\n", "libqrencode alone / zint --batch PNG", q / z
    printf "%-46s %12.2f\n", "yima PDF -j1 / libqrencode alone", a / q }'
awk -v kb="$(cat "$W/rss")" -v n="$BIG" -v p="$pages" -v s="$(stat -c %s "$W/big.pdf")" \
    -v a="$t0" -v b="$t1" -v q="$qpdf_ok" 'BEGIN {
    printf "%-46s %9.1f MB\n", sprintf("peak RSS, %d labels (%d pages)", n, p), kb / 1024
    printf "%-46s %9.0f MB\n", "PDF size", s / 1048576
    printf "%-46s %12.0f\n", "labels/s (-j all cores)", n / (b - a)
    printf "%-46s %12s\n", "qpdf --check", q }'
