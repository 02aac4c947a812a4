#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: the keychain (gnome-keyring on a
# private D-Bus session), a forward proxy (tinyproxy, started by the tests on loopback only when they
# need it) and the real MCP and OAuth servers the integration tests run against.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/apt-install.sh dbus gnome-keyring libsecret-tools keyutils curl tinyproxy openssl

(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
