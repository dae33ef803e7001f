#!/bin/sh
# examples/tests/run.sh — runs every example under build/bin/wasm-bpf in the
# real kernel (root), makes the event it traces happen and checks what it
# printed. Kernel features the machine lacks are SKIPs with the reason.
# Prints PASS/FAIL/SKIP lines (see tests/run.sh).
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
B=$ROOT/build/examples
RT=$ROOT/build/bin/wasm-bpf
T=$(mktemp -d /tmp/wbpf-examples.XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do kill -INT "$p" 2>/dev/null; done
	ip netns del wbpf-xdp-ns 2>/dev/null
	ip link del wbpf-xdp0 2>/dev/null
	rmdir /sys/fs/cgroup/unified/wbpf-sockops 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; }
skip() { echo "SKIP: $1: $2"; }

# run NAME OUT [runtime options] -- ARGS: the example's guest in the
# background, output (both streams) to OUT; $! is remembered for stop.
run() {
	name=$1 out=$2
	shift 2
	opts=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		opts="$opts $1"
		shift
	done
	[ $# -gt 0 ] && shift
	# shellcheck disable=SC2086
	"$RT" $opts "$B/$name/$name.wasm" "$@" >"$out" 2>&1 &
	LAST=$!
	PIDS="$PIDS $LAST"
}

# wait_for FILE REGEX SECONDS: until FILE has a line matching REGEX.
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop: SIGINT to the last guest, then wait for it (at most 5 s).
stop() {
	kill -INT "$LAST" 2>/dev/null
	i=0
	while kill -0 "$LAST" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$LAST" 2>/dev/null
	wait "$LAST" 2>/dev/null
}

why() { tail -n 3 "$1" | tr '\n' ' '; }

if [ "$(id -u)" != 0 ]; then
	skip examples "kernel tests need root"
	exit 0
fi
if [ ! -x "$RT" ]; then
	skip examples "build/bin/wasm-bpf not built"
	exit 0
fi
if [ ! -e /sys/kernel/btf/vmlinux ]; then
	skip examples "no kernel BTF (/sys/kernel/btf/vmlinux): examples not built"
	exit 0
fi

# ---- built, and sizes --------------------------------------------------
for e in bootstrap execve opensnoop runqlat sockfilter sockops uprobe xdp \
	lsm kprobe tcpconnlat; do
	if [ -f "$B/$e/$e.wasm" ] && [ -x "$B/$e/$e.native" ]; then
		pass "build $e (wasm $(stat -c %s "$B/$e/$e.wasm") B, native $(stat -c %s "$B/$e/$e.native") B)"
	else
		fail "build $e" "$B/$e/$e.wasm or .native missing (make examples)"
	fi
done
size_check() {
	s=$(stat -c %s "$B/$1/$1.wasm" 2>/dev/null || echo 999999)
	if [ "$s" -lt "$2" ]; then
		pass "size $1.wasm $s < $2"
	else
		fail "size $1.wasm" "$s bytes, target < $2"
	fi
}
size_check bootstrap 36864
size_check runqlat 47104

# ---- bootstrap: ring buffer, exec/exit with durations, -d --------------
t_bootstrap() {
	run bootstrap "$T/bs" --
	if ! wait_for "$T/bs" "FILENAME/EXIT CODE" 20; then
		fail bootstrap "no header: $(why "$T/bs")"
		stop
		return
	fi
	sh -c 'sleep 0.2; exit 3'
	sleep 0.5
	stop
	if grep -Eq '^[0-9:]{8} EXEC  sleep .* /usr/bin/sleep$|EXEC  sleep ' "$T/bs" &&
		grep -Eq 'EXIT  sleep +[0-9]+ +[0-9]+ +\[0\] \([0-9]+ms\)' "$T/bs" &&
		grep -Eq 'EXIT  sh +[0-9]+ +[0-9]+ +\[3\]' "$T/bs"; then
		pass "bootstrap exec/exit with durations and exit codes"
	else
		fail bootstrap "events missing: $(grep -E 'sleep|sh ' "$T/bs" | head -3 | tr '\n' ' ')"
	fi
}

t_bootstrap_duration() {
	run bootstrap "$T/bsd" -- -d 400
	if ! wait_for "$T/bsd" "FILENAME/EXIT CODE" 20; then
		fail "bootstrap -d" "no header: $(why "$T/bsd")"
		stop
		return
	fi
	/bin/sleep 0.6
	/bin/true
	sleep 0.3
	stop
	if grep -Eq 'EXIT  sleep .*\(([4-9][0-9]{2}|[0-9]{4,})ms\)' "$T/bsd" &&
		! grep -q 'EXEC ' "$T/bsd" && ! grep -q 'EXIT  true' "$T/bsd"; then
		pass "bootstrap -d 400 (rodata set before load) keeps long exits only"
	else
		fail "bootstrap -d" "$(grep -E 'EXEC|true|sleep' "$T/bsd" | head -3 | tr '\n' ' ')"
	fi
}

# ---- execve: arguments, and perf buffer mode ----------------------------
t_execve() {
	mode=$1 opt=$2
	run execve "$T/ex" $opt --
	if ! wait_for "$T/ex" "^PID +PPID" 20; then
		fail "execve $mode" "no header: $(why "$T/ex")"
		stop
		return
	fi
	/bin/echo wbpf-execve-marker alpha beta >/dev/null
	sleep 0.5
	stop
	if grep -Eq "^[0-9]+ +[0-9]+ +0 +.*/bin/echo wbpf-execve-marker alpha beta$" "$T/ex"; then
		pass "execve $mode: pid, ppid, uid and arguments"
	else
		fail "execve $mode" "no marker line: $(why "$T/ex")"
	fi
}

# ---- opensnoop: perf buffer, filters in rodata, duration ----------------
t_opensnoop() {
	run opensnoop "$T/os" -- -x -d 4
	if ! wait_for "$T/os" "^PID +COMM" 20; then
		fail opensnoop "no header: $(why "$T/os")"
		stop
		return
	fi
	cat /nonexistent/wbpf-opensnoop 2>/dev/null
	cat /etc/hostname >/dev/null
	i=0
	while kill -0 "$LAST" 2>/dev/null && [ $i -lt 80 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$LAST" 2>/dev/null; then
		fail opensnoop "-d 4 did not end the trace"
		stop
		return
	fi
	if grep -Eq "^[0-9]+ +cat +-1 +2 /nonexistent/wbpf-opensnoop$" "$T/os" &&
		! grep -q "/etc/hostname" "$T/os"; then
		pass "opensnoop -x -d 4: failed opens only, ENOENT shown, ends itself"
	else
		fail opensnoop "$(grep -E 'cat|hostname' "$T/os" | head -3 | tr '\n' ' ')"
	fi
}

# ---- runqlat: histogram by map iteration, interval and count ------------
t_runqlat() {
	"$RT" "$B/runqlat/runqlat.wasm" 1 2 >"$T/rq" 2>&1 &
	LAST=$!
	PIDS="$PIDS $LAST"
	i=0
	while kill -0 "$LAST" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$LAST" 2>/dev/null; then
		fail runqlat "did not end after interval 1 count 2"
		stop
		return
	fi
	n=$(grep -c "usecs *: count *distribution" "$T/rq")
	if [ "$n" = 2 ] && grep -Eq '^ +[0-9]+ -> [0-9]+ +: [0-9]+ +\|\*+ *\|$' "$T/rq"; then
		pass "runqlat 1 2: two log2 histograms"
	else
		fail runqlat "$n histograms: $(why "$T/rq")"
	fi
	"$RT" "$B/runqlat/runqlat.wasm" -m -P 1 1 >"$T/rqp" 2>&1
	if grep -Eq '^pid = [0-9]+ ' "$T/rqp" && grep -q "msecs" "$T/rqp"; then
		pass "runqlat -m -P: per-process millisecond histograms"
	else
		fail "runqlat -m -P" "$(why "$T/rqp")"
	fi
}

# ---- sockfilter: needs a socket descriptor in the guest ----------------
# sockfilter_check NAME LOG: the tool started last ($LAST, output in LOG)
# must attach, then see UDP packets sent to 127.0.0.1:9.
sockfilter_check() {
	if ! wait_for "$2" "^Filtering packets" 20; then
		fail "$1" "not attached: $(why "$2")"
		stop
		return
	fi
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(b"wbpf", ("127.0.0.1", 9))' 2>/dev/null
	wait "$LAST" 2>/dev/null
	if grep -q "protocol: UDP.*127.0.0.1:9(dst)" "$2"; then
		pass "$1: UDP packets on lo"
	else
		fail "$1" "$(why "$2")"
	fi
}

t_sockfilter() {
	# The guest cannot create a socket: a launcher opens a packet socket
	# on lo and hands it over with --fd (the guest sees it as fd 3).
	python3 -c 'import os, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW | socket.SOCK_NONBLOCK, socket.htons(3))
s.bind(("lo", 0))
os.set_inheritable(s.fileno(), True)
os.execv(sys.argv[1], [sys.argv[1], "--fd", str(s.fileno()), sys.argv[2], "-f", "3", "3"])' \
		"$RT" "$B/sockfilter/sockfilter.wasm" >"$T/sfw" 2>&1 &
	LAST=$!
	PIDS="$PIDS $LAST"
	sockfilter_check "sockfilter wasm (socket through --fd)" "$T/sfw"
	"$B/sockfilter/sockfilter.native" 3 >"$T/sf" 2>&1 &
	LAST=$!
	PIDS="$PIDS $LAST"
	sockfilter_check "sockfilter native" "$T/sf"
}

# ---- sockops: cgroup through --dir + attach by descriptor, .bss read ----
t_sockops() {
	cg=/sys/fs/cgroup/unified
	[ -d $cg ] || cg=/sys/fs/cgroup
	if [ ! -f $cg/cgroup.procs ] || ! mkdir -p $cg/wbpf-sockops 2>/dev/null; then
		skip sockops "no writable cgroup v2 hierarchy"
		return
	fi
	run sockops "$T/so" --dir "$cg/wbpf-sockops::/cgroup" -- /cgroup 3
	if ! wait_for "$T/so" "^Tracing established" 20; then
		fail sockops "not attached: $(why "$T/so")"
		stop
		return
	fi
	sh -c "echo \$\$ > $cg/wbpf-sockops/cgroup.procs; exec python3 -c '
import socket
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(1)
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
print(s.getsockname()[1])'" >"$T/port" 2>&1
	i=0
	while kill -0 "$LAST" 2>/dev/null && [ $i -lt 80 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	stop
	port=$(cat "$T/port")
	if grep -Eq "^ACTIVE +127.0.0.1:[0-9]+ -> 127.0.0.1:$port$" "$T/so" &&
		grep -Eq "^PASSIVE +127.0.0.1:$port -> 127.0.0.1:[0-9]+$" "$T/so" &&
		grep -Eq "^[1-9][0-9]* connections established" "$T/so"; then
		pass "sockops: both ends of a connection, count read from .bss"
	else
		fail sockops "port $port: $(why "$T/so")"
	fi
}

# ---- uprobe / uretprobe on a target program -----------------------------
t_uprobe() {
	tgt=$B/uprobe/target
	if [ ! -x "$tgt" ]; then
		fail uprobe "$tgt not built"
		return
	fi
	run uprobe "$T/up" -- "$tgt"
	if ! wait_for "$T/up" "^Tracing uprobe_add" 20; then
		fail uprobe "not attached: $(why "$T/up")"
		stop
		return
	fi
	"$tgt" 5 >/dev/null
	sleep 0.3
	stop
	if grep -Eq "^pid [0-9]+: uprobe_add\(3, 4\)$" "$T/up" &&
		grep -Eq "^pid [0-9]+: uprobe_add returned 7$" "$T/up"; then
		pass "uprobe and uretprobe: arguments and results"
	else
		fail uprobe "$(why "$T/up")"
	fi
}

# ---- xdp on a veth whose peer is in a namespace made here ---------------
t_xdp() {
	ip netns del wbpf-xdp-ns 2>/dev/null
	ip link del wbpf-xdp0 2>/dev/null
	if ! ip netns add wbpf-xdp-ns 2>/dev/null ||
		! ip link add wbpf-xdp0 type veth peer name wbpf-xdp1 2>/dev/null ||
		! ip link set wbpf-xdp1 netns wbpf-xdp-ns; then
		skip xdp "cannot create a network namespace and veth pair"
		return
	fi
	ip addr add 10.211.0.1/30 dev wbpf-xdp0
	ip link set wbpf-xdp0 up
	ip -n wbpf-xdp-ns addr add 10.211.0.2/30 dev wbpf-xdp1
	ip -n wbpf-xdp-ns link set wbpf-xdp1 up
	run xdp "$T/xdp" -- wbpf-xdp0 1
	if ! wait_for "$T/xdp" "^Counting packets" 20; then
		fail xdp "not attached: $(why "$T/xdp")"
		stop
		return
	fi
	ip netns exec wbpf-xdp-ns python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    s.sendto(b"x" * 100, ("10.211.0.1", 9)); time.sleep(0.01)' 2>/dev/null
	sleep 1.5
	stop
	if grep -Eq "^UDP +proto 17 +packets (2[0-9]|[3-9][0-9]|[0-9]{3,}) bytes" "$T/xdp"; then
		pass "xdp: UDP packets counted on a veth"
	else
		fail xdp "$(why "$T/xdp")"
	fi
}

# ---- lsm: deny rmdir of a named directory -------------------------------
t_lsm() {
	if ! grep -qw bpf /sys/kernel/security/lsm 2>/dev/null; then
		skip lsm "\"bpf\" not in /sys/kernel/security/lsm"
		return
	fi
	mkdir -p "$T/lsm/wbpf-keep-me"
	run lsm "$T/lsm.out" -- wbpf-keep-me 6
	if ! wait_for "$T/lsm.out" "^Denying|Failed" 20 ||
		grep -q "^Failed" "$T/lsm.out"; then
		stop
		if grep -q "Operation not permitted" "$T/lsm.out"; then
			skip lsm "the kernel refuses BPF LSM programs here (load: EPERM; BPF trampolines not permitted)"
		else
			fail lsm "$(why "$T/lsm.out")"
		fi
		return
	fi
	rmdir "$T/lsm/wbpf-keep-me" 2>"$T/rmdir"
	denied=$?
	sleep 1.5
	stop
	if [ $denied != 0 ] && grep -q "Operation not permitted" "$T/rmdir" &&
		grep -q "^denied 1 rmdir" "$T/lsm.out" && rmdir "$T/lsm/wbpf-keep-me"; then
		pass "lsm: rmdir denied while running, allowed after"
	else
		fail lsm "rmdir status $denied: $(why "$T/lsm.out")"
	fi
}

# ---- kprobe --------------------------------------------------------------
t_kprobe() {
	if [ ! -e /sys/kernel/tracing/kprobe_events ] &&
		[ ! -e /sys/kernel/debug/tracing/kprobe_events ]; then
		skip kprobe "kernel without kprobes (no kprobe_events; CONFIG_KPROBES off)"
		return
	fi
	run kprobe "$T/kp" --
	if ! wait_for "$T/kp" "^Tracing do_unlinkat" 20; then
		fail kprobe "not attached: $(why "$T/kp")"
		stop
		return
	fi
	touch "$T/wbpf-kprobe-file" && rm "$T/wbpf-kprobe-file"
	sleep 0.5
	stop
	if grep -q "KPROBE ENTRY pid = [0-9]*, comm = rm, filename = .*wbpf-kprobe-file" "$T/kp" &&
		grep -q "KPROBE EXIT: pid = [0-9]*, comm = rm, ret = 0" "$T/kp"; then
		pass "kprobe and kretprobe on do_unlinkat"
	else
		fail kprobe "$(why "$T/kp")"
	fi
}

# ---- tcpconnlat (fentry) -------------------------------------------------
t_tcpconnlat() {
	run tcpconnlat "$T/tc" -- -L
	if ! wait_for "$T/tc" "^PID +COMM|failed" 20 || grep -q failed "$T/tc"; then
		stop
		if grep -q "Operation not permitted\|not supported" "$T/tc"; then
			skip tcpconnlat "the kernel refuses fentry programs here (load: EPERM; BPF trampolines not permitted)"
		else
			fail tcpconnlat "$(why "$T/tc")"
		fi
		return
	fi
	port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
c = socket.create_connection(s.getsockname()); print(s.getsockname()[1])')
	sleep 0.5
	stop
	if grep -Eq "^[0-9]+ +python3 +4 +127.0.0.1 +[0-9]+ +127.0.0.1 +$port +[0-9]+\.[0-9]{2}$" "$T/tc"; then
		pass "tcpconnlat: connect latency to port $port"
	else
		fail tcpconnlat "$(why "$T/tc")"
	fi
}

t_bootstrap
t_bootstrap_duration
t_execve "ring buffer" ""
t_execve "perf buffer (--force-perfbuf)" "--force-perfbuf"
t_opensnoop
t_runqlat
t_sockfilter
t_sockops
t_uprobe
t_xdp
t_lsm
t_kprobe
t_tcpconnlat
exit 0
