#!/usr/bin/env bash
# Measures the desktop app's warm start time and idle memory (PSS summed over its processes),
# in the real window under Xvfb, with one source in a temporary profile. Builds the app first.
#   scripts/app-measure.sh            # release build (what people run)
#   scripts/app-measure.sh --debug    # the debug build the tests use
set -euo pipefail
cd "$(dirname "$0")/.."
profile=release
[ "${1:-}" = --debug ] && profile=debug
if [ "$profile" = release ]; then scripts/app-build.sh --release; else scripts/app-build.sh; fi
tauri_driver=$(scripts/app-tauri-driver.sh)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/config"
printf 'version = 1\n\n[sources.everything]\ntransport = { type = "stdio", command = "node", args = ["server.js"] }\n' \
    > "$scratch/config/profiles.toml"
echo "lanyard-app ($profile build), $(nproc) cores, $(uname -sr)"
LANYARD_APP_BIN="$PWD/target/$profile/lanyard-app" TAURI_DRIVER="$tauri_driver" \
LANYARD_CONFIG_DIR="$scratch/config" LANYARD_DATA_DIR="$scratch/data" LANYARD_BRIDGE_PORT=0 \
    scripts/with-keychain.sh xvfb-run -a -s "-screen 0 1280x800x24" node ui/e2e/measure.mjs
