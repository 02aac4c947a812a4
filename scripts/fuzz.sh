#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (cargo fuzz, libFuzzer) for a bounded time each and fails if any
# of them crashes, panics, times out on one input or runs out of memory.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]      default: 30 s, every target
#
# Installs cargo-fuzz into target/tools when missing. The machine's stable compiler is used with
# RUSTC_BOOTSTRAP=1, because cargo fuzz passes nightly-only flags (-Zsanitizer=address and the
# coverage instrumentation). New inputs go to a scratch folder, so the seeds in fuzz/corpus/ stay
# as committed; a crashing input is kept in fuzz/artifacts/<target>/: once fixed, copy it to
# fuzz/regressions/<target>/, where `cargo test --lib fuzz` replays it with every test run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(ls fuzz/fuzz_targets | sed 's/\.rs$//')
fi

tools="$PWD/target/tools"
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
    cargo install cargo-fuzz --version 0.13.2 --locked --root "$tools"
fi
export PATH="$tools/bin:$PATH" RUSTC_BOOTSTRAP=1

cargo fuzz build -O
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failed=()
summary=()
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    echo "== $target: $seconds s"
    status=0
    cargo fuzz run -O "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    if [ "$status" -ne 0 ]; then
        tail -40 "$log"
        failed+=("$target")
        summary+=("$(printf '%-18s FAILED (exit %s), see fuzz/artifacts/%s/' "$target" "$status" "$target")")
    else
        summary+=("$(printf '%-18s %10s runs %8s exec/s %6s MB peak RSS' "$target" "${runs:-?}" "${rate:-?}" "${rss:-?}")")
    fi
    echo "${summary[-1]}"
done

echo
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found problems in: ${failed[*]}" >&2
    exit 1
fi
echo "${#targets[@]} passed, 0 failed"
