/* jit_x64.c — the x86-64 backend of the compiling tier (jit.h).
 *
 * Each IR instruction becomes inline machine code on the frame slots the
 * translator assigned: values live in the registers jit_live.c gives them
 * (per live range, so the location of a slot depends on the instruction),
 * the others are memory operands off rbx. Compares fused into branches
 * become cmp + jcc
 * and constants stay immediates. Fixed registers: rbx frame, r12
 * linear-memory base, rbp the memory object (its size for bounds checks),
 * r14 the execution context, r15 the function's instance; rax, rcx, rdx,
 * xmm0, xmm1 and xmm7 are scratch. Rare paths (traps, calls leaving
 * compiled code, memory.grow) call the C helpers in jit.c through the
 * table in front of the code: no absolute address is emitted (but, in
 * lazy mode, a callee's jit_inner), so the code can be saved.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* REG_RIP */
#endif
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "bulk.h"
#include "jit.h"

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>

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
/* IR words from which up-front compilation uses a second thread: in a
 * fresh process the thread and its malloc arena cost ~0.3 ms and ~300 KB,
 * which only large modules repay (bootstrap.wasm, ~22 KB of code, started
 * 0.23 ms later on two threads; big.wasm, 528 KB, loads in 16 ms instead
 * of 23). */
#define PARALLEL_WORDS (1u << 17)
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
 * STUB_SAFEPOINT: an interrupt that an embedder's handler may absorb, a
 * pause, after which the code goes on right after the jcc). */
