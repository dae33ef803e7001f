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

struct wm_jit_info *wm_jit_infos(const struct wm_jit_func *f, uint32_t *index)
{
	const uint32_t *words = f->code->words;
	int32_t *diff = calloc(f->ninsns + 1, sizeof(*diff));
	struct wm_jit_info *info = calloc(f->ninsns + 1, sizeof(*info));
	if (!diff || !info) {
		free(diff);
		free(info);
		return NULL;
	}
	for (uint32_t i = 0; i < f->ninsns; i++)
		index[f->insns[i].pos] = i;
	for (uint32_t i = 0; i < f->ninsns; i++) {
		const uint32_t *w = words + f->insns[i].pos + 2;
		unsigned k0, n = rel_operands(w, f->insns[i].op, &k0);
		for (unsigned k = k0; k < k0 + n; k++) {
			uint32_t t = index[f->insns[i].pos + 2 + k + w[k]];
			info[t].target = true;
			if ((int32_t)w[k] >= 0)
				continue;
			diff[t]++; /* a loop: its back edge spans t .. i */
			diff[i + 1]--;
		}
	}
	int32_t d = 0;
	for (uint32_t i = 0; i < f->ninsns; i++)
		info[i].depth = (uint32_t)(d += diff[i]);
	free(diff);
	return info;
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
enum { B_FIRST, B_OPND, B_SAVES, B_OPNODE, B_SPANS, B_SPFIRST, B_BLK,
       B_BSTART, B_SUCC, B_SETS, B_CUR, B_RANKS, B_AT, B_NODES, B_REG,
       B_WEBS, B_TMP, B_WFIRST, B_MEMBERS, B_OCC, B_CALLS, B_COUNT };
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
	uint64_t w, fw; /* weighted accesses, those as a float */
	bool read;      /* by an instruction or a successor block */
};

struct live {
	struct wm_live *o;
	const struct wm_module *m;
	const struct wm_jit_func *f;
	const struct wm_jit_info *info;
	const uint32_t *index; /* word position -> instruction */
	uint32_t nslots, words; /* bitset words per set */
	uint32_t nb, *bstart;   /* blocks: first instruction, nb + 1 of them */
	uint32_t *succ_first, *succ; /* successor blocks */
	uint64_t *in, *out, *gen, *kill;
	struct node *nodes;
	uint32_t nnodes, nodecap;
	uint32_t *cur; /* slot -> its node at this point of the sweep */
	/* The node of each slot live into (out of) each block, in slot
	 * order: block b's from at_in[in_first[b]] (at_out[out_first[b]]). */
	uint32_t *in_first, *out_first, *at_in, *at_out;
	struct span *spans; /* instruction i's from spans[sp_first[i]] */
	uint32_t *sp_first;
};

static const uint32_t *words_of(const struct live *l, uint32_t i)
{
	return l->f->code->words + l->f->insns[i].pos + 2;
}

static unsigned spans_at(const struct live *l, uint32_t i,
			 const struct span **sp)
{
	*sp = l->spans + l->sp_first[i];
	return l->sp_first[i + 1] - l->sp_first[i];
}

static uint32_t target(const struct live *l, uint32_t i, unsigned k)
{
	const uint32_t *w = words_of(l, i);
	return l->index[l->f->insns[i].pos + 2 + k + w[k]];
}

