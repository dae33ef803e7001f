#!/bin/sh
# engine/tests/run.sh — the engine's suite (tests/run.sh runs it): every
# engine/tests/wast/*.wast through wast2json and wasm-spectest under both
# tiers (wast/: the interpreter, jit/: the compiling tier, compiling all at
# load, which must also have compiled them, jit-lazy/: compiling each
# function on its first call, jit-saved/: on compiled code saved and
# loaded back), a check that the runner itself reports failures, the
# same .wast files again with the sanitizer build (make asan), the official testsuite when
# $WASM_TESTSUITE points at a checkout of it (plain and sanitized), and
# short libFuzzer runs of the engine's fuzz targets. One line per test:
#   PASS: name   FAIL: name: why   SKIP: name: reason
# Knobs: FUZZ_SECONDS (per fuzz target, default 10; 0 skips fuzzing),
# ENGINE_ASAN=0 skips the sanitizer build.
set -u
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
unset MAKEFLAGS MFLAGS MAKELEVEL
WASTS=$(ls engine/tests/wast/*.wast)

fail() {
	echo "FAIL: $*"
	: >"$tmp/failed"
}

# run_wast PREFIX WAST RUNNER [TIER]: one PASS/FAIL line for one .wast
# file; TIER is the runner's -i (interpreter, the default), -j (JIT) or -T
# (tiered, hot at a second call or a loop's first round: most code tiers
# up, and loops enter compiled code at their headers).
run_wast() {
	prefix=$1 wast=$2 runner=$3 tier=${4:--i}
	name=$(basename "$wast" .wast)
	dir=$tmp/$prefix$name
	mkdir -p "$dir"
	if ! wast2json "$wast" -o "$dir/$name.json" 2>"$dir/err"; then
		fail "$prefix$name: wast2json: $(head -1 "$dir/err")"
		return
	fi
	WASM_BPF_JIT_LAZY=${lazy:-0} WASM_SPECTEST_SAVED=${saved:-0} \
		WASM_BPF_JIT_TIER=2,1 "$runner" "$tier" "$dir/$name.json" \
		>"$dir/out" 2>"$dir/err"
	rc=$?
	counts=$(tail -1 "$dir/out")
	if grep -q 'Sanitizer\|runtime error' "$dir/err"; then
		fail "$prefix$name: sanitizer report: $(grep -m1 'SUMMARY\|runtime error' "$dir/err")"
	elif [ $rc = 0 ] && echo "$counts" | grep -q '^[0-9]* passed, 0 failed$'; then
		echo "PASS: $prefix$name ($counts)"
	else
		fail "$prefix$name: $counts; first: $(head -1 "$dir/out")"
		sed '$d' "$dir/out" | head -10 | sed 's/^/    /'
	fi
}

# The runner must count a wrong value and a missing trap as failures.
self_check() {
	runner=$1
	cat >"$tmp/self.wast" <<'WAST'
(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "one") "unreachable")
(assert_return (invoke "one") (i32.const 1))
WAST
	if ! wast2json "$tmp/self.wast" -o "$tmp/self.json" 2>/dev/null; then
		fail "spectest/self-check: wast2json failed"
		return
	fi
	"$runner" "$tmp/self.json" >"$tmp/self.out" 2>&1
	rc=$?
	if [ $rc = 1 ] && [ "$(tail -1 "$tmp/self.out")" = "2 passed, 2 failed" ]; then
		echo "PASS: spectest/self-check"
	else
		fail "spectest/self-check: exit $rc, $(tail -1 "$tmp/self.out")"
	fi
}

# (Own variable names: sh has no locals, and run_wast sets prefix.)
run_official() {
	official_prefix=$1 official_runner=$2
	for wast in "$WASM_TESTSUITE"/*.wast; do
		case $(basename "$wast") in simd_*) continue ;; esac
		run_wast "$official_prefix" "$wast" "$official_runner"
		run_wast "${official_prefix}jit/" "$wast" "$official_runner" -j
		lazy=1 run_wast "${official_prefix}jit-lazy/" "$wast" \
			"$official_runner" -j
		saved=1 run_wast "${official_prefix}jit-saved/" "$wast" \
			"$official_runner" -j
		run_wast "${official_prefix}jit-tiered/" "$wast" \
			"$official_runner" -T
	done
}

# The compiling tier must really compile: every function of these files,
# when it compiles all at load.
jit_coverage() {
	runner=$1
	if ! WASM_BPF_JIT_LAZY=0 WASM_BPF_JIT_LOG=1 "$runner" -j "$tmp"/wast/i32/i32.json \
		"$tmp"/wast/fused/fused.json >/dev/null 2>"$tmp/jitlog"; then
		fail "jit/coverage: runner failed"
		return
	fi
	if ! grep -q '^jit: ' "$tmp/jitlog"; then
		echo "SKIP: jit/coverage: no compiling tier on $(uname -m)"
		return
	fi
	partial=$(grep '^jit: [0-9]' "$tmp/jitlog" | awk '$2 != $4' | head -1)
	if [ -z "$partial" ]; then
		echo "PASS: jit/coverage ($(grep -c compiled "$tmp/jitlog") modules)"
	else
		fail "jit/coverage: $partial"
	fi
}

# Functions too large for liveness sets (4200 locals over 8200 blocks: more
# than 2^19 words, so every value stays in the frame) and large ones below
# that (300 locals: five words a set), compiled: a counter per local (the
# first four counting most, in registers), a branch out after each; the
# sum of the first 16 is known.
jit_large() {
	runner=$1
	awk 'function f(name, nl, k,    i, a, n) {
		printf "  (func (export \"%s\") (param i32) (result i32)\n", name
		printf "    (local"
		for (i = 0; i < nl; i++)
			printf " i32"
		print ")\n    (block $out (loop $top"
		for (i = 0; i < k; i++) {
			a = i % 4 ? (i * 7919) % nl + 1 : int(i / 4) % 4 + 1
			n += a <= 16
			printf "      (local.set %d (i32.add (local.get %d) (i32.const 1)))\n", a, a
			printf "      (br_if $out (i32.eq (local.get %d) (i32.const -1)))\n", a
		}
		print "      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))"
		print "      (br_if $top (local.get 0))))"
		printf "    (local.get 1)"
		for (i = 2; i <= 16; i++)
			printf " (local.get %d) (i32.add)", i
		print ")"
		return n
	}
	BEGIN {
		print "(module"
		frame = f("frame", 4200, 8200)
		wide = f("wide", 300, 1500)
		print ")"
		printf "(assert_return (invoke \"frame\" (i32.const 3)) (i32.const %d))\n", 3 * frame
		printf "(assert_return (invoke \"wide\" (i32.const 3)) (i32.const %d))\n", 3 * wide
	}' >"$tmp/functions.wast"
	# not under wast/, whose modules seed the fuzzers: "frame" runs long
	run_wast large/ "$tmp/functions.wast" "$runner"
	run_wast large/jit/ "$tmp/functions.wast" "$runner" -j
}

# Compiling lazily, a function is compiled on its first call, once, and a
# function never called is never compiled; up front, all are.
jit_lazy() {
	runner=$1
	cat >"$tmp/lazy.wast" <<'WAST'
(module
  (func $helper (result i32) (i32.const 1))
  (func (export "used") (result i32) (i32.add (call $helper) (call $helper)))
  (func (export "never") (result i32) (i32.const 2)))
(assert_return (invoke "used") (i32.const 2))
(assert_return (invoke "used") (i32.const 2))
WAST
	if ! wast2json "$tmp/lazy.wast" -o "$tmp/lazy.json" 2>/dev/null; then
		fail "jit/lazy: wast2json failed"
		return
	fi
	WASM_BPF_JIT_LAZY=1 WASM_BPF_JIT_LOG=1 "$runner" -j "$tmp/lazy.json" \
		>/dev/null 2>"$tmp/lazylog"
	got=$(grep '^jit: ' "$tmp/lazylog" | sort | tr '\n' ';')
	want='jit: func 0 compiled, *;jit: func 1 compiled, *;jit: lazily compiled 2 of 3 functions (0 interpreted), *;'
	case $got in
	$want) echo "PASS: jit/lazy-compiles-called-only" ;;
	*) fail "jit/lazy-compiles-called-only: log '$got'" ;;
	esac
	WASM_BPF_JIT_LAZY=0 WASM_BPF_JIT_LOG=1 "$runner" -j "$tmp/lazy.json" \
		>/dev/null 2>"$tmp/lazylog"
	got=$(grep '^jit: ' "$tmp/lazylog" | tr '\n' ';')
	case $got in
	'jit: 3 of 3 functions compiled, '*' on 1 thread;') echo "PASS: jit/upfront-compiles-all" ;;
	*) fail "jit/upfront-compiles-all: log '$got'" ;;
	esac
	# tiered: two calls stay interpreted (hot at 16 by default), and a
	# loop's first round enters compiled code at every loop of tier.wast
	WASM_BPF_JIT_LOG=1 "$runner" -T "$tmp/lazy.json" >/dev/null 2>"$tmp/lazylog"
	got=$(grep '^jit: ' "$tmp/lazylog" | tr '\n' ';')
	case $got in
	'jit: lazily compiled 0 of 3 functions (0 interpreted), '*) echo "PASS: jit/tiered-interprets-cold" ;;
	*) fail "jit/tiered-interprets-cold: log '$got'" ;;
	esac
	wast2json engine/tests/wast/tier.wast -o "$tmp/tier.json" 2>/dev/null
	WASM_BPF_JIT_TIER=2,1 WASM_BPF_JIT_LOG=1 "$runner" -T "$tmp/tier.json" \
		>"$tmp/tier.out" 2>"$tmp/lazylog"
	got=$(grep '^jit: func [0-9]* entered compiled at word' "$tmp/lazylog" |
		cut -d' ' -f3 | sort -n | tr '\n' ' ')
	case "$got $(tail -1 "$tmp/tier.out")" in
	'0 1 2 4 5 6 7  11 passed, 0 failed') echo "PASS: jit/tiered-enters-loops" ;;
	*) fail "jit/tiered-enters-loops: entered '$got', $(tail -1 "$tmp/tier.out")" ;;
	esac
	jit_two_threads "$runner"
}

# A large module compiles on two threads, each half into its own buffer:
# 60 functions calling each other across the halves must give the
# results computed here.
jit_two_threads() {
	python3 - "$tmp/big2.wast" <<'PY'
import sys
n, pad = 60, 300
out = ["(module"]
for i in range(n):
    body = "(local.get 0)" + "".join(
        f" (i32.const {k * 7919 % 65521}) (i32.xor) (i32.const {k * 7919 % 65521}) (i32.xor)"
        for k in range(pad))
    out.append(f'(func $f{i} (export "f{i}") (param i32) (result i32) {body} (i32.const {i}) (i32.add)'
               f' (if (result i32) (local.get 0) (then (call $f{(i + 31) % n} (i32.sub (local.get 0) (i32.const 1))))'
               f' (else (i32.const 0))) (i32.add))')
out.append(")")
def r(i, x):
    return (x + i + (r((i + 31) % n, x - 1) if x else 0)) & 0xffffffff
for i in range(0, n, 7):
    out.append(f'(assert_return (invoke "f{i}" (i32.const 9)) (i32.const {r(i, 9)}))')
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
	if ! wast2json "$tmp/big2.wast" -o "$tmp/big2.json" 2>/dev/null; then
		fail "jit/two-threads: wast2json failed"
		return
	fi
	if ! WASM_BPF_JIT_LOG=1 "$1" -j "$tmp/big2.json" >"$tmp/big2.out" 2>"$tmp/big2.log"; then
		fail "jit/two-threads: $(tail -2 "$tmp/big2.out" | tr '\n' ' ')"
		return
	fi
	case $(grep '^jit: [0-9]' "$tmp/big2.log") in
	'jit: 60 of 60 functions compiled, '*' on 2 threads') echo "PASS: jit/two-threads" ;;
	*) fail "jit/two-threads: log '$(grep '^jit: ' "$tmp/big2.log" | head -2 | tr '\n' ' ')'" ;;
	esac
}

asan_suite() {
	if [ "${ENGINE_ASAN:-1}" = 0 ]; then
		echo "SKIP: asan: ENGINE_ASAN=0"
		return
	fi
	bin=build-asan/bin/wasm-spectest
	rm -f "$bin"
	# `make asan` builds every layer; take its sub-make command and ask
	# it for the runner alone, so that other layers cannot get in the way.
	cmd=$(make -n asan 2>/dev/null | sed -n '1,/ all$/p' | tr -d '\\\n')
	case $cmd in
	make*BUILD=build-asan*" all")
		eval "${cmd% all} -j2 $bin" >"$tmp/asan.log" 2>&1 ;;
	*)
		make -k -j2 asan >"$tmp/asan.log" 2>&1 ;;
	esac
	if [ ! -x "$bin" ]; then
		fail "asan/build: $(grep -m1 -i 'error' "$tmp/asan.log")"
		return
	fi
	for wast in $WASTS; do
		run_wast asan/ "$wast" "$bin"
		run_wast asan/jit/ "$wast" "$bin" -j
		lazy=1 run_wast asan/jit-lazy/ "$wast" "$bin" -j
		run_wast asan/jit-tiered/ "$wast" "$bin" -T
	done
	[ -n "${WASM_TESTSUITE:-}" ] && [ -d "$WASM_TESTSUITE" ] &&
		run_official asan/official/ "$bin"
}

# fuzz_one TARGET: run a libFuzzer binary for FUZZ_SECONDS, seeded with
# the modules that the project's .wast files produced.
fuzz_one() {
	target=$1
	name=fuzz/$(basename "$target")
	corpus=$tmp/corpus/$(basename "$target")
	mkdir -p "$corpus"
	cp "$tmp"/wast/*/*.wasm "$corpus/" 2>/dev/null
	mkdir -p build-fuzz/artifacts
	"$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 \
		"$corpus" >"$tmp/fuzz.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/fuzz.log")
	if [ $rc = 0 ]; then
		echo "PASS: $name (${runs:-?} runs in ${FUZZ_SECONDS}s)"
	else
		fail "$name: exit $rc: $(grep -m1 'ERROR\|SUMMARY\|runtime error' "$tmp/fuzz.log"); input: $(sed -n 's/.*Test unit written to //p' "$tmp/fuzz.log")"
		grep -A12 -m1 'ERROR\|runtime error' "$tmp/fuzz.log" | sed 's/^/    /'
	fi
}

