/* jit.c — the arch-neutral half of the compiling tier (see jit.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bulk.h"
#include "jit.h"

/* Room left below the stack limit for host functions, the interpreter and
 * signal handlers that run on top of compiled frames. */
#define STACK_RESERVE (256u << 10)

#define PAGE 4096

/* A mapped buffer grows by mremap: its pages move, nothing is copied. */
bool wm_jit_buf_reserve(struct wm_jit_buf *b, size_t n)
{
	if (b->oom)
		return false;
	size_t cap = b->cap ? b->cap * 2 : 4096;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p;
	if (b->mapped) {
		p = mremap(b->p - PAGE, PAGE + b->cap, PAGE + cap,
			   MREMAP_MAYMOVE);
		p = p == MAP_FAILED ? NULL : p + PAGE;
	} else {
		p = realloc(b->p, cap);
	}
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

bool wm_jit_buf_map(struct wm_jit_buf *b, size_t cap)
{
	cap = (cap + PAGE - 1) / PAGE * PAGE;
	uint8_t *p = mmap(NULL, PAGE + cap, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	*b = (struct wm_jit_buf){.p = p + PAGE, .cap = cap, .mapped = true};
	return true;
}

void wm_jit_buf_free(struct wm_jit_buf *b)
{
	if (b->mapped && b->p)
		munmap(b->p - PAGE, PAGE + b->cap);
	else
		free(b->p);
	b->p = NULL;
}

/* ---- decoding: handler address back to op -------------------------------- */

struct handler_op {
	const void *h;
	int op;
};
/* The ops by handler address in an open-addressing table (the lookup is
 * one per decoded instruction), each with whether the backend compiles
 * it (cpu features are fixed: asked once). */
#define HASH_BITS 10
_Static_assert(IR_COUNT <= (1u << HASH_BITS) / 2, "the table stays sparse");
static struct {
	const void *h;
	int16_t op;
	bool compiled;
} by_hash[1u << HASH_BITS];

static inline uint32_t hash_of(const void *h)
{
	uint64_t x = (uintptr_t)h * 0x9e3779b97f4a7c15u;
	return (uint32_t)(x >> (64 - HASH_BITS));
}

static int cmp_handler(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct handler_op *)a)->h;
	uintptr_t y = (uintptr_t)((const struct handler_op *)b)->h;
	return x < y ? -1 : x > y;
}

/* Two ops sharing a handler (the compiler merged identical code) cannot be
 * told apart: both are marked unknown and their functions interpret. */
static void init_handlers(void)
{
	struct handler_op by_handler[IR_COUNT];
	const void *const *h = wm_interp_handlers();
	for (int i = 0; i < IR_COUNT; i++)
		by_handler[i] = (struct handler_op){h[i], i};
	qsort(by_handler, IR_COUNT, sizeof(by_handler[0]), cmp_handler);
	for (int i = 1; i < IR_COUNT; i++)
		if (by_handler[i].h == by_handler[i - 1].h)
			by_handler[i].op = by_handler[i - 1].op = -1;
	for (int i = 0; i < IR_COUNT; i++) {
		const struct handler_op *x = &by_handler[i];
		uint32_t k = hash_of(x->h);
		while (by_hash[k].h && by_hash[k].h != x->h)
			k = (k + 1) & ((1u << HASH_BITS) - 1);
		by_hash[k].h = x->h;
		by_hash[k].op = (int16_t)x->op;
		by_hash[k].compiled = x->op >= 0 && wm_jit_arch_supports(x->op);
	}
}

/* The op at ip (-1: unknown); *compiled: whether the backend emits it. */
static inline int op_of(const uint32_t *ip, bool *compiled)
{
	const void *h;
	memcpy(&h, ip, sizeof(h));
	for (uint32_t k = hash_of(h); by_hash[k].h;
	     k = (k + 1) & ((1u << HASH_BITS) - 1))
		if (by_hash[k].h == h) {
			*compiled = by_hash[k].compiled;
			return by_hash[k].op;
		}
	*compiled = false;
	return -1;
}

static int op_at(const uint32_t *ip)
{
	bool compiled;
	return op_of(ip, &compiled);
}

/* Splits f's code into instructions (into f->insns, room for
 * INSNS_OF(nwords)); false when an op is unknown or not compiled by the
 * backend. */
