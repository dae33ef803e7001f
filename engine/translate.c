/* translate.c — rewrites each validated function body into threaded code
 * (see ir.h) in register form: every operand-stack position becomes a fixed
 * frame slot, so instructions name their operands directly.
 *
 * Three rewrites make the code short: local.get and constants are not
 * copied but remembered on a compile-time stack and folded into the
 * instruction that consumes them (constants as immediates where an _IMM
 * form exists); a local.set right after the instruction that produced its
 * value retargets that instruction's destination; and a compare directly
 * followed by br_if/if becomes one compare-and-branch.
 *
 * Values must sit in their canonical slots wherever control merges, so the
 * whole stack is materialised at block entry and branch operands are moved
 * into the target's slots.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "runtime.h"

enum entry_kind { E_STACK, E_LOCAL, E_CONST };

struct entry {
	uint8_t kind;
	uint32_t local;
	uint64_t bits;
};

enum ctl_kind { C_FUNC, C_BLOCK, C_LOOP, C_IF, C_ELSE };

struct ctl {
	uint8_t kind;
	bool unreachable;
	uint32_t height;
	uint32_t nparams, nresults;
	uint32_t loop_pos;  /* C_LOOP: branch target */
	uint32_t patches;   /* head of pending sites (index + 1), 0 = none */
	uint32_t else_site; /* C_IF: site of the branch to else (+1) */
};

struct tr {
	const struct wm_module *m;
	const void *const *h;
	const uint8_t *p, *end;
	uint32_t op_offset; /* module offset of the current instruction */

	uint32_t *code;
	uint32_t len, cap;

	struct entry *stack;
	uint32_t sp, stack_cap, max_sp;
	uint32_t *local_refs;
	uint32_t base; /* slot of operand-stack height 0 */

	struct ctl *ctls;
	uint32_t nctl, ctl_cap;

	int64_t last_pos; /* start of the last single-result instruction */
	uint16_t last_op;
	uint32_t last_height;

	uint32_t (*sites)[2];
	uint32_t nsites, sites_cap;
	bool oom;
};

/* ---- buffers ------------------------------------------------------------ */

static bool grow(void **buf, uint32_t *cap, uint32_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	uint32_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	void *p = realloc(*buf, (size_t)n * elem);
	if (!p)
		return false;
	*buf = p;
	*cap = n;
	return true;
}

static uint32_t emit_words(struct tr *t, unsigned n)
{
	if (!grow((void **)&t->code, &t->cap, t->len + n, sizeof(uint32_t))) {
		t->oom = true;
		t->len = 0;
	}
	uint32_t pos = t->len;
	t->len += n;
	return pos;
}

/* Emits the handler of `op`; operands follow with put(). */
static uint32_t emit_op(struct tr *t, enum ir_op op)
{
	uint32_t pos = emit_words(t, 2);
	const void *h = t->h[op];
	memcpy(&t->code[pos], &h, sizeof(h));
	t->last_pos = -1;
	return pos;
}

static void put(struct tr *t, uint32_t w)
{
	uint32_t pos = emit_words(t, 1);
	t->code[pos] = w;
}

static void trap_site(struct tr *t, uint32_t pos)
{
	if (!grow((void **)&t->sites, &t->sites_cap, t->nsites + 1,
		  sizeof(t->sites[0]))) {
		t->oom = true;
		return;
	}
	t->sites[t->nsites][0] = pos;
	t->sites[t->nsites][1] = t->op_offset;
	t->nsites++;
}

/* ---- the compile-time operand stack -------------------------------------- */

static void push(struct tr *t, uint8_t kind, uint32_t local, uint64_t bits)
{
	if (!grow((void **)&t->stack, &t->stack_cap, t->sp + 1,
		  sizeof(struct entry))) {
		t->oom = true;
		return;
	}
	t->stack[t->sp] = (struct entry){kind, local, bits};
	if (kind == E_LOCAL)
		t->local_refs[local]++;
	t->sp++;
	if (t->sp > t->max_sp)
		t->max_sp = t->sp;
}

static void push_result(struct tr *t)
{
	push(t, E_STACK, 0, 0);
}

static struct entry pop(struct tr *t)
{
	struct entry e = t->stack[--t->sp];
	if (e.kind == E_LOCAL)
		t->local_refs[e.local]--;
	return e;
}

static uint32_t slot_at(struct tr *t, uint32_t height)
{
	return t->base + height;
}

static void emit_const(struct tr *t, uint32_t dst, uint64_t bits)
{
	if (bits >> 32) {
		emit_op(t, IR_CONST64);
		put(t, dst);
		put(t, (uint32_t)bits);
		put(t, (uint32_t)(bits >> 32));
	} else {
		emit_op(t, IR_CONST32);
		put(t, dst);
		put(t, (uint32_t)bits);
	}
}

static void emit_copy(struct tr *t, uint32_t dst, uint32_t src)
{
	emit_op(t, IR_COPY);
	put(t, dst);
	put(t, src);
}

/* Writes entry e's value into slot dst. */
static void move_entry(struct tr *t, struct entry e, uint32_t src_height,
		       uint32_t dst)
{
	if (e.kind == E_CONST)
		emit_const(t, dst, e.bits);
	else if (e.kind == E_LOCAL)
		emit_copy(t, dst, e.local);
	else if (slot_at(t, src_height) != dst)
		emit_copy(t, dst, slot_at(t, src_height));
}

static void materialize_at(struct tr *t, uint32_t height)
{
	struct entry *e = &t->stack[height];
	if (e->kind == E_STACK)
		return;
	move_entry(t, *e, height, slot_at(t, height));
	if (e->kind == E_LOCAL)
		t->local_refs[e->local]--;
	e->kind = E_STACK;
}

static void materialize_all(struct tr *t)
{
	for (uint32_t i = 0; i < t->sp; i++)
		materialize_at(t, i);
}

