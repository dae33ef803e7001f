/* ubpf_verify.c — the verifier of the userspace backend: an abstract
 * interpretation of every path through a program, tracking for each
 * register (and each 8-byte stack slot a register was spilled to) what it
 * holds: nothing, a scalar in an unsigned range, or a pointer to the
 * context, a stack frame, a map value, a ring record or a map, with its
 * offset range. A memory access is accepted only when the pointer's kind
 * and range prove it inside its object; a map value from a lookup must be
 * compared with NULL first; a ring record must be submitted or discarded
 * on every path. Paths are followed one by one without merging, so a loop
 * is accepted only when the verifier can count it out within its budget
 * of instructions: every path it accepts ends. When in doubt it refuses,
 * with "insn N: why".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpf/user/ubpf_int.h"

#define BUDGET	    1000000 /* instructions checked over all paths */
#define MAX_PENDING 1024    /* branches waiting to be checked */
#define MAX_REFS    16
#define OFF_LIMIT   (1ll << 30)
#define U32MAX	    0xffffffffull
#define SLOTS	    (UBPF_STACK_SIZE / 8)

enum rtype {
	T_NONE,
	T_SCALAR,
	T_CTX,
	T_STACK,
	T_VALUE,
	T_VALUE_OR_NULL,
	T_MAP,
	T_MEM,
	T_MEM_OR_NULL
};

static const char *tname[] = {
    "uninitialized", "scalar",	    "ctx",
    "stack pointer", "map value",   "map value or NULL",
    "map pointer",   "ring record", "ring record or NULL"};

struct reg {
	uint8_t type;
	uint8_t frame;	/* T_STACK: which frame */
	bool unbounded; /* pointer offset unknown */
	uint32_t map;	/* T_VALUE*, T_MAP: index in prog->maps */
	uint32_t
	    id; /* *_OR_NULL: identity for the NULL check; T_MEM: reference */
	uint32_t size;	     /* T_MEM*: bytes */
	int64_t omin, omax;  /* pointer offset range */
	uint64_t umin, umax; /* scalar range */
};

struct frame {
	struct reg r[11];
	uint32_t callsite;
	uint8_t init[UBPF_STACK_SIZE]; /* byte written */
	uint8_t spilled[SLOTS];	       /* slot holds spill[] */
	struct reg spill[SLOTS];
};

struct state {
	uint32_t pc;
	int cur; /* current frame */
	int nref;
	uint32_t refs[MAX_REFS];
	struct frame f[UBPF_MAX_FRAMES];
};

struct verifier {
	struct ubpf_prog *p;
	char *log;
	size_t log_size;
	uint8_t *second; /* insn is the second half of LD_IMM64 */
	struct state **pending;
	int npending;
	uint32_t next_id;
	long steps;
};

static int refuse(struct verifier *v, uint32_t pc, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!v->log_size)
		return -EACCES;
	n = snprintf(v->log, v->log_size, "insn %u: ", pc);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < v->log_size)
		vsnprintf(v->log + n, v->log_size - n, fmt, ap);
	va_end(ap);
	return -EACCES;
}

/* ---- registers --------------------------------------------------------- */

static struct reg scalar(uint64_t lo, uint64_t hi)
{
	return (struct reg){.type = T_SCALAR, .umin = lo, .umax = hi};
}

static struct reg unknown(bool is64)
{
	return scalar(0, is64 ? UINT64_MAX : U32MAX);
}

static bool is_const(const struct reg *r)
{
	return r->type == T_SCALAR && r->umin == r->umax;
}

static bool is_ptr(const struct reg *r)
{
	return r->type > T_SCALAR;
}

static struct reg *R(struct state *s, int n)
{
	return &s->f[s->cur].r[n];
}

/* Highest value with the bits up to X's top bit set. */
static uint64_t fill(uint64_t x)
{
	x |= x >> 1, x |= x >> 2, x |= x >> 4, x |= x >> 8, x |= x >> 16,
	    x |= x >> 32;
	return x;
}

static struct reg trunc32(struct reg r)
{
	if (is_const(&r))
		return scalar(r.umin & U32MAX, r.umin & U32MAX);
	return r.umax <= U32MAX ? r : unknown(false);
}

/* Range of A op B, both scalars. Over-approximates; never narrower than
 * the VM's result (constants use the VM's own arithmetic). */
static struct reg scalar_op(uint8_t op, bool is64, int16_t off, struct reg a,
			    struct reg b)
{
	struct reg r = unknown(is64);
	uint64_t x;
	unsigned s;

