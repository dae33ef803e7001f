#!/bin/sh
# tools/tests/run.sh — tests of `wasm-bpf gen`: type headers compiled for
# wasm32 and natively (every offset asserted), skeletons compiled, linked
# and run in the kernel under build/bin/wasm-bpf, error handling, and the
# CLI's `gen` matching the standalone wasm-bpf-gen.
# Prints PASS/FAIL/SKIP lines (see tests/run.sh).
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
GEN=$ROOT/build/bin/wasm-bpf-gen
RT=$ROOT/build/bin/wasm-bpf
SRC=$ROOT/tools/tests/gen
INC=$ROOT/sdk/c/include
T=$(mktemp -d /tmp/wbpf-gen.XXXXXX)
trap 'rm -rf "$T"' EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
skip() { echo "SKIP: $1: $2"; }
first() { head -n 3 "$1" | tr '\n' ' '; }

WASM_CC="clang --target=wasm32-wasi -Wall -Wextra -Werror -Wno-unused-parameter"
MA=$(cc -print-multiarch 2>/dev/null)

if [ ! -x "$GEN" ]; then
	fail gen "build/bin/wasm-bpf-gen not built"
	exit 0
fi

# ---- usage and bad input ------------------------------------------------
"$GEN" >/dev/null 2>&1
[ $? = 2 ] && pass "gen without arguments exits 2" ||
	fail "gen usage" "no arguments did not exit 2"
"$GEN" skeleton /etc/hostname >"$T/bad.h" 2>"$T/bad.err"
if [ $? = 1 ] && grep -q "not a BPF object" "$T/bad.err"; then
	pass "gen skeleton on a non-ELF file fails with a message"
else
	fail "gen bad input" "$(first "$T/bad.err")"
fi

# ---- objects --------------------------------------------------------------
for o in layout many; do
	if ! clang -g -O2 -target bpf ${MA:+-idirafter /usr/include/$MA} \
		-c "$SRC/$o.bpf.c" -o "$T/$o.bpf.o" 2>"$T/$o.cc"; then
		skip "gen tests" "clang cannot build BPF objects: $(first "$T/$o.cc")"
		exit 0
	fi
done

# ---- damaged BTF, libbpf's error codes ----------------------------------------
# Objects with one field of .BTF/.BTF.ext damaged (bpf/tests/btfbad.c; some
# crash or hang libbpf 1.1 unchecked): both generators refuse each with a
# line naming what is wrong (bpf/bpf_btfcheck.c), without dying.
if cc -std=gnu11 -O1 -I"$ROOT" -D_GNU_SOURCE "$ROOT/bpf/tests/btfbad.c" \
	"$ROOT/bpf/bpf_btfcheck.c" -o "$T/btfbad" -lelf 2>"$T/bb.err" &&
	mkdir -p "$T/bad" && "$T/btfbad" make "$T/many.bpf.o" "$T/bad" >"$T/bad/cases"; then
	tab=$(printf '\t')
	n=0
	bad=0
	while IFS="$tab" read -r name re; do
		for cmd in skeleton types; do
			timeout 20 "$GEN" $cmd "$T/bad/$name.bpf.o" >/dev/null 2>"$T/bad/err"
			rc=$?
			if [ $rc = 1 ] && [ "$(grep -c . "$T/bad/err")" = 1 ] &&
				grep -Eq "^gen: .*$re" "$T/bad/err"; then
				n=$((n + 1))
			else
				fail "gen $cmd on damaged BTF ($name)" "exit $rc (want 1 and /$re/): $(first "$T/bad/err")"
				bad=1
			fi
		done
	done <"$T/bad/cases"
	[ $bad = 0 ] && [ $n -ge 60 ] &&
		pass "gen skeleton and types refuse $n damaged objects with a line naming the fault"
	[ $n -ge 60 ] || fail "gen on damaged BTF" "only $n refusals"
else
	fail "gen on damaged BTF" "cannot make the objects: $(first "$T/bb.err")"
fi
# libbpf's own codes (LIBBPF_ERRNO__*, 4000 and up) are not errno values:
# an x86 object is "BPF object format invalid", not "Unknown error 4001".
printf 'int x;\n' | cc -x c -c - -o "$T/native.o"
"$GEN" skeleton "$T/native.o" >/dev/null 2>"$T/native.err"
if [ $? = 1 ] && grep -q "BPF object format invalid" "$T/native.err" &&
	! grep -q "Unknown error" "$T/native.err"; then
	pass "gen names libbpf's error codes (an x86 object)"
else
	fail "gen libbpf error text" "$(first "$T/native.err")"
fi

