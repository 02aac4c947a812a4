#!/usr/bin/env bash
# Runs a command against a real, private, unlocked Secret Service: a fresh D-Bus session with
# gnome-keyring in it, its files in a temporary folder that is removed afterwards. The user's own
# keychain is never touched.
#   scripts/with-keychain.sh cargo test
set -euo pipefail

if [ -z "${LANYARD_IN_KEYCHAIN_SESSION:-}" ]; then
    # The folders exist before the bus starts, so that the bus and any keyring daemon it starts on
    # demand (D-Bus activation, when a client asks before our daemon has claimed its name) use
    # them too. Otherwise that daemon uses the user's own folders and its locked keyring.
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/run" XDG_CONFIG_HOME="$scratch/config"
    mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"
    chmod 700 "$XDG_RUNTIME_DIR"
    export LANYARD_IN_KEYCHAIN_SESSION=1
    dbus-run-session -- "$0" "$@"
    exit
fi

# --unlock creates the login keyring with this password and leaves it unlocked. Captured before
# the eval so that a failing daemon stops the script (set -e ignores failures inside eval "$(...)").
keyring_env=$(printf %s "lanyard-test-keyring" | gnome-keyring-daemon --unlock --components=secrets) || {
    echo "with-keychain.sh: gnome-keyring-daemon failed; install it with scripts/install-test-deps.sh" >&2
    exit 1
}
eval "$keyring_env"
export GNOME_KEYRING_CONTROL
# Fail here, with a clear message, unless the Secret Service really answers and stores unlocked.
probe=(service lanyard-keychain-probe username probe)
if ! printf probe | secret-tool store --label="Lanyard keychain probe" "${probe[@]}" ||
    [ "$(secret-tool lookup "${probe[@]}")" != probe ]; then
    echo "with-keychain.sh: gnome-keyring did not give a working, unlocked Secret Service" >&2
    exit 1
fi
secret-tool clear "${probe[@]}"
"$@"
