#!/bin/sh
# bpf/tests/run.sh — the suite of the `wasm_bpf` host module, in the real
# kernel (as root). Builds its own artifacts under build/tests/bpf/:
# vmlinux.h (generated here, never committed), the BPF test object, the
# native driver (host functions against a fake instance) and bpf-count;
# when the runtime CLI exists, also C guests run by build/bin/wasm-bpf.
# Sets up a veth pair into a network namespace and a child cgroup for the
# attach tests and removes them on every exit path. After each run it
# checks with bpf-count that no program or link of the suite ("wbt_*")
# remains in the kernel. Prints PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
OUT=$ROOT/build/tests/bpf
CC=${CC:-cc}
mkdir -p "$OUT"
# One run at a time: runs share the artifacts, and a second run's programs
# would show up in this run's leak checks.
if command -v flock >/dev/null; then
	exec 9>"$OUT/.lock"
	flock 9
fi
# Everything here loads objects with the CO-RE BTF cache on: keep it out of
# /var/cache, and start empty (under the lock: another run may use it).
rm -rf "$OUT/cache"
export WASM_BPF_CACHE_DIR="$OUT/cache/default"

NS=wbt$$
IF0=wbt$$a
IF1=wbt$$b
ADDR0=10.201.77.1
ADDR1=10.201.77.2
CGROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
CG=

