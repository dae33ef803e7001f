#!/bin/sh
# runtime/tests/run.sh — the runtime suite: the wasm-bpf command's
# behaviour (exit statuses, the trap line, link and load errors, option
# values, --timeout, graceful and hard stops by SIGINT/SIGTERM of guests
# that spin, sleep, read, open a FIFO, write or fill random bytes, argv,
# --env, --dir, --fuel, --max-memory) and the embedding API (api.c, and
# embed.c: own imports, stdio on descriptors and callbacks, pause, many
# instances; also under ASan+UBSan and, the threads, under TSan).
# Builds into build/tests/runtime/.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SRC=$ROOT/runtime/tests
B=$ROOT/build/tests/runtime
W=$ROOT/build/bin/wasm-bpf
mkdir -p "$B"
# Run alone (tests/run.sh sets its own), the guests' compiled code and
# BTF entries go to a cache of the suite's, not the user's or the system's.
if [ -z "${WASM_BPF_CACHE_DIR:-}" ]; then
	WASM_BPF_CACHE_DIR=$B/cache
	export WASM_BPF_CACHE_DIR
fi

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
	timeout -k 2 20 "$@" >out 2>err </dev/null
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
# /proc/self/mem would hand the guest the runtime's own memory.
for d in /proc /proc/sys /; do
	expect "--dir $d refused" 125 "$W" --dir "$d::/x" "$G" env &&
		{ grep -q "^wasm-bpf: directory $d refused: it reaches the procfs mount /proc" err
		  verdict "--dir $d refused: it reaches procfs" "$(cat err)"; }
done

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
	{ [ "$(cat out)" = ok ]; verdict "without --max-memory a 100M malloc succeeds"; }
expect "default memory cap" 0 "$W" "$G" grow 300 &&
	{ [ "$(cat out)" = null ]; verdict "without --max-memory a 300M malloc fails (256M cap)"; }
expect "--max-memory raises the cap" 0 "$W" --max-memory 512M "$G" grow 300 &&
	{ [ "$(cat out)" = ok ]; verdict "--max-memory 512M lets a 300M malloc succeed"; }
# Values that used to mean "unlimited" (or wrapped) are refused by name.
for a in "--max-memory lots" "--max-memory 5G" "--max-memory 18446744073709551615K" \
	"--max-memory 1000" "--fuel -1" "--fuel 0" "--fuel 99999999999G" "--timeout inf" \
	"--timeout nan" "--timeout 1e30" "--timeout -1" "--stop-timeout inf" "--stop-timeout -2"; do
	# shellcheck disable=SC2086 # option and value
	expect "bad $a" 2 "$W" $a "$G" env &&
		{ grep -q "^wasm-bpf: invalid ${a% *} .*: ${a#* }\$" err
		  verdict "bad $a: status 2, named" "$(cat err)"; }
done

# ---- stopping -----------------------------------------------------------------

ms() { echo $(($(date +%s%N) / 1000000)); }

# bg CMD...: a background run under timeout(1), which kills one that
# would hang (the bug a test looks for) after 20 s. Signals go to $pid, the
# command itself (timeout would forward a signal twice, or not at all);
# `wait $tpid` gives its status.
bg() {
	# through fd 3: sh gives a background command /dev/null as stdin
	{ timeout -k 2 20 "$@" <&3 3<&- & } 3<&0
	tpid=$!
	pid=
	while [ -z "$pid" ] && kill -0 $tpid 2>/dev/null; do
		pid=$(pgrep -P $tpid)
	done
}

# stop_bg SIGNAL: sends it to the bg run and waits; sets rc and t (ms).
stop_bg() {
	t0=$(ms)
	kill -"$1" $pid
	wait $tpid
	rc=$?
	t=$(($(ms) - t0))
}

# --timeout goes through the grace period, as a SIGTERM does.
expect "--timeout" 124 "$W" --timeout 0.3 --stop-timeout 0.2 "$G" spin &&
	pass "--timeout stops a spinning guest: 124"
