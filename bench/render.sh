#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima render against general-purpose QR tools, side by side in one run:
# the same 10,000 payloads rendered as PNG at the same module size (4 px,
# ECC M, 4-module quiet zone) by yima (-j1, -j2; --tar to a file and --dir),
# zint --batch, and a loop over qrencode -o (run on QRENCODE_N payloads and
# scaled, as it starts one process per code). DataMatrix rows: the same
# payloads, and as many GS1 element strings (GTIN, expiry, lot, serial),
# rendered by yima --symbol datamatrix and zint -b 71 (Data Matrix, --square;
# --gs1 --gs1parens for the element strings) at the same module size.
# Usage: bench/render.sh BUILD_DIR [N] [QRENCODE_N]
set -euo pipefail
B=${1:?build dir}
N=${2:-10000}
QN=${3:-1000}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }

python3 - "$W/pay.txt" "$N" <<'PY'
import random, sys
r = random.Random(42)
b32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[2])):
        f.write("HTTPS://V.EXAMPLE.CN/" + "".join(r.choice(b32) for _ in range(27)) + "\n")
PY
python3 - "$W/gs1.txt" "$N" <<'PY'
import random, sys
r = random.Random(7)
b32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
with open(sys.argv[1], "w") as f:
    for _ in range(int(sys.argv[2])):
        f.write("(01)09506000134352(17)271231(10)LOT42(21)" + "".join(r.choice(b32) for _ in range(19)) + "\n")
PY
head -n "$QN" "$W/pay.txt" >"$W/qpay.txt"

# rate NAME COMMAND...: codes per second of COMMAND over N codes (best of 3).
declare -A rate
run() {
    local name=$1 n=$2 best=0
    shift 2
    for _ in 1 2 3; do
        rm -rf "$W/out" && mkdir "$W/out"
        local t0 t1
        t0=$(now)
        "$@"
        t1=$(now)
        best=$(awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$best" 'BEGIN {
            r = n / (b - a); print (r > c ? r : c) }')
    done
    rate[$name]=$best
}
yima_tar() { "$B/yima" render -q --tar -j"$1" "$W/pay.txt" >"$W/out/all.tar"; }
yima_dir() { "$B/yima" render -q --dir "$W/out" -j"$1" "$W/pay.txt"; }
zint_batch() {
    zint -b QRCODE --secure=2 --quietzones --scale=2 --batch --input="$W/pay.txt" \
        -o "$W/out/~~~~~.png" >/dev/null
}
yima_dm() { "$B/yima" render -q --symbol datamatrix --tar -j"$1" "$W/$2" >"$W/out/all.tar"; }
zint_dm() {
    zint -b 71 --square --quietzones --scale=2 --batch --input="$W/pay.txt" \
        -o "$W/out/~~~~~.png" >/dev/null
}
zint_dm_gs1() {
    zint -b 71 --square --gs1 --gs1parens --quietzones --scale=2 --batch --input="$W/gs1.txt" \
        -o "$W/out/~~~~~.png" >/dev/null
}
qrencode_loop() {
    local i=0
    while IFS= read -r p; do
        i=$((i + 1))
        qrencode -l M -s 4 -m 4 -o "$W/out/$i.png" "$p"
    done <"$W/qpay.txt"
}
run yima_tar_j1 "$N" yima_tar 1
run yima_tar_j2 "$N" yima_tar 2
run yima_dir_j1 "$N" yima_dir 1
run yima_dir_j2 "$N" yima_dir 2
run zint "$N" zint_batch
run qrencode "$QN" qrencode_loop
run yima_dm_j1 "$N" yima_dm 1 pay.txt
run yima_dm_j2 "$N" yima_dm 2 pay.txt
run zint_dm "$N" zint_dm
run yima_dm_gs1_j1 "$N" yima_dm 1 gs1.txt
run zint_dm_gs1 "$N" zint_dm_gs1

# Same module size: check the symbol sides match (yima 148 px incl. quiet zone).
yside=$(head -1 "$W/pay.txt" | "$B/yima" render | file - | grep -o '[0-9]* x [0-9]*')
zint -b QRCODE --secure=2 --quietzones --scale=2 -o "$W/z.png" -d "$(head -1 "$W/pay.txt")"
zside=$(file "$W/z.png" | grep -o '[0-9]* x [0-9]*')
echo "PNG size: yima $yside, zint $zside"
yside=$(head -1 "$W/pay.txt" | "$B/yima" render --symbol datamatrix | file - | grep -o '[0-9]* x [0-9]*')
zint -b 71 --square --quietzones --scale=2 -o "$W/z.png" -d "$(head -1 "$W/pay.txt")"
zside=$(file "$W/z.png" | grep -o '[0-9]* x [0-9]*')
echo "DataMatrix PNG size: yima $yside, zint $zside"

printf '%-34s %12s\n' "renderer ($N codes, PNG 4 px/module)" "codes/s"
for k in yima_tar_j1 yima_tar_j2 yima_dir_j1 yima_dir_j2 zint qrencode yima_dm_j1 yima_dm_j2 \
    zint_dm yima_dm_gs1_j1 zint_dm_gs1; do
    printf '%-34s %12.0f\n' "$k" "${rate[$k]}"
done
awk -v t1="${rate[yima_tar_j1]}" -v t2="${rate[yima_tar_j2]}" -v d1="${rate[yima_dir_j1]}" \
    -v d2="${rate[yima_dir_j2]}" -v z="${rate[zint]}" -v q="${rate[qrencode]}" 'BEGIN {
    printf "%-34s %12.2f\n", "yima -j1 / zint (tar)", t1 / z
    printf "%-34s %12.2f\n", "yima -j1 / zint (dir)", d1 / z
    printf "%-34s %12.2f\n", "yima -j2 / yima -j1 (tar)", t2 / t1
    printf "%-34s %12.2f\n", "yima -j2 / yima -j1 (dir)", d2 / d1
    printf "%-34s %12.2f\n", "yima -j1 / qrencode loop (tar)", t1 / q
}'
awk -v d1="${rate[yima_dm_j1]}" -v d2="${rate[yima_dm_j2]}" -v z="${rate[zint_dm]}" \
    -v g1="${rate[yima_dm_gs1_j1]}" -v gz="${rate[zint_dm_gs1]}" 'BEGIN {
    printf "%-34s %12.2f\n", "DataMatrix yima -j1 / zint", d1 / z
    printf "%-34s %12.2f\n", "DataMatrix yima -j2 / zint", d2 / z
    printf "%-34s %12.2f\n", "GS1 DataMatrix yima -j1 / zint", g1 / gz
}'
