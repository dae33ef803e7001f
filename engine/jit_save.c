/* jit_save.c — a module's compiled code as bytes and back (wasm.h's
 * wasm_module__save_code, wasm_load_opts.code), so that an embedder can
 * keep it on disk and skip compiling in later processes; and the id of
 * the build such bytes are valid for.
 *
 * Compiled code is position independent (jit.h: helpers through a table,
 * calls rel32) but for call_indirect's type ids, which are numbers of
 * the process: the bytes list where they are, by type index, and loading
 * writes this process's ids there. Loading checks the structure (sizes,
 * every offset inside the code, positions inside their function, the
 * function count and each function's translated length against the
 * module, the build id): nothing read can make it access memory out of
 * bounds. The machine code itself cannot be checked: bytes given to
 * wasm_load_opts.code run as the process's own code, so they must come
 * from a store no one else can write (the runtime's cache: README).
 */
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"

#define SAVE_MAGIC 0x314a4257u /* "WBJ1"; a new layout takes a new one */
#define ID_LEN	   96

/* Header words after the magic and the id. */
enum { H_NFUNCS, H_CODE_LEN, H_LANDING, H_NSITES, H_NSIGS, H_WORDS };

/* ---- the build ---------------------------------------------------------- */

struct note_hdr {
	uint32_t namesz, descsz, type;
};

/* The GNU build id of the executable (the first object: the engine is a
 * static library), in hex. */
static int build_id_of(struct dl_phdr_info *info, size_t size, void *out)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		const uint8_t *n =
		    (const uint8_t *)(info->dlpi_addr + p->p_vaddr);
		for (size_t at = 0;
		     p->p_type == PT_NOTE &&
		     at + sizeof(struct note_hdr) <= p->p_filesz;) {
			struct note_hdr h;
			memcpy(&h, n + at, sizeof(h));
			at += sizeof(h);
			if (h.type == NT_GNU_BUILD_ID && h.namesz == 4 &&
			    h.descsz <= 32 && !memcmp(n + at, "GNU", 4)) {
				for (uint32_t k = 0; k < h.descsz; k++)
					sprintf((char *)out + 2 * k, "%02x",
						n[at + 4 + k]);
				return 1;
			}
			at += ((h.namesz + 3) & ~3u) + ((h.descsz + 3) & ~3u);
		}
	}
	return 1;
}

/* [1]: code counting fuel (wasm_load_opts.fuel), never mixed up. */
static char build_id[2][ID_LEN];
static void find_build(void)
{
	char hex[72] = "";
	dl_iterate_phdr(build_id_of, hex);
	for (int f = 0; f < 2 && hex[0]; f++)
		snprintf(build_id[f], ID_LEN, "%s-%08x-%s-v1%s", hex,
			 wm_jit_arch_features(),
#ifdef WASM_GUARD_PAGES
			 "guard"
#else
			 "bounds"
#endif
			 ,
			 f ? "-fuel" : "");
}

/* This build's id for code counting fuel or not, NUL-padded to ID_LEN,
 * or NULL without a build id. */
static const char *code_id(bool fuel)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, find_build);
	return build_id[0][0] ? build_id[fuel] : NULL;
}

int wasm_engine__code_id(const struct wasm_load_opts *opts, char *buf,
			 size_t len)
{
	const char *id = wm_jit_upfront(wm_load_tier(opts))
			     ? code_id(wm_load_fuel(opts))
			     : NULL;
	if (!id)
		return -ENOTSUP;
	return snprintf(buf, len, "%s", id) < (int)len ? 0 : -ENOSPC;
}

/* ---- saving ------------------------------------------------------------- */

/* What is saved: the code (placed or just emitted), its landing, sites
 * and type ids, and each function's entries (UINT32_MAX: interpreted). */
struct saved {
	const uint8_t *code;
	size_t code_len, landing;
	const struct wm_jit_site *sites, *sigs;
	uint32_t nsites, nsigs;
	uint32_t (*entries)[2];
};

