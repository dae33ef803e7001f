#!/bin/sh
# daemon/tests/sig.sh — signed images in the daemon (wasm-bpfd
# --verify-key): a loopback docker-registry, keys made with openssl,
# images signed with `wasm-bpf sign`; verified at the pull and at every
# open from the store (a start, an upgrade, a restore after a restart),
# refused when no trusted key verifies them, and images.require_signature
# in the daemon; the default key directory /etc/wasm-bpf/keys. Run by
# daemon/tests/run.sh (root, real kernel); PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BOOT=$ROOT/build/examples/bootstrap/bootstrap.wasm
SUITE="daemon signatures"
TNAME=dsig
. "$ROOT/daemon/tests/lib.sh"
# Images are pushed from another store than the daemon's, so the daemon
# lacks them until it pulls.
PUSH=$T/pushstore

[ "$(id -u)" = 0 ] || { skip all "needs root (BPF programs in the kernel)"; exit 0; }
[ -f "$BOOT" ] || { skip all "no $BOOT (make examples)"; exit 0; }
for t in docker-registry openssl; do
	command -v $t >/dev/null || { skip all "no $t"; exit 0; }
done

# ps_field ID KEY: the field as `wasm-bpf ps -o json` shows it.
ps_field() {
	"$W" ps -o json | python3 -c "import json,sys; print(''.join(p.get('$2','') for p in json.load(sys.stdin) if p['id']=='$1'))"
}
failed_ids() {
	"$W" ps -o json | python3 -c 'import json,sys; print(" ".join(p["id"] for p in json.load(sys.stdin) if p["state"]=="failed"))'
}

for k in k1 k2; do
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/$k.pem" 2>/dev/null &&
		openssl ec -in "$T/$k.pem" -pubout -out "$T/$k.pub" 2>/dev/null
done
[ -s "$T/k1.pub" ] && [ -s "$T/k2.pub" ]
verdict "keys made with openssl" "$(ls "$T")" || exit 0

. "$ROOT/oci/tests/lib.sh"
start_registry reg >"$T/reg.out" || { fail registry "$(cat "$T/reg.out")"; exit 0; }
SIGNED=$REG/dsig/bootstrap:signed
# Another repository: signatures are kept by repository and digest.
UNSIGNED=$REG/dsig/unsigned:v1
WASM_BPF_STORE=$PUSH "$W" push "$BOOT" "$SIGNED" >"$T/push.out" 2>&1 &&
	WASM_BPF_STORE=$PUSH "$W" sign --key "$T/k1.pem" "$SIGNED" >>"$T/push.out" 2>&1 &&
	WASM_BPF_STORE=$PUSH "$W" push "$BOOT" "$UNSIGNED" >>"$T/push.out" 2>&1
verdict "an image pushed and signed with k1, another pushed unsigned" "$(tr '\n' '|' <"$T/push.out" | head -c 300)"

# ---- bad keys: the daemon does not start ------------------------------------------
echo junk >"$T/junk.pub"
"$D" --socket "$S" --state-dir "$ST" --verify-key "$T/junk.pub" >"$T/bad.out" 2>&1
rc=$?
"$D" --socket "$S" --state-dir "$ST" --verify-key "$T/none.pub" >>"$T/bad.out" 2>&1
rc2=$?
[ $rc = 2 ] && [ $rc2 = 2 ] && grep -qF "$T/junk.pub: not a PEM public key" "$T/bad.out" &&
	grep -qF "$T/none.pub: No such file" "$T/bad.out" && [ ! -S "$S" ]
verdict "--verify-key of a file not a public key, or missing: exit 2 naming it" "exit $rc/$rc2: $(tr '\n' '|' <"$T/bad.out")"

# ---- trusted keys k2 and k1 ----------------------------------------------------------
start_daemon --verify-key "$T/k2.pub" --verify-key "$T/k1.pub"
verdict "starts with two --verify-key" "$(tail -3 "$T/daemon.log" | tr '\n' '|')" || exit 0
grep -q "verifying images with 2 trusted keys" "$T/daemon.log"
verdict "says it verifies images" "$(tail -3 "$T/daemon.log" | tr '\n' '|')"
keep=$("$W" run -d "$SIGNED" 2>"$T/run.err")
rc=$?
sleep 0.3
[ $rc = 0 ] && [ "$(field "$keep" state)" = running ] &&
	[ "$(field "$keep" signature)" = "verified by $T/k1.pub" ] &&
	[ "$(ps_field "$keep" signature)" = "verified by $T/k1.pub" ]