/* Blocks start at 0, at branch targets and after branches. */
static bool find_blocks(struct live *l, uint32_t *blk)
{
	uint32_t n = l->f->ninsns;
	uint32_t nsucc = 0;
	memset(blk, 0, sizeof(*blk) * (n + 1));
	blk[0] = 1;
	for (uint32_t i = 0; i < n; i++) {
		unsigned k0, nk = rel_operands(words_of(l, i),
					       l->f->insns[i].op, &k0);
		for (unsigned k = k0; k < k0 + nk; k++)
			blk[target(l, i, k)] = 1;
		if (nk || ends_flow(l->f->insns[i].op))
			blk[i + 1] = 1;
		nsucc += nk + 1;
	}
	l->nb = 0;
	for (uint32_t i = 0; i < n; i++)
		l->nb += blk[i];
	l->bstart = buf(l->o, B_BSTART, sizeof(uint32_t) * 2 * (l->nb + 1), 0);
	l->succ = buf(l->o, B_SUCC, sizeof(uint32_t) * (nsucc + 1), 0);
	if (!l->bstart || !l->succ)
		return false;
	l->succ_first = l->bstart + l->nb + 1;
	uint32_t b = 0;
	for (uint32_t i = 0; i < n; i++) /* blk: instruction -> its block */
		if (blk[i])
			l->bstart[b++] = i;
	l->bstart[l->nb] = n;
	for (uint32_t i = 0, b = 0; i < n; i++) {
		b += blk[i];
		blk[i] = b - 1;
	}
	uint32_t ns = 0;
	for (b = 0; b < l->nb; b++) {
		uint32_t e = l->bstart[b + 1] - 1;
		enum ir_op op = l->f->insns[e].op;
		unsigned k0, nk = rel_operands(words_of(l, e), op, &k0);
		l->succ_first[b] = ns;
		for (unsigned k = k0; k < k0 + nk; k++)
			l->succ[ns++] = blk[target(l, e, k)];
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

static void set_bit(uint64_t *s, uint32_t i)
{
	s[i / 64] |= (uint64_t)1 << (i % 64);
}
static void clear_bit(uint64_t *s, uint32_t i)
{
	s[i / 64] &= ~((uint64_t)1 << (i % 64));
}

/* Upward-exposed uses (gen) and definitions (kill) of each block. */
static void gen_kill(struct live *l)
{
	const struct span *sp;
	for (uint32_t b = 0; b < l->nb; b++) {
		uint64_t *gen = l->gen + (size_t)b * l->words;
		uint64_t *kill = l->kill + (size_t)b * l->words;
		for (uint32_t i = l->bstart[b + 1]; i-- > l->bstart[b];) {
			unsigned n = spans_at(l, i, &sp);
			for (unsigned k = 0; k < n; k++)
				for (uint32_t s = sp[k].first;
				     sp[k].def && s < sp[k].first + sp[k].n &&
				     s < l->nslots; s++) {
					set_bit(kill, s);
					clear_bit(gen, s);
				}
			for (unsigned k = 0; k < n; k++)
				for (uint32_t s = sp[k].first;
				     !sp[k].def && s < sp[k].first + sp[k].n &&
				     s < l->nslots; s++)
					set_bit(gen, s);
		}
	}
}

/* in = gen | (out & ~kill), out = the union of the successors' in, to a
 * fixed point (blocks backwards: a loop takes a few rounds). */
static void solve(struct live *l)
{
	uint32_t W = l->words;
	for (bool changed = true; changed;) {
		changed = false;
		for (uint32_t b = l->nb; b-- > 0;) {
			uint64_t *out = l->out + (size_t)b * W;
			uint64_t *in = l->in + (size_t)b * W;
			const uint64_t *gen = l->gen + (size_t)b * W;
			const uint64_t *kill = l->kill + (size_t)b * W;
			memset(out, 0, W * sizeof(*out));
			for (uint32_t k = l->succ_first[b]; k < l->succ_first[b + 1];
			     k++) {
				const uint64_t *si = l->in + (size_t)l->succ[k] * W;
				for (uint32_t j = 0; j < W; j++)
					out[j] |= si[j];
			}
			for (uint32_t j = 0; j < W; j++) {
				uint64_t v = gen[j] | (out[j] & ~kill[j]);
				changed |= v != in[j];
				in[j] = v;
			}
		}
	}
}

/* ---- webs ------------------------------------------------------------------ */

#define NONE UINT32_MAX

static uint32_t new_node(struct live *l, uint32_t s, uint32_t start)
{
	if (l->nnodes == l->nodecap) {
		l->nodes = buf(l->o, B_NODES,
			       sizeof(*l->nodes) * (2 * (size_t)l->nnodes + 64), 0);
		if (!l->nodes || l->nnodes >= UINT32_MAX / 4)
			return NONE;
		l->nodecap = (uint32_t)(l->o->cap[B_NODES] / sizeof(*l->nodes));
	}
	l->nodes[l->nnodes] =
	    (struct node){s, start, start, l->nnodes, 0, 0, false};
	return l->nnodes++;
}

static uint32_t find(struct node *nodes, uint32_t x)
{
	while (nodes[x].parent != x) {
		nodes[x].parent = nodes[nodes[x].parent].parent;
		x = nodes[x].parent;
	}
	return x;
}

/* One access of slot s at instruction i (a def when def). */
static bool note_access(struct live *l, uint32_t *opnode, uint32_t *nop,
		   uint32_t i, uint32_t s, const struct span *sp, uint64_t k)
{
	uint32_t n = NONE;
	if (s < l->nslots) {
		if (sp->def) {
			n = new_node(l, s, 2 * i + 1);
			if (n == NONE)
				return false;
			l->cur[s] = n;
		} else {
			n = l->cur[s];
			l->nodes[n].end = 2 * i;
			l->nodes[n].read = true;
		}
		l->nodes[n].w += k;
		l->nodes[n].fw += sp->fl ? k : 0;
	}
	opnode[(*nop)++] = n;
	return true;
}

/* Forward over the blocks: a run of liveness continues into the next
 * block or starts at its top, every def starts one; each access notes its
 * run in opnode (the instruction's uses, then its defs). */
static bool sweep(struct live *l, struct wm_live *out, uint32_t *opnode)
{
	const struct span *sp;
	uint32_t W = l->words, nop = 0;
	for (uint32_t b = 0; b < l->nb; b++) {
		const uint64_t *in = l->in + (size_t)b * W;
		const uint64_t *prev = b ? l->out + (size_t)(b - 1) * W : NULL;
		uint32_t *at = l->at_in + l->in_first[b];
		for (uint32_t j = 0; j < W; j++) /* live in, not out above */
			for (uint64_t m = in[j]; m; m &= m - 1) {
				uint32_t s = j * 64 + (uint32_t)__builtin_ctzll(m);
				if (!prev || !(prev[j] & (m & -m)))
					l->cur[s] = new_node(l, s, 2 * l->bstart[b]);
				if ((*at++ = l->cur[s]) == NONE)
					return false;
			}
		for (uint32_t i = l->bstart[b]; i < l->bstart[b + 1]; i++) {
			/* the operands of calls and the entry pass through
			 * the frame: a register gains them nothing */
			uint32_t d = l->info[i].depth;
			enum ir_op op = l->f->insns[i].op;
			uint64_t k = op == IR_ENTRY || calls_out(op)
				   ? 0 : (uint64_t)1 << (d < 6 ? 3 * d : 18);
			unsigned n = spans_at(l, i, &sp);
			out->first[i] = nop;
			for (int def = 0; def < 2; def++)
				for (unsigned j = 0; j < n; j++)
					for (uint32_t s = sp[j].first;
					     sp[j].def == def &&
					     s < sp[j].first + sp[j].n; s++) {
						out->opnd[nop] = (struct wm_live_opnd){
						    s, -1, sp[j].def};
						if (!note_access(l, opnode, &nop, i, s,
							    &sp[j], k))
							return false;
					}
		}
		uint32_t end = 2 * (l->bstart[b + 1] - 1) + 1;
		const uint64_t *live = l->out + (size_t)b * W;
		at = l->at_out + l->out_first[b];
		for (uint32_t j = 0; j < W; j++)
			for (uint64_t m = live[j]; m; m &= m - 1) {
				uint32_t x = l->cur[j * 64 + __builtin_ctzll(m)];
				l->nodes[x].end = end;
				l->nodes[x].read = true;
				*at++ = x;
			}
	}
	out->first[l->f->ninsns] = nop;
	return true;
}

/* Joins the runs on both sides of every branch edge (the fall-through to
 * the next block already continues its runs): those of the slots live out
 * of the branch's block and into its target, found by their ranks. */
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
			const uint32_t *x = l->at_out + l->out_first[b];
			const uint32_t *y = l->at_in + l->in_first[t];
			for (uint32_t j = 0; j < W; j++) {
				for (uint64_t m = out[j] & in[j]; m; m &= m - 1) {
					uint64_t below = (m & -m) - 1;
					uint32_t rx = find(l->nodes, x[popcount(out[j] & below)]);
					uint32_t ry = find(l->nodes, y[popcount(in[j] & below)]);
					l->nodes[rx].parent = ry;
				}
				x += popcount(out[j]);
				y += popcount(in[j]);
			}
		}
	}
}

