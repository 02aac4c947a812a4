#!/usr/bin/env bash
# The bridge benchmark: release builds, then `benches/bridge/` against lanyard-test-server, with
# a private keychain for the bridge token. Prints a Markdown table; nothing is asserted.
#   scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p lanyard-testkit
cargo build --release --locked --bin lanyard
scripts/with-keychain.sh cargo bench --locked --bench bridge
