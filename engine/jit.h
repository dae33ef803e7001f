/* jit.h — the compiling tier: translated code (ir.h) to machine code.
 *
 * jit.c owns the arch-neutral part: which tier a module gets, decoding the
 * IR into instructions, executable memory (written, then made read+exec,
 * never both writable and executable), compiling up front or each function
 * on its first call, entry from C, and the helpers the generated code
 * calls for rare or host-facing work (traps, calls leaving compiled code,
 * memory.grow). A backend (jit_x64.c) turns one module's
 * functions into code against that interface. Functions the backend
 * cannot compile keep running in the interpreter, so a module mixes tiers.
 */
#ifndef WASM_JIT_H
#define WASM_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ir.h"
#include "runtime.h"

/* Compiled code: fp holds the arguments on entry and the results on
 * return; the result is an enum wasm_status. */
typedef int (*wm_jit_fn)(struct wasm_instance *ctx, union wm_slot *fp,
			 struct wasm_instance *inst);

/* One decoded IR instruction: its word index and op. */
struct wm_jit_insn {
	uint32_t pos;
	uint16_t op;
};

/* One function of the unit being compiled. */
struct wm_jit_func {
	struct wm_code *code;
	uint32_t index; /* in the module's function index space */
	struct wm_jit_insn *insns;
	uint32_t ninsns;
	bool compile; /* every op supported: the backend emits it */
	size_t start; /* offset of its code in the unit's buffer */
	size_t inner; /* the backend's entry for calls from compiled code */
	/* With the unit's osr: an entry per loop header, {its word position,
	 * its offset in the buffer}, malloc'ed (wm_jit_osr). */
	uint32_t (*osr)[2];
	uint32_t nosr;
};

/* A memory access of compiled code that may fault on a guard page
 * (WASM_GUARD_PAGES builds, which check no bounds explicitly): its
 * offset in the unit's code, its IR position and function. */
struct wm_jit_site {
	uint32_t off, pos, funcidx;
};

/* The C helpers compiled code calls: through a table of their addresses
 * on the read-only page that starts the module's mapping (jit.c writes
 * it), so that the code holds no absolute address and can be saved and
 * loaded at another place (jit_save.c). */
enum wm_jit_helper {
	WM_JIT_H_CALL,
	WM_JIT_H_BULK,
	WM_JIT_H_GROW,
	WM_JIT_H_SAFEPOINT,
	WM_JIT_H_TRAP,
	WM_JIT_NHELPERS
};

/* Code compiled in one go (a whole module up front, or one function on
 * its first call): where it starts in the module's mapping, the code a
 * faulting access resumes at, and its memory accesses (offsets from
 * start, sorted) for the fault handler. */
struct wm_jit_chunk {
	size_t start, landing;
	struct wm_jit_site *sites;
	uint32_t nsites;
};

/* The compiled code of one module: a mapping (up front: the whole code,
 * read+exec; lazily: a reserved range whose pages become read+exec as
 * functions are compiled, never writable again) and its chunks. The
 * fault handler reads chunks[0..nchunks) without locks: entries are
 * filled before nchunks is raised (release), and never change. */
struct wm_jit_code {
	uint8_t *mem; /* the helper table's page, then the code */
	size_t len; /* mapped (lazily: reserved) bytes */
	/* Up front: the code's bytes, and where call_indirect's type ids
	 * are (off; pos: the module's type index), which jit_save.c saves. */
	size_t code_len;
	struct wm_jit_site *sigs;
	uint32_t nsigs;
	bool loaded; /* installed from saved bytes (jit_save.c) */
	struct wm_jit_chunk *chunks;
	uint32_t nchunks, maxchunks;
	struct wm_jit_lazy *lazy; /* compile-on-first-call state, or NULL */
};

/* A growable byte buffer the backend emits into: malloc'ed, or (mapped)
 * the code part of a future code mapping, p one page into it, which
 * wm_jit_place turns executable where it is instead of copying it. */