/* Before local `l` is written, entries still naming it get their own copy. */
static void materialize_local(struct tr *t, uint32_t l)
{
	for (uint32_t i = 0; t->local_refs[l] && i < t->sp; i++)
		if (t->stack[i].kind == E_LOCAL && t->stack[i].local == l)
			materialize_at(t, i);
}

/* The slot that holds the value of the entry at `height` (popped or not);
 * constants get materialised into their canonical slot. */
static uint32_t src_slot(struct tr *t, struct entry e, uint32_t height)
{
	if (e.kind == E_LOCAL)
		return e.local;
	if (e.kind == E_CONST)
		emit_const(t, slot_at(t, height), e.bits);
	return slot_at(t, height);
}

/* Records that the instruction at pos writes its result (operand 0) to
 * the entry at `height`, so a following local.set can retarget it. */
static void note_result(struct tr *t, uint32_t pos, enum ir_op op,
			uint32_t height)
{
	t->last_pos = pos;
	t->last_op = op;
	t->last_height = height;
}

/* ---- reading the body --------------------------------------------------- */

static uint32_t read_u32(struct tr *t)
{
	uint32_t v = 0;
	t->p += wm_read_u32(t->p, t->end, &v);
	return v;
}

static int32_t read_s32(struct tr *t)
{
	int32_t v = 0;
	t->p += wm_read_s32(t->p, t->end, &v);
	return v;
}

static int64_t read_s64(struct tr *t)
{
	int64_t v = 0;
	t->p += wm_read_s64(t->p, t->end, &v);
	return v;
}

static void read_blocktype(struct tr *t, uint32_t *np, uint32_t *nr)
{
	uint8_t b = *t->p;
	if (b == 0x40) {
		t->p++;
		*np = *nr = 0;
	} else if (b == WASM_I32 || b == WASM_I64 || b == WASM_F32 ||
		   b == WASM_F64 || b == WASM_FUNCREF || b == WASM_EXTERNREF ||
		   b == WASM_V128) {
		t->p++;
		*np = 0;
		*nr = 1;
	} else {
		int64_t idx = 0;
		t->p += wm_read_s33(t->p, t->end, &idx);
		const struct wm_functype *ft = &t->m->types[idx];
		*np = ft->nparams;
		*nr = ft->nresults;
	}
}

/* Skips the immediates of `op` (already read). Used in dead code. */
static void skip_immediates(struct tr *t, uint8_t op)
{
	uint32_t np, nr, n;
	switch (op) {
	case 0x02: case 0x03: case 0x04:
		read_blocktype(t, &np, &nr);
		break;
	case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22:
	case 0x23: case 0x24: case 0x25: case 0x26: case 0xd2:
		read_u32(t);
		break;
	case 0x0e:
		n = read_u32(t);
		for (uint32_t i = 0; i <= n; i++)
			read_u32(t);
		break;
	case 0x11:
		read_u32(t);
		read_u32(t);
		break;
	case 0x1c:
		n = read_u32(t);
		t->p += n;
		break;
	case 0x3f: case 0x40: case 0xd0:
		t->p++;
		break;
	case 0x41:
		read_s32(t);
		break;
	case 0x42:
		read_s64(t);
		break;
	case 0x43:
		t->p += 4;
		break;
	case 0x44:
		t->p += 8;
		break;
	case 0xfc:
		switch (read_u32(t)) {
		case 8: read_u32(t); t->p++; break;
		case 9: case 13: case 15: case 16: case 17: read_u32(t); break;
		case 10: t->p += 2; break;
		case 11: t->p++; break;
		case 12: case 14: read_u32(t); read_u32(t); break;
		default: break;
		}
		break;
	default:
		if (op >= 0x28 && op <= 0x3e) {
			read_u32(t);
			read_u32(t);
		}
		break;
	}
}

/* ---- control ------------------------------------------------------------ */

static struct ctl *ctl_top(struct tr *t)
{
	return &t->ctls[t->nctl - 1];
}

static void push_ctl(struct tr *t, uint8_t kind, uint32_t np, uint32_t nr)
{
	if (!grow((void **)&t->ctls, &t->ctl_cap, t->nctl + 1,
		  sizeof(struct ctl))) {
		t->oom = true;
		return;
	}
	t->ctls[t->nctl++] = (struct ctl){
		.kind = kind, .height = t->sp - np, .nparams = np, .nresults = nr};
}

/* Aims the branch operand word at `site` at control frame c: a loop's
 * header is known; other labels are patched when their end is reached. */
static void aim_site(struct tr *t, uint32_t site, struct ctl *c)
{
	if (c->kind == C_LOOP) {
		t->code[site] = (uint32_t)((int32_t)c->loop_pos - (int32_t)site);
	} else {
		t->code[site] = c->patches;
		c->patches = site + 1;
	}
}

/* Emits a branch operand word aimed at control frame c. */
static void put_target(struct tr *t, struct ctl *c)
{
	aim_site(t, emit_words(t, 1), c);
}

static void patch_to_here(struct tr *t, uint32_t list)
{
	while (list) {
		uint32_t site = list - 1;
		list = t->code[site];
		t->code[site] = t->len - site;
	}
}

static uint32_t label_arity(const struct ctl *c)
{
	return c->kind == C_LOOP ? c->nparams : c->nresults;
}

/* Does branching to c need to move values? */
static bool needs_moves(struct tr *t, const struct ctl *c)
{
	uint32_t n = label_arity(c);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t h = t->sp - n + k;
		if (t->stack[h].kind != E_STACK || h != c->height + k)
			return true;
	}
	return false;
}

static void emit_moves(struct tr *t, const struct ctl *c)
{
	uint32_t n = label_arity(c);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t h = t->sp - n + k;
		move_entry(t, t->stack[h], h, slot_at(t, c->height + k));
	}
}

