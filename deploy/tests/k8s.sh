# deploy/tests/k8s.sh — sourced by deploy/tests/run.sh: every manifest of
# deploy/kubernetes validated offline against the Kubernetes API's
# OpenAPI schemas (npm's kubernetes-models, installed by scripts/setup.sh
# into deploy/kubernetes/validate), and broken copies of them refused.

k8s_tests() {
	V=$ROOT/deploy/kubernetes/validate
	if ! command -v node >/dev/null; then
		skip kubernetes "no node (scripts/setup.sh installs nodejs)"
		return
	fi
	if [ ! -d "$V/node_modules/kubernetes-models" ] || [ ! -d "$V/node_modules/js-yaml" ]; then
		skip kubernetes "no $V/node_modules (scripts/setup.sh runs npm ci there)"
		return
	fi
	for f in "$ROOT"/deploy/kubernetes/*.yaml "$ROOT"/deploy/kubernetes/daemon/*.yaml; do
		node "$V/validate.js" "$f" >"$T/v.out" 2>&1 && grep -q ': valid$' "$T/v.out"
		check "kubernetes: ${f#"$ROOT"/} is valid" "$(cat "$T/v.out")"
	done
	ds=$ROOT/deploy/kubernetes/daemon/30-daemonset.yaml
	# broken NAME SED-EXPRESSION WANT: a copy of the DaemonSet broken so
	# must be refused, the message containing WANT.
	broken() {
		sed "$2" "$ds" >"$T/broken.yaml"
		if cmp -s "$ds" "$T/broken.yaml"; then
			fail "kubernetes: broken manifest refused: $1" "the edit changed nothing"
			return
		fi
		node "$V/validate.js" "$T/broken.yaml" >"$T/v.out" 2>&1
		[ $? = 1 ] && grep -q -- "$3" "$T/v.out"
		check "kubernetes: broken manifest refused: $1" "$(cat "$T/v.out")"
	}
	broken "a boolean that is a string" 's/allowPrivilegeEscalation: false/allowPrivilegeEscalation: "no"/' \
		'allowPrivilegeEscalation must be boolean'
	broken "a required field missing (selector)" '/^  selector:/,/^      app.kubernetes.io\/name: wasm-bpfd/d' \
		"must have required property .\{0,1\}selector"
	broken "a port that is no number" 's/containerPort: 9464/containerPort: "ninety"/' \
		'containerPort must be integer'
	broken "the selector not matching the pod's labels" \
		'0,/app.kubernetes.io\/name: wasm-bpfd$/!{0,/      app.kubernetes.io\/name: wasm-bpfd$/s//      app.kubernetes.io\/name: other/}' \
		'is not on the pod template'
	broken "a mount of an undeclared volume" 's/^            - name: btf$/            - name: btfs/' \
		'mounts volume "btfs"'
	broken "an unknown kind" 's/^kind: DaemonSet/kind: DaemonSett/' 'unknown kind DaemonSett'
	broken "not YAML" 's/^spec:/spec: [/' 'not YAML'
}
k8s_tests
