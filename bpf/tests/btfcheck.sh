# bpf/tests/btfcheck.sh — sourced by run.sh: the BTF checks of
# bpf_btfcheck.c. Objects with one field of .BTF or .BTF.ext damaged
# (btfbad.c; several crash or hang libbpf 1.1 unchecked) must be refused by
# a host load with a line naming what is wrong, the process alive; every
# object the build compiled must pass. Then a short run of the fuzz target
# on whole objects (fuzz_bpfobj.c).

BB=$OUT/btfbad
BAD=$OUT/btfbad.d

bb_build() {
	$CC -std=gnu11 -O1 -g -Wall -Wextra -I. -D_GNU_SOURCE bpf/tests/btfbad.c \
		bpf/bpf_btfcheck.c -o "$BB" -lelf >>"$log" 2>&1
}

# Every case through the host's load (fake instance, cache on): status 1,
# the line, no signal. The btfcache helper (btfcache.sh built it) loads.
bb_cases() {
	rm -rf "$BAD"
	mkdir -p "$BAD"
	if ! "$BB" make "$OUT/core.bpf.o" "$BAD" >"$BAD/cases" 2>>"$log"; then
		fail "btf check: damaged objects" "btfbad make failed (see $log)"
		return
	fi
	tab=$(printf '\t')
	while IFS="$tab" read -r name re; do
		timeout 20 "$OUT/btfcache" load -d "$BAD/cache" "$BAD/$name.bpf.o" \
			>/dev/null 2>"$BAD/$name.err"
		rc=$?
		line=$(grep "loading BPF object failed" "$BAD/$name.err")
		if [ $rc = 1 ] && echo "$line" | grep -Eq "$re"; then
			echo "PASS: btf check: $name refused: $(echo "$line" | sed 's/.*failed: //')"
		else
			fail "btf check: $name" "exit $rc (want 1 and /$re/): $(head -c 300 "$BAD/$name.err" | tr '\n' ' ')"
		fi
	done <"$BAD/cases"
	[ "$(grep -c . "$BAD/cases")" -ge 39 ] ||
		fail "btf check: damaged objects" "only $(grep -c . "$BAD/cases") cases made from core.bpf.o"
}

# No false alarms: every object this suite, the examples and the benchmarks
# compiled passes (other suites keep deliberately broken ones).
bb_accepts() {
	objs=$(find "$OUT" "$ROOT/build/examples" "$ROOT/build/bench" -name '*.bpf.o' \
		! -name 'two-ext*' ! -name 'core-neg*' ! -path "$BAD/*" 2>/dev/null)
	out=$("$BB" check $objs)
	rc=$?
	n=$(echo "$objs" | grep -c .)
	if [ $rc = 0 ]; then
		echo "PASS: btf check: all $n compiled objects pass"
	else
		fail "btf check: compiled objects" "$(echo "$out" | grep -v '^ok' | head -3 | tr '\n' ' ')"
	fi
}

# Seeds for fuzz_bpfobj (run.sh's fuzz_run): this suite's objects with
# their "wbt_" programs renamed, so the leak counts of concurrent runs never
# see the fuzzer's.
bpfobj_corpus() {
	for o in "$OUT"/*.bpf.o; do
		case $o in *two-ext* | *core-neg*) continue ;; esac
		perl -0777 -pe 's/wbt_/wfz_/g' "$o" >"$1/$(basename "$o")"
	done
}

if ! bb_build; then
	fail "btf check: build" "see $log"
else
	bb_cases
	bb_accepts
	leak_check "btf check"
fi
fuzz_run fuzz_bpfobj "$OUT/fuzz-bpfobj" bpfobj_corpus
