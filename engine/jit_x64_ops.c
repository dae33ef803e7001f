/* jit_x64_ops.c — x86-64 backend (jit_x64.h): memory accesses (bounds
 * checks, or guard-page fault sites) and the integer ops: arithmetic,
 * shifts, division, compares into a register or the flags, immediate
 * forms, unary ops.
 */
#include "jit_x64.h"

#if defined(__x86_64__) && defined(__linux__)

/* ---- memory accesses ---------------------------------------------------------- */

#ifndef WASM_GUARD_PAGES
/* rax = effective address of a `size`-byte access at (u32)rax + off,
 * trapping when it ends past the memory's size; returns the displacement
 * left for the access itself. */
static int32_t bounds(struct em *e, uint32_t off, unsigned size)
{
	int32_t d = 0;
	if ((uint64_t)off + size <= INT32_MAX) {
		op_m(e, 1, 0x8d, RCX, RAX, (int32_t)(off + size));
		d = (int32_t)off;
	} else {
		mov_ri(e, RCX, off);
		op_r(e, 1, 0x01, RCX, RAX); /* add rax, rcx */
		op_m(e, 1, 0x8d, RCX, RAX, (int32_t)size);
	}
	op_m(e, 1, 0x3b, RCX, MEMOBJ, offsetof(struct wasm_memory, size));
	trap_if(e, CC_A, WASM_TRAP_MEMORY_OOB, e->pos);
	return d;
}
#endif

/* The displacement of an access at (u32)rax + off: checked against the
 * memory's size, or (guard pages) not at all, the reservation covering any
 * u32 address plus offset. */
static int32_t address(struct em *e, uint32_t off, unsigned size)
{
#ifdef WASM_GUARD_PAGES
	(void)size;
	if (off <= INT32_MAX)
		return (int32_t)off;
	mov_ri(e, RCX, off);
	op_r(e, 1, 0x01, RCX, RAX);
	return 0;
#else
	return bounds(e, off, size);
#endif
}
/* The next instruction is an access that may fault on a guard page. */
static void fault_site(struct em *e)
{
#ifdef WASM_GUARD_PAGES
	wm_jit_note_site(e->u, here(e), e->pos, e->f->index);
#else
	(void)e;
#endif
}

struct access {
	unsigned opc; /* load: into eax/rax; store: from ecx/rcx */
	int w;        /* REX.W on the access */
	unsigned size;
	int wide;     /* destination slot written as 64 bits (loads) */
	bool store;
	bool word16;  /* 0x66 prefix (16-bit store) */
};

static bool access_of(enum ir_op op, struct access *a)
{
	static const struct {
		uint16_t op;
		struct access a;
	} t[] = {
		{IR_I32_LOAD, {0x8b, 0, 4, 0, false, false}},
		{IR_I64_LOAD, {0x8b, 1, 8, 1, false, false}},
		{IR_I32_LOAD8_S, {0x0fbe, 0, 1, 0, false, false}},
		{IR_I32_LOAD8_U, {0x0fb6, 0, 1, 0, false, false}},
		{IR_I32_LOAD16_S, {0x0fbf, 0, 2, 0, false, false}},
		{IR_I32_LOAD16_U, {0x0fb7, 0, 2, 0, false, false}},
		{IR_I64_LOAD8_S, {0x0fbe, 1, 1, 1, false, false}},
		{IR_I64_LOAD8_U, {0x0fb6, 0, 1, 1, false, false}},
		{IR_I64_LOAD16_S, {0x0fbf, 1, 2, 1, false, false}},
		{IR_I64_LOAD16_U, {0x0fb7, 0, 2, 1, false, false}},
		{IR_I64_LOAD32_S, {0x63, 1, 4, 1, false, false}},
		{IR_I64_LOAD32_U, {0x8b, 0, 4, 1, false, false}},
		{IR_I32_STORE, {0x89, 0, 4, 0, true, false}},
		{IR_I64_STORE, {0x89, 1, 8, 1, true, false}},
		{IR_I32_STORE8, {0x88, 0, 1, 0, true, false}},
		{IR_I32_STORE16, {0x89, 0, 2, 0, true, true}},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].op == op) {
			*a = t[i].a;
			return true;
		}
	return false;
}