#define INSNS_OF(nwords) ((nwords) / 2 + 1)
static bool decode_func(struct wm_jit_func *f, bool log)
{
	const struct wm_code *c = f->code;
	for (uint32_t pos = 0; pos < c->nwords;) {
		bool compiled;
		int op = op_of(&c->words[pos], &compiled);
		if (!compiled) {
			if (log)
				fprintf(stderr, "jit: func %u interpreted: %s\n",
					f->index, op < 0 ? "?" : ir_op_name(op));
			f->ninsns = 0;
			return false;
		}
		f->insns[f->ninsns++] = (struct wm_jit_insn){pos, (uint16_t)op};
		pos += ir_op_words(op);
		if (op == IR_BR_TABLE)
			pos += c->words[pos - 1] + 1;
	}
	return true;
}

static void note(struct wm_jit_unit *u, struct wm_jit_site **v, uint32_t *n,
		 uint32_t *cap, struct wm_jit_site x)
{
	if (*n == *cap) {
		uint32_t c = *cap ? 2 * *cap : 256;
		void *p = realloc(*v, c * sizeof(**v));
		if (!p) {
			u->buf.oom = true;
			return;
		}
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = x;
}

void wm_jit_note_site(struct wm_jit_unit *u, size_t off, uint32_t pos,
		      uint32_t funcidx)
{
	note(u, &u->sites, &u->nsites, &u->sitecap,
	     (struct wm_jit_site){(uint32_t)off, pos, funcidx});
}

/* Saved as the index of a type with that id (structurally equal types
 * share one), which a later process maps to its own id. */
__attribute__((cold)) void wm_jit_note_sig(struct wm_jit_unit *u, size_t off,
					   uint32_t sig)
{
	uint32_t t = 0;
	while (t < u->m->ntypes && u->m->types[t].sig_id != sig)
		t++;
	note(u, &u->sigs, &u->nsigs, &u->sigcap,
	     (struct wm_jit_site){(uint32_t)off, t, 0});
}

/* ---- faults (guard-page builds) ---------------------------------------------
 */

/* The code of every live module, for the fault handler: slots are claimed
 * and released atomically, and a module's slot is released before its
 * code is unmapped, so the handler never sees code that is gone. */
#ifdef WASM_GUARD_PAGES
#define MAX_CODES 1024
static struct wm_jit_code *codes[MAX_CODES];

static bool codes_add(struct wm_jit_code *c)
{
	for (size_t i = 0; i < MAX_CODES; i++) {
		struct wm_jit_code *none = NULL;
		if (__atomic_compare_exchange_n(&codes[i], &none, c, false,
						__ATOMIC_RELEASE,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static void codes_remove(struct wm_jit_code *c)
{
	for (size_t i = 0; i < MAX_CODES; i++)
		if (__atomic_load_n(&codes[i], __ATOMIC_RELAXED) == c)
			__atomic_store_n(&codes[i], NULL, __ATOMIC_RELEASE);
}

static int cmp_site(const void *key, const void *site)
{
	uint32_t off = *(const uint32_t *)key;
	uint32_t at = ((const struct wm_jit_site *)site)->off;
	return off < at ? -1 : off > at;
}
#endif

#ifdef WASM_GUARD_PAGES
/* The chunk holding offset off: the last one starting at or before it
 * (chunks are appended at rising offsets). */
static const struct wm_jit_chunk *chunk_at(const struct wm_jit_code *c,
					   uint32_t n, size_t off)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (c->chunks[mid].start <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &c->chunks[lo - 1] : NULL;
}
#endif

/* Async-signal-safe: atomic loads and binary searches. */
bool wm_jit_fault(void *ucontext)
{
#ifdef WASM_GUARD_PAGES
	uintptr_t pc = wm_jit_arch_fault_pc(ucontext);
	for (size_t i = 0; i < MAX_CODES; i++) {
		struct wm_jit_code *c =
		    __atomic_load_n(&codes[i], __ATOMIC_ACQUIRE);
		if (!c || pc < (uintptr_t)c->mem ||
		    pc >= (uintptr_t)c->mem + c->len)
			continue;
		size_t off = pc - (uintptr_t)c->mem;
		uint32_t n = __atomic_load_n(&c->nchunks, __ATOMIC_ACQUIRE);
		const struct wm_jit_chunk *k = chunk_at(c, n, off);
		if (!k)
			return false;
		uint32_t koff = (uint32_t)(off - k->start);
		const struct wm_jit_site *s =
		    bsearch(&koff, k->sites, k->nsites, sizeof(*s), cmp_site);
		if (!s)
			return false;
		wm_jit_arch_resume_at_trap(
		    ucontext, (uintptr_t)c->mem + k->start + k->landing,
		    s->funcidx, s->pos);
		return true;
	}
#else
	(void)ucontext;
#endif
	return false;
}

/* ---- executable memory ---------------------------------------------------- */

/* The helper table (jit.h) at p, then made read-only. */
__attribute__((cold)) static int put_table(void *p)
{
	static void *const helpers[WM_JIT_NHELPERS] = {
	    [WM_JIT_H_CALL] = (void *)wm_jit_call,
	    [WM_JIT_H_BULK] = (void *)wm_jit_bulk,
	    [WM_JIT_H_GROW] = (void *)wm_jit_memory_grow,
	    [WM_JIT_H_SAFEPOINT] = (void *)wm_jit_safepoint,
	    [WM_JIT_H_TRAP] = (void *)wm_jit_trap,
	};
	memcpy(p, helpers, sizeof(helpers));
	return mprotect(p, PAGE, PROT_READ);
}

/* The helper table's page, then the code: written while writable, then
 * flipped to read (the table) and read+execute (the code): never both
 * writable and executable. A mapped buffer becomes the mapping (its
 * pages past the code unmapped, the rest of the last one zeroed). */
static void *map_code(struct wm_jit_buf *b, size_t *len)
{
	size_t n = PAGE + (b->len + PAGE - 1) / PAGE * PAGE;
	uint8_t *p;
	if (b->mapped) {
		p = b->p - PAGE;
		if (PAGE + b->cap > n)
			munmap(p + n, PAGE + b->cap - n);
		memset(b->p + b->len, 0, n - PAGE - b->len);
		b->p = NULL;
	} else {
		p = mmap(NULL, n, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return NULL;
		memcpy(p + PAGE, b->p, b->len);
	}
	if (put_table(p) ||
	    mprotect(p + PAGE, n - PAGE, PROT_READ | PROT_EXEC)) {
		munmap(p, n);
		return NULL;
	}
	*len = n;
	return p;
}

/* Reserved per word of translated code, and per function (its code
 * starts on a fresh page); x86-64 code is about 3 bytes a word. Up
 * front the buffer grows (by mremap) if it must. */
#define LAZY_BYTES_PER_WORD 16
#define BYTES_PER_WORD 8
#define LAZY_BYTES_PER_FUNC (2 * PAGE)

/* Lazy compilation's state of one module. */
struct wm_jit_lazy {
	pthread_mutex_t lock; /* held while compiling */
	struct wm_module *m;
	size_t used; /* bytes of the range handed out, whole pages */
	uint32_t ncompiled, nfailed;
	size_t bytes;  /* code compiled */
	uint64_t nsec; /* CPU time spent compiling */
	/* Tiered: how hot a function gets interpreted before it compiles
	 * (0: lazy, each compiles at its first call): a call adds one, and
	 * so do `edges` rounds of its loops. */
	uint32_t threshold, edges;
	bool log;
};

static void log_lazy(const struct wm_jit_code *c);

void wm_jit_free(struct wm_jit_code *c)
{
	if (!c)
		return;
#ifdef WASM_GUARD_PAGES
	codes_remove(c);
#endif
	if (c->lazy) {
		log_lazy(c);
		pthread_mutex_destroy(&c->lazy->lock);
		free(c->lazy);
	}
	munmap(c->mem, c->len);
	free(c->sigs);
	for (uint32_t i = 0; i < c->nchunks; i++)
		free(c->chunks[i].sites);
	free(c->chunks);
	free(c);
}

/* Appends the unit's code, at `start` in c's mapping, to c's chunks (its
 * sites handed over) and publishes it to the fault handler. */
static void add_chunk(struct wm_jit_code *c, struct wm_jit_unit *u,
		      size_t start)
{
	c->chunks[c->nchunks] =
	    (struct wm_jit_chunk){start, u->landing, u->sites, u->nsites};
	u->sites = NULL;
	__atomic_store_n(&c->nchunks, c->nchunks + 1, __ATOMIC_RELEASE);
}

__attribute__((cold)) struct wm_jit_code *wm_jit_place(struct wm_jit_unit *u)
{
	struct wm_jit_code *c = calloc(1, sizeof(*c));
	struct wm_jit_chunk *k = calloc(1, sizeof(*k));
	if (c && k)
		c->mem = map_code(&u->buf, &c->len);
	if (!c || !k || !c->mem) {
		free(c);
		free(k);
		return NULL;
	}
	c->code_len = u->buf.len;
	c->sigs = u->sigs;
	c->nsigs = u->nsigs;
	u->sigs = NULL;
	c->chunks = k;
	c->maxchunks = 1;
	add_chunk(c, u, PAGE);
#ifdef WASM_GUARD_PAGES
	if (!codes_add(c)) { /* its faults would go unhandled: interpret */
		wm_jit_free(c);
		return NULL;
	}
#endif
	for (uint32_t i = 0; i < u->nfuncs; i++)
		if (u->funcs[i].compile) {
			u->funcs[i].code->jit =
			    c->mem + PAGE + u->funcs[i].start;
			u->funcs[i].code->jit_inner =
			    c->mem + PAGE + u->funcs[i].inner;
		}
	return c;
}

/* WASM_BPF_JIT_LOG=1: what was compiled, for debugging and tests. */
static void log_unit(const struct wm_jit_unit *u, uint64_t nsec)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < u->nfuncs; i++)
		n += u->funcs[i].compile && u->funcs[i].code->jit;
	fprintf(stderr,
		"jit: %u of %u functions compiled, %zu bytes in %.3f ms CPU"
		" on %u thread%s\n",
		n, u->nfuncs, u->buf.len, (double)(nsec + u->helper_nsec) / 1e6,
		u->threads, u->threads > 1 ? "s" : "");
}

void wm_jit_unit_free(struct wm_jit_unit *u)
{
	free(u->insns);
	free(u->funcs);
	wm_jit_buf_free(&u->buf);
	free(u->sites);
	free(u->sigs);
}

/* ---- lazy compilation ------------------------------------------------------
 * Each function is compiled alone on its first call, onto fresh pages of
 * a range reserved at load: written, made read+exec, and never writable
 * again. */

static bool env_is(const char *name, const char *value)
{
	const char *env = getenv(name);
	return env && strcmp(env, value) == 0;
}

uint64_t wm_jit_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* The unit's code onto the next pages of c's range (at u->base), as a
 * new chunk; its offset there, or SIZE_MAX when the range is full or
 * mprotect fails (the function interprets). The range is read+write
 * until used: the code and int3 padding fill its pages, which then turn
 * read+exec (one system call; no byte but ours becomes executable). */
static size_t lazy_place(struct wm_jit_code *c, struct wm_jit_unit *u)
{
	struct wm_jit_lazy *l = c->lazy;
	size_t n = (u->buf.len + PAGE - 1) / PAGE * PAGE;
	if (n > c->len - l->used || c->nchunks == c->maxchunks)
		return SIZE_MAX;
	size_t at = l->used;
	uint8_t *p = c->mem + at;
	l->used += n; /* pages once writable are never reused */
	memcpy(p, u->buf.p, u->buf.len);
	memset(p + u->buf.len, 0xcc, n - u->buf.len);
	if (mprotect(p, n, PROT_READ | PROT_EXEC)) {
		mprotect(p, n, PROT_NONE);
		return SIZE_MAX;
	}
	add_chunk(c, u, at);
	return at;
}

/* Compiles one function of c's module (under c's lock); publishes its
 * entries (inner first: a reader that sees jit may use jit_inner). */
static void lazy_compile(struct wm_jit_code *c, struct wm_code *code)
{
	struct wm_jit_lazy *l = c->lazy;
	uint64_t t0 = wm_jit_cpu_ns();
	struct wm_jit_func f = {.code = code, .index = code->jit_index};
	struct wm_jit_unit u = {.m = l->m, .funcs = &f, .nfuncs = 1,
				.lazy = true, .base = c->mem + l->used,
				.table = -(int64_t)l->used,
				.osr = l->threshold != 0};
	size_t at = SIZE_MAX;
	f.insns = malloc(sizeof(*f.insns) * INSNS_OF(code->nwords));
	f.compile = f.insns && decode_func(&f, l->log);
	/* the backend clears .compile when it cannot emit the function */
	if (f.compile && wm_jit_arch_emit(&u) == 0 && f.compile)
		at = lazy_place(c, &u);
	if (at != SIZE_MAX) {
		for (uint32_t k = 0; k < f.nosr; k++)
			f.osr[k][1] -= (uint32_t)f.start;
		code->jit_osr = f.osr;
		code->jit_nosr = f.nosr;
		f.osr = NULL;
		__atomic_store_n(&code->jit_inner, c->mem + at + f.inner,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&code->jit, c->mem + at + f.start,
				 __ATOMIC_RELEASE);
		l->ncompiled++;
		l->bytes += u.buf.len;
	} else {
		l->nfailed++;
	}
	__atomic_store_n(&code->jit_lazy, NULL, __ATOMIC_RELEASE);
	l->nsec += wm_jit_cpu_ns() - t0;
	if (l->log)
		fprintf(stderr, "jit: func %u %s, %zu bytes\n", f.index,
			at != SIZE_MAX ? "compiled" : "interpreted", u.buf.len);
	free(f.insns);
	free(f.osr);
	wm_jit_unit_free(&(struct wm_jit_unit){
	    .sites = u.sites, .sigs = u.sigs, .buf = u.buf});
}

/* Tiered: a function compiles once it got threshold hot (calls, and
 * rounds of its loops: wm_jit_osr): code run a few times is cheaper to
 * interpret than to compile. */
static bool cold(const struct wm_jit_code *c, struct wm_code *code)
{
	uint32_t t = c->lazy->threshold;
	return t &&
	       __atomic_add_fetch(&code->jit_heat, 1, __ATOMIC_RELAXED) < t;
}

bool wm_jit_ready_uncounted(const struct wm_code *code)
{
	const struct wm_jit_code *c =
	    __atomic_load_n(&code->jit_lazy, __ATOMIC_ACQUIRE);
	if (c && !c->lazy->threshold)
		return wm_jit_ready(code);
	return __atomic_load_n(&code->jit, __ATOMIC_ACQUIRE) != NULL;
}

bool wm_jit_compile_lazy(struct wm_code *code)
{
	struct wm_jit_code *c =
	    __atomic_load_n(&code->jit_lazy, __ATOMIC_ACQUIRE);
	if (c && cold(c, code))
		return false;
	if (c) {
		pthread_mutex_lock(&c->lazy->lock);
		if (__atomic_load_n(&code->jit_lazy, __ATOMIC_RELAXED))
			lazy_compile(c, code);
		pthread_mutex_unlock(&c->lazy->lock);
	}
	return __atomic_load_n(&code->jit, __ATOMIC_ACQUIRE) != NULL;
}

int32_t wm_jit_tier_edges(const struct wm_jit_code *c)
{
	bool tiered = c && c->lazy && c->lazy->threshold;
	return tiered ? (int32_t)c->lazy->edges : 1 << 30;
}

static void log_lazy(const struct wm_jit_code *c)
{
	const struct wm_jit_lazy *l = c->lazy;
	if (l->log)
		fprintf(stderr,
			"jit: lazily compiled %u of %u functions (%u "
			"interpreted), %zu bytes in %.3f ms CPU\n",
			l->ncompiled, c->maxchunks, l->nfailed, l->bytes,
			(double)l->nsec / 1e6);
}

/* Tiered loads: how hot a function gets before it compiles, and the
 * rounds of loops that count as a call; the environment's
 * WASM_BPF_JIT_TIER=N[,E] sets them for tests. */
#define TIER_THRESHOLD 64
#define TIER_EDGES 8
static void tier_of_env(struct wm_jit_lazy *l)
{
	const char *env = getenv("WASM_BPF_JIT_TIER");
	char *end = NULL;
	long n = env ? strtol(env, &end, 10) : 0;
	long e = end && *end == ',' ? strtol(end + 1, NULL, 10) : 0;
	l->threshold = n >= 1 && n <= 1000000 ? (uint32_t)n : TIER_THRESHOLD;
	l->edges = e >= 1 && e <= 1000000 ? (uint32_t)e : TIER_EDGES;
}

/* Readies every function of m to compile on its first call: a range
 * reserved for the code (no memory until written), each wm_code
 * pointing at it. */
static struct wm_jit_code *lazy_code(struct wm_module *m, bool log,
				     bool tiered)
{
	uint32_t n = m->nfuncs - m->nimported_funcs;
	size_t words = 0;
	for (uint32_t i = 0; i < n; i++)
		words += m->funcs[i].code->nwords;
	struct wm_jit_code *c = calloc(1, sizeof(*c));
	struct wm_jit_lazy *l = calloc(1, sizeof(*l));
	struct wm_jit_chunk *k = calloc(n, sizeof(*k));
	if (!n || !c || !l || !k) {
		free(c), free(l), free(k);
		return NULL;
	}
	c->len = PAGE + words * LAZY_BYTES_PER_WORD +
		 (size_t)n * LAZY_BYTES_PER_FUNC;
	c->mem = mmap(NULL, c->len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (c->mem != MAP_FAILED && put_table(c->mem)) {
		munmap(c->mem, c->len);
		c->mem = MAP_FAILED;
	}
	if (c->mem == MAP_FAILED) {
		free(c), free(l), free(k);
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	l->used = PAGE; /* the helper table */
	l->m = m;
	l->log = log;
	if (tiered)
		tier_of_env(l);
	c->lazy = l;
	c->chunks = k;
	c->maxchunks = n;
#ifdef WASM_GUARD_PAGES
	if (!codes_add(c)) { /* its faults would go unhandled: interpret */
		wm_jit_free(c);
		return NULL;
	}
#endif
	void *stub = wm_jit_arch_lazy_stub();
	for (uint32_t i = 0; i < n; i++) {
		struct wm_code *code = m->funcs[i].code;
		code->jit_index = m->nimported_funcs + i;
		code->jit_inner = stub;
		code->jit_lazy = c;
	}
	return c;
}

__attribute__((cold)) bool wm_jit_upfront(int tier)
{
	return tier == WASM_TIER_JIT && wm_jit_arch_supports(IR_ENTRY) &&
	       !env_is("WASM_BPF_JIT_LAZY", "1");
}

/* WASM_BPF_JIT_LOG=1 at the first module: log each entry at a loop. */
static bool osr_log;

static void init_once(void)
{
	osr_log = env_is("WASM_BPF_JIT_LOG", "1");
	init_handlers();
}

void wm_jit_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, init_once);
}

bool wm_jit_emit_module(const struct wm_module *m, struct wm_jit_unit *u,
			bool log)
{
	*u = (struct wm_jit_unit){.m = m, .table = -PAGE};
	u->nfuncs = m->nfuncs - m->nimported_funcs;
	u->funcs = calloc(u->nfuncs + 1, sizeof(*u->funcs));
	if (!u->funcs)
		return false;
	bool any = false;
	size_t words = 0, room = 0, used = 0;
	for (uint32_t i = 0; i < u->nfuncs; i++)
		room += INSNS_OF(m->funcs[i].code->nwords);
	/* one array, packed: only the pages used are touched */
	u->insns = malloc(sizeof(*u->insns) * room);
	for (uint32_t i = 0; u->insns && i < u->nfuncs; i++) {
		struct wm_jit_func *f = &u->funcs[i];
		f->code = m->funcs[i].code;
		f->index = m->nimported_funcs + i;
		f->insns = u->insns + used;
		f->compile = decode_func(f, log);
		any |= f->compile;
		used += f->ninsns;
		words += f->compile ? f->code->nwords : 0;
	}
	/* emitted in place (a malloc'ed buffer if mmap fails) */
	if (any)
		wm_jit_buf_map(&u->buf, words * BYTES_PER_WORD + PAGE);
	return any && wm_jit_arch_emit(u) == 0 && !u->buf.oom;
}

struct wm_jit_code *wm_jit_compile(struct wm_module *m, int tier)
{
	struct wm_jit_code *code = NULL;
	if ((tier != WASM_TIER_JIT && tier != WASM_TIER_TIERED) ||
	    !wm_jit_arch_supports(IR_ENTRY))
		return NULL;
	wm_jit_init();
	bool log = env_is("WASM_BPF_JIT_LOG", "1");
	if (tier == WASM_TIER_TIERED)
		return lazy_code(m, log, true);
	if (!wm_jit_upfront(tier))
		return lazy_code(m, log, false);
	uint64_t t0 = wm_jit_cpu_ns();
	struct wm_jit_unit u;
	if (wm_jit_emit_module(m, &u, log))
		code = wm_jit_place(&u);
	if (log && u.funcs)
		log_unit(&u, wm_jit_cpu_ns() - t0);
	wm_jit_unit_free(&u);
	return code;
}

/* ---- entry and helpers ----------------------------------------------------- */

/* The lowest address compiled code may push to on this thread: found
 * once per thread, then one thread-local load (host callbacks enter
 * compiled code once per event). */
static __thread uintptr_t thread_stack_limit;

/* The main thread's lowest stack address, 0 if unknown (another thread,
 * no limit): its limit below the stack's top, which is just above the
 * program's name (AT_EXECFN, the kernel's highest string there, then a
 * null word), as glibc finds it. pthread_getattr_np would read
 * /proc/self/maps to find it: ~0.1 ms of a compiled module's start. */
static uintptr_t main_stack_lo(void)
{
	struct rlimit r;
	const char *name = (const char *)getauxval(AT_EXECFN);
	if (getpid() != (pid_t)syscall(SYS_gettid) || !name ||
	    getrlimit(RLIMIT_STACK, &r) || r.rlim_cur == RLIM_INFINITY)
		return 0;
	uintptr_t top = (uintptr_t)name + strlen(name) + 1 + sizeof(void *);
	return r.rlim_cur < top ? top - r.rlim_cur : 0;
}

static __attribute__((noinline)) uintptr_t find_stack_limit(void)
{
	uintptr_t limit = 0, lo0 = main_stack_lo();
	pthread_attr_t a;
	void *lo;
	size_t size;
	if (lo0)
		limit = lo0 + STACK_RESERVE;
	else if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &lo, &size) == 0)
			limit = (uintptr_t)lo + STACK_RESERVE;
		pthread_attr_destroy(&a);
	}
	/* Unknown bounds: allow 1 MiB below here. */
	if (!limit)
		limit = (uintptr_t)__builtin_frame_address(0) - (1u << 20);
	return thread_stack_limit = limit;
}

static inline uintptr_t stack_limit(void)
{
	uintptr_t limit = thread_stack_limit;
	return __builtin_expect(limit != 0, 1) ? limit : find_stack_limit();
}

static inline bool stack_ok(void)
{
	return (uintptr_t)__builtin_frame_address(0) > stack_limit();
}

/* Whether compiled code may start from here on the native stack; sets
 * the limit it checks against. */
static bool jit_stack_ok(struct wasm_instance *ctx)
{
	uintptr_t limit = stack_limit();
	ctx->jit_stack_limit = limit;
	return (uintptr_t)__builtin_frame_address(0) > limit;
}

bool wm_jit_can_enter(struct wasm_instance *ctx, const struct wasm_func *f,
		      union wm_slot *fp)
{
	return jit_stack_ok(ctx) && ctx->nframes < ctx->max_frames &&
	       fp + f->code->frame_slots <= ctx->stack_end;
}

int wm_jit_run(struct wasm_instance *ctx, struct wasm_func *f,
	       union wm_slot *fp)
{
	uint32_t base = ctx->nframes++;
	int st = ((wm_jit_fn)f->code->jit)(ctx, fp, f->inst);
	ctx->nframes = base;
	return st;
}

int wm_jit_enter(struct wasm_instance *ctx, struct wasm_func *f,
		 union wm_slot *fp)
{
	if (!wm_jit_can_enter(ctx, f, fp))
		return wm_trap(ctx, WASM_TRAP_STACK_EXHAUSTED, f, NULL);
	return wm_jit_run(ctx, f, fp);
}

int wm_jit_trap(struct wasm_instance *ctx, struct wasm_instance *inst,
		uint32_t funcidx, uint32_t pos, int kind)
{
	struct wasm_func *f = inst->funcs[funcidx];
	const uint32_t *ip = f->code->words + pos;
	if (kind >= 0)
		return wm_trap(ctx, kind, f, ip);
	if (ctx->interrupt)
		return wm_trap(ctx, WASM_TRAP_INTERRUPTED, f, ip);
	ctx->fuel = 0;
	return wm_trap(ctx, WASM_TRAP_OUT_OF_FUEL, f, ip);
}

int wm_jit_safepoint(struct wasm_instance *ctx)
{
	return ctx->interrupt && ctx->fuel >= 0 && wm_interrupt_handled(ctx);
}

/* The compiled frames between the base and a compiled body's stack
 * pointer sp (runtime.h, jit_frame_base). */
static uint32_t jit_frames(const struct wasm_instance *ctx, uintptr_t sp)
{
	return (uint32_t)((ctx->jit_frame_base - sp) / 16);
}

static int call_out(struct wasm_instance *ctx, struct wasm_instance *inst,
		    union wm_slot *fp, uint32_t funcidx, uint32_t pos)
{
	struct wasm_func *cur = inst->funcs[funcidx];
	const uint32_t *ip = cur->code->words + pos;
	const uint32_t *w = ip + 2;
	struct wasm_func *callee;
	union wm_slot *nfp;
	if (op_at(ip) == IR_CALL_INDIRECT) {
		struct wasm_table *tb = inst->tables[w[0]];
		uint32_t i = fp[w[3]].u32;
		if (i >= tb->size)
			return wm_trap(ctx, WASM_TRAP_UNDEFINED_ELEMENT, cur, ip);
		callee = tb->elems[i];
		if (!callee)
			return wm_trap(ctx, WASM_TRAP_UNINITIALIZED_ELEMENT,
				       cur, ip);
		if (callee->sig_id != w[1])
			return wm_trap(ctx, WASM_TRAP_INDIRECT_TYPE_MISMATCH,
				       cur, ip);
		nfp = fp + w[2];
	} else {
		callee = inst->funcs[w[0]];
		nfp = fp + w[1];
	}
	if (callee->host)
		return wm_call_host(ctx, cur, callee, fp, nfp, ip);
	if (ctx->nframes >= ctx->max_frames || !stack_ok() ||
	    nfp + callee->code->frame_slots > ctx->stack_end)
		return wm_trap(ctx, WASM_TRAP_STACK_EXHAUSTED, cur, ip);
	if (!wm_jit_ready(callee->code))
		return wm_interp_run(ctx, callee, nfp);
	ctx->nframes++;
	int st = ((wm_jit_fn)callee->code->jit)(ctx, nfp, callee->inst);
	ctx->nframes--;
	return st;
}

int wm_jit_call(struct wasm_instance *ctx, struct wasm_instance *inst,
		union wm_slot *fp, uint32_t funcidx, uint32_t pos,
		uintptr_t sp)
{
	uint32_t n = ctx->nframes;
	ctx->nframes = n + jit_frames(ctx, sp);
	int st = call_out(ctx, inst, fp, funcidx, pos);
	ctx->nframes = n;
	return st;
}

int wm_jit_bulk(struct wasm_instance *ctx, struct wasm_instance *inst,
		union wm_slot *fp, uint32_t funcidx, uint32_t pos, int op)
{
	struct wasm_func *f = inst->funcs[funcidx];
	const uint32_t *ip = f->code->words + pos;
	int kind = wm_bulk_run(inst, op, ip + 2, fp);
	return kind ? wm_trap(ctx, kind, f, ip) : WASM_OK;
}

int wm_jit_lazy_call(struct wasm_instance *ctx, struct wasm_instance *inst,
		     union wm_slot *fp, uint32_t funcidx, uintptr_t sp)
{
	struct wasm_func *f = inst->funcs[funcidx];
	uint32_t n = ctx->nframes;
	ctx->nframes = n + jit_frames(ctx, sp);
	int st = wm_jit_ready(f->code)
		     ? (ctx->nframes++, /* as wm_jit_call counts it */
			((wm_jit_fn)f->code->jit)(ctx, fp, inst))
		     : wm_interp_run(ctx, f, fp);
	ctx->nframes = n;
	return st;
}

int32_t wm_jit_memory_grow(struct wasm_instance *inst, uint32_t delta)
{
	return (int32_t)wm_memory_grow(inst->mem, delta);
}

bool wm_jit_osr(struct wasm_instance *ctx, struct wasm_func *f,
		union wm_slot *fp, const uint32_t *ip, int *status)
{
	struct wm_code *code = (struct wm_code *)f->code;
	struct wm_jit_code *c =
	    __atomic_load_n(&code->jit_lazy, __ATOMIC_ACQUIRE);
	if (c && (!c->lazy->threshold || !wm_jit_compile_lazy(code)))
		return false; /* lazy mode's; or not hot yet */
	uint8_t *jit = __atomic_load_n(&code->jit, __ATOMIC_ACQUIRE);
	uint32_t pos = (uint32_t)(ip - code->words), k = 0;
	while (jit && k < code->jit_nosr && code->jit_osr[k][0] != pos)
		k++;
	/* the interpreter's frame is the function's: counted already */
	if (!jit || k == code->jit_nosr || !jit_stack_ok(ctx))
		return false;
	if (osr_log)
		fprintf(stderr, "jit: func %u entered compiled at word %u\n",
			f->index, pos);
	*status = ((wm_jit_fn)(jit + code->jit_osr[k][1]))(ctx, fp, f->inst);
	return true;
}
