#!/bin/sh
# wasi/tests/run.sh — the WASI suite. Each t_*.c program is built for
# wasm32-wasi (clang-14 and clang-19, Debian's wasi-libc) and natively
# (gcc); both run in fresh scratch directories and must agree on stdout,
# stderr, exit code and the files they leave. Wasm-only programs (t_raw,
# t_sandbox, t_sock, t_conform) check exact WASI errnos themselves. t_rust.rs
# does the same comparison for Rust's std. Builds go to build/tests/wasi/.
# Last, the official wasi-testsuite under build/bin/wasm-bpf where a copy is
# present (WASI_TESTSUITE_DIR, default build/wasi-testsuite), else a SKIP.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SRC=$ROOT/wasi/tests
B=$ROOT/build/tests/wasi
RUN=$B/run
mkdir -p "$B"

pass() { echo "PASS: wasi $1"; }
fail() { echo "FAIL: wasi $1: $2"; }
skip() { echo "SKIP: wasi $1: $2"; }

# ---- build ----------------------------------------------------------------

# The runner may be built from sanitizer libraries instead:
#   WASI_LIBDIR=build-asan/lib WASI_CC=clang WASI_CFLAGS=-fsanitize=address,undefined
LIBS=${WASI_LIBDIR:-build/lib}
if [ -z "${WASI_LIBDIR:-}" ] &&
	! make -s build/lib/libwasm-wasi.a build/lib/libwasm-engine.a >"$B/make.log" 2>&1; then
	fail build "make failed: $(tail -3 "$B/make.log" | tr '\n' ' ')"
	exit 1
fi
CFLAGS_HOST="-std=gnu11 -O2 -g -I. -Iengine -D_GNU_SOURCE ${WASI_CFLAGS:-}"
if ! ${WASI_CC:-gcc} $CFLAGS_HOST "$SRC/wasi_run.c" "$LIBS/libwasm-wasi.a" \
	"$LIBS/libwasm-engine.a" -lm -lpthread -o "$B/wasi_run" 2>"$B/cc.log"; then
	fail build "wasi_run: $(head -3 "$B/cc.log" | tr '\n' ' ')"
	exit 1
fi
WR=$B/wasi_run

# newer SRC OUT: OUT is missing or older than SRC (or the shared headers).
stale() {
	[ ! -e "$2" ] || [ "$1" -nt "$2" ] || [ "$SRC/common.h" -nt "$2" ] ||
		[ "$SRC/raw.h" -nt "$2" ]
}

# build_c NAME: NAME.native, NAME.14.wasm, NAME.19.wasm (as available).
build_c() {
	s=$SRC/$1.c
	if stale "$s" "$B/$1.native"; then
		gcc -O2 -w "$s" -o "$B/$1.native" 2>>"$B/cc.log" || return 1
	fi
	build_wasm "$1" || return 1
}

build_wasm() {
	s=$SRC/$1.c
	if stale "$s" "$B/$1.14.wasm"; then
		clang --target=wasm32-wasi -O2 -w "$s" -o "$B/$1.14.wasm" \
			2>>"$B/cc.log" || return 1
	fi
	if command -v clang-19 >/dev/null && stale "$s" "$B/$1.19.wasm"; then
		clang-19 --target=wasm32-wasi -O2 -w "$s" -o "$B/$1.19.wasm" \
			2>>"$B/cc.log" || return 1
	fi
	return 0
}

# ---- native vs wasm comparison -------------------------------------------

# What a run left behind: names, types, sizes and contents.
tree_of() {
	(cd "$1" && find . -mindepth 1 ! -name '.out' ! -name '.err' \
		-printf '%P %y %s %l\n' | sort &&
		find . -type f ! -name '.out' ! -name '.err' -print0 |
		sort -z | xargs -0 -r md5sum)
}

# run_in DIR STDIN CMD...: runs CMD in DIR; .out .err .rc land there.
run_in() {
	d=$1 in=$2
	shift 2
	(cd "$d" && WT_A=1 WT_B='x y' timeout 30 "$@" <"$in" >.out 2>.err
	 echo $? >"$d/../$(basename "$d").rc")
}

