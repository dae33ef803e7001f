/* codecache.h — the cache of compiled code (codecache.c). */
#ifndef WASM_BPF_CODECACHE_H
#define WASM_BPF_CODECACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/wasm.h"

struct codecache;

/* wasm_module__load of `bytes` in `tier` (enum wasm_tier), compiled to
 * count fuel inline when `fuel` (wasm_load_opts.fuel), with the
 * machine code of an earlier run from the cache under `top` (NULL: no
 * cache) when there is a valid one. Without one, a tier that compiles up
 * front runs tiered (WASM_TIER_TIERED: what runs a few times is only
 * interpreted) and the whole module is compiled and saved for the next
 * run: now if `later` is NULL, else by codecache__store(*later, module)
 * (*later NULL: nothing to store). Every cache problem only means
 * compiling as without a cache; `verbose` says what happened on stderr. */
struct wasm_module *codecache__load(const void *bytes, size_t len,
				    const char *top, bool verbose, int tier,
				    bool fuel, struct wasm_error *err,
				    struct codecache **later);
/* Compiles the module and writes its cache entry (a run's end: off the
 * start-up's path); frees c. NULL c: nothing. */
void codecache__store(struct codecache *c, const struct wasm_module *m);

#endif
