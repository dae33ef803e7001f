/* jit_live.c — where each value of a function lives in compiled code: the
 * arch-neutral register allocation of the compiling tier (jit.h).
 *
 * Backward liveness of frame slots over the function's basic blocks, then
 * each slot's live ranges split into webs: maximal runs of liveness in
 * instruction order, joined across every branch edge where the slot is
 * live, so a value has one location on both sides of any edge and a
 * branch never moves values. Webs take registers greedily by weight (uses
 * and defs, a loop level weighing 8 times its outer one) wherever the
 * register is free over the web's whole range. Positions are halves of an
 * instruction: 2i where it reads its operands, 2i+1 where it writes, so a
 * result may take the register of an operand read for the last time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "module.h"

/* Over this many bitset words per liveness set the function keeps every
 * value in its frame: liveness would cost more than it is worth. */
#define MAX_SET_WORDS (1u << 19)

/* ---- control flow ---------------------------------------------------------- */

/* Which operand words of op are branch offsets: n of them from *first. */
static unsigned rel_operands(const uint32_t *w, enum ir_op op, unsigned *first)
{
	*first = 1;
	switch (op) {
	case IR_BR:
		*first = 0;
		return 1;
	case IR_BR_IF:
	case IR_BR_UNLESS:
	case IR_BR_I64_NEZ:
	case IR_BR_I64_EQZ:
		return 1;
	case IR_BR_TABLE:
		*first = 2;
		return w[1] + 1;
	default:
		*first = 2;
		return op >= IR_BR_I32_EQ && op <= IR_BR_I64_GE_U;
	}
}

/* Whether control never falls through op to the next instruction. */
static bool ends_flow(enum ir_op op)
{
	return op == IR_BR || op == IR_BR_TABLE || op == IR_RET0 ||
	       op == IR_RET1 || op == IR_RETN || op == IR_UNREACHABLE;
}

void wm_jit_infos(const struct wm_jit_func *f, uint32_t *index,
		  struct wm_jit_info *info)
{
	const uint32_t *words = f->code->words;
	uint32_t n = f->ninsns, d = 0;
	memset(info, 0, sizeof(*info) * (n + 1));
	for (uint32_t i = 0; i < n; i++)
		index[f->insns[i].pos] = i;
	for (uint32_t i = 0; i < n; i++) { /* depth: first its differences */
		const uint32_t *w = words + f->insns[i].pos + 2;
		unsigned k0, nk = rel_operands(w, f->insns[i].op, &k0);
		for (unsigned k = k0; k < k0 + nk; k++) {
			uint32_t t = index[f->insns[i].pos + 2 + k + w[k]];
			info[t].target = true;
			if ((int32_t)w[k] >= 0)
				continue;
			info[t].depth++; /* a loop: its back edge spans t .. i */
			info[t].header = true;
			info[i + 1].depth--;
		}
	}
	for (uint32_t i = 0; i < n; i++)
		info[i].depth = d += info[i].depth;
	info[n].depth = 0;
}

/* ---- operands -------------------------------------------------------------- */

/* n consecutive slots from first that an instruction reads or writes. */
struct span {
	uint32_t first, n;
	bool def, fl; /* written; used as a float */
};

static void float_unary(enum ir_op op, bool *fd, bool *fa)
{
	*fd = (op >= IR_F32_CEIL && op <= IR_F32_SQRT) ||
	      (op >= IR_F64_CEIL && op <= IR_F64_SQRT) ||
	      (op >= IR_F32_CONVERT_I32_S && op <= IR_F64_PROMOTE_F32);
	*fa = (op >= IR_F32_CEIL && op <= IR_F32_SQRT) ||
	      (op >= IR_F64_CEIL && op <= IR_F64_SQRT) ||
	      op == IR_F32_DEMOTE_F64 || op == IR_F64_PROMOTE_F32 ||
	      (op >= IR_I32_TRUNC_F32_S && op <= IR_I32_TRUNC_F64_U) ||
	      (op >= IR_I64_TRUNC_F32_S && op <= IR_I64_TRUNC_F64_U) ||
	      (op >= IR_I32_TRUNC_SAT_F32_S && op <= IR_I64_TRUNC_SAT_F64_U);
}

static const struct wm_functype *sig_type(const struct wm_module *m,
					  uint32_t sig_id)
{
	for (uint32_t i = 0; i < m->ntypes; i++)
		if (m->types[i].sig_id == sig_id)
			return &m->types[i];
	return NULL;
}

/* A call's arguments and results at argbase; 0 when its type is unknown. */
static unsigned call_spans(const struct wm_functype *t, uint32_t argbase,
			   struct span *sp)
{
	if (!t)
		return 0;
	sp[0] = (struct span){argbase, t->nparams, false, false};
	sp[1] = (struct span){argbase, t->nresults, true, false};
	return 2;
}