#define STUB_SAFEPOINT (-2)
struct stub {
	size_t at;
	uint32_t pos;
	int kind;
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

static bool grow(void **p, uint32_t n, uint32_t *cap, size_t size)
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

/* ---- encoding -------------------------------------------------------------- */

/* Byte stores rather than wm_jit_buf_put's memcpy: at -Os a memcpy call
 * per byte made compiling 1.65x slower. */
static void b1(struct em *e, uint8_t x)
{
	struct wm_jit_buf *b = e->b;
	if (b->len + 1 > b->cap && !wm_jit_buf_reserve(b, 1))
		return;
	b->p[b->len++] = x;
}
static void b4(struct em *e, uint32_t x)
{
	struct wm_jit_buf *b = e->b;
	if (b->len + 4 > b->cap && !wm_jit_buf_reserve(b, 4))
		return;
	for (int i = 0; i < 4; i++, x >>= 8)
		b->p[b->len++] = (uint8_t)x;
}
static size_t here(struct em *e)
{
	return e->b->len;
}
static void patch32(struct em *e, size_t at, int64_t v)
{
	int32_t x = (int32_t)v;
	if (!e->b->oom)
		memcpy(e->b->p + at, &x, 4);
}

static void rex(struct em *e, int w, int r, int x, int base)
{
	uint8_t v = 0x40 | w << 3 | (r >> 3) << 2 | (x >> 3) << 1 | base >> 3;
	if (v != 0x40)
		b1(e, v);
}

static void disp(struct em *e, int mod, int32_t d)
{
	if (mod == 1)
		b1(e, (uint8_t)d);
	else if (mod == 2)
		b4(e, (uint32_t)d);
}
static int mod_for(int base, int32_t d)
{
	if (d == 0 && (base & 7) != RBP)
		return 0;
	return d >= -128 && d <= 127 ? 1 : 2;
}

/* One to three opcode bytes, most significant first. */
static void opcode(struct em *e, unsigned opc)
{
	if (opc > 0xffff)
		b1(e, opc >> 16);
	if (opc > 0xff)
		b1(e, (opc >> 8) & 0xff);
	b1(e, opc & 0xff);
}

/* opcode reg, [base + d] */
static void op_m(struct em *e, int w, unsigned opc, int reg, int base,
		 int32_t d)
{
	rex(e, w, reg, 0, base);
	opcode(e, opc);
	int mod = mod_for(base, d);
	b1(e, mod << 6 | (reg & 7) << 3 | (base & 7));
	if ((base & 7) == RSP)
		b1(e, 0x24);
	disp(e, mod, d);
}
/* opcode reg, [base + index + d] */
static void op_mx(struct em *e, int w, unsigned opc, int reg, int base,
		  int index, int32_t d)
{
	rex(e, w, reg, index, base);
	opcode(e, opc);
	int mod = mod_for(base, d);
	b1(e, mod << 6 | (reg & 7) << 3 | 4);
	b1(e, (index & 7) << 3 | (base & 7));
	disp(e, mod, d);
}
/* opcode reg, rm (register direct) */
static void op_r(struct em *e, int w, unsigned opc, int reg, int rm)
{
	rex(e, w, reg, 0, rm);
	opcode(e, opc);
	b1(e, 0xc0 | (reg & 7) << 3 | (rm & 7));
}

static int32_t slot(struct em *e, uint32_t s)
{
	if (s >= MAX_SLOT)
		e->fail = true;
	return (int32_t)(s * 8);
}
/* The register of slot s as the current instruction reads it (def: as it
 * writes it), or NULL when it is in the frame. A slot the analysis does
 * not know as an operand fails the function (it stays interpreted). */
static const struct home *home_of(struct em *e, uint32_t s, bool def)
{
	const struct wm_live *l = &e->live;
	if (e->spilled)
		return NULL;
	for (uint32_t k = l->first[e->ii]; k < l->first[e->ii + 1]; k++)
		if (l->opnd[k].slot == s && l->opnd[k].def == def)
			return l->opnd[k].home < 0 ? NULL
						   : &homes[l->opnd[k].home];
	e->fail = true;
	return NULL;
}
/* movq xmm, gpr and movq gpr, xmm */
static void movq_xr(struct em *e, int w, int xmm, int reg)
{
	b1(e, 0x66);
	op_r(e, w, 0x0f6e, xmm, reg);
}
static void movq_rx(struct em *e, int reg, int xmm)
{
	b1(e, 0x66);
	op_r(e, 1, 0x0f7e, xmm, reg);
}
/* opcode reg, slot s (an r/m operand: register or frame); a slot in an
 * xmm register passes through rdx. */
static void op_s(struct em *e, int w, unsigned opc, int reg, uint32_t s)
{
	const struct home *h = home_of(e, s, false);
	if (!h) {
		op_m(e, w, opc, reg, FP, slot(e, s));
		return;
	}
	int r = h->reg;
	if (h->xmm) {
		movq_rx(e, RDX, r);
		r = RDX;
	}
	op_r(e, w, opc, reg, r);
}
/* Whether the value of slot s (width w, in xmm0 or rax) is still in its
 * register at this point: only as the instruction's first emission. */
static bool reusable(struct em *e, uint32_t s, int w, bool xmm)
{
	bool hit = e->reuse && here(e) == e->insn_start &&
		   e->last_store.slot == s && e->last_store.xmm == xmm &&
		   (xmm ? e->last_store.w == w : e->last_store.w >= w);
	e->reuse = false;
	return hit;
}
static void ld(struct em *e, int w, int reg, uint32_t s)
{
	if (reusable(e, s, w, false)) {
		if (reg != RAX)
			op_r(e, w, 0x89, RAX, reg);
		return;
	}
	const struct home *h = home_of(e, s, false);
	if (h && h->xmm)
		movq_rx(e, reg, h->reg);
	else if (h && h->reg != reg) /* i32 values stay zero-extended */
		op_r(e, w, 0x8b, reg, h->reg);
	else if (!h)
		op_m(e, w, 0x8b, reg, FP, slot(e, s));
}
static void remember_store(struct em *e, uint32_t s, int w, bool xmm)
{
	e->last_store.slot = s;
	e->last_store.w = w;
	e->last_store.xmm = xmm;
	e->last_store.end = here(e);
}
static void st(struct em *e, int w, uint32_t s, int reg)
{
	const struct home *h = home_of(e, s, true);
	if (h && h->xmm)
		movq_xr(e, 1, h->reg, reg);
	else if (h)
		op_r(e, w, 0x89, reg, h->reg);
	else
		op_m(e, w, 0x89, reg, FP, slot(e, s));
	if (reg == RAX)
		remember_store(e, s, w, false);
}
/* Where an instruction computes its result: the destination's own
 * general register when it has one, else rax (then stored by finish). */
static int dest_reg(struct em *e, uint32_t d)
{
	const struct home *h = home_of(e, d, true);
	return h && !h->xmm ? h->reg : RAX;
}
static void finish(struct em *e, int w, uint32_t d, int r)
{
	if (r == RAX)
		st(e, w, d, RAX);
}
/* Slot s lives in general register r. */
static bool held_in(struct em *e, uint32_t s, int r)
{
	const struct home *h = home_of(e, s, false);
	return h && !h->xmm && h->reg == r;
}
/* Slot s holds the constant the previous instruction set. */
static bool const_in(struct em *e, uint32_t s)
{
	return e->const_ok && here(e) == e->insn_start &&
	       e->last_const.slot == s;
}
/* The general register slot s lives in, or -1. */
static int gpr_of(struct em *e, uint32_t s)
{
	const struct home *h = home_of(e, s, false);
	return h && !h->xmm ? h->reg : -1;
}

/* The frame itself, whatever lives in registers. */
static void st_frame(struct em *e, uint32_t s, int reg)
{
	op_m(e, 1, 0x89, reg, FP, slot(e, s));
}
static void mov_rr(struct em *e, int dst, int src)
{
	op_r(e, 1, 0x89, src, dst);
}
static void mov_ri(struct em *e, int reg, uint64_t k)
{
	rex(e, k > UINT32_MAX, 0, 0, reg);
	b1(e, 0xb8 + (reg & 7));
	if (k > UINT32_MAX)
		wm_jit_buf_put(e->b, &k, 8);
	else
		b4(e, (uint32_t)k);
}

/* ---- jumps, labels, traps ---------------------------------------------------- */

static void add_fix(struct em *e, size_t at, size_t base, uint32_t target)
{
	if (!grow((void **)&e->fix, e->nfix, &e->fixcap, sizeof(*e->fix))) {
		e->b->oom = true;
		return;
	}
	e->fix[e->nfix++] = (struct fixup){at, base, target};
}
static void jmp_to(struct em *e, uint32_t target)
{
	b1(e, 0xe9);
	add_fix(e, here(e), here(e) + 4, target);
	b4(e, 0);
}
static void jcc_to(struct em *e, int cc, uint32_t target)
{
	b1(e, 0x0f);
	b1(e, 0x80 + cc);
	add_fix(e, here(e), here(e) + 4, target);
	b4(e, 0);
}
/* jcc forward to be patched; returns the rel32's position. */
static size_t jcc_fwd(struct em *e, int cc)
{
	b1(e, 0x0f);
	b1(e, 0x80 + cc);
	b4(e, 0);
	return here(e) - 4;
}
static void land(struct em *e, size_t at)
{
	patch32(e, at, (int64_t)here(e) - (int64_t)(at + 4));
}
/* jmp rel32 forward: the rel32's offset, for land. */
static size_t jmp_fwd(struct em *e)
{
	b1(e, 0xe9);
	b4(e, 0);
	return here(e) - 4;
}
static void trap_if(struct em *e, int cc, int kind, uint32_t pos)
{
	if (!grow((void **)&e->stubs, e->nstubs, &e->stubcap,
		  sizeof(*e->stubs))) {
		e->b->oom = true;
		return;
	}
	e->stubs[e->nstubs++] = (struct stub){jcc_fwd(e, cc), pos, kind};
}

/* The interpreter's check at function entry and loop back edges; `pos` is
 * where it reports (for a branch: the target). */
static void fuel_check(struct em *e, uint32_t pos)
{
	op_m(e, 1, 0xff, 1, CTX, offsetof(struct wasm_instance, fuel));
	trap_if(e, CC_S, -1, pos);
	op_m(e, 0, 0x83, 7, CTX, offsetof(struct wasm_instance, interrupt));
	b1(e, 0);
	trap_if(e, CC_NE, STUB_SAFEPOINT, pos);
}

static uint32_t target_of(struct em *e, unsigned k)
{
	return e->pos + 2 + k + e->w[k];
}
static bool backward(struct em *e, unsigned k)
{
	return (int32_t)e->w[k] < 0;
}

static void branch(struct em *e, unsigned k)
{
	if (backward(e, k))
		fuel_check(e, target_of(e, k));
	jmp_to(e, target_of(e, k));
}
/* Branch to operand k's target when cc holds (flags already set). */
static void branch_if(struct em *e, int cc, unsigned k)
{
	if (!backward(e, k)) {
		jcc_to(e, cc, target_of(e, k));
		return;
	}
	size_t skip = jcc_fwd(e, cc ^ 1);
	branch(e, k);
	land(e, skip);
}

/* ---- ops ------------------------------------------------------------------- */

static void ret_ok(struct em *e)
{
	op_r(e, 0, 0x31, RAX, RAX);
	jmp_to(e, EPILOGUE);
}
static void check_status(struct em *e)
{
	op_r(e, 0, 0x85, RAX, RAX);
	jcc_to(e, CC_NE, EPILOGUE);
}

/* A home register from / to slot s's frame copy. */
static void home_load(struct em *e, int k, uint32_t s)
{
	if (homes[k].xmm) {
		b1(e, 0xf3); /* movq xmm, m64 */
		op_m(e, 0, 0x0f7e, homes[k].reg, FP, slot(e, s));
	} else {
		op_m(e, 1, 0x8b, homes[k].reg, FP, slot(e, s));
	}
}
static void home_store(struct em *e, int k, uint32_t s)
{
	if (homes[k].xmm) {
		b1(e, 0x66); /* movq m64, xmm */
		op_m(e, 0, 0x0fd6, homes[k].reg, FP, slot(e, s));
	} else {
		st_frame(e, s, homes[k].reg);
	}
}

/* The current instruction's operands. */
static const struct wm_live_opnd *opnds(struct em *e, uint32_t *n)
{
	const struct wm_live *l = &e->live;
	*n = l->first[e->ii + 1] - l->first[e->ii];
	return l->opnd + l->first[e->ii];
}

/* Locals start at zero: in their register, or in the frame for those
 * living there; parameters arrive in the frame. */
static void emit_entry(struct em *e)
{
	uint32_t n, nl = e->w[1];
	const struct wm_live_opnd *o = opnds(e, &n);
	if (nl > 16) {
		op_r(e, 0, 0x31, RAX, RAX);
		op_m(e, 1, 0x8d, RDI, FP, slot(e, e->w[0]));
		mov_ri(e, RCX, nl);
		b1(e, 0xf3);
		b1(e, 0x48);
		b1(e, 0xab); /* rep stosq */
	} else if (nl) {
		op_r(e, 0, 0x31, RAX, RAX);
		for (uint32_t k = 0; k < n; k++)
			if (o[k].def && o[k].home == -1)
				st_frame(e, o[k].slot, RAX);
	}
	for (uint32_t k = 0; k < n; k++) {
		int h = o[k].home;
		if (h < 0)
			continue;
		if (!o[k].def)
			home_load(e, h, o[k].slot);
		else if (homes[h].xmm)
			op_r(e, 0, 0x0f57, homes[h].reg, homes[h].reg); /* xorps */
		else
			op_r(e, 0, 0x31, homes[h].reg, homes[h].reg);
	}
	fuel_check(e, e->pos);
}

/* Around calls the frame holds the operands and every value live across:
 * callees and helpers clobber the registers, and helpers read operands
 * from the frame. After, the values come back (with results, when the
 * callee wrote them to the frame). */
static void spill(struct em *e)
{
	const struct wm_live *l = &e->live;
	uint32_t n;
	const struct wm_live_opnd *o = opnds(e, &n);
	for (uint32_t k = 0; k < n; k++)
		if (!o[k].def && o[k].home >= 0)
			home_store(e, o[k].home, o[k].slot);
	for (uint32_t k = l->save_first[e->ii]; k < l->save_first[e->ii + 1];
	     k++)
		home_store(e, l->saves[k].home, l->saves[k].slot);
	e->spilled = true;
}
static void reload(struct em *e, bool results)
{
	const struct wm_live *l = &e->live;
	uint32_t n;
	const struct wm_live_opnd *o = opnds(e, &n);
	for (uint32_t k = l->save_first[e->ii]; k < l->save_first[e->ii + 1];
	     k++)
		home_load(e, l->saves[k].home, l->saves[k].slot);
	for (uint32_t k = 0; results && k < n; k++)
		if (o[k].def && o[k].home >= 0)
			home_load(e, o[k].home, o[k].slot);
	e->spilled = false;
}

RARE static void emit_br_table(struct em *e)
{
	uint32_t n = e->w[1];
	ld(e, 0, RAX, e->w[0]);
	mov_ri(e, RCX, n);
	op_r(e, 0, 0x3b, RAX, RCX);
	op_r(e, 0, 0x0f47, RAX, RCX); /* cmova eax, ecx */
	b1(e, 0x48);
	b1(e, 0x8d);
	b1(e, 0x0d); /* lea rcx, [rip + table] */
	size_t lea = here(e);
	b4(e, 0);
	b1(e, 0x48);
	b1(e, 0x63);
	b1(e, 0x04);
	b1(e, 0x81); /* movsxd rax, [rcx + rax*4] */
	op_r(e, 1, 0x01, RCX, RAX);
	b1(e, 0xff);
	b1(e, 0xe0); /* jmp rax */
	size_t table = here(e);
	patch32(e, lea, (int64_t)table - (int64_t)(lea + 4));
	for (uint32_t i = 0; i <= n; i++)
		b4(e, 0);
	for (uint32_t i = 0; i <= n; i++) {
		size_t at = table + 4 * i;
		if (!backward(e, 2 + i)) {
			add_fix(e, at, table, target_of(e, 2 + i));
			continue;
		}
		patch32(e, at, (int64_t)here(e) - (int64_t)table);
		branch(e, 2 + i);
	}
}


static void call_c(struct em *e, enum wm_jit_helper k);
#define HELPER 0x80000000u /* direct-call target: helper k is HELPER + k */

/* Calls leaving compiled code (imports, indirect, interpreted callees). */
static void helper_call(struct em *e)
{
	mov_rr(e, RDI, CTX);
	mov_rr(e, RSI, INST);
	mov_rr(e, RDX, FP);
	mov_ri(e, RCX, e->f->index);
	mov_ri(e, R8, e->pos);
	call_c(e, WM_JIT_H_CALL);
}
/* Table and bulk-memory instructions: bulk.c's code, on the frame. */
RARE static void emit_bulk(struct em *e, enum ir_op op)
{
	spill(e);
	mov_rr(e, RDI, CTX);
	mov_rr(e, RSI, INST);
	mov_rr(e, RDX, FP);
	mov_ri(e, RCX, e->f->index);
	mov_ri(e, R8, e->pos);
	mov_ri(e, R9, op);
	call_c(e, WM_JIT_H_BULK);
	reload(e, true);
	check_status(e);
}

static void call_helper(struct em *e)
{
	spill(e);
	helper_call(e);
	reload(e, true);
	check_status(e);
}

/* rcx = the code of the wasm_func in rax; a jump (to land) taken when
 * it is not compiled. */
static size_t not_compiled(struct em *e)
{
	op_m(e, 1, 0x8b, RCX, RAX, offsetof(struct wasm_func, code));
	op_m(e, 1, 0x83, 7, RCX, offsetof(struct wm_code, jit));
	b1(e, 0);
	return jcc_fwd(e, CC_E);
}

/* call_indirect: the interpreter's checks inline, then a native call when
 * the callee is compiled; host and interpreted callees take the helper.
 * Host functions have no instance, so one compare with this instance
 * leads the common case (a compiled function of this instance, called at
 * its inner entry) and sends the rest out of line. */
static void emit_call_indirect(struct em *e)
{
	const uint32_t *w = e->w; /* table, sig_id, argbase, a */
	ld(e, 0, RAX, w[3]); /* from its register: spills leave rax alone */
	spill(e); /* the helper reads the index from the frame */
	op_m(e, 1, 0x8b, RCX, INST, offsetof(struct wasm_instance, tables));
	op_m(e, 1, 0x8b, RCX, RCX, slot(e, w[0]));
	op_m(e, 0, 0x3b, RAX, RCX, offsetof(struct wasm_table, size));
	trap_if(e, CC_AE, WASM_TRAP_UNDEFINED_ELEMENT, e->pos);
	op_m(e, 1, 0x8b, RCX, RCX, offsetof(struct wasm_table, elems));
	op_r(e, 1, 0xc1, 4, RAX), b1(e, 3);
	op_mx(e, 1, 0x8b, RAX, RCX, RAX, 0); /* rax = the wasm_func */
	op_r(e, 1, 0x85, RAX, RAX);
	trap_if(e, CC_E, WASM_TRAP_UNINITIALIZED_ELEMENT, e->pos);
	op_m(e, 0, 0x81, 7, RAX, offsetof(struct wasm_func, sig_id));
	wm_jit_note_sig(e->u, here(e), w[1]);
	b4(e, w[1]);
	trap_if(e, CC_NE, WASM_TRAP_INDIRECT_TYPE_MISMATCH, e->pos);
	op_m(e, 1, 0x8b, RDX, RAX, offsetof(struct wasm_func, inst));
	op_r(e, 1, 0x3b, RDX, INST);
	size_t other = jcc_fwd(e, CC_NE);
	size_t interp = not_compiled(e);
	size_t checks = here(e); /* rcx the code, rdx the callee's instance */
	op_m(e, 0, 0x8b, R8, CTX, offsetof(struct wasm_instance, nframes));
	op_m(e, 0, 0x3b, R8, CTX, offsetof(struct wasm_instance, max_frames));
	trap_if(e, CC_AE, WASM_TRAP_STACK_EXHAUSTED, e->pos);
	op_m(e, 1, 0x8d, RSI, FP, slot(e, w[2]));
	op_m(e, 0, 0x8b, R9, RCX, offsetof(struct wm_code, frame_slots));
	op_r(e, 1, 0xc1, 4, R9), b1(e, 3);
	op_r(e, 1, 0x01, RSI, R9); /* r9 = nfp + frame_slots */
	op_m(e, 1, 0x3b, R9, CTX, offsetof(struct wasm_instance, stack_end));
	trap_if(e, CC_A, WASM_TRAP_STACK_EXHAUSTED, e->pos);
	op_m(e, 0, 0xff, 0, CTX, offsetof(struct wasm_instance, nframes));
	op_r(e, 1, 0x3b, RDX, INST);
	size_t outer = jcc_fwd(e, CC_NE);
	/* this instance's function: its inner entry, as a direct call */
	op_m(e, 0, 0xff, 2, RCX, offsetof(struct wm_code, jit_inner));
	size_t called = jmp_fwd(e);
	land(e, outer); /* another instance's: its outer entry */
	mov_rr(e, RDI, CTX);
	op_m(e, 0, 0xff, 2, RCX, offsetof(struct wm_code, jit));
	land(e, called);
	op_m(e, 0, 0xff, 1, CTX, offsetof(struct wasm_instance, nframes));
	size_t done = jmp_fwd(e);
	land(e, other); /* a host function (no instance) or another's */
	op_r(e, 1, 0x85, RDX, RDX);
	size_t host = jcc_fwd(e, CC_E);
	size_t interp2 = not_compiled(e);
	b1(e, 0xe9);
	b4(e, (uint32_t)((int64_t)checks - (int64_t)(here(e) + 4)));
	land(e, host);
	land(e, interp);
	land(e, interp2);
	helper_call(e);
	land(e, done);
	reload(e, true);
	check_status(e);
}

/* call rel32 to the inner entry of the unit's function k, or (k: HELPER
 * + h, after call_c's opcode) the disp32 of helper h's table entry;
 * patched once the unit is emitted. */
static void call_direct(struct em *e, uint32_t k)
{
	if (k < HELPER)
		b1(e, 0xe8);
	if (!grow((void **)&e->calls, e->ncalls, &e->callcap,
		  sizeof(*e->calls)))
		e->b->oom = true;
	else
		e->calls[e->ncalls++] = (struct fixup){here(e), here(e) + 4, k};
	b4(e, 0);
}

/* call [rip + disp32] to helper k through the table (jit.h), the disp32
 * patched with the calls once the unit's code is laid out. */
__attribute__((noinline)) static void call_c(struct em *e,
					      enum wm_jit_helper k)
{
	b1(e, 0xff);
	b1(e, 0x15);
	call_direct(e, HELPER + k);
}

/* Compiling lazily: call rel32 to a callee compiled before, when the
 * unit's place (u->base) is known and the callee within reach. */
static bool call_compiled(struct em *e, const struct wm_code *cc)
{
	const uint8_t *to = __atomic_load_n(&cc->jit_inner, __ATOMIC_ACQUIRE);
	if (!e->u->base || !__atomic_load_n(&cc->jit, __ATOMIC_ACQUIRE))
		return false;
	int64_t d = to - (e->u->base + here(e) + 5);
	if (d != (int32_t)d)
		return false;
	b1(e, 0xe8);
	b4(e, (uint32_t)d);
	return true;
}

/* A direct call to a compiled function of the unit: the interpreter's
 * frame and value-stack checks, then a native call. Compiled lazily, a
 * call to a callee not compiled yet goes through its jit_inner (the lazy
 * stub until the callee is compiled), with its index in eax for the stub. */
static void emit_call(struct em *e)
{
	const struct wm_module *m = e->u->m;
	uint32_t callee = e->w[0] - m->nimported_funcs;
	const struct wm_code *cc = m->funcs[callee].code;
	if (!e->u->lazy && !e->u->funcs[callee].compile) {
		call_helper(e);
		return;
	}
	spill(e);
	op_m(e, 0, 0x8b, RAX, CTX, offsetof(struct wasm_instance, nframes));
	op_m(e, 0, 0x3b, RAX, CTX, offsetof(struct wasm_instance, max_frames));
	trap_if(e, CC_AE, WASM_TRAP_STACK_EXHAUSTED, e->pos);
	op_m(e, 1, 0x8d, RSI, FP, slot(e, e->w[1]));
	op_m(e, 1, 0x8d, RAX, RSI, slot(e, cc->frame_slots));
	op_m(e, 1, 0x3b, RAX, CTX, offsetof(struct wasm_instance, stack_end));
	trap_if(e, CC_A, WASM_TRAP_STACK_EXHAUSTED, e->pos);
	op_m(e, 0, 0xff, 0, CTX, offsetof(struct wasm_instance, nframes));
	if (!e->u->lazy || e->w[0] == e->f->index) {
		call_direct(e, e->u->lazy ? (uint32_t)(e->f - e->u->funcs)
					  : callee);
	} else if (!call_compiled(e, cc)) {
		mov_ri(e, RAX, e->w[0]);
		mov_ri(e, RCX, (uintptr_t)&cc->jit_inner);
		op_m(e, 0, 0xff, 2, RCX, 0); /* call [rcx] */
	}
	op_m(e, 0, 0xff, 1, CTX, offsetof(struct wasm_instance, nframes));
	reload(e, true);
	check_status(e);
}

/* The lazy stub (jit.h): entered like an inner entry (rsp 8 mod 16, rsi
 * the frame, r14 the context, r15 the instance, eax the function), it
 * calls wm_jit_lazy_call(ctx, inst, frame, funcidx). The caller spilled
 * what it keeps, and C keeps rbx, rbp and r12-r15 as compiled code
 * expects; the push of rsi aligns the stack for the C call. */
__asm__(".pushsection .text.wm_jit_lazy_stub,\"ax\",@progbits\n"
	".globl wm_jit_lazy_stub_code\n"
	".hidden wm_jit_lazy_stub_code\n"
	".type wm_jit_lazy_stub_code,@function\n"
	"wm_jit_lazy_stub_code:\n"
	"\tpush %rsi\n"
	"\tmov %r14, %rdi\n"
	"\tmov %rsi, %rdx\n"
	"\tmov %r15, %rsi\n"
	"\tmov %eax, %ecx\n"
	"\tcall *wm_jit_lazy_call@GOTPCREL(%rip)\n"
	"\tpop %rsi\n"
	"\tret\n"
	".size wm_jit_lazy_stub_code, .-wm_jit_lazy_stub_code\n"
	".popsection\n");
extern char wm_jit_lazy_stub_code[];

void *wm_jit_arch_lazy_stub(void)
{
	return wm_jit_lazy_stub_code;
}

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

static int cmp_cc(enum ir_op op)
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

static bool alu_of(enum ir_op op, struct alu *a)
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

/* The flags say slot d is nonzero when cc holds: a br_if or if right
 * after tests them instead of d. */
static void flags_hold(struct em *e, uint32_t d, int cc)
{
	e->last_flags.slot = d;
	e->last_flags.cc = cc;
	e->last_flags.end = here(e);
}
static int flags_for(struct em *e, uint32_t s)
{
	bool hit =
	    e->flags_ok && here(e) == e->insn_start && e->last_flags.slot == s;
	return hit ? e->last_flags.cc : -1;
}

static void setcc_store(struct em *e, int cc, uint32_t d)
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
		setcc_store(e, a->cc, w[0]);
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
		setcc_store(e, cc, w[0]);
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
		setcc_store(e, CC_E, w[0]);
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
	case IR_I64_EXTEND_I32_U:
		ld(e, 0, RAX, w[1]);
		st(e, 1, w[0], RAX);
		return true;
	default:
		return false;
	}
}

