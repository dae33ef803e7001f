/* ubpf_host.h — the `wasm_bpf` imports over the userspace backend
 * (`--backend user`): the same functions and results the kernel host
 * gives, with objects loaded into bpf/user/, uprobes taking effect in the
 * processes started with `--spawn` (through the preloaded agent), maps and
 * buffers read from the shared memory those processes write.
 */
#ifndef WASM_BPF_UBPF_HOST_H
#define WASM_BPF_UBPF_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include "engine/wasm.h"

struct ubpf_host_opts {
	size_t sz;
	bool verbose;
	const char *const *spawn; /* shell commands, started at first use */
	size_t nspawn;
	const char
	    *agent_path; /* NULL: $WASM_BPF_AGENT_LIB, else beside the binary */
	const char *go_poll_module, *go_callback_export;
};

struct ubpf_host;

struct ubpf_host *ubpf_host__new(const struct ubpf_host_opts *opts);
/* Closes everything; spawned processes unhook themselves and run on. */
void ubpf_host__free(struct ubpf_host *h);
int ubpf_host__define(struct ubpf_host *h, struct wasm_linker *l);

#endif