	if (is_const(&a) && is_const(&b)) {
		x = ubpf_alu(op, is64, off, a.umin, b.umin);
		return scalar(x, x);
	}
	if (!is64) {
		a = trunc32(a);
		b = trunc32(b);
	}
	s = is_const(&b) ? b.umin & (is64 ? 63 : 31) : 0;
	switch (op) {
	case BPF_ADD:
		if (!__builtin_add_overflow(a.umax, b.umax, &x))
			r = scalar(a.umin + b.umin, x);
		break;
	case BPF_SUB:
		if (a.umin >= b.umax)
			r = scalar(a.umin - b.umax, a.umax - b.umin);
		break;
	case BPF_MUL:
		if (!__builtin_mul_overflow(a.umax, b.umax, &x))
			r = scalar(a.umin * b.umin, x);
		break;
	case BPF_DIV:
		if (off == 0)
			r = b.umin ? scalar(a.umin / b.umax, a.umax / b.umin)
				   : scalar(0, a.umax);
		break;
	case BPF_MOD:
		if (off == 0)
			r = scalar(0, b.umin && b.umax - 1 < a.umax ? b.umax - 1
								    : a.umax);
		break;
	case BPF_AND:
		r = scalar(0, a.umax < b.umax ? a.umax : b.umax);
		break;
	case BPF_OR:
		r = scalar(a.umin > b.umin ? a.umin : b.umin,
			   fill(a.umax | b.umax));
		break;
	case BPF_XOR:
		r = scalar(0, fill(a.umax | b.umax));
		break;
	case BPF_LSH:
		if (is_const(&b) && a.umax <= (UINT64_MAX >> s))
			r = scalar(a.umin << s, a.umax << s);
		break;
	case BPF_RSH:
		r = is_const(&b) ? scalar(a.umin >> s, a.umax >> s)
				 : scalar(0, a.umax);
		break;
	case BPF_ARSH:
		if (a.umax <=
		    (is64 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX))
			r = is_const(&b) ? scalar(a.umin >> s, a.umax >> s)
					 : scalar(0, a.umax);
		break;
	case BPF_MOV: /* movsx keeps values that are non-negative in the narrow
			 type */
		if (!off || b.umax < (1ull << (off - 1)))
			r = b;
		break;
	}
	if (!is64 && r.umax > U32MAX)
		r = unknown(false);
	return r;
}

/* The signed range of scalar B, false if it spans the sign change. */
static bool srange(const struct reg *b, int64_t *lo, int64_t *hi)
{
	if (b->umax <= INT64_MAX || b->umin > INT64_MAX) {
		*lo = (int64_t)b->umin;
		*hi = (int64_t)b->umax;
		return true;
	}
	return false;
}

/* Pointer P moved by scalar B (SUB: -B). */
static struct reg ptr_move(struct reg p, const struct reg *b, bool sub)
{
	int64_t lo, hi;

	if (p.unbounded || !srange(b, &lo, &hi) || lo < -OFF_LIMIT ||
	    hi > OFF_LIMIT) {
		p.unbounded = true;
		return p;
	}
	if (sub) {
		int64_t t = lo;

		lo = -hi;
		hi = -t;
	}
	p.omin += lo;
	p.omax += hi;
	if (p.omin < -OFF_LIMIT || p.omax > OFF_LIMIT)
		p.unbounded = true;
	return p;
}

static bool const_off(const struct reg *r)
{
	return !r->unbounded && r->omin == r->omax;
}

/* ---- memory ------------------------------------------------------------ */

/* READ_ANY: a helper copies the bytes (a key, a value, a record), so
 * stack bytes never written may pass, as the kernel lets privileged
 * programs do (struct padding); the VM then zeroes the stack first, so
 * nothing of the host's own stack reaches a map. */
enum access { READ, WRITE, ATOMIC, READ_ANY };

static struct ubpf_map *map_of(struct verifier *v, const struct reg *r)
{
	return v->p->maps[r->map];
}

/* Checks LEN bytes at R + OFF (LEN up to 1 MiB, from helpers too). On a
 * stack write, marks the bytes written; VAL (size 8, aligned) is spilled. */
static int check_mem(struct verifier *v, struct state *s, int regno,
		     int64_t off, uint64_t len, enum access how,
		     const struct reg *val)
{
	struct reg *r = R(s, regno);
	uint32_t pc = s->pc;
	int64_t lo, hi;

	switch (r->type) {
	case T_CTX:
		if (how != READ)
			return refuse(v, pc, "R%d: the context is read-only",
				      regno);
		lo = r->omin + off;
		if (!const_off(r) || lo < 0 ||
		    lo + (int64_t)len > v->p->ctx_size)
			return refuse(v, pc,
				      "R%d: context access at %lld+%llu "
				      "outside its %u bytes",
				      regno, (long long)(r->omin + off),
				      (unsigned long long)len, v->p->ctx_size);
		return 0;
	case T_VALUE:
	case T_MEM: {
		uint64_t size = r->type == T_MEM
				    ? r->size
				    : ubpf_map__def(map_of(v, r))->value_size;

		if (r->unbounded)
			return refuse(v, pc, "R%d: %s with an unbounded offset",
				      regno, tname[r->type]);
		lo = r->omin + off;
		hi = r->omax + off + (int64_t)len;
		if (lo < 0 || hi > (int64_t)size)
			return refuse(v, pc,
				      "R%d: %s access at [%lld, %lld) outside "
				      "its %llu bytes",
				      regno, tname[r->type], (long long)lo,
				      (long long)hi, (unsigned long long)size);
		if (how != READ && how != READ_ANY && r->type == T_VALUE &&
		    (ubpf_map__def(map_of(v, r))->flags & BPF_F_RDONLY_PROG))
			return refuse(v, pc, "R%d: map '%s' is read-only",
				      regno, ubpf_map__def(map_of(v, r))->name);
		if (how == ATOMIC &&
		    (lo != hi - (int64_t)len || lo % (int64_t)len))
			return refuse(
			    v, pc,
			    "R%d: atomic access not at a known aligned offset",
			    regno);
		if (val && is_ptr(val))
			return refuse(v, pc,
				      "storing a %s into a %s would leak it",
				      tname[val->type], tname[r->type]);
		return 0;
	}
	case T_STACK: {
		struct frame *f = &s->f[r->frame];
		int64_t i;

		lo = r->omin + off;
		if (!const_off(r) || lo < -UBPF_STACK_SIZE ||
		    lo + (int64_t)len > 0)
			return refuse(v, pc,
				      "R%d: stack access at %lld size %llu "
				      "outside the %d-byte frame",
				      regno, (long long)(r->omin + off),
				      (unsigned long long)len, UBPF_STACK_SIZE);
		lo += UBPF_STACK_SIZE;
		if (how == ATOMIC && lo % (int64_t)len)
			return refuse(v, pc,
				      "R%d: misaligned atomic stack access",
				      regno);
		for (i = lo; how != WRITE && i < lo + (int64_t)len; i++) {
			if (!f->init[i] && how == READ_ANY)
				v->p->zero_stack = true;
			else if (!f->init[i])
				return refuse(
				    v, pc,
				    "R%d: read of uninitialized stack at %lld",
				    regno, (long long)(i - UBPF_STACK_SIZE));
			if (how == ATOMIC && f->spilled[i / 8] &&
			    is_ptr(&f->spill[i / 8]))
				return refuse(v, pc,
					      "R%d: atomic operation on a "
					      "spilled pointer",
					      regno);
		}
		if (how == READ || how == READ_ANY)
			return 0;
		for (i = lo; i < lo + (int64_t)len; i++) {
			f->init[i] = 1;
			f->spilled[i / 8] = 0;
		}
		if (val && len == 8 && lo % 8 == 0) {
			f->spilled[lo / 8] = 1;
			f->spill[lo / 8] = *val;
		}
		return 0;
	}
	case T_VALUE_OR_NULL:
	case T_MEM_OR_NULL:
		return refuse(v, pc, "R%d: %s dereferenced before a NULL check",
			      regno, tname[r->type]);
	default:
		return refuse(v, pc, "R%d: memory access through a %s", regno,
			      tname[r->type]);
	}
}

