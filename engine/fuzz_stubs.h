/* fuzz_stubs.h — imports for fuzzed modules: every import the module asks
 * for defined with a harmless stand-in (functions return zeros). Shared by
 * the libFuzzer targets. */
#ifndef WASM_FUZZ_STUBS_H
#define WASM_FUZZ_STUBS_H

#include "wasm.h"

/* A linker that satisfies m's imports where their types allow. */
struct wasm_linker *fuzz_stub_linker(const struct wasm_module *m);

#endif