cleanup() {
	ip netns del "$NS" 2>/dev/null
	ip link del "$IF0" 2>/dev/null
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

fail() { echo "FAIL: $1: $2"; }
skip_all() {
	for t in "load and attach (native)" "guests" "btf cache"; do
		echo "SKIP: $t: $1"
	done
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel without BTF"
command -v bpftool >/dev/null || skip_all "no bpftool"
command -v clang >/dev/null || skip_all "no clang"

# ---- build --------------------------------------------------------------
log=$OUT/build.log
: >"$log"
build() {
	"$@" >>"$log" 2>&1 && return 0
	fail "build" "$* (see $log)"
	tail -5 "$log"
	exit 1
}
[ -s "$OUT/vmlinux.h" ] ||
	build sh -c "bpftool btf dump file /sys/kernel/btf/vmlinux format c >'$OUT/vmlinux.h'"
build clang -target bpf -g -O2 -D__TARGET_ARCH_x86 -I"$OUT" -Isdk/c/include \
	-c bpf/tests/test.bpf.c -o "$OUT/test.bpf.o"
build clang -target bpf -g -O2 -I"$OUT" -c bpf/tests/bad.bpf.c \
	-o "$OUT/bad.bpf.o"
for o in fdmaps pin ring; do
	build clang -target bpf -g -O2 -I"$OUT" -c bpf/tests/$o.bpf.c \
		-o "$OUT/$o.bpf.o"
done
# usdt.bpf.h includes <linux/errno.h>, which needs the multiarch asm/.
MULTIARCH=-I/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
kinds=
for k in raw_tp tp_btf fentry fexit lsm iter usdt; do
	build clang -target bpf -g -O2 -D__TARGET_ARCH_x86 -DKIND_$k -I"$OUT" $MULTIARCH \
		-c bpf/tests/kinds.bpf.c -o "$OUT/kind-$k.bpf.o"
	kinds="$kinds $OUT/kind-$k.bpf.o"
done
build $CC -std=gnu11 -O2 -Wall -Wextra bpf/tests/bpf_count.c \
	-o "$OUT/bpf-count" -lbpf
srcs="$(ls bpf/*.c | grep -v '/fuzz_') $(ls bpf/user/ubpf_*.c | grep -v 'agent\|hook')"
build $CC -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -I. -Iengine \
	-D_GNU_SOURCE bpf/tests/native.c bpf/tests/fake_engine.c $srcs \
	-o "$OUT/native" -lbpf -lelf -lz -lcrypto

# ---- fixtures -----------------------------------------------------------
if ip netns add "$NS" 2>/dev/null &&
	ip link add "$IF0" type veth peer name "$IF1" 2>/dev/null &&
	ip link set "$IF1" netns "$NS" &&
	ip addr add "$ADDR0/24" dev "$IF0" && ip link set "$IF0" up &&
	ip -n "$NS" addr add "$ADDR1/24" dev "$IF1" &&
	ip -n "$NS" link set "$IF1" up && ip -n "$NS" link set lo up; then
	export BPF_TEST_IF="$IF0" BPF_TEST_NETNS="$NS" BPF_TEST_ADDR="$ADDR0"
fi
if [ -n "$CGROOT" ] && mkdir "$CGROOT/$NS" 2>/dev/null; then
	CG="$CGROOT/$NS"
	export BPF_TEST_CGROUP="$CG"
fi

# The kernel frees some attachments after the last reference went (tc
# filters, perf events: deferred work), so allow it a moment.
leak_check() { # NAME
	i=0
	while [ $i -lt 30 ]; do
		counts=$("$OUT/bpf-count")
		[ "$counts" = "progs 0 links 0" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$counts" = "progs 0 links 0" ]; then
		echo "PASS: leak: $1 leaves no program or link"
	else
		fail "leak: $1" "$counts remain: $("$OUT/bpf-count" -v | tr '\n' ' ')"
	fi
}

# ---- native driver ------------------------------------------------------
before=$("$OUT/bpf-count")
[ "$before" = "progs 0 links 0" ] ||
	echo "note: suite programs already loaded before the run: $before"
timeout 120 "$OUT/native" "$OUT/test.bpf.o" "$OUT/bad.bpf.o" $kinds \
	"$OUT/fdmaps.bpf.o" "$OUT/pin.bpf.o" 2>"$OUT/native.err"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "native driver" "exited $rc (see $OUT/native.err)"
leak_check "native driver"

# ---- guests under the runtime --------------------------------------------
if [ -f bpf/tests/guests.sh ]; then
	. bpf/tests/guests.sh
fi

# ---- CO-RE BTF cache ------------------------------------------------------
. bpf/tests/btfcache.sh

# ---- userspace backend -----------------------------------------------------
. bpf/tests/user.sh

# ---- fuzzing ----------------------------------------------------------------
# Short libFuzzer runs (FUZZ_SECONDS, default 10; 0 skips) under ASan and
# UBSan: build-fuzz/TARGET on CORPUS, which PREPARE (a function) fills.
fuzz_run() { # TARGET CORPUS PREPARE
	secs=${FUZZ_SECONDS:-10}
	name="fuzz/$1"
	if [ "$secs" = 0 ]; then
		echo "SKIP: $name: FUZZ_SECONDS=0"
		return
	fi
	if ! make -s "build-fuzz/$1" >"$OUT/$1-build.log" 2>&1; then
		if grep -q "fsanitize=fuzzer" "$OUT/$1-build.log"; then
			echo "SKIP: $name: clang has no libFuzzer"
		else
			fail "$name" "build: see $OUT/$1-build.log"
		fi
		return
	fi
	rm -rf "$2"
	mkdir -p "$2" build-fuzz/artifacts
	$3 "$2"
	"build-fuzz/$1" -max_total_time="$secs" -timeout=60 \
		-rss_limit_mb=2048 -artifact_prefix=build-fuzz/artifacts/ \
		-print_final_stats=1 "$2" >"$OUT/$1.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$1.log")
	if [ $rc = 0 ]; then
		echo "PASS: $name (${runs:-?} runs in ${secs}s)"
	else
		fail "$name" "exit $rc: $(grep -m1 'ERROR\|SUMMARY\|runtime error' "$OUT/$1.log"); input: $(sed -n 's/.*Test unit written to //p' "$OUT/$1.log")"
	fi
}

# ---- BTF checks (and their fuzz target) -----------------------------------
. bpf/tests/btfcheck.sh

# The minimal BTF builder on .BTF.ext bytes, seeded with this suite's
# objects (input byte 0 = 2: an ELF image) and the target's own template
# (byte 1).
btfmin_corpus() {
	printf '\001' >"$1/template"
	for o in "$OUT"/*.bpf.o; do
		printf '\002' | cat - "$o" >"$1/$(basename "$o")"
	done
}
fuzz_run fuzz_btfmin "$OUT/fuzz-corpus" btfmin_corpus
# The userspace verifier and VM, seeded with the programs user.sh's driver
# accepted.
ubpf_corpus() {
	cp "$OUT"/ubpf-seeds/* "$1"/ 2>/dev/null
}
fuzz_run fuzz_ubpf "$OUT/ubpf-corpus" ubpf_corpus
exit 0
