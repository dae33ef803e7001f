# bench/part_b.sh — sourced by bench/run.sh: Part B, BPF through wasm-bpf
# against native libbpf on the same object (bench/bpf/bench.bpf.o), in the
# real kernel. Native and Wasm runs alternate within each repetition.
#   maps      ns per lookup/update/delete/get-next-key, array/hash/per-CPU
#   buffers   ring and perf buffer: paced (a producer at a known rate,
#             every record a wake-up: the per-event cost end to end),
#             streaming (producer flat out while the consumer runs) and
#             burst (records written while the consumer is stopped, then
#             drained: per-record cost without wake-ups, saturation)
#   start-up  process start until every program is attached; peak RSS;
#             with the full vmlinux BTF, a bpftool min_core_btf file, and
#             the CO-RE BTF cache warm and cold
#   size      stripped binaries and modules
B=$OUT/bpf
# wasm-bpf's CO-RE BTF cache (bpf/README.md) stays in this run's folder.
WASM_BPF_CACHE_DIR=$RAW/cache-default
export WASM_BPF_CACHE_DIR
DRIVE=$B/drive
B_REPS=${BENCH_REPS:-5}
B_MAP_N=20000
B_RB_STREAM=100000 B_PB_STREAM=20000 B_RB_BURST=100000 B_PB_BURST=600
B_STREAM_REPS=3
B_PACED_N=20000 B_PACED_RATE=20000 # one second per run
if [ $SMOKE = 1 ]; then
	B_REPS=1 B_STREAM_REPS=1 B_MAP_N=50
	B_RB_STREAM=200 B_PB_STREAM=100 B_RB_BURST=200 B_PB_BURST=100
	B_PACED_N=100
fi
MAGIC_RB=0x6bec0001
MAGIC_PB=0x6bec0002
NCPUS=$(( $(sed 's/.*-//' /sys/devices/system/cpu/possible) + 1 ))

b_cmd() { # native|wasm ARGS... — the bpfbench command line
	k=$1
	shift
	if [ $k = native ]; then
		echo "$B/bpfbench.native $*"
	else
		echo "$WASM_BPF $B/bpfbench.wasm $*"
	fi
}

# ---- map operations ------------------------------------------------------
b_maps() {
	for rep in $(seq "$B_REPS"); do
		for k in native wasm; do
			if ! timeout 120 $(b_cmd $k maps $B_MAP_N $NCPUS) \
				>"$RAW/B.maps.$k.out" 2>"$RAW/B.maps.$k.err"; then
				bad "maps ($k)" "$(tail -n 2 "$RAW/B.maps.$k.err" | tr '\n' ' ')"
				return
			fi
			sed -n 's/^map \([a-z]*\) \([a-z_]*\) ns=\([0-9.]*\) cpu_ns=/\1 \2 \3 /p' \
				"$RAW/B.maps.$k.out" >>"$RAW/B.maps.$k"
		done
	done
	echo
	echo "Part B — map operations from user space, ns per op: process CPU time (user+sys, robust to preemption), median (min-max) of $B_REPS runs x $B_MAP_N ops; wall-clock medians after"
	printf '%-5s %-9s %-22s %-22s %-6s %s\n' map op "native CPU ns" "wasm-bpf CPU ns" ratio "wall ns native | wasm (ratio)"
	for m in arr hash pcpu; do
		for op in update lookup next_key delete; do
			sel() { awk -v m=$m -v o=$op -v c=$2 '$1 == m && $2 == o { print $c }' "$RAW/B.maps.$1" | stats; }
			nat=$(sel native 4) was=$(sel wasm 4)
			nw=$(sel native 3) ww=$(sel wasm 3)
			[ "$nat" = "nan nan nan 0" ] && continue
			x=$(ratio "${was%% *}" "${nat%% *}")
			xw=$(ratio "${ww%% *}" "${nw%% *}")
			printf '%-5s %-9s %-22s %-22s %-6s %s\n' $m $op "$(rng "$nat" 1 0)" \
				"$(rng "$was" 1 0)" "x$x" "$(num "${nw%% *}") | $(num "${ww%% *}") (x$xw)"
			json maps "{\"map\":\"$m\",\"op\":\"$op\",$(jstat native_cpu_ns "$nat"),$(jstat wasm_cpu_ns "$was"),\"ratio\":$x,$(jstat native_wall_ns "$nw"),$(jstat wasm_wall_ns "$ww"),\"wall_ratio\":$xw}"
			echo "$x" >>"$RAW/B.maps.ratios"
		done
	done
	MAPS_GEO=$(awk '{ s += log($1); n++ } END { if (n) printf "%.2f", exp(s / n); else print "-" }' "$RAW/B.maps.ratios")
	MAPS_MAX=$(sort -g "$RAW/B.maps.ratios" | tail -n 1)
	echo "geomean ratio x$MAPS_GEO, worst x$MAPS_MAX"
	ok "map operations"
}