/* ---- floats (SSE2; rounding needs SSE4.1) ---------------------------------- */

/* A slot held in a register reaches SSE through xmm7. */
#define XTMP 7

/* prefix (f3: f32, f2: f64, 66, or 0: none), then opc xmm, slot s as a
 * float operand */
static void sse_s(struct em *e, uint8_t prefix, unsigned opc, int xmm,
		  uint32_t s)
{
	const struct home *h = home_of(e, s, false);
	int r = h ? h->reg : -1;
	if (h && !h->xmm) {
		movq_xr(e, 1, XTMP, r);
		r = XTMP;
	}
	if (prefix)
		b1(e, prefix);
	if (r >= 0)
		op_r(e, 0, opc, xmm, r);
	else
		op_m(e, 0, opc, xmm, FP, slot(e, s));
}
static uint8_t fpfx(int f64)
{
	return f64 ? 0xf2 : 0xf3;
}
/* cvtsi2ss/sd xmm, slot s as an integer operand */
static void cvt_si(struct em *e, int f64, int w, uint32_t s)
{
	const struct home *h = home_of(e, s, false);
	int r = h ? h->reg : -1;
	if (h && h->xmm) {
		movq_rx(e, RAX, r);
		r = RAX;
	}
	b1(e, fpfx(f64));
	if (r >= 0)
		op_r(e, w, 0x0f2a, 0, r);
	else
		op_m(e, w, 0x0f2a, 0, FP, slot(e, s));
}
static void movaps(struct em *e, int x, int y)
{
	if (x != y)
		op_r(e, 0, 0x0f28, x, y);
}
static void fload(struct em *e, int f64, int xmm, uint32_t s)
{
	if (reusable(e, s, f64, true)) {
		movaps(e, xmm, 0);
		return;
	}
	const struct home *h = home_of(e, s, false);
	if (h && h->xmm)
		movaps(e, xmm, h->reg);
	else if (h)
		movq_xr(e, 1, xmm, h->reg);
	else
		sse_s(e, fpfx(f64), 0x0f10, xmm, s);
}
static void fstore(struct em *e, int f64, uint32_t s, int xmm)
{
	const struct home *h = home_of(e, s, true);
	if (h && h->xmm) {
		movaps(e, h->reg, xmm);
		return;
	}
	if (h) { /* movd/movq reg, xmm */
		b1(e, 0x66);
		op_r(e, f64, 0x0f7e, xmm, h->reg);
	} else {
		b1(e, fpfx(f64));
		op_m(e, 0, 0x0f11, xmm, FP, slot(e, s));
	}
	if (xmm == 0) /* the next instruction may take it from xmm0 */
		remember_store(e, s, f64, true);
}
/* (u)comis xmm, xmm2: 66 marks f64 */
static void ucomi_r(struct em *e, int f64, int x, int y)
{
	if (f64)
		b1(e, 0x66);
	op_r(e, 0, 0x0f2e, x, y);
}
static void ucomi_m(struct em *e, int f64, int x, uint32_t s)
{
	sse_s(e, f64 ? 0x66 : 0, 0x0f2e, x, s);
}