#define USE(s) ((struct span){(s), 1, false, false})
#define DEF(s) ((struct span){(s), 1, true, false})

static unsigned control_spans(const struct wm_module *m, enum ir_op op,
			      const uint32_t *w, struct span *sp)
{
	switch (op) {
	case IR_ENTRY: /* the parameters arrive, the locals start at zero */
		sp[0] = (struct span){0, w[0], false, false};
		sp[1] = (struct span){w[0], w[1], true, false};
		return 2;
	case IR_BR_IF: case IR_BR_UNLESS: case IR_BR_TABLE: case IR_RET1:
	case IR_BR_I64_NEZ: case IR_BR_I64_EQZ:
		sp[0] = USE(w[0]);
		return 1;
	case IR_RETN:
		sp[0] = (struct span){w[0], w[1], false, false};
		return 1;
	case IR_CALL: case IR_CALL_IMPORT:
		return call_spans(&m->types[m->func_typeidx[w[0]]], w[1], sp);
	case IR_CALL_INDIRECT:
		sp[0] = USE(w[3]);
		return 1 + call_spans(sig_type(m, w[1]), w[2], sp + 1);
	case IR_GLOBAL_SET:
		sp[0] = USE(w[1]);
		return 1;
	case IR_TABLE_GET:
		sp[1] = USE(w[2]);
		sp[0] = DEF(w[0]);
		return 2;
	case IR_TABLE_SET:
		sp[0] = USE(w[1]), sp[1] = USE(w[2]);
		return 2;
	case IR_TABLE_GROW:
		sp[0] = DEF(w[0]), sp[1] = USE(w[2]), sp[2] = USE(w[3]);
		return 3;
	case IR_TABLE_FILL: case IR_MEMORY_INIT:
		sp[0] = USE(w[1]), sp[1] = USE(w[2]), sp[2] = USE(w[3]);
		return 3;
	case IR_TABLE_COPY: case IR_TABLE_INIT:
		sp[0] = USE(w[2]), sp[1] = USE(w[3]), sp[2] = USE(w[4]);
		return 3;
	case IR_MEMORY_COPY: case IR_MEMORY_FILL:
		sp[0] = USE(w[0]), sp[1] = USE(w[1]), sp[2] = USE(w[2]);
		return 3;
	case IR_CONST32: case IR_CONST64: case IR_REF_FUNC: case IR_GLOBAL_GET:
	case IR_TABLE_SIZE: case IR_MEMORY_SIZE:
		sp[0] = DEF(w[0]);
		return 1;
	case IR_COPY: case IR_REF_IS_NULL: case IR_MEMORY_GROW:
		sp[0] = DEF(w[0]), sp[1] = USE(w[1]);
		return 2;
	case IR_SELECT:
		sp[0] = DEF(w[0]), sp[1] = USE(w[1]), sp[2] = USE(w[2]);
		sp[3] = USE(w[3]);
		return 4;
	default: /* UNREACHABLE, BR, RET0, ELEM_DROP, DATA_DROP */
		return 0;
	}
}

/* The slots op reads and writes (its layout in ir.h). */
static unsigned op_spans(const struct wm_module *m, enum ir_op op,
			 const uint32_t *w, struct span *sp)
{
	if (op < IR_I32_LOAD)
		return control_spans(m, op, w, sp);
	if (op <= IR_I32_STORE16) { /* loads d, a; stores a, b */
		bool store = op >= IR_I32_STORE;
		sp[0] = (struct span){w[0], 1, !store, false};
		sp[1] = USE(w[1]);
		return 2;
	}
	if (op <= IR_I32_STORE8_ADDK) { /* d|a, a|b|c, b|c|v */
		bool store = op >= IR_I32_STORE_ADD;
		bool imm = (op - IR_I32_LOAD_ADD) & 1;
		unsigned n = 0;
		sp[n++] = (struct span){w[0], 1, !store, false};
		if (!store || !imm) /* a of a load, b of a store */
			sp[n++] = USE(w[1]);
		if (store || !imm) /* b of a load, v of a store */
			sp[n++] = USE(w[2]);
		return n;
	}
	if (op <= IR_BR_I64_GE_U) { /* a, b|k, rel */
		sp[0] = USE(w[0]);
		if (op >= IR_BR_I32_EQ_IMM && op <= IR_BR_I32_GE_U_IMM)
			return 1;
		sp[1] = USE(w[1]);
		return 2;
	}
	if (op <= IR_BR_I64_EQZ)
		return control_spans(m, op, w, sp);
	bool fd = false, fa = false;
	if (op <= IR_I64_TRUNC_SAT_F64_U) { /* unary d, a */
		float_unary(op, &fd, &fa);
		sp[0] = (struct span){w[0], 1, true, fd};
		sp[1] = (struct span){w[1], 1, false, fa};
		return 2;
	}
	if (op <= IR_F64_COPYSIGN) { /* binary d, a, b */
		fa = op >= IR_F32_EQ && op <= IR_F64_GE;
		fd = (op >= IR_F32_ADD && op <= IR_F32_MAX) ||
		     (op >= IR_F64_ADD && op <= IR_F64_MAX);
		sp[0] = (struct span){w[0], 1, true, fd};
		sp[1] = (struct span){w[1], 1, false, fa || fd};
		sp[2] = (struct span){w[2], 1, false, fa || fd};
		return 3;
	}
	sp[0] = DEF(w[0]); /* d, a, k... */
	sp[1] = USE(w[1]);
	return 2;
}