/* The plain op a fused one adds to: I32_LOAD_ADD(K) -> I32_LOAD. */
static enum ir_op unfused(enum ir_op op, bool *imm)
{
	static const uint16_t t[][3] = {
		{IR_I32_LOAD_ADD, IR_I32_LOAD_ADDK, IR_I32_LOAD},
		{IR_I64_LOAD_ADD, IR_I64_LOAD_ADDK, IR_I64_LOAD},
		{IR_I32_LOAD8_U_ADD, IR_I32_LOAD8_U_ADDK, IR_I32_LOAD8_U},
		{IR_I32_LOAD8_S_ADD, IR_I32_LOAD8_S_ADDK, IR_I32_LOAD8_S},
		{IR_I32_LOAD16_U_ADD, IR_I32_LOAD16_U_ADDK, IR_I32_LOAD16_U},
		{IR_I32_STORE_ADD, IR_I32_STORE_ADDK, IR_I32_STORE},
		{IR_I64_STORE_ADD, IR_I64_STORE_ADDK, IR_I64_STORE},
		{IR_I32_STORE8_ADD, IR_I32_STORE8_ADDK, IR_I32_STORE8},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i][0] == op || t[i][1] == op) {
			*imm = t[i][1] == op;
			return t[i][2];
		}
	return IR_COUNT;
}

/* Plain: load d, a, k; store a, b, k. Fused: load d, a, b|c, k; store
 * a, b|c, v, k. */
static void emit_access(struct em *e, enum ir_op op)
{
	bool fused = false, imm = false;
	struct access a = {0};
	if (!access_of(op, &a)) {
		fused = true;
		access_of(unfused(op, &imm), &a);
	}
	const uint32_t *w = e->w;
	uint32_t addr = a.store ? w[0] : w[1];
	uint32_t val = a.store ? w[fused ? 2 : 1] : w[0];
	uint32_t off = w[fused ? 3 : 2];
	uint32_t other = fused ? (a.store ? w[1] : w[2]) : 0;
	int ra = fused ? gpr_of(e, addr) : -1;
	int rb = fused && !imm ? gpr_of(e, other) : -1;
	if (ra >= 0 && imm) { /* lea eax, [a + k]: the 32-bit wrap kept */
		op_m(e, 0, 0x8d, RAX, ra, (int32_t)other);
	} else if (ra >= 0 && rb >= 0) {
		op_mx(e, 0, 0x8d, RAX, ra, rb, 0);
	} else {
		ld(e, 0, RAX, addr);
		if (fused && imm) {
			op_r(e, 0, 0x81, 0, RAX);
			b4(e, other);
		} else if (fused) {
			op_s(e, 0, 0x03, RAX, other);
		}
	}
	int32_t d = address(e, off, a.size);
	if ((a.opc == 0x89 || a.opc == 0x8b) && a.size >= 4) {
		const struct home *h = home_of(e, val, !a.store);
		if (h && h->xmm) { /* movd/movq between xmm and memory */
			fault_site(e);
			b1(e, a.size == 8 && !a.store ? 0xf3 : 0x66);
			op_mx(e, 0, a.store ? (a.size == 8 ? 0x0fd6 : 0x0f7e)
					    : (a.size == 8 ? 0x0f7e : 0x0f6e),
			      h->reg, MEMBASE, RAX, d);
			return;
		}
	}
	if (a.store) {
		int rv = gpr_of(e, val);
		/* a byte of sil/dil needs a REX prefix rex() leaves out */
		if (rv < 0 || (a.size == 1 && (rv == RSI || rv == RDI))) {
			ld(e, a.w, RCX, val);
			rv = RCX;
		}
		fault_site(e);
		if (a.word16)
			b1(e, 0x66);
		op_mx(e, a.w, a.opc, rv, MEMBASE, RAX, d);
	} else {
		int r = dest_reg(e, val);
		fault_site(e);
		op_mx(e, a.w, a.opc, r, MEMBASE, RAX, d);
		finish(e, a.wide, val, r);
	}
}

