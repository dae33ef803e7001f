/* jit_x64.h — the parts of the x86-64 backend (jit_x64*.c) all its files
 * share: the emitter's state (struct em), the registers and their roles,
 * the byte encoders, operand access (frame slot or home register), jumps,
 * fixups and trap stubs, and the integer compares and flags the control
 * and float ops reuse. The encoders are static inline: they run per byte
 * and per operand, and calls across files would slow compiling.
 *
 * jit_x64.c: per function and per unit (the body loop, trap stubs,
 * labels, threads, CPU features); jit_x64_flow.c: control ops and calls;
 * jit_x64_ops.c: memory accesses and integer ops; jit_x64_float.c:
 * floats and conversions.
 */
#ifndef WASM_JIT_X64_H
#define WASM_JIT_X64_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "jit.h"

#if defined(__x86_64__) && defined(__linux__)

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13,
       R14, R15 };
#define FP RBX
#define MEMBASE R12
#define MEMOBJ RBP
#define CTX R14
#define INST R15

/* Condition codes (jcc = 0f 80+cc, setcc = 0f 90+cc, cmovcc = 0f 40+cc). */
enum { CC_B = 2, CC_AE, CC_E, CC_NE, CC_BE, CC_A, CC_S, CC_L = 12, CC_GE,
       CC_LE, CC_G };

/* Registers for values (jit_live.c's homes, general ones first): free in
 * compiled code between calls. Values used mostly as floats live in xmm
 * registers (xmm0, xmm1 and xmm7 are scratch). */
struct home {
	uint8_t reg;
	bool xmm;
};
static const struct home homes[] = {
	{R13, 0},
#ifdef WASM_GUARD_PAGES /* no bounds checks: rbp, the memory object, is free */
	{RBP, 0},
#endif
	{R8, 0},  {R9, 0},  {R10, 0}, {R11, 0}, {RSI, 0}, {RDI, 0},
	{2, 1},	  {3, 1},   {4, 1},   {5, 1},	{6, 1},	  {8, 1},   {9, 1},
	{10, 1},  {11, 1},  {12, 1},  {13, 1},	{14, 1},  {15, 1},
};
#define NXMM   13u
#define NHOMES (sizeof(homes) / sizeof(homes[0]))
#define NGPR   (NHOMES - NXMM)

#define EPILOGUE UINT32_MAX /* fixup target: the function's epilogue */
#define MAX_SLOT (1u << 27) /* slot * 8 fits a disp32 */
/* Emitters of ops that are rare in code (conversions, min/max, tables,
 * bulk memory): built for size, the compile time they take is small. */
#define RARE __attribute__((cold))

/* A 32-bit value at `at` that becomes label(target) - base. */
struct fixup {
	size_t at, base;
	uint32_t target;
};
/* A jcc at `at` to a trap (kind < 0: failed fuel/interrupt check;
 * STUB_CHECK: fuel on or an interrupt, see fuel_check; an interrupt that
 * an embedder's handler absorbs, a pause, or fuel left, and the code goes
 * on right after the jcc;
 * STUB_INDIRECT: call_indirect's rare callees, out of line,
 * x64_indirect_stub). */
#define STUB_CHECK     (-2)
#define STUB_INDIRECT  (-3)
struct stub {
	size_t at;
	uint32_t pos;
	int kind;
	size_t at2, back; /* STUB_INDIRECT: second jcc, where it returns */
};

struct em {
	struct wm_jit_buf *b;
	struct wm_jit_unit *u;
	struct wm_jit_func *f;
	const uint32_t *w; /* operands of the current instruction */
	uint32_t pos;      /* its word index */
	/* Per-function arrays, kept from one function to the next: index
	 * (word index -> instruction, set at instructions only), label
	 * (instruction -> code offset) and info (jit_live.c's). */
	uint32_t *index;
	size_t *label;
	struct wm_jit_info *info;
	size_t wordcap, insncap;
	struct fixup *fix;
	uint32_t nfix, fixcap;
	struct stub *stubs;
	uint32_t nstubs, stubcap;
	struct fixup *calls; /* direct calls: target = defined function */
	uint32_t ncalls, callcap;
	bool fail;

	/* Where each operand of each instruction lives (jit_live.c): values
	 * in registers have stale frame copies except across calls, where
	 * `spilled` sends every access to the frame. */
	struct wm_live live;
	uint32_t ii; /* the current instruction's index */
	bool spilled;

	/* An instruction that ends by storing rax (or xmm0) to a frame slot
	 * leaves that value in the register for the next one, unless control
	 * can reach it from elsewhere: its first load of the slot reuses it. */
	struct {
		uint32_t slot;
		int w; /* 64-bit (f64) store */
		bool xmm;
		size_t end; /* where the store ended */
	} last_store;
	size_t insn_start;
	bool reuse; /* last_store still holds at insn_start */
	/* The constant the previous instruction put in a slot, if it falls
	 * through to this one (no branch lands between). */
	struct {
		uint32_t slot;
		uint64_t k;
		size_t end;
	} last_const;
	bool const_ok;
	struct {
		uint32_t slot;
		int cc;
		size_t end;
	} last_flags;
	bool flags_ok;
};

