/* validate.c — validation of a decoded module against the WebAssembly 2.0
 * core spec (without SIMD).
 *
 * Owns the module-level rules (index spaces, limits, constant expressions,
 * segments, exports, start) and the type checking of every function body
 * with the spec's operand-stack and control-stack algorithm. The stacks live
 * in one struct reused across all functions of a module, so checking a body
 * allocates nothing once they have grown to size.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

/* clang-format off */
#define T_UNKNOWN 0 /* the bottom of a polymorphic (unreachable) stack */
#define I32 WASM_I32
#define I64 WASM_I64
#define F32 WASM_F32
#define F64 WASM_F64

/* ---- opcode tables ------------------------------------------------------ */

/* Operand and result types of the instructions that only compute:
 * `a` is popped last (deeper), `b` first; 0 means absent. */
struct numop {
	uint8_t a, b, r;
};

#define CMP(t) {t, t, I32}
#define UN(t) {t, 0, t}
#define BIN(t) {t, t, t}
#define CVT(from, to) {from, 0, to}

static const struct numop numops[256] = {
	[0x45] = CVT(I32, I32),
	[0x46 ... 0x4f] = CMP(I32),
	[0x50] = CVT(I64, I32),
	[0x51 ... 0x5a] = CMP(I64),
	[0x5b ... 0x60] = CMP(F32),
	[0x61 ... 0x66] = CMP(F64),
	[0x67 ... 0x69] = UN(I32),
	[0x6a ... 0x78] = BIN(I32),
	[0x79 ... 0x7b] = UN(I64),
	[0x7c ... 0x8a] = BIN(I64),
	[0x8b ... 0x91] = UN(F32),
	[0x92 ... 0x98] = BIN(F32),
	[0x99 ... 0x9f] = UN(F64),
	[0xa0 ... 0xa6] = BIN(F64),
	[0xa7] = CVT(I64, I32),
	[0xa8 ... 0xa9] = CVT(F32, I32),
	[0xaa ... 0xab] = CVT(F64, I32),
	[0xac ... 0xad] = CVT(I32, I64),
	[0xae ... 0xaf] = CVT(F32, I64),
	[0xb0 ... 0xb1] = CVT(F64, I64),
	[0xb2 ... 0xb3] = CVT(I32, F32),
	[0xb4 ... 0xb5] = CVT(I64, F32),
	[0xb6] = CVT(F64, F32),
	[0xb7 ... 0xb8] = CVT(I32, F64),
	[0xb9 ... 0xba] = CVT(I64, F64),
	[0xbb] = CVT(F32, F64),
	[0xbc] = CVT(F32, I32),
	[0xbd] = CVT(F64, I64),
	[0xbe] = CVT(I32, F32),
	[0xbf] = CVT(I64, F64),
	[0xc0 ... 0xc1] = UN(I32),
	[0xc2 ... 0xc4] = UN(I64),
};

/* 0xfc 0..7, the saturating conversions. */
static const struct numop satops[8] = {
	CVT(F32, I32), CVT(F32, I32), CVT(F64, I32), CVT(F64, I32),
	CVT(F32, I64), CVT(F32, I64), CVT(F64, I64), CVT(F64, I64),
};

/* Loads 0x28..0x35 and stores 0x36..0x3e: value type and log2 of width. */
static const struct {
	uint8_t type, align;
} memops[0x3f - 0x28] = {
	{I32, 2}, {I64, 3}, {F32, 2}, {F64, 3}, {I32, 0}, {I32, 0}, {I32, 1},
	{I32, 1}, {I64, 0}, {I64, 0}, {I64, 1}, {I64, 1}, {I64, 2}, {I64, 2},
	{I32, 2}, {I64, 3}, {F32, 2}, {F64, 3}, {I32, 0}, {I32, 1}, {I64, 0},
	{I64, 1}, {I64, 2},
};

/* Opcode byte, then its name and NUL: one string rather than 256
 * pointers (names are for error messages only). */
