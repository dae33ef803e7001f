#!/bin/sh
# fetch.sh — gets the official WebAssembly wasi-testsuite at the commit we
# pin: the prebuilt tests of its prod/testsuite-base branch. Nothing of it
# is committed here.
#
#   tools/wasi-testsuite/fetch.sh [DIR]      (default build/wasi-testsuite)
# WASI_TESTSUITE_REPO picks another clone source (a mirror, a local copy).
# By hand: git clone -b prod/testsuite-base \
#   https://github.com/WebAssembly/wasi-testsuite DIR && git -C DIR checkout COMMIT
set -eu
COMMIT=9f80ca35444cfd9e63100725615140a346652e6c
REPO=${WASI_TESTSUITE_REPO:-https://github.com/WebAssembly/wasi-testsuite.git}
dest=${1:-build/wasi-testsuite}

if [ -d "$dest/.git" ] && [ "$(git -C "$dest" rev-parse HEAD)" = "$COMMIT" ]; then
	echo "fetch.sh: $dest is already at $COMMIT"
	exit 0
fi
[ ! -e "$dest" ] || { echo "fetch.sh: $dest exists; remove it first" >&2; exit 1; }
tmp=$dest.part
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
git init -q "$tmp"
git -C "$tmp" remote add origin "$REPO"
# One commit if the server hands out commits by id, else the branch.
git -C "$tmp" fetch -q --depth 1 origin "$COMMIT" 2>/dev/null ||
	git -C "$tmp" fetch -q origin prod/testsuite-base
git -C "$tmp" -c advice.detachedHead=false checkout -q "$COMMIT"
mv "$tmp" "$dest"
trap - EXIT
echo "fetch.sh: wasi-testsuite $COMMIT in $dest"
