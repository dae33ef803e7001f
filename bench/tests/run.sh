#!/bin/sh
# bench/tests/run.sh — the bench layer's suite for tests/run.sh: builds the
# benchmarks and runs bench/run.sh --smoke, which prints one PASS/FAIL/SKIP
# line per benchmark path (every kernel on every runner, load throughput,
# map operations, ring and perf buffers, start-up, sizes, results.json).
# Paths that need root or kernel BTF print SKIP. A few tens of seconds.
set -u
cd "$(dirname "$0")/../.."
if [ ! -x build/bin/wasm-bpf ]; then
	echo "SKIP: bench: smoke: no build/bin/wasm-bpf (run make first)"
	exit 0
fi
log=build/bench.smoke.log
mkdir -p build
if ! make -s bench-build-smoke >"$log" 2>&1; then
	echo "FAIL: bench: build: $(tail -n 3 "$log" | tr '\n' ' ')"
	exit 1
fi
BENCH_NO_BUILD=1 sh bench/run.sh --smoke >"$log" 2>&1
rc=$?
grep -E '^(PASS|FAIL|SKIP): ' "$log"
if [ $rc != 0 ] && ! grep -q '^FAIL: ' "$log"; then
	echo "FAIL: bench: smoke: exited $rc (see $log)"
fi
exit $rc
