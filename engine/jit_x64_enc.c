/* jit_x64_enc.c — x86-64 backend (jit_x64.h): the instruction encoders
 * every emitter calls (bytes, opcodes, ModRM operands, frame slot or home
 * register operands, immediates, forward jumps and trap stubs), out of
 * line and in one place (jit_x64.h: why).
 */
#include "jit_x64.h"

#if defined(__x86_64__) && defined(__linux__)

/* Byte stores rather than wm_jit_buf_put's memcpy: at -Os a memcpy call
 * per byte made compiling 1.65x slower. */
void b1(struct em *e, uint8_t x)
{
	struct wm_jit_buf *b = e->b;
	if (b->len + 1 > b->cap && !wm_jit_buf_reserve(b, 1))
		return;
	b->p[b->len++] = x;
}

void b4(struct em *e, uint32_t x)
{
	struct wm_jit_buf *b = e->b;
	if (b->len + 4 > b->cap && !wm_jit_buf_reserve(b, 4))
		return;
	for (int i = 0; i < 4; i++, x >>= 8)
		b->p[b->len++] = (uint8_t)x;
}

/* One to three opcode bytes, most significant first. */
void opcode(struct em *e, unsigned opc)
{
	if (opc > 0xffff)
		b1(e, opc >> 16);
	if (opc > 0xff)
		b1(e, (opc >> 8) & 0xff);
	b1(e, opc & 0xff);
}

/* opcode reg, [base + d] */
void op_m(struct em *e, int w, unsigned opc, int reg, int base,
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

/* opcode reg, [base + (index << ss) + d] */
void op_sib(struct em *e, int w, unsigned opc, int reg, int base,
	    int index, int ss, int32_t d)
{
	rex(e, w, reg, index, base);
	opcode(e, opc);
	int mod = mod_for(base, d);
	b1(e, mod << 6 | (reg & 7) << 3 | 4);
	b1(e, ss << 6 | (index & 7) << 3 | (base & 7));
	disp(e, mod, d);
}
/* opcode reg, [base + index + d] */
void op_mx(struct em *e, int w, unsigned opc, int reg, int base,
		  int index, int32_t d)
{
	op_sib(e, w, opc, reg, base, index, 0, d);
}

/* opcode reg, rm (register direct) */
void op_r(struct em *e, int w, unsigned opc, int reg, int rm)
{
	rex(e, w, reg, 0, rm);
	opcode(e, opc);
	b1(e, 0xc0 | (reg & 7) << 3 | (rm & 7));
}

/* The register of slot s as the current instruction reads it (def: as it
 * writes it), or NULL when it is in the frame. A slot the analysis does
 * not know as an operand fails the function (it stays interpreted). */
const struct home *home_of(struct em *e, uint32_t s, bool def)
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

/* opcode reg, slot s (an r/m operand: register or frame); a slot in an
 * xmm register passes through rdx. */
void op_s(struct em *e, int w, unsigned opc, int reg, uint32_t s)
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

void ld(struct em *e, int w, int reg, uint32_t s)
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

void st(struct em *e, int w, uint32_t s, int reg)
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

void mov_ri(struct em *e, int reg, uint64_t k)
{
	rex(e, k > UINT32_MAX, 0, 0, reg);
	b1(e, 0xb8 + (reg & 7));
	if (k > UINT32_MAX)
		wm_jit_buf_put(e->b, &k, 8);
	else
		b4(e, (uint32_t)k);
}

void add_fix(struct em *e, size_t at, size_t base, uint32_t target)
{
	if (!grow((void **)&e->fix, e->nfix, &e->fixcap, sizeof(*e->fix))) {
		e->b->oom = true;
		return;
	}
	e->fix[e->nfix++] = (struct fixup){at, base, target};
}

/* jcc forward to be patched; returns the rel32's position. */
size_t jcc_fwd(struct em *e, int cc)
{
	b1(e, 0x0f);
	b1(e, 0x80 + cc);
	b4(e, 0);
	return here(e) - 4;
}

void trap_if(struct em *e, int cc, int kind, uint32_t pos)
{
	if (!grow((void **)&e->stubs, e->nstubs, &e->stubcap,
		  sizeof(*e->stubs))) {
		e->b->oom = true;
		return;
	}
	e->stubs[e->nstubs++] = (struct stub){jcc_fwd(e, cc), pos, kind, 0, 0};
}

#endif
