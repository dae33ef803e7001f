#!/bin/sh
# oci/tests/run.sh — the distribution suite: the parsers (unit.c), and
# the wasm-bpf push/pull/run/images/rmi/tag/save/load/inspect/login/
# logout/sign/verify commands against real registries started here on
# 127.0.0.1 (Debian's docker-registry: plain, basic auth with a bcrypt
# htpasswd, TLS with a certificate made now), interop with skopeo both
# ways (CNCF and ecli layouts), and a fake registry (fake_registry.py)
# for what a real one will not do: HTTP 500, a bearer token server, dying
# mid-blob. Every registry is stopped and every temporary file removed on
# every exit path. Builds into build/tests/oci/.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SRC=$ROOT/oci/tests
B=$ROOT/build/tests/oci
W=$ROOT/build/bin/wasm-bpf
mkdir -p "$B"

pass() { echo "PASS: oci $1"; }
fail() { echo "FAIL: oci $1: $2"; }
skip() { echo "SKIP: oci $1: $2"; }
first() { head -c 300 "$1" | tr '\n' '|'; }

if ! make -s build/bin/wasm-bpf build/lib/libwasm-bpf-oci.a >"$B/make.log" 2>&1; then
	fail build "make failed: $(tail -3 "$B/make.log" | tr '\n' ' ')"
	exit 1
fi

# ---- parsers ------------------------------------------------------------
if ${CC:-cc} -std=gnu11 -Wall -Wextra -I. -D_GNU_SOURCE "$SRC/unit.c" \
	build/lib/libwasm-bpf-oci.a -lcjson -lcurl -lcrypto -o "$B/unit" 2>"$B/unit.err"; then
	"$B/unit" >"$B/unit.out" 2>&1
	if [ $? = 0 ]; then
		pass "parsers: $(grep -c '^ok:' "$B/unit.out") reference, manifest and codec checks"
	else
		fail parsers "$(grep FAIL "$B/unit.out" | head -3 | tr '\n' ' ')"
	fi
else
	fail parsers "unit.c does not build: $(first "$B/unit.err")"
fi