# The engine's libFuzzer targets (the rules are in engine/engine.mk; `make
# fuzz` builds these and the other layers' targets).
ENGINE_FUZZ="build-fuzz/fuzz_decode build-fuzz/fuzz_run build-fuzz/fuzz_diff build-fuzz/fuzz_code"

fuzz_suite() {
	FUZZ_SECONDS=${FUZZ_SECONDS:-10}
	if [ "$FUZZ_SECONDS" = 0 ]; then
		echo "SKIP: fuzz: FUZZ_SECONDS=0"
		return
	fi
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$tmp/probe.c"
	if ! clang -fsanitize=fuzzer "$tmp/probe.c" -o "$tmp/probe" 2>/dev/null; then
		echo "SKIP: fuzz: clang has no libFuzzer (libclang-rt-14-dev)"
		return
	fi
	for target in $ENGINE_FUZZ; do
		if ! make -j2 "$target" >"$tmp/fuzz-build.log" 2>&1; then
			fail "fuzz/$(basename "$target"): build: $(grep -m1 -i 'error' "$tmp/fuzz-build.log")"
			continue
		fi
		fuzz_one "$target"
	done
}

if ! command -v wast2json >/dev/null; then
	echo "SKIP: engine wast tests: wast2json not installed (wabt)"
	exit 0
