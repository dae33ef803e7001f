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
	# valid NAME FILE: FILE (one document) must pass.
	valid() {
		node "$V/validate.js" "$2" >"$T/v.out" 2>&1 && grep -q ': valid$' "$T/v.out"
		check "kubernetes: $1" "$(cat "$T/v.out")"
	}
	# refused NAME FILE WANT: FILE must be refused, a line matching WANT.
	refused() {
		node "$V/validate.js" "$2" >"$T/v.out" 2>&1
		[ $? = 1 ] && grep -q -- "$3" "$T/v.out"
		check "kubernetes: broken manifest refused: $1" "$(cat "$T/v.out")"
	}
	for f in "$ROOT"/deploy/kubernetes/*.yaml "$ROOT"/deploy/kubernetes/daemon/*.yaml; do
		valid "${f#"$ROOT"/} is valid" "$f"
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
		refused "$1" "$T/broken.yaml" "$3"
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
	# Unknown fields (strict.js), as an API server's strict field
	# validation refuses them: at the top, deep in a container, in a
	# securityContext, the context's own name, and the pod's hostPID.
	broken "an unknown field at the top" 's/^metadata:/metdata:/' \
		'^[^ ]* DaemonSet .*: metdata: unknown field (did you mean metadata?)'
	broken "an unknown field deep in a container" 's/initialDelaySeconds: 10/initialDelaySecond: 10/' \
		'spec\.template\.spec\.containers\[0\]\.livenessProbe\.initialDelaySecond: unknown field (did you mean initialDelaySeconds?)'
	broken "an unknown field in a securityContext" 's/runAsUser: 0/runAsUsr: 0/' \
		'spec\.template\.spec\.containers\[0\]\.securityContext\.runAsUsr: unknown field (did you mean runAsUser?)'
	broken "a misspelt securityContext" 's/^          securityContext:/          securityContex:/' \
		'containers\[0\]\.securityContex: unknown field'
	broken "hostPid for hostPID" 's/hostPID: true/hostPid: true/' \
		'spec\.template\.spec\.hostPid: unknown field (did you mean hostPID?)'
	broken "an unknown field in an emptyDir" 's/medium: Memory/medum: Memory/' \
		'volumes\[5\]\.emptyDir\.medum: unknown field'
	cm=$ROOT/deploy/kubernetes/daemon/20-plugins.yaml
	sed 's/^data:/dat:/' "$cm" >"$T/broken.yaml"
	refused "a ConfigMap's misspelt data" "$T/broken.yaml" \
		'^[^ ]* ConfigMap .*: dat: unknown field (did you mean data?)'
	# Maps (labels, annotations, resources, ConfigMap data) take any key:
	# invented ones pass.
	sed 's/^\(      annotations:\)$/\1\n        example.com\/any-key: "x"/; s/^\(              memory: 512Mi\)$/\1\n              example.com\/device: "1"/' \
		"$ds" >"$T/maps.yaml"
	if grep -q 'example.com/any-key' "$T/maps.yaml" && grep -q 'example.com/device' "$T/maps.yaml"; then
		valid "keys of maps are not unknown fields" "$T/maps.yaml"
	else
		fail "kubernetes: keys of maps are not unknown fields" "the edit added no key"
	fi
	# A free-form object (fieldsV1) takes any key; its neighbours do not.
	cat >"$T/free.yaml" <<-'EOF'
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: free
	  managedFields:
	    - manager: kubectl
	      fieldsV1:
	        f:data:
	          f:a: {}
	      operaton: Apply
	data:
	  a: b
	EOF
	refused "a typo beside a free-form object, whose own keys pass" "$T/free.yaml" \
		': metadata\.managedFields\[0\]\.operaton: unknown field (did you mean operation?)$'
	# The commented Secret of trusted signing keys, uncommented, is valid
	# and mounted where the daemon reads keys.
	sed 's/^\( *\)#\([- ] \)/\1\2/' "$ds" >"$T/keys.yaml"
	if grep -q '^ *- name: keys$' "$T/keys.yaml" && grep -q 'secretName: wasm-bpf-keys' "$T/keys.yaml" &&
		grep -q 'mountPath: /etc/wasm-bpf/keys$' "$T/keys.yaml"; then
		valid "the optional Secret of signing keys, uncommented, is valid" "$T/keys.yaml"
	else
		fail "kubernetes: the optional Secret of signing keys" "no commented keys volume and mount in $ds"
	fi
	broken "an unknown kind" 's/^kind: DaemonSet/kind: DaemonSett/' 'unknown kind DaemonSett'
	broken "not YAML" 's/^spec:/spec: [/' 'not YAML'
}
k8s_tests