# ---- ring and perf buffers ----------------------------------------------
b_buf_run() { # KIND(ringbuf|perfbuf) MODE(stream|burst) N native|wasm
	magic=$MAGIC_RB
	[ $1 = perfbuf ] && magic=$MAGIC_PB
	p=
	[ $2 = burst ] && p=-p
	[ $2 = paced ] && p="-r $B_PACED_RATE"
	line=$(timeout 120 "$DRIVE" $p -n $3 -m $magic -- $(b_cmd $4 $1 $3) \
		2>"$RAW/B.buf.err")
	recv=$(kv recv "$line")
	if [ -z "$recv" ] || [ "$recv" = 0 ]; then
		bad "$1 $2 ($4)" "${line:-no output}: $(tail -n 2 "$RAW/B.buf.err" | tr '\n' ' ')"
		return 1
	fi
	cpu=$(kv cpu_ns "$line") wall=$(kv wall_ns "$line") drops=$(kv drops "$line")
	f=$RAW/B.$1.$2.$4
	echo "$cpu / $recv" | awk '{ print $1 / $3 }' >>"$f.percpu"
	echo "$recv / $wall" | awk '{ print $1 / $3 * 1e9 }' >>"$f.rate"
	echo $(( $3 - recv )) >>"$f.lost"
	[ "$(kv bad "$line")" = 0 ] || bad "$1 $2 ($4)" "records out of order"
	return 0
}

b_buffers() {
	for kind in ringbuf perfbuf; do
		if [ $kind = ringbuf ]; then
			ns=$B_RB_STREAM nb=$B_RB_BURST
		else
			ns=$B_PB_STREAM nb=$B_PB_BURST
		fi
		for rep in $(seq "$B_STREAM_REPS"); do
			for k in native wasm; do
				b_buf_run $kind paced $B_PACED_N $k || return
				b_buf_run $kind stream $ns $k || return
			done
		done
		for rep in $(seq "$B_REPS"); do
			for k in native wasm; do
				b_buf_run $kind burst $nb $k || return
			done
		done
	done
	echo
	echo "Part B — ring/perf buffer, 64-byte records, consumer CPU ns per record (schedstat), median (min-max)"
	echo "  paced:  $B_PACED_N records at $B_PACED_RATE/s (each one a wake-up: the per-event cost end to end), $B_STREAM_REPS runs"
	echo "  stream: $B_RB_STREAM (ring) / $B_PB_STREAM (perf) records, producer flat out on the other core, $B_STREAM_REPS runs"
	echo "  burst:  $B_RB_BURST (ring) / $B_PB_BURST (perf) records written while the consumer is stopped, then drained, $B_REPS runs"
	printf '%-8s %-7s %-22s %-22s %-6s %-30s %s\n' buffer mode "native ns/rec" \
		"wasm-bpf ns/rec" ratio "records/s native | wasm" "lost n|w"
	for kind in ringbuf perfbuf; do
		for mode in paced stream burst; do
			f=$RAW/B.$kind.$mode
			nc=$(stats <"$f.native.percpu") wc=$(stats <"$f.wasm.percpu")
			nr=$(stats <"$f.native.rate") wr=$(stats <"$f.wasm.rate")
			nl=$(awk '{ s += $1 } END { print s + 0 }' "$f.native.lost")
			wl=$(awk '{ s += $1 } END { print s + 0 }' "$f.wasm.lost")
			x=$(ratio "${wc%% *}" "${nc%% *}")
			printf '%-8s %-7s %-22s %-22s %-6s %-30s %s\n' $kind $mode \
				"$(rng "$nc" 1 0)" "$(rng "$wc" 1 0)" "x$x" \
				"$(num "${nr%% *}") | $(num "${wr%% *}")" "$nl|$wl"
			json buffers "{\"buffer\":\"$kind\",\"mode\":\"$mode\",$(jstat native_cpu_ns_per_record "$nc"),$(jstat wasm_cpu_ns_per_record "$wc"),\"ratio\":$x,$(jstat native_records_per_s "$nr"),$(jstat wasm_records_per_s "$wr"),\"native_lost\":$nl,\"wasm_lost\":$wl}"
			eval "BUF_${kind}_${mode}=$x"
		done
	done
	ok "ring buffer"
	ok "perf buffer"
}

