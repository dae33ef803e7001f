# bpf/tests/user.sh — the userspace eBPF backend (bpf/user/), sourced by
# run.sh after its build: hand-assembled verifier/VM cases, maps, and the
# test uprobe object built by clang (-mcpu=v3) and, when present, clang-19
# (-mcpu=v4: sdiv, movsx, bswap, gotol), all run under nobpf, a seccomp
# filter that makes bpf(2) fail, so nothing here uses kernel BPF. The
# examples' uprobe and opensnoop objects must pass the verifier; the
# programs the driver accepts seed run.sh's fuzz_ubpf run. Then the
# uprobe and opensnoop examples under the runtime with --backend user
# (under nobpf too) against the kernel backend's output.

# Waits up to TENTHS tenths of a second for a line matching PATTERN in FILE.
wait_for() { # PATTERN FILE TENTHS
	_i=0
	while ! grep -q "$1" "$2" 2>/dev/null && [ $_i -lt "$3" ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# The kernel backend's run of a tool: `wasm-bpf --timeout 3 TOOL ARGS...`
# into OUT; once it printed HEADER, the trigger CMD runs (its pid in
# cpid). Returns after both ended.
kernel_run() { # OUT HEADER CMD -- TOOL ARGS...
	_out=$1 _head=$2 _cmd=$3
	shift 4
	: >"$_out"
	timeout 20 build/bin/wasm-bpf --timeout 3 "$@" >"$_out" 2>&1 &
	_kpid=$!
	wait_for "$_head" "$_out" 50
	$_cmd >/dev/null &
	cpid=$!
	wait $cpid
	wait $_kpid
}

# True when the runtime, TOOL and the agent are built; else a SKIP.
built() { # NAME TOOL
	[ -x build/bin/wasm-bpf ] && [ -f "$2" ] &&
		[ -f build/lib/libwasm-bpf-agent.so ] && return 0
	echo "SKIP: $1: runtime, example or agent not built (make)"
	return 1
}

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
build $CC -std=gnu11 -O2 -Wall -Wextra bpf/tests/opener.c -o "$OUT/opener"
build $CC -std=gnu11 -O2 -Wall -Wextra bpf/tests/hooktarget.c -o "$OUT/hooktarget"
build $CC -std=gnu11 -O2 -Wall -Wextra bpf/tests/execer.c -o "$OUT/execer"
build $CC -std=gnu11 -O2 -Wall -Wextra bpf/tests/pidtarget.c -o "$OUT/pidtarget" -lpthread
build $CC -std=gnu11 -O2 -Wall -Wextra -I. -D_GNU_SOURCE bpf/tests/agentsock.c \
	bpf/user/ubpf_inject.c bpf/user/ubpf_sym.c -o "$OUT/agentsock" -lelf -ldl
build $CC -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -I. -D_GNU_SOURCE \
	bpf/tests/ubpf.c $(ls bpf/user/ubpf_*.c | grep -v 'agent\|host\|inject') -o "$OUT/ubpf" \
	-lbpf -lelf -lz -lcapstone
# The agent's interposed close/read/write in a driver of their own.
build clang -target bpf -g -O2 -D__TARGET_ARCH_x86 -I"$OUT" \
	-c bpf/tests/sys.bpf.c -o "$OUT/sys.bpf.o"
build $CC -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -I. -D_GNU_SOURCE \
	bpf/tests/systrace.c bpf/user/ubpf_agent_sys.c \
	$(ls bpf/user/ubpf_*.c | grep -v 'agent\|host\|inject') -o "$OUT/systrace" \
	-lbpf -lelf -lz -lcapstone -ldl

if "$OUT/nobpf" bpftool prog list >/dev/null 2>&1; then
	fail "user backend: nobpf" "bpftool still reached bpf(2) under the filter"
else
	echo "PASS: user backend: nobpf denies bpf(2)"
fi
rm -rf "$OUT/ubpf-seeds"
mkdir -p "$OUT/ubpf-seeds"
# The examples' uprobe and syscall-tracepoint programs (built by make).
examples=
for e in uprobe opensnoop execve; do
	if [ -f "build/examples/$e/$e.bpf.o" ]; then
		examples="$examples build/examples/$e/$e.bpf.o"
	else
		echo "SKIP: user backend: example $e: not built (make)"
	fi
done
external=
[ -f "$OUT/core-ksym.bpf.o" ] && external="$OUT/core-ksym.bpf.o"
UBPF_SEED_DIR="$OUT/ubpf-seeds" timeout 60 "$OUT/nobpf" "$OUT/ubpf" $user_objs \
	--accept $examples --external $external 2>"$OUT/ubpf.err"
rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "user backend driver" "exited $rc (see $OUT/ubpf.err)"
timeout 20 "$OUT/nobpf" "$OUT/systrace" "$OUT/sys.bpf.o" ||
	fail "user backend: traced close, read, write" "driver exited $?"


# ---- the examples under --backend user ----------------------------------------
# The same guest (examples/uprobe) with the kernel's uprobes and with the
# userspace backend (under nobpf: bpf(2) fails), the target started by
# --spawn: the same events, minus pids. Then the runtime ending before its
# target: the target runs on, unhooked, to its normal end.
user_example() {
	bin=build/bin/wasm-bpf
	ex=build/examples/uprobe
	tgt=$ROOT/$ex/target
	name="user backend: uprobe example"
	if [ ! -x $bin ] || [ ! -f $ex/uprobe.wasm ] || [ ! -x "$tgt" ] ||
		[ ! -f build/lib/libwasm-bpf-agent.so ]; then
		echo "SKIP: $name: runtime, example or agent not built (make)"
		return
	fi
	u=$OUT/user-uprobe.out
	timeout 20 "$OUT/nobpf" $bin --timeout 3 --backend user --spawn "$tgt 3" \
		$ex/uprobe.wasm "$tgt" >"$u" 2>&1
	k=$OUT/kernel-uprobe.out
	kernel_run "$k" '^Tracing' "$tgt 3" -- $ex/uprobe.wasm "$tgt"
	sed -n 's/^pid [0-9]*: //p' "$u" >"$u.events"
	sed -n 's/^pid [0-9]*: //p' "$k" >"$k.events"
	if [ "$(wc -l <"$u.events")" != 6 ]; then
		fail "$name" "$(wc -l <"$u.events") events, want 6 (see $u)"
	elif ! grep -q '^Tracing' "$k" || ! cmp -s "$u.events" "$k.events"; then
		fail "$name" "events differ from the kernel backend's (see $u, $k)"
	else
		echo "PASS: $name: the kernel backend's events, without bpf(2)"
	fi

	# --backend auto: the kernel's uprobes where bpf(2) works, the user
	# backend under nobpf; the same events either way.
	for mode in kernel user; do
		name="auto backend: uprobe example picks $mode"
		a=$OUT/auto-$mode.out
		pre=
		[ $mode = user ] && pre="$OUT/nobpf"
		timeout 20 $pre $bin -v --timeout 3 --backend auto --spawn "$tgt 3" \
			$ex/uprobe.wasm "$tgt" >"$a" 2>&1
		sed -n 's/^pid [0-9]*: //p' "$a" >"$a.events"
		if ! grep -q "^wasm_bpf: --backend auto: $mode backend" "$a"; then
			fail "$name" "no '$mode backend' line (see $a)"
		elif ! cmp -s "$a.events" "$k.events"; then
			fail "$name" "events differ from the kernel backend's (see $a, $k)"
		else
			echo "PASS: $name: the kernel backend's events"
		fi
	done
	name="auto backend: an object neither backend runs"
	a=$OUT/auto-none.out
	if [ ! -f build/examples/bootstrap/bootstrap.wasm ]; then
		echo "SKIP: $name: bootstrap example not built (make)"
	elif timeout 20 "$OUT/nobpf" $bin --timeout 3 --backend auto \
		build/examples/bootstrap/bootstrap.wasm >"$a" 2>&1; then
		fail "$name" "ran (see $a)"
	elif ! grep -q "neither the kernel nor the user backend runs it: prog 'handle_exec': kernel: bpf(2) does not load programs here (Operation not permitted); user: .*not 'tp/sched/sched_process_exec'" "$a"; then
		fail "$name" "message: $(grep wasm_bpf "$a")"
	else
		echo "PASS: $name: refused, naming the program and both reasons"
	fi

	# wasm-bpf check names each program's backend, with the reason: auto
	# takes the kernel where bpf(2) works, the user backend under nobpf;
	# --backend user refuses what it cannot attach.
	name="check --backend: each program's backend"
	c=$OUT/check-backend
	$bin check -o json --backend auto $ex/uprobe.wasm >"$c-auto-k.json" 2>&1
	"$OUT/nobpf" $bin check -o json --backend auto $ex/uprobe.wasm \
		>"$c-auto-u.json" 2>&1
	"$OUT/nobpf" $bin check -o json $ex/uprobe.wasm >"$c-kernel.json" 2>&1
	$bin check -o json --backend user build/examples/bootstrap/bootstrap.wasm \
		>"$c-user-none.json" 2>&1
	rc=$?
	$bin check --backend user $ex/uprobe.wasm >"$c-table.txt" 2>&1
	if python3 -c 'import json, sys
def progs(f, want, why):
    r = json.load(open(f))
    o = r["objects"][0]
    ps = o["facts"]["programs"]
    assert o["backend"] == want, (f, o["backend"], o["backend_reason"])
    assert ps and all(p["backend"] == want for p in ps), (f, ps)
    assert all(why in p["backend_reason"] for p in ps), (f, ps)
    return r
assert progs(sys.argv[1], "kernel", "the kernel runs kprobe programs")["runs"]
r = progs(sys.argv[2], "user", "uprobe, run in --spawn")
assert r["runs"], r["checks"]
assert not any(c["check"].startswith("verifier") for c in r["checks"])
r = progs(sys.argv[3], "none", "bpf(2) does not load programs here (Operation not permitted)")
assert not r["runs"]
r = progs(sys.argv[4], "none", "not \x27tp/sched/sched_process_ex")
assert not r["runs"]' "$c-auto-k.json" "$c-auto-u.json" "$c-kernel.json" \
		"$c-user-none.json" 2>"$c.err" && [ $rc = 1 ] &&
		grep -q '^  uprobe_add  *kprobe  *user  *uprobe ' "$c-table.txt" &&
		grep -q "^  backend of uprobe_add: user: a uprobe" "$c-table.txt" &&
		! $bin check --backend bogus $ex/uprobe.wasm >/dev/null 2>"$c.bad" &&
		grep -q "backend takes kernel, user or auto, not 'bogus'" "$c.bad"; then
		echo "PASS: $name: kernel, user (under nobpf) and none, with reasons, in JSON and the table"
	else
		fail "$name" "exit $rc: $(tail -1 "$c.err") (see $c-*)"
	fi

	# The policy under the user backend: what it refuses in the object
	# (a helper, a map type) before anything opens it, and uprobe binaries
	# at attach; what it allows runs.
	pol=$OUT/user-policy.yaml
	for case in "helper|helpers:\n  deny: [bpf_get_current_pid_tgid]|helper bpf_get_current_pid_tgid (id 14) in program 'uprobe_add' is denied by helpers.deny\[0\]" \
		"map type|maps:\n  types:\n    deny: [ringbuf]|map type ringbuf of map 'events' is denied by maps.types.deny\[0\]" \
		"uprobe path|programs:\n  uprobes:\n    allow: [\"/usr/lib/*\"]|uprobe $tgt of program 'uprobe_add' is not in programs.uprobes.allow" \
		"allowed|programs:\n  uprobes:\n    allow: [\"$ROOT/*\"]|"; do
		what=${case%%|*}
		rest=${case#*|}
		want=${rest#*|}
		printf "${rest%%|*}\n" >"$pol"
		name="user backend: policy: $what"
		a=$OUT/user-policy.out
		timeout 20 "$OUT/nobpf" $bin --policy "$pol" --timeout 3 --backend user \
			--spawn "$tgt 3" $ex/uprobe.wasm "$tgt" >"$a" 2>&1
		rc=$?
		sed -n 's/^pid [0-9]*: //p' "$a" >"$a.events"
		if [ -z "$want" ]; then
			if cmp -s "$a.events" "$k.events"; then
				echo "PASS: $name: runs, the kernel backend's events"
			else
				fail "$name" "exit $rc, events differ (see $a)"
			fi
		elif [ $rc = 0 ] || [ -s "$a.events" ] ||
			! grep -q "^wasm_bpf: policy: $want ($pol:" "$a"; then
			fail "$name" "exit $rc: $(grep -v '^pid' "$a" | head -3)"
		else
			echo "PASS: $name: refused, nothing traced"
		fi
	done

	# hooktarget: hooked when main starts, unhooked after the runtime
	# exits (1 s) while it runs on (2.5 s), its calls' results right.
	name="user backend: runtime ends before its target"
	d=$OUT/user-target.done
	rm -f "$d"
	timeout 20 "$OUT/nobpf" $bin --timeout 1 --backend user \
		--spawn "$OUT/hooktarget 25 >$d.out; echo \$? >$d" \
		$ex/uprobe.wasm "$OUT/hooktarget" probe_me >"$u" 2>&1
	rc=$?
	i=0
	while [ ! -s "$d" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	got=$(tr '\n' ' ' <"$d.out" 2>/dev/null)
	case "$got" in
	"first e9 last e9 "*) got="$got (still hooked)" ;;
	"first e9 last "*" sum 325 ") got=ok ;;
	esac
	if [ $rc != 124 ] || [ "$(cat "$d" 2>/dev/null)" != 0 ] ||
		! grep -q '^pid [0-9]*: probe_me(0, 1)' "$u" || [ "$got" != ok ]; then
		fail "$name" "runtime exit $rc, target exit $(cat "$d" 2>/dev/null): $got (see $u)"
	else
		echo "PASS: $name: unhooked, it runs on to its normal end"
	fi

	# a function the binary lacks: -ENOENT at attach, as the kernel's
	name="user backend: uprobe on a missing function"
	a=$OUT/user-nofunc.out
	timeout 20 "$OUT/nobpf" $bin --timeout 2 --backend user --spawn true \
		$ex/uprobe.wasm "$OUT/nobpf" >"$a" 2>&1
	timeout 20 $bin --timeout 2 $ex/uprobe.wasm "$OUT/nobpf" >"$a.k" 2>&1
	want="Failed to attach to $OUT/nobpf:uprobe_add: No such file or directory"
	if ! grep -q "^wasm_bpf: prog 'uprobe_add': no function uprobe_add in $OUT/nobpf" "$a" ||
		! grep -qF "$want" "$a" || ! grep -qF "$want" "$a.k"; then
		fail "$name" "$(grep -i 'fail\|wasm_bpf' "$a" | head -2)"
	else
		echo "PASS: $name: refused at attach (-ENOENT), as the kernel backend does"
	fi

	# the event rate limit in this backend's delivery too: 20 calls make
	# 40 records (entry and return); the guest prints those it is handed
	name="user backend: event rate limit"
	timeout 20 "$OUT/nobpf" $bin --timeout 4 --backend user --spawn "$tgt 20" \
		--max-event-rate 5 --event-burst 2 $ex/uprobe.wasm "$tgt" >"$u" 2>&1
	got=$(grep -c '^pid [0-9]*: ' "$u")
	line=$(grep '^wasm-bpf: events: ' "$u")
	del=$(echo "$line" | sed -n 's/.*events: \([0-9]*\) delivered, \([0-9]*\) dropped.*/\1/p')
	drop=$(echo "$line" | sed -n 's/.*events: \([0-9]*\) delivered, \([0-9]*\) dropped.*/\2/p')
	if [ "$del" = "$got" ] && [ $((del + drop)) = 40 ] && [ "$del" -le 15 ] && [ "$del" -ge 2 ]; then
		echo "PASS: $name: $del of 40 records handed over at 5/s, $drop counted dropped"
	else
		fail "$name" "the guest printed $got, the summary: '$line' (see $u)"
	fi

	name="user backend: --spawn with the kernel backend"
	if $bin --spawn true $ex/uprobe.wasm "$tgt" 2>"$u"; then
		fail "$name" "accepted"
	elif ! grep -q -- '--spawn needs --backend user or auto' "$u"; then
		fail "$name" "message: $(cat "$u")"
	else
		echo "PASS: $name: refused"
	fi
}
user_example

# --pid: the uprobe example's guest hooks pidtarget while it runs (blocked
# in nanosleep when the agent is injected through ptrace), under nobpf: the
# kernel backend's events; a second target killed by SIGSEGV meanwhile and
# a pid that does not exist leave the runtime running to its --timeout;
# after the runtime exits the target finds its code restored and ends
# normally.
user_pid() {
	bin=build/bin/wasm-bpf
	ex=build/examples/uprobe
	name="user backend: --pid"
	k=$OUT/kernel-uprobe.out
	if [ ! -x $bin ] || [ ! -f $ex/uprobe.wasm ] || [ ! -s "$k.events" ] ||
		[ ! -f build/lib/libwasm-bpf-agent.so ]; then
		echo "SKIP: $name: runtime, example, agent or kernel events missing"
		return
	fi
	scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
	if [ "$scope" = 3 ] || { [ "$scope" != 0 ] && [ "$(id -u)" != 0 ]; }; then
		echo "SKIP: $name: kernel.yama.ptrace_scope=$scope forbids ptrace of a non-child"
		return
	fi
	g=$OUT/pid-go
	rm -f "$g"1 "$g"2 "$g"x
	t=$OUT/pid-target.out
	( "$OUT/pidtarget" "$g"1 "$g"2 >"$t" 2>&1; echo "exit $?" >>"$t" ) &
	"$OUT/pidtarget" "$g"x "$g"x >/dev/null 2>&1 &
	victim=$!
	wait_for ready "$t" 50
	tpid=$(pgrep -f "pidtarget $g"1 | head -1)
	u=$OUT/user-pid.out
	( timeout 20 "$OUT/nobpf" $bin -v --timeout 3 --backend user --pid "$tpid" \
		--pid "$victim" --pid 999999999 $ex/uprobe.wasm "$OUT/pidtarget" \
		>"$u" 2>&1; echo "runtime exit $?" >>"$u" ) &
	wait_for "agent in pid $victim" "$u" 100
	kill -SEGV $victim 2>/dev/null
	touch "$g"1
	wait_for "^runtime exit" "$u" 100
	touch "$g"2
	wait_for "^exit" "$t" 50
	wait
	sed -n "s/^pid $tpid: //p" "$u" >"$u.events"
	if grep -q "ptrace refused" "$u"; then
		echo "SKIP: $name: $(grep -m1 'ptrace refused' "$u")"
	elif ! grep -q "agent in pid $tpid: 1 hooks" "$u"; then
		fail "$name" "not attached (see $u)"
	elif ! cmp -s "$u.events" "$k.events"; then
		fail "$name" "events differ from the kernel backend's (see $u, $k)"
	elif ! grep -q "^runtime exit 124" "$u"; then
		fail "$name" "the runtime did not run to its --timeout: $(tail -1 "$u")"
	elif ! grep -q "cannot attach to pid 999999999: no process\|cannot attach to pid 999999999: cannot stop" "$u"; then
		fail "$name" "a missing process not named (see $u)"
	elif [ "$(tr '\n' ' ' <"$t")" = "ready first e9 last e9 sum 9 exit 0 " ]; then
		fail "$name" "still hooked after the runtime exited"
	elif ! grep -q "^first e9" "$t" || ! grep -q "^sum 9" "$t" ||
		! grep -q "^exit 0" "$t" || grep -q "^last e9" "$t"; then
		fail "$name" "target: $(tr '\n' ' ' <"$t")"
	else
		echo "PASS: $name: the kernel backend's events in a running process; a crashed and a missing one leave the runtime running; unhooked after it exits"
	fi
	rm -f "$g"1 "$g"2
}
user_pid

user_pid_usage() {
	name="user backend: --pid with the kernel backend"
	if build/bin/wasm-bpf --pid 1 build/examples/uprobe/uprobe.wasm x 2>"$OUT/pid-usage.out"; then
		fail "$name" "accepted"
	elif ! grep -q -- '--pid needs --backend user or auto' "$OUT/pid-usage.out"; then
		fail "$name" "message: $(cat "$OUT/pid-usage.out")"
	else
		echo "PASS: $name: refused"
	fi
}
user_pid_usage

name="user backend: --pid hand-over takes only the runtime's descriptors"
if [ ! -f build/lib/libwasm-bpf-agent.so ]; then
	echo "SKIP: $name: agent not built (make)"
elif r=$("$OUT/agentsock" build/lib/libwasm-bpf-agent.so) && [ "$r" = ok ]; then
	echo "PASS: $name: another process's datagram skipped, its descriptors closed"
else
	fail "$name" "$r"
fi

# opensnoop's syscall tracepoints in a spawned process (the agent
# interposes libc's open/openat): the kernel backend's lines for the
# opener's own two files, pids aside.
user_opensnoop() {
	bin=build/bin/wasm-bpf
	wasm=build/examples/opensnoop/opensnoop.wasm
	name="user backend: opensnoop example"
	built "$name" $wasm || return
	u=$OUT/user-opensnoop.out
	k=$OUT/kernel-opensnoop.out
	timeout 20 "$OUT/nobpf" $bin --timeout 2 --backend user --spawn "$OUT/opener" \
		$wasm >"$u" 2>&1
	kernel_run "$k" '^PID' "$OUT/opener" -- $wasm
	opid=$cpid
	# The kernel backend sees the whole machine: only this opener's lines
	# (another opener may run at the same time); the user backend sees
	# only the process it spawned.
	for f in "$u" "$k"; do
		pid=any
		[ "$f" = "$k" ] && pid=$opid
		awk -v pid="$pid" '$2 == "opener" && (pid == "any" || $1 == pid) &&
			($5 == "/etc/hostname" || $5 == "/nonexistent-wbt-opener") {
			print $2, $3, $4, $5 }' "$f" >"$f.events"
	done
	if [ "$(wc -l <"$u.events")" != 4 ]; then
		fail "$name" "$(wc -l <"$u.events") events, want 4 (see $u)"
	elif ! cmp -s "$u.events" "$k.events"; then
		fail "$name" "events differ from the kernel backend's (see $u, $k)"
	else
		echo "PASS: $name: the kernel backend's events, without bpf(2)"
	fi
}
user_opensnoop

# The execve example (sys_enter_execve, argv read with probe_read_user,
# the parent's tgid through bpf_get_current_task's synthetic task) in a
# spawned process: execer's exec calls (a fork's, a vfork's, a failing
# one, its own), the kernel backend's lines for them (comm and
# arguments), and the pids and parent pids right.
user_execve() {
	bin=build/bin/wasm-bpf
	wasm=build/examples/execve/execve.wasm
	name="user backend: execve example"
	built "$name" $wasm || return
	tag=wbt-exec-$$
	u=$OUT/user-execve.out
	k=$OUT/kernel-execve.out
	timeout 20 "$OUT/nobpf" $bin --timeout 2 --backend user \
		--spawn "$OUT/execer $tag" $wasm >"$u" 2>&1
	kernel_run "$k" '^PID' "$OUT/execer $tag" -- $wasm
	for f in "$u" "$k"; do
		grep " $tag" "$f" | awk '{ $1 = $2 = ""; print }' >"$f.events"
	done
	# pids: each child's line has the pid execer printed, its parent's
	# pid is execer's (the pid of the failing exec's line)
	pids=$(awk -v tag="$tag" '
		$1 == "child" { child[$3] = $2 }
		$0 ~ " " tag " " { pid[$NF] = $1; ppid[$NF] = $2 }
		END {
			ok = child["forked"] == pid["forked"] &&
			     child["vforked"] == pid["vforked"] &&
			     ppid["forked"] == pid["missing"] &&
			     ppid["vforked"] == pid["missing"] &&
			     pid["last"] == pid["missing"] && pid["missing"] != ""
			print ok ? "ok" : "wrong"
		}' "$u")
	if [ "$(wc -l <"$u.events")" != 5 ]; then
		fail "$name" "$(wc -l <"$u.events") events, want 5 (see $u)"
	elif ! cmp -s "$u.events" "$k.events"; then
		fail "$name" "events differ from the kernel backend's (see $u, $k)"
	elif [ "$pids" != ok ]; then
		fail "$name" "pids or parent pids wrong (see $u)"
	else
		echo "PASS: $name: the kernel backend's events, without bpf(2)"
	fi
}
user_execve
