#!/usr/bin/env bash
# Builds the front end (type-checked) into ui/dist, which the app embeds, touching only the files
# whose content changed. Vite rewrites every file it emits on each build; cargo sees those as
# changes and rebuilds the app that embeds them (about 2 minutes in release) although nothing
# changed. So the build goes to a scratch folder, and only what differs is copied over (and
# what is gone removed): an unchanged front end leaves ui/dist, and the app, as they were.
set -euo pipefail
cd "$(dirname "$0")/../ui"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npm run --silent build -- --outDir "$out" --emptyOutDir
mkdir -p dist
(cd "$out" && find . -type f) | while read -r file; do
    if ! cmp -s "$out/$file" "dist/$file"; then
        mkdir -p "dist/$(dirname "$file")"
        cp "$out/$file" "dist/$file"
    fi
done
(cd dist && find . -type f) | while read -r file; do
    [ -e "$out/$file" ] || rm "dist/$file"
done
