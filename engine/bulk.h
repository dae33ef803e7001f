/* bulk.h — the table and bulk-memory instructions (table.get/set/size/
 * grow/fill/copy/init, elem.drop, memory.copy/fill/init, data.drop), one
 * implementation for both tiers: the interpreter's handlers and compiled
 * code (through jit.c's helper) call it.
 */
#ifndef WASM_BULK_H
#define WASM_BULK_H

#include <stdbool.h>

#include "ir.h"
#include "runtime.h"

/* Whether op is one of them. */
bool wm_bulk_op(enum ir_op op);
/* Runs op with operand words w on frame fp of inst: 0, or the trap. */
int wm_bulk_run(struct wasm_instance *inst, enum ir_op op, const uint32_t *w,
		union wm_slot *fp);

#endif