compare() {
	name=$1 a=$2 b=$3
	for f in .out .err; do
		if ! cmp -s "$a/$f" "$b/$f"; then
			fail "$name" "$f differs: $(diff "$a/$f" "$b/$f" | head -4 | tr '\n' '|')"
			return 1
		fi
	done
	if ! cmp -s "$a.rc" "$b.rc"; then
		fail "$name" "exit code $(cat "$a.rc") native, $(cat "$b.rc") wasm"
		return 1
	fi
	if [ "$(tree_of "$a")" != "$(tree_of "$b")" ]; then
		fail "$name" "files differ: $(diff -r "$a" "$b" 2>&1 | head -3 | tr '\n' '|')"
		return 1
	fi
	return 0
}

# compare_prog NAME STDIN ARGS...: native vs each wasm build.
compare_prog() {
	prog=$1 in=$2
	shift 2
	for v in 14 19; do
		[ -e "$B/$prog.$v.wasm" ] || continue
		r=$RUN/$prog-$v
		rm -rf "$r" && mkdir -p "$r/native" "$r/wasm"
		run_in "$r/native" "$in" "$B/$prog.native" "$@"
		run_in "$r/wasm" "$in" "$WR" --env WT_A=1 --env 'WT_B=x y' \
			--dir . "$B/$prog.$v.wasm" "$@"
		# argv[0] differs by nature; the programs never print it.
		label="$prog${*:+ $*} (clang-$v)"
		compare "$label" "$r/native" "$r/wasm" && pass "$label"
	done
}

INPUT=$B/input.txt
seq 1 5000 | sed 's/$/ some text on the line/' >"$INPUT"

for t in t_args t_clock t_files t_dirs t_stdio; do
	if ! build_c $t; then
		fail "$t" "build failed: $(tail -3 "$B/cc.log" | tr '\n' ' ')"
		continue
	fi
done

compare_prog t_args /dev/null a "b c" -h --dir "" "ünïcode"
compare_prog t_args /dev/null exit 7
compare_prog t_args /dev/null ret
compare_prog t_clock /dev/null
compare_prog t_files /dev/null
compare_prog t_dirs /dev/null
compare_prog t_stdio "$INPUT"
compare_prog t_stdio /dev/null 5

# Standard streams as pipes: isatty false, no seeking, same bytes.
for v in 14 19; do
	[ -e "$B/t_stdio.$v.wasm" ] || continue
	r=$RUN/pipes-$v
	rm -rf "$r" && mkdir -p "$r"
	(cd "$r" && cat "$INPUT" | "$B/t_stdio.native" 2>n.err | cat >n.out)
	(cd "$r" && cat "$INPUT" | "$WR" "$B/t_stdio.$v.wasm" 2>w.err | cat >w.out)
	if cmp -s "$r/n.out" "$r/w.out" && cmp -s "$r/n.err" "$r/w.err"; then
		pass "stdio through pipes (clang-$v)"
	else
		fail "stdio through pipes (clang-$v)" "$(diff "$r/n.out" "$r/w.out" | head -3 | tr '\n' '|')"
	fi
done

# Standard streams on a terminal (script(1) provides one): isatty true.
if command -v script >/dev/null; then
	for v in 14 19; do
		[ -e "$B/t_stdio.$v.wasm" ] || continue
		r=$RUN/tty-$v
		rm -rf "$r" && mkdir -p "$r"
		(cd "$r" && timeout 20 script -qec "$B/t_stdio.native </dev/null" /dev/null >n.out 2>&1)
		(cd "$r" && timeout 20 script -qec "$WR $B/t_stdio.$v.wasm </dev/null" /dev/null >w.out 2>&1)
		if cmp -s "$r/n.out" "$r/w.out" && grep -q '^isatty: 0 1 1' "$r/w.out"; then
			pass "stdio on a terminal (clang-$v)"
		else
			fail "stdio on a terminal (clang-$v)" "$(diff "$r/n.out" "$r/w.out" | head -3 | tr '\n' '|')"
		fi
	done