struct wm_jit_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom, mapped;
};

struct wm_jit_unit {
	const struct wm_module *m;
	struct wm_jit_func *funcs; /* defined functions, in order */
	struct wm_jit_insn *insns; /* theirs, up front (owned), else NULL */
	uint32_t nfuncs;
	struct wm_jit_buf buf;
	size_t landing;
	struct wm_jit_site *sites;
	uint32_t nsites, sitecap;
	/* call_indirect's type ids in the code (pos: the type's index), each
	 * a process's own number, set again when saved code is loaded. */
	struct wm_jit_site *sigs;
	uint32_t nsigs, sigcap;
	/* The helper table's address minus the buffer's (jit.c's). */
	int64_t table;
	/* Compiled alone, on a first call: direct calls go through each
	 * callee's wm_code.jit_inner, which starts at wm_jit_arch_lazy_stub;
	 * base: where the code will be placed, NULL if unknown. */
	bool lazy;
	const uint8_t *base;
	/* Tiered: entries at loop headers for the interpreter (.osr). */
	bool osr;
	/* The backend's: threads it emitted on, their CPU time beside the
	 * caller's (for the log). */
	unsigned threads;
	uint64_t helper_nsec;
};

/* ---- backend interface (jit_x64.c; an arm64 file would provide the same) */

/* Whether the backend exists for this machine and compiles `op`. */
bool wm_jit_arch_supports(enum ir_op op);
/* Emits every function with .compile set into u->buf, position
 * independent (helpers through the table at u->table, the only
 * process-specific numbers noted with wm_jit_note_sig); sets each .start
 * and .inner. 0 or -ENOMEM. */
int wm_jit_arch_emit(struct wm_jit_unit *u);

/* The inner entry of every not yet compiled function (lazy mode):
 * called like an inner entry with the callee's function index in eax, it
 * runs wm_jit_lazy_call and returns its status as the function would. */
void *wm_jit_arch_lazy_stub(void);

/* A faulting access's context to the landing code, which reports a
 * trap at pos of funcidx (guard-page builds); the pc in the context. */
uintptr_t wm_jit_arch_fault_pc(const void *ucontext);
void wm_jit_arch_resume_at_trap(void *ucontext, uintptr_t landing,
				uint32_t funcidx, uint32_t pos);

/* The calling thread's CPU time in ns: what compiling costs, even on a
 * busy machine (the log's figures). */
uint64_t wm_jit_cpu_ns(void);

/* Notes a faulting access site (appended in emission order). */
void wm_jit_note_site(struct wm_jit_unit *u, size_t off, uint32_t pos,
		      uint32_t funcidx);
/* Notes the 32-bit type id `sig` of a call_indirect at off. */
void wm_jit_note_sig(struct wm_jit_unit *u, size_t off, uint32_t sig);
/* The CPUID bits the backend's choices depended on (part of the key of
 * saved code). */
uint32_t wm_jit_arch_features(void);

/* Room for n more bytes; false (and b->oom) when memory ran out. */
bool wm_jit_buf_reserve(struct wm_jit_buf *b, size_t n);
/* b, empty, as a mapped buffer of at least cap bytes (only the pages
 * written cost memory); false when mmap fails (b stays as it was). */
bool wm_jit_buf_map(struct wm_jit_buf *b, size_t cap);
void wm_jit_buf_free(struct wm_jit_buf *b);

static inline void wm_jit_buf_put(struct wm_jit_buf *b, const void *bytes,
				  size_t n)
{
	if (b->len + n > b->cap && !wm_jit_buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, bytes, n);
	b->len += n;
}

/* ---- where values live (jit_live.c) ------------------------------------ */

/* Per instruction: loops around it, whether a branch targets it, and
 * whether a backward one does (a loop's header). */
