# ocirt/tests/containerd.sh — part (c), sourced by run.sh: a private
# containerd (its own root, state and socket under $T, no CRI) and its
# runc shim with `ctr run --runc-binary wasm-bpf-oci`, on the images
# part (b) built ($IMG_GUEST, $IMG_BOOT). Stopped and removed on exit.

CTRD_PID=""
ctrd_stop() {
	[ -n "$CTRD_PID" ] || return 0
	for id in $(ctr -a "$T/ctrd/sock" task ls -q 2>/dev/null); do
		ctr -a "$T/ctrd/sock" task kill -s SIGKILL "$id" >/dev/null 2>&1
	done
	for id in $(ctr -a "$T/ctrd/sock" containers ls -q 2>/dev/null); do
		ctr -a "$T/ctrd/sock" task delete -f "$id" >/dev/null 2>&1
		ctr -a "$T/ctrd/sock" containers delete "$id" >/dev/null 2>&1
	done
	kill "$CTRD_PID" 2>/dev/null
	wait "$CTRD_PID" 2>/dev/null
	grep -o " $T/ctrd[^ ]*" /proc/mounts | sort -r | xargs -r umount 2>/dev/null
	CTRD_PID=""
}

containerd_tests() {
	command -v containerd >/dev/null && command -v ctr >/dev/null ||
		{ skip containerd "containerd or ctr not installed (scripts/setup.sh)"; return; }
	podman image exists "$IMG_GUEST" 2>/dev/null ||
		{ skip containerd "no images (podman part skipped)"; return; }
	mkdir -p "$T/ctrd"
	cat >"$T/ctrd/config.toml" <<TOML
version = 2
root = "$T/ctrd/root"
state = "$T/ctrd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/ctrd/sock"
[ttrpc]
  address = "$T/ctrd/sock.ttrpc"
[debug]
  address = "$T/ctrd/debug.sock"
TOML
	containerd --config "$T/ctrd/config.toml" >"$T/ctrd/log" 2>&1 &
	CTRD_PID=$!
	for _ in $(seq 50); do ctr -a "$T/ctrd/sock" version >/dev/null 2>&1 && break; sleep 0.1; done
	c() { ctr -a "$T/ctrd/sock" "$@"; }
	ok=1
	for i in "$IMG_GUEST" "$IMG_BOOT"; do
		podman save --format oci-archive -o "$T/ctrd/img.tar" "$i" >/dev/null 2>&1 &&
			c images import --platform wasi/wasm "$T/ctrd/img.tar" >/dev/null 2>&1 || ok=""
	done
	[ -n "$ok" ] || { skip containerd "cannot start it or import images: $(tail -1 "$T/ctrd/log")"; ctrd_stop; return; }
	crun_() {
		n=$1
		shift
		timeout 60 ctr -a "$T/ctrd/sock" run --rm --runc-binary "$O" \
			--cap-add CAP_BPF --cap-add CAP_PERFMON "$@"
	}
	crun_ t1 --env WBPF_T=ctr "$IMG_GUEST" t1 /guest.wasm env WBPF_T >"$T/out" 2>"$T/err" &&
		[ "$(cat "$T/out")" = "WBPF_T=ctr" ]
	check "ctr run --runc-binary: env and args reach the guest" "$(cat "$T/out" "$T/err")"
	crun_ t2 "$IMG_GUEST" t2 /guest.wasm exit 7 >"$T/out" 2>"$T/err"
	[ $? = 7 ]
	check "ctr run: the guest's exit status" "$(cat "$T/err")"
	crun_ t3 "$IMG_BOOT" t3 >"$T/boot.out" 2>"$T/err" &
	runpid=$!
	for _ in $(seq 50); do
		/bin/true
		grep -qs "EXEC .*true" "$T/boot.out" && break
		sleep 0.2
	done
	grep -qs "EXEC .*true" "$T/boot.out"
	check "ctr run of the bootstrap image shows exec events" "$(head -c 200 "$T/boot.out" "$T/err")"
	c task kill -s SIGTERM t3 >/dev/null 2>&1
	wait "$runpid"
	check "ctr task kill (SIGTERM): a graceful stop, status 0" "$(cat "$T/err")"
	ctrd_stop
}
containerd_tests