else
	skip "stdio on a terminal" "script(1) not installed"
fi

# ---- wasm-only programs that check errnos themselves -----------------------

# check_self NAME DIR RUNNER-ARGS...: exit 0 and no FAIL line.
check_self() {
	name=$1 dir=$2
	shift 2
	(cd "$dir" && timeout 30 "$WR" "$@" >.out 2>.err)
	rc=$?
	nok=$(grep -c '^ok ' "$dir/.out")
	if [ $rc = 0 ] && ! grep -q '^FAIL' "$dir/.out"; then
		pass "$name ($nok checks)"
	else
		fail "$name" "exit $rc: $(grep '^FAIL' "$dir/.out" | head -3 | tr '\n' '|')$(head -c 200 "$dir/.err")"
	fi
}

for t in t_all t_raw t_sandbox t_sock t_conform t_readonly; do
	build_wasm $t || fail "$t" "build failed: $(tail -3 "$B/cc.log" | tr '\n' ' ')"
done

for v in 14 19; do
	[ -e "$B/t_all.$v.wasm" ] || continue
	out=$(timeout 20 "$WR" "$B/t_all.$v.wasm" 2>&1)
	if [ $? = 0 ] && [ "$out" = "46 functions imported" ]; then
		pass "all 46 preview1 functions link with wasi-libc's signatures (clang-$v)"
	else
		fail "all 46 preview1 functions link (clang-$v)" "$out"
	fi
done

for v in 14 19; do
	[ -e "$B/t_raw.$v.wasm" ] || continue
	r=$RUN/raw-$v
	rm -rf "$r" && mkdir -p "$r" && echo data >"$r/f.txt"
	check_self "errnos, rights, pointers (clang-$v)" "$r" --dir . "$B/t_raw.$v.wasm"
done

# The sandbox: a preopen with symlinks planted to the outside.
outside_state() {
	(cd "$1" && find . -printf '%P %y %s %T@\n' | sort && cat secret.txt)
}
for v in 14 19; do
	[ -e "$B/t_sandbox.$v.wasm" ] || continue
	r=$RUN/sandbox-$v
	rm -rf "$r" && mkdir -p "$r/box/sub" "$r/outside"
	echo secret >"$r/outside/secret.txt"
	echo inside >"$r/box/inside.txt"
	ln -s "$r/outside/secret.txt" "$r/box/abs_link"
	ln -s ../outside/secret.txt "$r/box/rel_link"
	ln -s ../outside "$r/box/dir_link"
	ln -s /etc "$r/box/etc_link"
	ln -s ../outside/created.txt "$r/box/dangling_out"
	before=$(outside_state "$r/outside")
	check_self "sandbox escapes (clang-$v)" "$r/box" --dir . "$B/t_sandbox.$v.wasm"
	if [ "$before" = "$(outside_state "$r/outside")" ] && [ ! -e /tmp/moved.txt ] &&
		[ -e "$r/box/inside.txt" ]; then
		pass "sandbox: nothing outside changed (clang-$v)"
	else
		fail "sandbox: nothing outside changed (clang-$v)" "outside tree or inside.txt changed"
	fi
done

# A read-only preopen (the runtime's host view uses them).
ro_state() { # the tree but check_self's .out and .err
	(cd "$1" && find . -mindepth 1 ! -name .out ! -name .err \
		-printf '%P %y %s %T@\n' | sort && cat f.txt)
}
for v in 14 19; do
	[ -e "$B/t_readonly.$v.wasm" ] || continue
	r=$RUN/readonly-$v
	rm -rf "$r" && mkdir -p "$r/sub" && echo data >"$r/f.txt"
	before=$(ro_state "$r")
	check_self "read-only preopen refuses every change (clang-$v)" "$r" \
		--ro-dir . "$B/t_readonly.$v.wasm"
	if [ "$before" = "$(ro_state "$r")" ]; then
		pass "read-only preopen: the tree is unchanged (clang-$v)"
	else
		fail "read-only preopen: the tree is unchanged (clang-$v)" "$(ls -la "$r" | tr '\n' ' ')"
	fi
