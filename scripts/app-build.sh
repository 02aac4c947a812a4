#!/usr/bin/env bash
# Builds the desktop app: the front end (ui/ -> ui/dist, type-checked) and the Tauri shell, which
# embeds ui/dist, and the `lanyard` CLI beside it (the IDE configs the bridge panel offers run it).
# `scripts/app-build.sh --release` for an optimised build.
#   prints nothing on success but cargo's own lines; the binaries are target/<profile>/lanyard-app
#   and target/<profile>/lanyard
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/app-deps.sh
scripts/ui-build.sh   # only changed files, so an unchanged front end rebuilds nothing
cargo build --locked -p lanyard-app -p lanyard "$@"
