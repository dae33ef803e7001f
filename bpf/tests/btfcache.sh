# bpf/tests/btfcache.sh — sourced by run.sh: the CO-RE BTF cache
# (bpf_btfmin.c, bpf_btfcache.c) through the `btfcache` helper
# (btfcache.c): minimal BTFs that relocate as vmlinux does, miss and hit,
# damaged and foreign entries, unwritable and unsafe directories, the
# switches, objects that need the full BTF, malformed .BTF.ext. Each case
# has its own directory under $OUT/cache, emptied first.

BC=$OUT/btfcache
CDIR=$OUT/cache
TOBJ=$OUT/test.bpf.o

bc_build() {
	# bpf_core_type_matches needs clang 15
	bcc=clang
	command -v clang-19 >/dev/null && bcc=clang-19
	for v in "" tp_btf ksym missing; do
		"$bcc" -target bpf -g -O2 -D__TARGET_ARCH_x86 -I"$OUT" \
			${v:+-DCORE_$(echo $v | tr a-z A-Z)} -c bpf/tests/core.bpf.c \
			-o "$OUT/core${v:+-$v}.bpf.o" >>"$log" 2>&1 || return 1
	done
	$CC -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -I. -Iengine \
		-D_GNU_SOURCE bpf/tests/btfcache.c bpf/tests/fake_engine.c $srcs \
		-o "$BC" -lbpf -lelf -lz -lcrypto >>"$log" 2>&1
}

# bc_load CASE ARGS...: `btfcache load ARGS` with the case's directory
# fresh in $d; status in $rc, stderr in $err.
bc_fresh() {
	d=$CDIR/$1
	rm -rf "$d"
	mkdir -p "$CDIR"
}
bc_load() {
	"$BC" load "$@" >"$OUT/bc.out" 2>"$OUT/bc.err"
	rc=$?
	err=$(cat "$OUT/bc.err")
}
entry() { find "$1" -name '*.btf' -type f 2>/dev/null | head -n 1; }
# bc_verdict NAME CONDITION-STATUS WHY
bc_verdict() {
	if [ "$2" = 0 ]; then echo "PASS: btf cache: $1"; else fail "btf cache: $1" "$3"; fi
}

