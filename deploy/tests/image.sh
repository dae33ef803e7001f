# deploy/tests/image.sh — sourced by deploy/tests/run.sh: the wasm-bpfd
# image built by `make image` (FROM scratch) and run with podman against
# the real kernel: privileged, then with the minimal capabilities as the
# image's non-root user, then as root with CAP_BPF and CAP_PERFMON alone;
# each loads bootstrap.wasm from a plugins directory, shows exec events
# in `podman logs` as JSON lines, stops, and leaves no BPF program. Then
# the DaemonSet's container as its manifest says, and again with its
# optional Secret of signing keys mounted. The image and every container
# are removed at the end.

IMG="localhost/wbpf-deploy-$$/wasm-bpfd:t"
CTRS=""
# This machine's limits may be below podman's defaults (as in ocirt).
LIM="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
MOUNTS="-v /sys/kernel/btf:/sys/kernel/btf:ro -v /sys/kernel/tracing:/sys/kernel/tracing:ro -v /sys/fs/bpf:/sys/fs/bpf"

image_cleanup() {
	for c in $CTRS; do podman rm -f "$c" >/dev/null 2>&1; done
	podman rmi -f "$IMG" >/dev/null 2>&1
}

progs_of() {
	for f in /proc/$1/fdinfo/*; do
		sed -n 's/^prog_id:[[:space:]]*//p' "$f" 2>/dev/null
	done | sort -u
}

# run_case NAME PODMAN-OPTIONS... IMAGE [ARGS...]: the daemon in the image
# on a plugins directory holding a bootstrap spec; checks events, stop,
# cleanup.
run_case() {
	name=$1
	shift
	c="wbpf-deploy-$$-$name"
	CTRS="$CTRS $c"
	# Each argument rotated to the end, IMAGE replaced by the image.
	cnt=$#
	for _ in $(seq "$cnt"); do
		a=$1
		shift
		[ "$a" = IMAGE ] && a=$IMG
		set -- "$@" "$a"
	done
	# shellcheck disable=SC2086
	podman $RT run -d --name "$c" $LIM "$@" >"$T/run.out" 2>&1
	check "$name: the container starts" "$(cat "$T/run.out")" || return
	found=1
	for _ in $(seq 50); do
		"$T/wbpfimg$$"
			podman logs "$c" 2>/dev/null | grep -q '"stream":"stdout","message":"[0-9:]* EXEC  wbpfimg' && { found=0; break; }
		sleep 0.2
	done
	[ $found = 0 ]
	check "$name: bootstrap's exec events in podman logs, as JSON lines" "$(podman logs "$c" 2>&1 | tail -4)"
	pid=$(podman inspect --format '{{.State.Pid}}' "$c")
	[ "$pid" -gt 0 ] 2>/dev/null || pid=none
	ids=$(progs_of "$pid")
	[ -n "$ids" ] && podman exec "$c" /usr/bin/wasm-bpf ps | grep -q ' boot[a-z]* .* running ' &&
		podman exec "$c" /usr/bin/wasm-bpf declared | grep -q '^boot[a-z]*\.yaml .* running '
	check "$name: wasm-bpf ps and declared in the container: running, BPF programs held" \
		"$(podman exec "$c" /usr/bin/wasm-bpf ps 2>&1; podman exec "$c" /usr/bin/wasm-bpf declared 2>&1)"
	if [ -n "${DS_METRICS:-}" ]; then
		curl -s "http://127.0.0.1:$DS_METRICS/metrics" >"$T/ds.metrics"
		grep -q 'wasm_bpf_plugin_info{id="[0-9a-f]*",name="bootstrap",state="running"} 1' "$T/ds.metrics"
		check "$name: Prometheus scrapes /metrics on the pod's address" "$(head -5 "$T/ds.metrics")"
	fi
	if [ -n "${WANT_LOG:-}" ]; then
		podman logs "$c" 2>&1 | grep -q -- "$WANT_LOG"
		check "$name: the daemon's log says: $WANT_LOG" "$(podman logs "$c" 2>&1 | grep -v '"stream":"stdout"' | tail -4)"
	fi
	if [ -n "${WANT_UID:-}" ]; then
		[ "$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)" = "$WANT_UID" ]
		check "$name: the daemon runs as uid $WANT_UID" "$(grep -E '^(Uid|CapEff)' /proc/"$pid"/status | tr '\n' ' ')"
	fi
	podman stop -t 15 "$c" >/dev/null 2>&1
	[ "$(podman inspect --format '{{.State.ExitCode}}' "$c")" = 0 ]
	check "$name: podman stop: exit status 0" "$(podman logs "$c" 2>&1 | tail -2)"
	left=""
	for id in $ids; do
		bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
	done
	[ -z "$left" ]
	check "$name: no BPF program left in the kernel" "still loaded:$left"
	podman rm "$c" >/dev/null 2>&1
}

# The DaemonSet's container as its manifest says (user, capabilities,
# seccomp, read-only root, host PID and network, mounts, args), with the
# example ConfigMap's specs as its plugins: what a kubelet would run.
daemonset_case() {
	V=$ROOT/deploy/kubernetes/validate
	K=$ROOT/deploy/kubernetes/daemon
	if [ ! -d "$V/node_modules/js-yaml" ] || ! command -v node >/dev/null; then
		skip "daemonset: the manifest's container" "no node or $V/node_modules (scripts/setup.sh)"
		return
	fi
	mkdir -p "$T/cm"
	node "$V/validate.js" --configmap-data "$K/20-plugins.yaml" "$T/cm" &&
		node "$V/podman-args.js" "$K/30-daemonset.yaml" "$T/cm" 127.0.0.1 >"$T/ds.args"
	check "daemonset: podman options from the manifest" "$(cat "$T/ds.args")" || return
	mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sed -i "s/^--metrics-addr=127.0.0.1:9464$/--metrics-addr=127.0.0.1:$mport/" "$T/ds.args"
	grep -q "^--metrics-addr=127.0.0.1:$mport$" "$T/ds.args"
	check "daemonset: the manifest serves /metrics on the pod IP, port 9464" "$(grep metrics "$T/ds.args")" || return
	old_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2046
	set -- $(cat "$T/ds.args")
	IFS=$old_ifs
	DS_METRICS=$mport WANT_UID=0 run_case daemonset "$@"
	daemonset_keys_case
}