/* Ops that call out of compiled code: registers live across are saved.
 * Calls, memory.grow and the table and bulk-memory ops (wm_bulk_op's,
 * by their places in ir.h). */
static bool calls_out(enum ir_op op)
{
	return (op >= IR_CALL && op <= IR_CALL_INDIRECT) ||
	       (op >= IR_TABLE_GET && op <= IR_ELEM_DROP) ||
	       (op >= IR_MEMORY_GROW && op <= IR_DATA_DROP);
}

/* ---- liveness over basic blocks ---------------------------------------- */

/* The buffers kept in struct wm_live from one function to the next. */
enum { B_FIRST, B_OPND, B_SAVES, B_OPNODE, B_BLK, B_SUCC, B_GK, B_SETS,
       B_CUR, B_AT, B_NODES, B_REG, B_ORDER, B_OCC, B_CALLS, B_HEADS,
       B_HEAD_FIRST, B_COUNT };
_Static_assert(B_COUNT <= sizeof(((struct wm_live *)0)->cap) / sizeof(size_t),
	       "struct wm_live has a buffer for each");

/* Buffer id of at least n bytes (zeroed when zero), NULL when memory ran
 * out; contents kept when it grows. */
static void *buf(struct wm_live *o, unsigned id, size_t n, bool zero)
{
	if (n > o->cap[id]) {
		size_t cap = n > 2 * o->cap[id] ? n : 2 * o->cap[id];
		void *p = realloc(o->buf[id], cap);
		if (!p)
			return NULL;
		o->buf[id] = p;
		o->cap[id] = cap;
	}
	if (zero)
		memset(o->buf[id], 0, n);
	return o->buf[id];
}

struct node { /* one run of a slot's liveness, in positions start..end */
	uint32_t slot, start, end, parent;
	uint32_t next; /* a circle through the runs of its web (assign) */
	bool read;     /* by an instruction or a successor block */
	uint64_t w, fw; /* weighted accesses, those as a float */
};

struct live {
	struct wm_live *o;
	const struct wm_module *m;
	const struct wm_jit_func *f;
	const struct wm_jit_info *info;
	const uint32_t *index; /* word position -> instruction */
	uint32_t nslots, words; /* bitset words per set */
	uint32_t nb, *bstart;   /* blocks: first instruction, nb + 1 of them */
	uint32_t *blk;          /* instruction -> its block */
	uint32_t nsucc, *succ_first, *succ; /* successor blocks */
	uint32_t ncalls, *calls; /* the instructions that call out */
	uint64_t *in, *out;
	uint64_t *gk; /* block b's gen, then kill, from gk[2 * words * b] */
	struct node *nodes;
	uint32_t nnodes, nodecap;
	uint32_t *cur; /* slot -> its node at this point of the sweep */
	/* What the joins need, in slot order: the nodes live into each block
	 * a branch comes to from elsewhere, from top[top_first[b]] (NONE:
	 * none comes), and those live along each such branch succ[k], from
	 * along[along_first[k]]. */
	uint32_t *top_first, *along_first, *top, *along;
};

static const uint32_t *words_of(const struct live *l, uint32_t i)
{
	return l->f->code->words + l->f->insns[i].pos + 2;
}

/* Slot s read (or, def, written) in the block of gen and kill: gen, the
 * upward-exposed uses, kill, the definitions. */
static inline void gen_kill(uint64_t *gen, uint64_t *kill, uint32_t s,
			    bool def)
{
	uint64_t bit = (uint64_t)1 << (s % 64);
	if (def)
		kill[s / 64] |= bit;
	else if (!(kill[s / 64] & bit))
		gen[s / 64] |= bit;
}

/* One pass over the instructions: each one's operands (out->opnd, its
 * uses, then its defs; home holds whether used as a float until the
 * end), the blocks (starting at 0, at branch targets and after branches)
 * with their gen and kill sets (none when there would be more than
 * MAX_SET_WORDS words), and the calls out. 0, -EINVAL (an unknown
 * signature) or -ENOMEM. */