T=$(mktemp -d /tmp/wbpf-oci.XXXXXX)
PIDS=""
MOUNTED=
cleanup() {
	[ -n "$MOUNTED" ] && umount "$MOUNTED"
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Everything here uses its own store and auth file, never the user's.
export WASM_BPF_STORE="$T/store"
export REGISTRY_AUTH_FILE="$T/auth.json"
unset XDG_RUNTIME_DIR WASM_BPF_CA_FILE SSL_CERT_FILE WASM_BPF_INSECURE_REGISTRIES
cd "$T"

. "$SRC/lib.sh"

# start_fake MODE LAYOUT: fake_registry.py; sets FPORT and FPID.
start_fake() {
	rm -f "$T/fake.port" # the last one's; the new one truncates it later
	python3 "$SRC/fake_registry.py" --mode "$1" --layout "$2" >"$T/fake.port" 2>"$T/fake.err" &
	FPID=$!
	PIDS="$PIDS $FPID"
	for _ in $(seq 100); do
		FPORT=$(cat "$T/fake.port" 2>/dev/null)
		[ -n "$FPORT" ] && return 0
		sleep 0.05
	done
	return 1
}

# expect NAME WANT-RC CMD...: runs CMD into out/err; a failure of ours
# (125) also wants exactly one line on stderr. On a mismatch WHY says so
# for the verdict that follows.
expect() {
	name=$1 want=$2 WHY=
	shift 2
	timeout 60 "$@" >out 2>err </dev/null
	rc=$?
	if [ "$rc" != "$want" ]; then
		WHY="$name: exit $rc, want $want; stderr: $(first err)"
		return 1
	fi
	if [ "$want" = 125 ] && [ "$(wc -l <err)" != 1 ]; then
		WHY="$name: want one line on stderr, got: $(first err)"
		return 1
	fi
	return 0
}

# verdict STATUS NAME: PASS, or FAIL with WHY (else what the last command
# printed), by the status of the test's chain of commands.
verdict() {
	if [ "$1" = 0 ]; then
		pass "$2"
	else
		fail "$2" "${WHY:-$(first err) $(first out)}"
	fi
	WHY=
}

# The digest of a file as the registry names it.
digest() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
# A snapshot of the store: every file and its content.
snapshot() { (cd "$WASM_BPF_STORE" 2>/dev/null && find . -type f ! -name lock | sort | xargs -r sha256sum); }

missing=""
for t in docker-registry skopeo htpasswd openssl wat2wasm python3 curl; do
	command -v "$t" >/dev/null || missing="$missing $t"
done
if [ -n "$missing" ]; then
	skip registries "missing$missing (scripts/setup.sh installs them)"
	exit 0
fi

# ---- modules ------------------------------------------------------------
wat2wasm "$SRC/hello.wat" -o hello.wasm || { fail build hello.wat; exit 1; }
pad hello.wasm 4194304 big.wasm

start_registry plain || { fail registry "docker-registry did not start"; exit 1; }
P=$REG PDATA=$DATA PORT_P=$PORT

# ---- push, pull, run; skopeo reads what we push --------------------------
SRCURL=https://example.org/hello
if expect push 0 "$W" push hello.wasm "$P/t/hello:1" --annotation "org.opencontainers.image.source=$SRCURL"; then
	D1=$(sed 's/.*@//' out)
	skopeo inspect --tls-verify=false --raw "docker://$P/t/hello:1" >raw.json 2>skopeo.err
	if [ "$(digest raw.json)" = "$D1" ] &&
		grep -q '"mediaType":"application/vnd.wasm.config.v0+json"' raw.json &&
		grep -q '"mediaType":"application/wasm"' raw.json &&
		grep -q "\"org.opencontainers.image.source\":\"$SRCURL\"" raw.json; then
		pass "push: the CNCF Wasm artifact, skopeo reads the manifest with our digest"
	else
		fail push "skopeo saw $(digest raw.json), we said $D1: $(first raw.json) $(first skopeo.err)"
	fi
	rm -rf sk && skopeo copy -q --src-tls-verify=false "docker://$P/t/hello:1" oci:sk:x 2>skopeo.err
	if [ "$(python3 -c 'import json; print(json.load(open("sk/index.json"))["manifests"][0]["digest"])' 2>/dev/null)" = "$D1" ]; then
		pass "skopeo copies what we pushed with the same digest"
	else
		fail "skopeo copy" "$(first skopeo.err)"
	fi
	rm -rf "$WASM_BPF_STORE"
	expect "run REF" 7 "$W" run "$P/t/hello:1" && [ "$(cat out)" = "hello from oci" ]
	verdict $? "run REF pulls into an empty store and runs (guest's exit status kept)"
	expect "images" 0 "$W" images -o json &&
		python3 -c 'import json,sys; v=json.load(open("out")); sys.exit(not (v[0]["ref"].endswith("/t/hello:1") and v[0]["digest"]==sys.argv[1] and v[0]["size"]==int(sys.argv[2])))' "$D1" "$(wc -c <hello.wasm)"
	verdict $? "images -o json lists ref, digest, size, created"
fi

# Inspect on an example with a BPF object (built by `make all` when the
# kernel has BTF), from the file and after a round trip through the store.
EX=$ROOT/build/examples/opensnoop/opensnoop.wasm
if [ -f "$EX" ]; then
	expect "push example" 0 "$W" push "$EX" "$P/t/opensnoop:v1" &&
		expect "inspect REF" 0 "$W" inspect "$P/t/opensnoop:v1" -o json &&
		python3 - <<'PY'
import json, sys
v = json.load(open("out"))
a = v["annotations"]
p = v["bpf_objects"][0]["programs"]
ok = (a["io.github.wasm-bpf.program-types"] == "tracepoint"
      and "CAP_PERFMON" in a["io.github.wasm-bpf.capabilities"]
      and a["io.github.wasm-bpf.license"] == "GPL"
      and any(x["section"] == "tracepoint/syscalls/sys_enter_openat" for x in p)
      and any(m["name"] == "start" and m["type"] == "hash" for m in v["bpf_objects"][0]["maps"])
      and v["config"]["architecture"] == "wasm" and v["config"]["os"] == "wasip1"
      and v["manifest"]["layers"][0]["mediaType"] == "application/wasm")
sys.exit(not ok)
PY
	verdict $? "inspect REF: programs (type, section), maps, license, capabilities, annotations"
	mv "$WASM_BPF_STORE" store.keep
	expect "inspect remote" 0 "$W" inspect "$P/t/opensnoop:v1" -o json &&
		python3 -c 'import json,sys; v=json.load(open("out")); sys.exit(not (v["module_pulled"] is False and v["annotations"]["io.github.wasm-bpf.program-types"] == "tracepoint" and v["module_size"] > 30000))' &&
		[ -z "$(ls "$WASM_BPF_STORE/blobs/sha256")" ]
	verdict $? "inspect REF not in the store: manifest, config and annotations from the registry, nothing stored"
	rm -rf "$WASM_BPF_STORE" && mv store.keep "$WASM_BPF_STORE"
	"$W" inspect "$EX" >out 2>err
	grep -q 'license GPL' out && grep -q 'tracepoint/syscalls/sys_exit_open' out
	verdict $? "inspect FILE lists the embedded BPF object"
else
	skip inspect "build/examples/opensnoop/opensnoop.wasm not built (no kernel BTF)"
fi

# ---- tag, rmi, save, load -------------------------------------------------
expect tag 0 "$W" tag "$P/t/hello:1" "local.test/hello:copy" &&
	expect "run tagged" 7 "$W" run --pull never local.test/hello:copy &&
	expect rmi 0 "$W" rmi "$P/t/hello:1" &&
	expect "run after rmi of the other name" 7 "$W" run --pull never local.test/hello:copy
verdict $? "tag makes a second name; rmi of one leaves the other runnable"
expect "push SRC DST" 0 "$W" push local.test/hello:copy "$P/t/retag:1" &&
	[ "$(sed 's/.*@//' out)" = "$D1" ] &&
	expect "tag for push" 0 "$W" tag local.test/hello:copy "$P/t/again:2" &&
	expect "push REF" 0 "$W" push "$P/t/again:2" &&
	[ "$(skopeo inspect --tls-verify=false --raw "docker://$P/t/again:2" | sha256sum | cut -d' ' -f1)" = "${D1#sha256:}" ] &&
	expect "push SRC with --format" 125 "$W" push --format ecli local.test/hello:copy "$P/t/x:1" &&
	"$W" rmi "$P/t/again:2" >/dev/null
verdict $? "push of a stored image (push SRC DST, push REF), same digest; --format only with a FILE"
expect save 0 "$W" save local.test/hello:copy -o saved.tar &&
	expect "rmi last" 0 "$W" rmi local.test/hello:copy &&
	expect load 0 "$W" load -i saved.tar &&
	expect "run loaded" 7 "$W" run --pull never local.test/hello:copy
verdict $? "save/load: an image-layout tar round trip, runnable offline"
printf 'images: {deny: ["local.test/*"]}\n' >deny.yaml
printf 'images: {allow: ["local.test/hello:*"]}\n' >allow.yaml
printf 'images: {require_signature: true}\n' >sig.yaml
expect "policy denies" 125 "$W" run --pull never --policy deny.yaml local.test/hello:copy &&
	grep -q 'policy: image local.test/hello:copy@sha256:[0-9a-f]* is denied by images.deny\[0\] (deny.yaml:1)' err &&
	expect "policy allows" 7 "$W" run --pull never --policy allow.yaml local.test/hello:copy &&
	expect "policy wants a signature" 125 "$W" run --pull never --policy sig.yaml local.test/hello:copy &&
	grep -q 'has no verified signature, which images.require_signature asks for (sig.yaml:1)' err
verdict $? "run REF under a policy: images.deny refuses (by the name and digest), images.allow runs, require_signature refuses an unverified image"
# pull (and run's pull) under image rules: refused before the store is
# touched; an image the rules allow is stored
printf 'images: {deny: ["*/t/hello:*"]}\n' >pdeny.yaml
printf 'images: {allow: ["*@%s"]}\n' "$D1" >pallow.yaml
before=$(snapshot)
expect "pull denied" 125 "$W" pull --policy pdeny.yaml "$P/t/hello:1" &&
	grep -qF "wasm-bpf pull: policy: image $P/t/hello:1@$D1 is denied by images.deny[0] (pdeny.yaml:1)" err &&
	[ "$(snapshot)" = "$before" ] &&
	expect "pull unsigned" 125 "$W" pull --policy sig.yaml "$P/t/hello:1" &&
	grep -qF "has no verified signature, which images.require_signature asks for (sig.yaml:1)" err &&
	[ "$(snapshot)" = "$before" ] &&
	expect "run REF pulling, denied" 125 "$W" run --policy pdeny.yaml "$P/t/hello:1" &&
	grep -qF "is denied by images.deny[0] (pdeny.yaml:1)" err && [ "$(snapshot)" = "$before" ] &&
	expect "pull, policy from the environment" 125 env WASM_BPF_POLICY=pdeny.yaml "$W" pull "$P/t/hello:1" &&
	[ "$(snapshot)" = "$before" ] &&
	expect "pull allowed by digest" 0 "$W" pull --policy pallow.yaml "$P/t/hello:1" &&
	[ "$(snapshot)" != "$before" ] && "$W" images | grep -q "/t/hello:1 "
verdict $? "pull under a policy: images.deny and require_signature refuse before the store is touched (exit 125, the rule named; run REF's pull too), images.allow by digest stores it"
"$W" rmi "$P/t/hello:1" >/dev/null 2>&1
rm -rf sv && mkdir sv && tar -C sv -xf saved.tar
if skopeo inspect --raw oci:sv 2>skopeo.err | grep -q application/wasm; then
	pass "skopeo reads the saved archive as an OCI layout"
else
	fail "save layout" "$(first skopeo.err)"
fi
"$W" rmi local.test/hello:copy >/dev/null 2>&1
"$W" rmi "$P/t/opensnoop:v1" >/dev/null 2>&1
if [ -z "$(ls "$WASM_BPF_STORE/blobs/sha256")" ]; then
	pass "rmi of the last names collects every blob"
else
	fail "rmi gc" "left: $(ls "$WASM_BPF_STORE/blobs/sha256" | tr '\n' ' ')"
fi

# ---- layouts skopeo pushes: CNCF, ecli's, and ones we refuse --------------
# layout DIR CONFIG-MEDIA-TYPE CONFIG-JSON LAYER-MEDIA-TYPE FILE...: an OCI
# image layout made by hand, tag "x".
layout() {
	python3 - "$@" <<'PY'
import hashlib, json, os, sys
d, cmt, cfg, lmt, files = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4], sys.argv[5:]
os.makedirs(d + "/blobs/sha256", exist_ok=True)
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open("%s/blobs/sha256/%s" % (d, h), "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
layers = [dict(mediaType=lmt, **put(open(f, "rb").read())) for f in files]
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": dict(mediaType=cmt, **put(cfg)), "layers": layers}
md = put(json.dumps(m).encode())
open(d + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [dict(mediaType=m["mediaType"],
    annotations={"org.opencontainers.image.ref.name": "x"}, **md)]}, open(d + "/index.json", "w"))
PY
}
skopeo_push() { skopeo copy -q --dest-tls-verify=false "oci:$1:x" "docker://$2" 2>skopeo.err; }

layout cncf application/vnd.wasm.config.v0+json \
	'{"created":"2024-01-01T00:00:00Z","architecture":"wasm","os":"wasip1"}' application/wasm hello.wasm
skopeo_push cncf "$P/sk/cncf:1" && expect "pull skopeo's" 0 "$W" pull "$P/sk/cncf:1" -o pulled.wasm &&
	cmp -s pulled.wasm hello.wasm && expect "run skopeo's" 7 "$W" run --pull never "$P/sk/cncf:1"
verdict $? "an image skopeo pushes from an OCI layout is pulled (-o FILE) and run"
layout ecli application/vnd.wasm.config.v1+json '{}' application/vnd.wasm.content.layer.v1+wasm hello.wasm
skopeo_push ecli "$P/sk/ecli:1" && expect "run ecli's" 7 "$W" run "$P/sk/ecli:1"
verdict $? "ecli's layout (config v1+json, content.layer.v1+wasm) is pulled and run"
expect "push --format ecli" 0 "$W" push --format ecli hello.wasm "$P/t/ecli:1" &&
	skopeo inspect --tls-verify=false --raw "docker://$P/t/ecli:1" >raw.json 2>skopeo.err &&
	grep -q '"mediaType":"application/vnd.wasm.config.v1+json"' raw.json &&
	grep -q '"mediaType":"application/vnd.wasm.content.layer.v1+wasm"' raw.json
verdict $? "push --format ecli writes ecli's media types"
before=$(snapshot)
layout two application/vnd.wasm.config.v0+json '{}' application/wasm hello.wasm "$SRC/hello.wat"
skopeo_push two "$P/sk/two:1" && expect "two layers" 125 "$W" pull "$P/sk/two:1" &&
	grep -q 'application/wasm, application/wasm' err && [ "$(snapshot)" = "$before" ]
verdict $? "a two-layer image is refused naming the media types; store unchanged"
layout tgz application/vnd.oci.image.config.v1+json '{}' application/vnd.oci.image.layer.v1.tar+gzip hello.wasm
skopeo_push tgz "$P/sk/tgz:1" && expect "container image" 125 "$W" pull "$P/sk/tgz:1" &&
	grep -q 'tar+gzip' err
verdict $? "a container image layout is refused: $(cat err)"

# ---- integrity: corrupted blob, registry killed mid-pull ------------------
"$W" push big.wasm "$P/t/big:1" >out 2>err || fail "push big" "$(first err)"
BIGD=$(digest big.wasm)
blobfile=$PDATA/docker/registry/v2/blobs/sha256/$(echo "${BIGD#sha256:}" | cut -c1-2)/${BIGD#sha256:}/data
rm -rf "$WASM_BPF_STORE"
"$W" images >/dev/null
before=$(snapshot)
if [ -f "$blobfile" ]; then
	cp "$blobfile" blob.orig
	printf 'X' | dd of="$blobfile" bs=1 seek=1000 conv=notrunc 2>/dev/null
	expect "corrupt blob" 125 "$W" pull "$P/t/big:1" && grep -q "refused" err &&
		[ "$(snapshot)" = "$before" ]
	verdict $? "a blob corrupted in the registry is refused, store unchanged: $(cut -c1-90 err)..."
	cp blob.orig "$blobfile"
else
	fail "corrupt blob" "no $blobfile"
fi
"$W" pull "$P/t/big:1" >/dev/null 2>&1 && "$W" save "$P/t/big:1" -o big.tar >/dev/null 2>&1
mkdir -p biglayout && tar -C biglayout -xf big.tar
rm -rf "$WASM_BPF_STORE" && "$W" images >/dev/null
before=$(snapshot)
start_fake cut biglayout && expect "killed mid-pull" 125 "$W" pull "127.0.0.1:$FPORT/t/big:1" &&
	[ "$(snapshot)" = "$before" ] && [ -z "$(ls "$WASM_BPF_STORE/ingest")" ]
verdict $? "a registry killed mid-blob: one-line error ($(cut -c1-80 err)), no partial entry"
kill "$FPID" 2>/dev/null
if start_fake stall biglayout; then
	"$W" pull "127.0.0.1:$FPORT/t/big:1" >out 2>err &
	pullpid=$!
	sleep 1
	kill -INT $pullpid
	wait $pullpid
	rc=$?
	if [ $rc = 125 ] && grep -q 'interrupted' err && [ "$(wc -l <err)" = 1 ] &&
		[ "$(snapshot)" = "$before" ] && [ -z "$(ls "$WASM_BPF_STORE/ingest")" ]; then
		pass "Ctrl-C in the middle of a blob: $(cat err); store unchanged"
	else
		fail "Ctrl-C mid-pull" "exit $rc: $(first err)"
	fi
	kill "$FPID" 2>/dev/null
fi

# A full disk: a 1 MiB tmpfs for the store, a 4 MiB module.
if [ "$(id -u)" = 0 ] && mkdir small && mount -t tmpfs -o size=1m wbpf-oci-small small 2>/dev/null; then
	MOUNTED=$T/small
	WASM_BPF_STORE=$T/small/store "$W" images >/dev/null
	before=$(cd small/store && find . -type f ! -name lock | sort | xargs -r sha256sum)
	expect "disk full" 125 env WASM_BPF_STORE="$T/small/store" "$W" pull "$P/t/big:1" &&
		grep -q 'No space left' err &&
		[ "$(cd small/store && find . -type f ! -name lock | sort | xargs -r sha256sum)" = "$before" ]
	verdict $? "disk full during a pull: $(cut -c1-80 err); store unchanged"
	umount small && MOUNTED=
else
	skip "disk full" "needs root to mount a small tmpfs"
fi

# The progress bar: drawn on a terminal, nothing on a pipe.
rm -rf "$WASM_BPF_STORE"
if command -v script >/dev/null; then
	script -qec "\"$W\" pull \"$P/t/big:1\"" /dev/null >tty.out 2>&1 </dev/null
	rm -rf "$WASM_BPF_STORE"
	expect "pull, piped" 0 "$W" pull "$P/t/big:1"
	grep -q '\[==*\] 4.2 MB / 4.2 MB' tty.out && [ ! -s err ]
	verdict $? "progress bar on a terminal, nothing on stderr when piped"
else
	skip "progress bar" "no script(1)"
fi

# Plain HTTP for a name that is not loopback's only when listed insecure:
# this machine's host name, when it resolves to 127.0.0.1.
HN=$(hostname)
if [ "$(getent ahostsv4 "$HN" | awk 'NR == 1 { print $1 }')" = 127.0.0.1 ] && [ "$HN" != localhost ]; then
	expect "plain HTTP refused" 125 "$W" pull "$HN:$PORT_P/t/hello:1" && grep -q 'SSL' err &&
		expect "insecure listed" 0 env WASM_BPF_INSECURE_REGISTRIES="other.io,$HN:$PORT_P" "$W" pull "$HN:$PORT_P/t/hello:1"
	verdict $? "plain HTTP to $HN only when in WASM_BPF_INSECURE_REGISTRIES"
else
	skip "insecure registries" "the host name does not resolve to 127.0.0.1"
fi

# ---- one-line errors ------------------------------------------------------
expect "unknown tag" 125 "$W" pull "$P/t/hello:nope" && grep -q 'MANIFEST_UNKNOWN' err
verdict $? "unknown tag: $(cat err)"
expect "unknown registry" 125 "$W" pull no-such-registry.invalid/t/x:1
verdict $? "unknown registry: $(cat err)"
expect "refused connection" 125 "$W" pull "127.0.0.1:$(free_port)/t/x:1"
verdict $? "nothing listening: $(cat err)"
start_fake 500 biglayout && expect "HTTP 500" 125 "$W" pull "127.0.0.1:$FPORT/t/big:1" &&
	grep -q 'HTTP 500' err
verdict $? "HTTP 500: $(cat err)"
kill "$FPID" 2>/dev/null
# A registry's 404 body is longer than ecli's 2-byte config it replaces.
layout nocfg application/vnd.wasm.config.v1+json '{}' application/vnd.wasm.content.layer.v1+wasm hello.wasm
rm nocfg/blobs/sha256/"$(printf '{}' | sha256sum | cut -d' ' -f1)"
start_fake plain nocfg && expect "missing blob" 125 "$W" pull "127.0.0.1:$FPORT/any/thing:x" &&
	grep -q 'HTTP 404 BLOB_UNKNOWN' err
verdict $? "a blob the registry lacks: $(cat err)"
kill "$FPID" 2>/dev/null
expect "bad --pull" 2 "$W" run --pull sometimes "$P/t/hello:1" && grep -q 'invalid --pull' err &&
	expect "push usage" 2 "$W" push hello.wasm && grep -q 'Usage: wasm-bpf push' err
verdict $? "usage errors exit 2: $(head -1 err)"
expect "push a non-module" 125 "$W" push "$SRC/hello.wat" "$P/t/bad:1" && grep -q 'not a valid Wasm module' err
verdict $? "push of a file that is no Wasm module: $(cat err)"
# 34 bytes asking for 3 GiB of initial data: refused before it is laid out
printf '(module (memory 65536) (data (i32.const 0) "x") (data (i32.const 0xc0000000) "y"))' >huge.wat &&
	wat2wasm huge.wat -o huge.wasm &&
	expect "inspect huge data" 125 timeout 10 "$W" inspect huge.wasm &&
	grep -q 'more than 256 MiB of initial memory' err
verdict $? "inspect of a module with 3 GiB of initial data: $(cat err)"
expect "bad reference" 125 "$W" pull "$P/T/Upper"
verdict $? "bad reference: $(cat err)"
expect "no module" 125 "$W" run --pull never local.test/none:1 && grep -q 'not in the store' err
verdict $? "run --pull never of an image not stored: $(cat err)"

# ---- credentials: basic auth (htpasswd -B), login, logout ----------------
htpasswd -Bbc "$T/htpasswd" alice 's3cret pw' 2>/dev/null
start_registry auth htpasswd || fail "auth registry" "did not start"
A=$REG
expect "no credentials" 125 "$W" push hello.wasm "$A/t/hello:1" && grep -q 'authentication required' err
verdict $? "push without credentials: $(cat err)"
echo 'wrong' >pw
expect "wrong password" 125 sh -c "\"$W\" login \"$A\" -u alice --password-stdin <pw" &&
	grep -q 'HTTP 401' err && [ ! -s "$REGISTRY_AUTH_FILE" ]
verdict $? "login with a wrong password: $(cat err); nothing saved"
echo 's3cret pw' >pw
expect login 0 sh -c "\"$W\" login \"$A\" -u alice --password-stdin <pw" &&
	python3 -c 'import json,sys,base64; a=json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["auth"]; sys.exit(base64.b64decode(a)!=b"alice:s3cret pw")' "$REGISTRY_AUTH_FILE" "$A" &&
	[ "$(stat -c %a "$REGISTRY_AUTH_FILE")" = 600 ] &&
	expect "push with login" 0 "$W" push hello.wasm "$A/t/hello:1" &&
	expect "pull with login" 0 "$W" pull "$A/t/hello:1"
verdict $? "login saves docker-format credentials (mode 600) that push and pull use"
expect logout 0 "$W" logout "$A" && expect "after logout" 125 "$W" pull "$A/t/hello:1"
verdict $? "logout removes them: $(cat err)"
# podman's file, found through XDG_RUNTIME_DIR when REGISTRY_AUTH_FILE is unset
mkdir -p run/containers
printf '{"auths":{"%s":{"auth":"%s"}}}' "$A" "$(printf 'alice:s3cret pw' | base64)" >run/containers/auth.json
expect "containers auth.json" 0 env -u REGISTRY_AUTH_FILE XDG_RUNTIME_DIR="$T/run" HOME="$T" "$W" pull "$A/t/hello:1"
verdict $? "credentials read from \$XDG_RUNTIME_DIR/containers/auth.json"
mkdir -p .docker && mv run/containers/auth.json .docker/config.json
expect "docker config.json" 0 env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR HOME="$T" "$W" pull "$A/t/hello:1"
verdict $? "credentials read from ~/.docker/config.json"

# ---- bearer tokens (the fake registry's token server) --------------------
rm -rf "$WASM_BPF_STORE"
"$W" pull "$P/t/hello:1" >/dev/null 2>&1
if start_fake bearer "$WASM_BPF_STORE"; then
	FR=127.0.0.1:$FPORT
	rm -rf st2
	expect "bearer, no credentials" 125 env WASM_BPF_STORE="$T/st2" "$W" pull "$FR/t/hello:1" &&
		grep -q 'HTTP 401' err
	verdict $? "bearer token refused without credentials: $(cat err)"
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$FR" "$(printf 'u:p' | base64)" >"$REGISTRY_AUTH_FILE"
	expect "bearer" 7 env WASM_BPF_STORE="$T/st2" "$W" run "$FR/t/hello:1"
	verdict $? "bearer challenge: token fetched with basic credentials, image pulled and run"
	rm -f "$REGISTRY_AUTH_FILE"
	kill "$FPID" 2>/dev/null
fi

# ---- TLS: a certificate made now, our CA given by WASM_BPF_CA_FILE -------
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1 && start_registry tls tls; then
	S=$REG
	expect "TLS unknown CA" 125 "$W" push hello.wasm "$S/t/hello:1" && grep -qi 'certificate' err
	verdict $? "TLS with an unknown CA is refused, no fallback to HTTP: $(cut -c1-100 err)"
	expect "TLS push" 0 env WASM_BPF_CA_FILE="$T/cert.pem" "$W" push hello.wasm "$S/t/hello:1" &&
		expect "TLS run" 7 env WASM_BPF_CA_FILE="$T/cert.pem" "$W" run --pull always "$S/t/hello:1"
	verdict $? "TLS registry: push and pull over HTTPS with the CA from WASM_BPF_CA_FILE"
else
	fail TLS "could not make a certificate or start the TLS registry"
fi

# ---- signatures (cosign's key scheme), made and checked both ways --------
openssl ecparam -name prime256v1 -genkey -noout -out k1.pem 2>/dev/null
openssl ec -in k1.pem -pubout -out k1.pub 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out k2.pem 2>/dev/null
openssl ec -in k2.pem -pubout -out k2.pub 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out k3.pem 2>/dev/null
openssl ec -in k3.pem -pubout -out k3.pub 2>/dev/null
rm -rf "$WASM_BPF_STORE"
"$W" push hello.wasm "$P/s/ours:1" >out 2>&1
SD=$(sed 's/.*@//' out)
SIGTAG=sha256-${SD#sha256:}.sig
expect sign 0 "$W" sign --key k1.pem "$P/s/ours:1" &&
	expect "verify" 0 "$W" verify --key k1.pub "$P/s/ours:1"
verdict $? "sign stores and pushes the signature; verify checks it"
# Our signature, checked by openssl: payload names the digest, signature
# verifies over it.
if skopeo inspect --tls-verify=false --raw "docker://$P/s/ours:$SIGTAG" >sig.json 2>skopeo.err; then
	python3 - sig.json >sigparts 2>&1 <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))["layers"][0]
print(l["mediaType"], l["digest"], l["annotations"]["dev.cosignproject.cosign/signature"])
PY
	read -r lmt ldg lsig <sigparts
	curl -s "http://$P/v2/s/ours/blobs/$ldg" >payload.json
	printf '%s' "$lsig" | base64 -d >sig.der
	if [ "$lmt" = application/vnd.dev.cosign.simplesigning.v1+json ] &&
		grep -q "\"docker-manifest-digest\":\"$SD\"" payload.json &&
		grep -q '"type":"cosign container image signature"' payload.json &&
		openssl dgst -sha256 -verify k1.pub -signature sig.der payload.json >/dev/null 2>&1; then
		pass "our signature image: cosign media type and annotation, payload names the digest, openssl verifies it"
	else
		fail "signature format" "$(cat sigparts) $(first payload.json)"
	fi
else
	fail "signature tag" "$(first skopeo.err)"
fi
# A second signer adds a layer; the first signature stays.
rm -rf "$WASM_BPF_STORE"
expect "second signer" 0 "$W" sign --key k2.pem "$P/s/ours:1" &&
	[ "$(skopeo inspect --tls-verify=false --raw "docker://$P/s/ours:$SIGTAG" | grep -o simplesigning | wc -l)" = 2 ] &&
	expect "pull, second key" 0 "$W" pull --verify-key k2.pub "$P/s/ours:1" &&
	expect "first key still" 0 "$W" verify --key k1.pub "$P/s/ours:1" &&
	expect "local sign" 0 "$W" sign --local --key k2.pem "$P/s/ours:1" &&
	[ "$(grep -o simplesigning "$WASM_BPF_STORE/blobs/sha256/$(python3 -c 'import json,sys; print([m["digest"][7:] for m in json.load(open(sys.argv[1]))["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"].endswith(".sig")][0])' "$WASM_BPF_STORE/index.json")" | wc -l)" = 3 ]
verdict $? "sign adds a signature to those already there, in the registry and in the store (--local)"
rm -rf "$WASM_BPF_STORE"
expect "pull --verify-key" 0 "$W" pull --verify-key k3.pub --verify-key k1.pub "$P/s/ours:1" &&
	expect "verify offline" 0 "$W" verify --key k1.pub "$P/s/ours:1"
verdict $? "pull --verify-key (one of two keys) stores the signature for offline verify"
rm -rf "$WASM_BPF_STORE" && "$W" images >/dev/null
before=$(snapshot)
expect "wrong key" 125 "$W" pull --verify-key k3.pub "$P/s/ours:1" && grep -q 'does not verify' err &&
	[ "$(snapshot)" = "$before" ]
verdict $? "wrong key refused, nothing stored: $(cut -c1-110 err)..."

# sig_image DIGEST PAYLOAD-DIGEST KEY [tamper]: a signature image made by
# openssl and pushed by skopeo (another implementation of the scheme).
sig_image() {
	cat >payload.json <<JSON
{"critical":{"identity":{"docker-reference":"$P/s/theirs"},"image":{"docker-manifest-digest":"$2"},"type":"cosign container image signature"},"optional":{"creator":"openssl"}}
JSON
	printf '%s' "$(tr -d '\n' <payload.json)" >payload.min && mv payload.min payload.json
	openssl dgst -sha256 -sign "$3" payload.json | base64 -w0 >sig.b64
	[ "${4:-}" = tamper ] && python3 -c 'import sys; s=open("sig.b64").read(); open("sig.b64","w").write(s[:20]+("A" if s[20]!="A" else "B")+s[21:])'
	rm -rf siglayout
	python3 - "$(cat sig.b64)" <<'PY'
import hashlib, json, os, sys
d = "siglayout"
os.makedirs(d + "/blobs/sha256")
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open("%s/blobs/sha256/%s" % (d, h), "wb").write(b)
    return {"digest": "sha256:" + h, "size": len(b)}
p = open("payload.json", "rb").read()
m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
     "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **put(b"{}")),
     "layers": [dict(mediaType="application/vnd.dev.cosign.simplesigning.v1+json",
                     annotations={"dev.cosignproject.cosign/signature": sys.argv[1]}, **put(p))]}
md = put(json.dumps(m).encode())
open(d + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [dict(mediaType=m["mediaType"],
    annotations={"org.opencontainers.image.ref.name": "x"}, **md)]}, open(d + "/index.json", "w"))
PY
	skopeo copy -q --dest-tls-verify=false oci:siglayout:x "docker://$P/s/theirs:sha256-${1#sha256:}.sig" 2>skopeo.err
}
skopeo_push cncf "$P/s/theirs:1"
TD=$(skopeo inspect --tls-verify=false --raw "docker://$P/s/theirs:1" | sha256sum | cut -d' ' -f1)
TD=sha256:$TD
rm -rf "$WASM_BPF_STORE"
sig_image "$TD" "$TD" k1.pem && expect "their signature" 7 "$W" run --verify-key k1.pub "$P/s/theirs:1"
verdict $? "a signature made by openssl and pushed by skopeo verifies; run --verify-key runs"
rm -rf "$WASM_BPF_STORE"
sig_image "$TD" "$TD" k1.pem tamper && expect "tampered" 125 "$W" run --verify-key k1.pub "$P/s/theirs:1" &&
	grep -q 'does not verify' err && [ ! -d "$WASM_BPF_STORE/blobs" -o -z "$(ls "$WASM_BPF_STORE/blobs/sha256")" ]
