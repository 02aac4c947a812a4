#!/usr/bin/env bash
# The whole test suite, set-up included: system packages, test servers, formatting, lints, unit
# and integration tests (against a real keychain and real MCP servers), the official MCP
# conformance suite's client scenarios against the CLI and its server scenarios through
# `lanyard serve`, the desktop app's front-end tests and end-to-end test in its real window, and
# the .deb package unpacked and run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh
scripts/app-deps.sh                 # WebKitGTK, Xvfb, WebKitWebDriver; the front end's npm packages
scripts/ui-build.sh                 # the app embeds ui/dist, so it exists before cargo builds
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
tests/node/oauth-fixture.check.sh   # the OAuth test fixture still behaves as the tests expect
scripts/with-keychain.sh cargo test --workspace --all-targets --locked
scripts/conformance.sh              # the official MCP conformance suite: lanyard as the client, and behind lanyard serve (~1 min)
scripts/app-test.sh                 # front-end unit tests, then the app end to end under Xvfb
scripts/package-test.sh             # the .deb (release build), unpacked into a clean root, runs
