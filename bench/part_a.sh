# bench/part_a.sh — sourced by bench/run.sh: Part A, the engine against
# native code and peers. Each kernel (bench/engine/*.c) times its own work
# and prints a checksum; every runner's checksum must equal native's.
# Runners are interleaved within each repetition to spread machine noise.
# Then module load (decode + validate + translate) throughput.
A_KERNELS="sieve mandel sort calls mix"
A_SCALE=1
A_REPS=${BENCH_REPS:-5}
if [ $SMOKE = 1 ]; then
	A_SCALE=0.02
	A_REPS=1
fi
E=$OUT/engine

a_runner_ok() { # RUNNER — can it run here?
	case $1 in
	native) return 0 ;;
	wasm-bpf) [ -x "$WASM_BPF" ] ;;
	wasm-bpf-jit) [ -x "$WASM_BPF" ] && [ "$(uname -m)" = x86_64 ] ;;
	node) command -v node >/dev/null ;;
	wasm2c) [ -x "$E/sieve.w2c" ] ;;
	esac
}

a_run() { # RUNNER KERNEL
	case $1 in
	native) timeout 300 "$E/$2.native" $A_SCALE ;;
	wasm-bpf) WASM_BPF_JIT=0 timeout 300 "$WASM_BPF" "$E/$2.wasm" $A_SCALE ;;
	wasm-bpf-jit) WASM_BPF_JIT=1 timeout 300 "$WASM_BPF" "$E/$2.wasm" $A_SCALE ;;
	node) timeout 300 node --no-warnings "$ROOT/bench/engine/node-wasi.mjs" \
		"$E/$2.wasm" $A_SCALE ;;
	wasm2c) timeout 300 "$E/$2.w2c" $A_SCALE ;;
	esac
}

A_RUNNERS=
for r in native wasm-bpf wasm-bpf-jit node wasm2c; do
	if a_runner_ok $r; then
		A_RUNNERS="$A_RUNNERS $r"
	else
		case $r in
		wasm2c) why="wabt's wasm-rt runtime sources not found" ;;
		wasm-bpf-jit) why="the compiling tier is x86-64 only" ;;
		*) why="not installed or not built" ;;
		esac
		skip "kernels: $r" "$why"
	fi
done

a_kernels() {
	for rep in $(seq "$A_REPS"); do
		for k in $A_KERNELS; do
			for r in $A_RUNNERS; do
				out=$(a_run $r $k 2>"$RAW/A.$k.$r.err")
				rc=$?
				line=$(printf '%s\n' "$out" | grep "^$k checksum=" | tail -n 1)
				ns=$(kv ns "$line")
				cpu=$(kv cpu_ns "$line")
				sum=$(kv checksum "$line")
				if [ $rc != 0 ] || [ -z "$ns" ]; then
					bad "kernel $k on $r" "exit $rc: $(tail -n 2 "$RAW/A.$k.$r.err" | tr '\n' ' ')$out"
					continue
				fi
				echo "$ns" >>"$RAW/A.$k.$r.ns"
				echo "$cpu" >>"$RAW/A.$k.$r.cpu"
				[ $r = native ] && echo "$sum" >"$RAW/A.$k.sum"
				want=$(cat "$RAW/A.$k.sum" 2>/dev/null)
				if [ "$sum" != "$want" ]; then
					bad "kernel $k on $r" "checksum $sum, native $want"
					rm -f "$RAW/A.$k.$r.ns" "$RAW/A.$k.$r.cpu"
				fi
			done
		done
	done
}

