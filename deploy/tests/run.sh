#!/bin/sh
# deploy/tests/run.sh — what deploy/ ships: the wasm-bpfd container image
# run with podman on the real kernel (image.sh), and the Kubernetes
# manifests validated offline against the API's schemas (k8s.sh). Prints
# PASS/FAIL/SKIP lines (tests/run.sh).
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
T=$(mktemp -d /tmp/wbpf-deploy.XXXXXX)

pass() { echo "PASS: deploy $1"; }
fail() { echo "FAIL: deploy $1: $2"; }
skip() { echo "SKIP: deploy $1: $2"; }
# check NAME WHY: PASS or FAIL by the status of the command before.
check() {
	if [ $? = 0 ]; then pass "$1"; return 0; fi
	fail "$1" "$2"
	return 1
}
cleanup() {
	command -v image_cleanup >/dev/null && image_cleanup
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ "$(id -u)" != 0 ]; then
	skip image "needs root (BPF programs in the kernel, rootful podman)"
elif [ ! -f "$ROOT/build/examples/bootstrap/bootstrap.wasm" ]; then
	skip image "no bootstrap example (make examples)"
else
	. "$ROOT/deploy/tests/image.sh"
fi
. "$ROOT/deploy/tests/k8s.sh"
exit 0
