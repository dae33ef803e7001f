#!/bin/sh
# runtime/tests/run.sh — the runtime suite: the wasm-bpf command's
# behaviour (exit statuses, the trap line, link and load errors, --timeout,
# SIGINT/SIGTERM stopping a spinning, sleeping or reading guest, argv,
# --env, --dir, --fuel, --max-memory) and the embedding API (api.c).
# Builds into build/tests/runtime/.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SRC=$ROOT/runtime/tests
B=$ROOT/build/tests/runtime
W=$ROOT/build/bin/wasm-bpf
mkdir -p "$B"

pass() { echo "PASS: runtime $1"; }
fail() { echo "FAIL: runtime $1: $2"; }
# verdict NAME [WHY]: PASS or FAIL by the status of the command before.
verdict() {
	if [ $? = 0 ]; then pass "$1"; else fail "$1" "${2:-$(head -c 200 out | tr '\n' '|')}"; fi
}

if ! make -s build/bin/wasm-bpf build/lib/libwasm-bpf.a >"$B/make.log" 2>&1; then
	fail build "make failed: $(tail -3 "$B/make.log" | tr '\n' ' ')"
	exit 1
fi

# The guest: compiled with -O2 but linked without -O, because clang then
# runs wasm-opt (binaryen), which drops the name section traps quote.
if [ ! -e "$B/guest.wasm" ] || [ "$SRC/guest.c" -nt "$B/guest.wasm" ]; then
	clang --target=wasm32-wasi -O2 -c "$SRC/guest.c" -o "$B/guest.o" &&
		clang --target=wasm32-wasi "$B/guest.o" -o "$B/guest.wasm" ||
		{ fail build "guest.c"; exit 1; }
fi
for w in imports loop gopoll; do
	wat2wasm --debug-names "$SRC/$w.wat" -o "$B/$w.wasm" || { fail build "$w.wat"; exit 1; }
done
wat2wasm --no-check "$SRC/invalid.wat" -o "$B/invalid.wasm" || { fail build invalid.wat; exit 1; }
G=$B/guest.wasm
cd "$B"

# expect NAME WANT-RC CMD...: runs CMD, keeps out/err, checks the status.
expect() {
	name=$1 want=$2
	shift 2
	timeout 20 "$@" >out 2>err </dev/null
	rc=$?
	if [ "$rc" = "$want" ]; then
		return 0
	fi
	fail "$name" "exit $rc, want $want; stderr: $(head -c 200 err | tr '\n' '|')"
	return 1
}

# ---- statuses and messages --------------------------------------------------

expect "exit status is the guest's" 4 "$W" "$G" args a b && pass "exit status is the guest's"
expect "proc_exit status" 5 "$W" "$G" partial &&
	{ [ "$(cat out)" = "partial line" ]; verdict "proc_exit status, buffered stdout flushed"; }

expect "trap" 134 "$W" "$G" trap &&
	if [ "$(wc -l <err)" = 1 ] &&
		grep -Eqx 'wasm-bpf: trap: out of bounds memory access in handle_event\+0x[0-9a-f]+' err; then
		pass "trap: one line naming the function"
	else
		fail "trap: one line naming the function" "$(tr '\n' '|' <err)"
	fi

expect "output before a trap" 134 "$W" "$G" flood &&
	if [ "$(wc -c <out)" = 204800 ] && [ "$(head -1 err)" = "before trap" ]; then
		pass "output written before a trap is kept"
	else
		fail "output written before a trap is kept" "$(wc -c <out) bytes"
	fi

expect "missing import" 125 "$W" imports.wasm &&
	if [ "$(cat err)" = "wasm-bpf: unknown import wasm_bpf.foo (func)" ]; then
		pass "missing import named"
	else
		fail "missing import named" "$(cat err)"
	fi

expect "invalid module" 125 "$W" invalid.wasm &&
	if grep -q '^wasm-bpf: invalid.wasm: .*type mismatch' err; then
		pass "validation error named"
	else
		fail "validation error named" "$(cat err)"
	fi

echo garbage >garbage.wasm
expect "not a module" 125 "$W" garbage.wasm &&
	{ grep -q '^wasm-bpf: garbage.wasm: .*magic' err; verdict "bad magic named" "$(cat err)"; }
expect "missing file" 125 "$W" nonexistent.wasm &&
	{ grep -q 'No such file' err; verdict "missing module file" "$(cat err)"; }
expect "no module" 2 "$W" && pass "no module: usage status 2"
expect "unknown option" 2 "$W" --bogus "$G" && pass "unknown option: status 2"
expect "--version" 0 "$W" --version && { grep -q '^wasm-bpf ' out; verdict "--version"; }
expect "--help" 0 "$W" --help && { grep -q 'Exit status' out; verdict "--help"; }

# ---- argv, env, dirs --------------------------------------------------------

