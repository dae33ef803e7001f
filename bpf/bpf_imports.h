/* bpf_imports.h — the `wasm_bpf` import surface every backend (kernel,
 * userspace) gives a guest: names and Wasm signatures in one list, so the
 * backends cannot drift apart, and the loop that defines them. A backend
 * has static functions hf_load ... hf_ring_done and hf_go_poll. New
 * imports go last: the fuzz targets address the first ones by place. */
#ifndef WASM_BPF_BPF_IMPORTS_H
#define WASM_BPF_BPF_IMPORTS_H

#include <stddef.h>
#include "engine/wasm.h"

#define BPF_IMPORTS(X)                                                   \
	X("wasm_load_bpf_object", "ii->I", hf_load)                      \
	X("wasm_attach_bpf_program", "Iii->i", hf_attach)                \
	X("wasm_attach_bpf_program_fd", "Iii->i", hf_attach_fd)          \
	X("wasm_bpf_buffer_poll", "Iiiiiii->i", hf_poll)                 \
	X("wasm_bpf_map_fd_by_name", "Ii->i", hf_map_fd_by_name)         \
	X("wasm_bpf_map_operate", "iiiiiI->i", hf_map_operate)           \
	X("wasm_close_bpf_object", "I->i", hf_close)                     \
	X("wasm_bpf_buffer_lost", "Ii->I", hf_buffer_lost)              \
	X("wasm_bpf_ring_map", "Iiii->i", hf_ring_map)                   \
	X("wasm_bpf_ring_unmap", "Ii->i", hf_ring_unmap)                 \
	X("wasm_bpf_ring_wait", "Iii->i", hf_ring_wait)                  \
	X("wasm_bpf_ring_done", "Iii->i", hf_ring_done)

struct bpf_import {
	const char *name, *sig;
	wasm_host_func_t fn;
};
#define BPF_IMPORT_ENTRY(name, sig, fn) {name, sig, fn},
/* BPF_IMPORT_IDX_hf_load ...: a function's place in the list. */
#define BPF_IMPORT_INDEX(name, sig, fn) BPF_IMPORT_IDX_##fn,
/* and TinyGo's poll after them */
enum { BPF_IMPORTS(BPF_IMPORT_INDEX) BPF_IMPORT_IDX_hf_go_poll };

/* The table's functions under "wasm_bpf", then TinyGo's poll wrapper
 * (go_poll) under go_module; each gets `user`. */
static inline int bpf_imports__define(struct wasm_linker *l,
				      const struct bpf_import *t, size_t n,
				      const char *go_module,
				      wasm_host_func_t go_poll, void *user)
{
	for (size_t i = 0; i < n; i++) {
		int err = wasm_linker__define_func(l, "wasm_bpf", t[i].name,
						   t[i].sig, t[i].fn, user);
		if (err)
			return err;
	}
	return wasm_linker__define_func(l, go_module, "wasm_bpf_buffer_poll",
					"Iiiiii->i", go_poll, user);
}

#endif