/* Where each block's live-in and live-out nodes go. */
static bool rank_tables(struct live *l)
{
	uint32_t W = l->words;
	size_t nin = 0, nout = 0;
	l->in_first = buf(l->o, B_RANKS, sizeof(uint32_t) * 2 * (l->nb + 1), 0);
	if (!l->in_first)
		return false;
	l->out_first = l->in_first + l->nb + 1;
	for (uint32_t b = 0; b < l->nb; b++) {
		l->in_first[b] = (uint32_t)nin;
		l->out_first[b] = (uint32_t)nout;
		for (uint32_t j = 0; j < W; j++) {
			nin += popcount(l->in[(size_t)b * W + j]);
			nout += popcount(l->out[(size_t)b * W + j]);
		}
	}
	if (nin + nout >= UINT32_MAX)
		return false;
	l->at_in = buf(l->o, B_AT, sizeof(uint32_t) * (nin + nout + 1), 0);
	l->at_out = l->at_in + nin;
	return l->at_in != NULL;
}

/* ---- registers ------------------------------------------------------------- */

struct web {
	uint32_t root;
	uint64_t w, fw;
};

/* Webs heaviest first, by the power of two of their weight (weights are
 * sums of powers of 8: finer order gains little), stable. */
static bool by_weight(struct wm_live *o, struct web *webs, uint32_t n)
{
	uint32_t first[66] = {0};
	struct web *tmp = buf(o, B_TMP, sizeof(*tmp) * (n + 1), 0);
	if (!tmp)
		return false;
	for (uint32_t k = 0; k < n; k++)
		first[__builtin_clzll(webs[k].w) + 1]++;
	for (unsigned b = 0; b < 65; b++)
		first[b + 1] += first[b];
	for (uint32_t k = 0; k < n; k++)
		tmp[first[__builtin_clzll(webs[k].w)]++] = webs[k];
	memcpy(webs, tmp, sizeof(*tmp) * n);
	return true;
}

