#!/bin/sh
# Installs every Debian package wasm-bpf needs to build, test and benchmark.
# Idempotent and quick when everything is present: apt is only touched when a
# package is missing. Run as root on Debian bookworm.
set -eu

PACKAGES="
build-essential make pkg-config git
clang-14 lld-14 llvm-14 libclang-rt-14-dev
clang-19 lld-19 llvm-19 libclang-rt-19-dev
wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-19-dev-wasm32
libbpf-dev libelf-dev zlib1g-dev bpftool libcapstone-dev
libcjson-dev libyaml-dev libcurl4-openssl-dev libssl-dev
docker-registry skopeo apache2-utils curl openssl
libmicrohttpd-dev libsystemd-dev prometheus
wabt binaryen
rustc libstd-rust-dev-wasm32
podman buildah containerd
nodejs
iproute2 linux-perf hyperfine valgrind python3
clang-format
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# The tests start their own registries on 127.0.0.1; the package's
	# service (every address, port 5000) is not wanted.
	case " $missing " in *" docker-registry "*)
		systemctl disable --now docker-registry >/dev/null 2>&1 || true ;;
	esac
fi

# npm (Debian packages it apart from nodejs; other nodejs builds bundle it)
# for the Kubernetes manifests' offline validation, deploy/kubernetes/validate.
if ! command -v npm >/dev/null; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing npm (run as root to install)" >&2
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
validate=$(dirname "$0")/../deploy/kubernetes/validate
if [ ! -d "$validate/node_modules/kubernetes-models" ] || [ ! -d "$validate/node_modules/js-yaml" ]; then
	echo "setup: npm ci in deploy/kubernetes/validate"
	npm ci --prefix "$validate" --no-audit --no-fund --loglevel=error >/dev/null
fi

# wasm-ld is only shipped versioned; clang --target=wasm32 looks it up unversioned.
[ -e /usr/bin/wasm-ld ] || ln -sf /usr/bin/wasm-ld-14 /usr/bin/wasm-ld
echo "setup: all packages present"
