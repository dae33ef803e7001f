# bench/lib.sh — sourced by bench/run.sh: reporting (PASS/FAIL/SKIP,
# tables), statistics (median, min, max of a column of numbers), key=value
# parsing, the machine description and bench/results.json.
failures=0

# PASS lines are kept until the tables are out (print_passes).
ok() { echo "PASS: bench: $1" >>"$RAW/passes"; }
print_passes() {
	[ $SMOKE = 1 ] && [ -f "$RAW/passes" ] && { echo; cat "$RAW/passes"; }
	rm -f "$RAW/passes"
}
bad() {
	echo "FAIL: bench: $1: $2"
	failures=$((failures + 1))
}
skip() { echo "SKIP: bench: $1: $2"; }

# stdin: numbers, one a line; stdout: "median min max count"
stats() {
	sort -g | awk '{ a[NR] = $1 }
	END {
		if (!NR) { print "nan nan nan 0"; exit }
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.6g %.6g %.6g %d\n", m, a[1], a[NR], NR
	}'
}

# kv KEY LINE — the value of KEY=VALUE in LINE
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }

# ratio A B — A/B with two decimals, or "-"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {
	if (a == "nan" || b == "nan" || b + 0 == 0) print "-"
	else printf "%.2f\n", a / b }'; }

# num EXPR — evaluates an awk expression, %.4g
num() { awk "BEGIN { printf \"%.4g\n\", $1 }"; }

# json SECTION OBJECT — one JSON object (a string) appended to SECTION
json() { printf '%s\n' "$2" >>"$RAW/json.$1"; }

# jstat NAME "median min max count" [SCALE] — "NAME":{"median":..}
jstat() {
	echo "$2" | awk -v n="$1" -v s="${3:-1}" '{
		if ($1 == "nan") { printf "\"%s\":null", n; exit }
		printf "\"%s\":{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,\"runs\":%d}",
		    n, $1 * s, $2 * s, $3 * s, $4 }'
}

# rng "median min max count" SCALE DIGITS — "median (min–max)"
rng() {
	echo "$1" | awk -v s="$2" -v d="${3:-1}" '{
		if ($1 == "nan") { print "-"; exit }
		f = "%." d "f"
		printf f " (" f "-" f ")\n", $1 * s, $2 * s, $3 * s }'
}

jstr() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

machine() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	M_CPU=${cpu:-unknown}
	M_CORES=$(nproc)
	M_KERNEL=$(uname -r)
	M_CLANG=$(clang --version 2>/dev/null | head -n 1)
	M_GCC=$(gcc --version 2>/dev/null | head -n 1)
	M_NODE=$(node --version 2>/dev/null || echo none)
	M_WABT=$(wasm2c --version 2>/dev/null || echo none)
	M_LIBBPF=$(dpkg-query -W -f '${Version}' libbpf1 2>/dev/null || echo unknown)
	M_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
	M_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	M_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	cat <<EOF
wasm-bpf benchmarks ($([ $SMOKE = 1 ] && echo smoke || echo full), $M_DATE, tree $M_REV + local changes)
  CPU      $M_CPU, $M_CORES cores
  kernel   $M_KERNEL
  clang    $M_CLANG
  gcc      $M_GCC
  node     $M_NODE;  wabt $M_WABT;  libbpf $M_LIBBPF
  load     $M_LOAD (1/5/15 min) at start
EOF
	{
		printf '{"cpu":"%s","cores":%s,"kernel":"%s",' "$(jstr "$M_CPU")" \
			"$M_CORES" "$(jstr "$M_KERNEL")"
		printf '"clang":"%s","gcc":"%s","node":"%s","wabt":"%s",' \
			"$(jstr "$M_CLANG")" "$(jstr "$M_GCC")" "$M_NODE" "$M_WABT"
		printf '"libbpf":"%s","loadavg":"%s","date":"%s","rev":"%s"}' \
			"$M_LIBBPF" "$M_LOAD" "$M_DATE" "$M_REV"
	} >"$RAW/machine.json"
}

write_json() {
	f=$OUT/results.json
	{
		printf '{"mode":"%s","machine":' "$([ $SMOKE = 1 ] && echo smoke || echo full)"
		cat "$RAW/machine.json"
		for s in $(cd "$RAW" && ls json.* 2>/dev/null | sed 's/^json\.//'); do
			printf ',"%s":[' "$s"
			paste -sd, "$RAW/json.$s" | tr -d '\n'
			printf ']'
		done
		printf ',"failures":%d}\n' "$failures"
	} >"$f"
	if command -v jq >/dev/null && ! jq . "$f" >/dev/null 2>&1; then
		bad "results.json" "not valid JSON"
		return
	fi
	ok "results.json"
	echo
	if [ $SMOKE = 1 ]; then # smoke numbers mean nothing: keep the last full run
		echo "results: $f"
	else
		cp "$f" "$ROOT/bench/results.json"
		echo "results: bench/results.json"
	fi
}
