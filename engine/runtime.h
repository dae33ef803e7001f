/* runtime.h — what exists while modules run: function, memory, table and
 * global instances, the instance itself and its execution stack. Shared by
 * instance.c (creation, API), interp.c (execution) and memory.c.
 */
#ifndef WASM_RUNTIME_H
#define WASM_RUNTIME_H

#include <setjmp.h>
#include <signal.h>

#include "module.h"
#include "wasm.h"

/* Instances hold a reference, so a module freed by the embedder while an
 * instance (or a failed instantiation whose functions sit in a shared
 * table) still uses it stays alive until the last user goes. */
struct wasm_module {
	struct wm_module wm;
	int refs;
	struct wm_jit_code *jit; /* compiled functions (jit.h) or NULL */
};
void wm_module_ref(const struct wasm_module *m);
void wm_module_unref(const struct wasm_module *m);

/* Translated code of one defined function. */
struct wm_code {
	uint32_t *words;
	uint32_t nwords;
	uint32_t nparams;
	uint32_t nresults;
	uint32_t frame_slots; /* params + locals + operand stack + results */
	/* For trap messages: code word index -> module byte offset, sorted. */
	uint32_t ntrap_sites;
	uint32_t (*trap_sites)[2];
	void *jit; /* compiled entry (jit.h wm_jit_fn) or NULL */
	void *jit_inner; /* its entry from compiled code of the same instance */
	/* Lazy mode: the module's code while this waits for its first call
	 * (NULL once compiled or found uncompilable), and its index. */
	struct wm_jit_code *jit_lazy;
	uint32_t jit_index;
	/* Tiered mode: how hot it got interpreted (calls, loops' rounds),
	 * and once compiled its entries at loop headers, {word position,
	 * offset from jit} (jit.h wm_jit_osr). */
	uint32_t jit_heat;
	uint32_t (*jit_osr)[2];
	uint32_t jit_nosr;
};

union wm_slot {
	uint64_t u64;
	int64_t i64;
	uint32_t u32;
	int32_t i32;
	float f32;
	double f64;
	void *ref;
};

/* A function instance. Wasm functions know their instance; host functions
 * carry the linker's callback. */
struct wasm_func {
	const struct wm_functype *type;
	uint32_t sig_id;
	struct wasm_instance *inst; /* NULL for host functions */
	const struct wm_code *code;
	uint32_t index; /* in the defining module */
	wasm_host_func_t host;
	void *user;
	char *host_name; /* "module.name" for host functions */
	struct wm_functype host_type; /* storage for host function types */
};

struct wasm_memory {
	uint8_t *base; /* reserved once; never moves */
	uint64_t size; /* bytes accessible */
	uint32_t pages;
	uint32_t max_pages; /* effective limit (module max, opts) */
	bool has_max;       /* the declared type has a maximum */
	uint32_t declared_max;
	size_t reserved;
	/* Ranges a host mapped a file over (wasm_instance__mem_map). */
	struct wm_mapping *maps;
	uint32_t nmaps;
};

struct wm_mapping {
	uint32_t ptr, len;
	bool ro;
};

struct wasm_table {
	void **elems;
	uint32_t size;
	uint32_t max; /* effective limit */
	bool has_max;
	uint32_t declared_max;
	uint8_t type;
};

struct wasm_global {
	union wm_slot val;
	uint8_t type;
	bool mut;
};

struct wm_frame {
	const uint32_t *ret_ip; /* NULL: return to the host */
	union wm_slot *fp;
	struct wasm_func *func;
};

struct wasm_instance {
	const struct wasm_module *module;

	struct wasm_func **funcs; /* index space */
	struct wasm_func *own_funcs;
	struct wasm_table **tables;
	struct wasm_table *own_tables;
	struct wasm_memory *mem; /* memory 0 or NULL */
	struct wasm_memory own_mem;
	struct wasm_global **globals;
	struct wasm_global *own_globals;

	/* Element segments as resolved references; length 0 once dropped. */
	void ***elem_refs;
	uint32_t *elem_len;
	bool *data_dropped;

	/* Execution state. */
	union wm_slot *stack;
	union wm_slot *stack_end;
	union wm_slot *stack_top; /* first free slot for a nested call */
	uint32_t stack_slots;
	struct wm_frame *frames;
	uint32_t nframes;
	uint32_t max_frames;
	uint32_t host_depth; /* nested host->guest re-entries */

