# daemon/tests/lib.sh — what the daemon's test scripts share, sourced
# after they set ROOT, SUITE (the name their lines start with) and TNAME
# (their directory's name). It sets D (wasm-bpfd), W (wasm-bpf), T (the
# test's directory), S (the daemon's socket, in WASM_BPFD_SOCKET for the
# client), ST (its state directory) and the image store of client and
# daemon (WASM_BPF_STORE: the test's own); the daemon's helpers also use
# DAEMON_OPTS; PIDS collects a registry's (oci/tests/lib.sh).

D=$ROOT/build/bin/wasm-bpfd
W=$ROOT/build/bin/wasm-bpf
T=$(mktemp -d "/tmp/wbpf-$TNAME.XXXXXX")
S=$T/api.sock
ST=$T/state
DPID=""
PIDS=""
export WASM_BPFD_SOCKET=$S
export WASM_BPF_STORE=$T/store

pass() { echo "PASS: $SUITE $1"; }
fail() { echo "FAIL: $SUITE $1: $2"; }
skip() { echo "SKIP: $SUITE $1: $2"; }
# verdict NAME WHY: PASS or FAIL by the status of the command before.
verdict() {
	if [ $? = 0 ]; then pass "$1"; else fail "$1" "$2"; fi
}

# start_daemon [OPTION]...: $D on $S and $ST with $DAEMON_OPTS and the
# options, its output appended to $T/daemon.log; 0 once it answers.
start_daemon() {
	# shellcheck disable=SC2086
	"$D" --socket "$S" --state-dir "$ST" ${DAEMON_OPTS:-} "$@" >>"$T/daemon.log" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		[ -S "$S" ] && curl -s --unix-socket "$S" http://d/v1/plugins >/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# api METHOD PATH [BODY]: prints the HTTP status, the body into $T/body.
api() {
	curl -s --unix-socket "$S" -o "$T/body" -w '%{http_code}' -X "$1" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "http://d$2"
}
# field ID KEY: one field of a plugin's JSON.
field() {
	curl -s --unix-socket "$S" "http://d/v1/plugins/$1" |
		python3 -c "import json,sys; print(json.load(sys.stdin).get('$2',''))"
}

# Stops the daemon $DPID (SIGTERM, SIGKILL after 10 s); its status in DRC.
stop_daemon() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DRC=$?
	DPID=""
}

# On any exit: the daemon, a second one ($UPID), registries ($PIDS, from
# oci/tests/lib.sh) stopped, and the test's directory removed (kept with
# KEEP=1). Sourcing this installs it.
cleanup() {
	stop_daemon
	[ -n "${UPID:-}" ] && kill -KILL "$UPID" 2>/dev/null
	for p in ${PIDS:-}; do kill "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The BPF program ids a process holds (from its descriptors).
prog_ids() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u
}