fi
runner=build/bin/wasm-spectest
if [ ! -x "$runner" ] && ! make -j2 "$runner" >"$tmp/build.log" 2>&1; then
	fail "spectest/build: $(grep -m1 -i 'error' "$tmp/build.log")"
	exit 1
fi
self_check "$runner"
for wast in $WASTS; do
	run_wast wast/ "$wast" "$runner"
	run_wast jit/ "$wast" "$runner" -j
	lazy=1 run_wast jit-lazy/ "$wast" "$runner" -j
	saved=1 run_wast jit-saved/ "$wast" "$runner" -j
	run_wast jit-tiered/ "$wast" "$runner" -T
done
jit_coverage "$runner"
jit_lazy "$runner"
jit_large "$runner"
if [ -n "${WASM_TESTSUITE:-}" ]; then
	if [ -d "$WASM_TESTSUITE" ]; then
		run_official official/ "$runner"
	else
		echo "SKIP: official: WASM_TESTSUITE=$WASM_TESTSUITE is not a folder"
	fi
fi
# The embedding-API tests (engine/tests/api_test.c: interrupts, fuel,
# re-entry, limits, messages), plain, in the compiling tier and sanitized;
# they print their own PASS/FAIL lines.
# Threads sharing a lazily compiled module, under ThreadSanitizer (its
# deferred signals never interrupt a spinning guest, so the compiling-tier
# tests alone run there).
tsan_api() {
	[ "${ENGINE_ASAN:-1}" = 0 ] && return
	bin=build-tsan/bin/wasm-api-test
	if ! make BUILD=build-tsan CC=clang OPT=-O1 EXTRA_CFLAGS=-fsanitize=thread \
		LDFLAGS=-fsanitize=thread "$bin" -j2 >"$tmp/tsan-build.log" 2>&1; then
		fail "tsan/api/build: $(grep -m1 -i 'error' "$tmp/tsan-build.log")"
		return
	fi
	WASM_BPF_JIT_LAZY=1 API_TEST_JIT_ONLY=1 timeout 300 "$bin" \
		>"$tmp/api-tsan.out" 2>&1 ||
		fail "tsan/api: exit $?"
	sed -n 's/^\(PASS\|FAIL\): /&tsan\//p' "$tmp/api-tsan.out"
	if grep -q 'ThreadSanitizer' "$tmp/api-tsan.out"; then
		fail "tsan/api: $(grep -m1 'SUMMARY' "$tmp/api-tsan.out")"
	fi
	# Up-front compilation on two threads (jit_two_threads' module).
	[ -f "$tmp/big2.json" ] || return
	spec=build-tsan/bin/wasm-spectest
	if ! make BUILD=build-tsan CC=clang OPT=-O1 EXTRA_CFLAGS=-fsanitize=thread \
		LDFLAGS=-fsanitize=thread "$spec" -j2 >"$tmp/tsan-build.log" 2>&1; then
		fail "tsan/jit/two-threads: build: $(grep -m1 -i 'error' "$tmp/tsan-build.log")"
		return
	fi
	if WASM_BPF_JIT_LOG=1 "$spec" -j "$tmp/big2.json" >"$tmp/big2-tsan.out" 2>&1 &&
		grep -q 'on 2 threads' "$tmp/big2-tsan.out" &&
		! grep -q 'ThreadSanitizer' "$tmp/big2-tsan.out"; then
		echo "PASS: tsan/jit/two-threads"
	else
		fail "tsan/jit/two-threads: $(grep -m1 'SUMMARY\|failed' "$tmp/big2-tsan.out")"
	fi
}