static int operands(struct live *l, struct wm_live *out)
{
	uint32_t n = l->f->ninsns, nb = 0, W = l->words;
	size_t nop = 0, cap = 3 * (size_t)n + 8;
	bool cut = true; /* the previous instruction ends a block */
	uint64_t *gen = NULL, *kill = NULL;
	l->blk = buf(out, B_BLK, sizeof(uint32_t) * 2 * (n + 1), 0);
	l->calls = buf(out, B_CALLS, sizeof(uint32_t) * (n + 1), 0);
	out->first = buf(out, B_FIRST, sizeof(uint32_t) * 2 * (n + 1), 0);
	out->opnd = buf(out, B_OPND, sizeof(*out->opnd) * cap, 0);
	if (!l->blk || !l->calls || !out->first || !out->opnd)
		return -ENOMEM;
	l->bstart = l->blk + n + 1;
	l->ncalls = l->nsucc = 0;
	for (uint32_t i = 0; i < n; i++) {
		enum ir_op op = l->f->insns[i].op;
		const uint32_t *w = words_of(l, i);
		struct span sp[6];
		unsigned k0, nk = rel_operands(w, op, &k0);
		unsigned c = op_spans(l->m, op, w, sp);
		if (op == IR_CALL_INDIRECT && c < 2)
			return -EINVAL; /* no such signature */
		if (cut || l->info[i].target) {
			size_t at = 2 * (size_t)W * nb;
			l->bstart[nb++] = i;
			gen = (size_t)nb * W > MAX_SET_WORDS ? NULL
			    : buf(out, B_GK, sizeof(*gen) * (at + 2 * W), 0);
			if (!gen && (size_t)nb * W <= MAX_SET_WORDS)
				return -ENOMEM;
			for (uint32_t j = 0; gen && j < 2 * W; j++)
				gen[at + j] = 0;
			l->gk = gen;
			gen = gen ? gen + at : NULL;
			kill = gen ? gen + W : NULL;
		}
		cut = nk || ends_flow(op);
		l->nsucc += nk;
		l->blk[i] = nb - 1;
		if (calls_out(op))
			l->calls[l->ncalls++] = i;
		size_t need = nop + 1;
		for (unsigned j = 0; j < c; j++)
			need += sp[j].n;
		if (need >= UINT32_MAX)
			return -ENOMEM;
		if (need > cap && !(out->opnd = buf(out, B_OPND,
						    sizeof(*out->opnd) * need, 0)))
			return -ENOMEM;
		cap = out->cap[B_OPND] / sizeof(*out->opnd);
		out->first[i] = (uint32_t)nop;
		for (unsigned def = 0; def < 2; def++)
			for (unsigned j = 0; j < c; j++)
				for (uint32_t s = sp[j].first;
				     sp[j].def == def && s < sp[j].first + sp[j].n;
				     s++) {
					out->opnd[nop++] = (struct wm_live_opnd){
					    s, sp[j].fl, sp[j].def};
					if (gen && s < l->nslots)
						gen_kill(gen, kill, s, sp[j].def);
				}
	}
	out->first[n] = (uint32_t)nop;
	l->bstart[nb] = n;
	l->nb = nb;
	l->nsucc += nb; /* and a fall-through each */
	return 0;
}

/* Each block's successors: its branch's targets, then the next block
 * unless control never falls through. */
static bool successors(struct live *l)
{
	uint32_t ns = 0;
	l->succ_first = buf(l->o, B_SUCC, sizeof(uint32_t) *
			    (2 * (size_t)l->nb + 2 * (size_t)l->nsucc + 1), 0);
	if (!l->succ_first)
		return false;
	l->top_first = l->succ_first + l->nb + 1;
	l->succ = l->top_first + l->nb;
	l->along_first = l->succ + l->nsucc;
	memset(l->top_first, 0xff, sizeof(uint32_t) * l->nb);
	for (uint32_t b = 0; b < l->nb; b++) {
		uint32_t e = l->bstart[b + 1] - 1;
		enum ir_op op = l->f->insns[e].op;
		const uint32_t *w = words_of(l, e);
		unsigned k0, nk = rel_operands(w, op, &k0);
		l->succ_first[b] = ns;
		for (unsigned k = k0; k < k0 + nk; k++) {
			uint32_t t = l->blk[l->index[l->f->insns[e].pos + 2 +
						      k + w[k]]];
			l->succ[ns++] = t;
			if (t != b + 1)
				l->top_first[t] = 0; /* joined: planned */
		}
		if (!ends_flow(op) && b + 1 < l->nb)
			l->succ[ns++] = b + 1;
	}
	l->succ_first[l->nb] = ns;
	return true;
}

