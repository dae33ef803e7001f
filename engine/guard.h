/* guard.h — out-of-bounds memory accesses caught by the MMU instead of by
 * explicit checks (WASM_GUARD_PAGES, the default build). guard.c's SIGSEGV
 * handler turns a fault of a compiled memory access into its trap (jit.c
 * knows the compiled code's access sites), and a fault inside the memory
 * the interpreter runs on, which the interpreter records here, into a trap
 * by jumping back into the interpreter.
 */
#ifndef WASM_GUARD_H
#define WASM_GUARD_H

#include <setjmp.h>
#include <stdbool.h>

struct wasm_memory;
struct wasm_func;

struct wm_guard {
	sigjmp_buf *jmp;
	const struct wasm_memory *mem;
	struct wasm_func *func;
	bool in_wasm; /* false while a host function runs */
};

extern __thread struct wm_guard wm_guard;

/* Bytes reserved per memory: any u32 address plus u32 offset plus the
 * widest access lands inside the reservation. */
#define WM_GUARD_RESERVE ((size_t)1 << 33)

/* Installs the fault handler once per process. */
void wm_guard_install(void);

#endif