api_suite() {
	if ! make -j2 build/bin/wasm-api-test >"$tmp/api-build.log" 2>&1; then
		fail "api/build: $(grep -m1 -i 'error' "$tmp/api-build.log")"
		return
	fi
	WASM_BPF_JIT=0 build/bin/wasm-api-test || [ -e "$tmp/failed" ] ||
		: >"$tmp/failed"
	# Again in the compiling tier (interrupts, fuel and re-entry there),
	# compiling lazily and up front.
	WASM_BPF_JIT=1 build/bin/wasm-api-test >"$tmp/api-jit.out" 2>&1 ||
		fail "jit/api: exit $?"
	sed -n 's/^\(PASS\|FAIL\): /&jit\//p' "$tmp/api-jit.out"
	WASM_BPF_JIT=1 WASM_BPF_JIT_LAZY=1 build/bin/wasm-api-test \
		>"$tmp/api-lazy.out" 2>&1 || fail "jit-lazy/api: exit $?"
	sed -n 's/^\(PASS\|FAIL\): /&jit-lazy\//p' "$tmp/api-lazy.out"
	tsan_api
	[ "${ENGINE_ASAN:-1}" = 0 ] && return
	if ! make asan >"$tmp/api-asan.log" 2>&1; then
		fail "asan/api/build: $(grep -m1 -i 'error' "$tmp/api-asan.log")"
		return
	fi
	# compiling lazily: threads sharing a module, faults in its chunks
	WASM_BPF_JIT_LAZY=1 build-asan/bin/wasm-api-test >"$tmp/api-asan.out" \
		2>&1 || : >"$tmp/failed"
	sed -n 's/^\(PASS\|FAIL\): /&asan\//p' "$tmp/api-asan.out"
	if grep -q 'Sanitizer\|runtime error' "$tmp/api-asan.out"; then
		fail "asan/api: sanitizer report: $(grep -m1 'SUMMARY\|runtime error' "$tmp/api-asan.out")"
	fi
}