struct wm_jit_info {
	uint32_t depth;
	bool target, header;
};
/* Fills f's infos (ninsns + 1 of them) and index (word position ->
 * instruction, room for nwords + 1 entries). */
void wm_jit_infos(const struct wm_jit_func *f, uint32_t *index,
		  struct wm_jit_info *info);

/* A slot an instruction reads (or, def, writes) and where its value is
 * then: a home (the backend's register number `home`), -1: the frame, or
 * WM_LIVE_DEAD. */
struct wm_live_opnd {
	uint32_t slot;
	int8_t home;
	bool def;
};
#define WM_LIVE_DEAD (-2) /* home of a def never read */
/* A home live across an instruction that calls out, and its slot. */
struct wm_live_save {
	uint32_t slot;
	int8_t home;
};
struct wm_live {
	uint32_t *first; /* instruction i: opnd[first[i] .. first[i + 1]) */
	struct wm_live_opnd *opnd;
	uint32_t *save_first; /* i: saves[save_first[i] .. save_first[i + 1]) */
	struct wm_live_save *saves;
	/* With want_heads: the homes live into each loop header i (what an
	 * entry there from the interpreter loads), heads[head_first[i] ..
	 * head_first[i + 1]). */
	bool want_heads;
	uint32_t *head_first;
	struct wm_live_save *heads;
	uint32_t homes_used; /* bit per home */
	/* Buffers reused from one function to the next (jit_live.c's). */
	void *buf[24];
	size_t cap[24];
};
/* Gives f's values homes: ngpr general ones (0..ngpr-1), then nxmm for
 * values used mostly as floats. 0, -ENOMEM or -EINVAL; out starts zeroed
 * and is reused for the next function, wm_live_free once at the end. */
int wm_live_alloc(struct wm_live *out, const struct wm_module *m,
		  const struct wm_jit_func *f, const struct wm_jit_info *info,
		  const uint32_t *index, unsigned ngpr, unsigned nxmm);
void wm_live_free(struct wm_live *l);

/* ---- helpers the generated code calls --------------------------------- */

/* Records a trap (kind < 0: a failed fuel/interrupt check) at word `pos`
 * of function `funcidx` of inst; returns the status to return. */
int wm_jit_trap(struct wasm_instance *ctx, struct wasm_instance *inst,
		uint32_t funcidx, uint32_t pos, int kind);
/* An interrupt seen at a fuel/interrupt check: nonzero when the
 * embedder's interrupt handler absorbed it (a pause that ended) and the
 * code goes on. */
int wm_jit_safepoint(struct wasm_instance *ctx);
/* Runs the CALL, CALL_IMPORT or CALL_INDIRECT at word `pos`; sp is the
 * caller's stack pointer (its compiled frames are counted from it). */
int wm_jit_call(struct wasm_instance *ctx, struct wasm_instance *inst,
		union wm_slot *fp, uint32_t funcidx, uint32_t pos,
		uintptr_t sp);
/* A first call from compiled code (through the lazy stub): compiles
 * funcidx of inst and runs it, or interprets it when it cannot compile;
 * sp as for wm_jit_call. */
int wm_jit_lazy_call(struct wasm_instance *ctx, struct wasm_instance *inst,
		     union wm_slot *fp, uint32_t funcidx, uintptr_t sp);
int32_t wm_jit_memory_grow(struct wasm_instance *inst, uint32_t delta);
/* Runs the table or bulk-memory instruction op at word `pos` (bulk.h). */
int wm_jit_bulk(struct wasm_instance *ctx, struct wasm_instance *inst,
		union wm_slot *fp, uint32_t funcidx, uint32_t pos, int op);

/* ---- used by the rest of the engine ------------------------------------ */

/* Compiles what it can of a translated module when the JIT tier is chosen
 * (tier: enum wasm_tier), or, in lazy mode (the environment variable
 * WASM_BPF_JIT_LAZY=1), readies each function to compile on its first
 * call; NULL when nothing is (to be) compiled. */