verdict $? "a tampered signature is refused, nothing stored"
sig_image "$TD" "$SD" k1.pem && expect "other digest" 125 "$W" pull --verify-key k1.pub "$P/s/theirs:1" &&
	grep -q "signature is for $SD, not for $TD" err
verdict $? "a valid signature naming another digest is refused: $(cut -c1-60 err)..."
expect "unsigned" 125 "$W" pull --verify-key k1.pub "$P/t/hello:1" && grep -q 'no signature' err
verdict $? "an unsigned image is refused with --verify-key: $(cut -c1-70 err)..."

# What a writer killed mid-commit leaves (a staged file nobody holds) goes
# with the next commit; a pull killed mid-transfer leaves nothing.
rm -rf "$WASM_BPF_STORE" && "$W" images >/dev/null
echo leftover >"$WASM_BPF_STORE/ingest/tmp-killed1"
touch -d '2 minutes ago' "$WASM_BPF_STORE/ingest/tmp-killed1"
if start_fake stall biglayout; then
	"$W" pull "127.0.0.1:$FPORT/t/big:1" >/dev/null 2>&1 &
	pullpid=$!
	sleep 1
	kill -KILL $pullpid
	wait $pullpid 2>/dev/null
	kill "$FPID" 2>/dev/null
	[ -z "$(ls "$WASM_BPF_STORE/blobs/sha256")" ] &&
		[ "$(ls "$WASM_BPF_STORE/ingest")" = tmp-killed1 ] &&
		expect "after a kill" 0 "$W" pull "$P/t/hello:1" &&
		[ -z "$(ls "$WASM_BPF_STORE/ingest")" ] &&
		[ "$(ls "$WASM_BPF_STORE/blobs/sha256" | wc -l)" = 3 ]
	verdict $? "a pull killed (SIGKILL) mid-blob leaves nothing; a killed writer's staged file goes with the next commit"
