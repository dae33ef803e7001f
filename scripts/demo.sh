#!/bin/sh
# The main job: the bootstrap tool (exec/exit tracing over a ring buffer)
# runs as a WebAssembly guest under wasm-bpf for a few seconds while this
# script starts processes, then stops it with SIGINT as a user's Ctrl-C
# would, and shows that no BPF program of it stayed in the kernel.
set -eu
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${DEMO_SECONDS:-5}
WASM=build/examples/bootstrap/bootstrap.wasm
[ -f "$WASM" ] || { echo "demo: $WASM was not built (kernel BTF missing?)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo: run as root (BPF needs CAP_BPF/CAP_SYS_ADMIN)" >&2; exit 1; }

progs_before=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:' || true)
echo "demo: running 'wasm-bpf $WASM' for ${SECONDS_TO_RUN}s ($(stat -c %s "$WASM") bytes of wasm)"
build/bin/wasm-bpf "$WASM" &
pid=$!
sleep 1
i=0
while [ $i -lt $((SECONDS_TO_RUN * 2)) ]; do
	sh -c 'sleep 0.1; exit 3' || true
	ls / >/dev/null
	i=$((i + 1))
	sleep 0.4
done
kill -INT "$pid"
status=0
wait "$pid" || status=$?
progs_after=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:' || true)
echo "demo: wasm-bpf exited with status $status after SIGINT"
echo "demo: BPF programs loaded before: $progs_before, after: $progs_after"
[ "$status" = 0 ] && [ "$progs_after" -le "$progs_before" ]