static int put_saved(const struct wm_module *wm, const struct saved *v,
		     void **out, size_t *len)
{
	const char *id = code_id(wm->count_fuel);
	uint32_t nf = wm->nfuncs - wm->nimported_funcs;
	uint32_t hdr[H_WORDS] = {nf, (uint32_t)v->code_len,
				 (uint32_t)v->landing, v->nsites, v->nsigs};
	size_t n = 4 + ID_LEN + sizeof(hdr) + 12 * (size_t)nf +
		   12 * (size_t)v->nsites + 8 * (size_t)v->nsigs + v->code_len;
	uint8_t *p = id ? malloc(n) : NULL, *w = p;
	if (!p)
		return id ? -ENOMEM : -ENOENT;
	uint32_t magic = SAVE_MAGIC;
	memcpy(w, &magic, 4), w += 4;
	memcpy(w, id, ID_LEN), w += ID_LEN;
	memcpy(w, hdr, sizeof(hdr)), w += sizeof(hdr);
	for (uint32_t i = 0; i < nf; i++) {
		uint32_t e[3] = {wm->funcs[i].code->nwords, v->entries[i][0],
				 v->entries[i][1]};
		memcpy(w, e, 12), w += 12;
	}
	if (v->nsites)
		memcpy(w, v->sites, 12 * (size_t)v->nsites);
	w += 12 * (size_t)v->nsites;
	for (uint32_t i = 0; i < v->nsigs; i++) {
		uint32_t e[2] = {v->sigs[i].off, v->sigs[i].pos};
		memcpy(w, e, 8), w += 8;
	}
	memcpy(w, v->code, v->code_len);
	*out = p;
	*len = n;
	return 0;
}

/* Code compiled up front, as placed. */
static int save_placed(const struct wm_module *wm, const struct wm_jit_code *c,
		       struct saved *v, void **out, size_t *len)
{
	const struct wm_jit_chunk *k = &c->chunks[0];
	*v = (struct saved){c->mem + k->start, c->code_len, k->landing,
			    k->sites, c->sigs, k->nsites, c->nsigs, v->entries};
	for (uint32_t i = 0; i < wm->nfuncs - wm->nimported_funcs; i++) {
		const struct wm_code *f = wm->funcs[i].code;
		v->entries[i][0] = v->entries[i][1] = UINT32_MAX;
		if (f->jit) {
			v->entries[i][0] =
			    (uint32_t)((const uint8_t *)f->jit - v->code);
			v->entries[i][1] =
			    (uint32_t)((const uint8_t *)f->jit_inner - v->code);
		}
	}
	return put_saved(wm, v, out, len);
}

/* Code compiled lazily or as it got hot: the whole module compiled now,
 * as up front (its code is not placed, the module runs on as it was). */
static int save_fresh(const struct wm_module *wm, struct saved *v,
		      void **out, size_t *len)
{
	struct wm_jit_unit u;
	int rc = -ENOENT;
	wm_jit_init();
	if (wm_jit_emit_module(wm, &u, false)) {
		*v = (struct saved){u.buf.p, u.buf.len, u.landing, u.sites,
				    u.sigs, u.nsites, u.nsigs, v->entries};
		for (uint32_t i = 0; i < u.nfuncs; i++) {
			const struct wm_jit_func *f = &u.funcs[i];
			v->entries[i][0] = f->compile ? f->start : UINT32_MAX;
			v->entries[i][1] = f->compile ? f->inner : UINT32_MAX;
		}
		rc = put_saved(wm, v, out, len);
	}
	wm_jit_unit_free(&u);
	return rc;
}

int wasm_module__save_code(const struct wasm_module *m, void **out, size_t *len)
{
	const struct wm_jit_code *c = m->jit;
	const struct wm_module *wm = &m->wm;
	*out = NULL;
	*len = 0;
	if (!c || !code_id(false))
		return -ENOENT;
	struct saved v = {.entries = malloc(
			      8 * (size_t)(wm->nfuncs - wm->nimported_funcs) + 8)};
	int rc = !v.entries ? -ENOMEM
		 : c->lazy  ? save_fresh(wm, &v, out, len)
			    : save_placed(wm, c, &v, out, len);
	free(v.entries);
	return rc;
}

/* ---- loading ------------------------------------------------------------ */

/* Reads n 32-bit words at *at, if there are that many bytes left. */
static const uint8_t *take(const uint8_t **at, const uint8_t *end, size_t n)
{
	const uint8_t *p = *at;
	if ((size_t)(end - p) / 4 < n)
		return NULL;
	*at = p + 4 * n;
	return p;
}

