#!/bin/sh
# The test harness: runs every layer's suite (LAYER/tests/run.sh) in layer
# order and prints one summary line. A suite reports one line per test:
#   PASS: name
#   FAIL: name: why
#   SKIP: name: reason
# Anything else it prints is shown as-is. The harness fails if a suite
# fails, exits non-zero without reporting, or reports nothing.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export ROOT

# Kernel tests need these; mount them if the machine did not.
if [ "$(id -u)" = 0 ]; then
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	[ -d /sys/kernel/debug/tracing ] || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null || true
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
fi

LAYERS="engine wasi bpf policy oci runtime daemon ocirt deploy tools sdk examples compat bench"
[ -n "${SUITES:-}" ] && LAYERS="$SUITES"
passed=0 failed=0 skipped=0
log=$(mktemp)
# Suites load BPF objects with the CO-RE BTF cache on (bpf/README.md): a
# fresh cache per run of the harness, never /var/cache or ~/.cache.
own_cache=
if [ -z "${WASM_BPF_CACHE_DIR:-}" ]; then
	WASM_BPF_CACHE_DIR=$(mktemp -d)
	export WASM_BPF_CACHE_DIR
	own_cache=$WASM_BPF_CACHE_DIR
fi
for layer in $LAYERS; do
	suite="$layer/tests/run.sh"
	[ -f "$suite" ] || continue
	echo "== $layer"
	start=$(date +%s)
	sh "$suite" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL: $layer suite: exited $rc without reporting a failure"
		f=1
	fi
	if [ $((p + f + s)) = 0 ]; then
		echo "FAIL: $layer suite: ran no test"
		f=1
	fi
	echo "-- $layer: $p passed, $f failed, $s skipped ($(( $(date +%s) - start ))s)"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
rm -f "$log"
[ -n "$own_cache" ] && rm -rf "$own_cache"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
