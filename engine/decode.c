/* decode.c — the binary format of WebAssembly 2.0 into struct wm_module.
 *
 * Owns section framing and ordering, every section's contents, constant
 * expressions, the name section and process-wide interning of function
 * types. Function bodies are only split out here; validate.c reads their
 * instructions. Whatever a malformed input makes us stop at, the partially
 * filled module stays freeable by wm_module_free().
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

/* An implementation limit: the interpreter gives every local a slot, and
 * nothing real comes near this. */
#define WM_MAX_LOCALS 50000u

enum {
	SEC_CUSTOM = 0,
	SEC_TYPE,
	SEC_IMPORT,
	SEC_FUNCTION,
	SEC_TABLE,
	SEC_MEMORY,
	SEC_GLOBAL,
	SEC_EXPORT,
	SEC_START,
	SEC_ELEMENT,
	SEC_CODE,
	SEC_DATA,
	SEC_DATACOUNT,
	SEC_LAST = SEC_DATACOUNT,
};

struct reader {
	const uint8_t *p;
	const uint8_t *end;
	const uint8_t *base;
	const uint8_t *file_end;
	struct wasm_error *err;
	int section; /* -1 outside any section */
	bool quiet;  /* name section: errors are not reported */
};

static void report_at(struct reader *r, const uint8_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report_at(struct reader *r, const uint8_t *at, const char *fmt, ...)
{
	char *buf;
	size_t size;
	int n;
	va_list ap;

	if (r->quiet || !r->err)
		return;
	buf = r->err->msg;
	size = sizeof(r->err->msg);
	if (r->section >= 0)
		n = snprintf(buf, size, "section %d at 0x%zx: ", r->section,
			     (size_t)(at - r->base));
	else
		n = snprintf(buf, size, "at 0x%zx: ", (size_t)(at - r->base));
	if (n < 0 || (size_t)n >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
}

/* A macro so that the compiler sees every error path return non-zero. */
#define fail_at(r, at, ...) (report_at((r), (at), __VA_ARGS__), -EINVAL)
#define fail(r, ...)	    fail_at((r), (r)->p, __VA_ARGS__)

/* The spec tests tell running out of a section from running out of file. */
static int unexpected_end(struct reader *r)
{
	if (r->end < r->file_end)
		return fail(r, "unexpected end of section or function");
	return fail(r, "unexpected end");
}

static int need(struct reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return unexpected_end(r);
	return 0;
}

static int read_u8(struct reader *r, uint8_t *out)
{
	if (r->p >= r->end)
		return unexpected_end(r);
	*out = *r->p++;
	return 0;
}

/* Tell truncation, over-long encodings and unused bits apart: the spec
 * tests name each. */
static int leb_error(struct reader *r, unsigned maxlen)
{
	const uint8_t *q = r->p;

	while (q < r->end && (*q & 0x80))
		q++;
	if (q - r->p >= maxlen)
		return fail(r, "integer representation too long");
	if (q >= r->end)
		return unexpected_end(r);
	return fail(r, "integer too large");
}

static int read_u32(struct reader *r, uint32_t *out)
{
	size_t n = wm_read_u32(r->p, r->end, out);

	if (!n)
		return leb_error(r, 5);
	r->p += n;
	return 0;
}

static int read_s32(struct reader *r, int32_t *out)
{
	size_t n = wm_read_s32(r->p, r->end, out);

	if (!n)
		return leb_error(r, 5);
	r->p += n;
	return 0;
}

static int read_s64(struct reader *r, int64_t *out)
{
	size_t n = wm_read_s64(r->p, r->end, out);

	if (!n)
		return leb_error(r, 10);
	r->p += n;
	return 0;
}

/* A vector length: each element takes at least `min_size` bytes, so a count
 * the remaining input cannot hold is malformed before we allocate for it. */
static int read_count(struct reader *r, uint32_t *out, size_t min_size)
{
	int err = read_u32(r, out);

	if (err)
		return err;
	if (min_size && *out > (size_t)(r->end - r->p) / min_size)
		return fail(r, "length out of bounds");
	return 0;
}

static bool utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/* Names are NUL-terminated copies; an embedded NUL is legal UTF-8 but the
 * C string then ends early, which only affects lookups by such names. */
static int read_name_len(struct reader *r, char **out, uint32_t *out_len)
{
	const uint8_t *start = r->p;
	uint32_t len;
	int err;

	err = read_u32(r, &len);
	if (err)
		return err;
	if (len > (size_t)(r->end - r->p))
		return fail(r, "length out of bounds");
	if (!utf8_valid(r->p, len))
		return fail_at(r, start, "malformed UTF-8 encoding");
	*out = malloc((size_t)len + 1);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, r->p, len);
	(*out)[len] = '\0';
	r->p += len;
	*out_len = len;
	return 0;
}

static int read_name(struct reader *r, char **out)
{
	uint32_t len;

	return read_name_len(r, out, &len);
}

static int check_valtype(struct reader *r, uint8_t t, const uint8_t *at)
{
	switch (t) {
	case WASM_I32:
	case WASM_I64:
	case WASM_F32:
	case WASM_F64:
	case WASM_FUNCREF:
	case WASM_EXTERNREF:
		return 0;
	case WASM_V128:
		return fail_at(r, at, "SIMD (v128) is not supported");
	default:
		return fail_at(r, at, "malformed value type 0x%02x", t);
	}
}

static int read_valtype(struct reader *r, uint8_t *out)
{
	int err = read_u8(r, out);

	return err ? err : check_valtype(r, *out, r->p - 1);
}

static int read_reftype(struct reader *r, uint8_t *out)
{
	int err = read_u8(r, out);

	if (err)
		return err;
	if (*out != WASM_FUNCREF && *out != WASM_EXTERNREF)
		return fail_at(r, r->p - 1, "malformed reference type");
	return 0;
}

static int read_limits(struct reader *r, struct wm_limits *lim)
{
	uint8_t flags;
	int err;

	err = read_u8(r, &flags);
	if (err)
		return err;
	if (flags & 0x80)
		return fail_at(r, r->p - 1,
			       "integer representation too long "
			       "(limits flags)");
	if (flags > 1)
		return fail_at(r, r->p - 1, "integer too large (limits flags)");
	err = read_u32(r, &lim->min);
	if (err)
		return err;
	lim->has_max = flags == 1;
	lim->max = 0;
	return lim->has_max ? read_u32(r, &lim->max) : 0;
}

static int read_tabletype(struct reader *r, struct wm_tabletype *t)
{
	int err = read_reftype(r, &t->elem);

	return err ? err : read_limits(r, &t->lim);
}

static int read_globaltype(struct reader *r, struct wm_globaltype *g)
{
	uint8_t mut;
	int err;

	err = read_valtype(r, &g->type);
	if (!err)
		err = read_u8(r, &mut);
	if (err)
		return err;
	if (mut > 1)
		return fail_at(r, r->p - 1, "malformed mutability");
	g->mut = mut;
	return 0;
}

/* The type of global.get x is known once x's declaration was read; later
 * ones stay 0 and validation calls them unknown. */
static int read_const(struct reader *r, const struct wm_module *m,
		      struct wm_const *c)
{
	const uint8_t *at = r->p;
	uint8_t op;
	int err;

	memset(c, 0, sizeof(*c));
	err = read_u8(r, &op);
	if (err)
		return err;
	c->op = op;
	switch (op) {
	case WM_CONST_I32: {
		int32_t v;

		err = read_s32(r, &v);
		c->type = WASM_I32;
		c->bits = (uint32_t)v;
		break;
	}
	case WM_CONST_I64: {
		int64_t v;

		err = read_s64(r, &v);
		c->type = WASM_I64;
		c->bits = (uint64_t)v;
		break;
	}
	case WM_CONST_F32: {
		uint32_t v;

		err = need(r, 4);
		if (err)
			return err;
		memcpy(&v, r->p,
		       4); /* the format is little-endian, as are we */
		r->p += 4;
		c->type = WASM_F32;
		c->bits = v;
		break;
	}
	case WM_CONST_F64:
		err = need(r, 8);
		if (err)
			return err;
		memcpy(&c->bits, r->p, 8);
		r->p += 8;
		c->type = WASM_F64;
		break;
	case WM_CONST_GLOBAL_GET:
		err = read_u32(r, &c->index);
		if (!err && c->index < m->nglobals)
			c->type = m->global_types[c->index].type;
		break;
	case WM_CONST_REF_NULL:
		err = read_reftype(r, &c->type);
		break;
	case WM_CONST_REF_FUNC:
		err = read_u32(r, &c->index);
		c->type = WASM_FUNCREF;
		break;
	case 0x0b:
		return fail_at(r, at,
			       "type mismatch (empty constant expression)");
	case 0xfd:
		return fail_at(r, at, "SIMD (v128) is not supported");
	default:
		return fail_at(r, at, "constant expression required");
	}
	if (err)
		return err;
	err = read_u8(r, &op);
	if (err)
		return err;
	if (op == 0x0b)
		return 0;
	/* A second value is a typing error; anything else is not constant. */
	if ((op >= WM_CONST_I32 && op <= WM_CONST_F64) ||
	    op == WM_CONST_GLOBAL_GET || op == WM_CONST_REF_NULL ||
	    op == WM_CONST_REF_FUNC)
		return fail_at(r, r->p - 1,
			       "type mismatch (constant expression "
			       "leaves more than one value)");
	return fail_at(r, r->p - 1, "constant expression required");
}

/* ---- function type interning ------------------------------------------- */

struct sig_entry {
	uint32_t hash;
	uint32_t nparams;
	uint32_t nresults;
	uint8_t *types; /* params then results */
};

static struct {
	pthread_mutex_t lock;
	struct sig_entry *entries; /* id - 1 indexes this */
	uint32_t count;
	uint32_t cap;
	uint32_t *buckets; /* open addressing: id or 0 */
	uint32_t nbuckets;
} sigs = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint32_t sig_hash(const struct wm_functype *t)
{
	uint32_t h = 2166136261u ^ t->nparams ^ (t->nresults << 16);
	uint32_t i;

	for (i = 0; i < t->nparams; i++)
		h = (h ^ t->params[i]) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (i = 0; i < t->nresults; i++)
		h = (h ^ t->results[i]) * 16777619u;
	return h;
}

static bool sig_equal(const struct sig_entry *e, uint32_t h,
		      const struct wm_functype *t)
{
	return e->hash == h && e->nparams == t->nparams &&
	       e->nresults == t->nresults &&
	       !memcmp(e->types, t->params, t->nparams) &&
	       !memcmp(e->types + t->nparams, t->results, t->nresults);
}

static int sig_grow_buckets(void)
{
	uint32_t n = sigs.nbuckets ? sigs.nbuckets * 2 : 256;
	uint32_t *b = calloc(n, sizeof(*b));
	uint32_t i;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < sigs.count; i++) {
		uint32_t j = sigs.entries[i].hash & (n - 1);

		while (b[j])
			j = (j + 1) & (n - 1);
		b[j] = i + 1;
	}
	free(sigs.buckets);
	sigs.buckets = b;
	sigs.nbuckets = n;
	return 0;
}