expect "--timeout loop" 124 "$W" --timeout 0.3 --stop-timeout 0 loop.wasm &&
	pass "--timeout stops an endless wasm loop"
expect "--timeout sleep" 124 "$W" --timeout 0.3 "$G" sleep && pass "--timeout stops a sleeping guest"

# stop_test SIGNAL WANT MODE WHAT [OPTIONS]: the guest must be gone within
# a second with status WANT; stdin is a FIFO that never gets data.
stop_test() {
	sig=$1 want=$2 mode=$3 what=$4
	shift 4
	rm -f fifo && mkfifo fifo
	# Holds the fifo open for writing (so reads block) and is killed below.
	sleep 30 >fifo &
	holder=$!
	bg "$W" "$@" "$G" "$mode" <fifo >out 2>err
	sleep 0.4
	stop_bg "$sig"
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	if [ $rc = "$want" ] && [ $t -lt 1000 ]; then
		pass "SIG$sig stops a $what guest: exit $rc in ${t}ms"
	else
		fail "SIG$sig stops a $what guest" "exit $rc (want $want) after ${t}ms; $(head -c 200 err)"
	fi
}
stop_test TERM 0 spin "spinning (after --stop-timeout 0.3)" --stop-timeout 0.3
stop_test INT 0 spin "spinning (--stop-timeout 0: at once)" --stop-timeout 0
# sleep() and fgets() return early, and the guest returns 9 by itself.
stop_test TERM 9 sleep "sleeping (poll_oneoff)"
stop_test INT 9 sleep "sleeping (poll_oneoff)"
stop_test TERM 9 read "stdin-reading"
stop_test INT 9 read "stdin-reading"

# wait_ready FILE: until the guest wrote "ready" to its stderr. Each run
# has its own FILE, removed first: a stale "ready" would send the signal
# before wasm-bpf handles it (a background job of sh ignores SIGINT).
wait_ready() {
	i=0
	while [ $i -lt 100 ] && ! grep -q ready "$1" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
}