fi

# An image stored without its signature: run --verify-key fetches it,
# unless told not to use the network.
rm -rf "$WASM_BPF_STORE"
"$W" pull "$P/s/ours:1" >/dev/null 2>&1
expect "unsigned in store, never" 125 "$W" run --pull never --verify-key k1.pub "$P/s/ours:1" &&
	grep -q 'no signature' err &&
	expect "signature fetched" 7 "$W" run --verify-key k1.pub "$P/s/ours:1" &&
	expect "then offline" 7 "$W" run --pull never --verify-key k1.pub "$P/s/ours:1"
verdict $? "run --verify-key of an image stored without its signature fetches it (not with --pull never)"

# ---- check REF: the image as run takes it, its signature, the image rules
expect "check REF signed" 0 "$W" check -o json --verify-key k1.pub "$P/s/ours:1" &&
	python3 -c 'import json,sys; r=json.load(open("out")); i=r["image"]; c={x["check"]: x["ok"] for x in r["checks"]}
sys.exit(not (r["runs"] and i["digest"]==sys.argv[1] and i["verified"] and i["allowed"] and c["signature"] and c["image rules"] and "objects" in r))' "$SD" &&
	expect "check REF wrong key" 1 "$W" check --verify-key k3.pub "$P/s/ours:1" &&
	grep -q '^  NO   signature  *.*does not verify' out && grep -q "^image $P/s/ours:1@$SD" out &&
	expect "check REF unsigned under require_signature" 1 "$W" check --policy sig.yaml "$P/s/ours:1" &&
	grep -q '^  NO   image rules  *image .* has no verified signature' out &&
	printf 'images: {allow: ["*/s/ours:*"]}\n' >oallow.yaml &&
	expect "check REF allowed" 0 "$W" check --policy oallow.yaml --pull never "$P/s/ours:1" &&
	grep -q "^  ok   image rules  *allowed by oallow.yaml" out ||
	{ WHY=${WHY:-$(first out)}; false; }
