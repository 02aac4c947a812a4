#!/usr/bin/env bash
# The whole test suite, set-up included: system packages, test servers, formatting, lints, unit
# and integration tests (against a real keychain and real MCP servers).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
tests/node/oauth-fixture.check.sh   # the OAuth test fixture still behaves as the tests expect
scripts/with-keychain.sh cargo test --workspace --all-targets --locked
