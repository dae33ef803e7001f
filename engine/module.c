/* module.c — wasm_module__*: load (decode, validate, translate) and the
 * read-only questions an embedder asks of a module. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "runtime.h"

/* The tier asked for by opts, else by the environment, else compiled. */
int wm_load_tier(const struct wasm_load_opts *opts)
{
	if (opts && opts->sz >= offsetof(struct wasm_load_opts, tier) +
				       sizeof(opts->tier) &&
	    opts->tier != WASM_TIER_DEFAULT)
		return opts->tier;
	const char *env = getenv("WASM_BPF_JIT");
	return env && strcmp(env, "0") == 0 ? WASM_TIER_INTERP : WASM_TIER_JIT;
}

bool wm_load_fuel(const struct wasm_load_opts *opts)
{
	return opts &&
	       opts->sz >= offsetof(struct wasm_load_opts, fuel) + 1 &&
	       opts->fuel;
}

struct wasm_module *wasm_module__load(const void *bytes, size_t len,
				      const struct wasm_load_opts *opts,
				      struct wasm_error *err)
{
	struct wasm_error dummy;
	if (!err)
		err = &dummy;
	err->msg[0] = 0;
	if (!bytes && len) {
		snprintf(err->msg, sizeof(err->msg), "no module bytes");
		errno = EINVAL;
		return NULL;
	}
	struct wasm_module *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	m->refs = 1;
	int rc = wm_decode(&m->wm, bytes, len, err);
	if (!rc)
		rc = wm_validate(&m->wm, err);
	if (!rc)
		rc = wm_translate(&m->wm, err);
	if (rc) {
		wasm_module__free(m);
		errno = rc < 0 ? -rc : EINVAL;
		return NULL;
	}
	/* Saved code if it checks out, else compiled now; functions left
	 * uncompiled (or all, short of memory) interpret. */
	int tier = wm_load_tier(opts);
	m->wm.count_fuel = wm_load_fuel(opts);
	if (opts && opts->sz >= offsetof(struct wasm_load_opts, code_len) +
				       sizeof(opts->code_len) &&
	    opts->code && wm_jit_upfront(tier))
		m->jit = wm_jit_load(&m->wm, opts->code, opts->code_len);
	if (!m->jit)
		m->jit = wm_jit_compile(&m->wm, tier);
	return m;
}

bool wasm_module__code_loaded(const struct wasm_module *m)
{
	return m->jit && m->jit->loaded;
	return m;
}

void wm_module_ref(const struct wasm_module *m)
{
	__atomic_add_fetch(&((struct wasm_module *)m)->refs, 1, __ATOMIC_RELAXED);
}

void wm_module_unref(const struct wasm_module *cm)
{
	struct wasm_module *m = (struct wasm_module *)cm;
	if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	/* wm_module_free also frees each function's translated code */
	wm_module_free(&m->wm);
	wm_jit_free(m->jit);
	free(m);
}

void wasm_module__free(struct wasm_module *m)
{
	if (m)
		wm_module_unref(m);
}

size_t wasm_module__import_count(const struct wasm_module *m)
{
	return m->wm.nimports;
}

int wasm_module__import(const struct wasm_module *m, size_t i,
			struct wasm_import_desc *out)
{
	if (i >= m->wm.nimports)
		return -ENOENT;
	const struct wm_import *im = &m->wm.imports[i];
	out->module = im->module;
	out->name = im->name;
	out->kind = im->kind;
	out->module_len = im->module_len;
	out->name_len = im->name_len;
	return 0;
}

size_t wasm_module__export_count(const struct wasm_module *m)
{
	return m->wm.nexports;
}

int wasm_module__export(const struct wasm_module *m, size_t i,
			struct wasm_export_desc *out)
{
	if (i >= m->wm.nexports)
		return -ENOENT;
	const struct wm_export *ex = &m->wm.exports[i];
	out->name = ex->name;
	out->kind = ex->kind;
	out->index = ex->index;
	out->name_len = ex->name_len;
	return 0;
}

static char valtype_letter(uint8_t t)
{
	switch (t) {
	case WASM_I32: return 'i';
	case WASM_I64: return 'I';
	case WASM_F32: return 'f';
	case WASM_F64: return 'F';
	case WASM_FUNCREF: return 'r';
	case WASM_EXTERNREF: return 'e';
	default: return '?';
	}
}

