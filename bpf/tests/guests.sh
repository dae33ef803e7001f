# bpf/tests/guests.sh — sourced by run.sh: the suite's C guest (guest.c,
# guest_hostile.c, with test.bpf.o and pin.bpf.o embedded; guest-lost.wasm
# also calls wasm-bpf's own import; guest-ring.wasm, guest_ring.c, reads
# ring buffers mapped into its memory through the SDK, with ring.bpf.o) run by build/bin/wasm-bpf, one
# scenario per case, each followed by a leak check. Scenarios that wait for
# an outside event print "attached"; the case then runs its trigger (the
# `trigger` helper, or a signal to the runtime).

WASM_BPF=${WASM_BPF:-$ROOT/build/bin/wasm-bpf} # another build (ASan) may be given
GUEST=$OUT/guest.wasm
TRIG=$OUT/trigger

guests_skip() {
	echo "SKIP: guests: $1"
}

embed() { # NAME: $OUT/NAME.bpf.o as the C array NAME_bpf_obj
	od -An -v -tx1 "$OUT/$1.bpf.o" | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' |
		{ echo "static const unsigned char $1_bpf_obj[] = {"; cat; echo "};"; } \
		>"$OUT/$1_bpf_obj.h"
}

guests_build() {
	embed test && embed pin && embed ring || return 1
	for v in "" -lost; do
		clang --target=wasm32-wasi -O2 -Wall -Wextra -Wno-unused-parameter \
			-I"$OUT" -Wl,--export-table ${v:+-DWBT_LOST} bpf/tests/guest.c \
			bpf/tests/guest_hostile.c -o "$OUT/guest$v.wasm" >>"$log" 2>&1 ||
			return 1
	done
	clang --target=wasm32-wasi -O2 -Wall -Wextra -Wno-unused-parameter \
		-I"$OUT" -Isdk/c/include -Ibpf/tests -Wl,--export-table \
		bpf/tests/guest_ring.c -o "$OUT/guest-ring.wasm" >>"$log" 2>&1 ||
		return 1
	$CC -O2 -Wall -Wextra bpf/tests/trigger.c -o "$TRIG" >>"$log" 2>&1
}

guest_wait_attached() { # FILE
	i=0
	while [ $i -lt 100 ]; do
		grep -q '^attached' "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# guest_case NAME WANT_STATUS TRIGGER RUNTIME_ARGS...
guest_case() {
	name=$1 want=$2 trig=$3
	shift 3
	out=$OUT/guest-$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-').out
	# a stale "attached" of an earlier run would send the signal before
	# wasm-bpf handles it (a background job of sh ignores SIGINT)
	rm -f "$out" "$out.err"
	"$WASM_BPF" --timeout 30 "$@" >"$out" 2>"$out.err" &
	pid=$!
	note=
	t0=$(date +%s%N)
	if [ -n "$trig" ]; then
		if guest_wait_attached "$out"; then
			t0=$(date +%s%N)
			eval "$trig" >>"$out.err" 2>&1 || note=" (trigger failed)"
		else
			note=" (never attached)"
		fi
	fi
	wait $pid
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	# a signal must end a blocked poll promptly, not at the next timeout
	case $trig in kill*) [ $ms -lt 1000 ] || note="$note (took ${ms} ms)" rc=slow ;; esac
	if [ "$rc" = "$want" ]; then
		echo "PASS: guest: $name"
	else
		fail "guest: $name" "exit $rc, want $want$note: $(tail -n 3 "$out.err" | tr '\n' ' ')"
	fi
	leak_check "guest $name"
}