r1=$?
before=$(snapshot)
[ $r1 = 0 ] && expect "check REF pull denied" 1 "$W" check --policy pdeny.yaml "$P/t/hello:1" &&
	grep -q "^  NO   image rules  *image $P/t/hello:1@sha256:[0-9a-f]* is denied by images.deny\[0\] (pdeny.yaml:1)" out &&
	[ "$(snapshot)" = "$before" ] &&
	expect "check REF not stored, never" 125 "$W" check --pull never "$P/t/hello:1"
verdict $? "check REF: the image from the store or pulled as --pull says, signature verified (or which key failed), image rules (a denied pull stores nothing), then its module"
if [ -f "$EX" ] && "$W" push "$EX" "$P/t/opensnoop:v2" >/dev/null 2>&1; then
	"$W" check -o json "$EX" >f.json 2>/dev/null
	"$W" check -o json "$P/t/opensnoop:v2" >r.json 2>/dev/null
	python3 -c 'import json,sys; a=json.load(open("f.json")); b=json.load(open("r.json")); sys.exit(not (a["objects"] and a["objects"]==b["objects"] and a["imports"]==b["imports"]))'
	verdict $? "check REF of an example: the same objects and imports as check FILE"
fi

# ---- two pulls at once into one store ----------------------------------
rm -rf "$WASM_BPF_STORE"
"$W" pull "$P/t/big:1" >c1.out 2>&1 &
c1=$!
"$W" pull "$P/t/big:1" >c2.out 2>&1
r2=$?
wait $c1
r1=$?
[ "$r1$r2" = 00 ] && [ "$(grep -c ref.name "$WASM_BPF_STORE/index.json")" = 1 ] &&
	[ "$(ls "$WASM_BPF_STORE/blobs/sha256" | wc -l)" = 3 ] && [ -z "$(ls "$WASM_BPF_STORE/ingest")" ] &&
	expect "after concurrent pulls" 7 "$W" run --pull never "$P/t/big:1"