# a_table_for EXT TITLE — one table over $RAW/A.KERNEL.RUNNER.EXT
a_table_for() {
	echo
	echo "Part A — compute kernels, $2, median (min-max) of $A_REPS runs; xN = / native"
	printf '%-8s %-22s' kernel "native ms"
	for r in $A_RUNNERS; do
		[ $r = native ] || printf ' %-30s' "$r ms"
	done
	echo
	rm -f "$RAW"/A.ratio.*
	for k in $A_KERNELS; do
		nat=$(stats 2>/dev/null <"$RAW/A.$k.native.$1" || echo "nan nan nan 0")
		printf '%-8s %-22s' $k "$(rng "$nat" 1e-6 1)"
		j="{\"kernel\":\"$k\",\"clock\":\"$1\",$(jstat native_ms "$nat" 1e-6)"
		for r in $A_RUNNERS; do
			[ $r = native ] && continue
			s=$(stats 2>/dev/null <"$RAW/A.$k.$r.$1" || echo "nan nan nan 0")
			x=$(ratio "${s%% *}" "${nat%% *}")
			printf ' %-30s' "$(rng "$s" 1e-6 1) x$x"
			j="$j,$(jstat "${r}_ms" "$s" 1e-6),\"${r}_ratio\":$([ "$x" = - ] && echo null || echo $x)"
			[ "$s" != "nan nan nan 0" ] && [ $1 = cpu ] && ok "kernel $k on $r"
			echo "$x" >>"$RAW/A.ratio.$r"
			[ $r = wasm-bpf ] && [ $k = mix ] && eval "MIX_RATIO_$1=$x"
		done
		echo
		json kernels "$j}"
		[ -s "$RAW/A.$k.native.$1" ] && [ $1 = cpu ] && ok "kernel $k on native"
	done
	printf '%-8s %-22s' geomean ""
	for r in $A_RUNNERS; do
		[ $r = native ] && continue
		g=$(grep -v '^-' "$RAW/A.ratio.$r" 2>/dev/null |
			awk '{ s += log($1); n++ } END { if (n) printf "%.2f", exp(s / n); else print "-" }')
		printf ' %-30s' "x$g"
		json kernels_geomean "{\"runner\":\"$r\",\"clock\":\"$1\",\"ratio\":$([ "$g" = - ] && echo null || echo $g)}"
	done
	echo
}

a_table() {
	a_table_for cpu "ms of process CPU time of the kernel's own work (robust to preemption; node's includes V8 compiler threads)"
	a_table_for ns "ms of wall-clock time of the kernel's own work"
	MIX_RATIO=${MIX_RATIO_cpu:--}
}

# Load throughput: modules from large to small.
a_load() {
	ms=300
	[ $SMOKE = 1 ] && ms=20
	mods=
	for f in "$E/big.wasm" "$E/ttf.wasm" "$E/mix.wasm" \
		"$OUT/bpf/bpfbench.wasm" "$ROOT/build/examples/bootstrap/bootstrap.wasm" \
		"$ROOT/build/examples/runqlat/runqlat.wasm"; do
		[ -f "$f" ] && mods="$mods $f"
	done
	[ $SMOKE = 1 ] || [ -f "$E/big.wasm" ] || skip "load: big.wasm" "not built (make bench-build)"
	echo
	echo "Part A — load + validate + translate (wasm_module__load), ${ms} ms of repeats per module, median (min-max)"
	echo "  CPU = the thread's CPU time (what the engine costs); wall also counts preemption on a busy machine"
	printf '%-15s %8s %8s %-24s %-24s %s\n' module bytes "code B" "CPU ms" "wall ms" "MB/s code: CPU | wall"
	# Twice: the interpreter's load, then with compilation to machine code.
	: >"$RAW/A.load"
	for jit in 0 1; do
		if ! WASM_BPF_JIT=$jit "$E/loadtime" -t $ms $mods \
			>"$RAW/A.load.$jit" 2>"$RAW/A.load.err"; then
			bad "load throughput" "$(tail -n 2 "$RAW/A.load.err" | tr '\n' ' ')"
			return
		fi
		sed "s/^\([^ ]* [^ ]*\)/\1:jit=$jit/" "$RAW/A.load.$jit" >>"$RAW/A.load"
	done
	while read -r _ f rest; do
		b=$(kv bytes "$rest") c=$(kv code "$rest") n=$(kv runs "$rest")
		w="$(kv median_ns "$rest") $(kv min_ns "$rest") $(kv max_ns "$rest") $n"
		u="$(kv cpu_median_ns "$rest") $(kv cpu_min_ns "$rest") $(kv cpu_max_ns "$rest") $n"
		mbs=$(num "$c / ${u%% *} * 1000")
		mbw=$(num "$c / ${w%% *} * 1000")
		name=$(basename "${f%:jit=*}")
		[ "${f##*:jit=}" = 1 ] && name="$name+jit"
		printf '%-15s %8s %8s %-24s %-24s %s\n' "$name" "$b" "$c" \
			"$(rng "$u" 1e-6 3)" "$(rng "$w" 1e-6 3)" "$mbs | $mbw"
		json load "{\"module\":\"$name\",\"bytes\":$b,\"code_bytes\":$c,$(jstat cpu_ms "$u" 1e-6),$(jstat wall_ms "$w" 1e-6),\"code_mb_per_s_cpu\":$mbs,\"code_mb_per_s_wall\":$mbw}"
		case $name in
		big.wasm) LOAD_BIG=$mbs ;;
		ttf.wasm) LOAD_TTF=$mbs ;;
		esac
	done <"$RAW/A.load"
	ok "load throughput"
}

LOAD_BIG=- LOAD_TTF=- MIX_RATIO=-
a_kernels
a_table
a_load
