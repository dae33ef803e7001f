/* fuzz_stubs.c — stand-in imports and capped instances for fuzzed
 * modules (fuzz_stubs.h). */
#include <stdint.h>
#include <string.h>

#include "fuzz_stubs.h"

/* Every imported function: zero results. */
static int stub_func(struct wasm_instance *caller, void *user, uint64_t *slots)
{
	(void)caller;
	memset(slots, 0, sizeof(uint64_t) * (size_t)(uintptr_t)user);
	return WASM_OK;
}

static void define_stub(struct wasm_linker *l, const struct wasm_module *m,
			size_t i)
{
	struct wasm_import_desc d;
	char sig[128];
	struct wasm_val zero = {.type = WASM_I32};
	wasm_module__import(m, i, &d);
	switch (d.kind) {
	case WASM_EXTERN_FUNC:
		if (wasm_module__import_signature(m, i, sig, sizeof(sig)))
			break; /* left unresolved: instantiation must fail */
		wasm_linker__define_func(l, d.module, d.name, sig, stub_func,
					 (void *)(uintptr_t)strlen(strstr(sig, "->") + 2));
		break;
	case WASM_EXTERN_MEMORY:
		wasm_linker__define_memory(l, d.module, d.name, 1, 2);
		break;
	case WASM_EXTERN_TABLE:
		wasm_linker__define_table(l, d.module, d.name, WASM_FUNCREF,
					  10, 20);
		break;
	case WASM_EXTERN_GLOBAL:
		wasm_linker__define_global(l, d.module, d.name, zero, false);
		break;
	}
}

struct wasm_linker *fuzz_stub_linker(const struct wasm_module *m)
{
	struct wasm_linker *l = wasm_linker__new();
	for (size_t i = 0; l && i < wasm_module__import_count(m); i++)
		define_stub(l, m, i);
	return l;
}

struct wasm_instance *fuzz_instance(const struct wasm_module *m,
				    struct wasm_linker *l,
				    struct wasm_error *err)
{
	struct wasm_instance_opts opts = {
		.sz = sizeof(opts),
		.max_memory_pages = 64,
		.max_table_elems = 10000,
		.stack_slots = 1 << 16,
		.max_call_depth = 2000,
		.fuel = FUZZ_FUEL,
	};
	return wasm_instance__new(m, l, &opts, err);
}