# ---- start-up and peak memory ---------------------------------------------
b_start_run() { # NAME native|wasm CMD... — appends startup ms and RSS KB
	name=$1 k=$2
	shift 2
	line=$(timeout 60 "$DRIVE" -s -- "$@" 2>"$RAW/B.start.err")
	st=$(kv startup_ns "$line")
	if [ -z "$st" ]; then
		bad "start-up $name ($k)" "$(tail -n 2 "$RAW/B.start.err" | tr '\n' ' ')"
		return 1
	fi
	echo "$st" | awk '{ print $1 / 1e6 }' >>"$RAW/B.start.$name.$k"
	kv maxrss_kb "$line" >>"$RAW/B.rss.$name.$k"
}

# b_start_cmd APP[-VARIANT] native|wasm — the command line of one start-up
# run (none: not measured). Without a variant, the whole vmlinux BTF
# (wasm-bpf --no-btf-cache, as native libbpf); -minbtf: a bpftool
# min_core_btf file instead; -warm, -cold: wasm-bpf as it runs by default,
# with the CO-RE BTF cache (b_cache_dir), which native libbpf has not.
b_start_cmd() {
	app=${1%%-*} var=${1#"${1%%-*}"} btf= opt=--no-btf-cache
	if [ "$var" = -minbtf ]; then
		btf=$B/$app.min.btf
		[ $app = bpfbench ] && btf=$B/bench.min.btf
		opt="--btf $btf"
	elif [ -n "$var" ]; then
		[ $2 = native ] && return
		opt=
		[ "$var" = -policy ] && opt="--policy $B/policy.yaml"
	fi
	x=$ROOT/build/examples/$app/$app
	case $app-$2 in
	bpfbench-native) echo "env ${btf:+BENCH_BTF=$btf} $B/bpfbench.native attach" ;;
	bpfbench-wasm) echo "$WASM_BPF $opt $B/bpfbench.wasm attach" ;;
	*-native) [ -z "$btf" ] && echo "$x.native" ;; # examples: no BTF option
	*-wasm) echo "$WASM_BPF $opt $x.wasm" ;;
	esac
}

# b_cache_dir APP: the cache of the next run (exported): -warm rows share
# one, filled by an untimed run first; -cold rows get an empty one each
# run, so they include making the entry.
b_cache_dir() {
	case $1 in
	*-warm | *-policy) WASM_BPF_CACHE_DIR=$RAW/cache-warm ;;
	*-cold)
		WASM_BPF_CACHE_DIR=$RAW/cache-cold
		rm -rf "$WASM_BPF_CACHE_DIR"
		;;
	*) WASM_BPF_CACHE_DIR=$RAW/cache-default ;;
	esac
	export WASM_BPF_CACHE_DIR
}

