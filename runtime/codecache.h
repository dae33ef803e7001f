/* codecache.h — the cache of compiled code (codecache.c). */
#ifndef WASM_BPF_CODECACHE_H
#define WASM_BPF_CODECACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/wasm.h"

/* wasm_module__load of `bytes` in `tier` (enum wasm_tier), with the machine code of an earlier run
 * from the cache under `top` (NULL: no cache) when there is a valid one,
 * else compiled and saved there for the next run. Every cache problem
 * only means compiling as without a cache; `verbose` says what happened
 * on stderr. */
struct wasm_module *codecache__load(const void *bytes, size_t len,
				    const char *top, bool verbose, int tier,
				    struct wasm_error *err);

#endif
