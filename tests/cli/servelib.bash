# SPDX-License-Identifier: MIT
# Sourced by tests/cli/serve*.sh after testlib.bash: start yima serve on a
# free loopback port, stop every server at exit, check HTTP statuses with
# curl. A server that does not start fails the test (never a skip).
SERVERS=()
stop_servers() { for pid in "${SERVERS[@]}"; do kill -9 "$pid" 2>/dev/null; done; }
# Servers stop first, then whatever the EXIT trap did before (testlib's temp
# dir; with YIMA_TEST_STORE=pg, pglib's cluster too, which must not outlive
# the test).
serve_chain_trap() {
    local old
    old=$(trap -p EXIT)
    old=${old#trap -- }
    old=${old% EXIT}
    eval "old=${old:-''}"
    trap -- "stop_servers; $old" EXIT
}
serve_chain_trap
command -v curl >/dev/null || { bad "curl is not installed"; finish "$(basename "$0" .sh)"; exit 1; }

# start_server LOG ARGS...: yima serve in the background on a free port
# (of $LISTEN_HOST, 127.0.0.1 unless set); sets SRV (its pid), PORT and
# URL, or fails the test and exits. With SERVE_CA set (ARGS then carry
# --tls-cert and --tls-key), it speaks https and curl trusts SERVE_CA.
start_server() {
    local log=$1 port="" scheme=http tls=()
    shift
    [ -n "${SERVE_CA:-}" ] && scheme=https tls=(--cacert "$SERVE_CA")
    "$Y" serve "$@" --listen "${LISTEN_HOST:-127.0.0.1}:0" 2>"$log" &
    SRV=$!
    SERVERS+=("$SRV")
    for _ in $(seq 100); do
        port=$(sed -n "s/^yima serve: listening on $scheme:\/\/[^/]*:\([0-9]*\)\/.*/\1/p" "$log")
        [ -n "$port" ] && break
        kill -0 "$SRV" 2>/dev/null || break
        sleep 0.1
    done
    PORT=$port
    URL=$scheme://127.0.0.1:$port
    if [ -z "$port" ] || ! curl -sf "${tls[@]}" --retry 20 --retry-connrefused --retry-delay 0 \
        -o /dev/null "$URL/health"; then
        bad "the server did not start: $(cat "$log")"
        finish "$(basename "$0" .sh)"
        exit 1
    fi
}
# http NAME STATUS CURL-ARGS...: the response's status must be STATUS; the
# body is left in $T/body.
http() {
    local name=$1 want=$2 got
    shift 2
    got=$(curl -s -o "$T/body" -w '%{http_code}' "$@")
    if [ "$got" = "$want" ]; then ok; else bad "$name: HTTP $got, want $want: $(head -c 300 "$T/body")"; fi
}

# topack CODES.TSV: a PACK line per case of gen --pack TSV, its items.
topack() {
    awk 'BEGIN { FS = OFS = "\t" } $2 == "item" && $6 != cur {
        if (line != "") print line; cur = $6; line = "PACK\t" $6 }
        $2 == "item" { line = line "\t" $4 } END { if (line != "") print line }' "$1"
}
# events CODES.TSV: COMMISSION every item, then PACK every case.
events() {
    awk -F'\t' '$2 == "item" { print "COMMISSION\t" $4 "\tP1\tL1" }' "$1"
    topack "$1"
}
auth() { echo "Authorization: Bearer $1"; }
