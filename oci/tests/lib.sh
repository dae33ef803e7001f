# oci/tests/lib.sh — sourced by the oci suite and by the bench's
# distribution part (bench/part_c.sh): a docker-registry on a free
# 127.0.0.1 port (its configuration and storage in $T, its pid added to
# $PIDS: the caller stops them all on exit), and modules padded to a size.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME [htpasswd|tls]: a docker-registry on a free port;
# sets PORT, REG (127.0.0.1:PORT) and DATA (its storage) and REGPID.
start_registry() {
	PORT=$(free_port)
	REG=127.0.0.1:$PORT
	DATA=$T/$1-data
	mkdir -p "$DATA"
	{
		echo "version: 0.1"
		echo "log:"
		echo "  level: error"
		echo "  accesslog:"
		echo "    disabled: true"
		echo "storage:"
		echo "  filesystem:"
		echo "    rootdirectory: $DATA"
		echo "  delete:"
		echo "    enabled: true"
		echo "http:"
		echo "  addr: $REG"
		if [ "${2:-}" = tls ]; then
			echo "  tls:"
			echo "    certificate: $T/cert.pem"
			echo "    key: $T/key.pem"
		fi
		if [ "${2:-}" = htpasswd ]; then
			echo "auth:"
			echo "  htpasswd:"
			echo "    realm: wbpf"
			echo "    path: $T/htpasswd"
		fi
	} >"$T/$1.yml"
	# It reads REGISTRY_* variables as configuration: not ours.
	env -u REGISTRY_AUTH_FILE docker-registry serve "$T/$1.yml" >"$T/$1.log" 2>&1 &
	REGPID=$!
	PIDS="$PIDS $REGPID"
	proto=http cacert=""
	[ "${2:-}" = tls ] && proto=https cacert="--cacert $T/cert.pem"
	for _ in $(seq 100); do
		# shellcheck disable=SC2086
		curl -s -o /dev/null $cacert "$proto://$REG/v2/" && return 0
		sleep 0.05
	done
	echo "registry $1 did not start: $(head -c 300 "$T/$1.log" | tr '\n' '|')"
	return 1
}


# pad FILE BYTES OUT: FILE with a custom section of BYTES random bytes.
pad() {
	python3 - "$1" "$2" "$3" <<'PY'
import os, sys
src, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
body = b"\x03pad" + os.urandom(n)
size, leb = len(body), b""
while True:
    b = size & 0x7f
    size >>= 7
    leb += bytes([b | (0x80 if size else 0)])
    if not size:
        break
open(out, "wb").write(open(src, "rb").read() + b"\x00" + leb + body)
PY
}