/* The interpreter's min/max: NaN in, a + b out; equal operands (-0 and
 * +0 among them) combine their bits, or for min (-0 wins), and for max. */
RARE static void emit_min_max(struct em *e, int f64, bool min)
{
	const uint32_t *w = e->w;
	fload(e, f64, 0, w[1]);
	sse_s(e, f64 ? 0x66 : 0, 0x0f2e, 0, w[2]); /* ucomis? */
	size_t nan = jcc_fwd(e, 0x0a);
	size_t differ = jcc_fwd(e, CC_NE);
	fload(e, f64, 1, w[2]);
	op_r(e, 0, min ? 0x0f56 : 0x0f54, 0, 1); /* orps / andps */
	b1(e, 0xe9);
	b4(e, 0);
	size_t done1 = here(e) - 4;
	land(e, differ);
	sse_s(e, fpfx(f64), min ? 0x0f5d : 0x0f5f, 0, w[2]);
	b1(e, 0xe9);
	b4(e, 0);
	size_t done2 = here(e) - 4;
	land(e, nan);
	sse_s(e, fpfx(f64), 0x0f58, 0, w[2]); /* adds? */
	land(e, done1);
	land(e, done2);
	fstore(e, f64, w[0], 0);
}

/* d, a, b */
static bool emit_float_binary(struct em *e, enum ir_op op)
{
	static const uint16_t arith[][3] = {
		{IR_F32_ADD, IR_F64_ADD, 0x0f58}, {IR_F32_SUB, IR_F64_SUB, 0x0f5c},
		{IR_F32_MUL, IR_F64_MUL, 0x0f59}, {IR_F32_DIV, IR_F64_DIV, 0x0f5e},
	};
	const uint32_t *w = e->w;
	for (size_t i = 0; i < sizeof(arith) / sizeof(arith[0]); i++) {
		if (arith[i][0] != op && arith[i][1] != op)
			continue;
		int f64 = arith[i][1] == op;
		const struct home *d = home_of(e, w[0], true);
		const struct home *b = home_of(e, w[2], false);
		/* b still in xmm0 from the previous instruction: a goes to
		 * the destination's register or xmm1, not over it */
		bool b0 = w[1] != w[2] && e->reuse &&
			  here(e) == e->insn_start &&
			  e->last_store.slot == w[2] && e->last_store.xmm &&
			  e->last_store.w == f64;
		/* b in the destination's register: only when a is b */
		int x = d && d->xmm && (b != d || w[1] == w[2]) ? d->reg : 0;
		if (b0 && !x)
			x = 1;
		fload(e, f64, x, w[1]);
		if (b0) {
			b1(e, fpfx(f64));
			op_r(e, 0, arith[i][2], x, 0);
		} else {
			sse_s(e, fpfx(f64), arith[i][2], x, w[2]);
		}
		if (!x || !d || !d->xmm || d->reg != x)
			fstore(e, f64, w[0], x);
		return true;
	}
	if (op >= IR_F32_EQ && op <= IR_F64_GE) {
		int f64 = op >= IR_F64_EQ;
		int k = (op - IR_F32_EQ) % 6; /* eq ne lt gt le ge */
		bool swap = k == 2 || k == 4;
		fload(e, f64, 0, swap ? w[2] : w[1]);
		ucomi_m(e, f64, 0, swap ? w[1] : w[2]);
		if (k >= 2) {
			setcc_store(e, k == 2 || k == 3 ? CC_A : CC_AE, w[0]);
			return true;
		}
		/* unordered sets PF: eq needs ZF && !PF, ne ZF == 0 || PF */
		b1(e, 0x0f), b1(e, k ? 0x95 : 0x94), b1(e, 0xc0);
		b1(e, 0x0f), b1(e, k ? 0x9a : 0x9b), b1(e, 0xc1);
		op_r(e, 0, k ? 0x08 : 0x20, RCX, RAX); /* or/and al, cl */
		op_r(e, 0, 0x0fb6, RAX, RAX);
		st(e, 0, w[0], RAX);
		flags_hold(e, w[0], CC_NE); /* ZF from the or/and */
		return true;
	}
	if (op == IR_F32_MIN || op == IR_F32_MAX || op == IR_F64_MIN ||
	    op == IR_F64_MAX) {
		emit_min_max(e, op == IR_F64_MIN || op == IR_F64_MAX,
			     op == IR_F32_MIN || op == IR_F64_MIN);
		return true;
	}
	if (op == IR_F32_COPYSIGN) {
		ld(e, 0, RAX, w[1]);
		op_r(e, 0, 0x81, 4, RAX), b4(e, 0x7fffffff);
		ld(e, 0, RCX, w[2]);
		op_r(e, 0, 0x81, 4, RCX), b4(e, 0x80000000);
		op_r(e, 0, 0x09, RCX, RAX);
		st(e, 0, w[0], RAX);
		return true;
	}
	if (op == IR_F64_COPYSIGN) {
		ld(e, 1, RAX, w[1]);
		op_r(e, 1, 0x0fba, 6, RAX), b1(e, 63); /* btr rax, 63 */
		ld(e, 1, RCX, w[2]);
		op_r(e, 1, 0xc1, 5, RCX), b1(e, 63);
		op_r(e, 1, 0xc1, 4, RCX), b1(e, 63);
		op_r(e, 1, 0x09, RCX, RAX);
		st(e, 1, w[0], RAX);
		return true;
	}
	return false;
}

static uint64_t f32_bits(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return u;
}
static uint64_t f64_bits(double x)
{
	uint64_t u;
	memcpy(&u, &x, 8);
	return u;
}

/* Trapping float-to-int: NaN, then lo < a < hi, as the interpreter. */
/* Out of range: a trap, or (saturating: sat = {min, max}) a jump to code
 * giving the bound; returns that jump. */
static size_t out_of_range(struct em *e, int cc, int kind, const uint64_t *sat)
{
	if (sat)
		return jcc_fwd(e, cc);
	trap_if(e, cc, kind, e->pos);
	return 0;
}

/* Float to int: NaN, then lo < a < hi, as the interpreter; outside, a trap
 * or, saturating, 0 for NaN, sat[0] below and sat[1] above. */
