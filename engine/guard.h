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

struct wasm_instance;
/* Read-only ranges a host mapped into guest memory. A write to one by
 * compiled code traps like any other fault of its accesses; one by C code
 * (the interpreter, a bulk op, a host function) cannot be resumed as a
 * trap, so the handler puts zeroed writable pages over the range (the
 * write lands there, the mapping is gone) and sets the instance's
 * ro_fault, which ends its call at the next interrupt check. -ENOSPC when
 * every slot is taken. Removing one that is not there is a no-op. */
int wm_guard_ro_add(void *lo, size_t len, struct wasm_instance *inst);
void wm_guard_ro_del(void *lo);

#endif