# Two instances at once, each with a map pinned by name, beside a pin of
# that name the suite planted where upstream would pin: neither instance
# sees the planted map or the other's, and nothing of theirs stays under
# /sys/fs/bpf.
guest_pins() {
	name="guest: pinned maps stay private to each instance"
	planted=/sys/fs/bpf/wbt_pinned
	if ! mountpoint -q /sys/fs/bpf; then
		guests_skip "pins: no bpffs at /sys/fs/bpf"
		return
	fi
	if [ -e $planted ]; then
		guests_skip "pins: $planted exists already"
		return
	fi
	if ! bpftool map create $planted type hash key 4 value 8 entries 4 \
		name wbt_pinned 2>>"$log" ||
		! bpftool map update pinned $planted key 1 0 0 0 \
			value 0xad 0xb 0 0 0 0 0 0 2>>"$log"; then
		rm -f $planted
		fail "$name" "cannot plant $planted (see $log)"
		return
	fi
	base_before=no
	[ -e /sys/fs/bpf/wasm-bpf ] && base_before=yes
	out=$OUT/guest-pins
	"$WASM_BPF" --timeout 30 "$GUEST" pin 0xa1 >"$out-a" 2>&1 &
	pa=$!
	"$WASM_BPF" --timeout 30 "$GUEST" pin 0xb2 >"$out-b" 2>&1 &
	pb=$!
	wait $pa
	ra=$?
	wait $pb
	rb=$?
	value=$(bpftool map lookup pinned $planted key 1 0 0 0 2>&1 | tr -d '\n')
	left=$(ls /sys/fs/bpf/wasm-bpf 2>/dev/null | grep -E -- "-($pa|$pb)-")
	[ $base_before = no ] && [ -e /sys/fs/bpf/wasm-bpf ] &&
		left="$left /sys/fs/bpf/wasm-bpf"
	rm -f $planted
	if [ $ra = 0 ] && [ $rb = 0 ] && [ -z "$left" ] &&
		[ "$value" = "key: 01 00 00 00  value: ad 0b 00 00 00 00 00 00" ]; then
		echo "PASS: $name"
	else
		fail "$name" "exits $ra $rb, left: ${left:-nothing}, planted: $value; $(cat "$out-a" "$out-b" | tr '\n' ' ')"
	fi
	leak_check "guest pins"
	# every other way a run ends removes its pins too
	guest_pin_end "a trap in a callback" trap 134 "$TRIG getpgid 1"
	guest_pin_end "proc_exit in a callback" exit 7 "$TRIG getpgid 1"
	guest_pin_end "Ctrl-C" wait 0 'kill -INT $pid'
	guest_pin_end "SIGTERM" wait 0 'kill -TERM $pid'
}

guest_pin_end() { # WHAT MODE WANT TRIGGER
	guest_case "pinned map, then $1" "$3" "$4" "$GUEST" pin-end "$2"
	left=$(ls /sys/fs/bpf/wasm-bpf 2>/dev/null | grep -- "-$pid-")
	if [ -z "$left" ]; then
		echo "PASS: guest: pins removed after $1"
	else
		fail "guest: pins removed after $1" "left /sys/fs/bpf/wasm-bpf/$left"
		rm -rf "/sys/fs/bpf/wasm-bpf/$left"
	fi
}

# Maps named wbt_ring_small (ring.bpf.o) alive now: a guest's mapping
# holds one, so none may be left once its object closed or its run ended.
ring_maps() {
	bpftool map list 2>/dev/null | grep -c ' name wbt_ring_small '
}

# ring_maps_case: guest_case, then no ring map of the guest's left (the
# kernel frees a map a moment after its last reference: 3 s at most).
ring_maps_case() {
	guest_case "$@"
	i=0
	while [ "$(ring_maps)" != 0 ] && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	left=$(ring_maps)
	if [ "$left" = 0 ]; then
		echo "PASS: guest: no ring buffer map left after $1"
	else
		fail "guest: no ring buffer map left after $1" "$left left"
	fi
}

ring_write_said() { # WHAT: the run said why it ended
	if grep -q "out of bounds memory access\|read-only" "$out.err"; then
		echo "PASS: guest: mapped ring: a write into it ($1) is reported"
	else
		fail "guest: mapped ring: a write into it ($1) is reported" "$(tail -n 2 "$out.err" | tr '\n' ' ')"
	fi
}

# A mapping holds its map: one while mapped, none once the guest closed
# the object (the process still running; the kernel frees a map a moment
# after its last reference goes).
ring_lifetime() {
	for s in mapped:1 closed:0; do
		guest_case "mapped ring: $s" 0 \
			'sleep 0.5; ring_maps >"$OUT/ring-maps"' "$OUT/guest-ring.wasm" ${s%:*}
		n=$(cat "$OUT/ring-maps" 2>/dev/null)
		if [ "$n" = "${s#*:}" ]; then
			echo "PASS: guest: mapped ring: ${s#*:} map alive while ${s%:*}"
		else
			fail "guest: mapped ring: ${s#*:} map alive while ${s%:*}" "$n"
		fi
	done
}

if [ ! -x "$WASM_BPF" ]; then
	guests_skip "no build/bin/wasm-bpf (run make first)"
elif ! cp "$WASM_BPF" "$OUT/wasm-bpf"; then
	fail "guests: runtime" "cannot copy $WASM_BPF"
elif ! guests_build; then
	fail "guests: build" "see $log"
