/* wasm.h — the embedding API of the wasm-bpf WebAssembly engine.
 *
 * One prefix per object, libbpf style: wasm_module__*, wasm_linker__*,
 * wasm_instance__*, wasm_func__*. Functions that can fail return NULL or a
 * negative errno and, where a caller needs to know why, fill a struct
 * wasm_error with a one-line message.
 *
 * The engine knows nothing of WASI or BPF: those are host functions defined
 * on a linker, each with a user pointer and access to the caller's memory.
 */
#ifndef WASM_ENGINE_H
#define WASM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum wasm_valtype {
	WASM_I32 = 0x7f,
	WASM_I64 = 0x7e,
	WASM_F32 = 0x7d,
	WASM_F64 = 0x7c,
	WASM_V128 = 0x7b, /* decoded so it can be rejected with a clear message */
	WASM_FUNCREF = 0x70,
	WASM_EXTERNREF = 0x6f,
};

enum wasm_extern_kind {
	WASM_EXTERN_FUNC = 0,
	WASM_EXTERN_TABLE = 1,
	WASM_EXTERN_MEMORY = 2,
	WASM_EXTERN_GLOBAL = 3,
};

/* A typed value at the API boundary. References are pointers; NULL is the
 * null reference. An externref is any host pointer the embedder chooses. */
struct wasm_val {
	uint8_t type; /* enum wasm_valtype */
	union {
		int32_t i32;
		int64_t i64;
		float f32;
		double f64;
		void *ref;
	} of;
};

struct wasm_error {
	char msg[256];
};

/* How a call into the guest ended. */
enum wasm_status {
	WASM_OK = 0,
	WASM_TRAPPED = 1,     /* see wasm_instance__trap() */
	WASM_EXITED = 2,      /* the guest (a host function) asked to exit */
	WASM_INTERRUPTED = 3, /* wasm_instance__interrupt() or fuel ran out */
};

enum wasm_trap_kind {
	WASM_TRAP_NONE = 0,
	WASM_TRAP_UNREACHABLE,
	WASM_TRAP_DIV_ZERO,
	WASM_TRAP_INT_OVERFLOW,
	WASM_TRAP_INVALID_CONVERSION,
	WASM_TRAP_MEMORY_OOB,
	WASM_TRAP_TABLE_OOB,
	WASM_TRAP_UNDEFINED_ELEMENT,
	WASM_TRAP_UNINITIALIZED_ELEMENT,
	WASM_TRAP_INDIRECT_TYPE_MISMATCH,
	WASM_TRAP_STACK_EXHAUSTED,
	WASM_TRAP_OUT_OF_FUEL,
	WASM_TRAP_INTERRUPTED,
	WASM_TRAP_HOST, /* a host function refused to go on */
	WASM_TRAP_EXIT, /* not a fault: proc_exit and friends */
};

struct wasm_trap {
	enum wasm_trap_kind kind;
	const char *func_name; /* from the name section, or "func[N]" */
	uint32_t func_index;
	uint32_t offset;  /* byte offset of the instruction in the module */
	int exit_code;    /* for WASM_TRAP_EXIT */
	char message[256]; /* "out of bounds memory access in handle_event+0x1c" */
};

/* ---- modules ------------------------------------------------------------ */

struct wasm_module;

/* Which tier runs a module's code. DEFAULT: the compiling tier unless the
 * environment variable WASM_BPF_JIT is 0. The compiling tier exists on
 * x86-64 Linux only; elsewhere, and for functions it cannot compile yet,
 * the interpreter runs. It compiles every function at load, or each on
 * its first call when the environment variable WASM_BPF_JIT_LAZY is 1
 * (less work at load; a page at least and a few microseconds more per
 * function compiled). WASM_BPF_JIT_LOG=1 prints what was compiled. */
enum wasm_tier {
	WASM_TIER_DEFAULT = 0,
	WASM_TIER_INTERP = 1,
	WASM_TIER_JIT = 2,
	/* Interpreted first: each function compiles when it gets hot (one
	 * with loops at its first call, one without after a few calls;
	 * WASM_BPF_JIT_TIER=N sets how many), for a first run without saved
	 * code: code run only a few times is not compiled. */
	WASM_TIER_TIERED = 3,
};

struct wasm_load_opts {
	size_t sz; /* sizeof(struct wasm_load_opts), for extensibility */
	int tier;  /* enum wasm_tier */
	/* Compiled code saved by wasm_module__save_code from a module of
	 * the same bytes, by a build with the same wasm_engine__code_id:
	 * used instead of compiling when it checks out (its structure, the
	 * build, the module's function count and sizes), else the module
	 * compiles as without. The machine code in it cannot be checked: it
	 * runs as the process's own, so it must come from a store no one
	 * else can write. Ignored unless the tier compiles up front. */
	const void *code;
	size_t code_len;
	/* Its instances will run with fuel (wasm_instance_opts.fuel): the
	 * compiled code counts it inline, faster with fuel and a little
	 * slower without. Either way every instance runs right. */
	bool fuel;
};

