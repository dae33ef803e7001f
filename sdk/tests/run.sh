#!/bin/sh
# sdk/tests/run.sh — tests of the guest C SDK: every header compiles alone
# for wasm32 (and the native shim natively) warning-free; the upstream
# example API surface compiles and links; the ELF section finder on a real
# object and all its truncations; and, in the kernel under wasm-bpf, a
# struct with pointers, long, arrays, nested structs, unions, bitfields
# and padding filled by BPF and checked field by field through
# `wasm-bpf gen types`. Prints PASS/FAIL/SKIP lines (see tests/run.sh).
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
INC=$ROOT/sdk/c/include
GEN=$ROOT/build/bin/wasm-bpf-gen
RT=$ROOT/build/bin/wasm-bpf
S=$ROOT/sdk/tests
T=$(mktemp -d /tmp/wbpf-sdk.XXXXXX)
trap 'rm -rf "$T"' EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
skip() { echo "SKIP: $1: $2"; }
first() { head -n 3 "$1" | tr '\n' ' '; }

WASM_CC="clang --target=wasm32-wasi -Wall -Wextra -Werror"
MA=$(cc -print-multiarch 2>/dev/null)

# ---- headers ------------------------------------------------------------
for h in libbpf-wasm.h bpf/libbpf.h bpf/bpf.h wasm-bpf/imports.h \
	wasm-bpf/elf.h wasm-bpf/bpf_defs.h wasm-bpf/object.h wasm-bpf/skel_desc.h \
	wasm-bpf/skel.h; do
	printf '#include <%s>\n' "$h" >"$T/h.c"
	if $WASM_CC -I"$INC" -c "$T/h.c" -o "$T/h.o" 2>"$T/h.err"; then
		pass "header $h compiles alone for wasm32"
	else
		fail "header $h" "$(first "$T/h.err")"
	fi
done
printf '#include "libbpf-wasm.h"\n#include <bpf/libbpf.h>\n' >"$T/n.c"
if cc -std=gnu11 -Wall -Wextra -Werror -I"$INC" -c "$T/n.c" -o "$T/n.o" 2>"$T/n.err"; then
	pass "native shim (libbpf-wasm.h over libbpf) compiles"
else
	fail "native shim" "$(first "$T/n.err")"
fi

# ---- BPF objects for the rest --------------------------------------------
if [ ! -x "$GEN" ]; then
	fail "sdk" "build/bin/wasm-bpf-gen not built"
	exit 0
fi
if ! clang -g -O2 -target bpf ${MA:+-idirafter /usr/include/$MA} \
	-c "$ROOT/tools/tests/gen/many.bpf.c" -o "$T/many.bpf.o" 2>"$T/m.err"; then
	skip "sdk objects" "clang cannot build BPF: $(first "$T/m.err")"
	exit 0
fi
"$GEN" skeleton "$T/many.bpf.o" >"$T/many.skel.h"
if $WASM_CC -Wno-unused-parameter -Oz -I"$INC" -I"$T" "$S/api_compat.c" \
	-Wl,--export-table -o "$T/api.wasm" 2>"$T/a.err"; then
	pass "upstream example API surface compiles and links for wasm32"
else
	fail "api compat" "$(first "$T/a.err")"
fi

# wasm-bpf's own import (wbpf_buffer__lost) is in a module only if it calls
# it: everything else keeps linking in upstream wasm-bpf.
imports() { wasm-objdump -x -j Import "$1" 2>/dev/null | grep -o 'wasm_bpf\.[a-z_]*'; }
printf '#include "libbpf-wasm.h"\nint main(int c, char **v) { return (int)wbpf_buffer__lost((struct bpf_buffer *)v[c]); }\n' >"$T/lost.c"
if ! $WASM_CC -Oz -I"$INC" "$T/lost.c" -o "$T/lost.wasm" 2>"$T/lo.err"; then
	fail "wbpf_buffer__lost" "$(first "$T/lo.err")"
elif ! imports "$T/api.wasm" | grep -q wasm_load_bpf_object; then
	fail "wbpf_buffer__lost" "cannot list the imports of api.wasm (wasm-objdump)"
elif imports "$T/api.wasm" | grep -q wasm_bpf_buffer_lost ||
	! imports "$T/lost.wasm" | grep -q wasm_bpf_buffer_lost; then
	fail "wbpf_buffer__lost" "imports: api.wasm $(imports "$T/api.wasm" | tr '\n' ' '); lost.wasm $(imports "$T/lost.wasm" | tr '\n' ' ')"
else
	pass "wbpf_buffer__lost imports wasm_bpf_buffer_lost; the upstream API surface does not"
fi
# Mapped ring buffers (wasm-bpf's own imports) unless WBPF_UPSTREAM_IMPORTS.
if ! $WASM_CC -Wno-unused-parameter -Oz -DWBPF_UPSTREAM_IMPORTS -I"$INC" -I"$T" \
	"$S/api_compat.c" -Wl,--export-table -o "$T/upstream.wasm" 2>"$T/b.err"; then
	fail "WBPF_UPSTREAM_IMPORTS" "$(first "$T/b.err")"