static uint32_t sig_insert(const struct wm_functype *t, uint32_t h)
{
	struct sig_entry *e;
	uint32_t j;

	if (sigs.count == sigs.cap) {
		uint32_t cap = sigs.cap ? sigs.cap * 2 : 64;
		struct sig_entry *n = realloc(sigs.entries, cap * sizeof(*n));

		if (!n)
			return 0;
		sigs.entries = n;
		sigs.cap = cap;
	}
	if ((sigs.count + 1) * 2 > sigs.nbuckets && sig_grow_buckets())
		return 0;
	e = &sigs.entries[sigs.count];
	e->types = malloc((size_t)t->nparams + t->nresults + 1);
	if (!e->types)
		return 0;
	memcpy(e->types, t->params, t->nparams);
	memcpy(e->types + t->nparams, t->results, t->nresults);
	e->hash = h;
	e->nparams = t->nparams;
	e->nresults = t->nresults;
	sigs.count++;
	j = h & (sigs.nbuckets - 1);
	while (sigs.buckets[j])
		j = (j + 1) & (sigs.nbuckets - 1);
	sigs.buckets[j] = sigs.count;
	return sigs.count;
}

/* Ids start at 1 so that 0 can mean "out of memory" and never matches. */
uint32_t wm_sig_intern(const struct wm_functype *t)
{
	uint32_t h = sig_hash(t);
	uint32_t id = 0;

	pthread_mutex_lock(&sigs.lock);
	if (sigs.nbuckets) {
		uint32_t j = h & (sigs.nbuckets - 1);

		while (sigs.buckets[j]) {
			uint32_t cand = sigs.buckets[j];

			if (sig_equal(&sigs.entries[cand - 1], h, t)) {
				id = cand;
				break;
			}
			j = (j + 1) & (sigs.nbuckets - 1);
		}
	}
	if (!id)
		id = sig_insert(t, h);
	pthread_mutex_unlock(&sigs.lock);
	return id;
}

