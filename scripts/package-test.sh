#!/usr/bin/env bash
# The .deb, installed into a clean root with `dpkg -x` (no system change): it holds the app, the
# `lanyard` CLI on the package's PATH, a desktop entry (declaring the `lanyard://` scheme) and icons, declares the app's version, and
# the CLI runs from it (`--version`, and `status --json` against an empty profile folder in a
# private keychain session). The .rpm, unpacked with rpm2cpio, holds the same and declares the
# same version and WebKitGTK. Builds both packages first with scripts/package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

# rpm reads the .rpm's header (version, requirements); rpm2cpio and cpio unpack it.
scripts/apt-install.sh rpm rpm2cpio cpio
scripts/package.sh deb,rpm >/dev/null
deb=$(ls -1t target/release/bundle/deb/*.deb | head -n 1)
rpm=$(ls -1t target/release/bundle/rpm/*.rpm | head -n 1)
root=$(mktemp -d)
rpm_root=$(mktemp -d)
trap 'rm -rf "$root" "$rpm_root"' EXIT
dpkg -x "$deb" "$root"
# rpm2cpio exits 1 on the bundler's .rpm although it writes the whole payload; the checks on the
# unpacked files below are what tells.
{ rpm2cpio "$rpm" || true; } | (cd "$rpm_root" && cpio -idm --quiet)

fail() { echo "package-test: $*" >&2; exit 1; }
want_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
[ "$(dpkg-deb -f "$deb" Version)" = "$want_version" ] || fail "the package's version is not $want_version"
dpkg-deb -f "$deb" Depends | grep -q libwebkit2gtk-4.1 || fail "the package does not depend on WebKitGTK"
[ -x "$root/usr/bin/lanyard-app" ] || fail "no app binary in /usr/bin"
[ -x "$root/usr/bin/lanyard" ] || fail "no lanyard CLI in /usr/bin"
ls "$root"/usr/share/applications/*.desktop >/dev/null 2>&1 || fail "no desktop entry"
grep -q '^Exec=lanyard-app' "$root"/usr/share/applications/*.desktop || fail "the desktop entry does not start the app"
# Add to Lanyard links: the desktop hands `lanyard://` URLs to the app, as its one argument.
grep -q '^MimeType=.*x-scheme-handler/lanyard' "$root"/usr/share/applications/*.desktop \
    || fail "the desktop entry does not declare the lanyard:// scheme"
grep -q '^Exec=lanyard-app %u$' "$root"/usr/share/applications/*.desktop || fail "the desktop entry does not pass a link to the app"
ls "$root"/usr/share/icons/hicolor/*/apps/* >/dev/null 2>&1 || fail "no icons"

printed=$("$root/usr/bin/lanyard" --version)
[ "$printed" = "lanyard $want_version" ] || fail "lanyard --version printed '$printed'"
home=$(mktemp -d)
status=$(LANYARD_CONFIG_DIR="$home/config" LANYARD_DATA_DIR="$home/data" \
    scripts/with-keychain.sh "$root/usr/bin/lanyard" status --json)
rm -rf "$home"
printf '%s' "$status" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["sources"] == [], d' \
    || fail "status --json from the package did not print an empty source list: $status"

[ "$(rpm -qp --queryformat '%{VERSION}' "$rpm")" = "$want_version" ] || fail "the .rpm's version is not $want_version"
rpm -qp --requires "$rpm" | grep -q 'libwebkit2gtk-4\.1' || fail "the .rpm does not require WebKitGTK: $(rpm -qp --requires "$rpm" | tr '\n' ' ')"
[ -x "$rpm_root/usr/bin/lanyard-app" ] || fail "no app binary in the .rpm's /usr/bin"
[ -x "$rpm_root/usr/bin/lanyard" ] || fail "no lanyard CLI in the .rpm's /usr/bin"
ls "$rpm_root"/usr/share/applications/*.desktop >/dev/null 2>&1 || fail "no desktop entry in the .rpm"
grep -q '^MimeType=.*x-scheme-handler/lanyard' "$rpm_root"/usr/share/applications/*.desktop \
    || fail "the .rpm's desktop entry does not declare the lanyard:// scheme"
printed=$("$rpm_root/usr/bin/lanyard" --version)
[ "$printed" = "lanyard $want_version" ] || fail "lanyard --version from the .rpm printed '$printed'"
echo "package-test: $(basename "$deb") and $(basename "$rpm") hold the app and the CLI; lanyard $want_version runs from them"