b_startup() {
	apps="bpfbench bpfbench-warm"
	[ -f "$B/bench.min.btf" ] && apps="$apps bpfbench-minbtf"
	for e in bootstrap runqlat; do
		d=$ROOT/build/examples/$e
		if [ -f "$d/$e.wasm" ] && [ -x "$d/$e.native" ]; then
			apps="$apps $e $e-warm $e-policy $e-cold"
		else
			skip "start-up $e" "build/examples/$e not built"
		fi
	done
	[ -f "$B/bootstrap.min.btf" ] && case $apps in *bootstrap*) apps="$apps bootstrap-minbtf" ;; esac
	rm -rf "$RAW/cache-warm"
	# -policy: as -warm, under a policy with a rule of every kind the
	# examples touch (policy/README.md), so every check runs
	cat >"$B/policy.yaml" <<-'EOF'
	programs:
	  types: {allow: [tracepoint, tracing, raw_tracepoint, kprobe, lsm,
	                  socket_filter, sock_ops, xdp, cgroup_skb]}
	  tracepoints: {allow: ["sched:*", "syscalls:*", "*"]}
	  kprobes: {deny: ["security_*"]}
	helpers:
	  deny: [bpf_probe_write_user, bpf_override_return, bpf_send_signal]
	kfuncs: {deny: ["*"]}
	maps: {types: {deny: [hash_of_maps]}, max_memory: 64M, max_ringbuf: 16M}
	EOF
	for a in $apps; do
		case $a in *-warm) ;; *) continue ;; esac
		b_cache_dir $a
		timeout 60 "$DRIVE" -s -- $(b_start_cmd $a wasm) >/dev/null 2>&1
	done
	for rep in $(seq "$B_REPS"); do
		for a in $apps; do
			for k in native wasm; do
				cmd=$(b_start_cmd $a $k)
				[ -n "$cmd" ] || continue
				b_cache_dir $a
				b_start_run $a $k $cmd || return
			done
		done
	done
	b_cache_dir default
	echo
	echo "Part B — start-up: fork until all programs are attached (first stdout line), ms; peak RSS (wait4), KB; median (min-max) of $B_REPS runs"
	echo "  plain rows: CO-RE against the whole vmlinux BTF (wasm-bpf --no-btf-cache; native libbpf does the same)"
	echo "  -warm: wasm-bpf's default, the CO-RE BTF cache holding the object's entry; -cold: an empty cache (the entry is made)"
	echo "  -policy: as -warm, with --policy (every object scanned and checked before load)"
	echo "  -minbtf: CO-RE against a bpftool min_core_btf file (wasm-bpf --btf) instead of the whole vmlinux BTF"
	echo "  runqlat attaches by BTF id (tp_btf): libbpf reads vmlinux BTF anyway, so it has no cache entry"
	printf '%-17s %-22s %-22s %-6s %-22s %-22s\n' program "native ms" "wasm-bpf ms" ratio \
		"native RSS KB" "wasm-bpf RSS KB"
	for a in $apps; do
		n=$(stats 2>/dev/null <"$RAW/B.start.$a.native" || echo "nan nan nan 0")
		w=$(stats <"$RAW/B.start.$a.wasm")
		nr=$(stats 2>/dev/null <"$RAW/B.rss.$a.native" || echo "nan nan nan 0")
		wr=$(stats <"$RAW/B.rss.$a.wasm")
		x=$(ratio "${w%% *}" "${n%% *}")
		printf '%-17s %-22s %-22s %-6s %-22s %-22s\n' $a "$(rng "$n" 1 1)" \
			"$(rng "$w" 1 1)" "x$x" "$(rng "$nr" 1 0)" "$(rng "$wr" 1 0)"
		json startup "{\"program\":\"$a\",$(jstat native_ms "$n"),$(jstat wasm_ms "$w"),\"ratio\":$([ "$x" = - ] && echo null || echo $x),$(jstat native_rss_kb "$nr"),$(jstat wasm_rss_kb "$wr")}"
		v=$(echo "$a" | tr -- - _)
		eval "START_${v}_x=$x START_${v}_ms=${w%% *} RSS_${v}=${wr%% *}"
		ok "start-up $a"
	done
	echo "module load alone (wasm_module__load): see the load table (bpfbench.wasm, bootstrap.wasm)"
}