# The other bounds-check build (guard pages are the default; make
# GUARD_PAGES=0 checks explicitly) must keep working: every .wast file in
# both tiers, and the official testsuite when it is there.
guard_suite() {
	if ! make BUILD=build-explicit GUARD_PAGES=0 build-explicit/bin/wasm-spectest \
		>"$tmp/guard-build.log" 2>&1; then
		fail "explicit/build: $(grep -m1 -i 'error' "$tmp/guard-build.log")"
		return
	fi
	for wast in $WASTS; do
		run_wast explicit/ "$wast" build-explicit/bin/wasm-spectest
		run_wast explicit/jit/ "$wast" build-explicit/bin/wasm-spectest -j
		lazy=1 run_wast explicit/jit-lazy/ "$wast" \
			build-explicit/bin/wasm-spectest -j
		run_wast explicit/jit-tiered/ "$wast" \
			build-explicit/bin/wasm-spectest -T
	done
	# saved compiled code there too (its sites are bounds checks' traps)
	if make BUILD=build-explicit GUARD_PAGES=0 build-explicit/bin/wasm-api-test \
		>"$tmp/guard-build.log" 2>&1; then
		API_TEST_CODE_ONLY=1 build-explicit/bin/wasm-api-test \
			>"$tmp/api-explicit.out" 2>&1 || fail "explicit/api: exit $?"
		sed -n 's/^\(PASS\|FAIL\): /&explicit\//p' "$tmp/api-explicit.out"
	else
		fail "explicit/api/build: $(grep -m1 -i 'error' "$tmp/guard-build.log")"
	fi
	[ -n "${WASM_TESTSUITE:-}" ] && [ -d "$WASM_TESTSUITE" ] &&
		run_official explicit/official/ build-explicit/bin/wasm-spectest
}

api_suite
guard_suite
asan_suite
fuzz_suite
[ ! -e "$tmp/failed" ]
