#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: the keychain (gnome-keyring on a
# private D-Bus session), a forward proxy (tinyproxy, started by the tests on loopback only when they
# need it) and the real MCP and OAuth servers the integration tests run against.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(dbus gnome-keyring libsecret-tools keyutils curl tinyproxy openssl)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

(cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
