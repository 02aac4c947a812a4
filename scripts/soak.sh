#!/usr/bin/env bash
# The load and soak run: release builds, then `benches/soak.rs` with a private keychain. 50 agents
# with 20 calls in flight each through `lanyard serve` to an OAuth, a client-credentials, a stdio
# and a plain HTTP source, access tokens expiring every 30 s. Prints Markdown tables; fails only
# when calls failed because of Lanyard or a renewal was refused.
#   scripts/soak.sh [seconds]      (default 150; SOAK_AGENTS, SOAK_IN_FLIGHT, SOAK_TOKEN_TTL too)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then
    export SOAK_SECS="$1"
fi
cargo build --release --locked -p lanyard-testkit
cargo build --release --locked --bin lanyard
scripts/with-keychain.sh cargo bench --locked --bench soak