# ---- policy checks -------------------------------------------------------
# What --policy adds to each example's load: its objects through the
# bpf_host guard (scan + every rule), timed alone, many rounds; start-up
# differences (the -policy rows) are too coarse for sub-millisecond costs.
b_policy() {
	n=500
	[ $SMOKE = 1 ] && n=5
	[ -f "$B/policy.yaml" ] || { skip "policy checks" "no policy (start-up skipped)"; return; }
	set -- "$ROOT"/build/examples/*/*.wasm
	[ -f "$1" ] || { skip "policy checks" "build/examples not built"; return; }
	if ! "$B/policytime" "$B/policy.yaml" $n "$@" >"$RAW/B.policy" 2>"$RAW/B.policy.err"; then
		bad "policy checks" "$(head -n 2 "$RAW/B.policy.err" | tr '\n' ' ')"
		return
	fi
	echo
	echo "Part B — policy check per load: each example's BPF objects scanned and checked by the bpf_host guard (what --policy adds before wasm_load_bpf_object), µs, median (min-p90) of $n rounds; the start-up policy's rules"
	printf '%-17s %-8s %s\n' module objects "check µs"
	POLICY_WORST=0
	while read -r name objs med min p90; do
		printf '%-17s %-8s %s (%s-%s)\n' "${name%.wasm}" "$objs" "$med" "$min" "$p90"
		json policy "{\"module\":\"${name%.wasm}\",\"objects\":$objs,\"check_us\":{\"median\":$med,\"min\":$min,\"p90\":$p90}}"
		POLICY_WORST=$(awk -v a="$POLICY_WORST" -v b="$med" 'BEGIN { print (b > a ? b : a) }')
	done <"$RAW/B.policy"
	ok "policy checks"
}

# ---- sizes ---------------------------------------------------------------
fsize() { stat -c %s "$1"; }

b_sizes() {
	strip -o "$OUT/wasm-bpf.stripped" "$WASM_BPF" || { bad size "strip failed"; return; }
	WBPF_SIZE=$(fsize "$OUT/wasm-bpf.stripped")
	echo
	echo "Part B — sizes (bytes; native binaries stripped copies; libbpf, libelf, libz are shared libraries in both)"
	printf '%-28s %10s   %s\n' "wasm-bpf (stripped)" "$WBPF_SIZE" \
		"unstripped $(fsize "$WASM_BPF"); needs $(ldd "$WASM_BPF" | awk '/=>/ { printf "%s ", $1 }')"
	json sizes "{\"artifact\":\"wasm-bpf\",\"stripped_bytes\":$WBPF_SIZE,\"bytes\":$(fsize "$WASM_BPF")}"
	for d in "$ROOT"/build/examples/*/; do
		e=$(basename "$d")
		[ -f "$d/$e.wasm" ] && [ -f "$d/$e.native" ] || continue
		strip -o "$OUT/$e.native.stripped" "$d/$e.native"
		w=$(fsize "$d/$e.wasm") n=$(fsize "$OUT/$e.native.stripped")
		printf '%-28s %10s   native %s (stripped)\n' "$e.wasm" "$w" "$n"
		json sizes "{\"artifact\":\"$e\",\"wasm_bytes\":$w,\"native_stripped_bytes\":$n}"
	done
	ok "sizes"
}

