#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima serve with libmicrohttpd's own TLS (issue 11): a self-signed
# certificate made here with openssl; curl --cacert reaches /health and an
# authenticated trace over https; plain http to the TLS port gets no
# answer; a key file readable by group or others is refused (exit 2), as
# ssh refuses one; with TLS a non-loopback address needs no --insecure,
# without it it still does. A server that does not start is a failure.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/servelib.bash"
command -v openssl >/dev/null || { bad "openssl is not installed"; finish serve_tls; exit 1; }

fixed_key "$T/brand" 12
S="$T/s.db"
"$Y" gen -k "$T/brand.key" -b 1 -n 12 -a sig --pack 6,2 -f tsv --no-ledger -q -o "$T/codes.tsv"
events "$T/codes.tsv" >"$T/ev.tsv"
expect_status "a store" 0 "$Y" link -s "$S" -k "$T/brand.key" -q import "$T/ev.tsv"
CASE=$(awk -F'\t' '$2 == "case" { print $4; exit }' "$T/codes.tsv")
QUERY=$("$Y" serve -s "$S" token add --role query erp 2>/dev/null)

# A self-signed certificate for 127.0.0.1 and localhost.
expect_status "a self-signed certificate" 0 openssl req -x509 -newkey ec \
    -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$T/key.pem" -out "$T/cert.pem"
chmod 600 "$T/key.pem"
TLS=(--tls-cert "$T/cert.pem" --tls-key "$T/key.pem")

SERVE_CA=$T/cert.pem # start_server (servelib.bash) speaks https

# --- refused before it starts --------------------------------------------------
cp "$T/key.pem" "$T/open.pem"
chmod 644 "$T/open.pem"
expect_error "a 0644 key file: exit 2" 2 "readable by group or others" \
    "$Y" serve -s "$S" --tls-cert "$T/cert.pem" --tls-key "$T/open.pem" --listen 127.0.0.1:0
chmod 640 "$T/open.pem"
expect_error "a 0640 key file: exit 2" 2 "readable by group or others" \
    "$Y" serve -s "$S" --tls-cert "$T/cert.pem" --tls-key "$T/open.pem" --listen 127.0.0.1:0
expect_error "a certificate without a key: exit 2" 2 "--tls-cert and --tls-key go together" \
    "$Y" serve -s "$S" --tls-cert "$T/cert.pem" --listen 127.0.0.1:0
expect_error "a missing key file: exit 3" 3 "nokey.pem" \
    "$Y" serve -s "$S" --tls-cert "$T/cert.pem" --tls-key "$T/nokey.pem" --listen 127.0.0.1:0
: >"$T/empty.pem"
chmod 600 "$T/empty.pem"
expect_error "a key that is no key: exit 2" 2 "TLS" \
    "$Y" serve -s "$S" --tls-cert "$T/cert.pem" --tls-key "$T/empty.pem" --listen 127.0.0.1:0
expect_error "plain HTTP off loopback still needs --insecure: exit 2" 2 "not a loopback address" \
    "$Y" serve -s "$S" --listen 0.0.0.0:0

# --- https -----------------------------------------------------------------------
start_server "$T/srv.log" -s "$S" -j 2 "${TLS[@]}"
http "https /health with --cacert" 200 --cacert "$T/cert.pem" "$URL/health"
same "health body" "$(cat "$T/body")" '{"status":"ok"}'
http "https trace with a token" 200 --cacert "$T/cert.pem" -H "$(auth "$QUERY")" "$URL/trace/$CASE"
"$Y" link -s "$S" trace --json "$CASE" >"$T/trace.json"
check "the body is what link trace --json prints" cmp -s "$T/body" "$T/trace.json"
http "https without a token: 401" 401 --cacert "$T/cert.pem" "$URL/trace/$CASE"
http "https query" 200 --cacert "$T/cert.pem" -H "$(auth "$QUERY")" "$URL/events?perPage=3"
http "an unknown certificate is not trusted" 000 "$URL/health"
http "plain http to the TLS port gets no answer" 000 -m 5 "http://127.0.0.1:$PORT/health"
http "the server still answers" 200 --cacert "$T/cert.pem" "$URL/health"
contains "the start line says https" "$T/srv.log" "listening on https://127.0.0.1:"
check "access log: the https trace" grep -qE "path=/trace/$CASE status=200 .* token=erp$" "$T/srv.log"
same "no key material in the log" "$(grep -c -e "PRIVATE" -e "$QUERY" "$T/srv.log")" 0
kill -TERM "$SRV"
wait "$SRV"
same "SIGTERM: exit 0" "$?" 0

# With TLS, any address, no --insecure.
LISTEN_HOST=0.0.0.0 start_server "$T/srv2.log" -s "$S" -j 1 "${TLS[@]}"
http "TLS on 0.0.0.0 without --insecure" 200 --cacert "$T/cert.pem" "$URL/health"
kill -TERM "$SRV"
wait "$SRV"
same "SIGTERM: exit 0 again" "$?" 0
finish serve_tls
