#!/usr/bin/env bash
# Builds and runs Lanyard.
#   scripts/run.sh              the desktop app (installs its Debian packages and npm packages when
#                               missing, builds the front end and the shell, release mode)
#   scripts/run.sh <args...>    the `lanyard` command line, e.g. `scripts/run.sh status`
#                               (the same as `cargo run --bin lanyard -- <args...>`)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
    exec cargo run --release --locked --quiet --bin lanyard -- "$@"
fi
scripts/app-build.sh --release
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "run.sh: no display (DISPLAY/WAYLAND_DISPLAY unset); running under Xvfb, which shows nothing." >&2
    echo "        Run it from a desktop session to see the window." >&2
    exec xvfb-run -a -s "-screen 0 1280x800x24" target/release/lanyard-app
fi
exec target/release/lanyard-app