/* A load at a known offset of a frozen one-element array (.rodata) is the
 * constant there, as the kernel's verifier reads it: the branches a
 * configuration variable rules out are never explored. */
static bool frozen_const(struct verifier *v, const struct reg *r, int64_t off,
			 unsigned len, bool sx, struct reg *out)
{
	const struct ubpf_map_def *d;
	uint64_t x = 0;
	const uint8_t *src;

	if (r->type != T_VALUE || r->unbounded || r->omin != r->omax)
		return false;
	d = ubpf_map__def(map_of(v, r));
	if (d->type != BPF_MAP_TYPE_ARRAY || d->max_entries != 1 ||
	    (d->flags & (BPF_F_RDONLY | BPF_F_RDONLY_PROG)) !=
		(BPF_F_RDONLY | BPF_F_RDONLY_PROG))
		return false;
	src = (const uint8_t *)ubpf_map__data(map_of(v, r)) + r->omin + off;
	memcpy(&x, src, len); /* little-endian: the low bytes */
	if (sx && len < 8)
		x = (uint64_t)((int64_t)(x << (64 - 8 * len)) >>
			       (64 - 8 * len));
	*out = scalar(x, x);
	return true;
}

/* What a LEN-byte load of R + OFF gives (after check_mem). */
static struct reg loaded(struct verifier *v, struct state *s, int regno,
			 int64_t off, unsigned len, bool sx)
{
	struct reg *r = R(s, regno), k;

	if (frozen_const(v, r, off, len, sx, &k))
		return k;

	if (r->type == T_STACK && len == 8) {
		int64_t o = r->omin + off + UBPF_STACK_SIZE;
		struct frame *f = &s->f[r->frame];

		if (o % 8 == 0 && f->spilled[o / 8])
			return f->spill[o / 8];
	}
	if (len == 8 || sx)
		return unknown(true);
	return scalar(0, (1ull << (8 * len)) - 1);
}

/* ---- state ------------------------------------------------------------- */

static size_t state_bytes(int cur)
{
	return offsetof(struct state, f) +
	       (size_t)(cur + 1) * sizeof(struct frame);
}

static int push(struct verifier *v, const struct state *s, uint32_t pc)
{
	struct state *c;

	if (v->npending >= MAX_PENDING)
		return refuse(v, s->pc, "too many branches to check");
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c, s, state_bytes(s->cur));
	c->pc = pc;
	v->pending[v->npending++] = c;
	return 0;
}

/* Every copy of the pointer ID: non-NULL, or the scalar 0. */
static void mark_null(struct state *s, uint32_t id, bool is_null)
{
	int k, i;

	for (k = 0; k <= s->cur; k++) {
		for (i = 0; i < 11 + SLOTS; i++) {
			struct reg *r =
			    i < 11 ? &s->f[k].r[i] : &s->f[k].spill[i - 11];

			if ((r->type != T_VALUE_OR_NULL &&
			     r->type != T_MEM_OR_NULL) ||
			    r->id != id)
				continue;
			if (is_null)
				*r = scalar(0, 0);
			else
				r->type = r->type == T_VALUE_OR_NULL ? T_VALUE
								     : T_MEM;
		}
	}
}

static void drop_ref(struct state *s, uint32_t id)
{
	int i;

	for (i = 0; i < s->nref; i++) {
		if (s->refs[i] == id) {
			s->refs[i] = s->refs[--s->nref];
			return;
		}
	}
}

/* Forgets every register and spill matching KEEP false. */
static void forget(struct state *s, bool (*keep)(const struct reg *, uint32_t),
		   uint32_t arg)
{
	int k, i;

	for (k = 0; k <= s->cur; k++) {
		for (i = 0; i < 11 + SLOTS; i++) {
			struct reg *r =
			    i < 11 ? &s->f[k].r[i] : &s->f[k].spill[i - 11];

			if (!keep(r, arg)) {
				*r = (struct reg){0};
				if (i >= 11)
					s->f[k].spilled[i - 11] = 0;
			}
		}
	}
}