/* Without -mpopcnt the builtin is a libgcc call. */
static inline uint32_t popcount(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555u;
	x = (x & 0x3333333333333333u) + ((x >> 2) & 0x3333333333333333u);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fu;
	return (uint32_t)((x * 0x0101010101010101u) >> 56);
}

/* in = gen | (out & ~kill), out = the union of the successors' in, to a
 * fixed point (blocks backwards: a loop takes a few rounds). */
static void solve(struct live *l)
{
	uint32_t W = l->words;
	for (bool changed = true; changed;) {
		changed = false;
		for (uint32_t b = l->nb; b-- > 0;) {
			size_t at = (size_t)b * W;
			const uint64_t *gen = l->gk + 2 * at, *kill = gen + W;
			for (uint32_t j = 0; j < W; j++) {
				uint64_t o = 0;
				for (uint32_t k = l->succ_first[b];
				     k < l->succ_first[b + 1]; k++)
					o |= l->in[(size_t)l->succ[k] * W + j];
				uint64_t v = gen[j] | (o & ~kill[j]);
				changed |= v != l->in[at + j];
				l->in[at + j] = v;
				l->out[at + j] = o;
			}
		}
	}
}

/* ---- webs ------------------------------------------------------------------ */

#define NONE UINT32_MAX

static inline uint32_t new_node(struct live *l, uint32_t s, uint32_t start)
{
	if (l->nnodes == l->nodecap) {
		l->nodes = buf(l->o, B_NODES,
			       sizeof(*l->nodes) * (2 * (size_t)l->nnodes + 64), 0);
		if (!l->nodes || l->nnodes >= UINT32_MAX / 4)
			return NONE;
		l->nodecap = (uint32_t)(l->o->cap[B_NODES] / sizeof(*l->nodes));
	}
	uint32_t x = l->nnodes++;
	l->nodes[x] = (struct node){s, start, start, x, x, false, 0, 0};
	return x;
}

static inline uint32_t find(struct node *nodes, uint32_t x)
{
	while (nodes[x].parent != x) {
		nodes[x].parent = nodes[nodes[x].parent].parent;
		x = nodes[x].parent;
	}
	return x;
}

/* Room for what the joins need (struct live): top_first and along_first
 * become places in one buffer. */
static bool plan_joins(struct live *l)
{
	uint32_t W = l->words;
	size_t ntop = 0, nalong = 0;
	for (uint32_t b = 0; b < l->nb; b++) {
		const uint64_t *in = l->in + (size_t)b * W;
		const uint64_t *out = l->out + (size_t)b * W;
		if (l->top_first[b] != NONE)
			l->top_first[b] = (uint32_t)ntop;
		for (uint32_t j = 0; l->top_first[b] != NONE && j < W; j++)
			ntop += popcount(in[j]);
		for (uint32_t k = l->succ_first[b]; k < l->succ_first[b + 1]; k++) {
			const uint64_t *tin = l->in + (size_t)l->succ[k] * W;
			l->along_first[k] = (uint32_t)nalong;
			for (uint32_t j = 0; l->succ[k] != b + 1 && j < W; j++)
				nalong += popcount(out[j] & tin[j]);
		}
	}
	if (ntop + nalong >= UINT32_MAX)
		return false;
	l->top = buf(l->o, B_AT, sizeof(uint32_t) * (ntop + nalong + 1), 0);
	l->along = l->top + ntop;
	return l->top != NULL;
}

/* The nodes of the slots in set (W words) into at, in slot order. */
static uint32_t *note_nodes(const struct live *l, uint32_t *at,
			    const uint64_t *set, const uint64_t *mask)
{
	for (uint32_t j = 0; j < l->words; j++)
		for (uint64_t m = set[j] & (mask ? mask[j] : ~0ull); m; m &= m - 1)
			*at++ = l->cur[j * 64 + __builtin_ctzll(m)];
	return at;
}

/* Forward over the blocks: a run of liveness continues into the next
 * block or starts at its top, every def starts one; each operand notes
 * its run in opnode. A run's end and read are set where it is last seen:
 * one going on into the next block is read there or live out again, so
 * each block touches only the runs starting or ending at its edges (and
 * notes those the joins need), not every value live through it. */
