/* wasm-bpf/skel_desc.h — what a skeleton made by `wasm-bpf gen skeleton`
 * knows of its object's maps and programs at generation time. Shared by
 * both skeleton back-ends (skeleton.h, skel_upstream.h), so it defines
 * nothing else.
 */
#ifndef WASM_BPF_SKEL_DESC_H
#define WASM_BPF_SKEL_DESC_H

#include <stdint.h>

/* Sizes are checked by bpf_map__*_elem(). */
struct wbpf_map_desc {
	const char *name; /* ".rodata" etc. for data sections */
	int type;
	uint32_t key_size, value_size, max_entries;
	uint32_t sec_size; /* data sections: bytes the guest mirrors */
};

struct wbpf_prog_desc {
	const char *name;
	const char *sec;
};

#endif
