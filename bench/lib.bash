# SPDX-License-Identifier: MIT
# Sourced by the bench/*.sh scripts: a scratch directory $W, removed at
# exit, and timing in one place; each timed run starts with an empty $W/out.

# bench_args ARGS...: B, the build directory (absolute) [build], and QUICK
# (1 with --quick), from a script's usual [BUILD_DIR] [--quick].
bench_args() {
    B=build
    QUICK=0
    local a
    for a in "$@"; do
        case $a in
        --quick) QUICK=1 ;;
        *) B=$a ;;
        esac
    done
    B=$(cd "$B" && pwd)
}

# need_built PROGRAM...: each built, or the script stops (exit 2).
need_built() {
    local p
    for p in "$@"; do
        [ -x "$p" ] || { echo "$(basename "$0"): $p missing; build with the bench programs" >&2; exit 2; }
    done
}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

now() { date +%s.%N; }

# rate[NAME]: items per second of a command, the best of its runs.
declare -A rate
# once NAME N COMMAND...: one timed run of COMMAND over N items.
once() {
    local name=$1 n=$2 t0 t1
    shift 2
    rm -rf "$W/out" && mkdir "$W/out"
    t0=$(now)
    "$@"
    t1=$(now)
    rate[$name]=$(awk -v n="$n" -v a="$t0" -v b="$t1" -v c="${rate[$name]:-0}" 'BEGIN {
        r = n / (b - a); print (r > c ? r : c) }')
}