expect "argv" 8 "$W" "$G" args -h --dir x --env=Y -- "" &&
	if [ "$(cat out)" = "argv[0]=$G
argv[1]=args
argv[2]=-h
argv[3]=--dir
argv[4]=x
argv[5]=--env=Y
argv[6]=--
argv[7]=" ]; then
		pass "argv after the module goes to the guest (-h included)"
	else
		fail "argv after the module goes to the guest" "$(tr '\n' '|' <out)"
	fi
expect "run subcommand" 3 "$W" run --env A=1 "$G" args -v && pass "run subcommand"

HOSTVAR=from-host expect "env" 0 "$W" --env A=1 --env B==x= --env HOSTVAR --env UNSET_VAR_X "$G" env &&
	if [ "$(cat out)" = "A=1
B==x=
HOSTVAR=from-host" ]; then
		pass "--env K=V and --env K"
	else
		fail "--env K=V and --env K" "$(tr '\n' '|' <out)"
	fi

rm -rf d && mkdir -p d/sub && echo hello >d/file.txt
expect "--dir HOST::GUEST" 0 "$W" --dir "$B/d::/data" "$G" dir /data &&
	{ grep -q '^entry sub$' out && grep -q '^file.txt: hello$' out
	  verdict "--dir HOST::GUEST"; }
expect "--dir HOST" 0 "$W" --dir d "$G" dir d &&
	{ grep -q '^file.txt: hello$' out; verdict "--dir HOST keeps its name"; }
expect "no --dir, no access" 1 "$W" "$G" dir /data && pass "no --dir: nothing visible"
expect "--dir missing" 125 "$W" --dir "$B/missing-dir" "$G" args &&
	{ grep -q 'missing-dir' err; verdict "--dir of a missing directory named" "$(cat err)"; }

# ---- upstream's command line ---------------------------------------------------

expect "-V" 0 "$W" -V && { grep -q '^wasm-bpf ' out; verdict "-V prints the version"; }
expect "-- after the module" 3 "$W" "$G" -- args x &&
	{ [ "$(sed -n 2p out)" = "argv[1]=args" ]; verdict "a -- right after the module is dropped"; }
expect "options between module and --" 0 "$W" "$G" --env A=1 -v -- env &&
	{ [ "$(cat out)" = "A=1" ]; verdict "runtime options between the module and -- are the runtime's"; }
expect "-m -c" 109 "$W" -m tinygo-wrap -c my-cb gopoll.wasm &&
	pass "-m/-c name TinyGo's wrapper module and callback export"
expect "long forms after the module" 109 "$W" gopoll.wasm \
	--wrapper-module-name tinygo-wrap --callback-export-name my-cb -- &&
	pass "--wrapper-module-name/--callback-export-name after the module, before --"
expect "-m alone" 102 "$W" -m tinygo-wrap gopoll.wasm &&
	pass "-m alone: the default callback export go-callback is looked for"
expect "no -m" 125 "$W" gopoll.wasm &&
	{ grep -q 'unknown import tinygo-wrap.wasm_bpf_buffer_poll' err; verdict "without -m the wrapper import is unknown" "$(cat err)"; }
expect "-m ''" 2 "$W" -m "" gopoll.wasm &&
	{ grep -q 'invalid --wrapper-module-name' err; verdict "-m with an empty name: status 2, named" "$(cat err)"; }

# ---- the host view -------------------------------------------------------------

if [ -r /sys/kernel/btf/vmlinux ] && [ -x /sys/kernel/btf ]; then
	expect "host view" 0 "$W" "$G" dir /sys/kernel/btf &&
		{ grep -qx 'entry vmlinux' out; verdict "host view: /sys/kernel/btf is readable by default"; }
	expect "--no-host-view" 1 "$W" --no-host-view "$G" dir /sys/kernel/btf &&
		pass "--no-host-view: /sys/kernel/btf is not visible"
	expect "host view with --fd" 1 "$W" --fd 0 "$G" dir /sys/kernel/btf &&
		pass "host view: not given with --fd (its numbering stays)"
	rm -rf hv && mkdir hv
	expect "host view under --dir" 1 "$W" --dir "$B/hv::/sys/kernel" "$G" dir /sys/kernel/btf &&
		pass "host view: a --dir above a view path wins"
else
	echo "SKIP: runtime host view: /sys/kernel/btf not readable"
fi

# A guest's O_NONBLOCK on the shared stdin is undone when it ends.
if command -v python3 >/dev/null; then
	after=$(sleep 1 | { "$W" "$G" nonblock >out 2>err
		python3 -c 'import fcntl, os; print(bool(fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK))'; })
	[ "$(cat out)" = "nonblock 1" ] && [ "$after" = False ]
	verdict "stdin flags restored after the guest" "guest: $(cat out), after: $after"
fi

# ---- limits -----------------------------------------------------------------

expect "--fuel" 134 "$W" --fuel 100000 "$G" spin &&
	{ grep -q '^wasm-bpf: trap: .*fuel' err; verdict "--fuel traps the spinning guest" "$(cat err)"; }
expect "--max-memory" 0 "$W" --max-memory 64M "$G" grow &&
	{ [ "$(cat out)" = null ]; verdict "--max-memory 64M refuses a 100M malloc"; }
expect "no --max-memory" 0 "$W" "$G" grow &&
	{ [ "$(cat out)" = ok ]; verdict "without --max-memory the malloc succeeds"; }
expect "bad --max-memory" 2 "$W" --max-memory lots "$G" grow && pass "bad --max-memory: status 2"

# ---- stopping -----------------------------------------------------------------

ms() { echo $(($(date +%s%N) / 1000000)); }

expect "--timeout" 124 "$W" --timeout 0.3 "$G" spin && pass "--timeout stops a spinning guest: 124"
expect "--timeout loop" 124 "$W" --timeout 0.3 loop.wasm && pass "--timeout stops an endless wasm loop"
expect "--timeout sleep" 124 "$W" --timeout 0.3 "$G" sleep && pass "--timeout stops a sleeping guest"

# stop_test SIGNAL MODE: the guest must be gone within a second, status 0.
stop_test() {
	sig=$1 mode=$2 what=$3
	rm -f fifo && mkfifo fifo
	# Holds the fifo open for writing (so reads block) and is killed below.
	sleep 30 >fifo &
	holder=$!
	"$W" "$G" "$mode" <fifo >out 2>err &
	pid=$!
	sleep 0.4
	t0=$(ms)
	kill -"$sig" $pid
	wait $pid
	rc=$?
	t=$(($(ms) - t0))
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	if [ $rc = 0 ] && [ $t -lt 1000 ]; then
		pass "SIG$sig stops a $what guest: exit 0 in ${t}ms"
	else
		fail "SIG$sig stops a $what guest" "exit $rc after ${t}ms; $(head -c 200 err)"
	fi
}
stop_test TERM spin spinning
stop_test INT spin spinning
stop_test TERM sleep "sleeping (poll_oneoff)"
stop_test INT sleep "sleeping (poll_oneoff)"
stop_test TERM read "stdin-reading"
stop_test INT read "stdin-reading"

# ---- CO-RE BTF cache ----------------------------------------------------------

expect "--help names the BTF cache" 0 "$W" --help &&
	{ grep -q -- '--btf-cache DIR' out && grep -q -- '--no-btf-cache' out
	  verdict "--help names --btf-cache and --no-btf-cache"; }
expect "--btf-cache ''" 2 "$W" --btf-cache "" "$G" args &&
	pass "--btf-cache with an empty name: status 2"

# A real CO-RE object (the bootstrap example) through the command: the
# option and the environment variable reach the host, in a directory of
# the suite's own.
BOOT=$ROOT/build/examples/bootstrap/bootstrap.wasm
cache_run() { # ARGS...: bootstrap under wasm-bpf -v ARGS for half a second
	timeout 20 "$W" -v --timeout 0.5 "$@" "$BOOT" >out 2>err </dev/null
	[ $? = 124 ]
}
entries() { find "$1" -name '*.btf' -type f 2>/dev/null | wc -l; }
if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "SKIP: runtime btf cache: needs root and /sys/kernel/btf/vmlinux"
elif [ ! -f "$BOOT" ]; then
	echo "SKIP: runtime btf cache: build/examples/bootstrap not built"
else
	C=$B/btf-cache
	rm -rf "$C"
	cache_run --btf-cache "$C" && grep -q 'CO-RE BTF cache: miss: wrote' err &&
		cache_run --btf-cache "$C" && grep -q 'CO-RE BTF cache: hit: ' err &&
		[ "$(entries "$C")" = 1 ]
	verdict "--btf-cache: a miss, then a hit" "$(grep -h 'BTF cache' err | tr '\n' ' ')"
	rm -rf "$C"
	cache_run --btf-cache "$C" --no-btf-cache && [ ! -e "$C" ] &&
		! grep -q 'BTF cache' err
	verdict "--no-btf-cache: nothing written" "$(ls -R "$C" 2>&1 | tr '\n' ' ')"
	cache_run --btf /sys/kernel/btf/vmlinux --btf-cache "$C" && [ ! -e "$C" ]
	verdict "--btf FILE: the cache is not used" "$(ls -R "$C" 2>&1 | tr '\n' ' ')"
	WASM_BPF_CACHE_DIR=$C cache_run && [ "$(entries "$C")" = 1 ]
	verdict "WASM_BPF_CACHE_DIR: the default directory" "$(grep -h 'BTF cache' err | tr '\n' ' ')"
	rm -rf "$C"
fi

# ---- the embedding API ----------------------------------------------------------

cd "$ROOT"
if gcc -std=gnu11 -O2 -g -I. -Iengine -D_GNU_SOURCE "$SRC/api.c" \
	build/lib/libwasm-bpf.a build/lib/libwasm-bpf-policy.a build/lib/libwasm-bpf-host.a \
	build/lib/libwasm-wasi.a build/lib/libwasm-engine.a \
	-Wl,--wrap=bpf_host__free,--wrap=wasi_ctx__free -lyaml \
	-lbpf -lelf -lz -lm -lpthread -o "$B/api" 2>"$B/api.log"; then
	"$B/api" "$G" "$B/imports.wasm" 2>/dev/null | grep -E '^(PASS|FAIL|SKIP): '
else
	fail "api build" "$(head -3 "$B/api.log" | tr '\n' ' ')"
fi
exit 0