static bool not_record(const struct reg *r, uint32_t id)
{
	return !((r->type == T_MEM || r->type == T_MEM_OR_NULL) && r->id == id);
}

static bool below_frame(const struct reg *r, uint32_t frame)
{
	return r->type != T_STACK || r->frame < frame;
}

/* ---- instructions ------------------------------------------------------ */

static int need(struct verifier *v, struct state *s, int regno)
{
	if (R(s, regno)->type == T_NONE)
		return refuse(v, s->pc, "R%d is read before it is written",
			      regno);
	return 0;
}

static int do_alu(struct verifier *v, struct state *s,
		  const struct bpf_insn *in)
{
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
	uint8_t op = BPF_OP(in->code);
	struct reg *d = R(s, in->dst_reg), b;
	int err;

	if (BPF_SRC(in->code) == BPF_X && op != BPF_END && op != BPF_NEG) {
		if ((err = need(v, s, in->src_reg)))
			return err;
		b = *R(s, in->src_reg);
	} else {
		b = scalar((uint64_t)(int64_t)in->imm,
			   (uint64_t)(int64_t)in->imm);
		if (!is64)
			b = trunc32(b);
	}
	if (op == BPF_MOV) {
		if (is64 && !in->off)
			*d = b;
		else
			*d = is_ptr(&b) ? unknown(is64)
					: scalar_op(op, is64, in->off, b, b);
		return 0;
	}
	if ((err = need(v, s, in->dst_reg)))
		return err;
	if (op == BPF_END) {
		if (is_ptr(d))
			return refuse(v, s->pc, "R%d: byte swap of a %s",
				      in->dst_reg, tname[d->type]);
		if (is_const(d)) {
			uint64_t x =
			    ubpf_end(is64 || BPF_SRC(in->code) == BPF_TO_BE,
				     in->imm, d->umin);

			*d = scalar(x, x);
		} else {
			*d = scalar(0, in->imm == 64 ? UINT64_MAX
						     : (1ull << in->imm) - 1);
		}
		return 0;
	}
	if (!is_ptr(d) && !is_ptr(&b)) {
		*d = scalar_op(op, is64, in->off, *d, op == BPF_NEG ? *d : b);
		return 0;
	}
	if (!is64) { /* a pointer's low half is just a number */
		*d = unknown(false);
		return 0;
	}
	if (d->type == T_VALUE_OR_NULL || d->type == T_MEM_OR_NULL ||
	    b.type == T_VALUE_OR_NULL || b.type == T_MEM_OR_NULL)
		return refuse(v, s->pc,
			      "arithmetic on a %s before its NULL check",
			      tname[T_VALUE_OR_NULL]);
	if (op == BPF_ADD && is_ptr(d) != is_ptr(&b) && d->type != T_MAP &&
	    b.type != T_MAP) {
		*d =
		    is_ptr(d) ? ptr_move(*d, &b, false) : ptr_move(b, d, false);
		return 0;
	}
	if (op == BPF_SUB && is_ptr(d) && !is_ptr(&b) && d->type != T_MAP) {
		*d = ptr_move(*d, &b, true);
		return 0;
	}
	return refuse(v, s->pc, "operation 0x%02x on a %s and a %s", in->code,
		      tname[d->type], tname[b.type]);
}

/* Narrows A op B (both scalars, compared as unsigned) to the branch where
 * the comparison holds; false when that branch cannot happen. */
static bool narrow(uint8_t op, struct reg *a, struct reg *b)
{
	struct reg *t;

	switch (op) {
	case BPF_JEQ:
		a->umin = b->umin = a->umin > b->umin ? a->umin : b->umin;
		a->umax = b->umax = a->umax < b->umax ? a->umax : b->umax;
		break;
	case BPF_JNE:
		if (is_const(b) && a->umin == b->umin)
			a->umin++;
		else if (is_const(b) && a->umax == b->umin)
			a->umax--;
		else if (is_const(a) && b->umin == a->umin)
			b->umin++;
		else if (is_const(a) && b->umax == a->umin)
			b->umax--;
		break;
	case BPF_JLT:
	case BPF_JLE:
		t = a, a = b, b = t;
		op = op == BPF_JLT ? BPF_JGT : BPF_JGE;
		/* fallthrough */
	case BPF_JGT:
	case BPF_JGE: {
		uint64_t strict = op == BPF_JGT;

		if (b->umin > UINT64_MAX - strict || a->umax < strict)
			return false;
		if (a->umin < b->umin + strict)
			a->umin = b->umin + strict;
		if (b->umax > a->umax - strict)
			b->umax = a->umax - strict;
		break;
	}
	}
	return a->umin <= a->umax && b->umin <= b->umax;
}

static uint8_t negate(uint8_t op)
{
	switch (op) {
	case BPF_JEQ:
		return BPF_JNE;
	case BPF_JNE:
		return BPF_JEQ;
	case BPF_JGT:
		return BPF_JLE;
	case BPF_JGE:
		return BPF_JLT;
	case BPF_JLT:
		return BPF_JGE;
	case BPF_JLE:
		return BPF_JGT;
	}
	return 0;
}

static uint8_t unsigned_op(uint8_t op)
{
	switch (op) {
	case BPF_JSGT:
		return BPF_JGT;
	case BPF_JSGE:
		return BPF_JGE;
	case BPF_JSLT:
		return BPF_JLT;
	case BPF_JSLE:
		return BPF_JLE;
	}
	return op;
}

