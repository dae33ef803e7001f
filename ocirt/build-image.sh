#!/bin/sh
# build-image.sh MODULE.wasm IMAGE [ARG...] — an OCI image holding only
# MODULE.wasm, at /, as the entry point (ARGs become its default command),
# built with buildah FROM scratch. The annotation and platform follow
# crun's Wasm-image conventions, so any runtime that knows them picks its
# Wasm handler; wasm-bpf-oci also goes by the file's magic.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 MODULE.wasm IMAGE [ARG...]" >&2; exit 2; }
wasm=$1 image=$2
shift 2
[ -f "$wasm" ] || { echo "$0: $wasm: no such file" >&2; exit 1; }
name=$(basename "$wasm")
ctr=$(buildah from --quiet scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah copy --quiet --chmod 0755 "$ctr" "$wasm" "/$name" >/dev/null
args=""
for a in "$@"; do
	args="$args${args:+,}\"$(printf '%s' "$a" | sed 's/[\\"]/\\&/g')\""
done
buildah config --entrypoint "[\"/$name\"]" --cmd "[$args]" \
	--os wasi --arch wasm \
	--annotation module.wasm.image/variant=compat "$ctr"
buildah commit --quiet "$ctr" "$image" >/dev/null
echo "$image"