verdict "a signed image: pulled with its signature, verified by k1, runs (signature in the JSON and ps -o json)" \
	"exit $rc: $(head -c 200 "$T/run.err") state $(field "$keep" state) signature $(field "$keep" signature)"

"$W" run -d "$UNSIGNED" >/dev/null 2>"$T/run.err"
rc=$?
f_id=$(failed_ids)
[ $rc = 125 ] && grep -q "pull of $UNSIGNED failed: .*sig" "$T/run.err" && [ "$(echo $f_id | wc -w)" = 1 ] &&
	field "$f_id" error | grep -q "pull of .*sig" && ! "$W" images | grep -q "dsig/unsigned"
verdict "an unsigned image's pull: refused, the plugin failed (125) with the reason, nothing stored" \
	"exit $rc: $(cat "$T/run.err"); failed: $f_id"
for id in $f_id; do "$W" stop "$id" >/dev/null; done

# An unsigned image already in the store (pulled by the command, no keys).
"$W" pull "$UNSIGNED" >/dev/null 2>&1
got=$(api POST /v1/plugins "{\"module\": \"$UNSIGNED\", \"pull\": \"never\"}")
[ "$got" = 400 ] && grep -qF "$UNSIGNED: not signed (no signature in the store) and the daemon verifies images" "$T/body"
verdict "an unsigned image in the store: 400 naming it" "got $got: $(head -c 300 "$T/body")"
"$W" upgrade --pull never "$keep" "$UNSIGNED" >"$T/up.out" 2>&1
rc=$?
[ $rc != 0 ] && grep -qF "$UNSIGNED: not signed" "$T/up.out" && [ "$(field "$keep" state)" = running ] &&
	[ "$(field "$keep" module)" = "$SIGNED" ] && [ "$(field "$keep" signature)" = "verified by $T/k1.pub" ]
verdict "upgrade to an unsigned stored image: refused, the signed version runs on" "exit $rc: $(head -c 300 "$T/up.out")"
# Pull missing: stored without its signature, so pulled again with it.
"$W" run -d "$UNSIGNED" >/dev/null 2>"$T/run.err"
rc=$?
f_id=$(failed_ids)
[ $rc = 125 ] && grep -q "pull of $UNSIGNED failed" "$T/run.err"
verdict "an unsigned image in the store, pull missing: its signature is fetched, none: 125" "exit $rc: $(cat "$T/run.err")"
for id in $f_id; do "$W" stop "$id" >/dev/null; done

printf 'images: {require_signature: true}\n' >"$T/sig.yaml"
r_id=$("$W" run -d --policy "$T/sig.yaml" "$SIGNED" 2>"$T/run.err")
sleep 0.3
[ -n "$r_id" ] && [ "$(field "$r_id" state)" = running ]
verdict "images.require_signature with a verifying key: runs" "$(head -c 300 "$T/run.err")"
[ -n "$r_id" ] && "$W" stop "$r_id" >/dev/null
stop_daemon

