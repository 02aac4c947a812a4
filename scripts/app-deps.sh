#!/usr/bin/env bash
# Installs what the desktop app needs to build, run and be tested on a fresh Debian machine:
# WebKitGTK and its headers (the Tauri shell), librsvg (icons), libayatana-appindicator (the tray
# icon), Xvfb + xauth (a display for headless runs), WebKitWebDriver (E2E), imagemagick
# (screenshots of the X display), python3-xlib (the E2E closes the window the way a window
# manager would, ui/e2e/x-window.py), dunst (a real notification service on the E2E's D-Bus
# session, which receives the app's desktop notifications), and the front end's npm packages. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/apt-install.sh libwebkit2gtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev xvfb xauth webkit2gtk-driver imagemagick python3-xlib dunst

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
