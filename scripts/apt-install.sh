#!/usr/bin/env bash
# Installs the given Debian packages that are not installed yet (with sudo when not root), so the
# set-up scripts stay safe to run again and cheap when nothing is missing.
#   scripts/apt-install.sh <package>...
set -euo pipefail
missing=()
for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -gt 0 ] || exit 0
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