elif ! imports "$T/api.wasm" | grep -q wasm_bpf_ring_map ||
	imports "$T/upstream.wasm" | grep -q 'wasm_bpf_ring\|wasm_bpf_buffer_lost' ||
	! imports "$T/upstream.wasm" | grep -q wasm_bpf_buffer_poll; then
	fail "WBPF_UPSTREAM_IMPORTS" "imports: api.wasm $(imports "$T/api.wasm" | tr '\n' ' '); upstream.wasm $(imports "$T/upstream.wasm" | tr '\n' ' ')"
else
	pass "ring buffers mapped (wasm_bpf_ring_*) by default; WBPF_UPSTREAM_IMPORTS imports upstream's functions only"
fi

# ---- ELF finder ----------------------------------------------------------
if cc -std=gnu11 -Wall -Wextra -Werror -g -I"$INC" "$S/elf_test.c" -o "$T/elf_test" \
	-lbpf -lelf -lz 2>"$T/e.err"; then
	args=$(llvm-readelf -S -W "$T/many.bpf.o" | awk '
		$2 ~ /^\.(rodata|data|bss|BTF|maps)/ && $3 ~ /PROGBITS|NOBITS/ {
			printf "%s %s %s ", $2, $5, $6 }')
	"$T/elf_test" "$T/many.bpf.o" $args >"$T/e.out" 2>&1
	if [ $? = 0 ] && [ -n "$args" ]; then
		pass "ELF finder: $(grep -c '^ok: find' "$T/e.out") sections found, every truncation handled"
		pass "ELF section hiding (autoload=false): libbpf opens the result, autoload off for that program only"
	else
		fail "ELF finder" "$(grep FAIL "$T/e.out" | head -2 | tr '\n' ' ')"
	fi
else
	fail "ELF finder" "$(first "$T/e.err")"
fi

# ---- gen types round trip in the kernel ----------------------------------
if [ "$(id -u)" != 0 ] || [ ! -x "$RT" ] || [ ! -e /sys/kernel/btf/vmlinux ]; then
	skip "gen types round trip" "needs root, kernel BTF and build/bin/wasm-bpf"
	exit 0
fi
V=$ROOT/build/examples/vmlinux.h
if [ ! -s "$V" ]; then
	V=$T/vmlinux.h
	bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$V" 2>/dev/null
fi
if ! clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$(dirname "$V")" -I"$INC" \
	-I"$S" -c "$S/roundtrip.bpf.c" -o "$T/roundtrip.bpf.o" 2>"$T/r.err"; then
	fail "gen types round trip" "BPF: $(first "$T/r.err")"
	exit 0
fi
llvm-objcopy --strip-debug "$T/roundtrip.bpf.o"
"$GEN" skeleton "$T/roundtrip.bpf.o" >"$T/roundtrip.skel.h" &&
	"$GEN" types "$T/roundtrip.bpf.o" rt_shared >"$T/roundtrip.types.h" ||
	fail "gen types round trip" "gen failed"
if ! $WASM_CC -Wno-unused-parameter -Oz -I"$INC" -I"$T" "$S/roundtrip.c" \
	-Wl,--export-table -o "$T/roundtrip.wasm" 2>"$T/g.err"; then
	fail "gen types round trip" "guest: $(first "$T/g.err")"
	exit 0
fi
mkdir -p "$T/dir"
"$RT" --timeout 30 --dir "$T/dir::/work" "$T/roundtrip.wasm" /work >"$T/rt.out" 2>&1
rc=$?
grep "^ok: " "$T/rt.out" | sed 's/^ok: /PASS: round trip: /'
grep "^FAIL" "$T/rt.out" | sed 's/^FAIL:* */FAIL: round trip: /; s/$/: mismatch/'
if [ $rc = 0 ] && [ "$(grep -c '^ok: ' "$T/rt.out")" -ge 35 ]; then
	pass "gen types round trip: every field the kernel wrote read in place on wasm32"
else
	fail "gen types round trip" "rc $rc: $(tail -n 2 "$T/rt.out" | tr '\n' ' ')"
fi

# ---- the same object without a skeleton -----------------------------------
if ! $WASM_CC -Wno-unused-parameter -Oz -I"$INC" -I"$T" "$S/lazy.c" \
	-Wl,--export-table -o "$T/lazy.wasm" 2>"$T/l.err"; then
	fail "bpf_object API" "guest: $(first "$T/l.err")"
	exit 0
fi
"$RT" --timeout 30 --dir "$T/dir::/work" "$T/lazy.wasm" /work >"$T/lazy.out" 2>&1
rc=$?
grep "^ok: " "$T/lazy.out" | sed 's/^ok: /PASS: bpf_object API: /'
grep "^FAIL" "$T/lazy.out" | sed 's/^FAIL:* */FAIL: bpf_object API: /; s/$/: failed/'
[ $rc = 0 ] || fail "bpf_object API" "guest exited $rc: $(tail -n 2 "$T/lazy.out" | tr '\n' ' ')"
exit 0
