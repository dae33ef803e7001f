#!/bin/sh
# ocirt/tests/run.sh — wasm-bpf-oci, the OCI runtime: (a) the lifecycle
# on a handmade bundle with runc's checks (state JSON, start twice,
# delete while running, unknown and duplicate ids, kill signals), what
# config.json hands the guest (args, env, bind mounts, cgroup, the pty of
# --console-socket), refusals (capabilities, annotations) and the
# hand-over of other images to runc/crun; (b) with podman, if it runs
# here: the bootstrap example and the test guest as images; (c) the same
# images under a private containerd with `ctr run --runc-binary`.
# Builds into build/tests/ocirt/; everything it makes is removed on exit.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SRC=$ROOT/ocirt/tests
B=$ROOT/build/tests/ocirt
O=$ROOT/build/bin/wasm-bpf-oci
mkdir -p "$B"

pass() { echo "PASS: ocirt $1"; }
fail() { echo "FAIL: ocirt $1: $2"; }
skip() { echo "SKIP: ocirt $1: $2"; }
# check NAME WHY: PASS or FAIL by the status of the command before.
check() {
	if [ $? = 0 ]; then pass "$1"; else fail "$1" "$2"; fi
}

if ! make -s build/bin/wasm-bpf-oci >"$B/make.log" 2>&1; then
	fail build "make failed: $(tail -3 "$B/make.log" | tr '\n' ' ')"
	exit 1
fi
if [ ! -e "$B/guest.wasm" ] || [ "$SRC/guest.c" -nt "$B/guest.wasm" ]; then
	clang --target=wasm32-wasi -O2 "$SRC/guest.c" -o "$B/guest.wasm" ||
		{ fail build "guest.c"; exit 1; }
fi
if [ "$(id -u)" != 0 ]; then
	skip all "needs root (cgroups, namespaces, eBPF)"
	exit 0
fi