static void emit_return(struct tr *t)
{
	uint32_t n = t->ctls[0].nresults;
	if (n == 0) {
		emit_op(t, IR_RET0);
	} else if (n == 1) {
		struct entry e = t->stack[t->sp - 1];
		uint32_t s = src_slot(t, e, t->sp - 1);
		emit_op(t, IR_RET1);
		put(t, s);
	} else {
		/* Not materialize_at: this may be one path of several
		 * (br_if, br_table stubs), so the stack must not change. */
		for (uint32_t k = t->sp - n; k < t->sp; k++)
			move_entry(t, t->stack[k], k, slot_at(t, k));
		emit_op(t, IR_RETN);
		put(t, slot_at(t, t->sp - n));
		put(t, n);
	}
}

static void set_unreachable(struct tr *t)
{
	struct ctl *c = ctl_top(t);
	while (t->sp > c->height)
		pop(t);
	c->unreachable = true;
}

/* Unconditional branch to the frame `depth` levels out. */
static void emit_br(struct tr *t, uint32_t depth)
{
	struct ctl *c = &t->ctls[t->nctl - 1 - depth];
	if (c->kind == C_FUNC) {
		emit_return(t);
		return;
	}
	emit_moves(t, c);
	emit_op(t, IR_BR);
	put_target(t, c);
}

/* ---- fused compares ----------------------------------------------------- */

static int cmp_index(enum ir_op op, bool *imm, bool *wide)
{
	*imm = false;
	*wide = false;
	if (op >= IR_I32_EQ && op <= IR_I32_GE_U)
		return op - IR_I32_EQ;
	if (op >= IR_I64_EQ && op <= IR_I64_GE_U) {
		*wide = true;
		return op - IR_I64_EQ;
	}
	if (op >= IR_I32_EQ_IMM && op <= IR_I32_GE_U_IMM) {
		*imm = true;
		return op - IR_I32_EQ_IMM;
	}
	return -1;
}

/* eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u -> its negation */
static const uint8_t cmp_negation[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};

/* If the condition on top of the stack is the result of the instruction
 * just emitted and that was a compare or eqz, removes that instruction and
 * returns its branch form (inverted if `negate`) with its operands. */
static int take_fused_cond(struct tr *t, bool negate, uint32_t ops[2])
{
	if (t->last_pos < 0 || t->stack[t->sp - 1].kind != E_STACK ||
	    t->last_height != t->sp - 1)
		return -1;
	const uint32_t *w = &t->code[t->last_pos + 2];
	bool imm, wide;
	int idx = cmp_index(t->last_op, &imm, &wide);
	int op;
	if (t->last_op == IR_I32_EQZ) {
		ops[0] = w[1];
		op = negate ? IR_BR_IF : IR_BR_UNLESS;
	} else if (t->last_op == IR_I64_EQZ) {
		ops[0] = w[1];
		op = negate ? IR_BR_I64_NEZ : IR_BR_I64_EQZ;
	} else if (idx >= 0) {
		if (negate)
			idx = cmp_negation[idx];
		ops[0] = w[1];
		ops[1] = w[2];
		op = (wide  ? IR_BR_I64_EQ
		      : imm ? IR_BR_I32_EQ_IMM
			    : IR_BR_I32_EQ) +
		     idx;
	} else {
		return -1;
	}
	t->len = (uint32_t)t->last_pos;
	t->last_pos = -1;
	pop(t);
	return op;
}

/* Emits "branch to c if cond" (or if !cond when negate), consuming it. */
static void emit_cond_branch(struct tr *t, bool negate, struct ctl *c,
			     bool materialize_rest)
{
	uint32_t ops[2] = {0, 0};
	int op = take_fused_cond(t, negate, ops);
	if (op < 0) {
		struct entry e = pop(t);
		ops[0] = src_slot(t, e, t->sp);
		op = negate ? IR_BR_UNLESS : IR_BR_IF;
	}
	if (materialize_rest)
		materialize_all(t);
	emit_op(t, op);
	put(t, ops[0]);
	if (ir_op_words(op) == 5)
		put(t, ops[1]);
	put_target(t, c);
}

/* ---- instructions ------------------------------------------------------- */

static void op_br_if(struct tr *t, uint32_t depth)
{
	struct ctl *c = &t->ctls[t->nctl - 1 - depth];
	/* needs_moves looks below the condition */
	t->sp--;
	bool moves = c->kind == C_FUNC || needs_moves(t, c);
	t->sp++;
	if (!moves) {
		emit_cond_branch(t, false, c, false);
		return;
	}
	/* if (!cond) skip; moves; br */
	struct ctl skip = {.kind = C_BLOCK};
	emit_cond_branch(t, true, &skip, false);
	emit_br(t, depth);
	patch_to_here(t, skip.patches);
}

static void op_br_table(struct tr *t)
{
	uint32_t n = read_u32(t);
	struct entry e = pop(t);
	uint32_t a = src_slot(t, e, t->sp);
	emit_op(t, IR_BR_TABLE);
	put(t, a);
	put(t, n);
	uint32_t first = emit_words(t, n + 1);
	uint32_t *depths = malloc(sizeof(uint32_t) * (n + 1));
	if (!depths) {
		t->oom = true;
		return;
	}
	for (uint32_t i = 0; i <= n; i++)
		depths[i] = read_u32(t);
	/* Targets that need moves (or are the function) get a stub after the
	 * table; the others are patched like any forward branch. */
	for (uint32_t i = 0; i <= n && !t->oom; i++) {
		uint32_t site = first + i;
		struct ctl *c = &t->ctls[t->nctl - 1 - depths[i]];
		if (c->kind != C_FUNC && !needs_moves(t, c)) {
			aim_site(t, site, c);
			continue;
		}
		t->code[site] = t->len - site;
		emit_br(t, depths[i]);
	}
	free(depths);
	set_unreachable(t);
}