/* ---- sections ---------------------------------------------------------- */

static int read_functype(struct reader *r, struct wm_functype *t)
{
	uint8_t form;
	uint32_t i;
	int err;

	err = read_u8(r, &form);
	if (err)
		return err;
	/* The form is a one-byte signed LEB, hence the spec's wording. */
	if (form & 0x80)
		return fail_at(r, r->p - 1,
			       "integer representation too long "
			       "(function type form)");
	if (form != 0x60)
		return fail_at(r, r->p - 1, "malformed function type 0x%02x",
			       form);
	err = read_count(r, &t->nparams, 1);
	if (err)
		return err;
	t->params = malloc(t->nparams + 1);
	if (!t->params)
		return -ENOMEM;
	for (i = 0; i < t->nparams; i++)
		if ((err = read_valtype(r, &t->params[i])))
			return err;
	err = read_count(r, &t->nresults, 1);
	if (err)
		return err;
	t->results = malloc(t->nresults + 1);
	if (!t->results)
		return -ENOMEM;
	for (i = 0; i < t->nresults; i++)
		if ((err = read_valtype(r, &t->results[i])))
			return err;
	t->sig_id = wm_sig_intern(t);
	return t->sig_id ? 0 : -ENOMEM;
}

static int decode_types(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	m->types = calloc(n + 1, sizeof(*m->types));
	if (!m->types)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		m->ntypes = i + 1;
		err = read_functype(r, &m->types[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Imports are only counted here; each index-space array is built when its
 * own section (or the first later one) arrives and the counts are final. */
static int import_desc(struct reader *r, struct wm_module *m,
		       struct wm_import *im)
{
	switch (im->kind) {
	case WASM_EXTERN_FUNC:
		im->index = m->nfuncs;
		m->nimported_funcs = ++m->nfuncs;
		return read_u32(r, &im->u.typeidx);
	case WASM_EXTERN_TABLE:
		im->index = m->ntables;
		m->nimported_tables = ++m->ntables;
		return read_tabletype(r, &im->u.table);
	case WASM_EXTERN_MEMORY:
		im->index = m->nmems;
		m->nimported_mems = ++m->nmems;
		return read_limits(r, &im->u.mem);
	case WASM_EXTERN_GLOBAL:
		im->index = m->nglobals;
		m->nimported_globals = ++m->nglobals;
		return read_globaltype(r, &im->u.global);
	default:
		return fail_at(r, r->p - 1, "malformed import kind");
	}
}

static int decode_imports(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	m->imports = calloc(n + 1, sizeof(*m->imports));
	if (!m->imports)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct wm_import *im = &m->imports[i];

		m->nimports = i + 1;
		err = read_name_len(r, &im->module, &im->module_len);
		if (!err)
			err = read_name_len(r, &im->name, &im->name_len);
		if (!err)
			err = read_u8(r, &im->kind);
		if (!err)
			err = import_desc(r, m, im);
		if (err)
			return err;
	}
	return 0;
}

/* Import counts are final once the import section is done (or absent), so
 * the index-space arrays can be sized when their own section arrives. */
static int fill_imported_funcs(struct wm_module *m, uint32_t extra)
{
	uint32_t i;

	m->func_typeidx = calloc((size_t)m->nimported_funcs + extra + 1,
				 sizeof(*m->func_typeidx));
	if (!m->func_typeidx)
		return -ENOMEM;
	for (i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == WASM_EXTERN_FUNC)
			m->func_typeidx[m->imports[i].index] =
			    m->imports[i].u.typeidx;
	return 0;
}

static int decode_functions(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	free(m->func_typeidx);
	err = fill_imported_funcs(m, n);
	if (err)
		return err;
	m->funcs = calloc((size_t)n + 1, sizeof(*m->funcs));
	if (!m->funcs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint32_t *t = &m->func_typeidx[m->nimported_funcs + i];

		err = read_u32(r, t);
		if (err)
			return err;
		m->funcs[i].typeidx = *t;
		m->nfuncs++;
	}
	return 0;
}

static int fill_imported_tables(struct wm_module *m, uint32_t extra)
{
	uint32_t i;

	m->tables =
	    calloc((size_t)m->nimported_tables + extra + 1, sizeof(*m->tables));
	if (!m->tables)
		return -ENOMEM;
	for (i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == WASM_EXTERN_TABLE)
			m->tables[m->imports[i].index] = m->imports[i].u.table;
	return 0;
}

static int decode_tables(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	free(m->tables);
	err = fill_imported_tables(m, n);
	for (i = 0; !err && i < n; i++) {
		err = read_tabletype(r, &m->tables[m->ntables]);
		if (!err)
			m->ntables++;
	}
	return err;
}

static int fill_imported_mems(struct wm_module *m, uint32_t extra)
{
	uint32_t i;

	m->mems =
	    calloc((size_t)m->nimported_mems + extra + 1, sizeof(*m->mems));
	if (!m->mems)
		return -ENOMEM;
	for (i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == WASM_EXTERN_MEMORY)
			m->mems[m->imports[i].index] = m->imports[i].u.mem;
	return 0;
}

static int decode_memories(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	free(m->mems);
	err = fill_imported_mems(m, n);
	for (i = 0; !err && i < n; i++) {
		err = read_limits(r, &m->mems[m->nmems]);
		if (!err)
			m->nmems++;
	}
	return err;
}

static int fill_imported_globals(struct wm_module *m, uint32_t extra)
{
	uint32_t i;

	m->global_types = calloc((size_t)m->nimported_globals + extra + 1,
				 sizeof(*m->global_types));
	if (!m->global_types)
		return -ENOMEM;
	for (i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == WASM_EXTERN_GLOBAL)
			m->global_types[m->imports[i].index] =
			    m->imports[i].u.global;
	return 0;
}

static int decode_globals(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	free(m->global_types);
	err = fill_imported_globals(m, n);
	if (err)
		return err;
	m->globals = calloc((size_t)n + 1, sizeof(*m->globals));
	if (!m->globals)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct wm_global *g = &m->globals[i];

		err = read_globaltype(r, &g->type);
		if (!err)
			err = read_const(r, m, &g->init);
		if (err)
			return err;
		/* Only now does the global join the index space: its own
		 * initialiser must not see it. */
		m->global_types[m->nglobals++] = g->type;
	}
	return 0;
}

static int decode_exports(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	m->exports = calloc((size_t)n + 1, sizeof(*m->exports));
	if (!m->exports)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct wm_export *e = &m->exports[i];

		m->nexports = i + 1;
		err = read_name_len(r, &e->name, &e->name_len);
		if (!err)
			err = read_u8(r, &e->kind);
		if (err)
			return err;
		if (e->kind > WASM_EXTERN_GLOBAL)
			return fail_at(r, r->p - 1, "malformed export kind");
		err = read_u32(r, &e->index);
		if (err)
			return err;
	}
	return 0;
}