T=$(mktemp -d /tmp/wbpf-ocirt.XXXXXX)
R="$T/root"
CG=wbpf-ocirt-$$
SL=wbpfocirt$$
PODMAN_CTRS="" PODMAN_IMGS=""
cleanup() {
	command -v ctrd_stop >/dev/null && ctrd_stop
	for d in "$R"/*/; do
		[ -f "$d/state.json" ] && "$O" --root "$R" delete --force "$(basename "$d")" 2>/dev/null
	done
	for c in $PODMAN_CTRS; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
	for i in $PODMAN_IMGS; do podman rmi -f "$i" >/dev/null 2>&1; done
	rmdir /sys/fs/cgroup/$CG /sys/fs/cgroup/*/$CG 2>/dev/null
	for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
		rmdir "$h/$SL.slice/$SL-x.slice/wbpf-c13.scope" "$h/$SL.slice/$SL-x.slice" \
			"$h/$SL.slice" 2>/dev/null
	done
	# What a hand-over to crun left in the default root, if empty.
	rmdir /run/wasm-bpf/oci/delegated 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# bundle DIR ARGS-JSON: a bundle running the guest.
bundle() {
	mkdir -p "$1/rootfs" "$1/data"
	cp "$B/guest.wasm" "$1/rootfs/guest.wasm"
	echo "from the host" >"$1/data/f"
	cat >"$1/config.json" <<JSON
{"ociVersion": "1.0.2",
 "process": {"terminal": false, "args": $2, "env": ["FOO=bar baz"], "cwd": "/",
   "capabilities": {"effective": ["CAP_BPF", "CAP_PERFMON"],
                    "bounding": ["CAP_BPF", "CAP_PERFMON"]}},
 "root": {"path": "rootfs"}, "hostname": "wbpf-ocirt",
 "mounts": [{"destination": "/data", "type": "bind", "source": "$1/data",
             "options": ["rbind"]},
            {"destination": "/proc", "type": "proc", "source": "proc"}],
 "annotations": {"org.example": "yes"},
 "linux": {"namespaces": [{"type": "mount"}, {"type": "uts"}, {"type": "pid"}],
           "cgroupsPath": "/$CG"}
}
JSON
}

oci() { "$O" --root "$R" "$@"; }
# field ID KEY: one key of the state JSON.
field() {
	oci state "$1" 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2'))"
}
# wait_status ID STATUS: up to 5 s.
wait_status() {
	for _ in $(seq 50); do
		[ "$(field "$1" status)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# The container process keeps create's stdio: never a pipe we wait on.
create() {
	id=$1
	shift
	oci create --bundle "$T/$id" "$@" "$id" >"$T/$id.out" 2>"$T/$id.err" </dev/null
}

# refused ID PATTERN: create fails saying PATTERN, leaving no state.
refused() {
	create "$1"
	[ $? != 0 ] && grep -q "$2" "$T/$1.err" && [ ! -e "$R/$1" ]
}

# ---- (a) lifecycle on a handmade bundle --------------------------------------

bundle "$T/c1" '["/guest.wasm", "sleep"]'
create c1 --pid-file "$T/c1.pid"
check "create" "$(cat "$T/c1.err")"
oci state c1 >"$T/state" 2>&1
python3 - "$T/state" "$T/c1" "$(cat "$T/c1.pid" 2>/dev/null)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["ociVersion"].startswith("1."), s
assert s["id"] == "c1" and s["status"] == "created", s
assert s["pid"] > 0 and str(s["pid"]) == sys.argv[3], s
assert s["bundle"] == sys.argv[2], s
assert s["annotations"] == {"org.example": "yes"}, s
PY
check "state after create: spec fields, status created, pid = --pid-file" "$(head -c 300 "$T/state")"
pid=$(field c1 pid)

grep -qx "$pid" /sys/fs/cgroup/$CG/cgroup.procs 2>/dev/null ||
	grep -qx "$pid" /sys/fs/cgroup/memory/$CG/cgroup.procs 2>/dev/null
check "the container process joined linux.cgroupsPath" "pid $pid not in $CG"
[ "$(readlink /proc/$pid/ns/uts)" != "$(readlink /proc/self/ns/uts)" ] &&
	[ "$(readlink /proc/$pid/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] &&
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/self/ns/pid)" ]
check "uts and mount namespaces are new, the pid namespace the host's" "$(ls -l /proc/$pid/ns 2>&1 | head -3)"
# CAP_PERFMON (38) and CAP_BPF (39) only.
grep -q "^CapEff:[[:space:]]*000000c000000000$" /proc/$pid/status &&
	grep -q "^CapBnd:[[:space:]]*000000c000000000$" /proc/$pid/status
check "the process keeps only the spec's capabilities" "$(grep Cap /proc/$pid/status | tr '\n' ' ')"

create c1
[ $? != 0 ] && grep -q "container c1 already exists" "$T/c1.err" && [ "$(field c1 status)" = created ]
check "create of a duplicate id refused, the first untouched" "$(cat "$T/c1.err")"

oci start c1 2>"$T/err" && wait_status c1 running
check "start: running" "$(cat "$T/err")"
for _ in $(seq 50); do grep -q sleeping "$T/c1.out" && break; sleep 0.1; done
grep -qx sleeping "$T/c1.out"
check "the guest writes to the stdout create was given" "$(cat "$T/c1.out")"

oci start c1 2>"$T/err"
[ $? != 0 ] && grep -q "cannot start a container that is running" "$T/err"
check "start twice refused" "$(cat "$T/err")"
oci delete c1 2>"$T/err"
[ $? != 0 ] && grep -q "not stopped: running" "$T/err" && [ "$(field c1 status)" = running ]
check "delete of a running container refused without --force" "$(cat "$T/err")"

# gone PID: no such process, or a zombie.
gone() { ! [ -e /proc/$1 ] || grep -q '^[0-9]* (.*) Z' /proc/$1/stat; }
oci kill c1 TERM && wait_status c1 stopped && gone "$pid"
check "kill TERM stops the guest: status stopped" "$(field c1 status)"
grep -qx stopping "$T/c1.out"
check "kill TERM is a graceful stop: the guest winds down" "$(cat "$T/c1.out")"
oci kill c1 KILL 2>"$T/err"
[ $? != 0 ] && grep -q "not running" "$T/err"
check "kill of a stopped container refused" "$(cat "$T/err")"
oci delete c1 && [ ! -e "$R/c1" ] && [ ! -d /sys/fs/cgroup/memory/$CG ] && [ ! -d /sys/fs/cgroup/$CG/cgroup.procs ]
check "delete removes the state and the cgroup" "$(ls "$R" /sys/fs/cgroup/memory/$CG 2>&1)"
bad=""
for cmd in state start "kill" delete; do
	oci $cmd c1 2>"$T/err"
	[ $? != 0 ] && grep -q "container c1 does not exist" "$T/err" || bad="$bad $cmd"
done
[ -z "$bad" ]
check "state, start, kill, delete of an unknown id: does not exist" "wrong:$bad"
oci delete --force c1
check "delete --force of an unknown id succeeds, as runc's" ""
oci state ../x 2>"$T/err"
[ $? != 0 ] && grep -q "invalid container id" "$T/err"
check "an id with a slash refused" "$(cat "$T/err")"

# Signals by name and number; a created container can be deleted.
bad=""
bundle "$T/c2" '["/guest.wasm", "sleep"]'
for sig in INT SIGINT 2; do
	create c2 && oci start c2 && wait_status c2 running &&
		oci kill --all c2 "$sig" && wait_status c2 stopped && oci delete c2 ||
		{ bad="$bad $sig"; oci delete --force c2; }
done
[ -z "$bad" ]
check "kill --all with INT, SIGINT, 2" "failed:$bad $(cat "$T/c2.err")"
# A guest deaf to a graceful stop: a second signal, or the grace period
# (5 s), interrupts it.
bundle "$T/c12" '["/guest.wasm", "deaf"]'
create c12 && oci start c12 && wait_status c12 running && oci kill c12 TERM &&
	sleep 1 && [ "$(field c12 status)" = running ] &&
	oci kill c12 INT && wait_status c12 stopped
check "a second signal interrupts a guest deaf to the first" "$(field c12 status) $(cat "$T/c12.err")"
oci delete --force c12
create c12 && oci start c12 && wait_status c12 running && oci kill c12 TERM &&
	sleep 4 && [ "$(field c12 status)" = running ] &&
	wait_status c12 stopped
check "the grace period (5 s) ends a guest deaf to a stop" "$(field c12 status) $(cat "$T/c12.err")"
oci delete --force c12
create c2 --preserve-fds 1 3>"$T/fd3" 7>"$T/fd7" && pid=$(field c2 pid) &&
	[ -e /proc/$pid/fd/3 ] && [ ! -e /proc/$pid/fd/7 ]
check "--preserve-fds 1 keeps fd 3, other inherited descriptors are closed" "$(ls /proc/$pid/fd 2>&1 | tr '\n' ' ')"
oci create --bundle "$T/c2" --preserve-fds -1 c2x 2>"$T/err" </dev/null >/dev/null
[ $? = 2 ] && grep -q "bad --preserve-fds -1" "$T/err" && [ ! -e "$R/c2x" ]
check "a bad --preserve-fds is a usage error" "$(cat "$T/err")"
oci delete c2 && [ ! -e "$R/c2" ] && gone "$pid"
check "delete of a created container" "$(cat "$T/c2.err")"

# --systemd-cgroup: slice:prefix:name, nested as systemd names slices.
bundle "$T/c13" '["/guest.wasm", "sleep"]'
sed -i "s|\"cgroupsPath\": \"/$CG\"|\"cgroupsPath\": \"$SL-x.slice:wbpf:c13\"|" "$T/c13/config.json"
"$O" --root "$R" --systemd-cgroup create --bundle "$T/c13" c13 >"$T/c13.out" 2>"$T/c13.err" </dev/null &&
	pid=$(field c13 pid) && scope=$SL.slice/$SL-x.slice/wbpf-c13.scope &&
	{ grep -qx "$pid" /sys/fs/cgroup/$scope/cgroup.procs 2>/dev/null ||
		grep -qx "$pid" /sys/fs/cgroup/memory/$scope/cgroup.procs 2>/dev/null; } &&
	oci delete c13 && [ ! -d /sys/fs/cgroup/memory/$scope ] && [ ! -d /sys/fs/cgroup/$scope ]
check "--systemd-cgroup: slice:prefix:name joined as systemd lays it out, removed by delete" "$(cat "$T/c13.err")"

# What config.json hands the guest.
run_guest() {
	bundle "$T/$1" "$2"
	create "$1" && oci start "$1" && wait_status "$1" stopped && oci delete "$1"
}
run_guest c3 '["/guest.wasm", "args", "a b", "c"]' &&
	[ "$(cat "$T/c3.out")" = "/guest.wasm args a b c" ]
check "process.args reach the guest" "$(cat "$T/c3.out" "$T/c3.err")"
run_guest c4 '["/guest.wasm", "env", "FOO"]' && [ "$(cat "$T/c4.out")" = "FOO=bar baz" ]
check "process.env reaches the guest" "$(cat "$T/c4.out" "$T/c4.err")"
run_guest c5 '["/guest.wasm", "cat", "/data/f"]' && [ "$(cat "$T/c5.out")" = "from the host" ]
check "a bind mount is a preopened directory at its destination" "$(cat "$T/c5.out" "$T/c5.err")"
run_guest c6 '["guest.wasm", "cat", "/guest.wasm"]' && head -c 4 "$T/c6.out" | grep -q asm
check "a relative args[0] from cwd; the rootfs is the guest's /" "$(head -c 100 "$T/c6.err")"

# The terminal: the pty master goes to --console-socket (SCM_RIGHTS).
bundle "$T/c7" '["/guest.wasm", "args", "on", "a", "tty"]'
sed -i 's/"terminal": false/"terminal": true/' "$T/c7/config.json"
python3 - "$T/console.sock" >"$T/console.out" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(10)
open(sys.argv[1] + ".ready", "w").close()
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1, 1)
data = b""
try:
    while b"tty" not in data:
        data += os.read(fds[0], 100)
except OSError:
    pass
print(data.decode().strip())
PY
py=$!
for _ in $(seq 50); do [ -e "$T/console.sock.ready" ] && break; sleep 0.1; done
create c7 --console-socket "$T/console.sock" && oci start c7 && wait "$py" &&
	grep -q "/guest.wasm args on a tty" "$T/console.out"
check "--console-socket gets the pty the guest writes to" "$(cat "$T/console.out" "$T/c7.err")"
kill "$py" 2>/dev/null
oci delete --force c7
bundle "$T/c8" '["/guest.wasm"]'
sed -i 's/"terminal": false/"terminal": true/' "$T/c8/config.json"
refused c8 "needs --console-socket"
check "terminal without --console-socket refused" "$(cat "$T/c8.err")"

# Refusals leave no state behind.
bundle "$T/c9" '["/guest.wasm"]'
sed -i 's/"CAP_BPF", "CAP_PERFMON"/"CAP_CHOWN"/g' "$T/c9/config.json"
refused c9 "lack CAP_BPF CAP_PERFMON"
check "capabilities without CAP_BPF/CAP_PERFMON refused" "$(cat "$T/c9.err")"
sed -i 's/"CAP_CHOWN"/"CAP_SYS_ADMIN"/g' "$T/c9/config.json"
create c9 && oci delete c9
check "CAP_SYS_ADMIN suffices" "$(cat "$T/c9.err")"
bundle "$T/c10" '["/missing.wasm"]'
sed -i 's/"org.example": "yes"/"module.wasm.image\/variant": "compat-smart"/' "$T/c10/config.json"
refused c10 "missing.wasm in .*: No such file"
check "annotated compat-smart, a missing module named" "$(cat "$T/c10.err")"
bundle "$T/c11" '["/guest.wasm"]'
printf 'not wasm' >"$T/c11/rootfs/guest.wasm"
sed -i 's/"org.example": "yes"/"run.oci.handler": "wasm"/' "$T/c11/config.json"
refused c11 "not a Wasm module, yet the annotations"
check "not Wasm, yet annotated run.oci.handler=wasm: refused" "$(cat "$T/c11.err")"
oci --log "$T/log" --log-format json state nosuch 2>/dev/null
python3 -c 'import json,sys; m=json.loads(open(sys.argv[1]).readline()); assert m["level"]=="error" and "nosuch does not exist" in m["msg"], m' "$T/log"
check "--log --log-format json: the error as runc's JSON line" "$(cat "$T/log")"

# Other images: the same command line to runc/crun, under ROOT/delegated.
cat >"$T/fake-runc" <<SH
#!/bin/sh
echo "\$@" >>"$T/fake.argv"
mkdir -p "$R/delegated/n1"
SH
chmod +x "$T/fake-runc"
bundle "$T/n1" '["/guest.wasm"]'
printf '\177ELF' >"$T/n1/rootfs/guest.wasm"
WASM_BPF_OCI_DELEGATE=$T/fake-runc "$O" --root "$R" --log-format json \
	create --bundle "$T/n1" n1 2>"$T/err" &&
	WASM_BPF_OCI_DELEGATE=$T/fake-runc "$O" --root "$R" start n1 &&
	[ "$(cat "$T/fake.argv")" = "--root $R/delegated --log-format json create --bundle $T/n1 n1
--root $R/delegated start n1" ]
check "a non-Wasm image and its later commands go to runc/crun" "$(cat "$T/fake.argv" "$T/err")"
PATH=/nonexistent "$O" --root "$R" create --bundle "$T/n1" n2 2>"$T/err"
[ $? != 0 ] && grep -q "not a Wasm module, and neither runc nor crun" "$T/err"
check "a non-Wasm image without runc/crun: refused" "$(cat "$T/err")"
"$O" features | python3 -c 'import json,sys; f=json.load(sys.stdin); assert f["ociVersionMax"] and "mount" in f["linux"]["namespaces"]'
check "features is JSON" ""
"$O" --version | grep -q "^wasm-bpf-oci version" && "$O" -v | grep -q "^spec: 1"
check "--version and -v" ""

. "$SRC/podman.sh"
. "$SRC/containerd.sh"