# ---- gen types --------------------------------------------------------------
types_case() {
	name=$1
	shift
	if ! "$GEN" types "$T/layout.bpf.o" "$@" >"$T/layout.types.h" 2>"$T/t.err"; then
		fail "$name" "gen failed: $(first "$T/t.err")"
		return
	fi
	if ! $WASM_CC -I"$T" -c "$SRC/types_check.c" -o "$T/tc.wasm.o" 2>"$T/tw.err"; then
		fail "$name" "wasm32 compile: $(first "$T/tw.err")"
		return
	fi
	if ! cc -std=gnu11 -Wall -Wextra -Werror -I"$T" -c "$SRC/types_check.c" \
		-o "$T/tc.o" 2>"$T/tn.err"; then
		fail "$name" "native compile: $(first "$T/tn.err")"
		return
	fi
	pass "$name"
}
types_case "gen types (default selection): offsets asserted on wasm32 and x86-64"
types_case "gen types layout: pointers, long, arrays, nested, unions, bitfields, packed" layout
if "$GEN" types "$T/layout.bpf.o" no_such_type >/dev/null 2>"$T/nt.err"; then
	fail "gen types unknown type" "exit status 0"
else
	grep -q "no type named 'no_such_type'" "$T/nt.err" &&
		pass "gen types names an unknown type" ||
		fail "gen types unknown type" "$(first "$T/nt.err")"
fi
if grep -q "uint64_t ptr;" "$T/layout.types.h" &&
	grep -q "int64_t l;" "$T/layout.types.h" &&
	grep -q "_Static_assert(sizeof(struct layout) == 176" "$T/layout.types.h"; then
	pass "gen types turns pointers and long into 64-bit fields"
else
	fail "gen types fields" "pointer/long/size lines missing"
fi

# ---- gen skeleton ---------------------------------------------------------
"$GEN" skeleton "$T/many.bpf.o" >"$T/many.skel.h" 2>"$T/s.err" ||
	fail "gen skeleton" "$(first "$T/s.err")"
"$GEN" skeleton "$T/many.bpf.o" >"$T/many2.skel.h" 2>/dev/null
cmp -s "$T/many.skel.h" "$T/many2.skel.h" &&
	pass "gen skeleton is deterministic" ||
	fail "gen skeleton" "two runs differ"
if $WASM_CC -Oz -I"$INC" -I"$T" "$SRC/skel_check.c" -Wl,--export-table \
	-o "$T/skel_check.wasm" 2>"$T/sc.err"; then
	pass "gen skeleton with 10 maps, 4 programs, 5 data sections compiles and links for wasm32"
else
	fail "gen skeleton compile" "$(first "$T/sc.err")"
fi
if command -v wasm-objdump >/dev/null && [ -f "$T/skel_check.wasm" ]; then
	bad=$(wasm-objdump -x -j Import "$T/skel_check.wasm" |
		grep -- '<- ' | grep -v '<- wasm_bpf\.\|<- wasi_snapshot_preview1\.')
	[ -z "$bad" ] && pass "skeleton guest imports only wasm_bpf and WASI" ||
		fail "skeleton imports" "$bad"
fi
"$GEN" skeleton "$T/many.bpf.o" -n renamed_bpf >"$T/ren.h" 2>/dev/null
grep -q "^struct renamed_bpf {" "$T/ren.h" && grep -q "renamed_bpf__open_and_load" "$T/ren.h" &&
	pass "gen skeleton -n NAME" || fail "gen skeleton -n" "name not used"

# ---- the CLI's gen is the same code ----------------------------------------
if [ -x "$RT" ] && "$RT" gen skeleton "$T/many.bpf.o" >"$T/cli.h" 2>/dev/null; then
	cmp -s "$T/cli.h" "$T/many.skel.h" && pass "wasm-bpf gen matches wasm-bpf-gen" ||
		fail "wasm-bpf gen" "output differs from wasm-bpf-gen"
else
	skip "wasm-bpf gen" "build/bin/wasm-bpf missing or without gen"
fi

# ---- skeleton behaviour in the kernel ---------------------------------------
if [ "$(id -u)" != 0 ] || [ ! -x "$RT" ]; then
	skip "skeleton in the kernel" "needs root and build/bin/wasm-bpf"
	exit 0
fi
if ! $WASM_CC -Oz -I"$INC" -I"$T" "$SRC/many_guest.c" -Wl,--export-table \
	-o "$T/many.wasm" 2>"$T/mg.err"; then
	fail "skeleton in the kernel" "guest compile: $(first "$T/mg.err")"
	exit 0
fi
"$RT" "$T/many.wasm" >"$T/many.out" 2>&1 &
pid=$!
i=0
while ! grep -q "^READY\|^FAIL" "$T/many.out" && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 50 ]; do
	python3 -c 'import os
for _ in range(20): os.getpid()' 2>/dev/null || /bin/true
	sleep 0.1
	i=$((i + 1))
done
kill -INT $pid 2>/dev/null
wait $pid
rc=$?
grep "^ok: " "$T/many.out" | sed 's/^ok: /PASS: skeleton: /'
grep "^FAIL" "$T/many.out" | sed 's/^FAIL:* */FAIL: skeleton: /; s/$/: see guest output/'
if [ $rc = 0 ] && grep -q "^SUM 2875 (want 2875)" "$T/many.out"; then
	pass "skeleton: BPF reads every data section value set by the guest"
else
	fail "skeleton data in BPF" "rc $rc: $(grep -E '^SUM|FAIL' "$T/many.out" | head -2 | tr '\n' ' ')"
fi
exit 0