static int decode_start(struct reader *r, struct wm_module *m)
{
	m->has_start = true;
	return read_u32(r, &m->start);
}

static int read_elem_funcs(struct reader *r, struct wm_elem *e)
{
	uint32_t i;
	int err;

	err = read_count(r, &e->count, 1);
	if (err)
		return err;
	e->items = calloc((size_t)e->count + 1, sizeof(*e->items));
	if (!e->items)
		return -ENOMEM;
	for (i = 0; i < e->count; i++) {
		e->items[i].op = WM_CONST_REF_FUNC;
		e->items[i].type = WASM_FUNCREF;
		err = read_u32(r, &e->items[i].index);
		if (err)
			return err;
	}
	return 0;
}

static int read_elem_exprs(struct reader *r, const struct wm_module *m,
			   struct wm_elem *e)
{
	uint32_t i;
	int err;

	err = read_count(r, &e->count, 1);
	if (err)
		return err;
	e->items = calloc((size_t)e->count + 1, sizeof(*e->items));
	if (!e->items)
		return -ENOMEM;
	for (i = 0; i < e->count; i++) {
		err = read_const(r, m, &e->items[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Flags bit 0: passive or declarative; bit 1: explicit table (active) or
 * declarative (otherwise); bit 2: items are expressions, not indices. */
static int read_elem(struct reader *r, const struct wm_module *m,
		     struct wm_elem *e, uint32_t flags)
{
	bool exprs = flags & 4;
	int err = 0;

	e->type = WASM_FUNCREF;
	if (flags & 1)
		e->mode = (flags & 2) ? WM_SEG_DECLARATIVE : WM_SEG_PASSIVE;
	else
		e->mode = WM_SEG_ACTIVE;
	if (e->mode == WM_SEG_ACTIVE) {
		if (flags & 2)
			err = read_u32(r, &e->table);
		if (!err)
			err = read_const(r, m, &e->offset);
		if (err)
			return err;
	}
	/* Forms 0 and 4 imply funcref; the rest say it. */
	if ((flags & 3) && !exprs) {
		uint8_t kind;

		err = read_u8(r, &kind);
		if (err)
			return err;
		if (kind != 0x00)
			return fail_at(r, r->p - 1, "malformed element kind");
	} else if ((flags & 3) && exprs) {
		err = read_reftype(r, &e->type);
		if (err)
			return err;
	}
	return exprs ? read_elem_exprs(r, m, e) : read_elem_funcs(r, e);
}

static int decode_elems(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	m->elems = calloc((size_t)n + 1, sizeof(*m->elems));
	if (!m->elems)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const uint8_t *at = r->p;
		uint32_t flags;

		m->nelems = i + 1;
		err = read_u32(r, &flags);
		if (err)
			return err;
		if (flags > 7)
			return fail_at(r, at,
				       "malformed elements segment kind");
		err = read_elem(r, m, &m->elems[i], flags);
		if (err)
			return err;
	}
	return 0;
}

static int decode_datacount(struct reader *r, struct wm_module *m)
{
	m->has_datacount = true;
	return read_u32(r, &m->datacount);
}

static int read_locals(struct reader *r, struct wm_func *f)
{
	const uint8_t *start = r->p;
	uint64_t total = 0;
	uint32_t ngroups, i, k;
	int err;

	err = read_count(r, &ngroups, 1);
	if (err)
		return err;
	for (i = 0; i < ngroups; i++) {
		uint32_t cnt;
		uint8_t t;

		err = read_u32(r, &cnt);
		if (!err)
			err = read_valtype(r, &t);
		if (err)
			return err;
		total += cnt;
		if (total > UINT32_MAX)
			return fail(r, "too many locals");
		if (total > WM_MAX_LOCALS)
			return fail(r, "too many locals (limit %u)",
				    WM_MAX_LOCALS);
	}
	f->nlocals = (uint32_t)total;
	f->local_types = malloc(total + 1);
	if (!f->local_types)
		return -ENOMEM;
	/* Second pass over already-checked bytes to fill the types. */
	r->p = start;
	read_u32(r, &ngroups);
	for (i = 0, total = 0; i < ngroups; i++) {
		uint32_t cnt = 0;
		uint8_t t = 0;

		read_u32(r, &cnt);
		read_u8(r, &t);
		for (k = 0; k < cnt; k++)
			f->local_types[total++] = t;
	}
	return 0;
}

static int read_code_entry(struct reader *r, struct wm_module *m,
			   struct wm_func *f)
{
	const uint8_t *outer_end = r->end;
	uint32_t size;
	int err;

	err = read_u32(r, &size);
	if (err)
		return err;
	if (size > (size_t)(r->end - r->p))
		return fail(r, "length out of bounds (function body)");
	r->end = r->p + size;
	err = read_locals(r, f);
	if (!err) {
		f->body = r->p;
		f->body_len = (uint32_t)(r->end - r->p);
		f->body_offset = (uint32_t)(r->p - m->bytes);
		r->p = r->end;
	}
	r->end = outer_end;
	return err;
}

static int decode_code(struct reader *r, struct wm_module *m, bool *code_seen)
{
	uint32_t n, i, ndefined = m->nfuncs - m->nimported_funcs;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	if (n != ndefined)
		return fail(r, "function and code section have inconsistent "
			       "lengths");
	*code_seen = true;
	for (i = 0; i < n; i++) {
		err = read_code_entry(r, m, &m->funcs[i]);
		if (err)
			return err;
	}
	return 0;
}

static int read_data(struct reader *r, const struct wm_module *m,
		     struct wm_data *d)
{
	const uint8_t *at = r->p;
	uint32_t flags;
	int err;

	err = read_u32(r, &flags);
	if (err)
		return err;
	if (flags > 2)
		return fail_at(r, at, "malformed data segment kind");
	d->mode = flags == 1 ? WM_SEG_PASSIVE : WM_SEG_ACTIVE;
	if (flags == 2)
		err = read_u32(r, &d->memory);
	if (!err && flags != 1)
		err = read_const(r, m, &d->offset);
	if (!err)
		err = read_u32(r, &d->len);
	if (err)
		return err;
	if (d->len > (size_t)(r->end - r->p))
		return fail(r, "unexpected end of section or function "
			       "(data segment length out of bounds)");
	d->bytes = r->p;
	r->p += d->len;
	return 0;
}

static int decode_datas(struct reader *r, struct wm_module *m)
{
	uint32_t n, i;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	if (m->has_datacount && n != m->datacount)
		return fail(r, "data count and data section have inconsistent "
			       "lengths");
	m->datas = calloc((size_t)n + 1, sizeof(*m->datas));
	if (!m->datas)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		m->ndatas = i + 1;
		err = read_data(r, m, &m->datas[i]);
		if (err)
			return err;
	}
	return 0;
}

static int decode_custom(struct reader *r, struct wm_module *m)
{
	struct wm_custom *c;
	void *n;
	int err;

	n = realloc(m->customs, ((size_t)m->ncustoms + 1) * sizeof(*c));
	if (!n)
		return -ENOMEM;
	m->customs = n;
	c = &m->customs[m->ncustoms];
	memset(c, 0, sizeof(*c));
	err = read_name(r, &c->name);
	if (err)
		return err;
	m->ncustoms++;
	c->data = r->p;
	c->len = (uint32_t)(r->end - r->p);
	r->p = r->end;
	return 0;
}

/* ---- name section ------------------------------------------------------- */

static int read_func_names(struct reader *r, struct wm_module *m)
{
	uint32_t n, i, idx;
	int err;

	err = read_count(r, &n, 1);
	if (err)
		return err;
	if (!m->func_names) {
		m->func_names = calloc((size_t)m->nfuncs + 1, sizeof(char *));
		if (!m->func_names)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		char *name;

		err = read_u32(r, &idx);
		if (err)
			return err;
		if (idx >= m->nfuncs || m->func_names[idx])
			return -EINVAL;
		err = read_name(r, &name);
		if (err)
			return err;
		m->func_names[idx] = name;
	}
	return 0;
}

static int read_name_subsections(struct reader *r, struct wm_module *m)
{
	int last = -1;
	int err = 0;

	while (!err && r->p < r->end) {
		const uint8_t *outer_end = r->end;
		uint8_t id;
		uint32_t size;

		err = read_u8(r, &id);
		if (!err)
			err = read_u32(r, &size);
		if (err)
			return err;
		if (size > (size_t)(r->end - r->p) || (int)id <= last)
			return -EINVAL;
		last = id;
		r->end = r->p + size;
		if (id == 0)
			err = read_name(r, &m->module_name);
		else if (id == 1)
			err = read_func_names(r, m);
		else
			r->p = r->end; /* locals and later proposals */
		if (!err && r->p != r->end)
			err = -EINVAL;
		r->p = r->end;
		r->end = outer_end;
	}
	return err;
}

static void free_names(struct wm_module *m)
{
	uint32_t i;

	if (m->func_names)
		for (i = 0; i < m->nfuncs; i++)
			free(m->func_names[i]);
	free(m->func_names);
	free(m->module_name);
	m->func_names = NULL;
	m->module_name = NULL;
}

/* Names only serve messages: a malformed name section is dropped. */
static void parse_name_section(struct wm_module *m)
{
	uint32_t i;

	for (i = 0; i < m->ncustoms; i++) {
		const struct wm_custom *c = &m->customs[i];
		struct reader r = {
		    .p = c->data,
		    .end = c->data + c->len,
		    .base = m->bytes,
		    .file_end = m->bytes + m->len,
		    .section = SEC_CUSTOM,
		    .quiet = true,
		};

		if (strcmp(c->name, "name"))
			continue;
		if (read_name_subsections(&r, m))
			free_names(m);
		return;
	}
}

/* ---- declared function references --------------------------------------- */

static void declare_const(struct wm_module *m, const struct wm_const *c)
{
	if (c->op == WM_CONST_REF_FUNC && c->index < m->nfuncs)
		m->func_declared[c->index] = 1;
}

static int collect_declared(struct wm_module *m)
{
	uint32_t i, k;

	m->func_declared = calloc((size_t)m->nfuncs + 1, 1);
	if (!m->func_declared)
		return -ENOMEM;
	for (i = 0; i < m->nglobals - m->nimported_globals; i++)
		declare_const(m, &m->globals[i].init);
	for (i = 0; i < m->nelems; i++)
		for (k = 0; k < m->elems[i].count; k++)
			declare_const(m, &m->elems[i].items[k]);
	for (i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == WASM_EXTERN_FUNC &&
		    m->exports[i].index < m->nfuncs)
			m->func_declared[m->exports[i].index] = 1;
	return 0;
}

/* ---- framing ------------------------------------------------------------ */

/* Position of each non-custom section in the required order; data count
 * sits between element and code. */
static int section_rank(uint8_t id)
{
	static const int8_t rank[SEC_LAST + 1] = {
	    [SEC_TYPE] = 1,	  [SEC_IMPORT] = 2, [SEC_FUNCTION] = 3,
	    [SEC_TABLE] = 4,	  [SEC_MEMORY] = 5, [SEC_GLOBAL] = 6,
	    [SEC_EXPORT] = 7,	  [SEC_START] = 8,  [SEC_ELEMENT] = 9,
	    [SEC_DATACOUNT] = 10, [SEC_CODE] = 11,  [SEC_DATA] = 12,
	};

	return rank[id];
}

/* Sections that size index-space arrays must see final import counts; when
 * the import section is absent those arrays are created lazily here. */
static int ensure_index_arrays(struct wm_module *m)
{
	int err = 0;

	if (!m->func_typeidx)
		err = fill_imported_funcs(m, 0);
	if (!err && !m->funcs)
		m->funcs = calloc(1, sizeof(*m->funcs));
	if (!err && !m->funcs)
		err = -ENOMEM;
	if (!err && !m->tables)
		err = fill_imported_tables(m, 0);
	if (!err && !m->mems)
		err = fill_imported_mems(m, 0);
	if (!err && !m->global_types)
		err = fill_imported_globals(m, 0);
	if (!err && !m->globals)
		m->globals = calloc(1, sizeof(*m->globals));
	if (!err && !m->globals)
		err = -ENOMEM;
	return err;
}

static int decode_section(struct reader *r, struct wm_module *m, uint8_t id,
			  bool *code_seen)
{
	/* Anything after the imports may index any space. */
	if (id > SEC_IMPORT && id != SEC_CUSTOM && id != SEC_FUNCTION &&
	    id != SEC_TABLE && id != SEC_MEMORY && id != SEC_GLOBAL) {
		int err = ensure_index_arrays(m);

		if (err)
			return err;
	}
	switch (id) {
	case SEC_CUSTOM:
		return decode_custom(r, m);
	case SEC_TYPE:
		return decode_types(r, m);
	case SEC_IMPORT:
		return decode_imports(r, m);
	case SEC_FUNCTION:
		return decode_functions(r, m);
	case SEC_TABLE:
		return decode_tables(r, m);
	case SEC_MEMORY:
		return decode_memories(r, m);
	case SEC_GLOBAL:
		return decode_globals(r, m);
	case SEC_EXPORT:
		return decode_exports(r, m);
	case SEC_START:
		return decode_start(r, m);
	case SEC_ELEMENT:
		return decode_elems(r, m);
	case SEC_CODE:
		return decode_code(r, m, code_seen);
	case SEC_DATA:
		return decode_datas(r, m);
	case SEC_DATACOUNT:
		return decode_datacount(r, m);
	}
	return fail(r, "malformed section id");
}

static int read_header(struct reader *r)
{
	static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
	static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};

	if (r->end - r->p < 4 || memcmp(r->p, magic, 4))
		return fail(r, "magic header not detected");
	r->p += 4;
	if (r->end - r->p < 4 || memcmp(r->p, version, 4))
		return fail(r, "unknown binary version");
	r->p += 4;
	return 0;
}

static int read_sections(struct reader *r, struct wm_module *m)
{
	bool code_seen = false;
	int last_rank = 0;
	int err;

	while (r->p < r->end) {
		const uint8_t *outer_end = r->end;
		const uint8_t *at = r->p;
		uint32_t size;
		uint8_t id = *r->p++;

		r->section = id;
		if (id > SEC_LAST)
			return fail_at(r, at, "malformed section id");
		if (id != SEC_CUSTOM) {
			if (section_rank(id) <= last_rank)
				return fail_at(r, at,
					       "unexpected content after"
					       " last section (section out of "
					       "order or duplicated)");
			last_rank = section_rank(id);
		}
		err = read_u32(r, &size);
		if (err)
			return err;
		if (size > (size_t)(r->end - r->p))
			return fail(r, "length out of bounds (section size)");
		r->end = r->p + size;
		err = decode_section(r, m, id, &code_seen);
		if (!err && r->p != r->end)
			err = fail(r, "section size mismatch");
		r->end = outer_end;
		if (err)
			return err;
	}
	r->section = -1;
	err = ensure_index_arrays(m);
	if (err)
		return err;
	if (!code_seen && m->nfuncs != m->nimported_funcs)
		return fail(r, "function and code section have inconsistent "
			       "lengths");
	if (m->has_datacount && !m->datas && m->datacount != 0)
		return fail(r, "data count and data section have inconsistent "
			       "lengths");
	return 0;
}

int wm_decode(struct wm_module *m, const uint8_t *bytes, size_t len,
	      struct wasm_error *err)
{
	struct reader r = {.err = err, .section = -1};
	int ret;