struct wm_jit_code *wm_jit_compile(struct wm_module *m, int tier);
/* Decodes and emits every function of m it can into u (zeroed first, not
 * placed: wm_jit_place or jit_save.c's bytes); false when nothing
 * compiled or memory ran out. wm_jit_unit_free(u) either way. */
bool wm_jit_emit_module(const struct wm_module *m, struct wm_jit_unit *u,
			bool log);
void wm_jit_free(struct wm_jit_code *c);
/* The unit's code mapped behind the helper table and known to the fault
 * handler (its sites and sigs handed over), every compiled function's
 * entries set; NULL when out of memory. */
struct wm_jit_code *wm_jit_place(struct wm_jit_unit *u);
/* Frees what the unit holds: its functions and instructions (insns), its
 * buffer, the sites and sigs not handed over. */
void wm_jit_unit_free(struct wm_jit_unit *u);
/* Whether a load with this tier compiles up front (not lazily). */
bool wm_jit_upfront(int tier);
/* Readies what compiled code needs from jit.c (once per process). */
void wm_jit_init(void);
/* m's code from wasm_module__save_code's bytes (jit_save.c), or NULL
 * when they do not check out. */
struct wm_jit_code *wm_jit_load(struct wm_module *m, const void *bytes,
				size_t len);
/* The tier a load with opts gets, and its .fuel (module.c). */
int wm_load_tier(const struct wasm_load_opts *opts);
bool wm_load_fuel(const struct wasm_load_opts *opts);
/* From the SIGSEGV/SIGBUS handler: a fault of a compiled memory access is
 * turned into its trap (the context resumes at code reporting it). */
bool wm_jit_fault(void *ucontext);
/* Compiles c now if it waits for its first call (lazy mode); false when
 * it cannot compile (it interprets from then on). */
bool wm_jit_compile_lazy(struct wm_code *c);
/* Whether c has compiled code (compiling it first in lazy mode): the
 * check before entering compiled code from C or the interpreter. */
static inline bool wm_jit_ready(const struct wm_code *c)
{
	if (__atomic_load_n(&c->jit, __ATOMIC_ACQUIRE))
		return true;
	return __atomic_load_n(&c->jit_lazy, __ATOMIC_RELAXED) &&
	       wm_jit_compile_lazy((struct wm_code *)c);
}
/* Tiered mode: the interpreter ran tier_edges back edges of f (frame
 * fp) and is at the loop header ip: f gets hotter, and, once compiled
 * (now, if hot enough), its code runs from that header to f's return
 * (*status; results in fp). False when f stays in the interpreter. */
bool wm_jit_osr(struct wasm_instance *ctx, struct wasm_func *f,
		union wm_slot *fp, const uint32_t *ip, int *status);
/* The wasm_instance.tier_edges of instances of a module with code c. */
int32_t wm_jit_tier_edges(const struct wm_jit_code *c);
/* wm_jit_ready without counting a tiered function's call: for a check
 * before wm_interp_call, which counts it. */
bool wm_jit_ready_uncounted(const struct wm_code *c);
/* Calls compiled f from C (the interpreter or the API). */
int wm_jit_enter(struct wasm_instance *ctx, struct wasm_func *f,
		 union wm_slot *fp);
/* wm_jit_enter in two halves: whether compiled f may be entered with
 * frame fp from here (the frame count, the native and the slot stack's
 * room), then the entry without those checks. engine/instance.c's
 * wasm_call, a call repeated from the same place, checks once and then
 * calls code->jit itself, its frame counted once for a run of calls. */
bool wm_jit_can_enter(struct wasm_instance *ctx, const struct wasm_func *f,
		      union wm_slot *fp);
int wm_jit_run(struct wasm_instance *ctx, struct wasm_func *f,
	       union wm_slot *fp);

#endif
