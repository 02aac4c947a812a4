#!/usr/bin/env bash
# Builds Lanyard's installable packages with the Tauri CLI pinned in ui/package.json: the .deb and
# the .rpm here (each with the `lanyard` CLI in /usr/bin beside the app), and whatever else is
# asked for:
#   scripts/package.sh                # .deb and .rpm
#   scripts/package.sh deb            # only the .deb
#   scripts/package.sh deb,appimage   # AppImage too (its tooling is downloaded at build time)
# On macOS or Windows, `dmg` or `msi` build the same way (the config in src-tauri/ is ready).
# Packages land in target/release/bundle/<kind>/.
#
# The binaries are the release build of scripts/app-build.sh --release, the very command that
# scripts/run.sh runs: the same packages, features, flags and environment, so cargo's
# fingerprints match and neither script rebuilds what the other built. `tauri bundle` then
# packages those binaries without compiling (`tauri build` would run cargo again itself, with
# its own environment, and the two builds would keep invalidating each other).
set -euo pipefail
cd "$(dirname "$0")/.."

bundles=${1:-deb,rpm}
scripts/app-build.sh --release
ui/node_modules/.bin/tauri bundle --bundles "$bundles" --ci
ls -1 target/release/bundle/*/* 2>/dev/null | grep -E '\.(deb|rpm|AppImage|dmg|msi)$'
