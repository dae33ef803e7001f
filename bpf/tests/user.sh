# bpf/tests/user.sh — the userspace eBPF backend (bpf/user/), sourced by
# run.sh after its build: hand-assembled verifier/VM cases, maps, and the
# test uprobe object built by clang (-mcpu=v3) and, when present, clang-19
# (-mcpu=v4: sdiv, movsx, bswap, gotol), all run under nobpf, a seccomp
# filter that makes bpf(2) fail, so nothing here uses kernel BPF. Then a
# short libFuzzer run of the verifier and VM (FUZZ_SECONDS, 0 skips). The
# examples' uprobe and opensnoop objects must pass the verifier.

user_objs=
build clang -target bpf -g -O2 -mcpu=v3 -D__TARGET_ARCH_x86 -I"$OUT" \
	-c bpf/tests/ubpf.bpf.c -o "$OUT/ubpf-v3.bpf.o"
user_objs="$OUT/ubpf-v3.bpf.o"
if command -v clang-19 >/dev/null; then
	build clang-19 -target bpf -g -O2 -mcpu=v4 -D__TARGET_ARCH_x86 -I"$OUT" \
		-c bpf/tests/ubpf.bpf.c -o "$OUT/ubpf-v4.bpf.o"
	user_objs="$user_objs $OUT/ubpf-v4.bpf.o"
else
	echo "SKIP: user backend: -mcpu=v4 object: no clang-19"
fi
build $CC -std=gnu11 -O2 -Wall -Wextra bpf/tests/nobpf.c -o "$OUT/nobpf"
build $CC -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -I. -D_GNU_SOURCE \
	bpf/tests/ubpf.c bpf/user/ubpf_*.c -o "$OUT/ubpf" -lbpf -lelf -lz -lcapstone

if "$OUT/nobpf" bpftool prog list >/dev/null 2>&1; then
	fail "user backend: nobpf" "bpftool still reached bpf(2) under the filter"
else
	echo "PASS: user backend: nobpf denies bpf(2)"
fi
rm -rf "$OUT/ubpf-seeds"
mkdir -p "$OUT/ubpf-seeds"
# The examples' uprobe and syscall-tracepoint programs (built by make).
examples=
for e in uprobe opensnoop; do
	if [ -f "build/examples/$e/$e.bpf.o" ]; then
		examples="$examples build/examples/$e/$e.bpf.o"
	else
		echo "SKIP: user backend: example $e: not built (make)"
	fi
done
UBPF_SEED_DIR="$OUT/ubpf-seeds" timeout 60 "$OUT/nobpf" "$OUT/ubpf" $user_objs \
	--accept $examples 2>"$OUT/ubpf.err"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "user backend driver" "exited $rc (see $OUT/ubpf.err)"

fuzz_ubpf() {
	secs=${FUZZ_SECONDS:-10}
	name="fuzz/fuzz_ubpf"
	if [ "$secs" = 0 ]; then
		echo "SKIP: $name: FUZZ_SECONDS=0"
		return
	fi
	if ! make -s build-fuzz/fuzz_ubpf >"$OUT/fuzz-ubpf-build.log" 2>&1; then
		if grep -q "fsanitize=fuzzer" "$OUT/fuzz-ubpf-build.log"; then
			echo "SKIP: $name: clang has no libFuzzer"
		else
			fail "$name" "build: see $OUT/fuzz-ubpf-build.log"
		fi
		return
	fi
	mkdir -p build-fuzz/artifacts
	build-fuzz/fuzz_ubpf -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 \
		"$OUT/ubpf-seeds" >"$OUT/fuzz-ubpf.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/fuzz-ubpf.log")
	if [ $rc = 0 ]; then
		echo "PASS: $name (${runs:-?} runs in ${secs}s)"
	else
		fail "$name" "exit $rc: $(grep -m1 'ERROR\|SUMMARY\|runtime error' "$OUT/fuzz-ubpf.log"); input: $(sed -n 's/.*Test unit written to //p' "$OUT/fuzz-ubpf.log")"
	fi
}
fuzz_ubpf
