/* wasm_embed.h — finding the BPF ELF objects a Wasm module carries in its
 * data segments (how wasm-bpf guests embed them), without instantiating
 * or running the module. Shared by `wasm-bpf check` and `inspect`.
 */
#ifndef WASM_BPF_POLICY_WASM_EMBED_H
#define WASM_BPF_POLICY_WASM_EMBED_H

#include <stddef.h>
#include <stdint.h>

struct wasm_embed_obj {
	uint8_t *elf; /* a copy */
	size_t len;
	uint64_t addr; /* where it sits in linear memory */
};

/* The BPF objects in `wasm` (ELF magic, class 64, e_machine EM_BPF) as
 * they lie in linear memory once the active data segments are in place:
 * toolchains (wasm-opt's memory packing) split a segment around runs of
 * zeros, so an object is rarely one segment. 0, or -EINVAL if the
 * module's sections or data segments are malformed, -E2BIG if its data
 * spans more than 256 MiB, -ENOMEM. */
int wasm_embed__find(const uint8_t *wasm, size_t len,
		     struct wasm_embed_obj **out, size_t *n);
void wasm_embed__free(struct wasm_embed_obj *objs, size_t n);

#endif
