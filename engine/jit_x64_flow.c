/* jit_x64_flow.c — x86-64 backend (jit_x64.h): control ops and calls.
 * The call sequence (spills around calls, direct, indirect and helper
 * calls, the lazy stub, a function's outer and inner entries) is one
 * block; then branches, br_table, returns, globals, the emit_op dispatch.
 */
#include "jit_x64.h"

#if defined(__x86_64__) && defined(__linux__)

/* The epilogue in place: two bytes, and no jump taken per call. */
static void ret_ok(struct em *e)
{
	op_r(e, 0, 0x31, RAX, RAX);
	x64_epilogue(e);
}
static void check_status(struct em *e)
{
	op_r(e, 0, 0x85, RAX, RAX);
	jcc_to(e, CC_NE, EPILOGUE);
}

/* ---- branches ------------------------------------------------------------------ */

/* The interpreter's check at function entry and loop back edges; `pos` is
 * where it reports (for a branch: the target). Inline, one load and
 * compare of the interrupt and fuel_enabled words: with fuel off (the
 * usual case) no count in memory chains each check to the one before
 * through a store; the count and the interrupt are out of line
 * (x64_check_stub), in the interpreter's order. A module loaded for fuel
 * (wasm_load_opts.fuel) counts inline first instead, out when negative:
 * with fuel on no taken jump per check. */
_Static_assert(offsetof(struct wasm_instance, fuel_enabled) ==
		       offsetof(struct wasm_instance, interrupt) + 4 &&
	       offsetof(struct wasm_instance, interrupt) % 8 == 0,
	       "one 8-byte word: interrupt and fuel_enabled");
static void fuel_check(struct em *e, uint32_t pos)
{
	bool count = e->u->m->count_fuel;
	if (count) {
		op_m(e, 1, 0xff, 1, CTX, offsetof(struct wasm_instance, fuel));
		trap_if(e, CC_S, -1, pos);
	}
	op_m(e, !count, 0x83, 7, CTX, offsetof(struct wasm_instance, interrupt));
	b1(e, 0);
	trap_if(e, CC_NE, STUB_CHECK, pos);
}

/* jcc rel32 to code offset `to`, emitted already. */
static void jcc_back(struct em *e, int cc, size_t to)
{
	b1(e, 0x0f);
	b1(e, 0x80 + cc);
	b4(e, (uint32_t)((int64_t)to - (int64_t)(here(e) + 4)));
}

/* A fuel check's out-of-line part (fuel_check): with fuel on, the count
 * (unless counted inline), out of it on to the trap; then an interrupt asks the safepoint
 * routine; back to `back` when the code goes on, else on to the trap
 * that follows. */