# The DaemonSet's commented-out Secret of signing keys, uncommented, with
# a Secret laid out as a kubelet does (..data swapped in by symlink): the
# daemon trusts its key.
daemonset_keys_case() {
	s=$T/secrets/wasm-bpf-keys
	mkdir -p "$s/..2026_01_01_00_00_00.1"
	ln -s ..2026_01_01_00_00_00.1 "$s/..data"
	ln -s ..data/release.pub "$s/release.pub"
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/release.pem" 2>/dev/null &&
		openssl ec -in "$T/release.pem" -pubout -out "$s/..data/release.pub" 2>/dev/null
	check "daemonset-keys: a signing key made with openssl" "openssl failed" || return
	sed 's/^\( *\)#\([- ] \)/\1\2/' "$K/30-daemonset.yaml" >"$T/ds-keys.yaml"
	node "$V/podman-args.js" "$T/ds-keys.yaml" "$T/cm" 127.0.0.1 "$T/secrets" >"$T/ds-keys.args" &&
		grep -q "^--volume=$s:/etc/wasm-bpf/keys:ro$" "$T/ds-keys.args"
	check "daemonset-keys: the Secret mounted read-only at /etc/wasm-bpf/keys" "$(cat "$T/ds-keys.args")" || return
	sed -i "s/^--metrics-addr=127.0.0.1:9464$/--metrics-addr=127.0.0.1:$mport/" "$T/ds-keys.args"
	old_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2046
	set -- $(cat "$T/ds-keys.args")
	IFS=$old_ifs
	WANT_LOG='verifying images with 1 trusted keys' run_case daemonset-keys "$@"
}

image_tests() {
	command -v podman >/dev/null && command -v buildah >/dev/null ||
		{ skip image "podman or buildah not installed (scripts/setup.sh)"; return; }
	t0=$(date +%s)
	make -s image IMAGE_DAEMON="$IMG" >"$T/image.log" 2>&1
	check "make image: built FROM scratch with buildah" "$(tail -3 "$T/image.log")" || return
	size=$(podman image inspect --format '{{.Size}}' "$IMG")
	echo "image: $IMG $size bytes, built in $(($(date +%s) - t0)) s"
	[ "$size" -lt 40000000 ]
	check "the image is small (< 40 MB): $size bytes" "$size bytes"
	# Which runtime runs containers here: crun refuses hybrid cgroups.
	RT=""
	if ! podman run --rm $LIM --entrypoint /usr/bin/wasm-bpf "$IMG" --version >"$T/v" 2>&1; then
		RT="--runtime runc"
		# shellcheck disable=SC2086
		podman $RT run --rm $LIM --entrypoint /usr/bin/wasm-bpf "$IMG" --version >"$T/v" 2>&1 ||
			{ skip "image runs" "podman cannot run containers here: $(tail -1 "$T/v")"; return; }
	fi
	# shellcheck disable=SC2086
	! podman $RT run --rm $LIM --entrypoint /bin/sh "$IMG" -c true >/dev/null 2>&1 &&
		podman $RT run --rm $LIM --entrypoint /usr/bin/wasm-bpfd "$IMG" --help | grep -q -- --plugins-dir
	check "the image holds the binaries and no shell" "$(cat "$T/v")"

	mkdir -p "$T/plugins"
	printf 'module: /usr/share/wasm-bpf/examples/bootstrap.wasm\n' >"$T/plugins/boot.yaml"
	cp /bin/true "$T/wbpfimg$$"

	PL="-v $T/plugins:/etc/wasm-bpf/plugins.d:ro"
	# shellcheck disable=SC2086
	run_case privileged $MOUNTS $PL --privileged --user 0 IMAGE
	# The image's own user, 65532. Besides CAP_BPF and CAP_PERFMON a
	# non-root process needs CAP_DAC_READ_SEARCH to read tracepoint ids
	# in tracefs (root-only files), and the runtime's default seccomp
	# profile allows bpf(2) and perf_event_open(2) only with CAP_SYS_ADMIN.
	# shellcheck disable=SC2086
	WANT_UID=65532 run_case nonroot $MOUNTS $PL --cap-drop all \
		--cap-add bpf,perfmon,dac_read_search --security-opt seccomp=unconfined IMAGE
	# shellcheck disable=SC2086
	WANT_UID=0 run_case root-minimal $MOUNTS $PL --user 0 --cap-drop all \
		--cap-add bpf,perfmon --security-opt seccomp=unconfined IMAGE
	daemonset_case

	image_cleanup
	! podman ps -a --format '{{.Names}}' | grep -q "wbpf-deploy-$$" &&
		! podman images --format '{{.Repository}}' | grep -q "wbpf-deploy-$$"
	check "no container or image of the test is left in podman" "$(podman ps -a --format '{{.Names}}'; podman images)"
	echo "image tests took $(($(date +%s) - t0)) s"
}
image_tests
