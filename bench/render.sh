#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima render against general-purpose QR tools, side by side in one run:
# the same 10,000 payloads rendered as PNG at the same module size (4 px,
# ECC M, 4-module quiet zone) by yima (-j1, -j2; --tar to a file and --dir),
# zint --batch, and a loop over qrencode -o (run on QRENCODE_N payloads and
# scaled, as it starts one process per code). DataMatrix rows: the same
# payloads, and as many GS1 element strings (GTIN, expiry, lot, serial),
# rendered by yima --symbol datamatrix and zint -b 71 (Data Matrix, --square;
# --gs1 --gs1parens for the element strings) at the same module size, twice:
# at each tool's defaults (yima: 4-module quiet zone and a size that holds
# any payload as long as the first; zint: 1-module quiet zone, its smallest
# symbol), and matched (yima -m 1, zint --vers set to yima's symbol size,
# so both images have the same pixels' dimensions).
# zint --batch writes one file per code; yima rows write a tar stream
# (dm_dir rows: one file per code too). Outputs go under $TMPDIR.
# Usage: bench/render.sh BUILD_DIR [N] [QRENCODE_N]
#        BENCH_ONLY=datamatrix bench/render.sh ... runs only the DataMatrix rows.
set -euo pipefail
B=${1:?build dir}
N=${2:-10000}
QN=${3:-1000}
source "$(dirname "$0")/lib.bash"

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

# run NAME N COMMAND...: best of 3.
run() {
    for _ in 1 2 3; do
        once "$@"
    done
}
yima_tar() { "$B/yima" render -q --tar -j"$1" "$W/pay.txt" >"$W/out/all.tar"; }
yima_dir() { "$B/yima" render -q --dir "$W/out" -j"$1" "$W/pay.txt"; }
zint_batch() {
    zint -b QRCODE --secure=2 --quietzones --scale=2 --batch --input="$W/pay.txt" \
        -o "$W/out/~~~~~.png" >/dev/null
}
# yima_dm THREADS FILE [OPTION...]
yima_dm() {
    local j=$1 f=$2
    shift 2
    "$B/yima" render -q --symbol datamatrix --tar -j"$j" "$@" "$W/$f" >"$W/out/all.tar"
}
yima_dm_dir() { "$B/yima" render -q --symbol datamatrix --dir "$W/out" -j"$1" -m 1 "$W/$2"; }
# zint_dm FILE [OPTION...]: gs1.txt is read as GS1 element strings.
zint_dm() {
    local f=$1 gs1=()
    shift
    [ "$f" = gs1.txt ] && gs1=(--gs1 --gs1parens)
    zint -b 71 --square "${gs1[@]}" --quietzones --scale=2 "$@" --batch --input="$W/$f" \
        -o "$W/out/~~~~~.png" >/dev/null
}
# dm_vers FILE: yima's DataMatrix size number (1 = 10x10 .. 24 = 144x144,
# zint's --vers numbering of the square sizes) for FILE's first payload.
dm_vers() {
    local px side v=0
    px=$(head -1 "$W/$1" | "$B/yima" render --symbol datamatrix -m 0 -s 1 -f pbm | sed -n 2p)
    side=${px%% *}
    for s in 10 12 14 16 18 20 22 24 26 32 36 40 44 48 52 64 72 80 88 96 104 120 132 144; do
        v=$((v + 1))
        [ "$s" = "$side" ] && echo "$v" && return
    done
}
# png_side COMMAND...: the PNG's pixel dimensions.
png_side() { "$@" | file - | grep -o '[0-9]* x [0-9]*'; }
qrencode_loop() {
    local i=0
    while IFS= read -r p; do
        i=$((i + 1))
        qrencode -l M -s 4 -m 4 -o "$W/out/$i.png" "$p"
    done <"$W/qpay.txt"
}
qr=1
[ "${BENCH_ONLY:-}" = datamatrix ] && qr=0
if [ $qr = 1 ]; then
    run yima_tar_j1 "$N" yima_tar 1
    run yima_tar_j2 "$N" yima_tar 2
    run yima_dir_j1 "$N" yima_dir 1
    run yima_dir_j2 "$N" yima_dir 2
    run zint "$N" zint_batch
    run qrencode "$QN" qrencode_loop