static bool sweep(struct live *l, const struct wm_live *out, uint32_t *opnode)
{
	uint32_t W = l->words;
	for (uint32_t b = 0; b < l->nb; b++) {
		const uint64_t *in = l->in + (size_t)b * W;
		const uint64_t *prev = b ? l->out + (size_t)(b - 1) * W : NULL;
		for (uint32_t j = 0; j < W; j++) /* live in, not out above */
			for (uint64_t m = in[j] & (prev ? ~prev[j] : ~0ull); m;
			     m &= m - 1) {
				uint32_t s = j * 64 + (uint32_t)__builtin_ctzll(m);
				l->cur[s] = new_node(l, s, 2 * l->bstart[b]);
				if (l->cur[s] == NONE)
					return false;
			}
		if (l->top_first[b] != NONE)
			note_nodes(l, l->top + l->top_first[b], in, NULL);
		for (uint32_t i = l->bstart[b]; i < l->bstart[b + 1]; i++) {
			/* the operands of calls and the entry pass through
			 * the frame: a register gains them nothing */
			uint32_t d = l->info[i].depth;
			enum ir_op op = l->f->insns[i].op;
			uint64_t k = op == IR_ENTRY || calls_out(op)
				   ? 0 : (uint64_t)1 << (d < 6 ? 3 * d : 18);
			for (uint32_t j = out->first[i]; j < out->first[i + 1]; j++) {
				uint32_t s = out->opnd[j].slot, x = NONE;
				if (s < l->nslots && out->opnd[j].def) {
					x = l->cur[s] = new_node(l, s, 2 * i + 1);
					if (x == NONE)
						return false;
				} else if (s < l->nslots) {
					x = l->cur[s];
					l->nodes[x].end = 2 * i;
					l->nodes[x].read = true;
				}
				if (x != NONE) {
					l->nodes[x].w += k;
					l->nodes[x].fw += out->opnd[j].home ? k : 0;
				}
				opnode[j] = x;
			}
		}
		uint32_t end = 2 * (l->bstart[b + 1] - 1) + 1;
		const uint64_t *live = l->out + (size_t)b * W;
		const uint64_t *next = b + 1 < l->nb ? in + W : NULL;
		for (uint32_t j = 0; j < W; j++)
			for (uint64_t m = live[j] & (next ? ~next[j] : ~0ull); m;
			     m &= m - 1) {
				uint32_t x = l->cur[j * 64 + __builtin_ctzll(m)];
				l->nodes[x].end = end;
				l->nodes[x].read = true;
			}
		for (uint32_t k = l->succ_first[b]; k < l->succ_first[b + 1]; k++)
			if (l->succ[k] != b + 1)
				note_nodes(l, l->along + l->along_first[k], live,
					   l->in + (size_t)l->succ[k] * W);
	}
	return true;
}

/* Joins the runs on both sides of every branch edge (the fall-through to
 * the next block already continues its runs): those of the slots live out
 * of the branch's block and into its target, the target's found by their
 * ranks. Then every run's parent is its web's root, whose weight and
 * circle become the web's. */
static void join_edges(struct live *l)
{
	uint32_t W = l->words;
	for (uint32_t b = 0; b < l->nb; b++) {
		const uint64_t *out = l->out + (size_t)b * W;
		for (uint32_t k = l->succ_first[b]; k < l->succ_first[b + 1]; k++) {
			uint32_t t = l->succ[k];
			if (t == b + 1)
				continue;
			const uint64_t *in = l->in + (size_t)t * W;
			const uint32_t *x = l->along + l->along_first[k];
			const uint32_t *y = l->top + l->top_first[t];
			for (uint32_t j = 0; j < W; j++) {
				for (uint64_t m = out[j] & in[j]; m; m &= m - 1) {
					uint64_t below = (m & -m) - 1;
					uint32_t rx = find(l->nodes, *x++);
					uint32_t ry = find(l->nodes, y[popcount(in[j] & below)]);
					l->nodes[rx].parent = ry;
				}
				y += popcount(in[j]);
			}
		}
	}
	for (uint32_t x = 0; x < l->nnodes; x++) {
		struct node *nd = l->nodes;
		uint32_t r = nd[x].parent = find(nd, x);
		if (r == x)
			continue;
		nd[r].w += nd[x].w; /* the web's weight, its runs in a circle */
		nd[r].fw += nd[x].fw;
		nd[x].next = nd[r].next;
		nd[r].next = x;
	}
}

/* ---- registers ------------------------------------------------------------- */

/* The roots of the webs that are accessed, heaviest first by the power of
 * two of their weight (weights are sums of powers of 8: finer order gains
 * little), in node order within one; their number. */
static uint32_t by_weight(struct live *l, uint32_t *order)
{
	struct node *nd = l->nodes;
	uint32_t first[66] = {0}, nw = 0;
	for (uint32_t x = 0; x < l->nnodes; x++)
		if (nd[x].parent == x && nd[x].w)
			first[__builtin_clzll(nd[x].w) + 1]++, nw++;
	for (unsigned b = 0; b < 65; b++)
		first[b + 1] += first[b];
	for (uint32_t x = 0; x < l->nnodes; x++)
		if (nd[x].parent == x && nd[x].w)
			order[first[__builtin_clzll(nd[x].w)]++] = x;
	return nw;
}

