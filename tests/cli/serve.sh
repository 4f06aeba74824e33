#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# yima serve over real HTTP (issue 11): the server is started on a free
# loopback port (--listen 127.0.0.1:0, the port read from its first line)
# and checked with curl: /health, bearer tokens (401, 403), trace, 404, the
# body limit (413), the access log, loopback only unless --insecure, and a
# SIGTERM that lets the request in flight finish and exits 0. A server that
# does not start is a failure, never a skip.
source "$(dirname "$0")/testlib.bash"
source "$(dirname "$0")/servelib.bash"

# A store with one packed case of 24 items.
fixed_key "$T/brand" 12
S=$(store s)
"$Y" gen -k "$T/brand.key" -b 1 -n 48 -a sig --pack 24,2 -f tsv --no-ledger -q -o "$T/codes.tsv"
events "$T/codes.tsv" >"$T/ev.tsv"
expect_status "a store" 0 "$Y" link -s "$S" -k "$T/brand.key" -q import "$T/ev.tsv"
CASE=$(awk -F'\t' '$2 == "case" { print $4; exit }' "$T/codes.tsv")
QUERY=$("$Y" serve -s "$S" token add --role query erp 2>/dev/null)
CAPTURE=$("$Y" serve -s "$S" token add --role capture line-1 2>/dev/null)
ADMIN=$("$Y" serve -s "$S" token add --role admin ops 2>/dev/null)
GONE=$("$Y" serve -s "$S" token add --role query gone 2>/dev/null)
"$Y" serve -s "$S" token revoke gone 2>/dev/null

# --- refused before it starts ------------------------------------------------
expect_error "a non-loopback address needs --insecure: exit 2" 2 "not a loopback address" \
    "$Y" serve -s "$S" --listen 0.0.0.0:0
expect_error "a malformed address: exit 2" 2 "is not HOST:PORT" "$Y" serve -s "$S" --listen nowhere
expect_error "a bad --max-body: exit 2" 2 "max-body" "$Y" serve -s "$S" --max-body 1x

start_server "$T/srv.log" -s "$S" -j 2
http "health needs no token" 200 "$URL/health"
same "health body" "$(cat "$T/body")" '{"status":"ok"}'
http "trace without a token: 401" 401 "$URL/trace/$CASE"
contains "401 says why" "$T/body" '"error":"this needs an Authorization: Bearer token"'
check "401 names the scheme" sh -c "curl -s -D - -o /dev/null '$URL/trace/$CASE' | grep -qi '^WWW-Authenticate: Bearer'"
http "a bad token: 401" 401 -H "$(auth yima_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA)" "$URL/trace/$CASE"
http "a token with a letter changed: 401" 401 -H "$(auth "${QUERY%?}x")" "$URL/trace/$CASE"
http "a revoked token: 401" 401 -H "$(auth "$GONE")" "$URL/trace/$CASE"
http "not Bearer: 401" 401 -H "Authorization: Basic $QUERY" "$URL/trace/$CASE"
http "a capture token may not trace: 403" 403 -H "$(auth "$CAPTURE")" "$URL/trace/$CASE"
contains "403 says why" "$T/body" "role may not do this"
same "no response echoes a token" "$(grep -c -F -e "$QUERY" -e "$CAPTURE" "$T/body")" 0

http "trace of the case" 200 -H "$(auth "$QUERY")" "$URL/trace/$CASE"
"$Y" link -s "$S" trace --json "$CASE" >"$T/trace.json"
check "the body is what link trace --json prints" cmp -s "$T/body" "$T/trace.json"
same "the case holds 24 items" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["level"], len(d["down"]), {c["level"] for c in d["down"]})' "$T/body")" \
    "case 24 {'item'}"
http "an admin token traces too" 200 -H "$(auth "$ADMIN")" "$URL/trace/$CASE"
"$Y" gen -k "$T/brand.key" -b 9 -n 1 -a sig -f tsv --no-ledger -q -o "$T/other.tsv"
UNKNOWN=$(awk -F'\t' 'NR > 1 { print $4; exit }' "$T/other.tsv")
http "an unknown code: 404" 404 -H "$(auth "$QUERY")" "$URL/trace/$UNKNOWN"
contains "404 is JSON naming the code" "$T/body" "\"error\":\"code '$UNKNOWN' is not in the store\""
http "no such endpoint: 404" 404 -H "$(auth "$QUERY")" "$URL/nothing"
http "a wrong method: 405" 405 -X DELETE -H "$(auth "$QUERY")" "$URL/trace/$CASE"

# 10 MB: refused by its Content-Length, before it is read.
head -c 10485760 /dev/zero >"$T/big"
http "a 10 MB body: 413" 413 -H "$(auth "$QUERY")" -X GET --data-binary @"$T/big" "$URL/trace/$CASE"
contains "413 says why" "$T/body" "over the server's limit"
http "the server still answers" 200 "$URL/health"

# The access log: one line a request, key=value, the token's name, never the token.
check "access log: trace line" grep -qE "^time=20[0-9-]{8}T[0-9:.]{12}Z peer=127\.0\.0\.1:[0-9]+ method=GET path=/trace/$CASE status=200 bytes=[0-9]+ ms=[0-9.]+ token=erp$" "$T/srv.log"
check "access log: 401 with no name" grep -qE "path=/trace/$CASE status=401 bytes=[0-9]+ ms=[0-9.]+ token=-$" "$T/srv.log"
check "access log: 403 with the name" grep -qE "status=403 .* token=line-1$" "$T/srv.log"
check "access log: 413" grep -qE "status=413 .* token=erp$" "$T/srv.log"
same "access log: no token text" "$(grep -c -F -e "$QUERY" -e "$CAPTURE" -e "$ADMIN" -e "$GONE" "$T/srv.log")" 0
same "access log: one line per request" "$(grep -c '^time=' "$T/srv.log")" 16

# SIGTERM while a request is under way (a body sent slowly): it is answered,
# then the server exits 0.
head -c 30000 /dev/zero >"$T/slow"
curl -s -o "$T/slow.body" -w '%{http_code}' --limit-rate 15k -X GET -H "$(auth "$QUERY")" \
    --data-binary @"$T/slow" "$URL/trace/$CASE" >"$T/slow.code" &
slow=$!
sleep 0.7
kill -TERM "$SRV"
wait "$slow"
same "the request in flight is answered" "$(cat "$T/slow.code")" 200
wait "$SRV"
same "SIGTERM: exit 0" "$?" 0
contains "SIGTERM is logged" "$T/srv.log" "SIGTERM: finishing the requests in flight"
same "the request answered after SIGTERM is logged" \
    "$(sed -n '/SIGTERM/,$p' "$T/srv.log" | grep -c "^time=.* path=/trace/$CASE status=200 .* token=erp$")" 1
http "nothing listens after" 000 "$URL/health"

# --insecure: any address.
LISTEN_HOST=0.0.0.0 start_server "$T/srv2.log" -s "$S" -j 1 --insecure
kill -INT "$SRV"
wait "$SRV"
same "SIGINT: exit 0" "$?" 0
finish serve