/* Webs by weight take the first register of their class free over all
 * their runs (members: the runs of each web, grouped). reg: root -> home.
 * occ: at each position, the registers taken (most runs are a few
 * positions long: one pass over them finds every register free). */
static bool assign(struct live *l, int8_t *reg, unsigned ngpr, unsigned nxmm)
{
	uint32_t nn = l->nnodes, nw = 0;
	struct web *webs = buf(l->o, B_WEBS, sizeof(*webs) * (nn + 1), 0);
	uint32_t *first = buf(l->o, B_WFIRST, sizeof(*first) * (nn + 2), 1);
	uint32_t *members = buf(l->o, B_MEMBERS, sizeof(*members) * (nn + 1), 0);
	uint32_t *occ = buf(l->o, B_OCC,
			    sizeof(*occ) * (2 * (size_t)l->f->ninsns + 2), 1);
	bool ok = webs && first && members && occ;
	for (uint32_t n = 0; ok && n < nn; n++) {
		uint32_t r = find(l->nodes, n);
		reg[n] = -1;
		first[r + 1]++;
		if (r != n) {
			l->nodes[r].w += l->nodes[n].w;
			l->nodes[r].fw += l->nodes[n].fw;
		}
	}
	for (uint32_t n = 0; ok && n < nn; n++) {
		first[n + 1] += first[n];
		if (l->nodes[n].parent == n && l->nodes[n].w)
			webs[nw++] = (struct web){n, l->nodes[n].w, l->nodes[n].fw};
	}
	for (uint32_t n = 0; ok && n < nn; n++) {
		uint32_t r = find(l->nodes, n);
		members[first[r]++] = n;
	}
	for (uint32_t n = nn; ok && n > 0; n--)
		first[n] = first[n - 1];
	if (ok)
		first[0] = 0;
	ok = ok && by_weight(l->o, webs, nw);
	for (uint32_t k = 0; ok && k < nw; k++) {
		bool fl = webs[k].fw * 2 >= webs[k].w;
		uint32_t class = fl ? ((1u << nxmm) - 1) << ngpr
				    : (1u << ngpr) - 1;
		const uint32_t *mb = members + first[webs[k].root];
		uint32_t nm = first[webs[k].root + 1] - first[webs[k].root];
		uint32_t busy = ~class;
		for (uint32_t j = 0; j < nm && busy != ~0u; j++)
			for (uint32_t p = l->nodes[mb[j]].start;
			     p <= l->nodes[mb[j]].end; p++)
				busy |= occ[p];
		if (busy == ~0u)
			continue;
		unsigned r = (unsigned)__builtin_ctz(~busy);
		for (uint32_t j = 0; j < nm; j++)
			for (uint32_t p = l->nodes[mb[j]].start;
			     p <= l->nodes[mb[j]].end; p++)
				occ[p] |= 1u << r;
		reg[webs[k].root] = (int8_t)r;
	}
	return ok;
}