int wm_functype_format(const struct wm_functype *ft, char *buf, size_t len)
{
	size_t need = ft->nparams + ft->nresults + 3;
	if (len < need)
		return -ENOSPC;
	size_t k = 0;
	for (uint32_t i = 0; i < ft->nparams; i++)
		buf[k++] = valtype_letter(ft->params[i]);
	buf[k++] = '-';
	buf[k++] = '>';
	for (uint32_t i = 0; i < ft->nresults; i++)
		buf[k++] = valtype_letter(ft->results[i]);
	buf[k] = 0;
	return 0;
}

int wasm_module__func_signature(const struct wasm_module *m, uint32_t funcidx,
				char *buf, size_t len)
{
	if (funcidx >= m->wm.nfuncs)
		return -ENOENT;
	return wm_functype_format(&m->wm.types[m->wm.func_typeidx[funcidx]],
				  buf, len);
}

int wasm_module__import_signature(const struct wasm_module *m, size_t i,
				  char *buf, size_t len)
{
	if (i >= m->wm.nimports || m->wm.imports[i].kind != WASM_EXTERN_FUNC)
		return -ENOENT;
	return wm_functype_format(&m->wm.types[m->wm.imports[i].u.typeidx],
				  buf, len);
}

const uint8_t *wasm_module__custom_section(const struct wasm_module *m,
					   const char *name, size_t *len)
{
	for (uint32_t i = 0; i < m->wm.ncustoms; i++) {
		if (strcmp(m->wm.customs[i].name, name) == 0) {
			if (len)
				*len = m->wm.customs[i].len;
			return m->wm.customs[i].data;
		}
	}
	return NULL;
}

/* Optimisers split a data segment wherever it has a run of zeros, so
 * anything embedded in the data (a BPF object has many zeros) is whole
 * only in this image. */
static bool laid_out(const struct wm_data *d, uint64_t limit)
{
	/* A segment past the initial size would trap at instantiation. */
	return d->mode == WM_SEG_ACTIVE && d->memory == 0 &&
	       d->offset.op == WM_CONST_I32 &&
	       (uint32_t)d->offset.bits + (uint64_t)d->len <= limit;
}

int wasm_module__initial_memory(const struct wasm_module *m, size_t max,
				uint8_t **img, size_t *len)
{
	const struct wm_data *d;
	uint64_t limit, end = 0;

	*img = NULL;
	*len = 0;
	if (!m->wm.nmems)
		return 0;
	limit = (uint64_t)m->wm.mems[0].min * WM_PAGE_SIZE;
	for (uint32_t i = 0; i < m->wm.ndatas; i++) {
		d = &m->wm.datas[i];
		if (laid_out(d, limit) &&
		    (uint32_t)d->offset.bits + (uint64_t)d->len > end)
			end = (uint32_t)d->offset.bits + (uint64_t)d->len;
	}
	if (!end)
		return 0;
	if (end > max)
		return -E2BIG;
	if (!(*img = calloc(1, end)))
		return -ENOMEM;
	for (uint32_t i = 0; i < m->wm.ndatas; i++) {
		d = &m->wm.datas[i];
		if (laid_out(d, limit))
			memcpy(*img + (uint32_t)d->offset.bits, d->bytes,
			       d->len);
	}
	*len = end;
	return 0;
}

const char *wasm_status_str(int status)
{
	switch (status) {
	case WASM_OK: return "ok";
	case WASM_TRAPPED: return "trapped";
	case WASM_EXITED: return "exited";
	case WASM_INTERRUPTED: return "interrupted";
	default: return "unknown status";
	}
}

const char *wasm_trap_kind_str(enum wasm_trap_kind kind)
{
	switch (kind) {
	case WASM_TRAP_NONE: return "no trap";
	case WASM_TRAP_UNREACHABLE: return "unreachable";
	case WASM_TRAP_DIV_ZERO: return "integer divide by zero";
	case WASM_TRAP_INT_OVERFLOW: return "integer overflow";
	case WASM_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
	case WASM_TRAP_MEMORY_OOB: return "out of bounds memory access";
	case WASM_TRAP_TABLE_OOB: return "out of bounds table access";
	case WASM_TRAP_UNDEFINED_ELEMENT: return "undefined element";
	case WASM_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
	case WASM_TRAP_INDIRECT_TYPE_MISMATCH: return "indirect call type mismatch";
	case WASM_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
	case WASM_TRAP_OUT_OF_FUEL: return "out of fuel";
	case WASM_TRAP_INTERRUPTED: return "interrupted";
	case WASM_TRAP_HOST: return "host error";
	case WASM_TRAP_EXIT: return "exit";
	}
	return "unknown trap";
}
