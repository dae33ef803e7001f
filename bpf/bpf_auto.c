/* bpf_auto.c — `--backend auto`: the instance's first object picks the
 * backend (bpf_backend.h: the kernel when bpf(2) works and runs its
 * program types, else the userspace backend when it runs them all), and
 * every call goes to that backend from then on; the guest sees the same
 * imports and results either way. The --spawn commands start at the
 * first poll or map operation with both (without the agent when the
 * kernel was chosen: its uprobes see every process).
 */
#include <stdio.h>
#include "bpf/bpf_backend.h"
#include "bpf/bpf_internal.h"
#include "bpf/user/ubpf_host.h"

/* The backend for the object the guest loads (s: buf, len), chosen with
 * the first; 0 and a line when none runs it (or it is not the first
 * one's). */
static int choose(struct bpf_host *h, struct wasm_instance *in,
		  const uint64_t *s)
{
	uint32_t len = (uint32_t)s[1];
	const void *elf =
	    len ? wasm_instance__mem_ptr(in, (uint32_t)s[0], len) : NULL;
	struct bpf_backend_plan pl;
	int k;

	if (!elf) /* the kernel host's load says what is wrong */
		return h->chosen ? h->chosen : BPF_BACKEND_KERNEL;
	if (bpf_backend__plan(elf, len, "auto", &pl)) {
		bh_log(h, "loading BPF object failed: %s", pl.why);
		return BPF_BACKEND_NONE;
	}
	k = pl.backend;
	if (k == BPF_BACKEND_NONE)
		bh_log(h,
		       "loading BPF object failed: neither the kernel nor the "
		       "user backend runs it: %s",
		       pl.why);
	else if (h->chosen && k != h->chosen)
		bh_log(h,
		       "loading BPF object failed: --backend auto runs this "
		       "instance on the %s backend, and this object needs the "
		       "%s one (%s)",
		       bpf_backend__name(h->chosen), bpf_backend__name(k),
		       pl.why);
	else if (h->verbose && !h->chosen)
		bh_log(h, "--backend auto: %s", pl.why);
	bpf_backend__plan_free(&pl);
	if (k == BPF_BACKEND_NONE || (h->chosen && k != h->chosen))
		return BPF_BACKEND_NONE;
	return h->chosen = k;
}

static bool starts_spawns(int i)
{
	return i == BPF_IMPORT_IDX_hf_poll || i == BPF_IMPORT_IDX_hf_go_poll ||
	       i == BPF_IMPORT_IDX_hf_ring_wait ||
	       i == BPF_IMPORT_IDX_hf_map_operate;
}

static int call(int i, struct wasm_instance *in, struct bpf_host *h,
		uint64_t *s)
{
	wasm_host_func_t go_k, go_u;
	const struct bpf_import *k = bh_imports(&go_k);
	const struct bpf_import *u = ubpf_host__imports(&go_u);
	int b = h->chosen;

	if (i == BPF_IMPORT_IDX_hf_load) {
		b = choose(h, in, s);
		if (b == BPF_BACKEND_NONE) {
			s[0] = 0;
			return WASM_OK;
		}
	}
	if (b == BPF_BACKEND_USER)
		return i == BPF_IMPORT_IDX_hf_go_poll ? go_u(in, h->user, s)
						      : u[i].fn(in, h->user, s);
	if (starts_spawns(i))
		ubpf_host__start(h->user);
	return i == BPF_IMPORT_IDX_hf_go_poll ? go_k(in, h, s)
					      : k[i].fn(in, h, s);
}

#define AUTO_FUNC(name, sig, fn)                                               \
	static int auto_##fn(struct wasm_instance *in, void *user,             \
			     uint64_t *s)                                      \
	{                                                                      \
		return call(BPF_IMPORT_IDX_##fn, in, user, s);                 \
	}
BPF_IMPORTS(AUTO_FUNC)

#define AUTO_ENTRY(name, sig, fn) {name, sig, auto_##fn},

static int auto_go_poll(struct wasm_instance *in, void *user, uint64_t *s)
{
	return call(BPF_IMPORT_IDX_hf_go_poll, in, user, s);
}

int bh_auto_define(struct bpf_host *h, struct wasm_linker *l)
{
	static const struct bpf_import funcs[] = {BPF_IMPORTS(AUTO_ENTRY)};

	return bpf_imports__define(l, funcs, sizeof(funcs) / sizeof(funcs[0]),
				   h->go_module, auto_go_poll, h);
}