static inline bool grow(void **p, uint32_t n, uint32_t *cap, size_t size)
{
	if (n < *cap)
		return true;
	uint32_t c = *cap ? *cap * 2 : 64;
	void *q = realloc(*p, c * size);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* The encoders too big to copy into every file, in jit_x64_enc.c (a
 * copy per file made the stripped binary 4 KB larger, 49 KB as static
 * inline). The emitters call them by their short names; the x64_ ones
 * are what the linker sees. */
#define b1       x64_b1
#define b4       x64_b4
#define opcode   x64_opcode
#define op_m     x64_op_m
#define op_mx    x64_op_mx
#define op_sib   x64_op_sib
#define op_r     x64_op_r
#define home_of  x64_home_of
#define op_s     x64_op_s
#define ld       x64_ld
#define st       x64_st
#define mov_ri   x64_mov_ri
#define add_fix  x64_add_fix
#define jcc_fwd  x64_jcc_fwd
#define trap_if  x64_trap_if
void b1(struct em *e, uint8_t x);
void b4(struct em *e, uint32_t x);
void opcode(struct em *e, unsigned opc);
void op_m(struct em *e, int w, unsigned opc, int reg, int base, int32_t d);
void op_mx(struct em *e, int w, unsigned opc, int reg, int base, int index,
	   int32_t d);
void op_sib(struct em *e, int w, unsigned opc, int reg, int base, int index,
	    int ss, int32_t d);
void op_r(struct em *e, int w, unsigned opc, int reg, int rm);
const struct home *home_of(struct em *e, uint32_t s, bool def);
void op_s(struct em *e, int w, unsigned opc, int reg, uint32_t s);
void ld(struct em *e, int w, int reg, uint32_t s);
void st(struct em *e, int w, uint32_t s, int reg);
void mov_ri(struct em *e, int reg, uint64_t k);
void add_fix(struct em *e, size_t at, size_t base, uint32_t target);
size_t jcc_fwd(struct em *e, int cc);
void trap_if(struct em *e, int cc, int kind, uint32_t pos);

/* ---- encoding -------------------------------------------------------------- */

static inline size_t here(struct em *e)
{
	return e->b->len;
}
static inline void patch32(struct em *e, size_t at, int64_t v)
{
	int32_t x = (int32_t)v;
	if (!e->b->oom)
		memcpy(e->b->p + at, &x, 4);
}

static inline void rex(struct em *e, int w, int r, int x, int base)
{
	uint8_t v = 0x40 | w << 3 | (r >> 3) << 2 | (x >> 3) << 1 | base >> 3;
	if (v != 0x40)
		b1(e, v);
}

static inline void disp(struct em *e, int mod, int32_t d)
{
	if (mod == 1)
		b1(e, (uint8_t)d);
	else if (mod == 2)
		b4(e, (uint32_t)d);
}
static inline int mod_for(int base, int32_t d)
{
	if (d == 0 && (base & 7) != RBP)
		return 0;
	return d >= -128 && d <= 127 ? 1 : 2;
}

static inline int32_t slot(struct em *e, uint32_t s)
{
	if (s >= MAX_SLOT)
		e->fail = true;
	return (int32_t)(s * 8);
}
/* movq xmm, gpr and movq gpr, xmm */
static inline void movq_xr(struct em *e, int w, int xmm, int reg)
{
	b1(e, 0x66);
	op_r(e, w, 0x0f6e, xmm, reg);
}
static inline void movq_rx(struct em *e, int reg, int xmm)
{
	b1(e, 0x66);
	op_r(e, 1, 0x0f7e, xmm, reg);
}
/* Whether the value of slot s (width w, in xmm0 or rax) is still in its
 * register at this point: only as the instruction's first emission. */
static inline bool reusable(struct em *e, uint32_t s, int w, bool xmm)
{
	bool hit = e->reuse && here(e) == e->insn_start &&
		   e->last_store.slot == s && e->last_store.xmm == xmm &&
		   (xmm ? e->last_store.w == w : e->last_store.w >= w);
	e->reuse = false;
	return hit;
}
static inline void remember_store(struct em *e, uint32_t s, int w, bool xmm)
{
	e->last_store.slot = s;
	e->last_store.w = w;
	e->last_store.xmm = xmm;
	e->last_store.end = here(e);
}
/* Where an instruction computes its result: the destination's own
 * general register when it has one, else rax (then stored by finish). */
static inline int dest_reg(struct em *e, uint32_t d)
{
	const struct home *h = home_of(e, d, true);
	return h && !h->xmm ? h->reg : RAX;
}
static inline void finish(struct em *e, int w, uint32_t d, int r)
{
	if (r == RAX)
		st(e, w, d, RAX);
}
/* Slot s lives in general register r. */
static inline bool held_in(struct em *e, uint32_t s, int r)
{
	const struct home *h = home_of(e, s, false);
	return h && !h->xmm && h->reg == r;
}
/* Slot s holds the constant the previous instruction set. */
static inline bool const_in(struct em *e, uint32_t s)
{
	return e->const_ok && here(e) == e->insn_start &&
	       e->last_const.slot == s;
}
/* The general register slot s lives in, or -1. */
static inline int gpr_of(struct em *e, uint32_t s)
{
	const struct home *h = home_of(e, s, false);
	return h && !h->xmm ? h->reg : -1;
}

/* The frame itself, whatever lives in registers. */
static inline void st_frame(struct em *e, uint32_t s, int reg)
{
	op_m(e, 1, 0x89, reg, FP, slot(e, s));
}
static inline void mov_rr(struct em *e, int dst, int src)
{
	op_r(e, 1, 0x89, src, dst);
}

/* ---- jumps, labels, traps ---------------------------------------------------- */

static inline void jmp_to(struct em *e, uint32_t target)
{
	b1(e, 0xe9);
	add_fix(e, here(e), here(e) + 4, target);
	b4(e, 0);
}
static inline void jcc_to(struct em *e, int cc, uint32_t target)
{
	b1(e, 0x0f);
	b1(e, 0x80 + cc);
	add_fix(e, here(e), here(e) + 4, target);
	b4(e, 0);
}
static inline void land(struct em *e, size_t at)
{
	patch32(e, at, (int64_t)here(e) - (int64_t)(at + 4));
}
/* jmp rel32 forward: the rel32's offset, for land. */
static inline size_t jmp_fwd(struct em *e)
{
	b1(e, 0xe9);
	b4(e, 0);
	return here(e) - 4;
}

#define HELPER 0x80000000u /* direct-call target: helper k is HELPER + k */

/* ---- integer compares and flags -------------------------------------------- */

enum alu_kind { K_ALU, K_CMP, K_SHIFT, K_DIV, K_REM };

struct alu {
	enum alu_kind kind;
	int w;        /* 64-bit operands */
	unsigned opc; /* K_ALU: op reg, r/m; K_SHIFT: /digit; K_DIV/REM: signed */
	int cc;       /* K_CMP */
};

#define CMP_OPS(X, P, S)                                                       \
	X(P##_EQ##S, CC_E) X(P##_NE##S, CC_NE) X(P##_LT_S##S, CC_L)             \
	X(P##_LT_U##S, CC_B) X(P##_GT_S##S, CC_G) X(P##_GT_U##S, CC_A)          \
	X(P##_LE_S##S, CC_LE) X(P##_LE_U##S, CC_BE) X(P##_GE_S##S, CC_GE)       \
	X(P##_GE_U##S, CC_AE)

static inline int cmp_cc(enum ir_op op)
{
	switch (op) {
#define CASE(name, cc)                                                         \
	case IR_##name:                                                        \
		return cc;
		CMP_OPS(CASE, I32, )
		CMP_OPS(CASE, I64, )
		CMP_OPS(CASE, I32, _IMM)
		CMP_OPS(CASE, BR_I32, )
		CMP_OPS(CASE, BR_I64, )
		CMP_OPS(CASE, BR_I32, _IMM)
#undef CASE
	default:
		return -1;
	}
}

/* The flags say slot d is nonzero when cc holds: a br_if or if right
 * after tests them instead of d. */
static inline void flags_hold(struct em *e, uint32_t d, int cc)
{
	e->last_flags.slot = d;
	e->last_flags.cc = cc;
	e->last_flags.end = here(e);
}
static inline int flags_for(struct em *e, uint32_t s)
{
	bool hit =
	    e->flags_ok && here(e) == e->insn_start && e->last_flags.slot == s;
	return hit ? e->last_flags.cc : -1;
}

/* jit_x64_ops.c */
bool x64_alu_of(enum ir_op op, struct alu *a);
void x64_setcc_store(struct em *e, int cc, uint32_t d);
bool x64_emit_int(struct em *e, enum ir_op op);
/* jit_x64_float.c */
bool x64_emit_float(struct em *e, enum ir_op op);
/* jit_x64_flow.c */
void x64_emit_op(struct em *e, enum ir_op op);
void x64_call_c(struct em *e, enum wm_jit_helper k);
void x64_prologue(struct em *e);
void x64_epilogue(struct em *e);
/* The loop headers' entries for the interpreter (tiered mode: the unit's
 * osr), after the body; false when memory ran out. */
bool x64_osr_entries(struct em *e, const struct wm_jit_info *info);
void x64_indirect_stub(struct em *e, struct stub s);
void x64_check_stub(struct em *e, size_t back, size_t routine);

#endif
#endif
