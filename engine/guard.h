/* guard.h — out-of-bounds memory accesses of compiled code caught by the
 * MMU instead of by explicit checks (WASM_GUARD_PAGES, the default build):
 * every memory reserves enough address space that any access faults past
 * the accessible size, and guard.c's SIGSEGV/SIGBUS handler turns a fault
 * of a compiled memory access into its trap (jit.c knows the compiled
 * code's access sites). The interpreter checks explicitly either way.
 */
#ifndef WASM_GUARD_H
#define WASM_GUARD_H

/* Bytes reserved per memory: any u32 address plus u32 offset plus the
 * widest access lands inside the reservation. */
#define WM_GUARD_RESERVE ((size_t)1 << 33)

/* Installs the fault handler once per process. */
void wm_guard_install(void);

#endif