/* ---- numeric ops ----------------------------------------------------------- */

bool x64_alu_of(enum ir_op op, struct alu *a)
{
	static const struct {
		uint16_t op32, op64;
		enum alu_kind kind;
		unsigned opc;
	} t[] = {
		{IR_I32_ADD, IR_I64_ADD, K_ALU, 0x03},
		{IR_I32_SUB, IR_I64_SUB, K_ALU, 0x2b},
		{IR_I32_AND, IR_I64_AND, K_ALU, 0x23},
		{IR_I32_OR, IR_I64_OR, K_ALU, 0x0b},
		{IR_I32_XOR, IR_I64_XOR, K_ALU, 0x33},
		{IR_I32_MUL, IR_I64_MUL, K_ALU, 0x0faf},
		{IR_I32_SHL, IR_I64_SHL, K_SHIFT, 4},
		{IR_I32_SHR_S, IR_I64_SHR_S, K_SHIFT, 7},
		{IR_I32_SHR_U, IR_I64_SHR_U, K_SHIFT, 5},
		{IR_I32_ROTL, IR_I64_ROTL, K_SHIFT, 0},
		{IR_I32_ROTR, IR_I64_ROTR, K_SHIFT, 1},
		{IR_I32_DIV_S, IR_I64_DIV_S, K_DIV, 1},
		{IR_I32_DIV_U, IR_I64_DIV_U, K_DIV, 0},
		{IR_I32_REM_S, IR_I64_REM_S, K_REM, 1},
		{IR_I32_REM_U, IR_I64_REM_U, K_REM, 0},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].op32 == op || t[i].op64 == op) {
			*a = (struct alu){t[i].kind, t[i].op64 == op, t[i].opc, 0};
			return true;
		}
	if (op >= IR_I32_EQ && op <= IR_I64_GE_U) {
		*a = (struct alu){K_CMP, op >= IR_I64_EQ, 0x3b, cmp_cc(op)};
		return true;
	}
	return false;
}

void x64_setcc_store(struct em *e, int cc, uint32_t d)
{
	int r = dest_reg(e, d);
	b1(e, 0x0f);
	b1(e, 0x90 + cc);
	b1(e, 0xc0);             /* setcc al */
	op_r(e, 0, 0x0fb6, r, RAX); /* movzx r, al */
	finish(e, 0, d, r);	    /* moves and stores leave the flags alone */
	flags_hold(e, d, cc);
}

/* Division: traps first, as the interpreter checks them. */
static void emit_div(struct em *e, const struct alu *a, bool rem)
{
	const uint32_t *w = e->w;
	ld(e, a->w, RCX, w[2]);
	op_r(e, a->w, 0x85, RCX, RCX);
	trap_if(e, CC_E, WASM_TRAP_DIV_ZERO, e->pos);
	ld(e, a->w, RAX, w[1]);
	size_t skip = 0, done = 0;
	if (a->opc) { /* signed: b == -1 overflows (div) or gives 0 (rem) */
		op_r(e, a->w, 0x83, 7, RCX);
		b1(e, 0xff);
		skip = jcc_fwd(e, CC_NE);
		if (rem) {
			op_r(e, 0, 0x31, RDX, RDX);
			b1(e, 0xe9);
			b4(e, 0);
			done = here(e) - 4;
		} else {
			mov_ri(e, RDX, a->w ? (uint64_t)INT64_MIN
					    : (uint64_t)(uint32_t)INT32_MIN);
			op_r(e, a->w, 0x3b, RAX, RDX);
			trap_if(e, CC_E, WASM_TRAP_INT_OVERFLOW, e->pos);
		}
		land(e, skip);
		if (a->w)
			b1(e, 0x48);
		b1(e, 0x99); /* cdq / cqo */
		op_r(e, a->w, 0xf7, 7, RCX);
	} else {
		op_r(e, 0, 0x31, RDX, RDX);
		op_r(e, a->w, 0xf7, 6, RCX);
	}
	if (done)
		land(e, done);
	st(e, a->w, w[0], rem ? RDX : RAX);
}