/* Decode, validate and translate. The bytes are copied; the module is
 * immutable afterwards and may be instantiated many times. */
struct wasm_module *wasm_module__load(const void *bytes, size_t len,
				      const struct wasm_load_opts *opts,
				      struct wasm_error *err);
void wasm_module__free(struct wasm_module *m);

/* A module's compiled code as bytes for wasm_load_opts.code in a later
 * process (malloc'ed into *buf); a module compiled lazily or tiered is
 * compiled whole for it (the bytes an up-front compile saves; the module
 * itself runs on as it did). 0, -ENOENT when the tier compiles nothing
 * (or the build has no id), -ENOMEM. */
int wasm_module__save_code(const struct wasm_module *m, void **buf,
			   size_t *len);
/* Whether the module's code came from wasm_load_opts.code. */
bool wasm_module__code_loaded(const struct wasm_module *m);
/* What saved code is valid for: the build of the engine (the GNU build id
 * of the binary or library it is part of), the CPU features its code
 * uses, its memory checks and opts' fuel, as a string for a cache key. 0, -ENOTSUP
 * when a load with opts would not compile up front (interpreter, lazy
 * compiling, no compiling tier, no build id), -ENOSPC. */
int wasm_engine__code_id(const struct wasm_load_opts *opts, char *buf,
			 size_t len);

/* Names are NUL-terminated for convenience, but Wasm names may contain
 * NUL bytes: the lengths are the truth. */
struct wasm_import_desc {
	const char *module;
	const char *name;
	enum wasm_extern_kind kind;
	size_t module_len, name_len;
};
struct wasm_export_desc {
	const char *name;
	enum wasm_extern_kind kind;
	uint32_t index;
	size_t name_len;
};
size_t wasm_module__import_count(const struct wasm_module *m);
int wasm_module__import(const struct wasm_module *m, size_t i,
			struct wasm_import_desc *out);
size_t wasm_module__export_count(const struct wasm_module *m);
int wasm_module__export(const struct wasm_module *m, size_t i,
			struct wasm_export_desc *out);
/* The signature of function import i in the linker's string form. */
int wasm_module__import_signature(const struct wasm_module *m, size_t i,
				  char *buf, size_t len);
/* Writes a function's signature in the linker's string form ("ii->I"). */
int wasm_module__func_signature(const struct wasm_module *m, uint32_t funcidx,
				char *buf, size_t len);
/* The payload of the first custom section called `name`, or NULL. */
const uint8_t *wasm_module__custom_section(const struct wasm_module *m,
					   const char *name, size_t *len);
/* Memory 0 as the module's active data segments with constant offsets
 * lay it out before it runs: *len bytes from address 0 to the end of the
 * last one (zeros between), malloc'ed into *img. 0 (*img NULL, *len 0
 * when there is no such segment), -E2BIG if that end is past `max`,
 * -ENOMEM. For tools that look inside a module without running it. */
int wasm_module__initial_memory(const struct wasm_module *m, size_t max,
				uint8_t **img, size_t *len);

/* ---- linker: what imports resolve to ------------------------------------ */

struct wasm_linker;
struct wasm_instance;

/* Host function calling convention: arguments arrive in slots[0..nparams),
 * one 64-bit slot each (i32 in the low half, floats as their bits, refs as
 * pointers); results are written to slots[0..nresults). Return WASM_OK, or
 * the value of wasm_instance__host_trap()/wasm_instance__exit(), or the
 * status of a nested call that did not end with WASM_OK. */
typedef int (*wasm_host_func_t)(struct wasm_instance *caller, void *user,
				uint64_t *slots);

struct wasm_linker *wasm_linker__new(void);
void wasm_linker__free(struct wasm_linker *l);

/* `sig` is "PARAMS->RESULTS" with one letter a value: i i32, I i64, f f32,
 * F f64, r funcref, e externref. "ii->I", "->", "I->". */
int wasm_linker__define_func(struct wasm_linker *l, const char *module,
			     const char *name, const char *sig,
			     wasm_host_func_t fn, void *user);
int wasm_linker__define_global(struct wasm_linker *l, const char *module,
			       const char *name, struct wasm_val value,
			       bool mutable_);
int wasm_linker__define_memory(struct wasm_linker *l, const char *module,
			       const char *name, uint32_t min_pages,
			       uint32_t max_pages /* UINT32_MAX: none */);
int wasm_linker__define_table(struct wasm_linker *l, const char *module,
			      const char *name, enum wasm_valtype elem,
			      uint32_t min, uint32_t max /* UINT32_MAX: none */);