static const char opnames[] =
	"\x00" "unreachable\0" "\x01" "nop\0" "\x02" "block\0" "\x03" "loop\0"
	"\x04" "if\0" "\x05" "else\0" "\x0b" "end\0" "\x0c" "br\0" "\x0d" "br_if\0"
	"\x0e" "br_table\0" "\x0f" "return\0" "\x10" "call\0"
	"\x11" "call_indirect\0" "\x1a" "drop\0" "\x1b" "select\0" "\x1c" "select\0"
	"\x20" "local.get\0" "\x21" "local.set\0" "\x22" "local.tee\0"
	"\x23" "global.get\0" "\x24" "global.set\0" "\x25" "table.get\0"
	"\x26" "table.set\0" "\x28" "i32.load\0" "\x29" "i64.load\0"
	"\x2a" "f32.load\0" "\x2b" "f64.load\0" "\x2c" "i32.load8_s\0"
	"\x2d" "i32.load8_u\0" "\x2e" "i32.load16_s\0" "\x2f" "i32.load16_u\0"
	"\x30" "i64.load8_s\0" "\x31" "i64.load8_u\0" "\x32" "i64.load16_s\0"
	"\x33" "i64.load16_u\0" "\x34" "i64.load32_s\0" "\x35" "i64.load32_u\0"
	"\x36" "i32.store\0" "\x37" "i64.store\0" "\x38" "f32.store\0"
	"\x39" "f64.store\0" "\x3a" "i32.store8\0" "\x3b" "i32.store16\0"
	"\x3c" "i64.store8\0" "\x3d" "i64.store16\0" "\x3e" "i64.store32\0"
	"\x3f" "memory.size\0" "\x40" "memory.grow\0" "\x41" "i32.const\0"
	"\x42" "i64.const\0" "\x43" "f32.const\0" "\x44" "f64.const\0"
	"\x45" "i32.eqz\0" "\x46" "i32.eq\0" "\x47" "i32.ne\0" "\x48" "i32.lt_s\0"
	"\x49" "i32.lt_u\0" "\x4a" "i32.gt_s\0" "\x4b" "i32.gt_u\0"
	"\x4c" "i32.le_s\0" "\x4d" "i32.le_u\0" "\x4e" "i32.ge_s\0"
	"\x4f" "i32.ge_u\0" "\x50" "i64.eqz\0" "\x51" "i64.eq\0" "\x52" "i64.ne\0"
	"\x53" "i64.lt_s\0" "\x54" "i64.lt_u\0" "\x55" "i64.gt_s\0"
	"\x56" "i64.gt_u\0" "\x57" "i64.le_s\0" "\x58" "i64.le_u\0"
	"\x59" "i64.ge_s\0" "\x5a" "i64.ge_u\0" "\x5b" "f32.eq\0" "\x5c" "f32.ne\0"
	"\x5d" "f32.lt\0" "\x5e" "f32.gt\0" "\x5f" "f32.le\0" "\x60" "f32.ge\0"
	"\x61" "f64.eq\0" "\x62" "f64.ne\0" "\x63" "f64.lt\0" "\x64" "f64.gt\0"
	"\x65" "f64.le\0" "\x66" "f64.ge\0" "\x67" "i32.clz\0" "\x68" "i32.ctz\0"
	"\x69" "i32.popcnt\0" "\x6a" "i32.add\0" "\x6b" "i32.sub\0"
	"\x6c" "i32.mul\0" "\x6d" "i32.div_s\0" "\x6e" "i32.div_u\0"
	"\x6f" "i32.rem_s\0" "\x70" "i32.rem_u\0" "\x71" "i32.and\0"
	"\x72" "i32.or\0" "\x73" "i32.xor\0" "\x74" "i32.shl\0" "\x75" "i32.shr_s\0"
	"\x76" "i32.shr_u\0" "\x77" "i32.rotl\0" "\x78" "i32.rotr\0"
	"\x79" "i64.clz\0" "\x7a" "i64.ctz\0" "\x7b" "i64.popcnt\0"
	"\x7c" "i64.add\0" "\x7d" "i64.sub\0" "\x7e" "i64.mul\0"
	"\x7f" "i64.div_s\0" "\x80" "i64.div_u\0" "\x81" "i64.rem_s\0"
	"\x82" "i64.rem_u\0" "\x83" "i64.and\0" "\x84" "i64.or\0" "\x85" "i64.xor\0"
	"\x86" "i64.shl\0" "\x87" "i64.shr_s\0" "\x88" "i64.shr_u\0"
	"\x89" "i64.rotl\0" "\x8a" "i64.rotr\0" "\x8b" "f32.abs\0"
	"\x8c" "f32.neg\0" "\x8d" "f32.ceil\0" "\x8e" "f32.floor\0"
	"\x8f" "f32.trunc\0" "\x90" "f32.nearest\0" "\x91" "f32.sqrt\0"
	"\x92" "f32.add\0" "\x93" "f32.sub\0" "\x94" "f32.mul\0" "\x95" "f32.div\0"
	"\x96" "f32.min\0" "\x97" "f32.max\0" "\x98" "f32.copysign\0"
	"\x99" "f64.abs\0" "\x9a" "f64.neg\0" "\x9b" "f64.ceil\0"
	"\x9c" "f64.floor\0" "\x9d" "f64.trunc\0" "\x9e" "f64.nearest\0"
	"\x9f" "f64.sqrt\0" "\xa0" "f64.add\0" "\xa1" "f64.sub\0" "\xa2" "f64.mul\0"
	"\xa3" "f64.div\0" "\xa4" "f64.min\0" "\xa5" "f64.max\0"
	"\xa6" "f64.copysign\0" "\xa7" "i32.wrap_i64\0" "\xa8" "i32.trunc_f32_s\0"
	"\xa9" "i32.trunc_f32_u\0" "\xaa" "i32.trunc_f64_s\0"
	"\xab" "i32.trunc_f64_u\0" "\xac" "i64.extend_i32_s\0"
	"\xad" "i64.extend_i32_u\0" "\xae" "i64.trunc_f32_s\0"
	"\xaf" "i64.trunc_f32_u\0" "\xb0" "i64.trunc_f64_s\0"
	"\xb1" "i64.trunc_f64_u\0" "\xb2" "f32.convert_i32_s\0"
	"\xb3" "f32.convert_i32_u\0" "\xb4" "f32.convert_i64_s\0"
	"\xb5" "f32.convert_i64_u\0" "\xb6" "f32.demote_f64\0"
	"\xb7" "f64.convert_i32_s\0" "\xb8" "f64.convert_i32_u\0"
	"\xb9" "f64.convert_i64_s\0" "\xba" "f64.convert_i64_u\0"
	"\xbb" "f64.promote_f32\0" "\xbc" "i32.reinterpret_f32\0"
	"\xbd" "i64.reinterpret_f64\0" "\xbe" "f32.reinterpret_i32\0"
	"\xbf" "f64.reinterpret_i64\0" "\xc0" "i32.extend8_s\0"
	"\xc1" "i32.extend16_s\0" "\xc2" "i64.extend8_s\0" "\xc3" "i64.extend16_s\0"
	"\xc4" "i64.extend32_s\0" "\xd0" "ref.null\0" "\xd1" "ref.is_null\0"
	"\xd2" "ref.func\0";