	uintptr_t jit_stack_limit; /* compiled code traps below this */
	/* Loop back edges the interpreter runs between looks at whether its
	 * function is hot (tiered mode; else rarely). */
	int32_t tier_edges;
	/* Compiled calls between compiled functions leave nframes alone:
	 * each takes 16 bytes of native stack below jit_frame_base (the
	 * stack pointer in the body of the function C entered), and a call
	 * traps as the interpreter's would when the stack pointer is at or
	 * below jit_frame_floor (nframes + its depth = max_frames). C code
	 * entered from compiled code counts them (wm_jit_call). */
	uintptr_t jit_frame_base, jit_frame_floor;

	/* Set from other threads and signal handlers: an atomic, so
	 * instances on many threads stay race-free (and ThreadSanitizer
	 * agrees); a plain load on the hot path. */
	_Alignas(8) _Atomic int interrupt;
	/* Next to interrupt: compiled code tests both with one load at
	 * each fuel check, and counts fuel only when it is on (off, the
	 * count is never seen: wasm_call__begin resets it). */
	uint32_t fuel_enabled;
	_Atomic int cancel; /* host waits return EINTR; see wasm.h */
	/* C code (interpreter, bulk op, host) wrote to a read-only mapping:
	 * set by the fault handler, ends the call at the next check. */
	_Atomic int ro_fault;
	wasm_interrupt_handler_t on_interrupt;
	uint64_t fuel_seen;  /* published at host calls, atomically */
	uint32_t pages_seen; /* (wasm_instance__usage) */
	void *on_interrupt_user;
	int64_t fuel;

	struct wasm_trap trap;
	char trap_name[64];
	void *userdata;
	uint32_t max_memory_pages;
	uint32_t max_table_elems;
};

/* interp.c: run `f` with its arguments already in fp[0..nparams).
 * Returns enum wasm_status; results are in fp[0..nresults). */
int wm_interp_call(struct wasm_instance *inst, struct wasm_func *f,
		   union wm_slot *fp);
/* wm_interp_call of a function with code that its caller found not
 * compiled (wm_jit_ready): interpreted without asking again. */
int wm_interp_run(struct wasm_instance *ctx, struct wasm_func *f,
		  union wm_slot *fp);

/* interp.c: call host function `callee` from guest function `cur` (at
 * `ip`, frame fp, arguments at nfp): the callee may re-enter the guest
 * above cur's frame. Returns enum wasm_status, a trap recorded. */
int wm_call_host(struct wasm_instance *ctx, struct wasm_func *cur,
		 struct wasm_func *callee, union wm_slot *fp,
		 union wm_slot *nfp, const uint32_t *ip);

/* instance.c: run the interrupt handler; true when the guest goes on. */
bool wm_interrupt_handled(struct wasm_instance *ctx);
static inline void wm_publish_usage(struct wasm_instance *ctx,
				    const struct wasm_instance *inst)
{
	__atomic_store_n(&ctx->fuel_seen,
			 ctx->fuel_enabled && ctx->fuel > 0 ? (uint64_t)ctx->fuel
			 : ctx->fuel_enabled		    ? 0
							    : UINT64_MAX,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&ctx->pages_seen, inst->mem ? inst->mem->pages : 0,
			 __ATOMIC_RELAXED);
}

/* instance.c: record a trap in inst->trap with function and offset. */
int wm_trap(struct wasm_instance *inst, enum wasm_trap_kind kind,
	    const struct wasm_func *f, const uint32_t *ip);

/* memory.c */
int wm_memory_init(struct wasm_memory *mem, uint32_t pages, uint32_t max,
		   bool has_max, struct wasm_error *err);
void wm_memory_free(struct wasm_memory *mem);
/* Returns the old size in pages, or -1 when growth is refused. */
int64_t wm_memory_grow(struct wasm_memory *mem, uint32_t delta);
/* wasm_instance__mem_map/unmap on a memory; inst is told of a write to a
 * read-only mapping (guard.h). */
int wm_memory_map(struct wasm_memory *mem, struct wasm_instance *inst,
		  uint32_t ptr, uint32_t len, int fd, int64_t off, bool writable);
int wm_memory_unmap(struct wasm_memory *mem, uint32_t ptr, uint32_t len);
int64_t wm_table_grow(struct wasm_table *t, uint32_t delta, void *init);

/* module.c: a function type in the linker's "ii->I" form. */
int wm_functype_format(const struct wm_functype *ft, char *buf, size_t len);

#endif
