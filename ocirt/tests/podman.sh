# ocirt/tests/podman.sh — part (b) of the suite, sourced by run.sh: podman
# (rootful) with --runtime=wasm-bpf-oci on images built by
# ocirt/build-image.sh. Uses run.sh's pass/fail/check, $T, $O, $B, and
# records what it makes in PODMAN_CTRS/PODMAN_IMGS for its cleanup.

P="wbpf-ocirt-$$"
IMG_BOOT="localhost/$P/bootstrap:t"
IMG_GUEST="localhost/$P/guest:t"
IMG_NATIVE="localhost/$P/native:t"
BOOT_WASM=$ROOT/build/examples/bootstrap/bootstrap.wasm

podman_skip() {
	skip podman "$1"
	return 0
}

# prun NAME ARGS...: podman run with our runtime, a container of ours.
prun() {
	n=$1
	shift
	PODMAN_CTRS="$PODMAN_CTRS $P-$n"
	timeout 60 podman --runtime="$O" run --name "$P-$n" "$@"
}
# progs PID: ids of the BPF programs that process holds descriptors of.
progs() {
	for f in /proc/$1/fdinfo/*; do
		sed -n 's/^prog_id:[[:space:]]*//p' "$f" 2>/dev/null
	done | sort -u
}

podman_tests() {
	command -v podman >/dev/null && command -v buildah >/dev/null ||
		{ podman_skip "podman or buildah not installed (scripts/setup.sh)"; return; }
	podman info >"$T/podman-info" 2>&1 ||
		{ podman_skip "podman info fails: $(tail -1 "$T/podman-info")"; return; }
	[ -f "$BOOT_WASM" ] || make -s "$BOOT_WASM" >/dev/null 2>&1 ||
		{ podman_skip "no bootstrap example (make examples)"; return; }
	PODMAN_IMGS="$IMG_BOOT $IMG_GUEST $IMG_NATIVE"
	make -s image-example IMAGE="$IMG_BOOT" >"$T/img.log" 2>&1 &&
		sh "$ROOT/ocirt/build-image.sh" "$B/guest.wasm" "$IMG_GUEST" sleep >>"$T/img.log" 2>&1
	check "images built FROM scratch with buildah (make image-example)" "$(tail -3 "$T/img.log")"

	# bootstrap: exec events, ps, logs, stop, no BPF program left.
	prun boot -d --cap-add bpf,perfmon "$IMG_BOOT" >/dev/null 2>"$T/err"
	check "podman run -d of the bootstrap image" "$(cat "$T/err")"
	pid=$(podman inspect --format '{{.State.Pid}}' "$P-boot" 2>/dev/null)
	for _ in $(seq 50); do
		/bin/true
		podman logs "$P-boot" 2>/dev/null | grep -q "EXEC .*true" && break
		sleep 0.2
	done
	podman logs "$P-boot" 2>&1 | grep -q "EXEC .*true"
	check "podman logs shows the guest's exec events" "$(podman logs "$P-boot" 2>&1 | head -3)"
	podman ps --format '{{.Names}} {{.Status}}' | grep -q "^$P-boot Up"
	check "podman ps lists it Up" "$(podman ps -a --format '{{.Names}} {{.Status}}')"
	ids=$(progs "$pid")
	[ -n "$ids" ]
	check "the container process holds the BPF programs" "no program of pid $pid"
	podman stop -t 10 "$P-boot" >/dev/null 2>"$T/err" &&
		[ "$(podman inspect --format '{{.State.ExitCode}} {{.State.Status}}' "$P-boot")" = "0 exited" ]
	check "podman stop: exit status 0 (graceful stop)" "$(cat "$T/err"; podman inspect --format '{{.State.ExitCode}} {{.State.Status}}' "$P-boot")"
	left=""
	for id in $ids; do
		bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
	done
	[ -z "$left" ]
	check "no BPF program left after podman stop" "still loaded:$left"
	podman rm "$P-boot" >/dev/null 2>&1 && ! podman ps -a --format '{{.Names}}' | grep -q "^$P-boot$" &&
		! ls /run/wasm-bpf/oci 2>/dev/null | grep -q "$(podman inspect --format '{{.Id}}' "$P-boot" 2>/dev/null || echo none)"
	check "podman rm" "$(podman ps -a --format '{{.Names}}')"

	prun args --cap-add bpf,perfmon --rm "$IMG_GUEST" args "x y" z >"$T/out" 2>"$T/err" &&
		[ "$(cat "$T/out")" = "/guest.wasm args x y z" ]
	check "podman run ARGS reach the guest" "$(cat "$T/out" "$T/err")"
	prun env --cap-add bpf,perfmon --rm -e WBPF_T=from-podman "$IMG_GUEST" env WBPF_T >"$T/out" 2>"$T/err" &&
		[ "$(cat "$T/out")" = "WBPF_T=from-podman" ]
	check "podman run -e reaches the guest" "$(cat "$T/out" "$T/err")"
	mkdir -p "$T/vol" && echo "bound" >"$T/vol/f"
	prun vol --cap-add bpf,perfmon --rm -v "$T/vol:/data" "$IMG_GUEST" cat /data/f >"$T/out" 2>"$T/err" &&
		[ "$(cat "$T/out")" = "bound" ]
	check "podman run -v: a bind mount reaches the guest" "$(cat "$T/out" "$T/err")"
	prun exit --cap-add bpf,perfmon --rm "$IMG_GUEST" exit 7 >"$T/out" 2>&1
	[ $? = 7 ]
	check "podman run exits with the guest's status" "$(cat "$T/out")"

	prun int -d --cap-add bpf,perfmon "$IMG_GUEST" sleep >/dev/null 2>"$T/err"
	for _ in $(seq 50); do podman logs "$P-int" 2>/dev/null | grep -q sleeping && break; sleep 0.1; done
	podman kill -s INT "$P-int" >/dev/null 2>&1 &&
		[ "$(timeout 20 podman wait "$P-int")" = 3 ] &&
		podman logs "$P-int" 2>/dev/null | grep -q stopping
	check "podman kill -s INT: the guest winds down, its own status 3" "$(cat "$T/err"; podman ps -a --format '{{.Names}} {{.Status}}')"
	podman rm -f "$P-int" >/dev/null 2>&1
	prun deaf -d --cap-add bpf,perfmon "$IMG_GUEST" deaf >/dev/null 2>"$T/err"
	for _ in $(seq 50); do podman logs "$P-deaf" 2>/dev/null | grep -q sleeping && break; sleep 0.1; done
	podman stop -t 15 "$P-deaf" >/dev/null 2>&1 &&
		[ "$(podman inspect --format '{{.State.ExitCode}}' "$P-deaf")" = 0 ]
	check "podman stop of a guest deaf to it: interrupted after the grace period, status 0" "$(cat "$T/err"; podman ps -a --format '{{.Names}} {{.Status}}')"
	podman rm -f "$P-deaf" >/dev/null 2>&1

	prun nocap --rm "$IMG_GUEST" args >"$T/out" 2>&1
	[ $? != 0 ] && grep -q "lack CAP_BPF CAP_PERFMON" "$T/out"
	check "podman run without --cap-add bpf,perfmon: a clear error" "$(head -c 300 "$T/out")"

	# An image that is not Wasm goes to runc/crun.
	printf '#include <stdio.h>\nint main(void) { puts("native"); return 0; }\n' >"$T/native.c"
	gcc -static -O2 "$T/native.c" -o "$T/native" 2>/dev/null &&
		ctr=$(buildah from --quiet scratch) &&
		buildah copy --quiet "$ctr" "$T/native" /native >/dev/null &&
		buildah config --entrypoint '["/native"]' "$ctr" &&
		buildah commit --quiet "$ctr" "$IMG_NATIVE" >/dev/null
	buildah rm "$ctr" >/dev/null 2>&1
	# This machine's limits may be below podman's defaults.
	lim="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
	if ! podman run --rm $lim "$IMG_NATIVE" >"$T/out" 2>&1; then
		skip "a native image is handed to runc/crun" \
			"podman's own runtime cannot run it here: $(tail -1 "$T/out")"
		return
	fi
	prun native --rm $lim "$IMG_NATIVE" >"$T/out" 2>&1 && [ "$(cat "$T/out")" = native ]
	check "a native image is handed to runc/crun" "$(head -c 300 "$T/out")"
}
podman_tests