/* 1: always taken, 0: never, -1: either (OP already unsigned). */
static int decide(uint8_t op, const struct reg *a, const struct reg *b)
{
	switch (op) {
	case BPF_JEQ:
		return a->umin > b->umax || a->umax < b->umin ? 0 : -1;
	case BPF_JNE:
		return a->umin > b->umax || a->umax < b->umin ? 1 : -1;
	case BPF_JGT:
		return a->umin > b->umax ? 1 : a->umax <= b->umin ? 0 : -1;
	case BPF_JGE:
		return a->umin >= b->umax ? 1 : a->umax < b->umin ? 0 : -1;
	case BPF_JLT:
		return a->umax < b->umin ? 1 : a->umin >= b->umax ? 0 : -1;
	case BPF_JLE:
		return a->umax <= b->umin ? 1 : a->umin > b->umax ? 0 : -1;
	}
	return -1;
}

/* A conditional jump: follows the feasible branches, narrowing ranges and
 * resolving NULL checks; the other branch is pushed. */
static int do_cond(struct verifier *v, struct state *s,
		   const struct bpf_insn *in)
{
	bool is64 = BPF_CLASS(in->code) == BPF_JMP,
	     imm = BPF_SRC(in->code) == BPF_K;
	uint8_t op = BPF_OP(in->code), uop;
	uint32_t target = s->pc + 1 + in->off;
	struct reg *a = R(s, in->dst_reg), bi, *b, a2, b2;
	int err, d;

	if ((err = need(v, s, in->dst_reg)) ||
	    (!imm && (err = need(v, s, in->src_reg))))
		return err;
	bi = scalar((uint64_t)(int64_t)in->imm, (uint64_t)(int64_t)in->imm);
	b = imm ? &bi : R(s, in->src_reg);
	if (is64 && (op == BPF_JEQ || op == BPF_JNE) &&
	    (a->type == T_VALUE_OR_NULL || a->type == T_MEM_OR_NULL) &&
	    is_const(b) && !b->umin) {
		struct state *o;
		uint32_t id = a->id;
		bool mem = a->type == T_MEM_OR_NULL;

		if ((err = push(v, s, target)))
			return err;
		o = v->pending[v->npending - 1];
		mark_null(o, id, op == BPF_JEQ);
		mark_null(s, id, op != BPF_JEQ);
		if (mem)
			drop_ref(op == BPF_JEQ ? o : s, id);
		s->pc++;
		return 0;
	}
	if (is_ptr(a) || is_ptr(b)) { /* no narrowing, both ways */
		if ((err = push(v, s, target)))
			return err;
		s->pc++;
		return 0;
	}
	a2 = is64 ? *a : trunc32(*a);
	b2 = is64 ? *b : trunc32(*b);
	uop = unsigned_op(op);
	if (is_const(&a2) && is_const(&b2))
		d = ubpf_cond(op, is64, a2.umin, b2.umin);
	else if (op == BPF_JSET)
		d = (a2.umax | b2.umax) == 0 ? 0 : -1;
	else if (uop != op && !(a2.umax <= (is64 ? INT64_MAX : INT32_MAX) &&
				b2.umax <= (is64 ? INT64_MAX : INT32_MAX)))
		d = -1,
		uop = 0; /* signed across the sign change: no narrowing */
	else
		d = decide(uop, &a2, &b2);
	if (d >= 0) {
		s->pc = d ? target : s->pc + 1;
		return 0;
	}
	/* Narrow the registers themselves only when the compared values are
	 * theirs (64-bit, or 32-bit of values that fit). */
	if (uop && uop != BPF_JSET &&
	    (is64 || (a->umax <= U32MAX && b->umax <= U32MAX))) {
		struct state *o;
		struct reg tb = bi;

		if ((err = push(v, s, target)))
			return err;
		o = v->pending[v->npending - 1];
		if (!narrow(uop, &o->f[o->cur].r[in->dst_reg],
			    imm ? &tb : &o->f[o->cur].r[in->src_reg])) {
			free(o);
			v->npending--;
		}
		tb = bi;
		if (!narrow(negate(uop), a, imm ? &tb : b))
			return 1; /* the fall-through cannot happen */
		s->pc++;
		return 0;
	}
	if ((err = push(v, s, target)))
		return err;
	s->pc++;
	return 0;
}

static int check_size_arg(struct verifier *v, struct state *s, int regno,
			  uint64_t *len)
{
	struct reg *r = R(s, regno);

	if (r->type != T_SCALAR || r->umin == 0 || r->umax > (1u << 20))
		return refuse(
		    v, s->pc,
		    "R%d: a size must be a scalar known to be in 1..%u", regno,
		    1u << 20);
	*len = r->umax;
	return 0;
}