static const char *const fcnames[18] = {
	"i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s",
	"i32.trunc_sat_f64_u", "i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u",
	"i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u", "memory.init",
	"data.drop",	       "memory.copy",	      "memory.fill",
	"table.init",	       "elem.drop",	      "table.copy",
	"table.grow",	       "table.size",	      "table.fill",
};

/* Block types of one value point here, so frames need no storage. */
static const uint8_t single_type[256] = {
	[I32] = I32,		   [I64] = I64,		      [F32] = F32,
	[F64] = F64,		   [WASM_FUNCREF] = WASM_FUNCREF,
	[WASM_EXTERNREF] = WASM_EXTERNREF,
};

/* clang-format on */

/* ---- state -------------------------------------------------------------- */

struct ctrl {
	uint8_t op; /* 0 function, 0x02 block, 0x03 loop, 0x04 if, 0x05 else */
	bool unreachable;
	uint32_t height;
	const uint8_t *params;
	const uint8_t *results;
	uint32_t nparams;
	uint32_t nresults;
};

struct vstate {
	const struct wm_module *m;
	struct wasm_error *err;
	uint32_t func;	       /* index in the function index space */
	const uint8_t *p;      /* cursor in the body */
	const uint8_t *end;    /* end of the body */
	const uint8_t *op_at;  /* current instruction, for messages */
	uint32_t op;	       /* current opcode; 0xfc00 | sub for prefixed */
	const uint8_t *params; /* of the current function */
	uint32_t nparams;
	const uint8_t *locals;
	uint32_t nlocals;
	const struct wm_functype *type;

	uint8_t *vals;
	uint32_t nvals, vals_cap;
	struct ctrl *ctrls;
	uint32_t nctrls, ctrls_cap;
	uint8_t *scratch; /* br_table's saved operands */
	uint32_t scratch_cap;
};

static const char *op_name(uint32_t op)
{
	if (op >= 0xfc00 && op - 0xfc00 < 18)
		return fcnames[op - 0xfc00];
	for (const char *p = opnames; p < opnames + sizeof(opnames) - 1;
	     p += strlen(p + 1) + 2)
		if ((uint8_t)*p == op)
			return p + 1;
	return NULL;
}