verdict $? "two concurrent pulls of one image: both succeed, one entry, three blobs, nothing staged left"

# ---- offline: run from the store with no registry at all ------------------
rm -rf "$WASM_BPF_STORE"
"$W" pull --verify-key k1.pub "$P/s/ours:1" >/dev/null 2>&1
for p in $PIDS; do kill "$p" 2>/dev/null; done
for p in $PIDS; do wait "$p" 2>/dev/null; done
PIDS=""
expect "offline run" 7 "$W" run --pull never --verify-key k1.pub "$P/s/ours:1" &&
	expect "offline run, missing policy" 7 "$W" run "$P/s/ours:1" &&
	expect "offline wrong key" 125 "$W" run --pull never --verify-key k3.pub "$P/s/ours:1"
verdict $? "run --pull never (and missing) of a stored image with no registry running; signature checked offline"
expect "offline always" 125 "$W" run --pull always "$P/s/ours:1"
verdict $? "run --pull always with the registry gone: $(cut -c1-90 err)"

# ---- fuzzing ----------------------------------------------------------------
# A short libFuzzer run (FUZZ_SECONDS, default 10; 0 skips) of the parsers
# on untrusted bytes, seeded with what this suite produced.
fuzz_oci() {
	secs=${FUZZ_SECONDS:-10}
	name="fuzz/fuzz_oci"
	if [ "$secs" = 0 ]; then
		skip "$name" "FUZZ_SECONDS=0"
		return
	fi
	if ! (cd "$ROOT" && make -s build-fuzz/fuzz_oci) >fuzz-build.log 2>&1; then
		if grep -q "fsanitize=fuzzer" fuzz-build.log; then
			skip "$name" "clang has no libFuzzer"
		else
			fail "$name" "build: $(first fuzz-build.log)"
		fi
		return
	fi
	mkdir -p corpus "$ROOT/build-fuzz/artifacts"
	{ printf '\000'; cat raw.json; } >corpus/manifest
	{ printf '\000'; cat sig.json; } >corpus/sig
	printf '\001%s' "$P/t/hello:1@$D1" >corpus/ref
	printf '\002%s' "$(cat sig.b64)" >corpus/b64
	{ printf '\003'; cat sv/index.json; } >corpus/index
	{ printf '\004'; cat saved.tar; } >corpus/tar
	"$ROOT/build-fuzz/fuzz_oci" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$ROOT/build-fuzz/artifacts/" \
		-print_final_stats=1 corpus >fuzz.log 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' fuzz.log)
	if [ $rc = 0 ]; then
		pass "$name (${runs:-?} runs in ${secs}s)"
	else
		fail "$name" "exit $rc: $(grep -m1 'ERROR\|SUMMARY\|runtime error' fuzz.log)"
	fi
}
fuzz_oci
exit 0