static void op_block(struct tr *t, uint8_t kind)
{
	uint32_t np, nr;
	read_blocktype(t, &np, &nr);
	if (kind == C_IF) {
		struct ctl tmp = {.kind = C_BLOCK};
		emit_cond_branch(t, true, &tmp, true);
		push_ctl(t, C_IF, np, nr);
		ctl_top(t)->else_site = tmp.patches;
		return;
	}
	materialize_all(t);
	push_ctl(t, kind, np, nr);
	if (kind == C_LOOP) {
		/* No instruction at the header: backward branches check for
		 * interruption and fuel themselves. Nothing before the label
		 * may be retargeted by what follows it. */
		ctl_top(t)->loop_pos = t->len;
		t->last_pos = -1;
	}
}

static void reset_stack_to(struct tr *t, uint32_t height)
{
	while (t->sp > height)
		pop(t);
	while (t->sp < height)
		push_result(t);
}

static void op_else(struct tr *t)
{
	struct ctl *c = ctl_top(t);
	if (!c->unreachable) {
		for (uint32_t k = t->sp - c->nresults; k < t->sp; k++)
			materialize_at(t, k);
		emit_op(t, IR_BR);
		put_target(t, c);
	}
	patch_to_here(t, c->else_site);
	c->else_site = 0;
	c->kind = C_ELSE;
	c->unreachable = false;
	reset_stack_to(t, c->height);
	for (uint32_t i = 0; i < c->nparams; i++)
		push_result(t);
	t->last_pos = -1;
}

/* Returns true at the end of the function. */
static bool op_end(struct tr *t)
{
	struct ctl *c = ctl_top(t);
	if (c->kind == C_FUNC) {
		if (!c->unreachable)
			emit_return(t);
		return true;
	}
	if (!c->unreachable)
		for (uint32_t k = t->sp - c->nresults; k < t->sp; k++)
			materialize_at(t, k);
	patch_to_here(t, c->patches);
	patch_to_here(t, c->else_site);
	reset_stack_to(t, c->height);
	for (uint32_t i = 0; i < c->nresults; i++)
		push_result(t);
	t->nctl--;
	t->last_pos = -1;
	return false;
}

static void op_call(struct tr *t, uint32_t funcidx)
{
	const struct wm_functype *ft =
		&t->m->types[t->m->func_typeidx[funcidx]];
	for (uint32_t k = t->sp - ft->nparams; k < t->sp; k++)
		materialize_at(t, k);
	uint32_t argbase = slot_at(t, t->sp - ft->nparams);
	bool local = funcidx >= t->m->nimported_funcs;
	uint32_t pos = emit_op(t, local ? IR_CALL : IR_CALL_IMPORT);
	put(t, funcidx);
	put(t, argbase);
	trap_site(t, pos);
	for (uint32_t i = 0; i < ft->nparams; i++)
		pop(t);
	for (uint32_t i = 0; i < ft->nresults; i++)
		push_result(t);
}

static void op_call_indirect(struct tr *t)
{
	uint32_t typeidx = read_u32(t);
	uint32_t table = read_u32(t);
	const struct wm_functype *ft = &t->m->types[typeidx];
	struct entry e = pop(t);
	/* The index slot may lie inside the callee's frame: the handler
	 * reads it before the call. */
	uint32_t a = src_slot(t, e, t->sp);
	for (uint32_t k = t->sp - ft->nparams; k < t->sp; k++)
		materialize_at(t, k);
	uint32_t pos = emit_op(t, IR_CALL_INDIRECT);
	put(t, table);
	put(t, ft->sig_id);
	put(t, slot_at(t, t->sp - ft->nparams));
	put(t, a);
	trap_site(t, pos);
	for (uint32_t i = 0; i < ft->nparams; i++)
		pop(t);
	for (uint32_t i = 0; i < ft->nresults; i++)
		push_result(t);
}

static void op_local_set(struct tr *t, uint32_t l, bool tee)
{
	uint32_t h = t->sp - 1;
	struct entry e = pop(t);
	materialize_local(t, l);
	if (e.kind == E_STACK && t->last_pos >= 0 && t->last_height == h) {
		t->code[t->last_pos + 2] = l; /* retarget the producer */
		t->last_pos = -1;
	} else if (!(e.kind == E_LOCAL && e.local == l)) {
		move_entry(t, e, h, l);
	}
	if (tee)
		push(t, E_LOCAL, l, 0);
}

static void emit_unary(struct tr *t, enum ir_op op)
{
	uint32_t h = t->sp - 1;
	struct entry e = pop(t);
	uint32_t a = src_slot(t, e, h);
	uint32_t pos = emit_op(t, op);
	put(t, slot_at(t, h));
	put(t, a);
	push_result(t);
	note_result(t, pos, op, h);
}

static int imm_form(enum ir_op op, bool *commutative)
{
	*commutative = true;
	switch (op) {
	case IR_I32_ADD: return IR_I32_ADD_IMM;
	case IR_I32_MUL: return IR_I32_MUL_IMM;
	case IR_I32_AND: return IR_I32_AND_IMM;
	case IR_I32_OR: return IR_I32_OR_IMM;
	case IR_I32_XOR: return IR_I32_XOR_IMM;
	case IR_I32_EQ: return IR_I32_EQ_IMM;
	case IR_I32_NE: return IR_I32_NE_IMM;
	case IR_I64_ADD: return IR_I64_ADD_IMM;
	case IR_I64_MUL: return IR_I64_MUL_IMM;
	case IR_I64_AND: return IR_I64_AND_IMM;
	case IR_I64_OR: return IR_I64_OR_IMM;
	case IR_I64_XOR: return IR_I64_XOR_IMM;
	default: break;
	}
	*commutative = false;
	if (op >= IR_I32_LT_S && op <= IR_I32_GE_U)
		return IR_I32_LT_S_IMM + (op - IR_I32_LT_S);
	switch (op) {
	case IR_I32_SUB: return IR_I32_SUB_IMM;
	case IR_I32_SHL: return IR_I32_SHL_IMM;
	case IR_I32_SHR_S: return IR_I32_SHR_S_IMM;
	case IR_I32_SHR_U: return IR_I32_SHR_U_IMM;
	case IR_I64_SUB: return IR_I64_SUB_IMM;
	case IR_I64_SHL: return IR_I64_SHL_IMM;
	case IR_I64_SHR_S: return IR_I64_SHR_S_IMM;
	case IR_I64_SHR_U: return IR_I64_SHR_U_IMM;
	default: return -1;
	}
}