fi
vp=$(dm_vers pay.txt)
vg=$(dm_vers gs1.txt)
# Best of 3 rounds, each round timing every row once, so that load from
# other work drifting over the minutes falls on both tools alike.
for _ in 1 2 3; do
    for f in pay gs1; do
        v=$vp
        [ $f = gs1 ] && v=$vg
        once "dm_${f}_j1" "$N" yima_dm 1 $f.txt
        once "dm_${f}_zint" "$N" zint_dm $f.txt
        once "dm_${f}_j2" "$N" yima_dm 2 $f.txt
        once "dm_${f}_m1_j1" "$N" yima_dm 1 $f.txt -m 1
        once "dm_${f}_zint_vers" "$N" zint_dm $f.txt --vers="$v"
        once "dm_${f}_m1_j2" "$N" yima_dm 2 $f.txt -m 1
        once "dm_${f}_m1_dir_j1" "$N" yima_dm_dir 1 $f.txt
    done
done

if [ $qr = 1 ]; then
    # Same module size: check the symbol sides match (yima 148 px incl. quiet zone).
    yside=$(head -1 "$W/pay.txt" | "$B/yima" render | file - | grep -o '[0-9]* x [0-9]*')
    zint -b QRCODE --secure=2 --quietzones --scale=2 -o "$W/z.png" -d "$(head -1 "$W/pay.txt")"
    zside=$(file "$W/z.png" | grep -o '[0-9]* x [0-9]*')
    echo "PNG size: yima $yside, zint $zside"
fi
for f in pay gs1; do
    v=$vp gs1=()
    [ $f = gs1 ] && v=$vg gs1=(--gs1 --gs1parens)
    p=$(head -1 "$W/$f.txt")
    zdm() { zint -b 71 --square "${gs1[@]}" --quietzones --scale=2 "$@" -d "$p" --direct; }
    echo "DataMatrix PNG size ($f): defaults yima $(png_side "$B/yima" render --symbol datamatrix \
        <<<"$p"), zint $(png_side zdm); matched yima $(png_side "$B/yima" render \
        --symbol datamatrix -m 1 <<<"$p"), zint $(png_side zdm --vers="$v")"
done

if [ $qr = 1 ]; then
    printf '%-34s %12s\n' "renderer ($N codes, PNG 4 px/module)" "codes/s"
    for k in yima_tar_j1 yima_tar_j2 yima_dir_j1 yima_dir_j2 zint qrencode; do
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
fi
# DataMatrix: rates, then each yima row over the zint row of the same settings.
printf '%-44s %12s %12s\n' "DataMatrix ($N codes, PNG 4 px/module)" "plain" "GS1"
dm_row() { printf '%-44s %12.0f %12.0f\n' "$1" "${rate[dm_pay_$2]}" "${rate[dm_gs1_$2]}"; }
dm_ratio() {
    awk -v a="${rate[dm_pay_$2]}" -v b="${rate[dm_pay_$3]}" -v c="${rate[dm_gs1_$2]}" \
        -v d="${rate[dm_gs1_$3]}" -v n="$1" 'BEGIN { printf "%-44s %12.2f %12.2f\n", n, a / b, c / d }'
}
dm_row "defaults: yima -j1 (tar) codes/s" j1
dm_row "defaults: yima -j2 (tar) codes/s" j2
dm_row "defaults: zint --batch codes/s" zint
dm_row "matched: yima -m 1 -j1 (tar) codes/s" m1_j1
dm_row "matched: yima -m 1 -j2 (tar) codes/s" m1_j2
dm_row "matched: yima -m 1 -j1 (dir) codes/s" m1_dir_j1
dm_row "matched: zint --batch --vers codes/s" zint_vers
dm_ratio "defaults: yima -j1 / zint" j1 zint
dm_ratio "defaults: yima -j2 / zint" j2 zint
dm_ratio "matched: yima -j1 / zint (tar vs files)" m1_j1 zint_vers
dm_ratio "matched: yima -j2 / zint (tar vs files)" m1_j2 zint_vers
dm_ratio "matched: yima -j1 / zint (files vs files)" m1_dir_j1 zint_vers