void x64_check_stub(struct em *e, size_t back, size_t routine)
{
	size_t out = SIZE_MAX;
	if (!e->u->m->count_fuel) {
		op_m(e, 0, 0x83, 7, CTX,
		     offsetof(struct wasm_instance, fuel_enabled));
		b1(e, 0);
		size_t off = jcc_fwd(e, CC_E);
		op_m(e, 1, 0xff, 1, CTX, offsetof(struct wasm_instance, fuel));
		out = jcc_fwd(e, CC_S);
		land(e, off);
	}
	op_m(e, 0, 0x83, 7, CTX, offsetof(struct wasm_instance, interrupt));
	b1(e, 0);
	jcc_back(e, CC_E, back);
	b1(e, 0xe8);
	b4(e, (uint32_t)((int64_t)routine - (int64_t)(here(e) + 4)));
	jcc_back(e, CC_NE, back);
	if (out != SIZE_MAX)
		land(e, out);
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

/* ---- calls -------------------------------------------------------------------- */

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

/* A helper's first arguments: context, instance, frame, function and
 * position. */
static void helper_args(struct em *e)
{
	mov_rr(e, RDI, CTX);
	mov_rr(e, RSI, INST);
	mov_rr(e, RDX, FP);
	mov_ri(e, RCX, e->f->index);
	mov_ri(e, R8, e->pos);
}
/* Calls leaving compiled code (imports, indirect, interpreted callees). */
static void helper_call(struct em *e)
{
	helper_args(e);
	mov_rr(e, R9, RSP);
	x64_call_c(e, WM_JIT_H_CALL);
}
/* Table and bulk-memory instructions: bulk.c's code, on the frame. */
RARE static void emit_bulk(struct em *e, enum ir_op op)
{
	spill(e);
	helper_args(e);
	mov_ri(e, R9, op);
	x64_call_c(e, WM_JIT_H_BULK);
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

/* The interpreter's frame limit before a compiled call: the stack
 * pointer against the floor (runtime.h, jit_frame_floor), a load and no
 * store (a count in memory, up and down per call, chains every call to
 * the one before through the store). */
static void frame_limit(struct em *e)
{
	op_m(e, 1, 0x3b, RSP, CTX,
	     offsetof(struct wasm_instance, jit_frame_floor));
	trap_if(e, CC_BE, WASM_TRAP_STACK_EXHAUSTED, e->pos);
}

/* The interpreter's frame and value-stack checks before a call of the
 * compiled code in rcx whose frame starts at args (r9 clobbered, rsi the
 * callee's frame). */
static void frame_checks(struct em *e, int32_t args)
{
	frame_limit(e);
	op_m(e, 1, 0x8d, RSI, FP, args);
	op_m(e, 0, 0x8b, R9, RCX, offsetof(struct wm_code, frame_slots));
	op_sib(e, 1, 0x8d, R9, RSI, R9, 3, 0); /* r9 = rsi + slots * 8 */
	op_m(e, 1, 0x3b, R9, CTX, offsetof(struct wasm_instance, stack_end));
	trap_if(e, CC_A, WASM_TRAP_STACK_EXHAUSTED, e->pos);
}

/* call_indirect: the interpreter's checks inline, then a native call when
 * the callee is a compiled function of this instance, at its inner entry,
 * on a straight path (no jump taken). Host functions have no instance, so
 * one compare with this instance sends them, and other instances'
 * functions, out of line with interpreted callees (x64_indirect_stub). */
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
	op_sib(e, 1, 0x8b, RAX, RCX, RAX, 3, 0); /* rax = the wasm_func */
	op_r(e, 1, 0x85, RAX, RAX);
	trap_if(e, CC_E, WASM_TRAP_UNINITIALIZED_ELEMENT, e->pos);
	op_m(e, 0, 0x81, 7, RAX, offsetof(struct wasm_func, sig_id));
	wm_jit_note_sig(e->u, here(e), w[1]);
	b4(e, w[1]);
	trap_if(e, CC_NE, WASM_TRAP_INDIRECT_TYPE_MISMATCH, e->pos);
	op_m(e, 1, 0x39, INST, RAX, offsetof(struct wasm_func, inst));
	uint32_t k = e->nstubs;
	trap_if(e, CC_NE, STUB_INDIRECT, e->pos);
	size_t interp = not_compiled(e);
	frame_checks(e, slot(e, w[2]));
	op_m(e, 0, 0xff, 2, RCX, offsetof(struct wm_code, jit_inner));
	if (k < e->nstubs) { /* else out of memory */
		e->stubs[k].at2 = interp;
		e->stubs[k].back = here(e);
	}
	reload(e, true);
	check_status(e);
}

/* call_indirect's out-of-line path, from both jumps of s: host,
 * interpreted and other instances' callees through the helper (which
 * counts the compiled frames for them), then back to the reload. */
void x64_indirect_stub(struct em *e, struct stub s)
{
	uint32_t pos = e->pos;
	e->pos = s.pos;
	land(e, s.at);
	land(e, s.at2);
	helper_call(e);
	b1(e, 0xe9);
	b4(e, (uint32_t)((int64_t)s.back - (int64_t)(here(e) + 4)));
	e->pos = pos;
}

/* call rel32 to the inner entry of the unit's function k, or (k: HELPER
 * + h, after x64_call_c's opcode) the disp32 of helper h's table entry;
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
__attribute__((noinline)) void x64_call_c(struct em *e,
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
	frame_limit(e);
	op_m(e, 1, 0x8d, RSI, FP, slot(e, e->w[1]));
	op_m(e, 1, 0x8d, RAX, RSI, slot(e, cc->frame_slots));
	op_m(e, 1, 0x3b, RAX, CTX, offsetof(struct wasm_instance, stack_end));
	trap_if(e, CC_A, WASM_TRAP_STACK_EXHAUSTED, e->pos);
	if (!e->u->lazy || e->w[0] == e->f->index) {
		call_direct(e, e->u->lazy ? (uint32_t)(e->f - e->u->funcs)
					  : callee);
	} else if (!call_compiled(e, cc)) {
		mov_ri(e, RAX, e->w[0]);
		mov_ri(e, RCX, (uintptr_t)&cc->jit_inner);
		op_m(e, 0, 0xff, 2, RCX, 0); /* call [rcx] */
	}
	reload(e, true);
	check_status(e);
}

