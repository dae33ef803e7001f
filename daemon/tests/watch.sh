#!/bin/sh
# daemon/tests/watch.sh — declared plugins (wasm-bpfd --plugins-dir) for
# real: spec files added, changed (a live upgrade), broken, removed, a
# Kubernetes ConfigMap's `..data` symlink swap, nodeSelector against the
# node's labels, a restart adopting what runs; the JSON-lines logs
# (-o json, --copy-output) and /metrics on TCP (--metrics-addr). Run by
# daemon/tests/run.sh (root, real kernel); PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BOOT=$ROOT/build/examples/bootstrap/bootstrap.wasm
SUITE="daemon plugins-dir"
TNAME=watch
. "$ROOT/daemon/tests/lib.sh"
P=$T/plugins # the watched directory, laid out as kubelet lays out a ConfigMap
STATUS=$T/status.json

[ "$(id -u)" = 0 ] || { skip all "needs root (BPF programs in the kernel)"; exit 0; }
[ -f "$BOOT" ] || { skip all "no $BOOT (make examples)"; exit 0; }
# A free loopback port for --metrics-addr.
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# ConfigMap layout: ..TIMESTAMP/ holds the files, ..data points at it,
# and each key is a symlink through ..data.
cm_version() { # NAME: a new timestamped directory with the specs in $T/next/
	mkdir "$P/..$1"
	cp "$T"/next/* "$P/..$1/" 2>/dev/null
	ln -s "..$1" "$P/..data_tmp"
	mv -T "$P/..data_tmp" "$P/..data" # the atomic swap kubelet does
	for f in "$T"/next/*; do
		[ -e "$f" ] || continue
		k=$(basename "$f")
		[ -L "$P/$k" ] || ln -s "..data/$k" "$P/$k"
	done
}
mkdir -p "$P" "$T/next"
cat >"$T/next/boot.yaml" <<EOF2
# bootstrap on every node
module: $BOOT
env: {WBPF_FROM: configmap}
limits: {max_memory: 32M}
EOF2
cm_version v1
printf 'role="worker"\nkubernetes.io/os="linux"\n' >"$T/labels"

# st FILE KEY: a field of FILE's entry in the status file.
st() {
	python3 - "$STATUS" "$1" "$2" <<'PY' 2>/dev/null
import json, sys
s = json.load(open(sys.argv[1]))
for p in s.get("plugins", []):
    if p["file"] == sys.argv[2]:
        print(p.get(sys.argv[3], ""))
PY
}
# wait_for SECONDS CMD...: until CMD succeeds.
wait_for() {
	n=$(($1 * 10))
	shift
	for _ in $(seq "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
state_is() { [ "$(st "$1" state)" = "$2" ]; }
err_has() { st "$1" error | grep -q "$2"; }
no_error() { [ -n "$(st "$1" state)" ] && [ -z "$(st "$1" error)" ]; }
field() {
	curl -s --unix-socket "$S" "http://d/v1/plugins/$1" |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps(d.get('$2','')) if not isinstance(d.get('$2',''), str) else d['$2'])" 2>/dev/null
}
start_daemon() {
	"$D" --socket "$S" --state-dir "$ST" --plugins-dir "$P" \
		--plugins-status "$STATUS" --node-labels "$T/labels" --rescan 1 \
		--metrics-addr "127.0.0.1:$MPORT" -o json --copy-output \
		>>"$T/stdout" 2>>"$T/stderr" &
	DPID=$!
	wait_for 10 test -S "$S" && wait_for 10 test -f "$STATUS"
}

start_daemon
verdict "starts, converges, writes its status file" "$(tail -3 "$T/stderr")" || exit 1
wait_for 5 state_is boot.yaml running
verdict "a spec in a ConfigMap mount: its plugin runs" "$(cat "$STATUS")"
ID=$(st boot.yaml id)
[ "$(field "$ID" name)" = boot ] && [ "$(field "$ID" env)" = '["WBPF_FROM=configmap"]' ] &&
	[ "$(field "$ID" limits | python3 -c 'import json,sys; print(json.load(sys.stdin)["max_memory"])')" = 33554432 ]
verdict "the plugin has the spec's name, env and limits" "$(curl -s --unix-socket "$S" "http://d/v1/plugins/$ID")"

# ---- events, as JSON lines ---------------------------------------------------

cp /bin/true "$T/wbpfwatch$$"
wait_for 5 sh -c "'$T/wbpfwatch$$'; '$W' logs '$ID' | grep -q 'EXEC  wbpfwatch'"
verdict "its events are in its log" "$("$W" logs "$ID" | tail -3)"
"$W" logs -o json "$ID" >"$T/logs.json"
python3 - "$T/logs.json" "$ID" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]
assert objs, "no lines"
for o in objs:
    assert set(o) == {"time", "id", "name", "stream", "message"}, o
    assert o["id"] == sys.argv[2] and o["name"] == "boot", o
    assert o["stream"] in ("stdout", "stderr", "daemon"), o
    assert o["time"].endswith("Z") and "T" in o["time"], o
assert any("wbpfwatch" in o["message"] and o["stream"] == "stdout" for o in objs)
PY
verdict "logs -o json: one JSON object a line (time, id, name, stream, message)" "$(head -3 "$T/logs.json")"
python3 - "$T/stdout" "$T/stderr" <<'PY'
import json, sys
out = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
err = [json.loads(l) for l in open(sys.argv[2]).read().splitlines()]
assert any(o.get("name") == "boot" and "wbpfwatch" in o["message"] for o in out)
assert all(o["stream"] == "daemon" and "time" in o for o in err)
assert any("started boot" in o["message"] for o in err)
PY
verdict "--copy-output -o json: plugins' lines on stdout, the daemon's on stderr, all JSON" "$(tail -2 "$T/stdout"; tail -2 "$T/stderr")"

# A tool's line that is a JSON object is an "event" object, not a string.
wat2wasm "$ROOT/daemon/tests/jsonev.wat" -o "$T/jsonev.wasm"
printf 'module: %s\n' "$T/jsonev.wasm" >"$P/jsonev.yaml"
wait_for 5 state_is jsonev.yaml exited
JID=$(st jsonev.yaml id)
"$W" logs -o json "$JID" >"$T/ev.json"
python3 - "$T/ev.json" <<'PY'
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
ev = [o for o in objs if "event" in o]
assert len(ev) == 1 and ev[0]["event"] == {"type": "exec", "pid": 42, "comm": "true"}, objs
assert "message" not in ev[0] and ev[0]["stream"] == "stdout"
assert any(o.get("message") == "plain line" and o["stream"] == "stdout" for o in objs)
assert any(o.get("message") == "to stderr" and o["stream"] == "stderr" for o in objs)
assert any(o["stream"] == "daemon" and "exited, status 0" in o["message"] for o in objs)
PY
verdict "JSON lines: a tool's JSON object line is an \"event\", stdout and stderr told apart" "$(cat "$T/ev.json")"
rm "$P/jsonev.yaml"

# ---- /metrics on TCP -----------------------------------------------------------

curl -s "http://127.0.0.1:$MPORT/metrics" >"$T/metrics"
grep -q "^wasm_bpf_plugin_info{id=\"$ID\",name=\"boot\",state=\"running\"} 1" "$T/metrics" &&
	promtool check metrics <"$T/metrics" >"$T/promtool" 2>&1
verdict "--metrics-addr: /metrics on 127.0.0.1 passes promtool check metrics" "$(head -3 "$T/promtool" "$T/metrics")"
code=$(curl -s -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$MPORT/v1/plugins")
[ "$code" = 404 ] && grep -q error "$T/body"
verdict "--metrics-addr serves nothing but /metrics" "got $code"

# ---- change: a live upgrade ------------------------------------------------------

started=$(field "$ID" started)
cat >"$T/next/boot.yaml" <<EOF2
module: $BOOT
args: ["-v"]
env: {WBPF_FROM: configmap}
limits: {max_memory: 32M}
EOF2
cm_version v2
wait_for 8 sh -c "[ \"\$(curl -s --unix-socket '$S' http://d/v1/plugins/$ID | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"args\"])' 2>/dev/null)\" = \"['-v']\" ]"
verdict "..data swapped: the changed spec is applied" "$(curl -s --unix-socket "$S" "http://d/v1/plugins/$ID")"
reused=$(curl -s --unix-socket "$S" "http://d/v1/plugins/$ID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bpf"]["maps_reused"])')
wait_for 3 state_is boot.yaml running
[ "$(st boot.yaml id)" = "$ID" ] && [ "$(st boot.yaml action)" = upgraded ] &&
	[ "$reused" -ge 1 ] && [ "$(field "$ID" state)" = running ]
verdict "a changed spec is a live upgrade: same id, maps handed over" "action $(st boot.yaml action), maps_reused $reused"

# ---- add, malformed -----------------------------------------------------------------

printf '{"module": "%s",\n "args": ["-d", "3"]}\n' "$BOOT" >"$P/second.json"
wait_for 5 state_is second.json running
verdict "a JSON spec file added: started" "$(cat "$STATUS")"
SID=$(st second.json id)
s_started=$(field "$SID" started)
b_started=$(field "$ID" started)
printf '{"module": "%s",\n "args": ["-d", "4"\n "limits": {}}\n' "$BOOT" >"$P/second.json"
printf 'module: %s\nlimits:\n  fuel: lots\n' "$BOOT" >"$P/third.yaml"
printf '{"module": "%s", "args": 7}\n' "$BOOT" >"$P/fourth.json"
printf 'module: %s\n---\nmodule: %s\n' "$BOOT" "$BOOT" >"$P/fifth.yaml"
wait_for 5 state_is fourth.json invalid
st second.json error | grep -q '^second.json:3: ' &&
	st third.yaml error | grep -q '^third.yaml:3: limit "fuel" must be a non-negative integer' &&
	st fourth.json error | grep -q '^fourth.json:1: "args" must be a list of strings' &&
	st fifth.yaml error | grep -q '^fifth.yaml:3: a second YAML document' &&
	state_is second.json invalid
verdict "malformed specs: each an error in the status naming the file, line and problem" \
	"$(st second.json error) | $(st third.yaml error) | $(st fourth.json error) | $(st fifth.yaml error)"
grep -q 'third.yaml:3: limit \\"fuel\\" must be a non-negative integer (nothing changed for it)' "$T/stderr"
verdict "a malformed spec is logged once, as a JSON line" "$(grep -c third.yaml "$T/stderr") lines"
"$W" declared >"$T/declared.txt" && "$W" declared -o json >"$T/declared.json" &&
	grep -q '^third.yaml  .* invalid .*third.yaml:3: limit "fuel"' "$T/declared.txt" &&
	grep -q '^boot.yaml  .*boot .*running .*'"$ID" "$T/declared.txt" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(p["file"] == "fourth.json" and p["state"] == "invalid" for p in d["plugins"])' "$T/declared.json"
verdict "wasm-bpf declared: each spec's state and error, also as JSON" "$(cat "$T/declared.txt")"
sleep 1.5
[ "$(field "$SID" state)" = running ] && [ "$(field "$SID" started)" = "$s_started" ] &&
	[ "$(field "$SID" args)" = '["-d", "3"]' ] && [ "$(field "$ID" started)" = "$b_started" ] &&
	[ "$("$W" ps -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ]
verdict "a malformed spec changes nothing: its plugin and the others run on as they were" "$("$W" ps)"
kill -0 "$DPID"
verdict "the daemon survives malformed specs" "it died"
rm "$P/third.yaml" "$P/fourth.json" "$P/fifth.yaml"
# A spec's own policy: one that refuses the tool's tracepoint fails the
# upgrade with the rule named (the running version runs on); one that
# allows it is applied, and the plugin holds it.
printf 'programs:\n  tracepoints:\n    deny: ["sched:sched_process_exit"]\n' >"$T/deny.yaml"
printf 'programs:\n  tracepoints:\n    allow: ["sched:*"]\nevents:\n  max_rate: 5000\n' >"$T/allow.yaml"
printf '{"module": "%s", "args": ["-d", "3"], "policy": "%s"}\n' "$BOOT" "$T/deny.yaml" >"$P/second.json"
wait_for 8 err_has second.json 'deny.yaml:3' &&
	[ "$(field "$SID" state)" = running ] && [ "$(field "$SID" policy)" = "" ]
verdict "a spec's policy refusing its tool: the upgrade fails naming the rule, the old version runs on" \
	"$(st second.json state) $(st second.json error) / $(field "$SID" state)"
printf '{"module": "%s", "args": ["-d", "3"], "policy": "%s",\n "limits": {"max_event_rate": "2K"}}\n' "$BOOT" "$T/allow.yaml" >"$P/second.json"
wait_for 8 no_error second.json &&
	[ "$(field "$SID" policy)" = "$T/allow.yaml" ] && [ "$(field "$SID" state)" = running ]
verdict "a spec's allowing policy and event rate limit: upgraded to it, running" \
	"$(st second.json state) $(st second.json error) / $(field "$SID" policy) $(field "$SID" state)"
[ "$(curl -s --unix-socket "$S" "http://d/v1/plugins/$SID" | python3 -c 'import json,sys; print(json.load(sys.stdin)["limits"]["max_event_rate"])')" = 2048 ]
verdict "a spec's limits: max_event_rate with a unit reaches the plugin" \
	"$(curl -s --unix-socket "$S" "http://d/v1/plugins/$SID")"

# ---- a module that comes later ----------------------------------------------------------

printf 'module: %s\n' "$T/later.wasm" >"$P/later.yaml"
wait_for 5 state_is later.yaml failed && st later.yaml error | grep -q "later.wasm"
verdict "a module that is not there: failed, the error names it" "$(st later.yaml state) $(st later.yaml error)"
cp "$BOOT" "$T/later.wasm"
wait_for 8 state_is later.yaml running
verdict "the module put in place later: started at a retry" "$(st later.yaml state) $(st later.yaml error)"
rm "$P/later.yaml"

# ---- an image reference, pulled by the daemon --------------------------------------------

if command -v docker-registry >/dev/null; then
	. "$ROOT/oci/tests/lib.sh"
	if start_registry reg >"$T/reg.out"; then
		# Pushed from another store: the daemon's has not got it.
		WASM_BPF_STORE=$T/pushstore "$W" push "$BOOT" "$REG/wbpfwatch/boot:v1" >"$T/push.out" 2>&1
		printf 'module: %s\npull: missing\n' "$REG/wbpfwatch/boot:v1" >"$P/pulled.yaml"
		wait_for 10 state_is pulled.yaml running && [ "$(st pulled.yaml module)" = "$REG/wbpfwatch/boot:v1" ] &&
			grep -q '"name":"pulled","stream":"daemon","message":"pulled"' "$T/stdout"
		verdict "a spec naming an image reference: pulled by the daemon, then run" \
			"$(st pulled.yaml state) $(st pulled.yaml module) $(st pulled.yaml error); $(grep '"name":"pulled","stream":"daemon"' "$T/stdout"); $(cat "$T/push.out")"
		rm "$P/pulled.yaml"
	else
		fail "a spec naming an image reference" "$(cat "$T/reg.out")"
	fi
else
	skip "a spec naming an image reference: pulled by the daemon" "no docker-registry"
fi
printf 'module: 127.0.0.1:1/wbpfwatch/none:v1\n' >"$P/nopull.yaml"
wait_for 8 state_is nopull.yaml failed && st nopull.yaml error | grep -q . &&
	wait_for 5 grep -q 'nopull.yaml: start of nopull failed: .*tried again' "$T/stderr"
verdict "a pull that fails: failed, with the error, tried again later" "$(st nopull.yaml state) $(st nopull.yaml error)"
rm "$P/nopull.yaml"

# ---- nodeSelector ---------------------------------------------------------------------

printf 'module: %s\nnodeSelector: {role: edge}\n' "$BOOT" >"$P/edge.yaml"
wait_for 5 state_is edge.yaml not-selected && [ -z "$(st edge.yaml id)" ] &&
	! "$W" ps | grep -q ' edge '
verdict "nodeSelector not matching the node's labels: not started" "$(st edge.yaml state)"
printf 'role="edge"\n' >"$T/labels"
wait_for 5 state_is edge.yaml running
verdict "the node relabelled (labels file rewritten): started" "$(st edge.yaml state)"
EID=$(st edge.yaml id)
eprogs=$(prog_ids "$DPID")
printf 'role="worker"\n' >"$T/labels"
wait_for 5 state_is edge.yaml not-selected && ! "$W" ps | grep -q "^$EID "
verdict "no longer selected: stopped" "$(st edge.yaml state); $("$W" ps)"

# ---- restart: adopted, not doubled ------------------------------------------------------

printf 'module: %s\n' "$BOOT" >"$P/keepme.yaml"
wait_for 5 state_is keepme.yaml running
KID=$(st keepme.yaml id)
printf 'bogus: 1\nmodule: %s\n' "$BOOT" >"$P/keepme.yaml"
wait_for 5 state_is keepme.yaml invalid
stop_daemon
start_daemon
wait_for 5 state_is boot.yaml running
[ "$(st boot.yaml id)" = "$ID" ] && [ "$("$W" ps -o json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 3 ] &&
	[ "$(field "$ID" args)" = '["-v"]' ]
verdict "a restarted daemon adopts the declared plugins it restores (same ids, no double)" "$("$W" ps)"
sleep 1.5
[ "$(field "$KID" state)" = running ] && state_is keepme.yaml invalid
verdict "a spec broken while the daemon was down: its restored plugin runs on" "$(field "$KID" state); $("$W" ps)"
rm "$P/keepme.yaml"

# ---- removal through the ConfigMap ----------------------------------------------------

rm "$T/next/boot.yaml"
held=$(prog_ids "$DPID" | wc -l)
cm_version v3
rm "$P/boot.yaml" # kubelet drops the key's symlink
wait_for 8 sh -c "! '$W' ps | grep -q '^$ID '"
verdict "a key removed from the ConfigMap: its plugin stopped" "$("$W" ps)"
[ -z "$(st boot.yaml state)" ] && [ "$(prog_ids "$DPID" | wc -l)" -lt "$held" ]
verdict "its BPF programs are gone and so is its status entry" "$(cat "$STATUS")"
rm "$P/second.json" "$P/edge.yaml"
wait_for 8 sh -c "[ \"\$('$W' ps -o json)\" = '[]' ]"
verdict "every spec removed: nothing runs" "$("$W" ps)"

# ---- bad options ------------------------------------------------------------------------

"$D" --socket "$T/x.sock" --state-dir "$T/x" --plugins-dir "$T/none" >"$T/bad" 2>&1
[ $? = 1 ] && grep -q "plugins-dir $T/none: No such file" "$T/bad"
verdict "a missing --plugins-dir: a clear error" "$(cat "$T/bad")"
"$D" --socket "$T/x.sock" --state-dir "$T/x" --plugins-dir "$P" --node-labels "a=b,novalue" >"$T/bad" 2>&1
[ $? = 1 ] && grep -q 'novalue.*not key=value' "$T/bad"
verdict "bad --node-labels: a clear error" "$(cat "$T/bad")"
"$D" --socket "$T/x.sock" --state-dir "$T/x" --metrics-addr "127.0.0.1:$MPORT" >"$T/bad" 2>&1
[ $? = 1 ] && grep -q "metrics-addr 127.0.0.1:$MPORT: Address already in use" "$T/bad"
verdict "--metrics-addr on a port taken: a clear error" "$(cat "$T/bad")"

left=$(prog_ids "$DPID" | wc -l)
stop_daemon
[ "$DRC" = 0 ] && [ "$left" = 0 ]
verdict "the daemon holds no BPF program at the end and stops cleanly" "exit $DRC, $left programs"
exit 0
