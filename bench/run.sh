#!/bin/sh
# bench/run.sh — runs the benchmarks `make bench` builds and prints one
# table per part; writes bench/results.json. Part A: compute kernels on
# native, wasm-bpf, Node.js (V8) and wasm2c+gcc, and module load
# throughput. Part B (root, kernel BTF): map operations, ring and perf
# buffers, start-up, size and peak memory, wasm-bpf against native libbpf.
# Part C: distribution (push/pull throughput, run REF start-up). Part D
# (root): the plugin daemon against separate processes (memory, start-up,
# events/s of 20 consumers).
#   sh bench/run.sh [--smoke] [--part A|B|C|D]
# --smoke runs every path with tiny inputs and prints PASS/FAIL/SKIP lines
# (bench/tests/run.sh). Medians over repeated runs, with min-max.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=$ROOT/build/bench
RAW=$OUT/raw
WASM_BPF=${BENCH_WASM_BPF:-$ROOT/build/bin/wasm-bpf}
SMOKE=0
PART=ABCD
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) SMOKE=1 ;;
	--part) PART=$2; shift ;;
	*) echo "usage: bench/run.sh [--smoke] [--part A|B|C|D]" >&2; exit 2 ;;
	esac
	shift
done
. "$ROOT/bench/lib.sh"

if [ -z "${BENCH_NO_BUILD:-}" ]; then
	target=bench-build
	[ $SMOKE = 1 ] && target=bench-build-smoke
	make -s all $target >"$OUT.build.log" 2>&1 ||
		{ echo "FAIL: bench: build: see $OUT.build.log"; exit 1; }
fi
rm -rf "$RAW"
mkdir -p "$RAW"
# Others may rebuild build/bin/wasm-bpf while this runs: use a snapshot.
if [ -x "$WASM_BPF" ]; then
	cp "$WASM_BPF" "$RAW/wasm-bpf" && WASM_BPF=$RAW/wasm-bpf
fi
machine
case $PART in *A*) . "$ROOT/bench/part_a.sh" ;; esac
case $PART in *B*) . "$ROOT/bench/part_b.sh" ;; esac
case $PART in *C*) . "$ROOT/bench/part_c.sh" ;; esac
case $PART in *D*) . "$ROOT/bench/part_d.sh" ;; esac
write_json
print_passes
[ "$failures" = 0 ]
