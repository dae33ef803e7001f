# bench/part_d.sh — sourced by bench/run.sh: Part D, the plugin daemon
# (wasm-bpfd) against separate `wasm-bpf` processes, in the real kernel
# (root). A daemon of this run's own (socket and state in $RAW/daemon);
# the measurements are bench/daemon/dbench.py's:
#   memory     the daemon's RSS per bootstrap plugin (idle daemon against
#              the same daemon with 20 attached) vs one `wasm-bpf
#              bootstrap` process's RSS
#   start-up   `wasm-bpf run -d bootstrap.wasm` until the command returned
#              and until the plugin holds its link, vs `wasm-bpf
#              bootstrap.wasm` until its first line (printed once attached)
#   events     20 consumers of bench.bpf.o's ring buffer, paused while
#              100000 records are written to each ring, then let go:
#              records/s until every one is delivered, 20 plugins of one
#              daemon vs 20 processes (the daemon's side is read from its
#              API every 5 ms, which it pays for)
# Daemon and processes alternate within each repetition.
D_REPS=${BENCH_REPS:-5}
D_N=20 D_K=100000 D_EV_REPS=$D_REPS
[ $SMOKE = 1 ] && D_REPS=1 D_N=2 D_K=200 D_EV_REPS=1
DD=$RAW/daemon

d_py() { # ARGS...: one dbench line, or a FAIL naming what failed
	timeout 300 python3 "$ROOT/bench/daemon/dbench.py" "$@" 2>>"$DD/err"
}

d_main() {
	DAEMON=$ROOT/build/bin/wasm-bpfd
	BOOT=$ROOT/build/examples/bootstrap/bootstrap.wasm
	BB=$OUT/bpf/bpfbench.wasm
	if [ "$(id -u)" != 0 ]; then
		skip daemon "needs root (BPF programs in the kernel)"
		return
	fi
	for f in "$DAEMON" "$BOOT" "$BB"; do
		[ -e "$f" ] || { skip daemon "no $f (make all bench-build)"; return; }
	done
	mkdir -p "$DD"
	: >"$DD/err"
	# Its plugins and the processes share this run's CO-RE BTF cache,
	# warmed by one untimed run.
	WASM_BPF_CACHE_DIR=$RAW/cache-daemon
	export WASM_BPF_CACHE_DIR
	cp "$DAEMON" "$DD/wasm-bpfd"
	"$DD/wasm-bpfd" --socket "$DD/sock" --state-dir "$DD/state" >"$DD/log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do [ -S "$DD/sock" ] && break; sleep 0.05; done
	d_py proc "$WASM_BPF" "$BOOT" >/dev/null
	for rep in $(seq "$D_REPS"); do
		d_py start "$DD/sock" "$WASM_BPF" "$BOOT" >>"$DD/start" &&
			d_py proc "$WASM_BPF" "$BOOT" >>"$DD/proc" ||
			{ bad "daemon start-up" "$(tail -c 200 "$DD/err")"; break; }
	done
	for rep in $(seq "$D_EV_REPS"); do
		d_py mem "$DD/sock" "$dpid" "$WASM_BPF" "$BOOT" "$D_N" >>"$DD/mem" &&
			d_py events "$DD/sock" "$WASM_BPF" "$BB" "$D_N" "$D_K" >>"$DD/events" ||
			{ bad "daemon memory and events" "$(tail -c 200 "$DD/err")"; break; }
	done
	kill -TERM "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
	unset WASM_BPF_CACHE_DIR
	col() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$DD/$1" | stats; }
	echo
	echo "Part D — wasm-bpfd against separate wasm-bpf processes (bootstrap; bench.bpf.o's ring buffer), median (min-max)"
	printf '%-34s %-24s %-24s %s\n' "" wasm-bpfd "wasm-bpf processes" ratio
	if [ -s "$DD/mem" ] && [ -s "$DD/proc" ]; then
		pp=$(col mem per_plugin_kb) pr=$(col proc rss_kb) idle=$(col mem idle_kb)
		x=$(ratio "${pp%% *}" "${pr%% *}")
		printf '%-34s %-24s %-24s x%s\n' "RSS per tool, MB" "$(rng "$pp" 0.0009765625 2)" \
			"$(rng "$pr" 0.0009765625 2)" "$x"
		echo "  (idle daemon $(rng "$idle" 0.0009765625 1) MB; per plugin: (RSS with $D_N plugins - idle) / $D_N, $D_EV_REPS runs)"
		json daemon "{\"what\":\"rss_per_tool_kb\",$(jstat daemon "$pp"),$(jstat process "$pr"),$(jstat daemon_idle "$idle"),\"ratio\":$([ "$x" = - ] && echo null || echo $x)}"
		ok "daemon memory per plugin"
	fi
	if [ -s "$DD/start" ]; then
		rd=$(col start run_d_ms) at=$(col start attached_ms) fl=$(col proc first_line_ms)
		x=$(ratio "${at%% *}" "${fl%% *}")
		printf '%-34s %-24s %-24s x%s\n' "start-up until attached, ms" "$(rng "$at" 1 1)" "$(rng "$fl" 1 1)" "$x"
		echo "  (run -d returns after $(rng "$rd" 1 1) ms; $D_REPS runs)"
		json daemon "{\"what\":\"startup_ms\",$(jstat daemon "$at"),$(jstat process "$fl"),$(jstat run_d_returns "$rd"),\"ratio\":$([ "$x" = - ] && echo null || echo $x)}"
		ok "daemon start-up"
	fi
	if [ -s "$DD/events" ]; then
		de=$(col events daemon_eps) pe=$(col events procs_eps)
		x=$(ratio "${de%% *}" "${pe%% *}")
		printf '%-34s %-24s %-24s x%s\n' "$D_N consumers, M records/s" "$(rng "$de" 0.000001 2)" \
			"$(rng "$pe" 0.000001 2)" "$x"
		echo "  ($D_K records to each of $D_N rings while paused, then drained; $D_EV_REPS runs)"
		json daemon "{\"what\":\"records_per_s\",\"consumers\":$D_N,$(jstat daemon "$de"),$(jstat process "$pe"),\"ratio\":$([ "$x" = - ] && echo null || echo $x)}"
		ok "daemon events of $D_N plugins vs $D_N processes"
	fi
}
d_main