bc_compare() {
	objs="$OUT/core.bpf.o $TOBJ"
	# The bench object is built here so the set (and the count of tests)
	# does not depend on whether the bench suite ran before.
	make -s -C "$ROOT" build/bench/bpf/bench.bpf.o >>"$log" 2>&1
	for o in "$ROOT"/build/bench/bpf/bench.bpf.o "$ROOT"/build/examples/*/*.bpf.o; do
		[ -f "$o" ] && objs="$objs $o"
	done
	"$BC" compare $objs 2>>"$log"
	rc=$?
	[ $rc = 0 ] || fail "btf cache: minimal BTF" "btfcache compare exited $rc"
	# bpftool's min_core_btf, for scale (it points unfollowed pointers at
	# void; ours keeps their target's name and size)
	for o in "$OUT/core.bpf.o" "$ROOT/build/examples/bootstrap/bootstrap.bpf.o"; do
		[ -f "$o" ] || continue
		bpftool gen min_core_btf /sys/kernel/btf/vmlinux "$OUT/bpftool.btf" "$o" \
			>/dev/null 2>&1 &&
			echo "note: bpftool min_core_btf of $(basename "$o"): $(stat -c %s "$OUT/bpftool.btf") bytes"
	done
}

bc_hit() {
	bc_fresh hit
	bc_load -v -d "$d" "$TOBJ"
	f=$(entry "$d")
	miss=$err
	bc_load -v -d "$d" "$TOBJ"
	[ -n "$f" ] && [ $rc = 0 ] && echo "$miss" | grep -q "miss: wrote $f" &&
		echo "$err" | grep -q "hit: $f"
	bc_verdict "a miss writes an entry, the next load is a hit" $? \
		"rc $rc, entry '$f', first: $(echo "$miss" | grep cache | tr '\n' ' ') second: $(echo "$err" | grep cache | tr '\n' ' ')"
	modes="$(stat -c %a "$d") $(stat -c %a "$(dirname "$f")") $(stat -c %a "$f")"
	[ "$modes" = "700 700 600" ]
	bc_verdict "directories 0700, entries 0600" $? "modes $modes"
	cp "$f" "$OUT/good.btf"
	for how in truncated garbage; do
		if [ $how = truncated ]; then
			head -c 100 "$OUT/good.btf" >"$f"
		else
			head -c "$(stat -c %s "$f")" /dev/urandom >"$f"
		fi
		bc_load -d "$d" "$TOBJ"
		r1=$rc e1=$err
		bc_load -v -d "$d" "$TOBJ"
		[ $r1 = 0 ] && echo "$e1" | grep -q "is damaged, replacing it" &&
			echo "$err" | grep -q "hit: $f" && cmp -s "$f" "$OUT/good.btf"
		bc_verdict "a $how entry: loads, warns, is replaced" $? \
			"rc $r1, stderr: $(echo "$e1" | tr '\n' ' ')"
	done
	# A whole, checksummed entry of another object: the load with it
	# fails, the full BTF one does not; one warning, the entry goes.
	bc_load -d "$d" "$OUT/core.bpf.o"
	for g in $(find "$d" -name '*.btf'); do
		[ "$g" = "$f" ] || cat "$g" >"$f"
	done
	bc_load -d "$d" "$TOBJ"
	[ $rc = 0 ] && [ "$(echo "$err" | grep -c .)" = 1 ] &&
		echo "$err" | grep -q "loading with $f failed: .*loaded with the full kernel BTF instead, entry removed" &&
		[ ! -e "$f" ]
	bc_verdict "a load failing with an entry falls back to the full BTF" $? \
		"rc $rc, entry $([ -e "$f" ] && echo kept || echo removed), stderr: $(echo "$err" | tr '\n' ' ')"
}

bc_unwritable() {
	bc_load -d /proc/version/cache "$TOBJ"
	r1=$rc e1=$err
	bc_load -v -d /proc/version/cache "$TOBJ"
	[ $r1 = 0 ] && [ -z "$e1" ] && echo "$err" | grep -q "not used: cannot "
	bc_verdict "an impossible directory: loads, quiet unless verbose" $? \
		"rc $r1, stderr '$e1' / '$(echo "$err" | grep cache)'"
	bc_fresh ro
	mkdir -p "$d"
	if mount -t tmpfs -o ro,size=64k wbtcache "$d" 2>/dev/null; then
		bc_load -v -d "$d/x" "$TOBJ"
		[ $rc = 0 ] && [ -z "$(ls -A "$d")" ]
		bc_verdict "a read-only file system: loads, writes nothing" $? \
			"rc $rc: $(echo "$err" | grep cache)"
		umount "$d"
	else
		echo "SKIP: btf cache: read-only file system: cannot mount tmpfs"
	fi
	bc_fresh open
	mkdir -p "$d" && chmod 0777 "$d"
	bc_load -v -d "$d" "$TOBJ"
	[ $rc = 0 ] && [ -z "$(entry "$d")" ] && echo "$err" | grep -q "not used"
	bc_verdict "a directory others may write to is not used" $? \
		"rc $rc, entry '$(entry "$d")'"
}

bc_switches() {
	bc_fresh off
	bc_load -n -d "$d" "$TOBJ"
	[ $rc = 0 ] && [ ! -e "$d" ]
	bc_verdict "no_btf_cache: nothing written" $? "rc $rc, $(ls -R "$d" 2>&1 | tr '\n' ' ')"
	bc_fresh btf
	bc_load -v -b /sys/kernel/btf/vmlinux -d "$d" "$TOBJ"
	[ $rc = 0 ] && [ ! -e "$d" ] && ! echo "$err" | grep -q "BTF cache"
	bc_verdict "btf_path given: the cache is not used" $? "rc $rc"
	bc_fresh env
	WASM_BPF_CACHE_DIR=$d "$BC" load "$TOBJ" >/dev/null 2>&1
	[ -n "$(entry "$d")" ]
	bc_verdict "WASM_BPF_CACHE_DIR is the default directory" $? "nothing in $d"
}

bc_full_btf() {
	for v in tp_btf ksym; do
		bc_fresh $v
		bc_load -n "$OUT/core-$v.bpf.o"
		want=$rc
		bc_load -v -d "$d" "$OUT/core-$v.bpf.o"
		[ $rc = $want ] && [ -z "$(entry "$d")" ] &&
			echo "$err" | grep -Eq "not used: (program 'wbt_core_btf' attaches by kernel BTF id|typed __ksym extern)"
		bc_verdict "needs vmlinux BTF anyway ($v): no entry" $? \
			"rc $rc (without cache $want): $(echo "$err" | grep cache)"
	done
	bc_fresh missing
	bc_load -v -d "$d" "$OUT/core-missing.bpf.o"
	r1=$rc e1=$err
	bc_load -v -d "$d" "$OUT/core-missing.bpf.o"
	[ $r1 = 0 ] && [ $rc = 0 ] && [ -z "$(entry "$d")" ] &&
		echo "$e1" | grep -q "no minimal BTF for this object" &&
		echo "$err" | grep -q "the full BTF is needed"
	bc_verdict "a type vmlinux lacks (libbpf would search modules): full BTF, remembered" $? \
		"rc $r1/$rc: $(echo "$e1 $err" | grep cache | tr '\n' ' ')"
}

# libbpf reads the last of two .BTF.ext sections, which the host could not
# vet (no compiler emits two): such an object is refused, cache or not.
bc_two_ext() {
	if ! command -v llvm-objcopy >/dev/null; then
		echo "SKIP: btf cache: two .BTF.ext sections: no llvm-objcopy"
		return
	fi
	bc_fresh two
	llvm-objcopy --dump-section .BTF.ext="$OUT/ext.bin" "$TOBJ" "$OUT/tmp.o" &&
		llvm-objcopy --add-section .BTF.ext="$OUT/ext.bin" "$TOBJ" \
			"$OUT/two-ext.bpf.o" || { fail "btf cache: two .BTF.ext" "objcopy"; return; }
	bc_load -v -d "$d" "$OUT/two-ext.bpf.o"
	[ $rc = 1 ] && [ -z "$(entry "$d")" ] &&
		echo "$err" | grep -q "the object has two .BTF.ext sections"
	bc_verdict "two .BTF.ext sections: refused, no entry" $? "rc $rc: $(echo "$err" | tail -n 2 | tr '\n' ' ')"
}

# libbpf 1.1 reads out of bounds on a negative index in a CO-RE access
# string (and can crash): the host refuses the object first, with or
# without the cache.
bc_negative_access() {
	bc_fresh neg
	python3 - "$OUT/core.bpf.o" "$OUT/core-neg.bpf.o" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
assert b.count(b'\x000:92\x00') == 1
open(sys.argv[2], 'wb').write(b.replace(b'\x000:92\x00', b'\x000:-1\x00'))
PY
	[ $? = 0 ] || { fail "btf cache: negative access index" "no \"0:92\" in core.bpf.o"; return; }
	bc_load -d "$d" "$OUT/core-neg.bpf.o"
	r1=$rc e1=$err
	bc_load -n "$OUT/core-neg.bpf.o"
	[ $r1 = 1 ] && [ $rc = 1 ] && [ -z "$(entry "$d")" ] &&
		echo "$e1" | grep -q "malformed CO-RE access string" &&
		echo "$err" | grep -q "malformed CO-RE access string"
	bc_verdict "negative CO-RE access index: refused with and without the cache" $? \
		"rc $r1/$rc: $(echo "$e1 $err" | tr '\n' ' ')"
}

# bc_variant: a copy of an object whose .BTF differs in the text of a
# source line (nothing libbpf or the minimal BTF looks at).
bc_variant() { # SRC DST N: letter N of the alphabet in a source line
	python3 - "$@" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
shoff, = struct.unpack_from('<Q', b, 0x28)
esz, num, stri = struct.unpack_from('<HHH', b, 0x3a)
sh = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * esz) for i in range(num)]
names = sh[stri][4]
def name(h):
    s = names + h[0]
    return bytes(b[s:b.index(0, s)])
btf = [h for h in sh if name(h) == b'.BTF'][0][4]
hl, to, tl, so, sl = struct.unpack_from('<IIIII', b, btf + 4)
at = btf + hl + so
# the first source line (strings with a blank) with "xy" lower-case
end = at + sl
while at < end:
    z = b.index(0, at)
    s = bytes(b[at:z])
    if b' ' in s and b'(' in s:
        for i in range(len(s) - 5):
            if all(97 < c < 122 for c in s[i:i + 5]):
                p = at + i
                n = int(sys.argv[3])
                if n < 0:  # keep Adler-32: +1 -1 ... -1 +1
                    b[p] += 1; b[p + 1] -= 1; b[p + 3] -= 1; b[p + 4] += 1
                else:
                    b[p] = 97 + n
                open(sys.argv[2], 'wb').write(b)
                sys.exit(0)
    at = z + 1
sys.exit(1)
PY
}

# Two objects whose .BTF differs, and whose CRC-32, Adler-32 and length (the
# old key) are the same: bc_variant -1 keeps Adler-32, and flipping 4-byte
# groups [0 1 1 0] <-> [1 0 0 1] of a trailer keeps it too while changing
# the CRC-32 linearly, so 64 groups can be solved for any CRC-32.
bc_forge() { # SRC A B
	bc_variant "$1" "$3.body" -1 || return 1
	python3 - "$1" "$2" "$3" <<'PY'
import sys, zlib
a = open(sys.argv[1], 'rb').read()
b = open(sys.argv[3] + '.body', 'rb').read()
tr = bytes([0, 1, 1, 0] * 64)
A, B0 = a + tr, b + tr
n = len(A)
zero = zlib.crc32(bytes(n))
cols = []
for k in range(64):
    d = bytearray(n)
    d[len(a) + 4 * k:len(a) + 4 * k + 4] = b'\1\1\1\1'
    cols.append(zlib.crc32(bytes(d)) ^ zero)
want = zlib.crc32(A) ^ zlib.crc32(B0)
# Gaussian elimination over GF(2): rows are (vector, set of groups)
basis = []
for k, v in enumerate(cols):
    m = 1 << k
    for bv, bm in basis:
        if v ^ bv < v:
            v, m = v ^ bv, m ^ bm
    if v:
        basis.append((v, m))
        basis.sort(reverse=True)
v, m = want, 0
for bv, bm in basis:
    if v ^ bv < v:
        v, m = v ^ bv, m ^ bm
assert v == 0, "no solution"
B = bytearray(B0)
for k in range(64):
    if m >> k & 1:
        for i in range(4):
            B[len(a) + 4 * k + i] ^= 1
B = bytes(B)
assert A != B and len(A) == len(B)
assert zlib.crc32(A) == zlib.crc32(B) and zlib.adler32(A) == zlib.adler32(B)
open(sys.argv[2], 'wb').write(A)
open(sys.argv[3], 'wb').write(B)
PY
}

# "miss: wrote PATH" of the last bc_load, or nothing.
wrote() { echo "$err" | sed -n 's/.*miss: wrote \(.*\) (.*/\1/p'; }

bc_key() {
	bc_fresh forged
	if ! bc_forge "$TOBJ" "$OUT/forge-a.bpf.o" "$OUT/forge-b.bpf.o"; then
		fail "btf cache: forged key" "cannot make the objects"
		return
	fi
	bc_load -v -d "$d" "$OUT/forge-a.bpf.o"
	fa=$(wrote)
	bc_load -v -d "$d" "$OUT/forge-b.bpf.o"
	fb=$(wrote)
	[ $rc = 0 ] && [ -n "$fa" ] && [ -n "$fb" ] && [ "$fa" != "$fb" ]
	bc_verdict "two objects of equal CRC-32, Adler-32 and length but other BTF get their own entries" $? \
		"rc $rc, entries '$fa' '$fb': $(echo "$err" | grep cache | tr '\n' ' ')"
	bc_fresh trailing
	bc_load -v -d "$d" "$TOBJ"
	f=$(wrote)
	{ cat "$TOBJ"; head -c 1000 /dev/urandom; } >"$OUT/trailing.bpf.o"
	bc_load -v -d "$d" "$OUT/trailing.bpf.o"
	[ $rc = 0 ] && [ -n "$f" ] && echo "$err" | grep -q "hit: $f"
	bc_verdict "trailing bytes after the ELF: the same entry" $? \
		"rc $rc, entry '$f': $(echo "$err" | grep cache | tr '\n' ' ')"
}

# WASM_BPF_CACHE_MAX_ENTRIES=3 and six objects: never more than 3 entries,
# the least recently used (a hit counts as a use) go first.
bc_cap() {
	bc_fresh cap
	ok=0
	for i in 1 2 3 4 5 6; do
		bc_variant "$TOBJ" "$OUT/cap-$i.bpf.o" $i || ok=1
	done
	[ $ok = 0 ] || { fail "btf cache: cap" "cannot make the objects"; return; }
	export WASM_BPF_CACHE_MAX_ENTRIES=3
	for i in 1 2 3; do
		bc_load -v -d "$d" "$OUT/cap-$i.bpf.o"
		eval "e$i=\$(wrote)"
	done
	bc_load -v -d "$d" "$OUT/cap-1.bpf.o" # a hit: now the newest
	sleep 0.01
	bc_load -v -d "$d" "$OUT/cap-4.bpf.o"
	e4=$(wrote)
	kept="$([ -e "$e1" ] && echo 1)$([ -e "$e2" ] && echo 2)$([ -e "$e3" ] && echo 3)$([ -e "$e4" ] && echo 4)"
	bc_load -v -d "$d" "$OUT/cap-5.bpf.o"
	bc_load -v -d "$d" "$OUT/cap-6.bpf.o"
	unset WASM_BPF_CACHE_MAX_ENTRIES
	n=$(find "$d" -type f | grep -c .)
	[ "$kept" = 134 ] && [ "$n" = 3 ] && [ $rc = 0 ]
	bc_verdict "the cap (3 entries here): least recently used evicted, never more" $? \
		"after 5 loads kept entries of objects '$kept' (want 134); after 7: $n files"
}

# Entries and notes we did not make (not ours, readable or writable by
# others) are never used: replaced; a kernel directory not ours and 0700
# is not used at all.
bc_private() {
	bc_fresh private
	bc_load -v -d "$d" "$TOBJ"
	f=$(wrote)
	for how in "chmod 0640" "chmod 0660" "chown 65534"; do
		$how "$f"
		bc_load -v -d "$d" "$TOBJ"
		[ $rc = 0 ] && echo "$err" | grep -q "ignored $f: not ours or not private" &&
			[ "$(wrote)" = "$f" ] && [ "$(stat -c '%a %u' "$f")" = "600 0" ]
		bc_verdict "an entry after $how: ignored and made again" $? \
			"rc $rc, now $(stat -c '%a %u' "$f"): $(echo "$err" | grep cache | tr '\n' ' ')"
	done
	rm -f "$f"
	none=${f%.btf}.none
	: >"$none"
	chown 65534 "$none"
	bc_load -v -d "$d" "$TOBJ"
	[ $rc = 0 ] && [ "$(wrote)" = "$f" ] && [ ! -e "$none" ]
	bc_verdict "a .none note of another owner: ignored" $? \
		"rc $rc: $(echo "$err" | grep cache | tr '\n' ' ')"
	for how in "chmod 0750" "chown 65534"; do
		$how "$(dirname "$f")"
		bc_load -v -d "$d" "$TOBJ"
		[ $rc = 0 ] && echo "$err" | grep -q "not used: .* is not ours and private"
		bc_verdict "a kernel directory after $how: not used" $? \
			"rc $rc: $(echo "$err" | grep cache | tr '\n' ' ')"
		chmod 0700 "$(dirname "$f")"
		chown 0 "$(dirname "$f")"
	done
}

if ! bc_build; then
	fail "btf cache: build" "see $log"
else
	bc_compare
	bc_negative_access
	bc_hit
	bc_unwritable
	bc_switches
	bc_full_btf
	bc_two_ext
	bc_key
	bc_cap
	bc_private
	bc_fresh malformed
	"$BC" malformed "$OUT/core.bpf.o" "$d" 2>/dev/null
	rc=$?
	[ $rc -le 1 ] || fail "btf cache: malformed .BTF.ext" "btfcache exited $rc"
	leak_check "btf cache"
fi