# ---- targets ----------------------------------------------------------------
b_targets() {
	echo
	echo "Targets"
	t() { # DESCRIPTION VALUE CONDITION(awk, v)
		if [ "$2" = - ] || [ -z "$2" ]; then
			r="not measured"
		elif awk -v v="$2" "BEGIN { exit !($3) }"; then
			r=met
		else
			r=MISSED
		fi
		printf '  %-56s %-12s %s\n' "$1" "$2" "$r"
		json targets "{\"target\":\"$1\",\"value\":\"$2\",\"result\":\"$r\"}"
	}
	t "mix kernel <= 8x native (CPU time)" "${MIX_RATIO:--}" "v <= 8"
	t "mix kernel <= 8x native (wall clock)" "${MIX_RATIO_ns:--}" "v <= 8"
	t "load >= 50 MB/s (big.wasm code, CPU time)" "${LOAD_BIG:--}" "v >= 50"
	t "load >= 50 MB/s (ttf.wasm code, CPU time)" "${LOAD_TTF:--}" "v >= 50"
	t "map ops <= 1.10x (worst op)" "${MAPS_MAX:--}" "v <= 1.10"
	t "map ops <= 1.10x (geomean)" "${MAPS_GEO:--}" "v <= 1.10"
	t "ring buffer per event <= 1.25x (paced)" "${BUF_ringbuf_paced:--}" "v <= 1.25"
	t "ring buffer per record <= 1.25x (stream)" "${BUF_ringbuf_stream:--}" "v <= 1.25"
	t "ring buffer per record <= 1.25x (burst)" "${BUF_ringbuf_burst:--}" "v <= 1.25"
	t "start-up <= 1.2x (bpfbench attach)" "${START_bpfbench_x:--}" "v <= 1.2"
	t "start-up <= 1.2x (bootstrap)" "${START_bootstrap_x:--}" "v <= 1.2"
	t "bootstrap start-up < 30 ms (default: warm BTF cache)" "${START_bootstrap_warm_ms:--}" "v < 30"
	t "bootstrap start-up < 30 ms (min_core_btf)" "${START_bootstrap_minbtf_ms:--}" "v < 30"
	t "policy check adds < 1 ms to start-up (bootstrap, ms)" \
		"$(awk -v p="${START_bootstrap_policy_ms:-}" -v w="${START_bootstrap_warm_ms:-}" \
			'BEGIN { if (p == "" || w == "") print "-"; else printf "%.2f", p - w }')" "v < 1"
	t "policy check per load < 1 ms (worst example median, µs)" "${POLICY_WORST:--}" "v < 1000"
	t "wasm-bpf stripped < 400 KB" "${WBPF_SIZE:--}" "v < 400 * 1024"
	t "bootstrap peak RSS < 8 MB (KB, default: warm BTF cache)" "${RSS_bootstrap_warm:--}" "v < 8192"
	t "bootstrap peak RSS < 8 MB (KB, min_core_btf)" "${RSS_bootstrap_minbtf:--}" "v < 8192"
	echo "  for comparison, not targets:"
	i() { # DESCRIPTION VALUE
		printf '  %-56s %s\n' "$1" "${2:--}"
		json targets "{\"target\":\"$1\",\"value\":\"${2:--}\",\"result\":\"info\"}"
	}
	i "bootstrap start-up ms, full vmlinux BTF" "${START_bootstrap_ms:-}"
	i "bootstrap start-up ms, cold BTF cache" "${START_bootstrap_cold_ms:-}"
	i "bootstrap peak RSS KB, full vmlinux BTF" "${RSS_bootstrap:-}"
	i "bootstrap peak RSS KB, cold BTF cache" "${RSS_bootstrap_cold:-}"
}

if [ "$(id -u)" != 0 ]; then
	for p in maps "ring buffer" "perf buffer" start-up; do skip "$p" "needs root"; done
elif [ ! -r /sys/kernel/btf/vmlinux ]; then
	for p in maps "ring buffer" "perf buffer" start-up; do skip "$p" "kernel without BTF"; done
elif [ ! -x "$B/bpfbench.native" ] || [ ! -f "$B/bpfbench.wasm" ] || [ ! -x "$WASM_BPF" ]; then
	bad "part B" "not built (make bench-build)"
else
	b_maps
	b_buffers
	b_startup
	b_policy
fi
[ -x "$WASM_BPF" ] && b_sizes
b_targets
