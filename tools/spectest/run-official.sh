#!/bin/sh
# run-official.sh — runs the official WebAssembly core testsuite (a checkout
# of github.com/WebAssembly/testsuite) with wasm-spectest: every top-level
# *.wast except the SIMD ones, converted by wast2json into a temporary
# folder. Prints one line per file and a total; exits 1 if anything failed.
#
#   tools/spectest/run-official.sh DIR [FILTER]
# SPECTEST (default build/bin/wasm-spectest) picks the runner binary;
# FILTER keeps only files whose name contains it.
set -u
dir=${1:?usage: run-official.sh TESTSUITE_DIR [FILTER]}
filter=${2:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
runner=${SPECTEST:-$root/build/bin/wasm-spectest}
[ -x "$runner" ] || { echo "run-official: no runner at $runner" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

passed=0 failed=0 files=0 bad=0
for wast in "$dir"/*.wast; do
	name=$(basename "$wast" .wast)
	case $name in simd_*) continue ;; esac
	case $name in *"$filter"*) ;; *) continue ;; esac
	files=$((files + 1))
	mkdir -p "$tmp/$name"
	if ! wast2json "$wast" -o "$tmp/$name/$name.json" 2>"$tmp/$name/err"; then
		echo "$name: wast2json failed: $(head -1 "$tmp/$name/err")"
		bad=$((bad + 1))
		continue
	fi
	"$runner" "$tmp/$name/$name.json" >"$tmp/$name/out" 2>&1
	line=$(tail -1 "$tmp/$name/out")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "$name: runner printed no counts: $line"
		bad=$((bad + 1))
		continue
	fi
	passed=$((passed + p)) failed=$((failed + f))
	if [ "$f" = 0 ]; then
		printf '%-24s %6d passed\n' "$name" "$p"
	else
		printf '%-24s %6d passed %6d FAILED\n' "$name" "$p" "$f"
		sed '$d' "$tmp/$name/out" | head -${SPECTEST_SHOW:-5} | sed 's/^/    /'
		bad=$((bad + 1))
	fi
done
echo "files: $files, with failures: $bad"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$bad" = 0 ]