# ---- only the wrong key: nothing signed by k1 is run or restored ----------------------
: >"$T/daemon.log"
start_daemon --verify-key "$T/k2.pub"
sleep 0.3
[ "$("$W" ps -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0 ] &&
	grep -q "cannot restore $keep: .*signature verifies with none of the 1 trusted keys" "$T/daemon.log" &&
	[ -f "$ST/$keep.json" ]
verdict "restart with the wrong key: the signed plugin is not restored, its record stays" "$(tr '\n' '|' <"$T/daemon.log" | head -c 400)"
got=$(api POST /v1/plugins "{\"module\": \"$SIGNED\", \"pull\": \"never\"}")
[ "$got" = 400 ] && grep -qF "$SIGNED: signature verifies with none of the 1 trusted keys" "$T/body"
verdict "a stored image signed with another key: 400" "got $got: $(head -c 300 "$T/body")"
"$W" run -d --pull always "$SIGNED" >/dev/null 2>"$T/run.err"
rc=$?
f_id=$(failed_ids)
[ $rc = 125 ] && grep -q "pull of $SIGNED failed" "$T/run.err"
verdict "its pull with the wrong key: 125" "exit $rc: $(cat "$T/run.err")"
for id in $f_id; do "$W" stop "$id" >/dev/null; done
stop_daemon

# ---- no keys: nothing verified --------------------------------------------------------
if ls /etc/wasm-bpf/keys/*.pub >/dev/null 2>&1; then
	skip "require_signature without keys" "/etc/wasm-bpf/keys holds trusted keys on this machine"
else
	start_daemon
	got=$(api POST /v1/plugins "{\"module\": \"$SIGNED\", \"pull\": \"never\", \"policy\": \"$T/sig.yaml\"}")
	[ "$got" = 400 ] && grep -qF "has no verified signature, which images.require_signature asks for ($T/sig.yaml:1); give its key with --verify-key" "$T/body"
	verdict "images.require_signature without keys: 400 naming the rule" "got $got: $(head -c 300 "$T/body")"
	[ "$(field "$keep" state)" = running ] && [ -z "$(field "$keep" signature)" ]
	verdict "without keys a restore is not verified (no signature field)" "state $(field "$keep" state) $(field "$keep" signature)"
	stop_daemon
fi

# ---- /etc/wasm-bpf/keys: the default key directory --------------------------------------
# The daemon in a mount namespace of its own where an overlay on /etc
# adds the directory (gone with the namespace).
mkdir -p "$T/etc/up/wasm-bpf/keys" "$T/etc/work"
cp "$T/k1.pub" "$T/etc/up/wasm-bpf/keys/k1.pub"
cat >"$T/in-etc.sh" <<EOF2
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount -t overlay overlay -o lowerdir=/etc,upperdir=$T/etc/up,workdir=$T/etc/work /etc && exec "\$0" "\$@"' "$D" "\$@"
EOF2
chmod +x "$T/in-etc.sh"
if ! "$T/in-etc.sh" --help >/dev/null 2>&1; then
	skip "/etc/wasm-bpf/keys" "no overlay mount in a mount namespace here"
else
	D0=$D D=$T/in-etc.sh
	start_daemon
	sleep 0.3
	[ "$(field "$keep" state)" = running ] &&
		[ "$(field "$keep" signature)" = "verified by /etc/wasm-bpf/keys/k1.pub" ]
	verdict "a key in /etc/wasm-bpf/keys is trusted without --verify-key: restored, verified" \
		"state $(field "$keep" state) $(field "$keep" signature) $(tail -3 "$T/daemon.log" | tr '\n' '|')"
	got=$(api POST /v1/plugins "{\"module\": \"$UNSIGNED\", \"pull\": \"never\"}")
	[ "$got" = 400 ] && grep -qF "$UNSIGNED: not signed" "$T/body"
	verdict "and an unsigned image refused" "got $got: $(head -c 300 "$T/body")"
	stop_daemon
	echo junk >"$T/etc/up/wasm-bpf/keys/junk.pub"
	"$D" --socket "$S" --state-dir "$ST" >"$T/bad.out" 2>&1
	rc=$?
	[ $rc = 1 ] && grep -qF "/etc/wasm-bpf/keys/junk.pub: not a PEM public key" "$T/bad.out" && [ ! -S "$S" ]
	verdict "a file in /etc/wasm-bpf/keys that is no key: the daemon does not start, naming it" "exit $rc: $(cat "$T/bad.out")"
	D=$D0
fi

# ---- the right key again: the restore verifies ---------------------------------------
start_daemon --verify-key "$T/k1.pub"
sleep 0.3
[ "$(field "$keep" state)" = running ] && [ "$(field "$keep" signature)" = "verified by $T/k1.pub" ]
verdict "restart with k1: restored, verified again" "state $(field "$keep" state) $(field "$keep" signature)"
"$W" stop "$keep" >/dev/null
[ "$(ls "$ST" | wc -l)" = 0 ] && [ "$(prog_ids "$DPID" | wc -l)" = 0 ]
verdict "stopped: no record, no BPF program left" "$(ls "$ST") $(prog_ids "$DPID" | wc -l) programs"
stop_daemon
exit 0