/* The registers live across each instruction that calls out: runs in a
 * register from before its read point to after its write point. */
static bool find_saves(struct live *l, struct wm_live *out, const int8_t *reg)
{
	uint32_t n = l->f->ninsns, ncalls = 0, nsaves = 0;
	/* calls, then at each instruction how many calls come before it */
	uint32_t *calls = buf(out, B_CALLS, sizeof(*calls) * (2 * n + 2), 0);
	if (!calls)
		return false;
	uint32_t *before = calls + n + 1;
	for (uint32_t i = 0; i < n; i++) {
		before[i] = ncalls;
		if (calls_out(l->f->insns[i].op))
			calls[ncalls++] = i;
	}
	before[n] = ncalls;
	for (int pass = 0; ncalls && pass < 2; pass++) {
		for (uint32_t x = 0; x < l->nnodes; x++) {
			const struct node *nd = &l->nodes[x];
			int8_t r = reg[x];
			if (r < 0)
				continue;
			/* the first call whose read point is at or after start */
			uint32_t lo = before[(nd->start + 1) / 2];
			for (; lo < ncalls && 2 * calls[lo] + 1 <= nd->end; lo++) {
				uint32_t c = calls[lo];
				if (pass == 0)
					out->save_first[c + 1]++;
				else
					out->saves[out->save_first[c]++] =
					    (struct wm_live_save){nd->slot, r};
			}
		}
		if (pass == 0) {
			for (uint32_t i = 0; i < n; i++)
				out->save_first[i + 1] += out->save_first[i];
			nsaves = out->save_first[n];
			out->saves = buf(out, B_SAVES,
					 sizeof(*out->saves) * (nsaves + 1), 0);
			if (!out->saves)
				return false;
		}
	}
	for (uint32_t i = n; ncalls && i > 0; i--) /* back from the fill */
		out->save_first[i] = out->save_first[i - 1];
	out->save_first[0] = 0;
	return true;
}

/* The operands of every instruction, in the frame (the fallback). */
static void frame_operands(struct live *l, struct wm_live *out)
{
	const struct span *sp;
	uint32_t nop = 0;
	for (uint32_t i = 0; i < l->f->ninsns; i++) {
		unsigned n = spans_at(l, i, &sp);
		out->first[i] = nop;
		for (unsigned j = 0; j < n; j++)
			for (uint32_t s = sp[j].first; s < sp[j].first + sp[j].n;
			     s++)
				out->opnd[nop++] =
				    (struct wm_live_opnd){s, -1, sp[j].def};
	}
	out->first[l->f->ninsns] = nop;
}