/* The 64-bit-immediate form of a commutative i64 op, or -1. */
static int k64_form(enum ir_op op)
{
	switch (op) {
	case IR_I64_ADD: return IR_I64_ADD_K64;
	case IR_I64_MUL: return IR_I64_MUL_K64;
	case IR_I64_AND: return IR_I64_AND_K64;
	case IR_I64_OR: return IR_I64_OR_K64;
	case IR_I64_XOR: return IR_I64_XOR_K64;
	default: return -1;
	}
}

static bool fits_imm(enum ir_op imm_op, uint64_t bits)
{
	if (imm_op < IR_I64_ADD_IMM)
		return true; /* i32: the low word is the value */
	int64_t v = (int64_t)bits;
	return v >= INT32_MIN && v <= INT32_MAX;
}

static void emit_binary(struct tr *t, enum ir_op op)
{
	uint32_t h = t->sp - 2, ha = h, hb = h + 1;
	struct entry b = pop(t);
	struct entry a = pop(t);
	bool comm;
	int imm = imm_form(op, &comm);
	if (imm >= 0 && a.kind == E_CONST && b.kind != E_CONST && comm) {
		struct entry tmp = a;
		a = b;
		b = tmp;
		ha = h + 1;
		hb = h;
	}
	uint32_t pos;
	if (imm >= 0 && b.kind == E_CONST && fits_imm(imm, b.bits)) {
		uint32_t sa = src_slot(t, a, ha);
		pos = emit_op(t, imm);
		put(t, slot_at(t, h));
		put(t, sa);
		put(t, (uint32_t)b.bits);
		op = imm;
	} else if (b.kind == E_CONST && comm && k64_form(op) >= 0) {
		uint32_t sa = src_slot(t, a, ha);
		op = k64_form(op);
		pos = emit_op(t, op);
		put(t, slot_at(t, h));
		put(t, sa);
		put(t, (uint32_t)b.bits);
		put(t, (uint32_t)(b.bits >> 32));
	} else {
		uint32_t sa = src_slot(t, a, ha);
		uint32_t sb = src_slot(t, b, hb);
		pos = emit_op(t, op);
		put(t, slot_at(t, h));
		put(t, sa);
		put(t, sb);
	}
	push_result(t);
	note_result(t, pos, op, h);
}

/* Wasm opcodes 0x45..0xc4 in order; -1: no code (wrap, reinterpret). */
static const int16_t numeric_ops[128] = {
	IR_I32_EQZ, IR_I32_EQ, IR_I32_NE, IR_I32_LT_S, IR_I32_LT_U,
	IR_I32_GT_S, IR_I32_GT_U, IR_I32_LE_S, IR_I32_LE_U, IR_I32_GE_S,
	IR_I32_GE_U, IR_I64_EQZ, IR_I64_EQ, IR_I64_NE, IR_I64_LT_S,
	IR_I64_LT_U, IR_I64_GT_S, IR_I64_GT_U, IR_I64_LE_S, IR_I64_LE_U,
	IR_I64_GE_S, IR_I64_GE_U, IR_F32_EQ, IR_F32_NE, IR_F32_LT, IR_F32_GT,
	IR_F32_LE, IR_F32_GE, IR_F64_EQ, IR_F64_NE, IR_F64_LT, IR_F64_GT,
	IR_F64_LE, IR_F64_GE, IR_I32_CLZ, IR_I32_CTZ, IR_I32_POPCNT,
	IR_I32_ADD, IR_I32_SUB, IR_I32_MUL, IR_I32_DIV_S, IR_I32_DIV_U,
	IR_I32_REM_S, IR_I32_REM_U, IR_I32_AND, IR_I32_OR, IR_I32_XOR,
	IR_I32_SHL, IR_I32_SHR_S, IR_I32_SHR_U, IR_I32_ROTL, IR_I32_ROTR,
	IR_I64_CLZ, IR_I64_CTZ, IR_I64_POPCNT, IR_I64_ADD, IR_I64_SUB,
	IR_I64_MUL, IR_I64_DIV_S, IR_I64_DIV_U, IR_I64_REM_S, IR_I64_REM_U,
	IR_I64_AND, IR_I64_OR, IR_I64_XOR, IR_I64_SHL, IR_I64_SHR_S,
	IR_I64_SHR_U, IR_I64_ROTL, IR_I64_ROTR, IR_F32_ABS, IR_F32_NEG,
	IR_F32_CEIL, IR_F32_FLOOR, IR_F32_TRUNC, IR_F32_NEAREST, IR_F32_SQRT,
	IR_F32_ADD, IR_F32_SUB, IR_F32_MUL, IR_F32_DIV, IR_F32_MIN,
	IR_F32_MAX, IR_F32_COPYSIGN, IR_F64_ABS, IR_F64_NEG, IR_F64_CEIL,
	IR_F64_FLOOR, IR_F64_TRUNC, IR_F64_NEAREST, IR_F64_SQRT, IR_F64_ADD,
	IR_F64_SUB, IR_F64_MUL, IR_F64_DIV, IR_F64_MIN, IR_F64_MAX,
	IR_F64_COPYSIGN, -1, IR_I32_TRUNC_F32_S, IR_I32_TRUNC_F32_U,
	IR_I32_TRUNC_F64_S, IR_I32_TRUNC_F64_U, IR_I64_EXTEND_I32_S,
	IR_I64_EXTEND_I32_U, IR_I64_TRUNC_F32_S, IR_I64_TRUNC_F32_U,
	IR_I64_TRUNC_F64_S, IR_I64_TRUNC_F64_U, IR_F32_CONVERT_I32_S,
	IR_F32_CONVERT_I32_U, IR_F32_CONVERT_I64_S, IR_F32_CONVERT_I64_U,
	IR_F32_DEMOTE_F64, IR_F64_CONVERT_I32_S, IR_F64_CONVERT_I32_U,
	IR_F64_CONVERT_I64_S, IR_F64_CONVERT_I64_U, IR_F64_PROMOTE_F32, -1,
	-1, -1, -1, IR_I32_EXTEND8_S, IR_I32_EXTEND16_S, IR_I64_EXTEND8_S,
	IR_I64_EXTEND16_S, IR_I64_EXTEND32_S,
};