else
	# a snapshot: others may rebuild build/bin while the suite runs
	WASM_BPF=$OUT/wasm-bpf
	ncpus=$(( $(sed 's/.*-//' /sys/devices/system/cpu/possible) + 1 ))
	guest_case "ring buffer records in order" 0 "$TRIG getpgid 7" \
		"$GUEST" ringbuf
	guest_case "TinyGo callback-wrapper poll calls go-callback" 0 \
		"$TRIG getpgid 7" "$GUEST" go
	guest_case "perf buffer map" 0 "$TRIG getpgid 7" "$GUEST" perfbuf
	guest_case "poll timeouts: 0, one slice, several slices" 0 "" \
		"$GUEST" timeouts
	guest_case "forced perf buffer fallback" 0 "$TRIG getpgid 7" \
		--force-perfbuf "$GUEST" fallback
	guest_case "map commands on array, hash, per-CPU, LRU" 0 "" \
		"$GUEST" maps "$ncpus"
	guest_case "CO-RE against --btf FILE" 0 "" \
		--btf /sys/kernel/btf/vmlinux "$GUEST" maps "$ncpus"
	guest_case "hostile arguments all refused" 0 "" -v "$GUEST" hostile "$ncpus"
	# refusals that would otherwise be silent say why
	if grep -q "loading BPF object failed: object at 0xfffffff0 of 100 bytes is outside guest memory" "$out.err" &&
		grep -q "loading BPF object failed: empty object" "$out.err" &&
		grep -q "update of map 'prog_array' (prog_array) refused: [0-9]* is not a program of the guest's" "$out.err"; then
		echo "PASS: guest: refused loads and map updates say why"
	else
		fail "guest: refused loads and map updates say why" "$(grep '^wasm_bpf' "$out.err" | head -n 5 | tr '\n' ' ')"
	fi
	guest_case "uprobe on a binary" 0 "$TRIG uprobe 3" \
		"$GUEST" uprobe "$TRIG:wasm_bpf_test_probe"
	if [ -n "${BPF_TEST_IF:-}" ]; then
		guest_case "XDP on a veth interface" 0 \
			"$TRIG udp $BPF_TEST_NETNS $BPF_TEST_ADDR" \
			"$GUEST" xdp "$BPF_TEST_IF"
	else
		guests_skip "XDP: no network namespace"
	fi
	if [ -n "${BPF_TEST_CGROUP:-}" ]; then
		guest_case "cgroup program through a preopened directory" 0 \
			"$TRIG cgroup $BPF_TEST_CGROUP" \
			--dir "$BPF_TEST_CGROUP::/cg" "$GUEST" cgroup
	else
		guests_skip "cgroup: no cgroup v2 hierarchy"
	fi
	guest_case "Ctrl-C during a poll: -EINTR, the guest returns" 0 \
		'kill -INT $pid' "$GUEST" until-eintr
	guest_case "SIGTERM during a poll, EINTR ignored: interrupted after --stop-timeout" \
		0 'kill -TERM $pid' --stop-timeout 0.3 "$GUEST" forever
	guest_case "trap inside a callback" 134 "$TRIG getpgid 1" "$GUEST" trap
	guest_case "proc_exit inside a callback" 7 "$TRIG getpgid 1" \
		"$GUEST" exit
	guest_case "object left open at exit" 0 "" "$GUEST" leave-open
	R=$OUT/guest-ring.wasm
	guest_case "mapped ring: bad arguments refused; records in order, a callback's value stops the poll, the next resumes; perf buffers record by record" \
		0 "$TRIG getpgid 7" "$R" ring
	guest_case "mapped ring: 3000 records of many sizes wrapping a one-page ring, discarded ones skipped" \
		0 "$TRIG sizes 3000" "$R" sizes 3000
	guest_case "mapped ring: the same under --interp" 0 "$TRIG sizes 3000" \
		--interp "$R" sizes 3000
	ring_maps_case "mapped ring: Ctrl-C during a wait: -EINTR, the guest returns" 0 \
		'kill -INT $pid' "$R" eintr
	ring_maps_case "mapped ring: SIGTERM, EINTR ignored: interrupted after --stop-timeout" \
		0 'kill -TERM $pid' --stop-timeout 0.3 "$R" forever
	ring_maps_case "mapped ring: --timeout while waiting ends the run" 124 "" \
		--timeout 0.5 "$R" eintr
	for tier in "" --interp; do
		ring_maps_case "mapped ring: a store into its read-only pages traps ${tier:-(compiled)}" \
			134 "" $tier "$R" write-store
		ring_write_said "store ${tier:-(compiled)}"
		ring_maps_case "mapped ring: a host function writing into its read-only pages ends the run ${tier:-(compiled)}" \
			134 "" $tier "$R" write-host
		ring_write_said "host ${tier:-(compiled)}"
	done
	ring_lifetime
	guest_case "perf buffer records lost in a burst are counted" 0 \
		"$TRIG flood 4" -v "$OUT/guest-lost.wasm" lost
	# -v said so while running and in all at the end
	if grep -q "perf buffer 'flood_pb': [0-9]* records lost on CPU" "$out.err" &&
		grep -q "perf buffer 'flood_pb': [0-9]* records lost in all" "$out.err"; then
		echo "PASS: guest: -v reports lost perf buffer records"
	else
		fail "guest: -v reports lost perf buffer records" "$(grep -v '^libbpf' "$out.err" | tail -n 3 | tr '\n' ' ')"
	fi
	guest_pins
fi