RARE static void emit_trunc(struct em *e, int f64, int w64, uint64_t lo, uint64_t hi,
		       const uint64_t *sat)
{
	bool u32 = w64 && hi == (f64 ? f64_bits(4294967296.0)
				     : f32_bits(4294967296.0f));
	bool u64 = hi == (f64 ? f64_bits(18446744073709551616.0)
			      : f32_bits(18446744073709551616.0f));
	fload(e, f64, 0, e->w[1]);
	ucomi_r(e, f64, 0, 0);
	size_t nan = out_of_range(e, 0x0a, WASM_TRAP_INVALID_CONVERSION, sat);
	mov_ri(e, RAX, lo);
	movq_xr(e, f64, 1, RAX);
	ucomi_r(e, f64, 0, 1);
	size_t below = out_of_range(e, CC_BE, WASM_TRAP_INT_OVERFLOW, sat);
	mov_ri(e, RAX, hi);
	movq_xr(e, f64, 1, RAX);
	ucomi_r(e, f64, 0, 1);
	size_t above = out_of_range(e, CC_AE, WASM_TRAP_INT_OVERFLOW, sat);
	size_t big = 0, done = 0;
	if (u64) { /* from 2^63 up: subtract it, convert, put the bit back */
		mov_ri(e, RAX, f64 ? f64_bits(9223372036854775808.0)
				   : f32_bits(9223372036854775808.0f));
		movq_xr(e, f64, 1, RAX);
		ucomi_r(e, f64, 0, 1);
		big = jcc_fwd(e, CC_AE);
	}
	b1(e, fpfx(f64));
	op_r(e, w64, 0x0f2c, RAX, 0); /* cvtts?2si */
	if (u64) {
		b1(e, 0xe9);
		b4(e, 0);
		done = here(e) - 4;
		land(e, big);
		b1(e, fpfx(f64));
		op_r(e, 0, 0x0f5c, 0, 1); /* subs? xmm0, xmm1 */
		b1(e, fpfx(f64));
		op_r(e, 1, 0x0f2c, RAX, 0);
		op_r(e, 1, 0x0fba, 7, RAX); /* btc rax, 63 */
		b1(e, 63);
		land(e, done);
	}
	if (sat) {
		size_t end[3];
		const uint64_t bound[3] = {0, sat[0], sat[1]};
		const size_t from[3] = {nan, below, above};
		for (int i = 0; i < 3; i++) {
			b1(e, 0xe9);
			b4(e, 0);
			end[i] = here(e) - 4;
			land(e, from[i]);
			mov_ri(e, RAX, bound[i]);
		}
		for (int i = 0; i < 3; i++)
			land(e, end[i]);
	}
	st(e, w64 && !u32, e->w[0], RAX);
}

/* Negative as i64: halve keeping the low bit sticky, convert, double. */
RARE static void emit_convert_u64(struct em *e, int f64)
{
	ld(e, 1, RAX, e->w[1]);
	op_r(e, 0, 0x0f57, 0, 0);
	op_r(e, 1, 0x85, RAX, RAX);
	size_t neg = jcc_fwd(e, CC_S);
	b1(e, fpfx(f64));
	op_r(e, 1, 0x0f2a, 0, RAX);
	b1(e, 0xe9);
	b4(e, 0);
	size_t done = here(e) - 4;
	land(e, neg);
	mov_rr(e, RCX, RAX);
	op_r(e, 1, 0xd1, 5, RCX);      /* shr rcx, 1 */
	op_r(e, 0, 0x83, 4, RAX), b1(e, 1); /* and eax, 1 */
	op_r(e, 1, 0x09, RAX, RCX);    /* or rcx, rax */
	b1(e, fpfx(f64));
	op_r(e, 1, 0x0f2a, 0, RCX);
	b1(e, fpfx(f64));
	op_r(e, 0, 0x0f58, 0, 0);      /* adds? xmm0, xmm0 */
	land(e, done);
	fstore(e, f64, e->w[0], 0);
}

/* Truncations: in range when lo < x < hi (the interpreter's); the
 * saturating ones give min and max outside. */
RARE static bool emit_trunc_op(struct em *e, enum ir_op op)
{
	static const struct {
		uint16_t op, sat_op;
		uint8_t f64, w64;
		double lo, hi;
		uint64_t min, max;
	} t[] = {
	    {IR_I32_TRUNC_F32_S, IR_I32_TRUNC_SAT_F32_S, 0, 0, -2147483904.0,
	     2147483648.0, 0x80000000u, 0x7fffffffu},
	    {IR_I32_TRUNC_F32_U, IR_I32_TRUNC_SAT_F32_U, 0, 1, -1.0,
	     4294967296.0, 0, UINT32_MAX},
	    {IR_I32_TRUNC_F64_S, IR_I32_TRUNC_SAT_F64_S, 1, 0, -2147483649.0,
	     2147483648.0, 0x80000000u, 0x7fffffffu},
	    {IR_I32_TRUNC_F64_U, IR_I32_TRUNC_SAT_F64_U, 1, 1, -1.0,
	     4294967296.0, 0, UINT32_MAX},
	    {IR_I64_TRUNC_F32_S, IR_I64_TRUNC_SAT_F32_S, 0, 1,
	     -9223373136366403584.0, 9223372036854775808.0, (uint64_t)INT64_MIN,
	     INT64_MAX},
	    {IR_I64_TRUNC_F32_U, IR_I64_TRUNC_SAT_F32_U, 0, 1, -1.0,
	     18446744073709551616.0, 0, UINT64_MAX},
	    {IR_I64_TRUNC_F64_S, IR_I64_TRUNC_SAT_F64_S, 1, 1,
	     -9223372036854777856.0, 9223372036854775808.0, (uint64_t)INT64_MIN,
	     INT64_MAX},
	    {IR_I64_TRUNC_F64_U, IR_I64_TRUNC_SAT_F64_U, 1, 1, -1.0,
	     18446744073709551616.0, 0, UINT64_MAX},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].op != op && t[i].sat_op != op)
			continue;
		const uint64_t sat[2] = {t[i].min, t[i].max};
		const uint64_t *s = t[i].sat_op == op ? sat : NULL;
		if (t[i].f64)
			emit_trunc(e, 1, t[i].w64, f64_bits(t[i].lo),
				   f64_bits(t[i].hi), s);
		else
			emit_trunc(e, 0, t[i].w64, f32_bits((float)t[i].lo),
				   f32_bits((float)t[i].hi), s);
		return true;
	}
	return false;
}

RARE static bool emit_float_convert(struct em *e, enum ir_op op)
{
	const uint32_t *w = e->w;
	switch (op) {
	case IR_F32_CONVERT_I32_S:
	case IR_F64_CONVERT_I32_S:
	case IR_F32_CONVERT_I64_S:
	case IR_F64_CONVERT_I64_S: {
		int f64 = op == IR_F64_CONVERT_I32_S || op == IR_F64_CONVERT_I64_S;
		int w64 = op == IR_F32_CONVERT_I64_S || op == IR_F64_CONVERT_I64_S;
		op_r(e, 0, 0x0f57, 0, 0); /* xorps: no false dependency */
		cvt_si(e, f64, w64, w[1]);
		fstore(e, f64, w[0], 0);
		return true;
	}
	case IR_F32_CONVERT_I32_U:
	case IR_F64_CONVERT_I32_U: /* zero-extended, then the i64 form */
		ld(e, 0, RAX, w[1]);
		op_r(e, 0, 0x0f57, 0, 0);
		b1(e, fpfx(op == IR_F64_CONVERT_I32_U));
		op_r(e, 1, 0x0f2a, 0, RAX);
		fstore(e, op == IR_F64_CONVERT_I32_U, w[0], 0);
		return true;
	case IR_F32_CONVERT_I64_U:
	case IR_F64_CONVERT_I64_U:
		emit_convert_u64(e, op == IR_F64_CONVERT_I64_U);
		return true;
	default:
		return emit_trunc_op(e, op);
	}
}

/* d, a */
static bool emit_float_unary(struct em *e, enum ir_op op)
{
	const uint32_t *w = e->w;
	static const uint16_t rnd[][3] = { /* op, roundss/sd immediate */
		{IR_F32_CEIL, 0, 0x0a}, {IR_F32_FLOOR, 0, 0x09},
		{IR_F32_TRUNC, 0, 0x0b}, {IR_F32_NEAREST, 0, 0x08},
		{IR_F64_CEIL, 1, 0x0a}, {IR_F64_FLOOR, 1, 0x09},
		{IR_F64_TRUNC, 1, 0x0b}, {IR_F64_NEAREST, 1, 0x08},
	};
	for (size_t i = 0; i < sizeof(rnd) / sizeof(rnd[0]); i++) {
		if (rnd[i][0] != op)
			continue;
		/* roundss/roundsd xmm0, a, mode */
		sse_s(e, 0x66, rnd[i][1] ? 0x0f3a0b : 0x0f3a0a, 0, w[1]);
		b1(e, (uint8_t)rnd[i][2]);
		fstore(e, rnd[i][1], w[0], 0);
		return true;
	}
	static const uint16_t sse[][4] = { /* op, source f64, result f64 */
		{IR_F32_SQRT, 0, 0, 0x0f51}, {IR_F64_SQRT, 1, 1, 0x0f51},
		{IR_F64_PROMOTE_F32, 0, 1, 0x0f5a},
		{IR_F32_DEMOTE_F64, 1, 0, 0x0f5a},
	};
	for (size_t i = 0; i < sizeof(sse) / sizeof(sse[0]); i++) {
		if (sse[i][0] != op)
			continue;
		sse_s(e, fpfx(sse[i][1]), sse[i][3], 0, w[1]);
		fstore(e, sse[i][2], w[0], 0);
		return true;
	}
	switch (op) {
	case IR_F32_NEG:
	case IR_F32_ABS:
		ld(e, 0, RAX, w[1]);
		op_r(e, 0, 0x81, op == IR_F32_NEG ? 6 : 4, RAX);
		b4(e, op == IR_F32_NEG ? 0x80000000 : 0x7fffffff);
		st(e, 0, w[0], RAX);
		return true;
	case IR_F64_NEG:
	case IR_F64_ABS: /* btc / btr rax, 63 */
		ld(e, 1, RAX, w[1]);
		op_r(e, 1, 0x0fba, op == IR_F64_NEG ? 7 : 6, RAX);
		b1(e, 63);
		st(e, 1, w[0], RAX);
		return true;
	default:
		return emit_float_convert(e, op);
	}
}

/* Compare-and-branch: a, b, rel / a, k, rel / a, rel (I64 NEZ, EQZ). */
static void emit_br_cmp(struct em *e, enum ir_op op)
{
	const uint32_t *w = e->w;
	if (op == IR_BR_I64_NEZ || op == IR_BR_I64_EQZ) {
		op_s(e, 1, 0x83, 7, w[0]);
		b1(e, 0);
		branch_if(e, op == IR_BR_I64_NEZ ? CC_NE : CC_E, 1);
		return;
	}
	int wide = op >= IR_BR_I64_EQ;
	if (op >= IR_BR_I32_EQ_IMM && op <= IR_BR_I32_GE_U_IMM) {
		op_s(e, 0, 0x81, 7, w[0]);
		b4(e, w[1]);
	} else {
		ld(e, wide, RAX, w[0]);
		op_s(e, wide, 0x3b, RAX, w[1]);
	}
	branch_if(e, cmp_cc(op), 2);
}