static bool kind_ok(uint8_t kind, uint32_t type)
{
	if (kind == UK_RING)
		return type == BPF_MAP_TYPE_RINGBUF;
	if (kind == UK_PERF)
		return type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	return type != BPF_MAP_TYPE_RINGBUF &&
	       type != BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

static int do_helper(struct verifier *v, struct state *s,
		     const struct bpf_insn *in)
{
	const struct ubpf_helper *h = ubpf_helper(in->imm);
	struct reg *map = NULL, ret;
	uint64_t len = 0, reserve = 0;
	int a, err, mem = 0;

	if (!h)
		return refuse(v, s->pc, "call to unknown helper %d", in->imm);
	for (a = 0; a < 5 && h->args[a] != UA_NONE; a++) {
		int n = a + 1;
		struct reg *r = R(s, n);
		const struct ubpf_map_def *md =
		    map ? ubpf_map__def(map_of(v, map)) : NULL;

		if ((err = need(v, s, n)))
			return err;
		switch (h->args[a]) {
		case UA_MAP:
			if (r->type != T_MAP ||
			    !kind_ok(h->map_kind,
				     ubpf_map__def(map_of(v, r))->type))
				return refuse(
				    v, s->pc,
				    "%s: R%d is no map of the right type",
				    h->name, n);
			/* a program may not change a read-only map (and a
			 * frozen one's values are taken as constants) */
			if ((in->imm == BPF_FUNC_map_update_elem ||
			     in->imm == BPF_FUNC_map_delete_elem) &&
			    (ubpf_map__def(map_of(v, r))->flags &
			     BPF_F_RDONLY_PROG))
				return refuse(
				    v, s->pc, "%s: map '%s' is read-only",
				    h->name, ubpf_map__def(map_of(v, r))->name);
			map = r;
			break;
		case UA_KEY:
		case UA_VALUE:
			err = check_mem(v, s, n, 0,
					h->args[a] == UA_KEY ? md->key_size
							     : md->value_size,
					READ_ANY, NULL);
			if (err)
				return err;
			break;
		case UA_MEM:
		case UA_UNINIT_MEM:
			mem = n;
			break;
		case UA_SIZE:
			if ((err = check_size_arg(v, s, n, &len)))
				return err;
			if (mem &&
			    (err = check_mem(v, s, mem, 0, len,
					     h->args[mem - 1] == UA_MEM ? READ
									: WRITE,
					     NULL)))
				return err;
			if (!mem && r->umin != r->umax)
				return refuse(v, s->pc,
					      "%s: R%d must be a constant",
					      h->name, n);
			reserve = len;
			mem = 0;
			break;
		case UA_CTX:
			if (r->type != T_CTX || !const_off(r) || r->omin)
				return refuse(v, s->pc,
					      "%s: R%d must be the context",
					      h->name, n);
			break;
		case UA_RING_MEM:
			if (r->type != T_MEM || !const_off(r) || r->omin)
				return refuse(v, s->pc,
					      "%s: R%d must be a record from "
					      "ringbuf_reserve",
					      h->name, n);
			break;
		}
	}
	if (h->release) {
		uint32_t id = R(s, 1)->id;

		drop_ref(s, id);
		forget(s, not_record, id);
	}
	if (h->ret == UR_INT)
		ret = unknown(true);
	else if (h->ret == UR_MAP_VALUE_OR_NULL)
		ret = (struct reg){.type = T_VALUE_OR_NULL,
				   .map = map->map,
				   .id = ++v->next_id};
	else if (h->ret == UR_MEM_OR_NULL)
		ret = (struct reg){
		    .type = T_MEM_OR_NULL, .size = reserve, .id = ++v->next_id};
	else
		ret = (struct reg){0};
	if (h->ret == UR_MEM_OR_NULL) {
		if (s->nref == MAX_REFS)
			return refuse(v, s->pc,
				      "too many ring records held at once");
		s->refs[s->nref++] = ret.id;
	}
	for (a = 1; a <= 5; a++)
		*R(s, a) = (struct reg){0};
	*R(s, 0) = ret;
	s->pc++;
	return 0;
}

static int do_call(struct verifier *v, struct state *s,
		   const struct bpf_insn *in)
{
	struct frame *f;
	int k;

	if (in->src_reg != BPF_PSEUDO_CALL)
		return do_helper(v, s, in);
	if (s->cur + 1 >= UBPF_MAX_FRAMES)
		return refuse(v, s->pc, "calls nested deeper than %d frames",
			      UBPF_MAX_FRAMES);
	f = &s->f[s->cur + 1];
	memset(f, 0, sizeof(*f));
	for (k = 1; k <= 5; k++)
		f->r[k] = s->f[s->cur].r[k];
	f->r[10] = (struct reg){.type = T_STACK, .frame = s->cur + 1};
	f->callsite = s->pc;
	s->cur++;
	s->pc += 1 + in->imm;
	return 0;
}

/* 1: the path ended. */
static int do_exit(struct verifier *v, struct state *s)
{
	struct reg r0 = *R(s, 0);
	int k, err;

	if ((err = need(v, s, 0)))
		return err;
	if (s->cur == 0) {
		if (r0.type != T_SCALAR)
			return refuse(v, s->pc, "R0 returns a %s",
				      tname[r0.type]);
		if (s->nref)
			return refuse(
			    v, s->pc,
			    "a ring record is neither submitted nor discarded");
		return 1;
	}
	if (r0.type == T_STACK && r0.frame == s->cur)
		return refuse(v, s->pc,
			      "R0 returns a pointer into the returning frame");
	s->pc = s->f[s->cur].callsite + 1;
	s->cur--;
	forget(s, below_frame, s->cur + 1);
	for (k = 1; k <= 5; k++)
		*R(s, k) = (struct reg){0};
	*R(s, 0) = r0;
	return 0;
}

static int do_ld64(struct verifier *v, struct state *s,
		   const struct bpf_insn *in)
{
	uint64_t x = (uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32;
	struct reg *d = R(s, in->dst_reg);

	if (in->src_reg == 0)
		*d = scalar(x, x);
	else if (in->src_reg == BPF_PSEUDO_MAP_FD)
		*d = (struct reg){.type = T_MAP, .map = in->imm};
	else
		*d = (struct reg){.type = T_VALUE,
				  .map = in->imm,
				  .omin = in[1].imm,
				  .omax = in[1].imm};
	s->pc += 2;
	return 0;
}

static int do_mem(struct verifier *v, struct state *s,
		  const struct bpf_insn *in)
{
	static const unsigned bytes[] = {4, 2, 1, 8};
	unsigned len = bytes[BPF_SIZE(in->code) >> 3];
	uint8_t cls = BPF_CLASS(in->code);
	struct reg val;
	int err;

	if (cls == BPF_LDX) {
		if ((err = need(v, s, in->src_reg)) ||
		    (err = check_mem(v, s, in->src_reg, in->off, len, READ,
				     NULL)))
			return err;
		*R(s, in->dst_reg) = loaded(v, s, in->src_reg, in->off, len,
					    BPF_MODE(in->code) == BPF_MEMSX);
		s->pc++;
		return 0;
	}
	if ((err = need(v, s, in->dst_reg)))
		return err;
	if (cls == BPF_ST) {
		val = scalar((uint64_t)(int64_t)in->imm,
			     (uint64_t)(int64_t)in->imm);
	} else {
		if ((err = need(v, s, in->src_reg)))
			return err;
		val = *R(s, in->src_reg);
	}
	if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC) {
		if (is_ptr(&val))
			return refuse(v, s->pc,
				      "atomic operation with a %s operand",
				      tname[val.type]);
		if (in->imm == BPF_CMPXCHG && (err = need(v, s, 0)))
			return err;
		if (in->imm == BPF_CMPXCHG && is_ptr(R(s, 0)))
			return refuse(v, s->pc, "cmpxchg with a %s in R0",
				      tname[R(s, 0)->type]);
		if ((err = check_mem(v, s, in->dst_reg, in->off, len, ATOMIC,
				     NULL)))
			return err;
		if (in->imm == BPF_CMPXCHG)
			*R(s, 0) = unknown(len == 8);
		else if (in->imm & BPF_FETCH)
			*R(s, in->src_reg) = unknown(len == 8);
		s->pc++;
		return 0;
	}
	if ((err = check_mem(v, s, in->dst_reg, in->off, len, WRITE,
			     len == 8 ? &val : NULL)))
		return err;
	if (len < 8 && is_ptr(&val) && R(s, in->dst_reg)->type != T_STACK)
		return refuse(v, s->pc, "partial store of a %s",
			      tname[val.type]);
	s->pc++;
	return 0;
}

/* One instruction of state S. 0: go on, 1: path ended, <0: refused. */
static int step(struct verifier *v, struct state *s)
{
	const struct bpf_insn *in;
	uint8_t cls, op;

	if (s->pc >= v->p->insn_cnt)
		return refuse(v, s->pc,
			      "execution falls off the end of the program");
	in = &v->p->insns[s->pc];
	cls = BPF_CLASS(in->code);
	op = BPF_OP(in->code);
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64: {
		int err = do_alu(v, s, in);

		if (!err)
			s->pc++;
		return err;
	}
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_JA) {
			s->pc += 1 + (cls == BPF_JMP ? in->off : in->imm);
			return 0;
		}
		if (op == BPF_CALL)
			return do_call(v, s, in);
		if (op == BPF_EXIT)
			return do_exit(v, s);
		return do_cond(v, s, in);
	case BPF_LD:
		return do_ld64(v, s, in);
	default:
		return do_mem(v, s, in);
	}
}