/* Liveness, webs and their registers; false when memory ran out. */
static bool analyze(struct live *l, struct wm_live *out, uint32_t *opnode,
		    unsigned ngpr, unsigned nxmm)
{
	uint32_t n = l->f->ninsns;
	uint32_t *blk = buf(out, B_BLK, sizeof(*blk) * (n + 1), 0);
	if (!blk || !find_blocks(l, blk))
		return false;
	size_t set = (size_t)l->nb * l->words;
	if (set > MAX_SET_WORDS) {
		frame_operands(l, out); /* every value in the frame */
		return true;
	}
	l->in = buf(out, B_SETS, sizeof(uint64_t) * (4 * set + 1), 1);
	l->cur = buf(out, B_CUR, sizeof(*l->cur) * (l->nslots + 1), 0);
	if (!l->in || !l->cur)
		return false;
	l->out = l->in + set;
	l->gen = l->out + set;
	l->kill = l->gen + set;
	gen_kill(l);
	solve(l);
	if (!rank_tables(l) || !sweep(l, out, opnode))
		return false;
	join_edges(l);
	for (uint32_t x = 0; x < l->nnodes; x++) /* every node to its root */
		l->nodes[x].parent = find(l->nodes, x);
	int8_t *reg = buf(out, B_REG, l->nnodes + 1, 0);
	bool ok = reg && assign(l, reg, ngpr, nxmm);
	for (uint32_t x = 0; ok && x < l->nnodes; x++) /* node -> home */
		reg[x] = reg[find(l->nodes, x)];
	ok = ok && find_saves(l, out, reg);
	for (uint32_t k = 0; ok && k < out->first[n]; k++)
		if (opnode[k] != NONE && out->opnd[k].def &&
		    !l->nodes[opnode[k]].read) {
			out->opnd[k].home = WM_LIVE_DEAD;
		} else if (opnode[k] != NONE) {
			out->opnd[k].home = reg[opnode[k]];
			if (out->opnd[k].home >= 0)
				out->homes_used |= 1u << out->opnd[k].home;
		}
	return ok;
}

/* Every instruction's spans, once; the number of operands in total. */
static bool all_spans(struct live *l, size_t *nop)
{
	uint32_t n = l->f->ninsns, k = 0;
	l->sp_first = buf(l->o, B_SPFIRST, sizeof(uint32_t) * (n + 1), 0);
	if (!l->sp_first)
		return false;
	*nop = 0;
	for (uint32_t i = 0; i < n; i++) {
		l->spans = buf(l->o, B_SPANS, sizeof(*l->spans) * (k + 6), 0);
		if (!l->spans)
			return false;
		l->sp_first[i] = k;
		unsigned c = op_spans(l->m, l->f->insns[i].op, words_of(l, i),
				      l->spans + k);
		if (l->f->insns[i].op == IR_CALL_INDIRECT && c < 2)
			return false; /* no such signature */
		for (unsigned j = 0; j < c; j++)
			*nop += l->spans[k + j].n;
		k += c;
	}
	l->sp_first[n] = k;
	return true;
}

int wm_live_alloc(struct wm_live *out, const struct wm_module *m,
		  const struct wm_jit_func *f, const struct wm_jit_info *info,
		  const uint32_t *index, unsigned ngpr, unsigned nxmm)
{
	struct live l = {.o = out, .m = m, .f = f, .info = info,
			 .index = index, .nslots = f->code->frame_slots};
	size_t nop = 0, n = f->ninsns;
	out->homes_used = 0;
	out->saves = NULL;
	l.words = (l.nslots + 63) / 64;
	if (!all_spans(&l, &nop))
		return -EINVAL;
	out->first = buf(out, B_FIRST, sizeof(uint32_t) * 2 * (n + 1), 0);
	out->opnd = buf(out, B_OPND, sizeof(*out->opnd) * (nop + 1), 0);
	uint32_t *opnode = buf(out, B_OPNODE, sizeof(*opnode) * (nop + 1), 0);
	if (!out->first || !out->opnd || !opnode || nop >= UINT32_MAX)
		return -ENOMEM;
	out->save_first = out->first + n + 1;
	memset(out->save_first, 0, sizeof(uint32_t) * (n + 1));
	return analyze(&l, out, opnode, ngpr, nxmm) ? 0 : -ENOMEM;
}

void wm_live_free(struct wm_live *l)
{
	for (unsigned i = 0; i < B_COUNT; i++)
		free(l->buf[i]);
	memset(l, 0, sizeof(*l));
}
