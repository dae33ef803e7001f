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
 *
 * This file drives it (the other parts: jit_x64.h): each function's body
 * loop, trap stubs and safepoint routine, label fixups, the unit on one
 * or two threads and its direct calls, the fault handler's pc and resume,
 * CPU features and the ops supported; and the fallbacks where there is
 * no backend.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* REG_RIP */
#endif
#include <pthread.h>
#include <ucontext.h>
#include <unistd.h>

#include "jit_x64.h"

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>

/* IR words from which up-front compilation uses a second thread: in a
 * fresh process the thread and its malloc arena cost ~0.3 ms and ~300 KB,
 * which only large modules repay (bootstrap.wasm, ~22 KB of code, started
 * 0.23 ms later on two threads; big.wasm, 528 KB, loads in 16 ms instead
 * of 23). */
#define PARALLEL_WORDS (1u << 17)

/* ---- functions -------------------------------------------------------------- */

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
	x64_call_c(e, WM_JIT_H_SAFEPOINT);
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
 * A fuel check's stub first counts fuel (when on) and asks the routine
 * about an interrupt, then goes back after its check or on to the trap;
 * call_indirect's goes to the helper and back. */
static void emit_stubs(struct em *e)
{
	size_t common = SIZE_MAX, routine = SIZE_MAX;
	for (uint32_t i = 0; i < e->nstubs; i++) {
		int kind = e->stubs[i].kind;
		if (kind == STUB_INDIRECT) { /* may add stubs: a copy */
			x64_indirect_stub(e, e->stubs[i]);
			continue;
		}
		if (kind == STUB_CHECK && routine == SIZE_MAX)
			routine = emit_safepoint_routine(e);
		land(e, e->stubs[i].at);
		if (kind == STUB_CHECK) {
			x64_check_stub(e, e->stubs[i].at + 4, routine);
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
		x64_call_c(e, WM_JIT_H_TRAP);
		jmp_to(e, EPILOGUE);
	}
}

/* The code offset of the instruction at word pos, -1 if none starts
 * there (index[] holds any value at such a pos: scratch_for). */
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
	x64_prologue(e);
	for (uint32_t i = 0; i < f->ninsns && !e->fail; i++) {
		e->pos = f->insns[i].pos;
		e->w = words + e->pos + 2;
		e->label[i] = here(e);
		e->ii = i;
		e->insn_start = here(e);
		e->reuse = !info[i].target && e->last_store.end == here(e);
		e->const_ok = !info[i].target && e->last_const.end == here(e);
		e->flags_ok = !info[i].target && e->last_flags.end == here(e);
		x64_emit_op(e, f->insns[i].op);
	}
	size_t epi = here(e);
	x64_epilogue(e);
	if (e->u->osr && !e->fail && !x64_osr_entries(e, info))
		e->fail = true;
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
		/* zeroed: label_of also reads where no instruction starts,
		 * and a value there (this, or an earlier function's) fails
		 * its check, but an uninitialised one is flagged by MSan and
		 * valgrind */
		e->index = calloc(nw, sizeof(*e->index));
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
	e->live.want_heads = e->u->osr;
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
	x64_call_c(e, WM_JIT_H_TRAP);
	x64_epilogue(e);
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
	return cmp_cc(op) >= 0 || x64_alu_of(op, &a) ||
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