# The graceful stop: the guest's output sitting in its stdio buffer (a
# file, so fully buffered) and its final summary reach the file.
rm -f events.err
bg "$W" "$G" events >events.out 2>events.err
wait_ready events.err
kill -INT $pid
wait $tpid
rc=$?
[ $rc = 0 ] && [ "$(cat events.out)" = "event 0
event 1
event 2
summary: 3 events" ]
verdict "SIGINT: the guest returns from main, buffered output and summary kept" \
	"exit $rc, file: $(tr '\n' '|' <events.out)"

# A guest that ignores EINTR and keeps calling: interrupted after the grace
# period, and a second signal does not wait for it.
rm -f stubborn1.err
bg "$W" --stop-timeout 0.5 "$G" stubborn >out 2>stubborn1.err
wait_ready stubborn1.err
stop_bg INT
[ $rc = 0 ] && [ $t -ge 400 ] && [ $t -lt 1500 ]
verdict "a guest ignoring EINTR is interrupted after --stop-timeout 0.5" "exit $rc after ${t}ms"

rm -f stubborn2.err
bg "$W" "$G" stubborn >out 2>stubborn2.err
wait_ready stubborn2.err
kill -INT $pid
sleep 0.3
alive=no
kill -0 $pid 2>/dev/null && alive=yes
stop_bg INT
[ $alive = yes ] && [ $rc = 0 ] && [ $t -lt 500 ]
verdict "a second SIGINT interrupts at once" "alive after the first: $alive; exit $rc ${t}ms after the second"

# Blocking syscalls a stop must cut short: opening a FIFO without a writer
# (it used to retry EINTR for ever), a write to a full pipe, a 1 GiB
# random_get (seconds of getrandom).
rm -f ff && mkfifo ff
rm -f fifo.err
bg "$W" --dir .::/d "$G" fifo /d/ff >out 2>fifo.err
wait_ready fifo.err
sleep 0.2
stop_bg TERM
[ $rc = 3 ] && [ $t -lt 1000 ]
verdict "SIGTERM ends an open of a FIFO: EINTR, the guest's exit 3" "exit $rc after ${t}ms"
t0=$(ms)
expect "--timeout during open of a FIFO" 124 "$W" --timeout 0.3 --dir .::/d "$G" fifo /d/ff &&
	{ t=$(($(ms) - t0)); [ $t -lt 1300 ]; verdict "--timeout ends an open of a FIFO" "${t}ms"; }

rm -f full && mkfifo full
sleep 30 <>full >/dev/null & # holds the pipe open and never reads
holder=$!
bg "$W" --stop-timeout 0.3 "$G" write >full 2>err
sleep 0.4
stop_bg TERM
kill $holder
wait $holder 2>/dev/null
[ $rc = 0 ] && [ $t -lt 1500 ]
verdict "a write blocked on a full pipe is interrupted after the grace period" "exit $rc after ${t}ms"

t0=$(ms)
expect "random_get" 124 "$W" --max-memory 2G --timeout 0.3 --stop-timeout 0 "$G" random 1024 &&
	{ t=$(($(ms) - t0)); [ $t -lt 1500 ]; verdict "a 1 GiB random_get ends at a stop" "${t}ms"; }

# The userspace backend's poll returns -EINTR at a graceful stop, as the
# kernel's does: the uprobe example then returns at once (with the grace
# period, an interrupted guest would take 5 s more).
UP=$ROOT/build/examples/uprobe
if [ ! -f "$UP/uprobe.wasm" ] || [ ! -x "$UP/target" ] ||
	[ ! -f "$ROOT/build/lib/libwasm-bpf-agent.so" ]; then
	echo "SKIP: runtime user backend stop: uprobe example or agent not built"
else
	t0=$(ms)
	expect "user backend --timeout" 124 "$W" --timeout 1 --backend user \
		--spawn "$UP/target 3" "$UP/uprobe.wasm" "$UP/target" &&
		{ t=$(($(ms) - t0)); [ $t -lt 3000 ]
		  verdict "--timeout ends the user backend's poll gracefully" "${t}ms"; }
fi

# Signals come before the module is read: a SIGTERM while the load blocks
# (the module path is a FIFO nobody writes) exits 0, not 143.
rm -f module-fifo && mkfifo module-fifo
bg "$W" module-fifo >out 2>err
sleep 0.3
stop_bg TERM
[ $rc = 0 ] && [ $t -lt 1000 ]
verdict "SIGTERM during the module's load: exit 0" "exit $rc after ${t}ms"

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

# ---- compiled-code cache ---------------------------------------------------------

# The guest's trap under -v with a cache directory of the suite's own:
# the first run compiles and writes an entry, the next loads it; damaged,
# cut, foreign or unsafe entries are never used.
CC=$B/code-cache
cc_run() { # ARGS...: wasm-bpf -v ARGS guest trap
	WASM_BPF_CACHE_DIR=$CC timeout 20 "$W" -v "$@" "$G" trap >out 2>err </dev/null
	[ $? = 134 ]
}
cc_entry() { ls "$CC/code" 2>/dev/null | head -1; }
cc_trap() { grep 'trap:' err; }
cc_fresh() { # a miss that wrote a private entry, the trap line kept
	cc_run && grep -q 'compiled-code cache: miss: wrote' err &&
		[ "$(stat -c %a "$CC/code/$(cc_entry)")" = 600 ] &&
		[ "$(cc_trap)" = "$T0" ]
}
if [ "$(uname -m)" != x86_64 ] || [ "${WASM_BPF_JIT:-1}" = 0 ] ||
	[ "${WASM_BPF_JIT_LAZY:-0}" = 1 ]; then
	echo "SKIP: runtime code cache: no up-front compiling here"
else
	rm -rf "$CC"
	WASM_BPF_JIT=0 cc_run && T0=$(cc_trap) && [ ! -e "$CC/code" ]
	verdict "code cache: interpreted, nothing written"
	cc_fresh && [ "$(stat -c %a "$CC/code")" = 700 ] &&
		[ "$(ls "$CC/code" | wc -l)" = 1 ]
	verdict "code cache: a miss writes one private entry" "$(tr '\n' '|' <err)"
	E=$CC/code/$(cc_entry)
	cc_run && grep -q "compiled-code cache: hit: $E" err && [ "$(cc_trap)" = "$T0" ]
	verdict "code cache: a hit traps with the same line" "$(tr '\n' '|' <err)"
	# --fuel runs code that counts fuel inline: never the entry above,
	# nor the reverse; each form hits its own entry
	cc_run --fuel 1G && grep -q 'miss: wrote' err && ! grep -q "$E" err &&
		[ "$(cc_trap)" = "$T0" ] && [ "$(ls "$CC/code" | wc -l)" = 2 ] &&
		cc_run --fuel 1G && grep -q 'hit:' err && ! grep -q "$E" err &&
		cc_run && grep -q "hit: $E" err
	verdict "code cache: runs with and without --fuel never share an entry" "$(tr '\n' '|' <err)"
	# a miss runs tiered (compiling only what gets hot) and writes the
	# whole module's code at the end: the next run compiles nothing
	rm -rf "$CC"
	WASM_BPF_JIT_LOG=1 cc_run && grep -q '^jit: lazily compiled' err &&
		grep -q 'miss: wrote' err && [ "$(cc_trap)" = "$T0" ] &&
		WASM_BPF_JIT_LOG=1 cc_run && grep -q 'hit:' err &&
		! grep -q '^jit:' err
	verdict "code cache: a miss runs tiered, the entry it writes is whole" "$(tr '\n' '|' <err)"
	E=$CC/code/$(cc_entry)
	printf '\377' | dd of="$E" bs=1 seek=300 conv=notrunc 2>/dev/null
	cc_fresh && grep -q 'damaged or refused, replacing' err &&
		cc_run && grep -q 'hit:' err
	verdict "code cache: a damaged entry is replaced" "$(tr '\n' '|' <err)"
	truncate -s 150 "$E"
	cc_fresh && grep -q 'damaged or refused, replacing' err
	verdict "code cache: a cut entry is replaced" "$(tr '\n' '|' <err)"
	chmod 644 "$E"
	cc_run && grep -q 'not ours or not private' err && ! grep -q 'hit:' err &&
		grep -q 'miss: wrote' err && [ "$(stat -c %a "$E")" = 600 ]
	verdict "code cache: an entry others can read is not used, replaced" "$(tr '\n' '|' <err)"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$E"
		cc_fresh && [ "$(stat -c %u "$E")" = 0 ]
		verdict "code cache: an entry of another owner is replaced" "$(tr '\n' '|' <err)"
	fi
	chmod 777 "$CC/code"
	cc_run && grep -q 'not ours or not private' err && ! grep -q 'hit:\|miss:' err
	verdict "code cache: a directory others can write is not used" "$(tr '\n' '|' <err)"
	rm -rf "$CC"
	cc_run --no-code-cache && [ ! -e "$CC/code" ] && ! grep -q 'code cache' err
	verdict "--no-code-cache: nothing read or written" "$(tr '\n' '|' <err)"
	"$W" --help 2>&1 | grep -q -- '--no-code-cache'
	verdict "--help names --no-code-cache"
	# --interp: the interpreter's run (nothing compiled, nothing cached),
	# trapping with the same line as compiled code
	WASM_BPF_JIT_LOG=1 cc_run --interp && [ "$(cc_trap)" = "$T0" ] &&
		[ ! -e "$CC/code" ] && ! grep -q '^jit:' err &&
		WASM_BPF_JIT_LOG=1 cc_run --no-code-cache && grep -q '^jit:' err
	verdict "--interp: interpreted, nothing compiled or cached" "$(tr '\n' '|' <err)"
	# three modules (the guest with a custom section apiece), room for 2
	for k in 1 2 3; do
		{ cat "$G"; printf '\000\002\001%s' $k; } >"$B/guest-$k.wasm"
		WASM_BPF_CACHE_DIR=$CC WASM_BPF_CACHE_MAX_ENTRIES=2 timeout 20 \
			"$W" "$B/guest-$k.wasm" args >/dev/null 2>&1
	done
	[ "$(ls "$CC/code" | wc -l)" = 2 ]
	verdict "code cache: capped (WASM_BPF_CACHE_MAX_ENTRIES)" "$(ls "$CC/code" | wc -l) entries"
	rm -rf "$CC" "$B"/guest-[123].wasm
fi

# ---- a graceful stop of a real tool ----------------------------------------------

# bootstrap as upstream wrote it (no fflush after each event; nofflush.h
# takes ours out), stdout a file: after SIGINT its header and the last
# events it printed (a program named stopmark run just before; complete
# lines) must be in the file. A hard stop loses the stdio buffer's last
# 4 KiB, and on a quiet machine everything.
E=$ROOT/build/examples/bootstrap
attached() { # PID: both tracepoint programs attached
	[ "$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'bpf_link\|perf_event')" -ge 2 ]
}
if [ "$(id -u)" != 0 ] || [ ! -r /sys/kernel/btf/vmlinux ]; then
	echo "SKIP: runtime bootstrap without fflush: needs root and /sys/kernel/btf/vmlinux"
elif [ ! -f "$E/wasm/bootstrap.skel.h" ]; then
	echo "SKIP: runtime bootstrap without fflush: build/examples/bootstrap not built"
elif ! { clang --target=wasm32-wasi -Oz -include "$SRC/nofflush.h" -I"$E/wasm" -I"$E" \
	-I"$ROOT/sdk/c/include" -I"$ROOT/examples/bootstrap" \
	-c "$ROOT/examples/bootstrap/bootstrap.c" -o boot-nofflush.o &&
	clang --target=wasm32-wasi -Wl,--export-table boot-nofflush.o \
		-lc-printscan-no-floating-point -o boot-nofflush.wasm; } >boot.log 2>&1; then
	fail "bootstrap without fflush" "build: $(head -c 200 boot.log)"
else
	bg "$W" boot-nofflush.wasm >boot.out 2>boot.err
	i=0
	while [ $i -lt 100 ] && ! attached $pid; do
		sleep 0.05
		i=$((i + 1))
	done
	cp /bin/true stopmark && ./stopmark
	sleep 0.2
	kill -INT $pid
	wait $tpid
	rc=$?
	[ $rc = 0 ] && head -1 boot.out | grep -q '^TIME  *EVENT  *COMM' &&
		grep -q ' EXEC  *stopmark  ' boot.out && [ "$(tail -c 1 boot.out | od -An -c | tr -d ' ')" = '\n' ]
	verdict "SIGINT: bootstrap without fflush keeps its header and events in a file" \
		"exit $rc, $(wc -l <boot.out) lines; $(head -c 200 boot.err)"
fi

# ---- the embedding API ----------------------------------------------------------

cd "$ROOT"
if gcc -std=gnu11 -O2 -g -I. -Iengine -D_GNU_SOURCE "$SRC/api.c" \
	build/lib/libwasm-bpf.a build/lib/libwasm-bpf-policy.a build/lib/libwasm-bpf-host.a \
	build/lib/libwasm-wasi.a build/lib/libwasm-engine.a \
	-Wl,--wrap=bpf_host__free,--wrap=wasi_ctx__free -lyaml \
	-lbpf -lelf -lz -lcrypto -lm -lpthread -o "$B/api" 2>"$B/api.log"; then
	rm -rf "$B/api-dir" && mkdir "$B/api-dir" && mkfifo "$B/api-dir/ff"
	timeout 60 "$B/api" "$G" "$B/imports.wasm" "$B/api-dir" >"$B/api.out" 2>/dev/null
	rc=$?
	grep -E '^(PASS|FAIL|SKIP): ' "$B/api.out"
	[ $rc = 124 ] && fail "api" "hung (killed after 60 s)"
else
	fail "api build" "$(head -3 "$B/api.log" | tr '\n' ' ')"
fi

# ---- embedding: own imports, stdio, pause, many instances (embed.c) ----------
# (LIBS is also what the sanitizer builds below rebuild.)

LIBS="lib/libwasm-bpf.a lib/libwasm-bpf-policy.a lib/libwasm-bpf-host.a lib/libwasm-wasi.a lib/libwasm-engine.a"
wat2wasm --debug-names "$SRC/embed.wat" -o "$B/embed.wasm" || fail build embed.wat
if gcc -std=gnu11 -O2 -g -I. -Iengine -D_GNU_SOURCE "$SRC/embed.c" \
	$(for l in $LIBS; do echo build/$l; done) -lyaml -lbpf -lelf -lz -lcrypto -lm \
	-lpthread -o "$B/embed" 2>"$B/embed.log"; then
	timeout 60 "$B/embed" "$B/embed.wasm" 2>/dev/null | grep -E '^(PASS|FAIL|SKIP): '
else
	fail "embed build" "$(head -3 "$B/embed.log" | tr '\n' ' ')"
fi
# The whole embed test under AddressSanitizer and UBSan (build-asan/, as
# `make asan`): the stream callbacks hand guest memory to the embedder.
ASAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
if ! command -v clang >/dev/null; then
	echo "SKIP: runtime embed under AddressSanitizer: no clang"
elif make -s -j2 BUILD=build-asan CC=clang OPT=-O1 EXTRA_CFLAGS="$ASAN" \
	LDFLAGS="-fsanitize=address,undefined" $(for l in $LIBS; do echo build-asan/$l; done) \
	>"$B/asan.log" 2>&1 &&
	clang $ASAN -std=gnu11 -O1 -g -I. -Iengine -D_GNU_SOURCE "$SRC/embed.c" \
	$(for l in $LIBS; do echo build-asan/$l; done) -lyaml -lbpf -lelf -lz -lcrypto -lm \
	-lpthread -o "$B/embed-asan" 2>>"$B/asan.log"; then
	ASAN_OPTIONS=detect_leaks=1 timeout 120 "$B/embed-asan" "$B/embed.wasm" \
		>"$B/asan.out" 2>&1
	rc=$?
	sed -n 's/^FAIL: runtime embed /FAIL: runtime embed asan: /p' "$B/asan.out"
	[ $rc = 0 ] && ! grep -q '^FAIL' "$B/asan.out"
	verdict "embed under AddressSanitizer and UBSan: no error, no leak" \
		"exit $rc: $(grep -m1 -A3 'ERROR\|runtime error' "$B/asan.out" | tr '\n' '|')"
else
	fail "embed asan build" "$(tail -3 "$B/asan.log" | tr '\n' ' ')"
fi
# The same instances under ThreadSanitizer: every layer rebuilt with it
# (build-tsan/), so a data race between instances anywhere fails here.
TSAN="-fsanitize=thread -fno-omit-frame-pointer"
if ! command -v clang >/dev/null; then
	echo "SKIP: runtime embed threads under ThreadSanitizer: no clang"
elif make -s -j2 BUILD=build-tsan CC=clang OPT=-O1 EXTRA_CFLAGS="$TSAN" \
	LDFLAGS=-fsanitize=thread $(for l in $LIBS; do echo build-tsan/$l; done) \
	>"$B/tsan.log" 2>&1 &&
	clang $TSAN -std=gnu11 -O1 -g -I. -Iengine -D_GNU_SOURCE "$SRC/embed.c" \
	$(for l in $LIBS; do echo build-tsan/$l; done) -lyaml -lbpf -lelf -lz -lcrypto -lm \
	-lpthread -o "$B/embed-tsan" 2>>"$B/tsan.log"; then
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 120 \
		"$B/embed-tsan" "$B/embed.wasm" 16 >"$B/tsan.out" 2>&1
	rc=$?
	[ $rc = 0 ] && grep -q '^PASS' "$B/tsan.out"
	verdict "16 instances on threads under ThreadSanitizer" \
		"exit $rc: $(grep -m1 -A3 WARNING "$B/tsan.out" | tr '\n' '|')"
else
	fail "embed tsan build" "$(tail -3 "$B/tsan.log" | tr '\n' ' ')"
fi
exit 0
