#!/usr/bin/env bash
# Builds Lanyard's installable packages with the Tauri CLI pinned in ui/package.json: the .deb
# here (with the `lanyard` CLI in /usr/bin beside the app), and whatever else is asked for:
#   scripts/package.sh               # .deb
#   scripts/package.sh deb,appimage  # AppImage too (its tooling is downloaded at build time)
# On macOS or Windows, `dmg` or `msi` build the same way (the config in src-tauri/ is ready).
# Packages land in target/release/bundle/<kind>/.
set -euo pipefail
cd "$(dirname "$0")/.."

bundles=${1:-deb}
scripts/app-deps.sh
(cd ui && npm run --silent build)
cargo build --release --locked --bin lanyard
ui/node_modules/.bin/tauri build --bundles "$bundles" --ci
ls -1 target/release/bundle/*/* 2>/dev/null | grep -E '\.(deb|AppImage|dmg|msi)$'
