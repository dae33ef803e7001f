/* jit_x64_float.c — x86-64 backend (jit_x64.h): f32 and f64 ops on SSE2
 * (rounding on SSE4.1): arithmetic, compares, min/max, copysign, and the
 * conversions, with the interpreter's traps and saturation for
 * truncations.
 */
#include "jit_x64.h"

#if defined(__x86_64__) && defined(__linux__)

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
			x64_setcc_store(e, k == 2 || k == 3 ? CC_A : CC_AE, w[0]);
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

/* A float op; false for the others. */
bool x64_emit_float(struct em *e, enum ir_op op)
{
	return emit_float_binary(e, op) || emit_float_unary(e, op);
}

#endif