static bool is_binary(enum ir_op op)
{
	return op >= IR_I32_EQ && op <= IR_F64_COPYSIGN;
}

static bool can_trap(enum ir_op op)
{
	switch (op) {
	case IR_I32_DIV_S: case IR_I32_DIV_U: case IR_I32_REM_S:
	case IR_I32_REM_U: case IR_I64_DIV_S: case IR_I64_DIV_U:
	case IR_I64_REM_S: case IR_I64_REM_U:
	case IR_I32_TRUNC_F32_S: case IR_I32_TRUNC_F32_U:
	case IR_I32_TRUNC_F64_S: case IR_I32_TRUNC_F64_U:
	case IR_I64_TRUNC_F32_S: case IR_I64_TRUNC_F32_U:
	case IR_I64_TRUNC_F64_S: case IR_I64_TRUNC_F64_U:
		return true;
	default:
		return false;
	}
}

static void op_numeric(struct tr *t, uint8_t opcode)
{
	int op = numeric_ops[opcode - 0x45];
	if (op < 0)
		return;
	if (is_binary(op))
		emit_binary(t, op);
	else
		emit_unary(t, op);
	if (can_trap(op))
		trap_site(t, (uint32_t)t->last_pos);
}

/* Loads 0x28..0x35 and stores 0x36..0x3e. */
static const int16_t memory_ops[23] = {
	IR_I32_LOAD, IR_I64_LOAD, IR_I32_LOAD, IR_I64_LOAD, IR_I32_LOAD8_S,
	IR_I32_LOAD8_U, IR_I32_LOAD16_S, IR_I32_LOAD16_U, IR_I64_LOAD8_S,
	IR_I64_LOAD8_U, IR_I64_LOAD16_S, IR_I64_LOAD16_U, IR_I64_LOAD32_S,
	IR_I64_LOAD32_U, IR_I32_STORE, IR_I64_STORE, IR_I32_STORE,
	IR_I64_STORE, IR_I32_STORE8, IR_I32_STORE16, IR_I32_STORE8,
	IR_I32_STORE16, IR_I32_STORE,
};

/* The fused form of a load or store whose address is an i32.add, or -1. */
static int fused_memory_op(enum ir_op op, bool imm)
{
	int base;
	switch (op) {
	case IR_I32_LOAD: base = IR_I32_LOAD_ADD; break;
	case IR_I64_LOAD: base = IR_I64_LOAD_ADD; break;
	case IR_I32_LOAD8_U: base = IR_I32_LOAD8_U_ADD; break;
	case IR_I32_LOAD8_S: base = IR_I32_LOAD8_S_ADD; break;
	case IR_I32_LOAD16_U: base = IR_I32_LOAD16_U_ADD; break;
	case IR_I32_STORE: base = IR_I32_STORE_ADD; break;
	case IR_I64_STORE: base = IR_I64_STORE_ADD; break;
	case IR_I32_STORE8: base = IR_I32_STORE8_ADD; break;
	default: return -1;
	}
	return base + (imm ? 1 : 0);
}

/* If the address entry at `height` is the result of the i32.add emitted
 * last (nothing since), removes the add and returns the fused op with the
 * add's two operands. */
static int take_address_add(struct tr *t, enum ir_op op, uint32_t height,
			    uint32_t ops[2])
{
	if (t->last_pos < 0 || t->last_height != height ||
	    t->stack[height].kind != E_STACK ||
	    (t->last_op != IR_I32_ADD && t->last_op != IR_I32_ADD_IMM))
		return -1;
	int fused = fused_memory_op(op, t->last_op == IR_I32_ADD_IMM);
	if (fused < 0)
		return -1;
	ops[0] = t->code[t->last_pos + 3];
	ops[1] = t->code[t->last_pos + 4];
	t->len = (uint32_t)t->last_pos;
	t->last_pos = -1;
	return fused;
}

static void op_load(struct tr *t, enum ir_op op, uint32_t offset)
{
	uint32_t h = t->sp - 1, ops[2], pos;
	int fused = take_address_add(t, op, h, ops);
	struct entry a = pop(t);
	if (fused >= 0) {
		pos = emit_op(t, fused);
		put(t, slot_at(t, h));
		put(t, ops[0]);
		put(t, ops[1]);
	} else {
		uint32_t sa = src_slot(t, a, h);
		pos = emit_op(t, op);
		put(t, slot_at(t, h));
		put(t, sa);
	}
	put(t, offset);
	push_result(t);
	note_result(t, pos, fused >= 0 ? (enum ir_op)fused : op, h);
	trap_site(t, pos);
}

static void op_store(struct tr *t, enum ir_op op, uint32_t offset)
{
	uint32_t h = t->sp - 2, ops[2], pos;
	int fused = -1;
	/* Only when the value needs no code: anything emitted for it could
	 * overwrite the add's operands before the fused store reads them. */
	if (t->stack[h + 1].kind == E_LOCAL)
		fused = take_address_add(t, op, h, ops);
	struct entry v = pop(t);
	struct entry a = pop(t);
	if (fused >= 0) {
		pos = emit_op(t, fused);
		put(t, ops[0]);
		put(t, ops[1]);
		put(t, v.local);
	} else {
		uint32_t sa = src_slot(t, a, h);
		uint32_t sv = src_slot(t, v, h + 1);
		pos = emit_op(t, op);
		put(t, sa);
		put(t, sv);
	}
	put(t, offset);
	trap_site(t, pos);
}

