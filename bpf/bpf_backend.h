/* bpf_backend.h — which backend runs a BPF object: the kernel's eBPF
 * (bpf_host.c) or the userspace one (bpf/user/), for the object as a whole
 * and as each program sees it, with the reason. `--backend auto` asks at
 * the first load; `wasm-bpf check` prints it per program.
 */
#ifndef WASM_BPF_BPF_BACKEND_H
#define WASM_BPF_BPF_BACKEND_H

#include <stddef.h>

enum bpf_backend_kind {
	BPF_BACKEND_NONE,
	BPF_BACKEND_KERNEL,
	BPF_BACKEND_USER,
};

struct bpf_backend_prog {
	char name[64];
	enum bpf_backend_kind backend; /* the object's, or none */
	char why[384];
};

struct bpf_backend_plan {
	/* Every program of an object runs on the same backend. */
	enum bpf_backend_kind backend;
	char why[512];
	struct bpf_backend_prog *progs;
	size_t nprogs;
};

/* The plan for ELF under MODE: "kernel" (or NULL), "user", or "auto"
 * (the kernel when bpf(2) works and supports every program's type, else
 * the user backend when it attaches and verifies them all). 0, or a
 * negative errno when the object cannot be read (plan->why says so). */
int bpf_backend__plan(const void *elf, size_t len, const char *mode,
		      struct bpf_backend_plan *plan);
void bpf_backend__plan_free(struct bpf_backend_plan *plan);
/* "kernel", "user", "none". */
const char *bpf_backend__name(enum bpf_backend_kind k);

#endif