static void report(struct vstate *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report(struct vstate *v, const char *fmt, ...)
{
	const struct wm_module *m = v->m;
	const char *name = NULL;
	const char *opn = op_name(v->op);
	char *buf;
	size_t size;
	int n;
	va_list ap;

	if (!v->err)
		return;
	buf = v->err->msg;
	size = sizeof(v->err->msg);
	if (m->func_names && v->func < m->nfuncs)
		name = m->func_names[v->func];
	if (name)
		n = snprintf(buf, size, "func %u (%.80s) at 0x%zx: ", v->func,
			     name, (size_t)(v->op_at - m->bytes));
	else
		n = snprintf(buf, size, "func %u at 0x%zx: ", v->func,
			     (size_t)(v->op_at - m->bytes));
	if (n < 0 || (size_t)n >= size)
		return;
	va_start(ap, fmt);
	n += vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	if (opn && (size_t)n < size)
		snprintf(buf + n, size - n, " in %s", opn);
}

/* Macros so that the compiler sees every error path return non-zero. */
#define verr(v, ...) (report((v), __VA_ARGS__), -EINVAL)
#define mismatch(v)  verr((v), "type mismatch")

/* ---- immediates ---------------------------------------------------------- */

static int imm_error(struct vstate *v, unsigned maxlen)
{
	const uint8_t *q = v->p;

	while (q < v->end && (*q & 0x80))
		q++;
	if (q - v->p >= maxlen)
		return verr(v, "integer representation too long");
	if (q >= v->end)
		return verr(v, "unexpected end of section or function");
	return verr(v, "integer too large");
}

static inline int imm_u32(struct vstate *v, uint32_t *out)
{
	size_t n;

	if (v->p < v->end && *v->p < 0x80) {
		*out = *v->p++;
		return 0;
	}
	n = wm_read_u32(v->p, v->end, out);
	if (!n)
		return imm_error(v, 5);
	v->p += n;
	return 0;
}

static int imm_u8(struct vstate *v, uint8_t *out)
{
	if (v->p >= v->end)
		return verr(v, "unexpected end of section or function");
	*out = *v->p++;
	return 0;
}

/* memory.size and friends carry a reserved byte, not an LEB index. */
static int imm_zero(struct vstate *v)
{
	uint8_t b;
	int err = imm_u8(v, &b);

	if (err)
		return err;
	if (b != 0)
		return verr(v, "zero byte expected");
	return 0;
}

static int imm_skip(struct vstate *v, size_t n)
{
	if ((size_t)(v->end - v->p) < n)
		return verr(v, "unexpected end of section or function");
	v->p += n;
	return 0;
}

/* ---- operand and control stacks ----------------------------------------- */

static int grow(void **buf, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t n = *cap ? *cap : 64;
	void *p;

	while (n < need) {
		if (n > UINT32_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	p = realloc(*buf, (size_t)n * elem);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

static inline int push(struct vstate *v, uint8_t t)
{
	if (v->nvals == v->vals_cap &&
	    grow((void **)&v->vals, &v->vals_cap, v->nvals + 1, 1))
		return -ENOMEM;
	v->vals[v->nvals++] = t;
	return 0;
}

static inline int pop_any(struct vstate *v, uint8_t *out)
{
	const struct ctrl *c = &v->ctrls[v->nctrls - 1];

	if (v->nvals > c->height) {
		*out = v->vals[--v->nvals];
		return 0;
	}
	if (c->unreachable) {
		*out = T_UNKNOWN;
		return 0;
	}
	return mismatch(v);
}

static inline int pop(struct vstate *v, uint8_t want)
{
	uint8_t t = T_UNKNOWN;
	int err = pop_any(v, &t);

	if (err)
		return err;
	if (t != want && t != T_UNKNOWN && want != T_UNKNOWN)
		return mismatch(v);
	return 0;
}

static int pop_vals(struct vstate *v, const uint8_t *types, uint32_t n)
{
	while (n--) {
		int err = pop(v, types[n]);

		if (err)
			return err;
	}
	return 0;
}

static int push_vals(struct vstate *v, const uint8_t *types, uint32_t n)
{
	uint32_t i;

	if (v->nvals + (uint64_t)n > v->vals_cap &&
	    grow((void **)&v->vals, &v->vals_cap, v->nvals + n, 1))
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v->vals[v->nvals++] = types[i];
	return 0;
}

static int push_ctrl(struct vstate *v, uint8_t op, const uint8_t *params,
		     uint32_t nparams, const uint8_t *results,
		     uint32_t nresults)
{
	struct ctrl *c;

	if (v->nctrls == v->ctrls_cap &&
	    grow((void **)&v->ctrls, &v->ctrls_cap, v->nctrls + 1, sizeof(*c)))
		return -ENOMEM;
	c = &v->ctrls[v->nctrls++];
	c->op = op;
	c->unreachable = false;
	c->height = v->nvals;
	c->params = params;
	c->nparams = nparams;
	c->results = results;
	c->nresults = nresults;
	return push_vals(v, params, nparams);
}

static int pop_ctrl(struct vstate *v, struct ctrl *out)
{
	struct ctrl *c = &v->ctrls[v->nctrls - 1];
	int err = pop_vals(v, c->results, c->nresults);

	if (err)
		return err;
	if (v->nvals != c->height)
		return mismatch(v);
	*out = *c;
	v->nctrls--;
	return 0;
}

static void set_unreachable(struct vstate *v)
{
	struct ctrl *c = &v->ctrls[v->nctrls - 1];

	v->nvals = c->height;
	c->unreachable = true;
}

static void label_types(const struct ctrl *c, const uint8_t **types,
			uint32_t *n)
{
	if (c->op == 0x03) {
		*types = c->params;
		*n = c->nparams;
	} else {
		*types = c->results;
		*n = c->nresults;
	}
}

static int read_label(struct vstate *v, const struct ctrl **out)
{
	uint32_t l;
	int err = imm_u32(v, &l);

	if (err)
		return err;
	if (l >= v->nctrls)
		return verr(v, "unknown label %u", l);
	*out = &v->ctrls[v->nctrls - 1 - l];
	return 0;
}

/* ---- instructions -------------------------------------------------------- */

static bool is_ref(uint8_t t)
{
	return t == WASM_FUNCREF || t == WASM_EXTERNREF;
}

static bool is_valtype(uint8_t t)
{
	return t == I32 || t == I64 || t == F32 || t == F64 || is_ref(t);
}

static int read_blocktype(struct vstate *v, const uint8_t **params,
			  uint32_t *np, const uint8_t **results, uint32_t *nr)
{
	int64_t idx;
	size_t n;

	if (v->p >= v->end)
		return verr(v, "unexpected end of section or function");
	*params = *results = NULL;
	*np = *nr = 0;
	if (*v->p == 0x40) {
		v->p++;
		return 0;
	}
	if (is_valtype(*v->p)) {
		*results = &single_type[*v->p++];
		*nr = 1;
		return 0;
	}
	if (*v->p == WASM_V128)
		return verr(v, "SIMD (v128) is not supported");
	n = wm_read_s33(v->p, v->end, &idx);
	if (!n)
		return imm_error(v, 5);
	if (idx < 0)
		return verr(v, "malformed block type");
	v->p += n;
	if ((uint64_t)idx >= v->m->ntypes)
		return verr(v, "unknown type %lld", (long long)idx);
	*params = v->m->types[idx].params;
	*np = v->m->types[idx].nparams;
	*results = v->m->types[idx].results;
	*nr = v->m->types[idx].nresults;
	return 0;
}

static int op_block(struct vstate *v, uint8_t op)
{
	const uint8_t *params, *results;
	uint32_t np, nr;
	int err;

	err = read_blocktype(v, &params, &np, &results, &nr);
	if (!err && op == 0x04)
		err = pop(v, I32);
	if (!err)
		err = pop_vals(v, params, np);
	if (!err)
		err = push_ctrl(v, op, params, np, results, nr);
	return err;
}

static int op_else(struct vstate *v)
{
	struct ctrl c;
	int err;

	if (v->ctrls[v->nctrls - 1].op != 0x04)
		return verr(v, "else without matching if");
	err = pop_ctrl(v, &c);
	if (err)
		return err;
	return push_ctrl(v, 0x05, c.params, c.nparams, c.results, c.nresults);
}

static int op_end(struct vstate *v)
{
	struct ctrl c;
	int err = pop_ctrl(v, &c);

	if (err)
		return err;
	/* An if without else has an implicit empty else: [t*] -> [t*]. */
	if (c.op == 0x04 &&
	    (c.nparams != c.nresults ||
	     (c.nparams && memcmp(c.params, c.results, c.nparams))))
		return mismatch(v);
	return push_vals(v, c.results, c.nresults);
}

static int op_br(struct vstate *v, bool conditional)
{
	const struct ctrl *c;
	const uint8_t *types;
	uint32_t n;
	int err;

	err = read_label(v, &c);
	if (err)
		return err;
	label_types(c, &types, &n);
	if (conditional) {
		err = pop(v, I32);
		if (!err)
			err = pop_vals(v, types, n);
		return err ? err : push_vals(v, types, n);
	}
	err = pop_vals(v, types, n);
	if (!err)
		set_unreachable(v);
	return err;
}

/* Each target must accept what is on the stack; what was popped for one
 * (possibly unknown) is put back for the next. */
static int check_br_target(struct vstate *v, const struct ctrl *c,
			   uint32_t arity)
{
	const uint8_t *types;
	uint32_t n, i;
	int err;

	label_types(c, &types, &n);
	if (n != arity)
		return mismatch(v);
	if (n > v->scratch_cap &&
	    grow((void **)&v->scratch, &v->scratch_cap, n, 1))
		return -ENOMEM;
	for (i = n; i-- > 0;) {
		err = pop_any(v, &v->scratch[i]);
		if (err)
			return err;
		if (v->scratch[i] != types[i] && v->scratch[i] != T_UNKNOWN)
			return mismatch(v);
	}
	return push_vals(v, v->scratch, n);
}

/* Re-reads the `count` already-checked labels at `targets`. */
static int check_br_targets(struct vstate *v, const uint8_t *targets,
			    uint32_t count, uint32_t arity)
{
	const uint8_t *after = v->p;
	uint32_t i;
	int err = 0;

	v->p = targets;
	for (i = 0; !err && i < count; i++) {
		const struct ctrl *c;

		err = read_label(v, &c);
		if (!err)
			err = check_br_target(v, c, arity);
	}
	v->p = after;
	return err;
}

static int op_br_table(struct vstate *v)
{
	const uint8_t *targets, *types;
	const struct ctrl *c;
	uint32_t count, i, arity;
	int err;

	err = imm_u32(v, &count);
	if (err)
		return err;
	if (count > (size_t)(v->end - v->p))
		return verr(v, "unexpected end of section or function");
	/* The default label fixes the arity, so it is found first. */
	targets = v->p;
	for (i = 0; i < count; i++) {
		err = read_label(v, &c);
		if (err)
			return err;
	}
	err = read_label(v, &c);
	if (!err)
		err = pop(v, I32);
	if (err)
		return err;
	label_types(c, &types, &arity);
	err = check_br_targets(v, targets, count, arity);
	if (!err)
		err = pop_vals(v, types, arity);
	if (!err)
		set_unreachable(v);
	return err;
}

static int call_type(struct vstate *v, const struct wm_functype *t)
{
	int err = pop_vals(v, t->params, t->nparams);

	return err ? err : push_vals(v, t->results, t->nresults);
}

static int op_call(struct vstate *v)
{
	const struct wm_module *m = v->m;
	uint32_t f;
	int err = imm_u32(v, &f);

	if (err)
		return err;
	if (f >= m->nfuncs)
		return verr(v, "unknown function %u", f);
	return call_type(v, &m->types[m->func_typeidx[f]]);
}

static int op_call_indirect(struct vstate *v)
{
	const struct wm_module *m = v->m;
	uint32_t typeidx, table;
	int err;

	err = imm_u32(v, &typeidx);
	if (!err)
		err = imm_u32(v, &table);
	if (err)
		return err;
	if (table >= m->ntables)
		return verr(v, "unknown table %u", table);
	if (m->tables[table].elem != WASM_FUNCREF)
		return verr(v, "type mismatch (table %u is not funcref)",
			    table);
	if (typeidx >= m->ntypes)
		return verr(v, "unknown type %u", typeidx);
	err = pop(v, I32);
	return err ? err : call_type(v, &m->types[typeidx]);
}

static int op_select(struct vstate *v)
{
	uint8_t t1 = T_UNKNOWN, t2 = T_UNKNOWN;
	int err;

	err = pop(v, I32);
	if (!err)
		err = pop_any(v, &t1);
	if (!err)
		err = pop_any(v, &t2);
	if (err)
		return err;
	/* Untyped select is for numeric operands only. */
	if (is_ref(t1) || is_ref(t2))
		return mismatch(v);
	if (t1 != t2 && t1 != T_UNKNOWN && t2 != T_UNKNOWN)
		return mismatch(v);
	return push(v, t1 == T_UNKNOWN ? t2 : t1);
}

static int op_select_typed(struct vstate *v)
{
	uint32_t n;
	uint8_t t;
	int err;

	err = imm_u32(v, &n);
	if (err)
		return err;
	if (n != 1)
		return verr(v, "invalid result arity");
	err = imm_u8(v, &t);
	if (err)
		return err;
	if (t == WASM_V128)
		return verr(v, "SIMD (v128) is not supported");
	if (!is_valtype(t))
		return verr(v, "malformed value type 0x%02x", t);
	err = pop(v, I32);
	if (!err)
		err = pop(v, t);
	if (!err)
		err = pop(v, t);
	return err ? err : push(v, t);
}

static int local_type(struct vstate *v, uint8_t *t)
{
	uint32_t x;
	int err = imm_u32(v, &x);

	if (err)
		return err;
	if (x < v->nparams)
		*t = v->params[x];
	else if (x - v->nparams < v->nlocals)
		*t = v->locals[x - v->nparams];
	else
		return verr(v, "unknown local %u", x);
	return 0;
}

static int op_local(struct vstate *v, uint8_t op)
{
	uint8_t t;
	int err = local_type(v, &t);

	if (err)
		return err;
	if (op == 0x20)
		return push(v, t);
	err = pop(v, t);
	if (!err && op == 0x22)
		err = push(v, t);
	return err;
}

static int op_global(struct vstate *v, uint8_t op)
{
	const struct wm_module *m = v->m;
	uint32_t x;
	int err = imm_u32(v, &x);

	if (err)
		return err;
	if (x >= m->nglobals)
		return verr(v, "unknown global %u", x);
	if (op == 0x23)
		return push(v, m->global_types[x].type);
	if (!m->global_types[x].mut)
		return verr(v, "global is immutable");
	return pop(v, m->global_types[x].type);
}

static int read_table(struct vstate *v, uint32_t *x)
{
	int err = imm_u32(v, x);

	if (err)
		return err;
	if (*x >= v->m->ntables)
		return verr(v, "unknown table %u", *x);
	return 0;
}

static int op_table_getset(struct vstate *v, uint8_t op)
{
	uint32_t x;
	uint8_t t;
	int err = read_table(v, &x);

	if (err)
		return err;
	t = v->m->tables[x].elem;
	if (op == 0x25) {
		err = pop(v, I32);
		return err ? err : push(v, t);
	}
	err = pop(v, t);
	return err ? err : pop(v, I32);
}

static int need_memory(struct vstate *v)
{
	if (v->m->nmems == 0)
		return verr(v, "unknown memory 0");
	return 0;
}

static int op_mem(struct vstate *v, uint8_t op)
{
	uint8_t type = memops[op - 0x28].type;
	uint32_t align, offset;
	int err;

	err = imm_u32(v, &align);
	if (!err)
		err = imm_u32(v, &offset);
	if (!err)
		err = need_memory(v);
	if (err)
		return err;
	if (align > memops[op - 0x28].align)
		return verr(v, "alignment must not be larger than natural");
	if (op <= 0x35) {
		err = pop(v, I32);
		return err ? err : push(v, type);
	}
	err = pop(v, type);
	return err ? err : pop(v, I32);
}

static int op_memory_size_grow(struct vstate *v, uint8_t op)
{
	int err = imm_zero(v);

	if (!err)
		err = need_memory(v);
	if (!err && op == 0x40)
		err = pop(v, I32);
	return err ? err : push(v, I32);
}

static int op_const(struct vstate *v, uint8_t op)
{
	size_t n;

	switch (op) {
	case 0x41: {
		int32_t x;

		n = wm_read_s32(v->p, v->end, &x);
		break;
	}
	case 0x42: {
		int64_t x;

		n = wm_read_s64(v->p, v->end, &x);
		break;
	}
	case 0x43:
		return imm_skip(v, 4) ? -EINVAL : push(v, F32);
	default:
		return imm_skip(v, 8) ? -EINVAL : push(v, F64);
	}
	if (!n)
		return imm_error(v, op == 0x41 ? 5 : 10);
	v->p += n;
	return push(v, op == 0x41 ? I32 : I64);
}

static int op_ref(struct vstate *v, uint8_t op)
{
	const struct wm_module *m = v->m;
	uint32_t x;
	uint8_t t;
	int err;

	switch (op) {
	case 0xd0:
		err = imm_u8(v, &t);
		if (err)
			return err;
		if (!is_ref(t))
			return verr(v, "malformed reference type");
		return push(v, t);
	case 0xd1:
		err = pop_any(v, &t);
		if (err)
			return err;
		if (t != T_UNKNOWN && !is_ref(t))
			return mismatch(v);
		return push(v, I32);
	default:
		err = imm_u32(v, &x);
		if (err)
			return err;
		if (x >= m->nfuncs)
			return verr(v, "unknown function %u", x);
		if (!m->func_declared[x])
			return verr(v, "undeclared function reference");
		return push(v, WASM_FUNCREF);
	}
}

static int pop_3_i32(struct vstate *v)
{
	int err = pop(v, I32);

	if (!err)
		err = pop(v, I32);
	return err ? err : pop(v, I32);
}

/* Without a data count section the index is checked against the data
 * section for the message's sake, and then refused anyway. */
static int read_data_index(struct vstate *v)
{
	const struct wm_module *m = v->m;
	uint32_t x, limit = m->has_datacount ? m->datacount : m->ndatas;
	int err = imm_u32(v, &x);

	if (err)
		return err;
	if (x >= limit)
		return verr(v, "unknown data segment %u", x);
	if (!m->has_datacount)
		return verr(v, "data count section required");
	return 0;
}

static int read_elem_index(struct vstate *v, uint32_t *x)
{
	int err = imm_u32(v, x);

	if (err)
		return err;
	if (*x >= v->m->nelems)
		return verr(v, "unknown elem segment %u", *x);
	return 0;
}

static int op_memory_bulk(struct vstate *v, uint32_t sub)
{
	int err = 0;

	switch (sub) {
	case 8:
		err = need_memory(v);
		if (!err)
			err = read_data_index(v);
		if (!err)
			err = imm_zero(v);
		break;
	case 9:
		return read_data_index(v);
	case 10:
		err = imm_zero(v);
		if (!err)
			err = imm_zero(v);
		break;
	default:
		err = imm_zero(v);
		break;
	}
	if (!err)
		err = need_memory(v);
	return err ? err : pop_3_i32(v);
}

static int op_table_bulk(struct vstate *v, uint32_t sub)
{
	const struct wm_module *m = v->m;
	uint32_t x, y;
	int err;

	switch (sub) {
	case 12:
		err = imm_u32(v, &y);
		if (!err)
			err = read_table(v, &x);
		if (!err && y >= m->nelems)
			err = verr(v, "unknown elem segment %u", y);
		if (err)
			return err;
		if (m->tables[x].elem != m->elems[y].type)
			return mismatch(v);
		return pop_3_i32(v);
	case 13:
		return read_elem_index(v, &y);
	case 14:
		err = read_table(v, &x);
		if (!err)
			err = read_table(v, &y);
		if (err)
			return err;
		if (m->tables[x].elem != m->tables[y].elem)
			return mismatch(v);
		return pop_3_i32(v);
	}
	err = read_table(v, &x);
	if (err)
		return err;
	switch (sub) {
	case 15: /* table.grow: init value, delta -> old size */
		err = pop(v, I32);
		if (!err)
			err = pop(v, m->tables[x].elem);
		return err ? err : push(v, I32);
	case 16:
		return push(v, I32);
	default: /* table.fill: index, value, count */
		err = pop(v, I32);
		if (!err)
			err = pop(v, m->tables[x].elem);
		return err ? err : pop(v, I32);
	}
}

static int op_numeric(struct vstate *v, const struct numop *o)
{
	int err = 0;

	if (o->b)
		err = pop(v, o->b);
	if (!err)
		err = pop(v, o->a);
	return err ? err : push(v, o->r);
}

static int op_prefixed(struct vstate *v)
{
	uint32_t sub;
	int err = imm_u32(v, &sub);

	if (err)
		return err;
	v->op = sub <= 17 ? 0xfc00 | sub : 0xfc;
	if (sub < 8)
		return op_numeric(v, &satops[sub]);
	if (sub <= 11)
		return op_memory_bulk(v, sub);
	if (sub <= 17)
		return op_table_bulk(v, sub);
	return verr(v, "illegal opcode 0xfc %u", sub);
}

static int validate_op(struct vstate *v, uint8_t op)
{
	switch (op) {
	case 0x00:
		set_unreachable(v);
		return 0;
	case 0x01:
		return 0;
	case 0x02:
	case 0x03:
	case 0x04:
		return op_block(v, op);
	case 0x05:
		return op_else(v);
	case 0x0b:
		return op_end(v);
	case 0x0c:
		return op_br(v, false);
	case 0x0d:
		return op_br(v, true);
	case 0x0e:
		return op_br_table(v);
	case 0x0f: {
		int err = pop_vals(v, v->type->results, v->type->nresults);

		if (!err)
			set_unreachable(v);
		return err;
	}
	case 0x10:
		return op_call(v);
	case 0x11:
		return op_call_indirect(v);
	case 0x1a: {
		uint8_t t;

		return pop_any(v, &t);
	}
	case 0x1b:
		return op_select(v);
	case 0x1c:
		return op_select_typed(v);
	case 0x20:
	case 0x21:
	case 0x22:
		return op_local(v, op);
	case 0x23:
	case 0x24:
		return op_global(v, op);
	case 0x25:
	case 0x26:
		return op_table_getset(v, op);
	case 0x28 ... 0x3e:
		return op_mem(v, op);
	case 0x3f:
	case 0x40:
		return op_memory_size_grow(v, op);
	case 0x41 ... 0x44:
		return op_const(v, op);
	case 0x45 ... 0xc4:
		return op_numeric(v, &numops[op]);
	case 0xd0 ... 0xd2:
		return op_ref(v, op);
	case 0xfc:
		return op_prefixed(v);
	case 0xfd:
		return verr(v, "SIMD (0xfd prefix) is not supported");
	default:
		return verr(v, "illegal opcode 0x%02x", op);
	}
}

static int validate_body(struct vstate *v, uint32_t defidx)
{
	const struct wm_module *m = v->m;
	const struct wm_func *f = &m->funcs[defidx];
	const struct wm_functype *t = &m->types[f->typeidx];
	int err;

	v->func = m->nimported_funcs + defidx;
	v->type = t;
	v->params = t->params;
	v->nparams = t->nparams;
	v->locals = f->local_types;
	v->nlocals = f->nlocals;
	v->p = f->body;
	v->end = f->body + f->body_len;
	v->op_at = v->p;
	v->op = 0x100; /* no instruction yet: no name in messages */
	v->nvals = 0;
	v->nctrls = 0;
	if (t->nparams + (uint64_t)f->nlocals > UINT32_MAX)
		return verr(v, "too many locals");
	err = push_ctrl(v, 0, NULL, 0, t->results, t->nresults);
	while (!err && v->nctrls) {
		uint8_t op;

		if (v->p >= v->end) {
			v->op = 0x100;
			return verr(v, "unexpected end of section or function "
				       "(END opcode expected)");
		}
		v->op_at = v->p;
		op = *v->p++;
		v->op = op;
		err = validate_op(v, op);
	}
	if (!err && v->p != v->end)
		return verr(v, "operators remaining after end of function "
			       "(section size mismatch)");
	return err;
}

/* ---- module level -------------------------------------------------------- */

static void mreport(struct wasm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void mreport(struct wasm_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
}

#define merr(err, ...) (mreport((err), __VA_ARGS__), -EINVAL)

/* Wasm 2.0 lets constant expressions read imported globals only (the
 * spec's context C'), in initialisers and segments alike. */
static int check_const(const struct wm_module *m, const struct wm_const *c,
		       uint8_t want, const char *what, uint32_t idx,
		       struct wasm_error *err)
{
	uint32_t nglobals = m->nimported_globals;
	uint8_t type = c->type;

	switch (c->op) {
	case WM_CONST_GLOBAL_GET:
		if (c->index >= nglobals)
			return merr(err, "%s %u: unknown global %u", what, idx,
				    c->index);
		if (m->global_types[c->index].mut)
			return merr(err,
				    "%s %u: constant expression required "
				    "(global %u is mutable)",
				    what, idx, c->index);
		type = m->global_types[c->index].type;
		break;
	case WM_CONST_REF_FUNC:
		if (c->index >= m->nfuncs)
			return merr(err, "%s %u: unknown function %u", what,
				    idx, c->index);
		break;
	}
	if (type != want)
		return merr(err, "%s %u: type mismatch in constant expression",
			    what, idx);
	return 0;
}

static int check_limits(const struct wm_limits *l, uint32_t bound,
			const char *what, uint32_t idx, struct wasm_error *err)
{
	if (l->min > bound || (l->has_max && l->max > bound))
		return merr(err,
			    "%s %u: memory size must be at most 65536 "
			    "pages (4GiB)",
			    what, idx);
	if (l->has_max && l->min > l->max)
		return merr(err,
			    "%s %u: size minimum must not be greater "
			    "than maximum",
			    what, idx);
	return 0;
}

static int check_types_and_limits(const struct wm_module *m,
				  struct wasm_error *err)
{
	uint32_t i;
	int ret;

	for (i = 0; i < m->nfuncs; i++)
		if (m->func_typeidx[i] >= m->ntypes)
			return merr(err, "func %u: unknown type %u", i,
				    m->func_typeidx[i]);
	for (i = 0; i < m->ntables; i++) {
		ret = check_limits(&m->tables[i].lim, UINT32_MAX, "table", i,
				   err);
		if (ret)
			return ret;
	}
	if (m->nmems > 1)
		return merr(err, "multiple memories");
	for (i = 0; i < m->nmems; i++) {
		ret = check_limits(&m->mems[i], WM_MAX_PAGES, "memory", i, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_globals(const struct wm_module *m, struct wasm_error *err)
{
	uint32_t i;

	for (i = 0; i < m->nglobals - m->nimported_globals; i++) {
		const struct wm_global *g = &m->globals[i];
		int ret = check_const(m, &g->init, g->type.type, "global",
				      m->nimported_globals + i, err);

		if (ret)
			return ret;
	}
	return 0;
}

static int check_elems(const struct wm_module *m, struct wasm_error *err)
{
	uint32_t i, k;
	int ret;

	for (i = 0; i < m->nelems; i++) {
		const struct wm_elem *e = &m->elems[i];

		for (k = 0; k < e->count; k++) {
			ret = check_const(m, &e->items[k], e->type, "elem", i,
					  err);
			if (ret)
				return ret;
		}
		if (e->mode != WM_SEG_ACTIVE)
			continue;
		if (e->table >= m->ntables)
			return merr(err, "elem %u: unknown table %u", i,
				    e->table);
		if (m->tables[e->table].elem != e->type)
			return merr(err, "elem %u: type mismatch (table %u)", i,
				    e->table);
		ret = check_const(m, &e->offset, I32, "elem", i, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_datas(const struct wm_module *m, struct wasm_error *err)
{
	uint32_t i;

	for (i = 0; i < m->ndatas; i++) {
		const struct wm_data *d = &m->datas[i];
		int ret;

		if (d->mode != WM_SEG_ACTIVE)
			continue;
		if (d->memory >= m->nmems)
			return merr(err, "data %u: unknown memory %u", i,
				    d->memory);
		ret = check_const(m, &d->offset, I32, "data", i, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_start(const struct wm_module *m, struct wasm_error *err)
{
	const struct wm_functype *t;

	if (!m->has_start)
		return 0;
	if (m->start >= m->nfuncs)
		return merr(err, "start: unknown function %u", m->start);
	t = &m->types[m->func_typeidx[m->start]];
	if (t->nparams || t->nresults)
		return merr(err,
			    "start function %u: type mismatch (start "
			    "function must have type [] -> [])",
			    m->start);
	return 0;
}

static int cmp_export_names(const void *a, const void *b)
{
	const struct wm_export *x = *(const struct wm_export *const *)a;
	const struct wm_export *y = *(const struct wm_export *const *)b;
	uint32_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int check_export_index(const struct wm_module *m,
			      const struct wm_export *e, struct wasm_error *err)
{
	static const char *const kinds[] = {"function", "table", "memory",
					    "global"};
	uint32_t limit[] = {m->nfuncs, m->ntables, m->nmems, m->nglobals};

	if (e->index >= limit[e->kind])
		return merr(err, "export \"%.60s\": unknown %s %u", e->name,
			    kinds[e->kind], e->index);
	return 0;
}

static int check_exports(const struct wm_module *m, struct wasm_error *err)
{
	const struct wm_export **sorted;
	uint32_t i;
	int ret = 0;

	for (i = 0; i < m->nexports; i++) {
		ret = check_export_index(m, &m->exports[i], err);
		if (ret)
			return ret;
	}
	if (m->nexports < 2)
		return 0;
	sorted = malloc(m->nexports * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (i = 0; i < m->nexports; i++)
		sorted[i] = &m->exports[i];
	qsort(sorted, m->nexports, sizeof(*sorted), cmp_export_names);
	for (i = 1; i < m->nexports && !ret; i++)
		if (!cmp_export_names(&sorted[i - 1], &sorted[i]))
			ret = merr(err,
				   "export \"%.60s\": duplicate export "
				   "name",
				   sorted[i]->name);
	free(sorted);
	return ret;
}

static int check_module(const struct wm_module *m, struct wasm_error *err)
{
	int ret = check_types_and_limits(m, err);

	if (!ret)
		ret = check_globals(m, err);
	if (!ret)
		ret = check_elems(m, err);
	if (!ret)
		ret = check_datas(m, err);
	if (!ret)
		ret = check_start(m, err);
	if (!ret)
		ret = check_exports(m, err);
	return ret;
}

int wm_validate(const struct wm_module *m, struct wasm_error *err)
{
	struct vstate v = {.m = m, .err = err};
	uint32_t i;
	int ret;

	if (err)
		err->msg[0] = '\0';
	ret = check_module(m, err);
	for (i = 0; !ret && i < m->nfuncs - m->nimported_funcs; i++)
		ret = validate_body(&v, i);
	if (ret == -ENOMEM && err)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	free(v.vals);
	free(v.ctrls);
	free(v.scratch);
	return ret;
}