static void op_memory(struct tr *t, uint8_t opcode)
{
	read_u32(t); /* alignment is a hint */
	uint32_t offset = read_u32(t);
	enum ir_op op = memory_ops[opcode - 0x28];
	if (opcode <= 0x35)
		op_load(t, op, offset);
	else
		op_store(t, op, offset);
}

/* Pops n operands into slots (in push order). */
static void pop_slots(struct tr *t, uint32_t n, uint32_t *slots)
{
	uint32_t h = t->sp - n;
	struct entry es[3];
	for (uint32_t i = n; i-- > 0;)
		es[i] = pop(t);
	for (uint32_t i = 0; i < n; i++)
		slots[i] = src_slot(t, es[i], h + i);
}

static void emit_with_slots(struct tr *t, enum ir_op op, uint32_t nimm,
			    const uint32_t *imm, uint32_t npop, bool result)
{
	uint32_t s[3];
	uint32_t h = t->sp - npop;
	pop_slots(t, npop, s);
	uint32_t pos = emit_op(t, op);
	if (result)
		put(t, slot_at(t, h));
	for (uint32_t i = 0; i < nimm; i++)
		put(t, imm[i]);
	for (uint32_t i = 0; i < npop; i++)
		put(t, s[i]);
	trap_site(t, pos);
	if (result) {
		push_result(t);
		note_result(t, pos, op, h);
	}
}

static void op_prefix_fc(struct tr *t)
{
	uint32_t sub = read_u32(t);
	uint32_t imm[2];
	if (sub <= 7) {
		emit_unary(t, IR_I32_TRUNC_SAT_F32_S + sub);
		return;
	}
	switch (sub) {
	case 8: /* memory.init */
		imm[0] = read_u32(t);
		t->p++;
		emit_with_slots(t, IR_MEMORY_INIT, 1, imm, 3, false);
		break;
	case 9:
		imm[0] = read_u32(t);
		emit_op(t, IR_DATA_DROP);
		put(t, imm[0]);
		break;
	case 10:
		t->p += 2;
		emit_with_slots(t, IR_MEMORY_COPY, 0, imm, 3, false);
		break;
	case 11:
		t->p++;
		emit_with_slots(t, IR_MEMORY_FILL, 0, imm, 3, false);
		break;
	case 12: /* table.init elem table */
		imm[1] = read_u32(t);
		imm[0] = read_u32(t);
		emit_with_slots(t, IR_TABLE_INIT, 2, imm, 3, false);
		break;
	case 13:
		imm[0] = read_u32(t);
		emit_op(t, IR_ELEM_DROP);
		put(t, imm[0]);
		break;
	case 14: /* table.copy dst src */
		imm[0] = read_u32(t);
		imm[1] = read_u32(t);
		emit_with_slots(t, IR_TABLE_COPY, 2, imm, 3, false);
		break;
	case 15:
		imm[0] = read_u32(t);
		emit_with_slots(t, IR_TABLE_GROW, 1, imm, 2, true);
		break;
	case 16:
		imm[0] = read_u32(t);
		emit_with_slots(t, IR_TABLE_SIZE, 1, imm, 0, true);
		break;
	case 17:
		imm[0] = read_u32(t);
		emit_with_slots(t, IR_TABLE_FILL, 1, imm, 3, false);
		break;
	}
}

static void op_select(struct tr *t)
{
	uint32_t s[3];
	uint32_t h = t->sp - 3;
	pop_slots(t, 3, s);
	uint32_t pos = emit_op(t, IR_SELECT);
	put(t, slot_at(t, h));
	put(t, s[0]);
	put(t, s[1]);
	put(t, s[2]);
	push_result(t);
	note_result(t, pos, IR_SELECT, h);
}

/* One instruction in reachable code. Returns true at the function's end. */
static bool translate_op(struct tr *t, uint8_t op)
{
	uint32_t x, imm[1];
	switch (op) {
	case 0x00:
		trap_site(t, emit_op(t, IR_UNREACHABLE));
		set_unreachable(t);
		break;
	case 0x01:
		break;
	case 0x02: op_block(t, C_BLOCK); break;
	case 0x03: op_block(t, C_LOOP); break;
	case 0x04: op_block(t, C_IF); break;
	case 0x05: op_else(t); break;
	case 0x0b: return op_end(t);
	case 0x0c:
		emit_br(t, read_u32(t));
		set_unreachable(t);
		break;
	case 0x0d: op_br_if(t, read_u32(t)); break;
	case 0x0e: op_br_table(t); break;
	case 0x0f:
		emit_return(t);
		set_unreachable(t);
		break;
	case 0x10: op_call(t, read_u32(t)); break;
	case 0x11: op_call_indirect(t); break;
	case 0x1a: pop(t); break;
	case 0x1b: op_select(t); break;
	case 0x1c:
		x = read_u32(t);
		t->p += x;
		op_select(t);
		break;
	case 0x20: push(t, E_LOCAL, read_u32(t), 0); break;
	case 0x21: op_local_set(t, read_u32(t), false); break;
	case 0x22: op_local_set(t, read_u32(t), true); break;
	case 0x23:
		imm[0] = read_u32(t);
		emit_with_slots(t, IR_GLOBAL_GET, 1, imm, 0, true);
		break;
	case 0x24: {
		uint32_t g = read_u32(t);
		struct entry e = pop(t);
		uint32_t a = src_slot(t, e, t->sp);
		emit_op(t, IR_GLOBAL_SET);
		put(t, g);
		put(t, a);
		break;
	}
	case 0x25:
		imm[0] = read_u32(t);
		emit_with_slots(t, IR_TABLE_GET, 1, imm, 1, true);
		break;
	case 0x26:
		imm[0] = read_u32(t);
		emit_with_slots(t, IR_TABLE_SET, 1, imm, 2, false);
		break;
	case 0x3f:
		t->p++;
		emit_with_slots(t, IR_MEMORY_SIZE, 0, imm, 0, true);
		break;
	case 0x40:
		t->p++;
		emit_with_slots(t, IR_MEMORY_GROW, 0, imm, 1, true);
		break;
	case 0x41: push(t, E_CONST, 0, (uint32_t)read_s32(t)); break;
	case 0x42: push(t, E_CONST, 0, (uint64_t)read_s64(t)); break;
	case 0x43: {
		uint32_t bits;
		memcpy(&bits, t->p, 4);
		t->p += 4;
		push(t, E_CONST, 0, bits);
		break;
	}
	case 0x44: {
		uint64_t bits;
		memcpy(&bits, t->p, 8);
		t->p += 8;
		push(t, E_CONST, 0, bits);
		break;
	}
	case 0xd0:
		t->p++;
		push(t, E_CONST, 0, 0);
		break;
	case 0xd1: emit_unary(t, IR_REF_IS_NULL); break;
	case 0xd2:
		imm[0] = read_u32(t);
		emit_with_slots(t, IR_REF_FUNC, 1, imm, 0, true);
		break;
	case 0xfc: op_prefix_fc(t); break;
	default:
		if (op >= 0x28 && op <= 0x3e)
			op_memory(t, op);
		else if (op >= 0x45 && op <= 0xc4)
			op_numeric(t, op);
		break;
	}
	return false;
}