	memset(m, 0, sizeof(*m));
	if (err)
		err->msg[0] = '\0';
	if (len > UINT32_MAX) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "module larger than 4 GiB");
		return -E2BIG;
	}
	m->bytes = malloc(len ? len : 1);
	if (!m->bytes)
		return -ENOMEM;
	if (len)
		memcpy(m->bytes, bytes, len);
	m->len = len;
	r.p = r.base = m->bytes;
	r.end = r.file_end = m->bytes + len;

	ret = read_header(&r);
	if (!ret)
		ret = read_sections(&r, m);
	if (!ret)
		ret = collect_declared(m);
	if (ret) {
		if (ret == -ENOMEM && err)
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		wm_module_free(m);
		return ret;
	}
	parse_name_section(m);
	return 0;
}

/* translate.c owns wm_code; a weak reference keeps decode-only builds (the
 * fuzzer, wasm-validate-only) linkable, where no code is ever attached. */
#pragma weak wm_code_free

void wm_module_free(struct wm_module *m)
{
	uint32_t i;

	if (!m)
		return;
	for (i = 0; i < m->ntypes; i++) {
		free(m->types[i].params);
		free(m->types[i].results);
	}
	free(m->types);
	for (i = 0; i < m->nimports; i++) {
		free(m->imports[i].module);
		free(m->imports[i].name);
	}
	free(m->imports);
	if (m->funcs) {
		for (i = 0; i < m->nfuncs - m->nimported_funcs; i++) {
			free(m->funcs[i].local_types);
			if (m->funcs[i].code && wm_code_free)
				wm_code_free(m->funcs[i].code);
		}
	}
	free(m->funcs);
	free(m->func_typeidx);
	free(m->tables);
	free(m->mems);
	free(m->global_types);
	free(m->globals);
	for (i = 0; i < m->nexports; i++)
		free(m->exports[i].name);
	free(m->exports);
	for (i = 0; i < m->nelems; i++)
		free(m->elems[i].items);
	free(m->elems);
	free(m->datas);
	for (i = 0; i < m->ncustoms; i++)
		free(m->customs[i].name);
	free(m->customs);
	free_names(m);
	free(m->func_declared);
	free(m->bytes);
	memset(m, 0, sizeof(*m));
}

const char *wm_func_name(const struct wm_module *m, uint32_t idx, char *buf,
			 size_t len)
{
	if (m->func_names && idx < m->nfuncs && m->func_names[idx])
		return m->func_names[idx];
	snprintf(buf, len, "func[%u]", idx);
	return buf;
}