static void emit_global(struct em *e, bool set)
{
	uint32_t idx = set ? e->w[0] : e->w[1];
	op_m(e, 1, 0x8b, RAX, INST, offsetof(struct wasm_instance, globals));
	op_m(e, 1, 0x8b, RAX, RAX, slot(e, idx));
	if (set) {
		ld(e, 1, RCX, e->w[1]);
		op_m(e, 1, 0x89, RCX, RAX, offsetof(struct wasm_global, val));
	} else {
		op_m(e, 1, 0x8b, RAX, RAX, offsetof(struct wasm_global, val));
		st(e, 1, e->w[0], RAX);
	}
}

static void emit_return(struct em *e, enum ir_op op)
{
	/* Results go to the frame, where the caller reads them. */
	if (op == IR_RET1) {
		int r = gpr_of(e, e->w[0]);
		if (r < 0)
			ld(e, 1, r = RAX, e->w[0]);
		st_frame(e, 0, r);
	} else if (op == IR_RETN) { /* ascending copy: the source is above */
		for (uint32_t i = 0; i < e->w[1]; i++) {
			ld(e, 1, RAX, e->w[0] + i);
			st_frame(e, i, RAX);
		}
	}
	ret_ok(e);
}

static bool emit_control(struct em *e, enum ir_op op)
{
	const uint32_t *w = e->w;
	if (wm_bulk_op(op)) {
		emit_bulk(e, op);
		return true;
	}
	switch (op) {
	case IR_ENTRY:
		emit_entry(e);
		break;
	case IR_UNREACHABLE:
		op_r(e, 0, 0x31, RAX, RAX);
		trap_if(e, CC_E, WASM_TRAP_UNREACHABLE, e->pos);
		break;
	case IR_BR:
		branch(e, 0);
		break;
	case IR_BR_IF:
	case IR_BR_UNLESS: {
		int cc = flags_for(e, w[0]);
		if (cc < 0) {
			op_s(e, 0, 0x83, 7, w[0]);
			b1(e, 0);
			cc = CC_NE;
		}
		branch_if(e, op == IR_BR_IF ? cc : cc ^ 1, 1);
		break;
	}
	case IR_BR_TABLE:
		emit_br_table(e);
		break;
	case IR_RET0:
	case IR_RET1:
	case IR_RETN:
		emit_return(e, op);
		break;
	case IR_CALL:
		emit_call(e);
		break;
	case IR_CALL_IMPORT:
		call_helper(e);
		break;
	case IR_CALL_INDIRECT:
		emit_call_indirect(e);
		break;
	case IR_COPY: {
		int r = dest_reg(e, w[0]);
		ld(e, 1, r, w[1]);
		finish(e, 1, w[0], r);
		break;
	}
	case IR_CONST32:
	case IR_CONST64: {
		uint64_t k = op == IR_CONST32
				 ? w[1]
				 : (uint64_t)w[1] | (uint64_t)w[2] << 32;
		int r = dest_reg(e, w[0]);
		mov_ri(e, r, k);
		finish(e, 1, w[0], r);
		e->last_const.slot = w[0];
		e->last_const.k = k;
		e->last_const.end = here(e);
		break;
	}
	case IR_SELECT: { /* d = c ? a : b, by the compare's flags if c's */
		int cc = flags_for(e, w[3]);
		int r = dest_reg(e, w[0]);
		if ((w[2] != w[1] && held_in(e, w[2], r)) || held_in(e, w[3], r))
			r = RAX;
		ld(e, 1, r, w[1]); /* moves leave the flags alone */
		if (cc < 0) {
			op_s(e, 0, 0x83, 7, w[3]);
			b1(e, 0);
			cc = CC_NE;
		}
		op_s(e, 1, 0x0f40 + (cc ^ 1), r, w[2]); /* cmov when c == 0 */
		finish(e, 1, w[0], r);
		break;
	}
	case IR_GLOBAL_GET:
	case IR_GLOBAL_SET:
		emit_global(e, op == IR_GLOBAL_SET);
		break;
	case IR_MEMORY_SIZE:
		op_m(e, 1, 0x8b, RAX, INST,
		     offsetof(struct wasm_instance, mem));
		op_m(e, 0, 0x8b, RAX, RAX, offsetof(struct wasm_memory, pages));
		st(e, 0, w[0], RAX);
		break;
	case IR_REF_FUNC: /* the function instance is the reference */
		op_m(e, 1, 0x8b, RAX, INST,
		     offsetof(struct wasm_instance, funcs));
		op_m(e, 1, 0x8b, RAX, RAX, slot(e, w[1]));
		st(e, 1, w[0], RAX);
		break;
	case IR_REF_IS_NULL:
		op_s(e, 1, 0x83, 7, w[1]);
		b1(e, 0);
		setcc_store(e, CC_E, w[0]);
		break;
	case IR_MEMORY_GROW:
		spill(e);
		mov_rr(e, RDI, INST);
		ld(e, 0, RSI, w[1]);
		call_c(e, WM_JIT_H_GROW);
		/* mov eax, eax: an int32_t return leaves rax's upper half
		 * undefined, and the next access may take the address from
		 * rax as it is (a failed grow, -1, then read below memory) */
		op_r(e, 0, 0x89, RAX, RAX);
		reload(e, false);
		st(e, 0, w[0], RAX);
		break;
	default:
		return false;
	}
	return true;
}

/* Ops without effects but their result, which may be left out: binary
 * ones but those that trap (division), immediate forms, moves. */
static bool pure(enum ir_op op)
{
	if (op >= IR_I32_EQ && op <= IR_F64_COPYSIGN)
		return !(op >= IR_I32_DIV_S && op <= IR_I32_REM_U) &&
		       !(op >= IR_I64_DIV_S && op <= IR_I64_REM_U);
	return op == IR_CONST32 || op == IR_CONST64 || op == IR_COPY ||
	       op == IR_SELECT || op == IR_I32_EQZ || op == IR_I64_EQZ ||
	       (op >= IR_I32_ADD_IMM && op <= IR_I64_XOR_K64);
}

/* Whether the current instruction's results are all never read. */
static bool results_dead(struct em *e)
{
	uint32_t n;
	const struct wm_live_opnd *o = opnds(e, &n);
	bool any = false;
	for (uint32_t k = 0; k < n; k++)
		if (o[k].def) {
			if (o[k].home != WM_LIVE_DEAD)
				return false;
			any = true;
		}
	return any;
}

static void emit_op(struct em *e, enum ir_op op)
{
	struct alu a;
	if (pure(op) && results_dead(e))
		return;
	if (emit_control(e, op))
		return;
	if (cmp_cc(op) >= 0 && op >= IR_BR_I32_EQ && op <= IR_BR_I64_GE_U) {
		emit_br_cmp(e, op);
	} else if (op == IR_BR_I64_NEZ || op == IR_BR_I64_EQZ) {
		emit_br_cmp(e, op);
	} else if (op >= IR_I32_LOAD && op <= IR_I32_STORE8_ADDK) {
		emit_access(e, op); /* first: alu_of is a search */
	} else if (alu_of(op, &a)) {
		emit_binary(e, &a);
	} else if (!emit_binary_imm(e, op) && !emit_binary_k64(e, op) &&
		   !emit_unary(e, op) && !emit_float_binary(e, op) &&
		   !emit_float_unary(e, op)) {
		e->fail = true;
	}
}

/* ---- functions -------------------------------------------------------------- */

static const uint8_t pushes[] = {RBP, RBX, R12, R13, R14, R15};

/* The entry from C (wm_jit_fn; also call_indirect's, whose callee may
 * belong to another instance): saves what C expects kept, sets the
 * instance's registers and calls the inner entry. Compiled functions of
 * one unit call each other's inner entries directly: the instance, its
 * memory and the context are the same, and the caller has spilled what
 * it keeps, so the callee saves only the frame register. */
static void outer_entry(struct em *e)
{
	for (size_t i = 0; i < sizeof(pushes); i++) {
		rex(e, 0, 0, 0, pushes[i]);
		b1(e, 0x50 + (pushes[i] & 7));
	}
	op_r(e, 1, 0x83, 5, RSP);
	b1(e, 8); /* sub rsp, 8: the inner entry sees a call's alignment */
	mov_rr(e, CTX, RDI);
	mov_rr(e, INST, RDX);
	if (e->u->m->nmems) {
#ifndef WASM_GUARD_PAGES
		op_m(e, 1, 0x8b, MEMOBJ, INST, offsetof(struct wasm_instance, mem));
		op_m(e, 1, 0x8b, MEMBASE, MEMOBJ, offsetof(struct wasm_memory, base));
#else
		op_m(e, 1, 0x8b, RAX, INST,
		     offsetof(struct wasm_instance, mem));
		op_m(e, 1, 0x8b, MEMBASE, RAX,
		     offsetof(struct wasm_memory, base));
#endif
	}
	b1(e, 0xe8);
	b4(e, 0);
	size_t call = here(e);
	op_r(e, 1, 0x83, 0, RSP);
	b1(e, 8);
	for (size_t i = sizeof(pushes); i-- > 0;) {
		rex(e, 0, 0, 0, pushes[i]);
		b1(e, 0x58 + (pushes[i] & 7));
	}
	b1(e, 0xc3);
	while (here(e) & 15) /* int3 after the ret: never run */
		b1(e, 0xcc);
	e->f->inner = here(e);
	patch32(e, call - 4, (int64_t)here(e) - (int64_t)call);
}

/* Inner entry: rsi is the frame; r14, r15, rbp, r12 are set. */
static void prologue(struct em *e)
{
	outer_entry(e);
	rex(e, 0, 0, 0, FP);
	b1(e, 0x50 + (FP & 7)); /* push rbx: 16-byte aligned from here */
	mov_rr(e, FP, RSI);
	/* Native recursion is bounded by the thread's stack, not only by
	 * max_frames: deep guest recursion traps before it overflows. */
	op_m(e, 1, 0x3b, RSP, CTX,
	     offsetof(struct wasm_instance, jit_stack_limit));
	trap_if(e, CC_B, WASM_TRAP_STACK_EXHAUSTED, 0);
}

