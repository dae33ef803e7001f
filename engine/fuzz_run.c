/* fuzz_run.c — libFuzzer target for the whole engine: any input that loads
 * is instantiated against stub imports and every exported function is
 * called with zero arguments, under fuel and a memory cap. Nothing may
 * crash, leak, hang or invoke undefined behaviour. Built by `make fuzz`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_stubs.h"
#include "wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void call_exports(struct wasm_instance *inst,
			 const struct wasm_module *m)
{
	for (size_t i = 0; i < wasm_module__export_count(m); i++) {
		struct wasm_export_desc e;
		wasm_module__export(m, i, &e);
		if (e.kind != WASM_EXTERN_FUNC)
			continue;
		struct wasm_func *f =
			wasm_instance__export_func_n(inst, e.name, e.name_len);
		if (!f)
			abort(); /* an export the module declares must be found */
		uint32_t np = wasm_func__param_count(f);
		uint32_t nr = wasm_func__result_count(f);
		uint32_t n = np > nr ? np : nr;
		uint64_t *slots = calloc(n + 1, sizeof(uint64_t));
		if (!slots)
			return;
		wasm_instance__set_fuel(inst, FUZZ_FUEL);
		wasm_func__call_raw(inst, f, slots);
		free(slots);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wasm_error err;
	struct wasm_module *m = wasm_module__load(data, size, NULL, &err);
	if (!m)
		return 0;
	struct wasm_linker *l = fuzz_stub_linker(m);
	struct wasm_instance *inst = fuzz_instance(m, l, &err);
	if (inst) {
		call_exports(inst, m);
		wasm_instance__free(inst);
	}
	wasm_linker__free(l);
	wasm_module__free(m);
	return 0;
}