/* The lazy stub (jit.h): entered like an inner entry (rsp 8 mod 16, rsi
 * the frame, r14 the context, r15 the instance, eax the function), it
 * calls wm_jit_lazy_call(ctx, inst, frame, funcidx, the caller's rsp).
 * The caller spilled what it keeps, and C keeps rbx, rbp and r12-r15 as
 * compiled code expects; the push of rsi aligns the stack for the C
 * call. */
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
	"\tlea 16(%rsp), %r8\n"
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

static const uint8_t pushes[] = {RBP, RBX, R12, R13, R14, R15};

/* The outer entry's jit_frame_base (runtime.h): the stack pointer in the
 * body it calls, 16 below its own; and the floor, 16 bytes per frame
 * left below that (all ones: none left; 0: more than the stack has). */
static void frame_base(struct em *e)
{
	op_r(e, 1, 0x83, 1, RCX);
	b1(e, 0xff); /* or rcx, -1 */
	op_m(e, 0, 0x8b, RAX, CTX, offsetof(struct wasm_instance, max_frames));
	op_m(e, 0, 0x2b, RAX, CTX, offsetof(struct wasm_instance, nframes));
	size_t none = jcc_fwd(e, CC_BE);
	op_r(e, 1, 0xc1, 4, RAX);
	b1(e, 4); /* shl rax, 4 */
	op_m(e, 1, 0x8d, RCX, RSP, -16);
	op_r(e, 1, 0x29, RAX, RCX); /* sub rcx, rax */
	size_t fits = jcc_fwd(e, CC_AE);
	op_r(e, 0, 0x31, RCX, RCX);
	land(e, none);
	land(e, fits);
	op_m(e, 1, 0x89, RCX, CTX,
	     offsetof(struct wasm_instance, jit_frame_floor));
	op_m(e, 1, 0x8d, RAX, RSP, -16);
	op_m(e, 1, 0x89, RAX, CTX,
	     offsetof(struct wasm_instance, jit_frame_base));
}

/* The entry from C (wm_jit_fn; also call_indirect's, whose callee may
 * belong to another instance): saves what C expects kept, sets the
 * instance's registers and calls the inner entry. Compiled functions of
 * one unit call each other's inner entries directly: the instance, its
 * memory and the context are the same, and the caller has spilled what
 * it keeps, so the callee saves only the frame register. */
static size_t outer_part(struct em *e)
{
	const int32_t base = offsetof(struct wasm_instance, jit_frame_base);
	const int32_t floor = offsetof(struct wasm_instance, jit_frame_floor);
	for (size_t i = 0; i < sizeof(pushes); i++) {
		rex(e, 0, 0, 0, pushes[i]);
		b1(e, 0x50 + (pushes[i] & 7));
	}
	op_m(e, 0, 0xff, 6, RDI, base); /* push: the entry's from C nest */
	op_m(e, 0, 0xff, 6, RDI, floor);
	op_r(e, 1, 0x83, 5, RSP);
	b1(e, 8); /* sub rsp, 8: the inner entry sees a call's alignment */
	mov_rr(e, CTX, RDI);
	mov_rr(e, INST, RDX);
	frame_base(e);
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
	op_m(e, 0, 0x8f, 0, CTX, floor); /* pop */
	op_m(e, 0, 0x8f, 0, CTX, base);
	for (size_t i = sizeof(pushes); i-- > 0;) {
		rex(e, 0, 0, 0, pushes[i]);
		b1(e, 0x58 + (pushes[i] & 7));
	}
	b1(e, 0xc3);
	while (here(e) & 15) /* int3 after the ret: never run */
		b1(e, 0xcc);
	patch32(e, call - 4, (int64_t)here(e) - (int64_t)call);
	return call;
}
static void outer_entry(struct em *e)
{
	outer_part(e);
	e->f->inner = here(e);
}

