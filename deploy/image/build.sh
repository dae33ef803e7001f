#!/bin/sh
# build.sh BINDIR EXAMPLES WORKDIR IMAGE — stages the root (stage-rootfs.sh)
# and builds deploy/Containerfile on it with buildah; prints the image's
# name and size.
set -eu
[ $# = 4 ] || { echo "usage: $0 BINDIR EXAMPLES_DIR WORKDIR IMAGE" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
sh "$here/image/stage-rootfs.sh" "$1" "$2" "$3"
buildah bud --quiet --layers=false -f "$here/Containerfile" -t "$4" "$3" >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$4" 2>/dev/null || echo '?')
echo "$4: $size bytes"