/* Whether import i of `m` finds a definition of its name and kind (its
 * type is checked only at instantiation). */
bool wasm_linker__provides(struct wasm_linker *l, const struct wasm_module *m,
			   size_t i);
/* Makes every export of `inst` importable as (module, export name). The
 * instance must outlive the linker's use of it. */
int wasm_linker__define_instance(struct wasm_linker *l, const char *module,
				 struct wasm_instance *inst);

/* ---- instances ---------------------------------------------------------- */

struct wasm_instance_opts {
	size_t sz;
	uint32_t max_memory_pages; /* 0: the module's own limit */
	uint32_t max_table_elems;  /* 0: the module's own limit */
	uint32_t stack_slots;      /* value stack in 8-byte slots; 0: default */
	uint32_t max_call_depth;   /* 0: default */
	uint64_t fuel;             /* 0: unlimited */
	void *userdata;
};

/* Resolves imports, allocates, runs segment initialisation and the start
 * function. On failure returns NULL and explains (a missing import names
 * module and field; a start-function trap is reported as such). */
struct wasm_instance *wasm_instance__new(const struct wasm_module *m,
					 struct wasm_linker *l,
					 const struct wasm_instance_opts *opts,
					 struct wasm_error *err);
void wasm_instance__free(struct wasm_instance *inst);
const struct wasm_module *wasm_instance__module(const struct wasm_instance *inst);
void *wasm_instance__userdata(const struct wasm_instance *inst);
void wasm_instance__set_userdata(struct wasm_instance *inst, void *userdata);

/* Async-signal-safe and thread-safe: the running call stops at the next
 * loop back-edge or call and returns WASM_INTERRUPTED. */
void wasm_instance__interrupt(struct wasm_instance *inst);
void wasm_instance__clear_interrupt(struct wasm_instance *inst);
/* For host functions that block (poll, sleep): true once an interrupt was
 * asked for; such a function returns WASM_INTERRUPTED. */
bool wasm_instance__interrupt_requested(const struct wasm_instance *inst);
/* Async-signal-safe and thread-safe, for a graceful stop: host functions
 * that wait (sleep, poll, read, accept) return EINTR at once and from then
 * on, while the guest runs on so it can wind down (flush its output,
 * print a summary, return from main). The engine itself ignores it. */
void wasm_instance__cancel(struct wasm_instance *inst);
bool wasm_instance__cancel_requested(const struct wasm_instance *inst);
/* Pausing: called on the guest's thread at the safe point where an
 * interrupt is noticed (a loop back-edge, a call, the check of a blocking
 * host call). It may block. It returns true to go on (the interrupt is
 * cleared first, so one asked meanwhile is seen at the next safe point) or
 * false to end the call WASM_INTERRUPTED. NULL: every interrupt ends it. */
typedef bool (*wasm_interrupt_handler_t)(struct wasm_instance *inst,
					 void *user);
void wasm_instance__set_interrupt_handler(struct wasm_instance *inst,
					  wasm_interrupt_handler_t fn,
					  void *user);
void wasm_instance__set_fuel(struct wasm_instance *inst, uint64_t fuel);
uint64_t wasm_instance__fuel(const struct wasm_instance *inst);
/* Fuel left (UINT64_MAX: unlimited) and pages of memory 0 as of the
 * guest's latest host call: another thread may read these while the
 * guest runs (the live values are the guest thread's alone). */
void wasm_instance__usage(const struct wasm_instance *inst, uint64_t *fuel,
			  uint32_t *pages);

/* Details of the trap or exit that ended the last call. */
const struct wasm_trap *wasm_instance__trap(const struct wasm_instance *inst);

/* For host functions: end the guest with an exit code or a trap message.
 * The return value is what the host function must return. */
