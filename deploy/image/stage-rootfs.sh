#!/bin/sh
# stage-rootfs.sh BINDIR EXAMPLES OUT — the root file system of the
# wasm-bpfd image (deploy/Containerfile builds FROM scratch on it), in
# OUT/rootfs, and the directories the daemon writes in OUT/owned (copied
# owned by the non-root user, as COPY drops ownership): the
# stripped binaries, exactly the shared libraries ldd finds for them (and
# the dynamic loader), the example tools, a CA bundle for `wasm-bpf pull`,
# a passwd/group naming the non-root user, and the directories the daemon
# writes. Everything else a tool needs comes from the
# host at run time: /sys/kernel/btf, /sys/kernel/tracing, /sys/fs/bpf.
set -eu
[ $# = 3 ] || { echo "usage: $0 BINDIR EXAMPLES_DIR OUT" >&2; exit 2; }
bin=$1 examples=$2 owned=$3/owned out=$3/rootfs
UID_NR=65532 # the non-root user (distroless' "nonroot" number)

rm -rf "$out" "$owned"
mkdir -p "$out/usr/bin" "$out/usr/share/wasm-bpf/examples" "$out/etc/ssl/certs" \
	"$out/etc/wasm-bpf/plugins.d" "$out/tmp" "$out/sys" "$out/proc" "$out/dev" \
	"$owned/run/wasm-bpf" "$owned/var/lib/wasm-bpf" "$owned/var/cache/wasm-bpf"
for b in wasm-bpfd wasm-bpf; do
	strip --strip-unneeded -o "$out/usr/bin/$b" "$bin/$b"
done

# Each library at the path the loader looks for it (the soname ldd
# names), as a file, not a link.
copy_lib() {
	mkdir -p "$out$(dirname "$1")"
	[ -e "$out$1" ] || cp -L "$1" "$out$1"
}
# libcurl is loaded with dlopen when a command needs HTTP (oci/oci_curl.h):
# ldd does not list it, so it and what it needs are named here.
curl=$(ldconfig -p | awk '$1 == "libcurl.so.4" && /x86-64|x86_64|64bit/ {print $NF; exit}')
[ -n "$curl" ] || curl=$(ldconfig -p | awk '$1 == "libcurl.so.4" {print $NF; exit}')
[ -n "$curl" ] || { echo "stage-rootfs: no libcurl.so.4 on this machine" >&2; exit 1; }
copy_lib "$curl"
libs=$(ldd "$bin/wasm-bpfd" "$bin/wasm-bpf" "$curl" | awk '
	/:$/ { next } # the header line of each file
	$2 == "=>" && $3 ~ /^\// { print $3 }
	$1 ~ /^\// { print $1 }' | sort -u)
for l in $libs; do
	copy_lib "$l"
done
# glibc loads the passwd/group lookup module at run time (getpwuid for
# --group); ldd cannot see it.
nss=$(dirname "$(ldd "$bin/wasm-bpfd" | awk '$1 ~ /^libc\.so/ {print $3}')")/libnss_files.so.2
[ -e "$nss" ] && copy_lib "$nss"

for w in "$examples"/*/*.wasm; do
	[ -e "$w" ] && cp "$w" "$out/usr/share/wasm-bpf/examples/"
done
[ -f /etc/ssl/certs/ca-certificates.crt ] &&
	cp /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/nonexistent\nwasm-bpf:x:%s:%s:wasm-bpf:/var/lib/wasm-bpf:/nonexistent\n' \
	$UID_NR $UID_NR >"$out/etc/passwd"
printf 'root:x:0:\nwasm-bpf:x:%s:\n' $UID_NR >"$out/etc/group"
chmod 1777 "$out/tmp"
# The BTF cache wants private directories (bpf/README.md).
chmod 0700 "$owned/var/cache/wasm-bpf"
# Group root may write the rest too: root with only CAP_BPF and
# CAP_PERFMON (no CAP_DAC_OVERRIDE) can then run the same image.
chmod 0770 "$owned/run/wasm-bpf" "$owned/var/lib/wasm-bpf"
echo "$out: $(du -sh "$out" | cut -f1), $(echo "$libs" | wc -l) shared libraries"
