#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The core benchmark suite in one command:  bash bench/run.sh [--quick]
# Every suite (core, render, labels, link, link_lines, link_feed) in one run:  bash bench/run.sh all [--quick]
#
# Measures yima gen/verify against their peers side by side in this one run
# on this one machine, alternating the runs (A, B, A, B, ...) and keeping the
# best rate of each, then prints a Markdown table of rates and ratios.
# Compare the ratios, not the absolute rates: machines are shared and noisy.
#
# Environment:
#   YIMA_BUILD    an existing build directory holding yima and bench/bench_sodium
#                 [Default: configure and build a Release build in bench-build/]
#   THREADS       worker threads for yima and for the raw baselines [Default: nproc]
#   REPS          runs of each side                      [Default: 3]
#   N_SIG         codes for gen --auth sig               [Default: 1000000, quick 200000]
#   N_VER         codes for verify (the first of those)  [Default: 300000, quick 50000]
#   N_MAC         codes for gen --auth mac and the peer  [Default: 10000000, quick 1000000]
#   N_RSS         codes for the peak RSS run             [Default: 10000000]
#   PYTHON        interpreter for bench/peers/naive_gen.py [Default: python3 on PATH]
#   BENCH_TMP     where the key and code files go        [Default: a new dir in $TMPDIR or /tmp]
set -euo pipefail

if [[ "${1:-}" == all ]]; then
  shift
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  build=${YIMA_BUILD:-$root/bench-build}
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DYIMA_BUILD_TESTS=OFF \
    -DYIMA_BUILD_BENCH=ON >/dev/null
  cmake --build "$build" -j "$(nproc)" >/dev/null
  echo "## core: gen and verify"
  YIMA_BUILD=$build bash "$root/bench/run.sh" "$@"
  echo "## render"
  if [[ "${1:-}" == --quick ]]; then bash "$root/bench/render.sh" "$build" 2000 100
  else bash "$root/bench/render.sh" "$build"; fi
  echo "## labels"
  if [[ "${1:-}" == --quick ]]; then bash "$root/bench/labels.sh" "$build" 2000 100000
  else bash "$root/bench/labels.sh" "$build"; fi
  echo "## link"
  bash "$root/bench/link.sh" "$build" "$@"
  echo "## link: many writers"
  bash "$root/bench/link_lines.sh" "$build" "$@"
  echo "## link: feed and audit"
  bash "$root/bench/link_feed.sh" "$build" "$@"
  exit 0
fi

quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: bash bench/run.sh [all] [--quick]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
threads=${THREADS:-$(nproc)}
reps=${REPS:-3}
if (( quick )); then
  n_sig=${N_SIG:-200000}; n_ver=${N_VER:-50000}; n_mac=${N_MAC:-1000000}
else
  n_sig=${N_SIG:-1000000}; n_ver=${N_VER:-300000}; n_mac=${N_MAC:-10000000}
fi
n_rss=${N_RSS:-10000000}
python=${PYTHON:-python3}

die() { echo "bench/run.sh: $*" >&2; exit 3; }

# --- build ---------------------------------------------------------------
if [[ -n "${YIMA_BUILD:-}" ]]; then
  build=$(cd "$YIMA_BUILD" && pwd)
else
  build=$root/bench-build
  if [[ ! -x $build/yima || ! -x $build/bench/bench_sodium ]]; then
    echo "building Release into $build ..." >&2
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DYIMA_BUILD_TESTS=OFF \
      -DYIMA_BUILD_BENCH=ON >/dev/null
  fi
  # Only what the suite runs, so a broken test or tool elsewhere does not stop it.
  cmake --build "$build" -j "$(nproc)" --target yima bench_sodium >/dev/null
fi
yima=$build/yima
sodium_bin=$build/bench/bench_sodium
[[ -x $yima ]] || die "no yima binary in $build"
[[ -x $sodium_bin ]] || die "no bench/bench_sodium in $build"
[[ -x /usr/bin/time ]] || die "needs /usr/bin/time (Debian package 'time') for peak RSS"
command -v "$python" >/dev/null || die "no $python for the naive peer"
if [[ -z "${YIMA_BUILD:-}" ]] || grep -qs '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt"; then
  build_type=Release
else
  build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
  echo "bench/run.sh: warning: $build is a '${build_type:-unknown}' build, not Release" >&2