/* d, a, b */
static void emit_binary(struct em *e, const struct alu *a)
{
	const uint32_t *w = e->w;
	switch (a->kind) {
	case K_ALU: {
		int r = dest_reg(e, w[0]);
		if (r != RAX && w[1] != w[2] && held_in(e, w[2], r)) {
			if (a->opc != 0x2b) { /* commutative: d = b op a */
				op_s(e, a->w, a->opc, r, w[1]);
				break;
			}
			r = RAX;
		}
		ld(e, a->w, r, w[1]);
		op_s(e, a->w, a->opc, r, w[2]);
		finish(e, a->w, w[0], r);
		break;
	}
	case K_CMP:
		ld(e, a->w, RAX, w[1]);
		op_s(e, a->w, 0x3b, RAX, w[2]);
		x64_setcc_store(e, a->cc, w[0]);
		break;
	case K_SHIFT: {
		bool k = const_in(e, w[2]);
		int r = dest_reg(e, w[0]);
		if (!k && w[1] != w[2] && held_in(e, w[2], r))
			r = RAX;
		if (!k)
			ld(e, 0, RCX, w[2]);
		ld(e, a->w, r, w[1]);
		if (k) { /* a constant count, as the previous instruction set */
			op_r(e, a->w, 0xc1, a->opc, r);
			b1(e, (uint8_t)(e->last_const.k & (a->w ? 63 : 31)));
		} else {
			op_r(e, a->w, 0xd3, a->opc, r);
		}
		finish(e, a->w, w[0], r);
		break;
	}
	case K_DIV:
	case K_REM:
		emit_div(e, a, a->kind == K_REM);
		break;
	}
}

/* d, a, k: the immediate forms (i64: k sign-extended). */
static bool emit_binary_imm(struct em *e, enum ir_op op)
{
	static const struct {
		uint16_t op;
		int w;
		unsigned digit; /* 81 /digit, or C1 /digit for shifts */
		bool shift;
	} t[] = {
		{IR_I32_ADD_IMM, 0, 0, false}, {IR_I32_SUB_IMM, 0, 5, false},
		{IR_I32_AND_IMM, 0, 4, false}, {IR_I32_OR_IMM, 0, 1, false},
		{IR_I32_XOR_IMM, 0, 6, false}, {IR_I32_SHL_IMM, 0, 4, true},
		{IR_I32_SHR_S_IMM, 0, 7, true}, {IR_I32_SHR_U_IMM, 0, 5, true},
		{IR_I64_ADD_IMM, 1, 0, false}, {IR_I64_SUB_IMM, 1, 5, false},
		{IR_I64_AND_IMM, 1, 4, false}, {IR_I64_OR_IMM, 1, 1, false},
		{IR_I64_XOR_IMM, 1, 6, false}, {IR_I64_SHL_IMM, 1, 4, true},
		{IR_I64_SHR_S_IMM, 1, 7, true}, {IR_I64_SHR_U_IMM, 1, 5, true},
	};
	const uint32_t *w = e->w;
	if (op == IR_I32_MUL_IMM || op == IR_I64_MUL_IMM) {
		int wide = op == IR_I64_MUL_IMM;
		int r = dest_reg(e, w[0]);
		op_s(e, wide, 0x69, r, w[1]);
		b4(e, w[2]);
		finish(e, wide, w[0], r);
		return true;
	}
	int cc = cmp_cc(op);
	if (cc >= 0) {
		ld(e, 0, RAX, w[1]);
		op_r(e, 0, 0x81, 7, RAX);
		b4(e, w[2]);
		x64_setcc_store(e, cc, w[0]);
		return true;
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].op != op)
			continue;
		int r = dest_reg(e, w[0]);
		ld(e, t[i].w, r, w[1]);
		if (t[i].shift) {
			op_r(e, t[i].w, 0xc1, t[i].digit, r);
			b1(e, (uint8_t)(w[2] & (t[i].w ? 63 : 31)));
		} else {
			op_r(e, t[i].w, 0x81, t[i].digit, r);
			b4(e, w[2]);
		}
		finish(e, t[i].w, w[0], r);
		return true;
	}
	return false;
}

