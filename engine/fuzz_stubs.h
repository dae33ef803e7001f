/* fuzz_stubs.h — the setting fuzzed modules run in: every import the
 * module asks for defined with a harmless stand-in (functions return
 * zeros), and instances with fuel and memory caps. Shared by the libFuzzer
 * targets. */
#ifndef WASM_FUZZ_STUBS_H
#define WASM_FUZZ_STUBS_H

#include "wasm.h"

#define FUZZ_FUEL 20000 /* per exported function called */

/* A linker that satisfies m's imports where their types allow. */
struct wasm_linker *fuzz_stub_linker(const struct wasm_module *m);
/* An instance of m under the fuzzing limits, or NULL (err says why). */
struct wasm_instance *fuzz_instance(const struct wasm_module *m,
				    struct wasm_linker *l,
				    struct wasm_error *err);

#endif