/* ---- structure --------------------------------------------------------- */

static bool alu_ok(const struct bpf_insn *in)
{
	uint8_t op = BPF_OP(in->code);
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;

	if (op > BPF_END)
		return false;
	if (op == BPF_END)
		return (in->imm == 16 || in->imm == 32 || in->imm == 64) &&
		       in->off == 0 && (!is64 || BPF_SRC(in->code) == BPF_K);
	if (op == BPF_DIV || op == BPF_MOD)
		return in->off == 0 || in->off == 1;
	if (op == BPF_MOV)
		return in->off == 0 || (BPF_SRC(in->code) == BPF_X &&
					(in->off == 8 || in->off == 16 ||
					 (is64 && in->off == 32)));
	return in->off == 0;
}

static bool mem_ok(const struct bpf_insn *in)
{
	uint8_t mode = BPF_MODE(in->code), size = BPF_SIZE(in->code);

	switch (BPF_CLASS(in->code)) {
	case BPF_LDX:
		return mode == BPF_MEM || (mode == BPF_MEMSX && size != BPF_DW);
	case BPF_ST:
		return mode == BPF_MEM;
	default: /* STX */
		if (mode == BPF_MEM)
			return true;
		if (mode != BPF_ATOMIC || (size != BPF_W && size != BPF_DW))
			return false;
		switch (in->imm & ~BPF_FETCH) {
		case BPF_ADD:
		case BPF_OR:
		case BPF_AND:
		case BPF_XOR:
			return true;
		}
		return in->imm == BPF_XCHG || in->imm == BPF_CMPXCHG;
	}
}

static int jump_ok(struct verifier *v, uint32_t pc, int64_t rel)
{
	int64_t t = (int64_t)pc + 1 + rel;

	if (t < 0 || t >= v->p->insn_cnt || v->second[t])
		return refuse(
		    v, pc,
		    "jump to %lld, outside the program or into an instruction",
		    (long long)t);
	return 0;
}

