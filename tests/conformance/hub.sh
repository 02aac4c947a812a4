#!/usr/bin/env bash
# A private `lanyard serve` for the server scenarios of scripts/conformance.sh, run inside
# scripts/with-keychain.sh (the hub keeps its bridge token in the keychain).
#
#   hub.sh <upstream MCP URL> <folder> <node>
#
# Saves one source, `conformance`, pointing at the upstream (with no merged prefix, so that the
# merged server offers the tool and prompt names the scenarios call), in an empty config folder under
# <folder>; starts `lanyard serve` on a free loopback port, and tests/conformance/token-proxy.mjs
# in front of it (the suite cannot send the bridge token itself). Prints `ready <proxy URL>` once
# both accept connections (the source is then at <proxy URL>/mcp/conformance, the merged server at
# <proxy URL>/mcp), and stops both when its standard input closes. Logs stay in <folder>.
set -euo pipefail
upstream=$1 dir=$2 node=$3
: "${LANYARD_BIN:?LANYARD_BIN names the lanyard binary}"
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$dir"
export LANYARD_CONFIG_DIR=$dir/config LANYARD_DATA_DIR=$dir/data
serve_pid= proxy_pid=
stop() {
    # Only the two processes started here.
    for pid in $proxy_pid $serve_pid; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop EXIT

# The first line a process writes to $1, within about 10 s.
first_line() {
    for _ in $(seq 200); do
        if [ -s "$1" ]; then head -1 "$1"; return 0; fi
        sleep 0.05
    done
    return 1
}

"$LANYARD_BIN" profile add conformance --url "$upstream" --merged-prefix "" >"$dir/profile.log" 2>&1
"$LANYARD_BIN" serve --port 0 </dev/null >"$dir/serve.out" 2>"$dir/serve.log" &
serve_pid=$!
listening=$(first_line "$dir/serve.out") || { echo "hub.sh: lanyard serve did not start; see $dir/serve.log" >&2; exit 1; }
hub_port=${listening##*:}
token=$("$LANYARD_BIN" bridge-token 2>"$dir/bridge-token.log")
LANYARD_CONFORMANCE_TOKEN=$token "$node" "$here/token-proxy.mjs" "$hub_port" </dev/null >"$dir/proxy.out" 2>"$dir/proxy.log" &
proxy_pid=$!
listening=$(first_line "$dir/proxy.out") || { echo "hub.sh: the token proxy did not start; see $dir/proxy.log" >&2; exit 1; }
echo "ready ${listening#listening on }"
# Until scripts/conformance.sh is done with the hub (it closes our input).
read -r _ || true