static uint32_t word(const uint8_t *p, size_t i)
{
	uint32_t v;
	memcpy(&v, p + 4 * i, 4);
	return v;
}

/* Fills u's functions; false when one does not fit the module or code. */
static bool load_funcs(struct wm_jit_unit *u, const uint8_t *e,
		       uint32_t code_len)
{
	for (uint32_t i = 0; i < u->nfuncs; i++, e += 12) {
		struct wm_jit_func *f = &u->funcs[i];
		f->code = u->m->funcs[i].code;
		f->start = word(e, 1);
		f->inner = word(e, 2);
		f->compile = f->start != UINT32_MAX;
		if (word(e, 0) != f->code->nwords ||
		    (f->compile &&
		     (f->start >= code_len || f->inner >= code_len)))
			return false;
	}
	return true;
}

/* Fills u's sites (sorted, in the code, each at a position of a defined
 * function) and sigs (a 32-bit field in the code, a type of the module,
 * this process's id written there). */
static bool load_sites(struct wm_jit_unit *u, const uint8_t *s,
		       const uint8_t *g, uint32_t code_len)
{
	const struct wm_module *m = u->m;
	for (uint32_t i = 0; i < u->nsites; i++, s += 12) {
		struct wm_jit_site *x = &u->sites[i];
		memcpy(x, s, 12);
		if (x->off >= code_len || (i && x->off <= x[-1].off) ||
		    x->funcidx < m->nimported_funcs ||
		    x->funcidx >= m->nfuncs ||
		    x->pos >=
			m->funcs[x->funcidx - m->nimported_funcs].code->nwords)
			return false;
	}
	for (uint32_t i = 0; i < u->nsigs; i++, g += 8) {
		struct wm_jit_site *x = &u->sigs[i];
		*x = (struct wm_jit_site){word(g, 0), word(g, 1), 0};
		if (x->off > code_len - 4 || x->pos >= m->ntypes)
			return false;
		memcpy(u->buf.p + x->off, &m->types[x->pos].sig_id, 4);
	}
	return true;
}

struct wm_jit_code *wm_jit_load(struct wm_module *m, const void *bytes,
				size_t len)
{
	const uint8_t *at = bytes, *end = at + len, *hdr;
	const char *id = code_id(m->count_fuel);
	struct wm_jit_unit u = {.m = m};
	struct wm_jit_code *c = NULL;
	const uint8_t *funcs, *sites, *sigs;

	if (!id || len < 4 + ID_LEN || word(at, 0) != SAVE_MAGIC ||
	    memcmp(at + 4, id, ID_LEN))
		return NULL;
	at += 4 + ID_LEN;
	if (!(hdr = take(&at, end, H_WORDS)))
		return NULL;
	u.nfuncs = word(hdr, H_NFUNCS);
	u.nsites = word(hdr, H_NSITES);
	u.nsigs = word(hdr, H_NSIGS);
	u.landing = word(hdr, H_LANDING);
	uint32_t code_len = word(hdr, H_CODE_LEN);
	if (u.nfuncs != m->nfuncs - m->nimported_funcs ||
	    !(funcs = take(&at, end, 3 * (size_t)u.nfuncs)) ||
	    !(sites = take(&at, end, 3 * (size_t)u.nsites)) ||
	    !(sigs = take(&at, end, 2 * (size_t)u.nsigs)) ||
	    (size_t)(end - at) != code_len || code_len < 4 ||
	    u.landing >= code_len)
		return NULL;
	u.funcs = calloc(u.nfuncs + 1, sizeof(*u.funcs));
	u.sites = malloc(12 * (size_t)u.nsites + 1);
	u.sigs = malloc(12 * (size_t)u.nsigs + 1);
	/* copied once: into the pages that become the code (patched there) */
	if (u.funcs && u.sites && u.sigs && wm_jit_buf_map(&u.buf, code_len)) {
		memcpy(u.buf.p, at, code_len);
		u.buf.len = code_len;
		wm_jit_init();
		if (load_funcs(&u, funcs, code_len) &&
		    load_sites(&u, sites, sigs, code_len))
			c = wm_jit_place(&u);
	}
	if (c)
		c->loaded = true;
	wm_jit_unit_free(&u);
	return c;
}
