/* wasm_embed.h — finding the BPF ELF objects a Wasm module carries in its
 * data (how wasm-bpf guests embed them), without instantiating or running
 * the module. Shared by `wasm-bpf check`, `inspect` and `push`.
 */
#ifndef WASM_BPF_POLICY_WASM_EMBED_H
#define WASM_BPF_POLICY_WASM_EMBED_H

#include <stddef.h>
#include <stdint.h>

struct wasm_module;

struct wasm_embed_obj {
	uint8_t *elf; /* a copy */
	size_t len;
	uint64_t addr; /* where it sits in linear memory */
};

/* The BPF objects (ELF magic, class 64, e_machine EM_BPF) in the
 * initial memory of module `m` (wasm_module__initial_memory()): objects
 * are looked for there, not in the segments, because toolchains
 * (wasm-opt's memory packing) split a segment around runs of zeros, so an
 * object is rarely one segment. Passive segments and ones placed by a
 * global are not looked into: wasm-bpf guests' toolchains put their data
 * in active segments at constant addresses. 0, or -E2BIG if that memory
 * spans more than 256 MiB, -ENOMEM. */
int wasm_embed__find(const struct wasm_module *m, struct wasm_embed_obj **out,
		     size_t *n);
void wasm_embed__free(struct wasm_embed_obj *objs, size_t n);
/* What a wasm_embed__find() error means, for a one-line message. */
const char *wasm_embed__strerror(int err);

#endif
