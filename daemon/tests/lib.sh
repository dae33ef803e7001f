# daemon/tests/lib.sh — what the daemon's test scripts share, sourced
# after they set SUITE (the name their lines start with) and DPID="".

pass() { echo "PASS: $SUITE $1"; }
fail() { echo "FAIL: $SUITE $1: $2"; }
skip() { echo "SKIP: $SUITE $1: $2"; }
# verdict NAME WHY: PASS or FAIL by the status of the command before.
verdict() {
	if [ $? = 0 ]; then pass "$1"; else fail "$1" "$2"; fi
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

# The BPF program ids a process holds (from its descriptors).
prog_ids() {
	grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u
}