static void epilogue(struct em *e)
{
	rex(e, 0, 0, 0, FP);
	b1(e, 0x58 + (FP & 7));
	b1(e, 0xc3);
}

/* The registers a C call may clobber that compiled code keeps values in
 * (allocated slots and scratch); saved around a safepoint's call. */
static const uint8_t volatile_regs[] = {RAX, RCX, RDX, RSI, RDI,
					R8,  R9,  R10, R11};

static void push_pop(struct em *e, bool push)
{
	for (size_t k = 0; k < sizeof(volatile_regs); k++) {
		uint8_t r = volatile_regs[push ? k : sizeof(volatile_regs) - 1 - k];
		rex(e, 0, 0, 0, r);
		b1(e, (push ? 0x50 : 0x58) + (r & 7));
	}
}

/* An interrupt at a safepoint: wm_jit_safepoint runs the embedder's
 * handler (a pause waits there). One routine per function, called from
 * each check's stub, keeps every register as it was (the function's xmm
 * homes through the stack, whatever value each holds there) and returns
 * ZF clear when the code may go on. The call and nine pushes keep the
 * stack 16-byte aligned for the C call; the xmm room is a multiple of 16. */
static size_t emit_safepoint_routine(struct em *e)
{
	size_t at = here(e);
	uint8_t x[NXMM];
	unsigned nx = 0;
	for (unsigned k = NGPR; k < NHOMES; k++)
		if (e->live.homes_used >> k & 1)
			x[nx++] = homes[k].reg;
	int32_t room = (int32_t)((nx * 8 + 15) & ~15u);
	push_pop(e, true);
	if (room)
		op_m(e, 1, 0x8d, RSP, RSP, -room); /* lea: the flags stay */
	for (unsigned i = 0; i < nx; i++) {
		b1(e, 0x66); /* movq [rsp + 8i], xmm */
		op_m(e, 0, 0x0fd6, x[i], RSP, (int32_t)(8 * i));
	}
	mov_rr(e, RDI, CTX);
	call_c(e, WM_JIT_H_SAFEPOINT);
	op_r(e, 0, 0x85, RAX, RAX);
	for (unsigned i = 0; i < nx; i++) { /* loads leave the flags alone */
		b1(e, 0xf3);
		op_m(e, 0, 0x0f7e, x[i], RSP, (int32_t)(8 * i));
	}
	if (room)
		op_m(e, 1, 0x8d, RSP, RSP, room);
	push_pop(e, false);
	b1(e, 0xc3);
	return at;
}

/* Out-of-line trap paths: pos in ecx, kind in r8d, then one shared call.
 * A safepoint's stub first asks the routine, then goes back after its
 * check or on to the trap. */
static void emit_stubs(struct em *e)
{
	size_t common = SIZE_MAX, routine = SIZE_MAX;
	for (uint32_t i = 0; i < e->nstubs; i++) {
		int kind = e->stubs[i].kind;
		if (kind == STUB_SAFEPOINT && routine == SIZE_MAX)
			routine = emit_safepoint_routine(e);
		land(e, e->stubs[i].at);
		if (kind == STUB_SAFEPOINT) {
			b1(e, 0xe8);
			b4(e, (uint32_t)((int64_t)routine -
					 (int64_t)(here(e) + 4)));
			b1(e, 0x0f);
			b1(e, 0x80 + CC_NE);
			b4(e, (uint32_t)((int64_t)(e->stubs[i].at + 4) -
					 (int64_t)(here(e) + 4)));
			kind = -1;
		}
		mov_ri(e, RCX, e->stubs[i].pos);
		mov_ri(e, R8, (uint32_t)kind);
		if (common != SIZE_MAX) {
			b1(e, 0xe9);
			b4(e, (uint32_t)(common - (here(e) + 4)));
			continue;
		}
		common = here(e);
		mov_rr(e, RDI, CTX);
		mov_rr(e, RSI, INST);
		mov_ri(e, RDX, e->f->index);
		call_c(e, WM_JIT_H_TRAP);
		jmp_to(e, EPILOGUE);
	}
}

/* The code offset of the instruction at word pos, -1 if none starts
 * there. */
static int64_t label_of(const struct em *e, uint32_t pos)
{
	uint32_t i = pos <= e->f->code->nwords ? e->index[pos] : UINT32_MAX;
	return i < e->f->ninsns && e->f->insns[i].pos == pos
		   ? (int64_t)e->label[i] : -1;
}

static int emit_body(struct em *e, struct wm_jit_func *f,
		     const struct wm_jit_info *info)
{
	const uint32_t *words = f->code->words;
	e->nfix = e->nstubs = 0;
	e->fail = false;
	e->last_store.end = SIZE_MAX;
	e->last_const.end = SIZE_MAX;
	e->last_flags.end = SIZE_MAX;
	f->start = here(e);
	prologue(e);
	for (uint32_t i = 0; i < f->ninsns && !e->fail; i++) {
		e->pos = f->insns[i].pos;
		e->w = words + e->pos + 2;
		e->label[i] = here(e);
		e->ii = i;
		e->insn_start = here(e);
		e->reuse = !info[i].target && e->last_store.end == here(e);
		e->const_ok = !info[i].target && e->last_const.end == here(e);
		e->flags_ok = !info[i].target && e->last_flags.end == here(e);
		emit_op(e, f->insns[i].op);
	}
	size_t epi = here(e);
	epilogue(e);
	emit_stubs(e);
	for (uint32_t i = 0; i < e->nfix; i++) {
		struct fixup *x = &e->fix[i];
		int64_t to = x->target == EPILOGUE ? (int64_t)epi
						   : label_of(e, x->target);
		if (to < 0)
			e->fail = true;
		else
			patch32(e, x->at, to - (int64_t)x->base);
	}
	return e->fail ? -1 : 0;
}

/* Room in e's per-function arrays for f; false when memory ran out. */
static bool scratch_for(struct em *e, const struct wm_jit_func *f)
{
	size_t nw = (size_t)f->code->nwords + 1, ni = (size_t)f->ninsns + 1;
	if (nw > e->wordcap) {
		free(e->index);
		e->index = malloc(sizeof(*e->index) * nw);
		e->wordcap = e->index ? nw : 0;
	}
	if (ni > e->insncap) {
		free(e->label);
		free(e->info);
		e->label = malloc(sizeof(*e->label) * ni);
		e->info = malloc(sizeof(*e->info) * ni);
		e->insncap = e->label && e->info ? ni : 0;
	}
	return e->wordcap && e->insncap;
}

/* The homes of f's values (jit_live.c), then its code. */
static int emit_func(struct em *e, struct wm_jit_func *f)
{
	e->f = f;
	e->spilled = false;
	if (!scratch_for(e, f))
		return -1;
	wm_jit_infos(f, e->index, e->info);
	if (wm_live_alloc(&e->live, e->u->m, f, e->info, e->index, NGPR, NXMM))
		return -1;
	return emit_body(e, f, e->info);
}

/* Where a faulting access resumes (guard pages): the fault handler put
 * the function in edx, the position in ecx and the trap in r8d; the stack
 * is the inner body's, so reporting it and returning ends the function. */
static void emit_landing(struct em *e)
{
	e->u->landing = here(e);
	mov_rr(e, RDI, CTX);
	mov_rr(e, RSI, INST);
	call_c(e, WM_JIT_H_TRAP);
	epilogue(e);
}

uintptr_t wm_jit_arch_fault_pc(const void *ucontext)
{
	return (uintptr_t)((const ucontext_t *)ucontext)
	    ->uc_mcontext.gregs[REG_RIP];
}

void wm_jit_arch_resume_at_trap(void *ucontext, uintptr_t landing,
				uint32_t funcidx, uint32_t pos)
{
	greg_t *r = ((ucontext_t *)ucontext)->uc_mcontext.gregs;
	r[REG_RDX] = funcidx;
	r[REG_RCX] = pos;
	r[REG_R8] = WASM_TRAP_MEMORY_OOB;
	r[REG_RIP] = (greg_t)landing;
}

#define NONE UINT32_MAX

/* Emits the functions with .compile whose side is `which` (all when
 * side is NULL) into e's buffer; the index of one that failed, or NONE. */
static uint32_t emit_side(struct em *e, const uint8_t *side, uint8_t which)
{
	for (uint32_t i = 0; i < e->u->nfuncs; i++)
		if (e->u->funcs[i].compile && (!side || side[i] == which) &&
		    emit_func(e, &e->u->funcs[i]))
			return i;
	return NONE;
}

static void em_free(struct em *e)
{
	free(e->label);
	free(e->index);
	free(e->info);
	free(e->fix);
	free(e->stubs);
	free(e->calls);
	wm_live_free(&e->live);
}

/* Up-front compilation of a large module on two threads: the functions
 * of side 1 are emitted on a second one, into a buffer of its own, then
 * appended. The threads share only reads (the module, which functions
 * compile); each writes its own functions' offsets. */
struct half {
	struct wm_jit_unit u; /* the unit's functions, its own buffer and sites */
	struct em e;
	const uint8_t *side;
	uint32_t failed;
	uint64_t nsec; /* its CPU time */
	pthread_t thread;
	bool running;
};

static void *emit_half(void *arg)
{
	struct half *h = arg;
	uint64_t t0 = wm_jit_cpu_ns();
	h->failed = emit_side(&h->e, h->side, 1);
	h->nsec = wm_jit_cpu_ns() - t0;
	return NULL;
}

/* Each function's thread (0 or 1), in order to the one with less IR so
 * far; NULL when one thread should do all (small or lazy units, one CPU,
 * no memory). */
