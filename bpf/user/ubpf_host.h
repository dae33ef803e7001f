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
#include "bpf/bpf_host.h"
#include "bpf/bpf_imports.h"
#include "engine/wasm.h"

struct bh_rate;
struct bpf_host_stats;

struct ubpf_host_opts {
	size_t sz;
	bool verbose;
	const char *const *spawn; /* shell commands, started at first use */
	size_t nspawn;
	/* running processes the agent is loaded into at first use (ptrace:
	 * ubpf_inject.h), for their uprobes */
	const int *pids;
	size_t npids;
	const char
	    *agent_path; /* NULL: $WASM_BPF_AGENT_LIB, else beside the binary */
	const char *go_poll_module, *go_callback_export;
	/* The policy's hooks, as the kernel host asks them: the object's
	 * bytes before it is opened, each program and target before it is
	 * planned. */
	bpf_guard_load_fn guard_load;
	bpf_guard_attach_fn guard_attach;
	void *guard_ctx;
	/* The kernel host's event rate limit (bpf_rate.h; NULL: none) and
	 * its counters (records delivered, and kept from the guest by the
	 * limit; NULL: none). */
	struct bh_rate *rate;
	struct bpf_host_stats *stats;
};

struct ubpf_host;

struct ubpf_host *ubpf_host__new(const struct ubpf_host_opts *opts);
/* Closes everything; spawned processes unhook themselves and run on. */
void ubpf_host__free(struct ubpf_host *h);
int ubpf_host__define(struct ubpf_host *h, struct wasm_linker *l);
/* The import functions (user pointer: the host), in BPF_IMPORTS order,
 * and TinyGo's poll: for a host that picks a backend per instance. */
const struct bpf_import *ubpf_host__imports(wasm_host_func_t *go_poll);
/* Starts the spawn commands now if they have not started (a chooser that
 * took the kernel backend starts them, without the agent, where this
 * host would have). */
void ubpf_host__start(struct ubpf_host *h);

/* Whether this backend attaches a program of section SEC (uprobes,
 * uretprobes, the syscall tracepoints the agent traces). */
bool ubpf_host__attachable(const char *sec);
/* Whether it would load the object: opened (map types) and every program
 * verified, else a negative errno with WHY saying which and why. */
int ubpf_host__vet(const void *elf, size_t len, char *why, size_t why_len);

#endif