/* Four positions of occ at a time (vector_size: SSE2 on x86-64, plain
 * words elsewhere). */
typedef uint32_t occ4 __attribute__((vector_size(16)));

/* busy and the registers taken anywhere in positions p..e (p <= e), eight
 * at a time, until all are: the scan is most of the allocation's time. */
static inline uint32_t taken(const uint32_t *occ, uint32_t p, uint32_t e,
			     uint32_t busy)
{
	uint32_t a = busy;
	for (; p <= e && e - p >= 7 && a != ~0u; p += 8) {
		occ4 x, y;
		memcpy(&x, occ + p, sizeof(x));
		memcpy(&y, occ + p + 4, sizeof(y));
		x |= y;
		a |= x[0] | x[1] | x[2] | x[3];
	}
	for (; p <= e && a != ~0u; p++)
		a |= occ[p];
	return a;
}

/* Register bit taken in positions p..e. */
static inline void take(uint32_t *occ, uint32_t p, uint32_t e, uint32_t bit)
{
	for (; p <= e && e - p >= 3; p += 4) {
		occ4 x;
		memcpy(&x, occ + p, sizeof(x));
		x |= bit;
		memcpy(occ + p, &x, sizeof(x));
	}
	for (; p <= e; p++)
		occ[p] |= bit;
}

/* Webs by weight take the first register of their class free over all
 * their runs. reg: node -> home. occ: at each position, the registers
 * taken (most runs are a few positions long: one pass over them finds
 * every register free). */
static bool assign(struct live *l, int8_t *reg, unsigned ngpr, unsigned nxmm)
{
	struct node *nd = l->nodes;
	uint32_t *order = buf(l->o, B_ORDER, sizeof(*order) * (l->nnodes + 1), 0);
	uint32_t *occ = buf(l->o, B_OCC,
			    sizeof(*occ) * (2 * (size_t)l->f->ninsns + 2), 1);
	if (!order || !occ)
		return false;
	memset(reg, -1, l->nnodes);
	uint32_t nw = by_weight(l, order);
	for (uint32_t k = 0; k < nw; k++) {
		uint32_t r = order[k], x = r;
		bool fl = nd[r].fw * 2 >= nd[r].w;
		uint32_t busy = fl ? ~(((1u << nxmm) - 1) << ngpr)
				   : ~((1u << ngpr) - 1);
		do {
			busy = taken(occ, nd[x].start, nd[x].end, busy);
			x = nd[x].next;
		} while (x != r && busy != ~0u);
		if (busy == ~0u)
			continue;
		unsigned h = (unsigned)__builtin_ctz(~busy);
		do {
			take(occ, nd[x].start, nd[x].end, 1u << h);
			x = nd[x].next;
		} while (x != r);
		reg[r] = (int8_t)h;
	}
	for (uint32_t x = 0; x < l->nnodes; x++) /* node -> home */
		reg[x] = reg[nd[x].parent];
	return true;
}

/* The registers live across each instruction that calls out: runs in a
 * register from before its read point to after its write point. Counted
 * per call over every run, noting the runs that have any in cand (room
 * for every node), then filled from those. */
static bool find_saves(struct live *l, struct wm_live *out, const int8_t *reg,
		       uint32_t *cand)
{
	uint32_t n = l->f->ninsns, nc = l->ncalls, *calls = l->calls, m = 0;
	for (int pass = 0; nc && pass < 2; pass++) {
		uint32_t lo = 0; /* the first call read at or after start */
		for (uint32_t k = 0; k < (pass ? m : l->nnodes); k++) {
			uint32_t x = pass ? cand[k] : k;
			const struct node *nd = &l->nodes[x];
			while (lo < nc && 2 * calls[lo] < nd->start)
				lo++; /* runs start in order */
			if (reg[x] < 0 || lo == nc || 2 * calls[lo] + 1 > nd->end)
				continue;
			if (pass == 0)
				cand[m++] = x;
			for (uint32_t c = lo; c < nc && 2 * calls[c] + 1 <= nd->end;
			     c++)
				if (pass == 0)
					out->save_first[calls[c] + 1]++;
				else
					out->saves[out->save_first[calls[c]]++] =
					    (struct wm_live_save){nd->slot, reg[x]};
		}
		if (pass == 0) {
			for (uint32_t i = 0; i < n; i++)
				out->save_first[i + 1] += out->save_first[i];
			out->saves = buf(out, B_SAVES, sizeof(*out->saves) *
					 (out->save_first[n] + 1), 0);
			if (!out->saves)
				return false;
		}
	}
	for (uint32_t i = n; nc && i > 0; i--) /* back from the fill */
		out->save_first[i] = out->save_first[i - 1];
	out->save_first[0] = 0;
	return true;
}