fi

# --- scratch space -----------------------------------------------------------
if [[ -n "${BENCH_TMP:-}" ]]; then
  tmp=$BENCH_TMP; mkdir -p "$tmp"
else
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/yima-bench.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
fi
"$yima" keygen -o "$tmp/brand" >/dev/null 2>&1 || die "yima keygen failed"
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# --- helpers -----------------------------------------------------------------
# Every measure keeps two bests over its runs: NAME_w, codes per wall-clock
# second (what the targets are about), and NAME_c, codes per CPU second of
# the process (user + system), which other load on a shared machine
# disturbs far less. Both start at 0.
keep() { # keep NAME WALL_RATE CPU_RATE
  local w=${1}_w c=${1}_c
  (( $2 > ${!w:-0} )) && printf -v "$w" %s "$2"
  (( $3 > ${!c:-0} )) && printf -v "$c" %s "$3"
  return 0
}
# run NAME COUNT CMD...: runs CMD under /usr/bin/time, keeps its rates.
run() {
  local name=$1 n=$2; shift 2
  local t0=$EPOCHREALTIME
  /usr/bin/time -f '%U %S' -o "$tmp/cpu" "$@" || die "failed: $*"
  local t1=$EPOCHREALTIME
  keep "$name" $(awk -v n="$n" -v a="$t0" -v b="$t1" '{ c = $1 + $2; if (c < 0.01) c = 0.01
                 printf "%.0f %.0f\n", n / (b - a), n / c }' "$tmp/cpu")
}
# sodium NAME MODE THREADS COUNT: runs bench_sodium, keeps the rates it reports.
sodium() {
  local name=$1; shift
  local out
  out=$("$sodium_bin" "$@") || die "failed: bench_sodium $*"
  keep "$name" $(sed -n 's/.* rate=\([0-9]*\) .*cpu_rate=\([0-9]*\).*/\1 \2/p' <<<"$out")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
si() { awk -v v="$1" 'BEGIN { if (v >= 1e6) printf "%.2f M/s", v / 1e6;
                              else printf "%.1f k/s", v / 1e3 }'; }
met() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN {
          ok = dir == "ge" ? v >= t : v <= t; print ok ? "yes" : "**no**" }'; }

# Commands, completed per measure. Verify results go to /dev/null; every
# code must verify (exit status 0).
gen=("$yima" gen -k "$tmp/brand.key" -j "$threads" --no-ledger -q)
verify=("$yima" verify -p "$tmp/brand.pub" -j "$threads" -q)
naive=("$python" "$root/bench/peers/naive_gen.py")
# GS1 mode: SGTINs with a lot and expiry, element strings (HRI) to a file.
gs1=(--gs1 --gtin 09506000134352 --lot A1B2C3 --expiry 271231)
fresh() { rm -f "$1" "$1.manifest"; }
progress() { echo "[$(date +%T)] $*" >&2; }

# --- 1. gen --auth sig vs raw crypto_sign_detached x threads -----------------
for ((r = 1; r <= reps; r++)); do
  progress "gen sig $r/$reps ($n_sig codes, $threads threads)"
  fresh "$tmp/sig.txt"
  run gsig "$n_sig" "${gen[@]}" -a sig -n "$n_sig" -o "$tmp/sig.txt"
  fresh "$tmp/sig1.txt"
  run gsig1 "$n_sig" "${gen[@]}" -a sig --code-format 1 -n "$n_sig" -o "$tmp/sig1.txt"
  fresh "$tmp/gs1sig.txt"
  run ggsig "$n_sig" "${gen[@]}" "${gs1[@]}" -a sig -n "$n_sig" -o "$tmp/gs1sig.txt"
  rm -f "$tmp/gs1sig.txt"
  sodium ssig sign "$threads" "$n_sig"
  (( quick )) || sodium ssig1 sign 1 $((n_sig / threads))
done

# --- 2. gen --auth mac vs the naive Python peer ------------------------------
for ((r = 1; r <= reps; r++)); do
  progress "gen mac $r/$reps ($n_mac codes)"
  fresh "$tmp/mac.txt"
  run gmac "$n_mac" "${gen[@]}" -a mac -n "$n_mac" -o "$tmp/mac.txt"
  fresh "$tmp/mac1.txt"
  run gmac1 "$n_mac" "${gen[@]}" -a mac --code-format 1 -n "$n_mac" -o "$tmp/mac1.txt"
  fresh "$tmp/gs1mac.txt"
  run ggmac "$n_mac" "${gen[@]}" "${gs1[@]}" -a mac -n "$n_mac" -o "$tmp/gs1mac.txt"
  rm -f "$tmp/gs1mac.txt"
  fresh "$tmp/naive.txt"
  run naive "$n_mac" "${naive[@]}" "$n_mac" "$tmp/naive.txt"
done
head -n "$n_ver" "$tmp/mac.txt" >"$tmp/vmac.txt"
head -n "$n_ver" "$tmp/mac1.txt" >"$tmp/vmac1.txt"
rm -f "$tmp/mac.txt" "$tmp/mac1.txt" "$tmp/naive.txt"

# --- 3. verify (sig codes) vs raw crypto_sign_verify_detached x threads ------
head -n "$n_ver" "$tmp/sig.txt" >"$tmp/ver.txt"
head -n "$n_ver" "$tmp/sig1.txt" >"$tmp/ver1.txt"
n_ver=$(wc -l <"$tmp/ver.txt")
verify_k=("$yima" verify -k "$tmp/brand.key" -j "$threads" -q)
for ((r = 1; r <= reps; r++)); do
  progress "verify $r/$reps ($n_ver codes, $threads threads)"
  run ver "$n_ver" "${verify[@]}" "$tmp/ver.txt" >/dev/null
  sodium sver verify "$threads" "$n_ver"
  run vernd "$n_ver" "${verify[@]}" --no-duplicates "$tmp/ver.txt" >/dev/null
  run ver1 "$n_ver" "${verify[@]}" "$tmp/ver1.txt" >/dev/null
  run vmac "$n_ver" "${verify_k[@]}" "$tmp/vmac.txt" >/dev/null
  run vmac1 "$n_ver" "${verify_k[@]}" "$tmp/vmac1.txt" >/dev/null
  (( quick )) || sodium sver1 verify 1 $((n_ver / threads))
done

# --- 4. peak RSS of gen for N_RSS mac codes ----------------------------------
progress "peak RSS of gen ($n_rss mac codes)"
fresh "$tmp/rss.txt"
/usr/bin/time -f %M -o "$tmp/rss.kb" "${gen[@]}" -a mac -n "$n_rss" -o "$tmp/rss.txt" ||
  die "gen for the RSS run failed"
rss_mb=$(awk '{ printf "%.1f", $1 / 1024 }' "$tmp/rss.kb")
rm -f "$tmp/rss.txt"

# --- report ------------------------------------------------------------------
r_sig=$(ratio "$gsig_w" "$ssig_w")
r_mac=$(ratio "$gmac_w" "$naive_w")
r_ver=$(ratio "$ver_w" "$sver_w")
r_f2sig=$(ratio "$gsig_w" "$gsig1_w")
r_f2mac=$(ratio "$gmac_w" "$gmac1_w")
r_f2ver=$(ratio "$ver_w" "$ver1_w")
r_f2vmac=$(ratio "$vmac_w" "$vmac1_w")
r_gs1sig=$(ratio "$ggsig_w" "$gsig_w")
r_gs1mac=$(ratio "$ggmac_w" "$gmac_w")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
pyver=$("$python" -c 'import sys; print(sys.version.split()[0])')
row() { local cells="|" c; for c; do cells+=" ${c# } |"; done; echo "${cells//  |/ |}"; }

echo
echo "## yima core benchmarks$( ((quick)) && echo ' (--quick)')"
echo
echo "$(nproc) cores ($cpu), $threads threads, best of $reps alternating runs;" \
     "$build_type build $build; files in $tmp ($(df -PT "$tmp" | awk 'NR==2 { print $2 }'));" \
     "peer: $(command -v "$python") $pyver; load average before: $load0; $(date -u +%FT%TZ)."
echo
row " measure " " yima " " peer " " ratio " " target " " met? "
row "---" "---" "---" "---" "---" "---"
row " gen --auth sig, $n_sig codes to a file vs crypto_sign_detached, $threads threads " \
    " $(si "$gsig_w") " " $(si "$ssig_w") " " $r_sig " " >= 0.9 " " $(met "$r_sig" 0.9 ge) "
row " gen --auth mac, $n_mac codes to a file vs naive_gen.py " " $(si "$gmac_w") " \
    " $(si "$naive_w") " " $r_mac " " >= 25 " " $(met "$r_mac" 25 ge) "
row " gen --auth mac rate, $(nproc) cores " " $(si "$gmac_w") " "" "" " >= 4 M/s on 2 cores " \
    " $(met "$gmac_w" 4000000 ge) "
row " verify -p, $n_ver sig codes (default: duplicate check on) vs crypto_sign_verify_detached, $threads threads " \
    " $(si "$ver_w") " " $(si "$sver_w") " " $r_ver " " >= 0.9 " " $(met "$r_ver" 0.9 ge) "
row " peak RSS, gen --auth mac, $n_rss codes to a file " " $rss_mb MB " "" "" " <= 64 MB " \
    " $(met "$rss_mb" 64 le) "
row " format 2 vs format 1: gen --auth sig " " $(si "$gsig_w") " " $(si "$gsig1_w") " \
    " $r_f2sig " " >= 0.95 " " $(met "$r_f2sig" 0.95 ge) "
row " format 2 vs format 1: gen --auth mac " " $(si "$gmac_w") " " $(si "$gmac1_w") " \
    " $r_f2mac " " >= 0.95 " " $(met "$r_f2mac" 0.95 ge) "
row " format 2 vs format 1: verify -p, sig codes " " $(si "$ver_w") " " $(si "$ver1_w") " \
    " $r_f2ver " " >= 0.95 " " $(met "$r_f2ver" 0.95 ge) "
row " format 2 vs format 1: verify -k, mac codes " " $(si "$vmac_w") " " $(si "$vmac1_w") " \
    " $r_f2vmac " " >= 0.95 " " $(met "$r_f2vmac" 0.95 ge) "
row " gen gs1 vs compact: --auth sig, $n_sig codes " " $(si "$ggsig_w") " " $(si "$gsig_w") " \
    " $r_gs1sig " " >= 0.8 " " $(met "$r_gs1sig" 0.8 ge) "
row " gen gs1 vs compact: --auth mac, $n_mac codes " " $(si "$ggmac_w") " " $(si "$gmac_w") " \
    " $r_gs1mac " " >= 0.8 " " $(met "$r_gs1mac" 0.8 ge) "
echo
echo "Diagnostics (no targets). CPU rates are codes per CPU second (user + system) of the"
echo "whole process; their ratio is yima's CPU cost against the peer's, whatever else the"
echo "machine runs. A wall ratio well below its CPU ratio means idle or preempted cores."
echo
row " measure " " yima " " peer " " ratio " 
row "---" "---" "---" "---"
row " gen --auth sig, CPU rate " " $(si "$gsig_c") " " $(si "$ssig_c") " " $(ratio "$gsig_c" "$ssig_c") "
if (( ! quick )); then
  row " gen --auth sig vs 1-thread crypto_sign_detached x $threads " " $(si "$gsig_w") " \
      " $(si $((ssig1_w * threads))) " " $(ratio "$gsig_w" $((ssig1_w * threads))) "
fi
row " gen --auth mac, CPU rate " " $(si "$gmac_c") " " $(si "$naive_c") " " $(ratio "$gmac_c" "$naive_c") "
row " gen gs1 vs compact --auth sig, CPU rate " " $(si "$ggsig_c") " " $(si "$gsig_c") " " $(ratio "$ggsig_c" "$gsig_c") "
row " gen gs1 vs compact --auth mac, CPU rate " " $(si "$ggmac_c") " " $(si "$gmac_c") " " $(ratio "$ggmac_c" "$gmac_c") "
row " verify -p, CPU rate " " $(si "$ver_c") " " $(si "$sver_c") " " $(ratio "$ver_c" "$sver_c") "
row " verify -p --no-duplicates " " $(si "$vernd_w") " " $(si "$sver_w") " " $(ratio "$vernd_w" "$sver_w") "
row " verify -p --no-duplicates, CPU rate " " $(si "$vernd_c") " " $(si "$sver_c") " " $(ratio "$vernd_c" "$sver_c") "
if (( ! quick )); then
  row " verify -p vs 1-thread crypto_sign_verify_detached x $threads " " $(si "$ver_w") " \
      " $(si $((sver1_w * threads))) " " $(ratio "$ver_w" $((sver1_w * threads))) "
fi