done

for v in 14 19; do
	[ -e "$B/t_sock.$v.wasm" ] || continue
	r=$RUN/sock-$v
	rm -rf "$r" && mkdir -p "$r"
	check_self "sockets handed in (clang-$v)" "$r" --socketpair --listen "$B/t_sock.$v.wasm"
done

# The cases the official wasi-testsuite caught, one test each.
for v in 14 19; do
	[ -e "$B/t_conform.$v.wasm" ] || continue
	for c in "shutdown:sock_shutdown/sock_accept on a non-socket is NOTSOCK" \
		"preopen:a directory opens as one whatever write rights it brings" \
		"symlink:a symlink to an absolute path is refused"; do
		r=$RUN/conform-${c%%:*}-$v
		rm -rf "$r" && mkdir -p "$r/sub" && echo data >"$r/f.txt"
		check_self "${c#*:} (clang-$v)" "$r" --dir . \
			"$B/t_conform.$v.wasm" "${c%%:*}"
	done
done

# ---- Rust std ----------------------------------------------------------------

RUSTC=/usr/bin/rustc
if [ ! -x $RUSTC ] || ! $RUSTC --print target-list | grep -qx wasm32-wasi; then
	skip "rust std" "Debian rustc with wasm32-wasi not installed"
else
	ok=1
	if stale "$SRC/t_rust.rs" "$B/t_rust.wasm"; then
		$RUSTC -O --target wasm32-wasi "$SRC/t_rust.rs" -o "$B/t_rust.wasm" 2>"$B/rust.log" || ok=0
		$RUSTC -O "$SRC/t_rust.rs" -o "$B/t_rust.native" 2>>"$B/rust.log" || ok=0
	fi
	if [ $ok = 0 ]; then
		fail "rust std" "rustc failed: $(head -3 "$B/rust.log" | tr '\n' ' ')"
	else
		for args in "" "one two"; do
			r=$RUN/rust
			rm -rf "$r" && mkdir -p "$r/native" "$r/wasm"
			run_in "$r/native" /dev/null "$B/t_rust.native" $args
			run_in "$r/wasm" /dev/null "$WR" --env WT_A=1 --env 'WT_B=x y' \
				--dir . "$B/t_rust.wasm" $args
			compare "rust std ($args)" "$r/native" "$r/wasm" &&
				pass "rust std (args: ${args:-none})"
		done
	fi
fi

# ---- the official wasi-testsuite ------------------------------------------

# Not committed: tools/wasi-testsuite/fetch.sh gets it at the pinned commit.
# Run by the command users run, one line per test.
WTS=${WASI_TESTSUITE_DIR:-$ROOT/build/wasi-testsuite}
if [ ! -d "$WTS/tests" ]; then
	skip "official wasi-testsuite" "not at $WTS (make wasi-testsuite-fetch, or set WASI_TESTSUITE_DIR)"
elif [ ! -x "$ROOT/build/bin/wasm-bpf" ]; then
	skip "official wasi-testsuite" "build/bin/wasm-bpf not built"
elif ! command -v python3 >/dev/null; then
	skip "official wasi-testsuite" "python3 not installed"
else
	python3 tools/wasi-testsuite/run.py --runtime "$ROOT/build/bin/wasm-bpf" \
		"$WTS" >"$B/wasi-testsuite.log" 2>&1
	rc=$?
	sed 's/^\(PASS\|FAIL\|SKIP\): /&wasi /' "$B/wasi-testsuite.log"
	[ $rc -le 1 ] || fail "official wasi-testsuite" "runner exited $rc: $(tail -2 "$B/wasi-testsuite.log" | tr '\n' ' ')"
fi
exit 0
