# policy/tests/flood.sh — sourced by the policy and daemon suites: builds
# the event rate limit's flood into DIR (flood_build DIR: DIR/flood.wasm,
# the policy suite's guest around flood.bpf.o, and DIR/flooder, which
# makes the records). Needs clang, bpftool and the kernel's BTF; returns
# non-zero with the reason in DIR/flood-build.log.
flood_build() {
	fd=$1
	fl=$fd/flood-build.log
	mkdir -p "$fd/flood"
	{
		[ -s "$fd/vmlinux.h" ] ||
			bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$fd/vmlinux.h"
	} >"$fl" 2>&1 &&
		clang -target bpf -g -O2 -D__TARGET_ARCH_x86 -I"$fd" \
			-c policy/tests/flood.bpf.c -o "$fd/flood.bpf.o" >>"$fl" 2>&1 &&
		od -An -v -tx1 "$fd/flood.bpf.o" | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g' |
		{ echo 'static const unsigned char rules_obj[] = {'; cat; echo '};'; } >"$fd/flood/rules_obj.h" &&
		clang --target=wasm32-wasi -O2 -Wall -Wextra -Wno-unused-parameter -I"$fd/flood" \
			-Ibpf/tests -Wl,--export-table policy/tests/guest.c -o "$fd/flood.wasm" >>"$fl" 2>&1 &&
		${CC:-cc} -std=gnu11 -O2 -Wall -Wextra policy/tests/flooder.c -o "$fd/flooder" >>"$fl" 2>&1
}
