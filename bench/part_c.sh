# bench/part_c.sh — sourced by bench/run.sh: Part C, distribution. A
# docker-registry on a free 127.0.0.1 port (oci/tests/lib.sh) and a store
# of this run's own:
#   push, pull  MB/s for a 1 MB and a 20 MB module (the hello module of the
#               oci suite padded with a custom section); push includes
#               reading the module for its annotations and storing it,
#               pull starts from an empty store and includes verifying and
#               committing every blob
#   run REF     start-up (fork until the guest's first line, bench/bpf/
#               drive) of `run --pull never REF` against `run FILE`: what
#               the store costs (index lookup, reading and hashing blobs)
C_REPS=${BENCH_REPS:-5}
C_SIZES="1 20"
[ $SMOKE = 1 ] && C_REPS=1 C_SIZES=1
C=$RAW/oci

c_now() { date +%s%N; }

# c_mbps BYTES NS...: MB/s of each duration, one a line
c_mbps() {
	bytes=$1
	shift
	for ns in "$@"; do awk -v b="$bytes" -v n="$ns" 'BEGIN { print b / n * 1e3 }'; done
}

c_transfer() { # SIZE-MB: appends push and pull ns
	mb=$1 ref=$REG/bench/m$1:1
	rm -rf "$WASM_BPF_STORE"
	t0=$(c_now)
	"$WASM_BPF" push "$C/m$mb.wasm" "$ref" >/dev/null 2>"$C/err" || return 1
	t1=$(c_now)
	rm -rf "$WASM_BPF_STORE"
	"$WASM_BPF" pull "$ref" >/dev/null 2>>"$C/err" || return 1
	t2=$(c_now)
	echo $((t1 - t0)) >>"$C/push.$mb"
	echo $((t2 - t1)) >>"$C/pull.$mb"
}

c_start_run() { # NAME CMD...: appends start-up ms
	name=$1
	shift
	line=$(timeout 60 "$DRIVE" -s -- "$@" 2>"$C/err")
	st=$(kv startup_ns "$line")
	[ -n "$st" ] || return 1
	echo "$st" | awk '{ print $1 / 1e6 }' >>"$C/start.$name"
}

c_main() {
	DRIVE=$OUT/bpf/drive
	for t in docker-registry wat2wasm python3 curl; do
		command -v $t >/dev/null || { skip distribution "no $t (scripts/setup.sh)"; return; }
	done
	[ -x "$DRIVE" ] || { skip distribution "no $DRIVE"; return; }
	T=$C PIDS=""
	mkdir -p "$C"
	. "$ROOT/oci/tests/lib.sh"
	WASM_BPF_STORE=$C/store REGISTRY_AUTH_FILE=$C/auth.json
	export WASM_BPF_STORE REGISTRY_AUTH_FILE
	wat2wasm "$ROOT/oci/tests/hello.wat" -o "$C/hello.wasm" || { bad distribution "wat2wasm"; return; }
	for mb in $C_SIZES; do
		pad "$C/hello.wasm" $((mb * 1000000)) "$C/m$mb.wasm"
	done
	if ! start_registry bench >"$C/err" 2>&1; then
		bad distribution "$(head -c 200 "$C/err")"
		return
	fi
	for rep in $(seq "$C_REPS"); do
		for mb in $C_SIZES; do
			c_transfer $mb || { bad "push/pull ${mb} MB" "$(head -c 200 "$C/err")"; break 2; }
		done
	done
	# start-up: every size from the store and from the file, interleaved
	for mb in $C_SIZES; do
		"$WASM_BPF" pull "$REG/bench/m$mb:1" >/dev/null 2>&1
	done
	for rep in $(seq "$C_REPS"); do
		for mb in $C_SIZES; do
			c_start_run "file.$mb" "$WASM_BPF" "$C/m$mb.wasm" &&
				c_start_run "ref.$mb" "$WASM_BPF" run --pull never "$REG/bench/m$mb:1" ||
				{ bad "run REF start-up" "$(head -c 200 "$C/err")"; break 2; }
		done
	done
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	echo
	echo "Part C — distribution against docker-registry on loopback: MB/s (push: read, annotate, store, upload; pull: download, verify, commit), median (min-max) of $C_REPS runs"
	printf '%-8s %-24s %-24s\n' module "push MB/s" "pull MB/s"
	for mb in $C_SIZES; do
		[ -f "$C/pull.$mb" ] || continue
		size=$(stat -c %s "$C/m$mb.wasm")
		pu=$(c_mbps "$size" $(cat "$C/push.$mb") | stats)
		pl=$(c_mbps "$size" $(cat "$C/pull.$mb") | stats)
		printf '%-8s %-24s %-24s\n' "${mb} MB" "$(rng "$pu" 1 1)" "$(rng "$pl" 1 1)"
		json distribution "{\"module_mb\":$mb,$(jstat push_mb_s "$pu"),$(jstat pull_mb_s "$pl")}"
		ok "push/pull ${mb} MB"
	done
	echo
	echo "Part C — run start-up, fork until the guest's first line, ms: from the file vs by reference from the store (--pull never), median (min-max) of $C_REPS runs"
	printf '%-8s %-22s %-22s %s\n' module "run FILE ms" "run REF ms" ratio
	for mb in $C_SIZES; do
		[ -f "$C/start.ref.$mb" ] || continue
		f=$(stats <"$C/start.file.$mb")
		r=$(stats <"$C/start.ref.$mb")
		x=$(ratio "${r%% *}" "${f%% *}")
		printf '%-8s %-22s %-22s x%s\n' "${mb} MB" "$(rng "$f" 1 2)" "$(rng "$r" 1 2)" "$x"
		json run_ref "{\"module_mb\":$mb,$(jstat file_ms "$f"),$(jstat ref_ms "$r"),\"ratio\":$([ "$x" = - ] && echo null || echo $x)}"
		ok "run REF start-up ${mb} MB"
	done
	unset WASM_BPF_STORE REGISTRY_AUTH_FILE
}
c_main
