/* bulk.c — table and bulk-memory instructions (see bulk.h). */
#include <string.h>

#include "bulk.h"

bool wm_bulk_op(enum ir_op op)
{
	switch (op) {
	case IR_TABLE_GET:
	case IR_TABLE_SET:
	case IR_TABLE_SIZE:
	case IR_TABLE_GROW:
	case IR_TABLE_FILL:
	case IR_TABLE_COPY:
	case IR_TABLE_INIT:
	case IR_ELEM_DROP:
	case IR_MEMORY_COPY:
	case IR_MEMORY_FILL:
	case IR_MEMORY_INIT:
	case IR_DATA_DROP:
		return true;
	default:
		return false;
	}
}

static int table_op(struct wasm_instance *inst, enum ir_op op,
		    const uint32_t *w, union wm_slot *fp)
{
	struct wasm_table *tb =
	    inst->tables[w[op == IR_TABLE_GET || op == IR_TABLE_SIZE ||
			   op == IR_TABLE_GROW]];
	switch (op) {
	case IR_TABLE_GET:
		if (fp[w[2]].u32 >= tb->size)
			return WASM_TRAP_TABLE_OOB;
		fp[w[0]].ref = tb->elems[fp[w[2]].u32];
		return 0;
	case IR_TABLE_SET:
		if (fp[w[1]].u32 >= tb->size)
			return WASM_TRAP_TABLE_OOB;
		tb->elems[fp[w[1]].u32] = fp[w[2]].ref;
		return 0;
	case IR_TABLE_SIZE:
		fp[w[0]].u32 = tb->size;
		return 0;
	case IR_TABLE_GROW:
		fp[w[0]].i32 =
		    (int32_t)wm_table_grow(tb, fp[w[3]].u32, fp[w[2]].ref);
		return 0;
	default: { /* TABLE_FILL */
		uint64_t i = fp[w[1]].u32, n = fp[w[3]].u32;
		if (i + n > tb->size)
			return WASM_TRAP_TABLE_OOB;
		for (uint64_t k = 0; k < n; k++)
			tb->elems[i + k] = fp[w[2]].ref;
		return 0;
	}
	}
}

static int table_bulk(struct wasm_instance *inst, enum ir_op op,
		      const uint32_t *w, union wm_slot *fp)
{
	struct wasm_table *td = inst->tables[w[0]];
	uint64_t d = fp[w[2]].u32, s = fp[w[3]].u32, n = fp[w[4]].u32;
	if (op == IR_TABLE_COPY) {
		struct wasm_table *ts = inst->tables[w[1]];
		if (d + n > td->size || s + n > ts->size)
			return WASM_TRAP_TABLE_OOB;
		if (n) /* a table of size 0 may have no elems at all */
			memmove(&td->elems[d], &ts->elems[s],
				n * sizeof(void *));
		return 0;
	}
	if (d + n > td->size || s + n > inst->elem_len[w[1]])
		return WASM_TRAP_TABLE_OOB;
	if (n)
		memcpy(&td->elems[d], &inst->elem_refs[w[1]][s],
		       n * sizeof(void *));
	return 0;
}

static int memory_bulk(struct wasm_instance *inst, enum ir_op op,
		       const uint32_t *w, union wm_slot *fp)
{
	uint8_t *mem = inst->mem->base;
	uint64_t size = inst->mem->size;
	if (op == IR_MEMORY_INIT) {
		const struct wm_data *seg = &inst->module->wm.datas[w[0]];
		uint64_t seglen = inst->data_dropped[w[0]] ? 0 : seg->len;
		uint64_t d = fp[w[1]].u32, s = fp[w[2]].u32, n = fp[w[3]].u32;
		if (d + n > size || s + n > seglen)
			return WASM_TRAP_MEMORY_OOB;
		if (n)
			memcpy(mem + d, seg->bytes + s, n);
		return 0;
	}
	uint64_t d = fp[w[0]].u32, n = fp[w[2]].u32;
	if (op == IR_MEMORY_FILL) {
		if (d + n > size)
			return WASM_TRAP_MEMORY_OOB;
		if (n)
			memset(mem + d, (int)(uint8_t)fp[w[1]].u32, n);
		return 0;
	}
	uint64_t s = fp[w[1]].u32; /* MEMORY_COPY */
	if (d + n > size || s + n > size)
		return WASM_TRAP_MEMORY_OOB;
	if (n)
		memmove(mem + d, mem + s, n);
	return 0;
}

int wm_bulk_run(struct wasm_instance *inst, enum ir_op op, const uint32_t *w,
		union wm_slot *fp)
{
	switch (op) {
	case IR_TABLE_COPY:
	case IR_TABLE_INIT:
		return table_bulk(inst, op, w, fp);
	case IR_ELEM_DROP:
		inst->elem_len[w[0]] = 0;
		return 0;
	case IR_MEMORY_COPY:
	case IR_MEMORY_FILL:
	case IR_MEMORY_INIT:
		return memory_bulk(inst, op, w, fp);
	case IR_DATA_DROP:
		inst->data_dropped[w[0]] = true;
		return 0;
	default:
		return table_op(inst, op, w, fp);
	}
}
