#!/usr/bin/env bash
# Builds and runs Lanyard.
#   scripts/run.sh              the desktop app (installs its Debian packages and npm packages when
#                               missing, builds the front end and the shell, release mode)
#   scripts/run.sh <args...>    the `lanyard` command line, e.g. `scripts/run.sh status`
#                               (the same as `cargo run --release --bin lanyard -- <args...>`)
# The app's release build is scripts/app-build.sh --release, the one scripts/package.sh packages,
# so neither script rebuilds what the other built. Once the app has been built here, the command
# line comes from that same build too (the same packages, so the same features and fingerprints;
# building the `lanyard` package alone gives its dependencies other features and a second copy
# of everything); before that, from a build of the command line alone, which needs no WebKitGTK.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
    if [ -x target/release/lanyard-app ]; then
        cargo build --release --locked --quiet -p lanyard-app -p lanyard
        exec target/release/lanyard "$@"
    fi
    exec cargo run --release --locked --quiet --bin lanyard -- "$@"
fi
scripts/app-build.sh --release
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    echo "run.sh: no display (DISPLAY/WAYLAND_DISPLAY unset); running under Xvfb, which shows nothing." >&2
    echo "        Run it from a desktop session to see the window." >&2
    exec xvfb-run -a -s "-screen 0 1280x800x24" target/release/lanyard-app
fi
exec target/release/lanyard-app