static int check_ld64(struct verifier *v, uint32_t pc,
		      const struct bpf_insn *in)
{
	struct ubpf_map *m;

	if (in->code != (BPF_LD | BPF_IMM | BPF_DW) ||
	    pc + 1 >= v->p->insn_cnt || in[1].code || in[1].src_reg ||
	    in[1].dst_reg || in[1].off)
		return refuse(v, pc, "invalid load instruction 0x%02x",
			      in->code);
	if (!in->src_reg)
		return 0;
	if (in->src_reg != BPF_PSEUDO_MAP_FD &&
	    in->src_reg != BPF_PSEUDO_MAP_VALUE)
		return refuse(v, pc, "unsupported 64-bit load kind %d",
			      in->src_reg);
	if ((uint32_t)in->imm >= v->p->map_cnt)
		return refuse(v, pc, "reference to map %u of %u",
			      (uint32_t)in->imm, v->p->map_cnt);
	m = v->p->maps[in->imm];
	if (in->src_reg == BPF_PSEUDO_MAP_VALUE &&
	    (ubpf_map__def(m)->type != BPF_MAP_TYPE_ARRAY ||
	     (uint32_t)in[1].imm >= ubpf_map__def(m)->value_size))
		return refuse(v, pc, "direct value access outside map '%s'",
			      ubpf_map__def(m)->name);
	return 0;
}

/* Opcodes, registers, jump targets and map references, before any path. */
static int check_code(struct verifier *v)
{
	uint32_t pc, n = v->p->insn_cnt;
	int err;

	for (pc = 0; pc < n; pc++) {
		const struct bpf_insn *in = &v->p->insns[pc];
		uint8_t cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		bool ok = true;

		if (v->second[pc])
			continue;
		if (in->dst_reg > 10 || in->src_reg > 10)
			return refuse(v, pc, "register number out of range");
		if (in->dst_reg == 10 && cls != BPF_ST && cls != BPF_STX &&
		    cls != BPF_JMP && cls != BPF_JMP32)
			return refuse(v, pc, "R10 is read-only");
		switch (cls) {
		case BPF_ALU:
		case BPF_ALU64:
			ok = alu_ok(in);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (op == BPF_JA)
				err = jump_ok(
				    v, pc, cls == BPF_JMP ? in->off : in->imm);
			else if (op == BPF_CALL &&
				 in->src_reg == BPF_PSEUDO_CALL &&
				 cls == BPF_JMP)
				err = jump_ok(v, pc, in->imm);
			else if (op == BPF_CALL || op == BPF_EXIT)
				ok = cls == BPF_JMP && !in->src_reg, err = 0;
			else if (op > BPF_JSLE)
				ok = false, err = 0;
			else
				err = jump_ok(v, pc, in->off);
			if (err)
				return err;
			break;
		case BPF_LD:
			if ((err = check_ld64(v, pc, in)))
				return err;
			break;
		default:
			ok = mem_ok(in);
		}
		if (!ok)
			return refuse(v, pc, "invalid instruction 0x%02x",
				      in->code);
	}
	return 0;
}

static int run_paths(struct verifier *v, struct state *s)
{
	int err = 0;

	for (;;) {
		while (!err)
			err = ++v->steps > BUDGET
				  ? refuse(v, s->pc,
					   "over %d instructions to check: a "
					   "loop the "
					   "verifier cannot bound?",
					   BUDGET)
				  : step(v, s);
		free(s);
		if (err < 0 || !v->npending)
			return err < 0 ? err : 0;
		s = v->pending[--v->npending];
		err = 0;
	}
}

static int prepare(struct ubpf_prog *p)
{
	uint32_t pc;

	free(p->xinsns);
	p->xinsns = malloc(sizeof(*p->insns) * p->insn_cnt);
	if (!p->xinsns)
		return -ENOMEM;
	memcpy(p->xinsns, p->insns, sizeof(*p->insns) * p->insn_cnt);
	for (pc = 0; pc < p->insn_cnt; pc++) {
		struct bpf_insn *in = &p->xinsns[pc];
		uint64_t a;

		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in->src_reg == BPF_PSEUDO_MAP_FD)
			a = (uintptr_t)p->maps[in->imm];
		else if (in->src_reg == BPF_PSEUDO_MAP_VALUE)
			a = (uintptr_t)ubpf_map__data(p->maps[in->imm]) +
			    (uint32_t)in[1].imm;
		else
			a = (uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm
						    << 32;
		in[0].src_reg = 0;
		in[0].imm = (uint32_t)a;
		in[1].imm = (uint32_t)(a >> 32);
		pc++;
	}
	return 0;
}

int ubpf_prog__verify(struct ubpf_prog *p, char *log, size_t log_size)
{
	struct verifier v = {.p = p, .log = log, .log_size = log_size};
	struct state *s;
	uint32_t pc;
	int err;

	if (log_size)
		log[0] = 0;
	p->zero_stack = false;
	if (!p->insn_cnt || p->insn_cnt > UBPF_MAX_INSNS)
		return refuse(&v, 0, "%u instructions (1..%d)", p->insn_cnt,
			      UBPF_MAX_INSNS),
		       -EINVAL;
	if (!p->ctx_size)
		return refuse(&v, 0,
			      "program type %d is not supported in user space",
			      p->type);
	v.second = calloc(p->insn_cnt, 1);
	v.pending = calloc(MAX_PENDING, sizeof(*v.pending));
	s = calloc(1, sizeof(*s));
	if (!v.second || !v.pending || !s) {
		err = -ENOMEM;
		goto out;
	}
	for (pc = 0; pc + 1 < p->insn_cnt; pc++)
		if (p->insns[pc].code == (BPF_LD | BPF_IMM | BPF_DW))
			v.second[++pc] = 1;
	err = check_code(&v);
	if (err) {
		err = -EINVAL;
		goto out;
	}
	s->f[0].r[1] = (struct reg){.type = T_CTX};
	s->f[0].r[10] = (struct reg){.type = T_STACK};
	err = run_paths(&v, s);
	s = NULL;
	if (!err)
		err = prepare(p);
out:
	while (v.npending)
		free(v.pending[--v.npending]);
	free(s);
	free(v.second);
	free(v.pending);
	return err;
}
