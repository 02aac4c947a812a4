#!/usr/bin/env bash
# Builds and runs Lanyard. For now Lanyard is its command line, `lanyard`; arguments are passed
# through, so `scripts/run.sh status` runs `lanyard status`. With no arguments it shows the help.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- --help
exec cargo run --release --locked --quiet --bin lanyard -- "$@"
