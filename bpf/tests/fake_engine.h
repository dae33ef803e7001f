/* fake_engine.h — a stand-in for the engine's instance API, enough to drive
 * the `wasm_bpf` host functions natively (the native suite and the fuzz
 * target): a flat memory, table 0 and exports of C callbacks, an interrupt
 * flag, and a linker that records what was defined.
 */
#ifndef WASM_BPF_FAKE_ENGINE_H
#define WASM_BPF_FAKE_ENGINE_H

#include <stdint.h>
#include "engine/wasm.h"

typedef int (*fake_cb_t)(struct wasm_instance *inst, void *user,
			 uint64_t *slots);

struct wasm_func {
	uint32_t nparams, nresults;
	uint8_t params[8], results[2];
	fake_cb_t cb;
	void *user;
};

#define FAKE_TABLE 8

struct wasm_instance {
	uint8_t *mem;
	uint64_t size;
	struct wasm_func *table[FAKE_TABLE];
	const char *export_name;
	struct wasm_func *export_fn;
	volatile int interrupt;
	volatile int cancel; /* a graceful stop */
	int exit_code;
};

struct fake_def {
	char module[64], name[64], sig[32];
	wasm_host_func_t fn;
	void *user;
};

struct wasm_linker {
	struct fake_def defs[16];
	int n;
};

/* A callback of type (i32, i32, i32) -> i32. */
void fake_func_init(struct wasm_func *f, fake_cb_t cb, void *user);
struct wasm_instance *fake_instance_new(uint64_t size);
void fake_instance_free(struct wasm_instance *inst);
/* The host function defined as (module, name), or NULL. */
const struct fake_def *fake_lookup(struct wasm_linker *l, const char *module,
				   const char *name);
/* What the fake wasi_ctx__host_fd resolves: guest fd i -> host fd. */
extern int fake_wasi_fds[8];

#endif