/* In dead code: skip to the else/end that closes the current frame. */
static uint8_t skip_dead_code(struct tr *t)
{
	uint32_t depth = 0;
	for (;;) {
		t->op_offset = (uint32_t)(t->p - t->m->bytes);
		uint8_t op = *t->p++;
		if (op == 0x0b || op == 0x05) {
			if (depth == 0)
				return op;
			if (op == 0x0b)
				depth--;
			continue;
		}
		if (op == 0x02 || op == 0x03 || op == 0x04)
			depth++;
		skip_immediates(t, op);
	}
}

static int translate_func(struct tr *t, struct wm_func *f)
{
	const struct wm_functype *ft = &t->m->types[f->typeidx];
	uint32_t nlocals = ft->nparams + f->nlocals;
	t->base = nlocals;
	t->p = f->body;
	t->end = f->body + f->body_len;
	t->len = t->sp = t->max_sp = t->nctl = t->nsites = 0;
	t->last_pos = -1;
	t->local_refs = calloc(nlocals ? nlocals : 1, sizeof(uint32_t));
	if (!t->local_refs)
		return -ENOMEM;

	emit_op(t, IR_ENTRY);
	put(t, ft->nparams);
	put(t, f->nlocals);
	push_ctl(t, C_FUNC, 0, ft->nresults);

	bool done = false;
	while (!done && !t->oom) {
		uint8_t op;
		if (ctl_top(t)->unreachable) {
			op = skip_dead_code(t);
		} else {
			t->op_offset = (uint32_t)(t->p - t->m->bytes);
			op = *t->p++;
		}
		done = translate_op(t, op);
	}
	free(t->local_refs);
	if (t->oom)
		return -ENOMEM;

	struct wm_code *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->words = malloc(sizeof(uint32_t) * t->len);
	c->trap_sites = malloc(sizeof(c->trap_sites[0]) * (t->nsites + 1));
	if (!c->words || !c->trap_sites) {
		wm_code_free(c);
		return -ENOMEM;
	}
	memcpy(c->words, t->code, sizeof(uint32_t) * t->len);
	if (t->nsites)
		memcpy(c->trap_sites, t->sites, sizeof(c->trap_sites[0]) * t->nsites);
	c->nwords = t->len;
	c->ntrap_sites = t->nsites;
	c->nparams = ft->nparams;
	c->nresults = ft->nresults;
	c->frame_slots = nlocals + t->max_sp + 1;
	if (c->frame_slots < ft->nresults)
		c->frame_slots = ft->nresults;
	f->code = c;
	return 0;
}

int wm_translate(struct wm_module *m, struct wasm_error *err)
{
	struct tr t = {.m = m, .h = wm_interp_handlers()};
	int rc = 0;
	uint32_t n = m->nfuncs - m->nimported_funcs;
	for (uint32_t i = 0; i < n && !rc; i++)
		rc = translate_func(&t, &m->funcs[i]);
	free(t.code);
	free(t.stack);
	free(t.ctls);
	free(t.sites);
	if (rc && err)
		snprintf(err->msg, sizeof(err->msg),
			 "out of memory translating the module");
	return rc;
}

void wm_code_free(struct wm_code *c)
{
	if (!c)
		return;
	free(c->words);
	free(c->trap_sites);
	free(c->jit_osr);
	free(c);
}

/* Debugging aid: the translated code of c, one instruction a line. */
void wm_code_dump(const struct wm_code *c, FILE *out)
{
	const void *const *h = wm_interp_handlers();
	for (uint32_t pos = 0; pos < c->nwords;) {
		const void *hp;
		memcpy(&hp, &c->words[pos], sizeof(hp));
		int op = -1;
		for (int i = 0; i < IR_COUNT; i++)
			if (h[i] == hp)
				op = i;
		if (op < 0) {
			fprintf(out, "%5u ???\n", pos);
			return;
		}
		unsigned n = ir_op_words(op);
		if (op == IR_BR_TABLE)
			n += c->words[pos + 3] + 1;
		fprintf(out, "%5u %-18s", pos, ir_op_name(op));
		for (unsigned k = 2; k < n; k++)
			fprintf(out, " %d", (int32_t)c->words[pos + k]);
		fputc('\n', out);
		pos += n;
	}
}