static uint8_t *sides_of(const struct wm_jit_unit *u)
{
	static long cached; /* modules may be compiled on several threads */
	long ncpus = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (!ncpus) {
		ncpus = sysconf(_SC_NPROCESSORS_ONLN);
		__atomic_store_n(&cached, ncpus, __ATOMIC_RELAXED);
	}
	uint64_t total = 0, load[2] = {0, 0};
	for (uint32_t i = 0; i < u->nfuncs; i++)
		total += u->funcs[i].code->nwords;
	uint8_t *side = NULL;
	if (!u->lazy && ncpus > 1 && total >= PARALLEL_WORDS)
		side = malloc(u->nfuncs);
	for (uint32_t i = 0; side && i < u->nfuncs; i++) {
		side[i] = load[1] < load[0];
		load[side[i]] += u->funcs[i].code->nwords;
	}
	return side;
}

static void half_start(struct half *h, const struct wm_jit_unit *u)
{
	h->u = (struct wm_jit_unit){.m = u->m, .funcs = u->funcs,
				    .nfuncs = u->nfuncs};
	h->e.b = &h->u.buf;
	h->e.u = &h->u;
	h->e.ncalls = 0;
	h->failed = NONE;
	h->running = h->side &&
		     !pthread_create(&h->thread, NULL, emit_half, h);
}

/* Joins the second thread (or emits its side here if none ran) and
 * appends its code, sites and direct calls to e's; its failed function
 * or NONE. */
static uint32_t half_finish(struct half *h, struct em *e)
{
	struct wm_jit_unit *u = e->u;
	if (h->running)
		pthread_join(h->thread, NULL);
	else if (h->side)
		h->failed = emit_side(e, h->side, 1);
	if (!h->running || h->failed != NONE)
		goto out;
	size_t off = here(e);
	u->threads = 2;
	u->helper_nsec += h->nsec;
	if (h->u.buf.oom)
		u->buf.oom = true;
	wm_jit_buf_put(&u->buf, h->u.buf.p, h->u.buf.len);
	for (uint32_t i = 0; i < u->nfuncs; i++)
		if (h->side[i] && u->funcs[i].compile) {
			u->funcs[i].start += off;
			u->funcs[i].inner += off;
		}
	for (uint32_t i = 0; i < h->u.nsites; i++) {
		const struct wm_jit_site *s = &h->u.sites[i];
		wm_jit_note_site(u, s->off + off, s->pos, s->funcidx);
	}
	for (uint32_t i = 0; i < h->u.nsigs; i++) {
		const struct wm_jit_site *s = &h->u.sigs[i];
		wm_jit_note_sig(u, s->off + off, u->m->types[s->pos].sig_id);
	}
	for (uint32_t i = 0; i < h->e.ncalls; i++) {
		if (!grow((void **)&e->calls, e->ncalls, &e->callcap,
			  sizeof(*e->calls))) {
			u->buf.oom = true;
			break;
		}
		struct fixup x = h->e.calls[i];
		x.at += off;
		x.base += off;
		e->calls[e->ncalls++] = x;
	}
out:
	free(h->u.buf.p);
	free(h->u.sites);
	free(h->u.sigs);
	h->running = false;
	return h->failed;
}

int wm_jit_arch_emit(struct wm_jit_unit *u)
{
	struct em e = {.b = &u->buf, .u = u};
	struct half h = {.side = sides_of(u)};
	/* A function that fails to emit is dropped; its callers were emitted
	 * as direct calls, so start over without it. */
	for (bool again = true; again && !u->buf.oom;) {
		u->buf.len = 0;
		u->nsites = u->nsigs = 0;
		u->threads = 1;
		e.ncalls = 0;
		half_start(&h, u);
		emit_landing(&e);
		uint32_t fa = emit_side(&e, h.side, 0);
		uint32_t fb = half_finish(&h, &e);
		if (fa != NONE)
			u->funcs[fa].compile = false;
		if (fb != NONE)
			u->funcs[fb].compile = false;
		again = fa != NONE || fb != NONE;
	}
	for (uint32_t i = 0; i < e.ncalls; i++) {
		struct fixup *x = &e.calls[i];
		int64_t d = (x->target >= HELPER
				 ? u->table + 8 * (x->target - HELPER)
				 : (int64_t)u->funcs[x->target].inner) -
			    (int64_t)x->base;
		if (d != (int32_t)d)
			u->buf.oom = true;
		patch32(&e, x->at, d);
	}
	em_free(&e);
	em_free(&h.e);
	free((void *)h.side);
	return u->buf.oom ? -1 : 0;
}

/* One CPUID leaf 1 ECX feature bit (bit_POPCNT, bit_SSE4_1), read once and
 * cached (CPUID traps to the hypervisor in a VM). Not
 * __builtin_cpu_supports: its libgcc table is 5 KB of the runtime. */
static bool cpu_has(unsigned ecx_bit)
{
	static uint64_t cached; /* ECX | 1 << 32 once read */
	uint64_t v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	unsigned a, b, c = 0, d;

	if (!v) {
		__get_cpuid(1, &a, &b, &c, &d);
		v = c | 1ull << 32;
		__atomic_store_n(&cached, v, __ATOMIC_RELAXED);
	}
	return v & ecx_bit;
}

uint32_t wm_jit_arch_features(void)
{
	return (cpu_has(bit_POPCNT) ? bit_POPCNT : 0) |
	       (cpu_has(bit_SSE4_1) ? bit_SSE4_1 : 0);
}

bool wm_jit_arch_supports(enum ir_op op)
{
	struct alu a;
	if (op == IR_I32_POPCNT || op == IR_I64_POPCNT)
		return cpu_has(bit_POPCNT);
	if (wm_bulk_op(op))
		return true;
	switch (op) {
	case IR_ENTRY: case IR_UNREACHABLE: case IR_BR: case IR_BR_IF:
	case IR_BR_UNLESS: case IR_BR_TABLE: case IR_RET0: case IR_RET1:
	case IR_RETN: case IR_CALL: case IR_CALL_IMPORT: case IR_CALL_INDIRECT:
	case IR_COPY: case IR_CONST32: case IR_CONST64: case IR_SELECT:
	case IR_REF_FUNC:
	case IR_REF_IS_NULL:
	case IR_GLOBAL_GET: case IR_GLOBAL_SET: case IR_MEMORY_SIZE:
	case IR_MEMORY_GROW: case IR_BR_I64_NEZ: case IR_BR_I64_EQZ:
	case IR_I32_EQZ: case IR_I64_EQZ: case IR_I32_CLZ: case IR_I32_CTZ:
	case IR_I64_CLZ: case IR_I64_CTZ: case IR_I32_EXTEND8_S:
	case IR_I32_EXTEND16_S: case IR_I64_EXTEND8_S: case IR_I64_EXTEND16_S:
	case IR_I64_EXTEND32_S: case IR_I64_EXTEND_I32_S:
	case IR_I64_EXTEND_I32_U: case IR_F32_ADD: case IR_F32_SUB:
	case IR_F32_MUL: case IR_F32_DIV: case IR_F64_ADD: case IR_F64_SUB:
	case IR_F64_MUL: case IR_F64_DIV: case IR_F32_COPYSIGN:
	case IR_F64_COPYSIGN: case IR_F32_SQRT: case IR_F64_SQRT:
	case IR_F32_NEG: case IR_F32_ABS: case IR_F64_NEG: case IR_F64_ABS:
	case IR_F32_CONVERT_I32_S: case IR_F64_CONVERT_I32_S:
	case IR_F32_CONVERT_I64_S: case IR_F64_CONVERT_I64_S:
	case IR_F32_CONVERT_I32_U: case IR_F64_CONVERT_I32_U:
	case IR_F64_PROMOTE_F32: case IR_F32_DEMOTE_F64:
	case IR_I32_TRUNC_F32_S: case IR_I32_TRUNC_F32_U:
	case IR_I32_TRUNC_F64_S: case IR_I32_TRUNC_F64_U:
	case IR_I64_TRUNC_F32_S: case IR_I64_TRUNC_F64_S:
	case IR_I64_TRUNC_F32_U: case IR_I64_TRUNC_F64_U:
	case IR_F32_CONVERT_I64_U: case IR_F64_CONVERT_I64_U:
	case IR_F32_MIN:
	case IR_F32_MAX:
	case IR_F64_MIN:
	case IR_F64_MAX:
	case IR_I32_TRUNC_SAT_F32_S:
	case IR_I32_TRUNC_SAT_F32_U:
	case IR_I32_TRUNC_SAT_F64_S:
	case IR_I32_TRUNC_SAT_F64_U:
	case IR_I64_TRUNC_SAT_F32_S:
	case IR_I64_TRUNC_SAT_F32_U:
	case IR_I64_TRUNC_SAT_F64_S:
	case IR_I64_TRUNC_SAT_F64_U:
		return true;
	case IR_F32_CEIL: case IR_F32_FLOOR: case IR_F32_TRUNC:
	case IR_F32_NEAREST: case IR_F64_CEIL: case IR_F64_FLOOR:
	case IR_F64_TRUNC: case IR_F64_NEAREST:
		return cpu_has(bit_SSE4_1);
	default:
		break;
	}
	if (op >= IR_F32_EQ && op <= IR_F64_GE)
		return true;
	if (op >= IR_I32_LOAD && op <= IR_I32_STORE8_ADDK)
		return true;
	return cmp_cc(op) >= 0 || alu_of(op, &a) ||
	       (op >= IR_I32_ADD_IMM && op <= IR_I64_XOR_K64);
}

#else /* no backend for this machine: everything interprets */

uintptr_t wm_jit_arch_fault_pc(const void *ucontext)
{
	(void)ucontext;
	return 0;
}

void wm_jit_arch_resume_at_trap(void *ucontext, uintptr_t landing,
				uint32_t funcidx, uint32_t pos)
{
	(void)ucontext, (void)landing, (void)funcidx, (void)pos;
}

bool wm_jit_arch_supports(enum ir_op op)
{
	(void)op;
	return false;
}

void *wm_jit_arch_lazy_stub(void)
{
	return NULL;
}

uint32_t wm_jit_arch_features(void)
{
	return 0;
}

int wm_jit_arch_emit(struct wm_jit_unit *u)
{
	(void)u;
	return -1;
}

#endif