int wasm_instance__exit(struct wasm_instance *inst, int code);
int wasm_instance__host_trap(struct wasm_instance *inst, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- exports and calls -------------------------------------------------- */

struct wasm_func; /* a function instance (wasm or host) */

struct wasm_func *wasm_instance__export_func(struct wasm_instance *inst,
					     const char *name);
/* The same for names that may contain NUL bytes (Wasm names are UTF-8
 * strings with a length, not C strings). */
struct wasm_func *wasm_instance__export_func_n(struct wasm_instance *inst,
					       const char *name, size_t len);
/* The function at `index` of table `table`, or NULL (out of range, null). */
struct wasm_func *wasm_instance__table_func(struct wasm_instance *inst,
					    uint32_t table, uint32_t index);
uint32_t wasm_func__param_count(const struct wasm_func *f);
uint32_t wasm_func__result_count(const struct wasm_func *f);
enum wasm_valtype wasm_func__param_type(const struct wasm_func *f, uint32_t i);
enum wasm_valtype wasm_func__result_type(const struct wasm_func *f, uint32_t i);

/* Typed call: argument count and types are checked (-EINVAL otherwise).
 * Returns enum wasm_status. */
int wasm_func__call(struct wasm_instance *inst, struct wasm_func *f,
		    const struct wasm_val *args, size_t nargs,
		    struct wasm_val *results, size_t nresults);
/* Raw call in the host calling convention: `slots` holds the arguments and
 * receives the results; it must have max(params, results) entries. This is
 * the fast path for callbacks (ring-buffer records). */
int wasm_func__call_raw(struct wasm_instance *inst, struct wasm_func *f,
			uint64_t *slots);
/* wasm_func__call_raw in two halves, for a call the host repeats from one
 * place (a ring-buffer callback, once per record of a poll): prepare makes
 * once what cannot change between the calls (the arguments' and the
 * stacks' room, the function's tier; a negative errno, or WASM_TRAPPED
 * when the stack is exhausted), run only enters. The caller writes the
 * arguments to c->slots, the callee's frame itself (nothing is copied),
 * before each run and reads the results there after it. Valid only while
 * the host call that prepared it runs, on its thread: the calls in between
 * must have returned.
 * run = begin + again + end: a host calling many times in a row (a poll
 * draining a buffer) enters the call's context once with begin, calls
 * with again (the bare entry, nothing else), and leaves with end; between
 * begin and end only the host's own code runs on this thread (no other
 * call into an instance). */
struct wasm_call {
	struct wasm_instance *inst, *ctx;
	struct wasm_func *f;
	uint64_t *slots; /* max(params, results) entries */
	bool compiled;   /* entered directly: wm_jit_enter's checks passed */
	/* begin's, for end */
	struct wasm_instance *saved;
	uint32_t nframes;
};
int wasm_call__prepare(struct wasm_call *c, struct wasm_instance *inst,
		       struct wasm_func *f);
int wasm_call__run(struct wasm_call *c);
void wasm_call__begin(struct wasm_call *c);
int wasm_call__again(const struct wasm_call *c);
void wasm_call__end(struct wasm_call *c);

/* Exported globals, memories, tables. */
int wasm_instance__export_global(struct wasm_instance *inst, const char *name,
				 struct wasm_val *out);
int wasm_instance__set_export_global(struct wasm_instance *inst,
				     const char *name, struct wasm_val v);

/* ---- linear memory (memory 0 of the instance) --------------------------- */

uint8_t *wasm_instance__memory(struct wasm_instance *inst, uint64_t *size);
/* Host pointer for guest range [ptr, ptr+len), or NULL if any byte of it
 * is outside memory. Overflow-safe. len 0 is valid at ptr <= size. */
void *wasm_instance__mem_ptr(struct wasm_instance *inst, uint32_t ptr,
			     uint32_t len);
/* Guest memory [ptr, ptr+len) replaced by a shared mapping of `fd` from
 * `off` (read-only unless `writable`), e.g. a BPF ring buffer the guest
 * reads in place: ptr, len and off page-aligned, the range inside the
 * current size and overlapping no other mapping. A write to read-only
 * pages traps in compiled code; a write by the interpreter, a bulk op or
 * a host function gets zeroed pages in place of the whole mapping and
 * ends the call as interrupted at its next check, or when it returns
 * (wasm_instance__ro_fault tells why). The memory's teardown removes
 * every mapping. 0 or -errno: -EINVAL, -EFAULT, -EBUSY (overlap),
 * -EOPNOTSUPP (no memory, or a build without guard pages, whose handler
 * could not catch such a write), -ENOSPC (too many read-only mappings in
 * the process), mmap's errno. */
int wasm_instance__mem_map(struct wasm_instance *inst, uint32_t ptr,
			   uint32_t len, int fd, int64_t off, bool writable);
/* The mapping at exactly [ptr, ptr+len) replaced by zeroed writable pages
 * again, as the guest allocated them: 0, -ENOENT. */
int wasm_instance__mem_unmap(struct wasm_instance *inst, uint32_t ptr,
			     uint32_t len);
/* Whether a call ended because C code wrote to a read-only mapping. */
bool wasm_instance__ro_fault(const struct wasm_instance *inst);
/* The NUL-terminated string at ptr, if its terminator lies inside memory
 * within maxlen bytes; otherwise NULL. */
const char *wasm_instance__mem_str(struct wasm_instance *inst, uint32_t ptr,
				   size_t maxlen);

/* A readable name for a status or trap kind. */
const char *wasm_status_str(int status);
const char *wasm_trap_kind_str(enum wasm_trap_kind kind);

#ifdef __cplusplus
}
#endif
#endif