/* The registers live into each loop header (its block's top runs). */
static bool find_heads(struct live *l, struct wm_live *out, const int8_t *reg)
{
	uint32_t n = l->f->ninsns, nh = 0, W = l->words;
	for (uint32_t b = 0; b < l->nb; b++)
		for (uint32_t j = 0; l->info[l->bstart[b]].header && j < W; j++)
			nh += popcount(l->in[(size_t)b * W + j]);
	out->heads = buf(out, B_HEADS, sizeof(*out->heads) * (nh + 1), 0);
	if (!out->heads)
		return false;
	nh = 0;
	for (uint32_t b = 0; b < l->nb; b++) {
		uint32_t h = l->bstart[b], ntop = 0;
		out->head_first[h] = nh;
		for (uint32_t j = 0; l->info[h].header && j < W; j++)
			ntop += popcount(l->in[(size_t)b * W + j]);
		for (uint32_t k = 0; k < ntop; k++) {
			uint32_t x = l->top[l->top_first[b] + k];
			if (reg[x] >= 0)
				out->heads[nh++] = (struct wm_live_save){
				    l->nodes[x].slot, reg[x]};
		}
		for (uint32_t i = h + 1; i <= l->bstart[b + 1] && i <= n; i++)
			out->head_first[i] = nh;
	}
	return true;
}

/* Liveness, webs and their registers; false when memory ran out. */
static bool analyze(struct live *l, struct wm_live *out, uint32_t *opnode,
		    unsigned ngpr, unsigned nxmm)
{
	uint32_t nop = out->first[l->f->ninsns];
	size_t set = (size_t)l->nb * l->words;
	if (set > MAX_SET_WORDS) { /* every value in the frame */
		for (uint32_t k = 0; k < nop; k++)
			out->opnd[k].home = -1;
		return true;
	}
	l->in = buf(out, B_SETS, sizeof(uint64_t) * (2 * set + 1), 1);
	l->cur = buf(out, B_CUR, sizeof(*l->cur) * (l->nslots + 1), 0);
	if (!l->in || !l->cur || !successors(l))
		return false;
	l->out = l->in + set;
	/* room for the runs up front (about one per two operands): growing
	 * by steps would copy them, and touch new pages each time */
	l->nodes = buf(out, B_NODES, sizeof(*l->nodes) * (nop / 2 + 64), 0);
	if (!l->nodes)
		return false;
	l->nodecap = (uint32_t)(out->cap[B_NODES] / sizeof(*l->nodes));
	solve(l);
	if (!plan_joins(l) || !sweep(l, out, opnode))
		return false;
	join_edges(l);
	int8_t *reg = buf(out, B_REG, l->nnodes + 1, 0);
	if (!reg || !assign(l, reg, ngpr, nxmm) || !find_saves(l, out, reg, out->buf[B_ORDER]))
		return false;
	if (out->want_heads && !find_heads(l, out, reg))
		return false;
	for (uint32_t k = 0; k < nop; k++) {
		uint32_t x = opnode[k];
		int8_t h = x == NONE ? -1
			 : out->opnd[k].def && !l->nodes[x].read ? WM_LIVE_DEAD
								  : reg[x];
		out->opnd[k].home = h;
		if (h >= 0)
			out->homes_used |= 1u << h;
	}
	return true;
}

int wm_live_alloc(struct wm_live *out, const struct wm_module *m,
		  const struct wm_jit_func *f, const struct wm_jit_info *info,
		  const uint32_t *index, unsigned ngpr, unsigned nxmm)
{
	struct live l = {.o = out, .m = m, .f = f, .info = info,
			 .index = index, .nslots = f->code->frame_slots};
	uint32_t n = f->ninsns;
	out->homes_used = 0;
	out->saves = NULL;
	l.words = (l.nslots + 63) / 64;
	int rc = operands(&l, out);
	if (rc)
		return rc;
	uint32_t *opnode = buf(out, B_OPNODE,
			       sizeof(*opnode) * (out->first[n] + 1), 0);
	if (!opnode)
		return -ENOMEM;
	out->save_first = out->first + n + 1;
	memset(out->save_first, 0, sizeof(uint32_t) * (n + 1));
	out->heads = NULL;
	out->head_first = NULL;
	if (out->want_heads &&
	    !(out->head_first = buf(out, B_HEAD_FIRST, sizeof(uint32_t) * (n + 1), 1)))
		return -ENOMEM;
	return analyze(&l, out, opnode, ngpr, nxmm) ? 0 : -ENOMEM;
}

void wm_live_free(struct wm_live *l)
{
	for (unsigned i = 0; i < B_COUNT; i++)
		free(l->buf[i]);
	memset(l, 0, sizeof(*l));
}
