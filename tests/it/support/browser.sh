#!/bin/sh
# A `$BROWSER` for tests: follows the authorization URL's redirects with a cookie jar, the way a
# person's browser would, through the OAuth fixture's automatic login and consent to Lanyard's
# loopback callback. The URL is "$1", passed as one argument (no shell parsing by Lanyard).
# Runs in the background so that Lanyard, which does not wait for a browser, sees it as started.
# When $LANYARD_TEST_BROWSER_HOLD names a file that exists, it plays a person who never finishes
# the sign-in: it opens nothing, and Lanyard keeps waiting on its loopback listener.
if [ -n "${LANYARD_TEST_BROWSER_HOLD:-}" ] && [ -e "$LANYARD_TEST_BROWSER_HOLD" ]; then
    exit 0
fi
jar=$(mktemp)
( curl -sS -L --max-redirs 20 -b "$jar" -c "$jar" -o /dev/null "$1"; rm -f "$jar" ) </dev/null >/dev/null 2>&1 &
exit 0