/* d, a, k_lo, k_hi */
static bool emit_binary_k64(struct em *e, enum ir_op op)
{
	static const uint16_t t[][2] = {
		{IR_I64_ADD_K64, 0x03}, {IR_I64_MUL_K64, 0x0faf},
		{IR_I64_AND_K64, 0x23}, {IR_I64_OR_K64, 0x0b},
		{IR_I64_XOR_K64, 0x33},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i][0] != op)
			continue;
		int r = dest_reg(e, e->w[0]);
		ld(e, 1, r, e->w[1]);
		mov_ri(e, RCX, (uint64_t)e->w[2] | (uint64_t)e->w[3] << 32);
		op_r(e, 1, t[i][1], r, RCX);
		finish(e, 1, e->w[0], r);
		return true;
	}
	return false;
}

/* d, a */
static bool emit_unary(struct em *e, enum ir_op op)
{
	const uint32_t *w = e->w;
	int wide = 0;
	switch (op) {
	case IR_I32_EQZ:
	case IR_I64_EQZ:
		op_s(e, op == IR_I64_EQZ, 0x83, 7, w[1]);
		b1(e, 0);
		x64_setcc_store(e, CC_E, w[0]);
		return true;
	case IR_I64_CLZ:
		wide = 1;
		/* fall through */
	case IR_I32_CLZ: /* (width-1) - bsr, with bsr(0) taken as -1 */
		op_s(e, wide, 0x0fbd, RAX, w[1]);
		mov_ri(e, RCX, wide ? UINT64_MAX : UINT32_MAX);
		op_r(e, wide, 0x0f44, RAX, RCX); /* cmovz */
		op_r(e, wide, 0xf7, 3, RAX);     /* neg */
		op_r(e, wide, 0x83, 0, RAX);
		b1(e, wide ? 63 : 31);
		st(e, wide, w[0], RAX);
		return true;
	case IR_I64_CTZ:
		wide = 1;
		/* fall through */
	case IR_I32_CTZ:
		op_s(e, wide, 0x0fbc, RAX, w[1]);
		mov_ri(e, RCX, wide ? 64 : 32);
		op_r(e, wide, 0x0f44, RAX, RCX);
		st(e, wide, w[0], RAX);
		return true;
	case IR_I64_POPCNT:
		wide = 1;
		/* fall through */
	case IR_I32_POPCNT:
		ld(e, wide, RAX, w[1]);
		b1(e, 0xf3);
		op_r(e, wide, 0x0fb8, RAX, RAX);
		st(e, wide, w[0], RAX);
		return true;
	case IR_I32_EXTEND8_S:
	case IR_I32_EXTEND16_S:
	case IR_I64_EXTEND8_S:
	case IR_I64_EXTEND16_S:
		wide = op == IR_I64_EXTEND8_S || op == IR_I64_EXTEND16_S;
		ld(e, 0, RAX, w[1]);
		op_r(e, wide, op == IR_I32_EXTEND8_S || op == IR_I64_EXTEND8_S
				     ? 0x0fbe : 0x0fbf, RAX, RAX);
		st(e, wide, w[0], RAX);
		return true;
	case IR_I64_EXTEND32_S:
	case IR_I64_EXTEND_I32_S:
		op_s(e, 1, 0x63, RAX, w[1]);
		st(e, 1, w[0], RAX);
		return true;
	case IR_I64_EXTEND_I32_U: { /* a 32-bit mov zero-extends */
		int d = dest_reg(e, w[0]);
		op_s(e, 0, 0x8b, d, w[1]);
		finish(e, 1, w[0], d);
		return true;
	}
	default:
		return false;
	}
}

/* A memory or integer op (emit_op's order: accesses first, alu_of being
 * a search); false for the others. */
bool x64_emit_int(struct em *e, enum ir_op op)
{
	struct alu a;
	if (op >= IR_I32_LOAD && op <= IR_I32_STORE8_ADDK)
		emit_access(e, op);
	else if (x64_alu_of(op, &a))
		emit_binary(e, &a);
	else
		return emit_binary_imm(e, op) || emit_binary_k64(e, op) ||
		       emit_unary(e, op);
	return true;
}

#endif
