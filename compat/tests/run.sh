#!/bin/sh
# compat/tests/run.sh — upstream wasm-bpf users' guests, unchanged, under
# build/bin/wasm-bpf in the real kernel (root). The guests here are written
# for this suite in the shape of upstream's examples: each directory carries
# its own libbpf-wasm.h (a link to upstream-sdk/, our stand-in for
# upstream's SDK header) and gets its skeleton generated into it, as
# upstream's Makefiles do; each builds with the example directory first and
# last on the include path. sockops names its cgroup by path, loose hands
# its programs targets only upstream understands, probe is opensnoop's
# check for the `open` tracepoint. With WASM_BPF_UPSTREAM=DIR (a checkout
# of upstream with its wasm-sdk/c submodule; never part of this tree) the
# real upstream examples are built too. Prints PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
S=$ROOT/compat/tests
OUT=$ROOT/build/tests/compat
INC=$ROOT/sdk/c/include
RT=$ROOT/build/bin/wasm-bpf
GEN=$ROOT/build/bin/wasm-bpf-gen
T=$(mktemp -d /tmp/wbpf-compat.XXXXXX)
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=
PIDS=

cleanup() {
	for p in $PIDS; do kill -INT "$p" 2>/dev/null; done
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	rm -rf "$T"
	return 0
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

pass() { echo "PASS: compat: $1"; }
fail() { echo "FAIL: compat: $1: $2"; }
skip() { echo "SKIP: compat: $1: $2"; }
why() { tail -n 3 "$1" | tr '\n' ' '; }

if [ "$(id -u)" != 0 ]; then
	skip suite "kernel tests need root"
	exit 0
fi
for need in clang bpftool; do
	command -v $need >/dev/null || { skip suite "no $need"; exit 0; }
done
[ -r /sys/kernel/btf/vmlinux ] || { skip suite "kernel without BTF"; exit 0; }
[ -x "$RT" ] || { skip suite "build/bin/wasm-bpf not built"; exit 0; }
mkdir -p "$OUT"
[ -s "$OUT/vmlinux.h" ] ||
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$OUT/vmlinux.h"

# ---- building upstream-shaped example directories --------------------------
# build NAME: copies compat/tests/NAME (and the SDK stand-in its header
# links to) like an upstream checkout, generates NAME.skel.h into it and
# compiles NAME.c twice: example directory first, then last.
build() {
	name=$1 d=$T/$1
	cp -R "$S/upstream-sdk" "$S/$name" "$T/" 2>/dev/null
	log=$OUT/$name.log
	if ! clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$OUT" -I"$INC" \
		-c "$d/$name.bpf.c" -o "$d/$name.bpf.o" >"$log" 2>&1 ||
		! "$GEN" skeleton "$d/$name.bpf.o" >"$d/$name.skel.h" 2>>"$log"; then
		fail "build $name" "$(why "$log")"
		return 1
	fi
	for order in first last; do
		if [ $order = first ]; then inc="-I$d -I$INC"; else inc="-I$INC -I$d"; fi
		# shellcheck disable=SC2086
		if clang --target=wasm32-wasi -O2 -Wall -Werror $inc "$d/$name.c" \
			-Wl,--export-table -o "$OUT/$name-$order.wasm" >"$log" 2>&1; then
			pass "$name builds unchanged, example directory $order on the include path"
		else
			fail "$name builds unchanged, example directory $order" "$(why "$log")"
			return 1
		fi
	done
	cp "$OUT/$name-first.wasm" "$OUT/$name.wasm"
}

# run NAME OUT ARGS...: the runtime in the background, output to OUT.
run() {
	out=$2
	shift 2
	"$RT" "$@" >"$out" 2>&1 &
	LAST=$!
	PIDS="$PIDS $LAST"
}

wait_for() { # FILE REGEX SECONDS
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# finish: waits for the last runtime (at most 15 s) and sets RC.
finish() {
	i=0
	while kill -0 "$LAST" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$LAST" 2>/dev/null
	wait "$LAST"
	RC=$?
}

# ---- sockops: upstream's SDK in the unit, cgroup named by path -------------
t_sockops() {
	name="sockops: attaches to a cgroup path, upstream's skeleton API"
	if [ -z "$CGROOT" ] || ! mkdir "$CGROOT/wbpf-compat-$$" 2>/dev/null; then
		skip "$name" "no writable cgroup v2 hierarchy"
		return
	fi
	CG=$CGROOT/wbpf-compat-$$
	run sockops "$T/so" "$OUT/sockops.wasm" "$CG" 15
	if ! wait_for "$T/so" '^(attached|failed)' 15 || ! grep -q '^attached' "$T/so"; then
		finish
		fail "$name" "not attached: $(why "$T/so")"
		return
	fi
	sh -c "echo \$\$ > $CG/cgroup.procs; exec python3 -c '
import socket
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(1)
c = socket.create_connection(s.getsockname()); a, _ = s.accept()'" >"$T/conn" 2>&1
	finish
	if [ "$RC" = 0 ] && grep -Eq '^established [1-9][0-9]* marker 5eed$' "$T/so"; then
		pass "$name"
	else
		fail "$name" "exit $RC: $(why "$T/so") $(why "$T/conn")"
	fi
}

# ---- loose targets: attached by section, said under -v ---------------------
t_loose() {
	name="loose targets: a tracepoint given \"sys_enter_execve\", a raw tracepoint given \"sched/sched_process_exec\""
	run loose "$T/lo" -v "$OUT/loose.wasm" 10
	if ! wait_for "$T/lo" '^(attached|failed)' 15 || ! grep -q '^attached' "$T/lo"; then
		finish
		fail "$name" "not attached: $(why "$T/lo")"
		return
	fi
	for _ in 1 2 3; do /bin/true; done
	finish
	if [ "$RC" = 0 ] && grep -Eq '^hits [1-9][0-9]* [1-9][0-9]*$' "$T/lo"; then
		pass "$name"
	else
		fail "$name" "exit $RC: $(why "$T/lo")"
	fi
	n=$(grep -c 'attached by its section' "$T/lo")
	if [ "$n" = 2 ]; then
		pass "loose targets: -v says each was attached by its section"
	else
		fail "loose targets: -v says so" "$n lines: $(grep wasm_bpf "$T/lo" | head -2 | tr '\n' ' ')"
	fi
}

# ---- probing the host: opensnoop's `open` check ----------------------------
t_probe() {
	name="probe: opensnoop-style check sees the open tracepoint, all 4 attach"
	if [ ! -e /sys/kernel/tracing/events/syscalls/sys_enter_open ] &&
		[ ! -e /sys/kernel/debug/tracing/events/syscalls/sys_enter_open ]; then
		skip "$name" "this kernel has no open syscall tracepoint"
		return
	fi
	timeout 20 "$RT" "$OUT/probe.wasm" >"$T/pr" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -qx 'attached 4' "$T/pr"; then
		pass "$name"
	else
		fail "$name" "exit $rc: $(why "$T/pr")"
	fi
	if grep -qx 'write refused' "$T/pr" && [ ! -e /sys/kernel/tracing/events/wbpf-compat-new ]; then
		pass "probe: the host view refuses writes"
	else
		fail "probe: the host view refuses writes" "$(why "$T/pr")"
	fi
	timeout 20 "$RT" --no-host-view "$OUT/probe.wasm" >"$T/pr2" 2>&1
	if grep -qx 'attached 2' "$T/pr2"; then
		pass "probe: --no-host-view hides the tracing events"
	else
		fail "probe: --no-host-view hides the tracing events" "$(why "$T/pr2")"
	fi
}

# ---- real upstream, when a checkout is given --------------------------------
t_upstream() {
	U=${WASM_BPF_UPSTREAM:-}
	if [ -z "$U" ] || [ ! -f "$U/wasm-sdk/c/libbpf-wasm.h" ]; then
		skip "upstream examples" "WASM_BPF_UPSTREAM names no upstream checkout with wasm-sdk/c"
		return
	fi
	cp -R "$U/examples" "$U/wasm-sdk" "$T/" 2>/dev/null
	MULTIARCH="-idirafter /usr/include/$(cc -print-multiarch 2>/dev/null)"
	for ex in bootstrap execve opensnoop runqlat sockfilter sockops uprobe xdp lsm; do
		d=$T/examples/$ex
		[ -f "$d/$ex.c" ] || continue
		log=$OUT/upstream-$ex.log
		extra=$(ls "$d"/*.c | grep -v "\.bpf\.c$" | grep -v "/$ex\.c$")
		# shellcheck disable=SC2086
		if ! clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$OUT" -I"$INC" -I"$d" \
			$MULTIARCH -c "$d/$ex.bpf.c" -o "$d/$ex.bpf.o" >"$log" 2>&1; then
			skip "upstream example $ex" "its BPF side does not compile against this kernel's vmlinux.h: $(grep -m1 error: "$log")"
			continue
		fi
		if "$GEN" skeleton "$d/$ex.bpf.o" >"$d/$ex.skel.h" 2>>"$log" &&
			clang --target=wasm32-wasi -O2 -I"$d" -I"$INC" "$d/$ex.c" $extra \
				-Wl,--export-table -o "$OUT/upstream-$ex.wasm" >>"$log" 2>&1; then
			pass "upstream example $ex builds unchanged with our SDK"
		else
			fail "upstream example $ex builds" "$(why "$log")"
		fi
	done
}

build sockops && t_sockops
build loose && t_loose
build probe && t_probe
t_upstream

# The kernel frees a finished runtime's programs in deferred work.
i=0
while left=$(bpftool prog show 2>/dev/null | grep -c ' name wbc_') &&
	[ "$left" != 0 ] && [ $i -lt 30 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ "$left" = 0 ]; then
	pass "no program of the suite left in the kernel"
else
	fail "leak" "$left programs named wbc_* remain"
fi
