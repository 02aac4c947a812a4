#!/usr/bin/env bash
# Prints the path of tauri-driver 2.1.0, installing it into target/tools/ ($CARGO_TARGET_DIR/tools/
# when set) first when missing (crates.io, ~75 s). The version is pinned: unpinned, cargo picks a
# 3.0 alpha.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${CARGO_TARGET_DIR:-$PWD/target}/tools"
bin="$root/bin/tauri-driver"
if [ ! -x "$bin" ] || ! "$bin" --help 2>&1 | head -1 | grep -q .; then
    cargo install tauri-driver --version 2.1.0 --locked --root "$root" --quiet >&2
fi
echo "$bin"