/* Inner entry: rsi is the frame; r14, r15, rbp, r12 are set. */
static void inner_prologue(struct em *e)
{
	rex(e, 0, 0, 0, FP);
	b1(e, 0x50 + (FP & 7)); /* push rbx: 16-byte aligned from here */
	mov_rr(e, FP, RSI);
	/* Native recursion is bounded by the thread's stack, not only by
	 * max_frames: deep guest recursion traps before it overflows. */
	op_m(e, 1, 0x3b, RSP, CTX,
	     offsetof(struct wasm_instance, jit_stack_limit));
	trap_if(e, CC_B, WASM_TRAP_STACK_EXHAUSTED, 0);
}
void x64_prologue(struct em *e)
{
	outer_entry(e);
	inner_prologue(e);
}

/* The entry at loop header i for the interpreter (tiered mode), called
 * like the function (wm_jit_fn) with the frame as the interpreter left
 * it: the outer entry, the inner prologue, then the values live into the
 * header from the frame to their homes (as after a call) and on into the
 * loop; the body's return is the function's. */
static void osr_entry(struct em *e, uint32_t i)
{
	const struct wm_live *l = &e->live;
	struct wm_jit_func *f = e->f;
	f->osr[f->nosr][0] = f->insns[i].pos;
	f->osr[f->nosr++][1] = (uint32_t)here(e);
	outer_part(e);
	inner_prologue(e);
	for (uint32_t k = l->head_first[i]; k < l->head_first[i + 1]; k++)
		home_load(e, l->heads[k].home, l->heads[k].slot);
	jmp_to(e, f->insns[i].pos);
}

bool x64_osr_entries(struct em *e, const struct wm_jit_info *info)
{
	struct wm_jit_func *f = e->f;
	uint32_t n = 0;
	for (uint32_t i = 0; i < f->ninsns; i++)
		n += info[i].header;
	f->nosr = 0;
	f->osr = n ? malloc(sizeof(*f->osr) * n) : NULL;
	if (n && !f->osr)
		return false;
	for (uint32_t i = 0; i < f->ninsns; i++)
		if (info[i].header)
			osr_entry(e, i);
	return true;
}

void x64_epilogue(struct em *e)
{
	rex(e, 0, 0, 0, FP);
	b1(e, 0x58 + (FP & 7));
	b1(e, 0xc3);
}

/* ---- control ------------------------------------------------------------------ */

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
		int r = gpr_of(e, w[0]);
		if (r < 0)
			ld(e, wide, r = RAX, w[0]);
		op_s(e, wide, 0x3b, r, w[1]);
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
		x64_setcc_store(e, CC_E, w[0]);
		break;
	case IR_MEMORY_GROW:
		spill(e);
		mov_rr(e, RDI, INST);
		ld(e, 0, RSI, w[1]);
		x64_call_c(e, WM_JIT_H_GROW);
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

void x64_emit_op(struct em *e, enum ir_op op)
{
	if (pure(op) && results_dead(e))
		return;
	if (emit_control(e, op))
		return;
	if (cmp_cc(op) >= 0 && op >= IR_BR_I32_EQ && op <= IR_BR_I64_GE_U) {
		emit_br_cmp(e, op);
	} else if (op == IR_BR_I64_NEZ || op == IR_BR_I64_EQZ) {
		emit_br_cmp(e, op);
	} else if (!x64_emit_int(e, op) && !x64_emit_float(e, op)) {
		e->fail = true;
	}
}

#endif
