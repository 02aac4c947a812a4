#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: the keychain (gnome-keyring on a
# private D-Bus session), a forward proxy (tinyproxy, started by the tests on loopback only when they
# need it) and the real MCP and OAuth servers the integration tests run against.
# Safe to run again: it installs only what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/apt-install.sh dbus gnome-keyring libsecret-tools keyutils curl tinyproxy openssl python3-pip

# uv: the catalogue's tests add a PyPI package, which `uvx` runs. Debian's own Python refuses a
# pip install outside a virtual environment (PEP 668) unless told; uv is a standalone program that
# replaces no Debian package, so it is told.
if ! command -v uvx >/dev/null; then
    python3 -m pip install --quiet uv 2>/dev/null || python3 -m pip install --quiet --break-system-packages uv
fi

# npm ci deletes and reinstalls node_modules every time (~30 s); skip it when the lock file (by
# content, so a checkout that only touches its date does not count) and Node's version are the
# ones the last install was made from. The stamp is written after a complete install only.
# tests/node holds the MCP and OAuth servers; tests/clients the MCP clients' own command lines
# (Codex, Gemini CLI) that the tests ask to list what `lanyard config --write` wrote.
for dir in tests/node tests/clients; do
    stamp=$dir/node_modules/.lanyard-installed
    want="$(sha256sum $dir/package-lock.json | cut -d' ' -f1) node $(node --version)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        (cd $dir && npm ci --no-audit --no-fund --loglevel=error)
        printf '%s\n' "$want" >"$stamp"
    fi
done
