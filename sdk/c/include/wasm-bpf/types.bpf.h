/* wasm-bpf/types.bpf.h — for BPF programs: puts a struct into the object's
 * BTF so `wasm-bpf gen types` can lay it out for the guest.
 *
 * clang only writes BTF for types that globals, maps or functions mention;
 * a ring buffer record used through a local pointer is not among them.
 * WASM_BPF_EXPORT_TYPE(event) adds a global function taking `struct event *`:
 * no program calls it, so libbpf never loads it, but its BTF stays.
 */
#ifndef WASM_BPF_TYPES_BPF_H
#define WASM_BPF_TYPES_BPF_H

#define WASM_BPF_EXPORT_TYPE(tag)                                              \
	__attribute__((noinline)) int wasm_bpf_export_##tag(struct tag *p)     \
	{                                                                      \
		return p != 0;                                                 \
	}

#endif
