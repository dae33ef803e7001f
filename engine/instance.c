/* instance.c — the linker (what imports resolve to), instantiation with
 * Wasm 2.0 segment semantics, calls from the host, traps and the checked
 * memory helpers host functions use.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"
#include "runtime.h"

/* Linking, instantiating and freeing run once per instance, not per
 * call: cold, so built for size (README, size). */
#define COLD __attribute__((cold))

#define DEFAULT_STACK_SLOTS (1u << 20) /* 8 MiB of value stack */
#define DEFAULT_MAX_FRAMES 100000u
#define MAX_HOST_DEPTH 64u

/* The instance whose stack the current thread is running on, so that a
 * host function calling back into any instance nests on the same stack. */
static __thread struct wasm_instance *running_ctx;

/* ---- linker ------------------------------------------------------------- */

struct linker_def {
	char *module;
	char *name;
	size_t module_len, name_len; /* names may contain NUL */
	uint8_t kind;
	void *obj; /* wasm_func, wasm_table, wasm_memory or wasm_global */
	bool owned;
};

struct wasm_linker {
	struct linker_def *defs;
	size_t ndefs, cap;
	struct wasm_instance **zombies; /* failed instantiations, see below */
	size_t nzombies;
};

struct wasm_linker *wasm_linker__new(void)
{
	return calloc(1, sizeof(struct wasm_linker));
}

static void free_host_func(struct wasm_func *f)
{
	free(f->host_type.params);
	free(f->host_name);
	free(f);
}

COLD void wasm_linker__free(struct wasm_linker *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->ndefs; i++) {
		struct linker_def *d = &l->defs[i];
		if (d->owned) {
			switch (d->kind) {
			case WASM_EXTERN_FUNC:
				free_host_func(d->obj);
				break;
			case WASM_EXTERN_MEMORY:
				wm_memory_free(d->obj);
				free(d->obj);
				break;
			case WASM_EXTERN_TABLE:
				free(((struct wasm_table *)d->obj)->elems);
				free(d->obj);
				break;
			default:
				free(d->obj);
			}
		}
		free(d->module);
		free(d->name);
	}
	for (size_t i = 0; i < l->nzombies; i++)
		wasm_instance__free(l->zombies[i]);
	free(l->zombies);
	free(l->defs);
	free(l);
}

static struct linker_def *find_def(struct wasm_linker *l, const char *module,
				   size_t module_len, const char *name,
				   size_t name_len)
{
	/* Later definitions shadow earlier ones (re-registration). */
	for (size_t i = l->ndefs; i-- > 0;) {
		struct linker_def *d = &l->defs[i];
		if (d->module_len == module_len && d->name_len == name_len &&
		    !memcmp(d->module, module, module_len) &&
		    !memcmp(d->name, name, name_len))
			return d;
	}
	return NULL;
}

bool wasm_linker__provides(struct wasm_linker *l, const struct wasm_module *m,
			   size_t i)
{
	struct wasm_import_desc im;
	struct linker_def *d;

	if (wasm_module__import(m, i, &im))
		return false;
	d = find_def(l, im.module, im.module_len, im.name, im.name_len);
	return d && d->kind == im.kind;
}

static char *memdup_str(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (p) {
		memcpy(p, s, len);
		p[len] = 0;
	}
	return p;
}

COLD static int add_def_n(struct wasm_linker *l, const char *module,
			  size_t module_len, const char *name, size_t name_len,
			  uint8_t kind, void *obj, bool owned)
{
	if (l->ndefs == l->cap) {
		size_t n = l->cap ? l->cap * 2 : 32;
		struct linker_def *d = realloc(l->defs, n * sizeof(*d));
		if (!d)
			return -ENOMEM;
		l->defs = d;
		l->cap = n;
	}
	char *m = memdup_str(module, module_len);
	char *nm = memdup_str(name, name_len);
	if (!m || !nm) {
		free(m);
		free(nm);
		return -ENOMEM;
	}
	l->defs[l->ndefs++] = (struct linker_def){
		.module = m, .name = nm, .module_len = module_len,
		.name_len = name_len, .kind = kind, .obj = obj, .owned = owned};
	return 0;
}

static int add_def(struct wasm_linker *l, const char *module, const char *name,
		   uint8_t kind, void *obj, bool owned)
{
	return add_def_n(l, module, strlen(module), name, strlen(name), kind,
			 obj, owned);
}

static int letter_type(char c)
{
	switch (c) {
	case 'i': return WASM_I32;
	case 'I': return WASM_I64;
	case 'f': return WASM_F32;
	case 'F': return WASM_F64;
	case 'r': return WASM_FUNCREF;
	case 'e': return WASM_EXTERNREF;
	default: return -1;
	}
}

static int parse_sig(const char *sig, struct wm_functype *ft)
{
	const char *arrow = strstr(sig, "->");
	if (!arrow)
		return -EINVAL;
	size_t np = (size_t)(arrow - sig), nr = strlen(arrow + 2);
	uint8_t *types = malloc(np + nr + 1);
	if (!types)
		return -ENOMEM;
	for (size_t i = 0; i < np + nr; i++) {
		int t = letter_type(i < np ? sig[i] : arrow[2 + i - np]);
		if (t < 0) {
			free(types);
			return -EINVAL;
		}
		types[i] = (uint8_t)t;
	}
	ft->nparams = (uint32_t)np;
	ft->nresults = (uint32_t)nr;
	ft->params = types;
	ft->results = types + np;
	ft->sig_id = wm_sig_intern(ft);
	return 0;
}

COLD int wasm_linker__define_func(struct wasm_linker *l, const char *module,
				  const char *name, const char *sig,
				  wasm_host_func_t fn, void *user)
{
	if (!l || !module || !name || !sig || !fn)
		return -EINVAL;
	struct wasm_func *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	int rc = parse_sig(sig, &f->host_type);
	if (rc) {
		free(f);
		return rc;
	}
	f->type = &f->host_type;
	f->sig_id = f->host_type.sig_id;
	f->host = fn;
	f->user = user;
	size_t n = strlen(module) + strlen(name) + 2;
	f->host_name = malloc(n);
	if (f->host_name)
		snprintf(f->host_name, n, "%s.%s", module, name);
	rc = add_def(l, module, name, WASM_EXTERN_FUNC, f, true);
	if (rc)
		free_host_func(f);
	return rc;
}

static void val_to_slot(const struct wasm_val *v, union wm_slot *s)
{
	switch (v->type) {
	case WASM_I32: s->u64 = (uint32_t)v->of.i32; break;
	case WASM_I64: s->i64 = v->of.i64; break;
	case WASM_F32: s->u64 = 0; s->f32 = v->of.f32; break;
	case WASM_F64: s->f64 = v->of.f64; break;
	default: s->ref = v->of.ref; break;
	}
}

static void slot_to_val(uint8_t type, const union wm_slot *s,
			struct wasm_val *v)
{
	v->type = type;
	switch (type) {
	case WASM_I32: v->of.i32 = s->i32; break;
	case WASM_I64: v->of.i64 = s->i64; break;
	case WASM_F32: v->of.f32 = s->f32; break;
	case WASM_F64: v->of.f64 = s->f64; break;
	default: v->of.ref = s->ref; break;
	}
}

COLD int wasm_linker__define_global(struct wasm_linker *l, const char *module,
				    const char *name, struct wasm_val value,
				    bool mutable_)
{
	struct wasm_global *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->type = value.type;
	g->mut = mutable_;
	val_to_slot(&value, &g->val);
	int rc = add_def(l, module, name, WASM_EXTERN_GLOBAL, g, true);
	if (rc)
		free(g);
	return rc;
}

COLD int wasm_linker__define_memory(struct wasm_linker *l, const char *module,
				    const char *name, uint32_t min_pages,
				    uint32_t max_pages)
{
	struct wasm_memory *m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	bool has_max = max_pages != UINT32_MAX;
	int rc = wm_memory_init(m, min_pages, has_max ? max_pages : WM_MAX_PAGES,
				has_max, NULL);
	if (rc) {
		free(m);
		return rc;
	}
	m->declared_max = has_max ? max_pages : 0;
	rc = add_def(l, module, name, WASM_EXTERN_MEMORY, m, true);
	if (rc) {
		wm_memory_free(m);
		free(m);
	}
	return rc;
}

COLD int wasm_linker__define_table(struct wasm_linker *l, const char *module,
				   const char *name, enum wasm_valtype elem,
				   uint32_t min, uint32_t max)
{
	struct wasm_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->type = elem;
	t->has_max = max != UINT32_MAX;
	t->declared_max = t->has_max ? max : 0;
	t->max = max;
	if (min && wm_table_grow(t, min, NULL) < 0) {
		free(t);
		return -ENOMEM;
	}
	int rc = add_def(l, module, name, WASM_EXTERN_TABLE, t, true);
	if (rc) {
		free(t->elems);
		free(t);
	}
	return rc;
}

static void *export_object(struct wasm_instance *inst,
			   const struct wm_export *ex)
{
	switch (ex->kind) {
	case WASM_EXTERN_FUNC: return inst->funcs[ex->index];
	case WASM_EXTERN_TABLE: return inst->tables[ex->index];
	case WASM_EXTERN_MEMORY: return inst->mem;
	case WASM_EXTERN_GLOBAL: return inst->globals[ex->index];
	}
	return NULL;
}

COLD int wasm_linker__define_instance(struct wasm_linker *l, const char *module,
				      struct wasm_instance *inst)
{
	const struct wm_module *m = &inst->module->wm;
	for (uint32_t i = 0; i < m->nexports; i++) {
		const struct wm_export *ex = &m->exports[i];
		int rc = add_def_n(l, module, strlen(module), ex->name,
				   ex->name_len, ex->kind,
				   export_object(inst, ex), false);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- instantiation ------------------------------------------------------ */

static int fail(struct wasm_error *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct wasm_error *err, int rc, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool limits_match(uint32_t cur_min, bool has_max, uint32_t max,
			 const struct wm_limits *want)
{
	if (cur_min < want->min)
		return false;
	if (want->has_max && (!has_max || max > want->max))
		return false;
	return true;
}

static int resolve_import(struct wasm_instance *inst, struct wasm_linker *l,
			  const struct wm_import *im, struct wasm_error *err)
{
	const struct wm_module *m = &inst->module->wm;
	struct linker_def *d = l ? find_def(l, im->module, im->module_len,
					    im->name, im->name_len)
				 : NULL;
	static const char *const kinds[] = {"func", "table", "memory",
					    "global"};
	if (!d)
		return fail(err, -ENOENT, "unknown import %s.%s (%s)",
			    im->module, im->name, kinds[im->kind]);
	if (d->kind != im->kind)
		return fail(err, -EINVAL,
			    "incompatible import type for %s.%s: a %s, not a %s",
			    im->module, im->name, kinds[d->kind],
			    kinds[im->kind]);
	switch (im->kind) {
	case WASM_EXTERN_FUNC: {
		struct wasm_func *f = d->obj;
		if (f->sig_id != m->types[im->u.typeidx].sig_id)
			return fail(err, -EINVAL,
				    "incompatible import type for %s.%s: "
				    "function signature differs",
				    im->module, im->name);
		inst->funcs[im->index] = f;
		break;
	}
	case WASM_EXTERN_TABLE: {
		struct wasm_table *t = d->obj;
		if (t->type != im->u.table.elem ||
		    !limits_match(t->size, t->has_max, t->declared_max,
				  &im->u.table.lim))
			return fail(err, -EINVAL,
				    "incompatible import type for %s.%s: "
				    "table type or limits differ",
				    im->module, im->name);
		inst->tables[im->index] = t;
		break;
	}
	case WASM_EXTERN_MEMORY: {
		struct wasm_memory *mem = d->obj;
		if (!limits_match(mem->pages, mem->has_max, mem->declared_max,
				  &im->u.mem))
			return fail(err, -EINVAL,
				    "incompatible import type for %s.%s: "
				    "memory limits differ",
				    im->module, im->name);
		inst->mem = mem;
		break;
	}
	case WASM_EXTERN_GLOBAL: {
		struct wasm_global *g = d->obj;
		if (g->type != im->u.global.type || g->mut != im->u.global.mut)
			return fail(err, -EINVAL,
				    "incompatible import type for %s.%s: "
				    "global type differs",
				    im->module, im->name);
		inst->globals[im->index] = g;
		break;
	}
	}
	return 0;
}

static union wm_slot eval_const(struct wasm_instance *inst,
				const struct wm_const *c)
{
	union wm_slot s = {.u64 = 0};
	switch (c->op) {
	case WM_CONST_GLOBAL_GET: s = inst->globals[c->index]->val; break;
	case WM_CONST_REF_FUNC: s.ref = inst->funcs[c->index]; break;
	case WM_CONST_REF_NULL: s.ref = NULL; break;
	default: s.u64 = c->bits; break;
	}
	return s;
}

static int alloc_spaces(struct wasm_instance *inst, struct wasm_error *err)
{
	const struct wm_module *m = &inst->module->wm;
	uint32_t nown = m->nfuncs - m->nimported_funcs;
	inst->funcs = calloc(m->nfuncs + 1, sizeof(void *));
	inst->own_funcs = calloc(nown + 1, sizeof(struct wasm_func));
	inst->tables = calloc(m->ntables + 1, sizeof(void *));
	inst->own_tables = calloc(m->ntables + 1, sizeof(struct wasm_table));
	inst->globals = calloc(m->nglobals + 1, sizeof(void *));
	inst->own_globals = calloc(m->nglobals + 1, sizeof(struct wasm_global));
	inst->elem_refs = calloc(m->nelems + 1, sizeof(void **));
	inst->elem_len = calloc(m->nelems + 1, sizeof(uint32_t));
	inst->data_dropped = calloc(m->ndatas + 1, sizeof(bool));
	if (!inst->funcs || !inst->own_funcs || !inst->tables ||
	    !inst->own_tables || !inst->globals || !inst->own_globals ||
	    !inst->elem_refs || !inst->elem_len || !inst->data_dropped)
		return fail(err, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < nown; i++) {
		struct wasm_func *f = &inst->own_funcs[i];
		const struct wm_func *mf = &m->funcs[i];
		f->type = &m->types[mf->typeidx];
		f->sig_id = f->type->sig_id;
		f->inst = inst;
		f->code = mf->code;
		f->index = m->nimported_funcs + i;
		inst->funcs[f->index] = f;
	}
	return 0;
}

static int create_tables_memory(struct wasm_instance *inst,
				struct wasm_error *err)
{
	const struct wm_module *m = &inst->module->wm;
	for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
		struct wasm_table *t = &inst->own_tables[i];
		const struct wm_tabletype *tt = &m->tables[i];
		t->type = tt->elem;
		t->has_max = tt->lim.has_max;
		t->declared_max = tt->lim.max;
		t->max = tt->lim.has_max ? tt->lim.max : UINT32_MAX;
		if (inst->max_table_elems && t->max > inst->max_table_elems)
			t->max = inst->max_table_elems;
		if (tt->lim.min > t->max)
			return fail(err, -ENOMEM,
				    "table %u needs %u elements, over the limit of %u",
				    i, tt->lim.min, t->max);
		if (wm_table_grow(t, tt->lim.min, NULL) < 0)
			return fail(err, -ENOMEM, "out of memory for table %u", i);
		inst->tables[i] = t;
	}
	if (m->nmems > m->nimported_mems) {
		const struct wm_limits *lim = &m->mems[0];
		uint32_t max = lim->has_max ? lim->max : WM_MAX_PAGES;
		if (inst->max_memory_pages && max > inst->max_memory_pages)
			max = inst->max_memory_pages;
		int rc = wm_memory_init(&inst->own_mem, lim->min, max,
					lim->has_max, err);
		if (rc)
			return rc;
		inst->own_mem.declared_max = lim->max;
		inst->mem = &inst->own_mem;
	}
	return 0;
}

static void init_globals(struct wasm_instance *inst)
{
	const struct wm_module *m = &inst->module->wm;
	for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
		const struct wm_global *mg = &m->globals[i - m->nimported_globals];
		struct wasm_global *g = &inst->own_globals[i];
		g->type = mg->type.type;
		g->mut = mg->type.mut;
		g->val = eval_const(inst, &mg->init);
		inst->globals[i] = g;
	}
}

static int resolve_elems(struct wasm_instance *inst, struct wasm_error *err)
{
	const struct wm_module *m = &inst->module->wm;
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct wm_elem *e = &m->elems[i];
		inst->elem_refs[i] = calloc(e->count + 1, sizeof(void *));
		if (!inst->elem_refs[i])
			return fail(err, -ENOMEM, "out of memory");
		for (uint32_t k = 0; k < e->count; k++)
			inst->elem_refs[i][k] = eval_const(inst, &e->items[k]).ref;
		inst->elem_len[i] = e->mode == WM_SEG_PASSIVE ? e->count : 0;
	}
	return 0;
}

/* Active segments in order; a failing one traps and stops the rest, but
 * what earlier ones wrote stays (Wasm 2.0). */
static int apply_segments(struct wasm_instance *inst, struct wasm_error *err)
{
	const struct wm_module *m = &inst->module->wm;
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct wm_elem *e = &m->elems[i];
		if (e->mode != WM_SEG_ACTIVE)
			continue;
		struct wasm_table *t = inst->tables[e->table];
		uint64_t off = eval_const(inst, &e->offset).u32;
		if (off + e->count > t->size)
			return fail(err, -ERANGE,
				    "out of bounds table access: element segment %u",
				    i);
		if (e->count)
			memcpy(&t->elems[off], inst->elem_refs[i],
			       e->count * sizeof(void *));
	}
	for (uint32_t i = 0; i < m->ndatas; i++) {
		const struct wm_data *d = &m->datas[i];
		if (d->mode != WM_SEG_ACTIVE)
			continue;
		uint64_t off = eval_const(inst, &d->offset).u32;
		if (!inst->mem || off + d->len > inst->mem->size)
			return fail(err, -ERANGE,
				    "out of bounds memory access: data segment %u",
				    i);
		if (d->len)
			memcpy(inst->mem->base + off, d->bytes, d->len);
		inst->data_dropped[i] = true;
	}
	return 0;
}

COLD struct wasm_instance *
wasm_instance__new(const struct wasm_module *mod, struct wasm_linker *l,
		   const struct wasm_instance_opts *opts,
		   struct wasm_error *err)
{
	struct wasm_error dummy;
	if (!err)
		err = &dummy;
	err->msg[0] = 0;
	if (!mod) {
		fail(err, -EINVAL, "no module");
		return NULL;
	}
	struct wasm_instance *inst = calloc(1, sizeof(*inst));
	if (!inst) {
		fail(err, -ENOMEM, "out of memory");
		return NULL;
	}
	const struct wm_module *m = &mod->wm;
	inst->module = mod;
	wm_module_ref(mod);
	inst->fuel = INT64_MAX;
	inst->fuel_seen = UINT64_MAX;
	inst->max_frames = DEFAULT_MAX_FRAMES;
	inst->tier_edges = wm_jit_tier_edges(mod->jit);
	uint32_t stack_slots = DEFAULT_STACK_SLOTS;
	if (opts) {
		inst->userdata = opts->userdata;
		inst->max_memory_pages = opts->max_memory_pages;
		inst->max_table_elems = opts->max_table_elems;
		if (opts->stack_slots)
			stack_slots = opts->stack_slots;
		if (opts->max_call_depth)
			inst->max_frames = opts->max_call_depth;
		if (opts->fuel)
			wasm_instance__set_fuel(inst, opts->fuel);
	}
	inst->stack_slots = stack_slots;

	int rc = alloc_spaces(inst, err);
	for (uint32_t i = 0; !rc && i < m->nimports; i++)
		rc = resolve_import(inst, l, &m->imports[i], err);
	if (!rc)
		rc = create_tables_memory(inst, err);
	if (rc) {
		wasm_instance__free(inst);
		return NULL;
	}
	init_globals(inst);
	rc = resolve_elems(inst, err);
	if (!rc)
		rc = apply_segments(inst, err);
	if (!rc && m->has_start) {
		int st = wasm_func__call(inst, inst->funcs[m->start], NULL, 0,
					 NULL, 0);
		if (st != WASM_OK)
			rc = fail(err, -ECANCELED, "start function: %s",
				  inst->trap.message);
	}
	if (rc) {
		/* Segments may have put this instance's functions into
		 * imported tables: keep it alive as long as the linker. */
		struct wasm_instance **z = l ? realloc(l->zombies,
			(l->nzombies + 1) * sizeof(*z)) : NULL;
		if (z) {
			l->zombies = z;
			l->zombies[l->nzombies++] = inst;
		} else {
			wasm_instance__free(inst);
		}
		return NULL;
	}
	return inst;
}

COLD void wasm_instance__free(struct wasm_instance *inst)
{
	if (!inst)
		return;
	const struct wm_module *m = &inst->module->wm;
	if (inst->own_tables)
		for (uint32_t i = m->nimported_tables; i < m->ntables; i++)
			free(inst->own_tables[i].elems);
	if (inst->elem_refs)
		for (uint32_t i = 0; i < m->nelems; i++)
			free(inst->elem_refs[i]);
	wm_memory_free(&inst->own_mem);
	if (inst->frames)
		free(inst->stack);
	free(inst->frames);
	free(inst->funcs);
	free(inst->own_funcs);
	free(inst->tables);
	free(inst->own_tables);
	free(inst->globals);
	free(inst->own_globals);
	free(inst->elem_refs);
	free(inst->elem_len);
	free(inst->data_dropped);
	wm_module_unref(inst->module);
	free(inst);
}

const struct wasm_module *wasm_instance__module(const struct wasm_instance *inst)
{
	return inst->module;
}

void *wasm_instance__userdata(const struct wasm_instance *inst)
{
	return inst->userdata;
}

void wasm_instance__set_userdata(struct wasm_instance *inst, void *userdata)
{
	inst->userdata = userdata;
}

void wasm_instance__interrupt(struct wasm_instance *inst)
{
	inst->interrupt = 1;
}

void wasm_instance__clear_interrupt(struct wasm_instance *inst)
{
	inst->interrupt = 0;
}

void wasm_instance__set_interrupt_handler(struct wasm_instance *inst,
					  wasm_interrupt_handler_t fn,
					  void *user)
{
	inst->on_interrupt = fn;
	inst->on_interrupt_user = user;
}

bool wm_interrupt_handled(struct wasm_instance *ctx)
{
	if (!ctx->on_interrupt || ctx->ro_fault)
		return false;
	ctx->interrupt = 0;
	if (ctx->on_interrupt(ctx, ctx->on_interrupt_user))
		return true;
	ctx->interrupt = 1;
	return false;
}

/* A blocking host call's check is a safe point too: a pause waits here,
 * so nothing is read while paused. */
bool wasm_instance__interrupt_requested(const struct wasm_instance *inst)
{
	struct wasm_instance *ctx =
	    running_ctx ? running_ctx : (struct wasm_instance *)inst;

	if (ctx->interrupt)
		wm_interrupt_handled(ctx);
	return inst->interrupt || ctx->interrupt;
}

void wasm_instance__cancel(struct wasm_instance *inst)
{
	inst->cancel = 1;
}

bool wasm_instance__cancel_requested(const struct wasm_instance *inst)
{
	const struct wasm_instance *ctx = running_ctx ? running_ctx : inst;
	return inst->cancel || ctx->cancel;
}

void wasm_instance__usage(const struct wasm_instance *inst, uint64_t *fuel,
			  uint32_t *pages)
{
	if (fuel)
		*fuel = __atomic_load_n(&inst->fuel_seen, __ATOMIC_RELAXED);
	if (pages)
		*pages = __atomic_load_n(&inst->pages_seen, __ATOMIC_RELAXED);
}

void wasm_instance__set_fuel(struct wasm_instance *inst, uint64_t fuel)
{
	inst->fuel_enabled = fuel != 0;
	inst->fuel = fuel && fuel < INT64_MAX ? (int64_t)fuel : INT64_MAX;
	__atomic_store_n(&inst->fuel_seen, fuel ? fuel : UINT64_MAX,
			 __ATOMIC_RELAXED);
}

uint64_t wasm_instance__fuel(const struct wasm_instance *inst)
{
	return inst->fuel_enabled ? (uint64_t)(inst->fuel > 0 ? inst->fuel : 0)
				  : UINT64_MAX;
}

/* ---- traps -------------------------------------------------------------- */

const struct wasm_trap *wasm_instance__trap(const struct wasm_instance *inst)
{
	return &inst->trap;
}

static struct wasm_instance *trap_target(struct wasm_instance *inst)
{
	return running_ctx ? running_ctx : inst;
}

int wasm_instance__exit(struct wasm_instance *inst, int code)
{
	struct wasm_instance *ctx = trap_target(inst);
	ctx->trap.kind = WASM_TRAP_EXIT;
	ctx->trap.exit_code = code;
	ctx->trap.func_name = "";
	snprintf(ctx->trap.message, sizeof(ctx->trap.message),
		 "exit with code %d", code);
	return WASM_EXITED;
}

int wasm_instance__host_trap(struct wasm_instance *inst, const char *fmt, ...)
{
	struct wasm_instance *ctx = trap_target(inst);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->trap.message, sizeof(ctx->trap.message), fmt, ap);
	va_end(ap);
	ctx->trap.kind = WASM_TRAP_HOST;
	ctx->trap.func_name = NULL;
	return WASM_TRAPPED;
}

static uint32_t trap_offset(const struct wm_code *c, const uint32_t *ip)
{
	if (!ip || !c->ntrap_sites)
		return 0;
	uint32_t pos = (uint32_t)(ip - c->words);
	uint32_t lo = 0, hi = c->ntrap_sites;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (c->trap_sites[mid][0] <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return c->trap_sites[lo][1];
}

int wm_trap(struct wasm_instance *ctx, enum wasm_trap_kind kind,
	    const struct wasm_func *f, const uint32_t *ip)
{
	struct wasm_trap *t = &ctx->trap;
	const struct wm_module *m = &f->inst->module->wm;
	char what[sizeof(t->message)];
	if (kind == WASM_TRAP_HOST)
		snprintf(what, sizeof(what), "%s", t->message);
	else
		snprintf(what, sizeof(what), "%s", wasm_trap_kind_str(kind));
	t->kind = kind;
	t->func_index = f->index;
	t->func_name = wm_func_name(m, f->index, ctx->trap_name,
				    sizeof(ctx->trap_name));
	t->offset = trap_offset(f->code, ip);
	const struct wm_func *mf = &m->funcs[f->index - m->nimported_funcs];
	uint32_t rel = t->offset >= mf->body_offset ? t->offset - mf->body_offset
						    : 0;
	snprintf(t->message, sizeof(t->message), "%.150s in %.60s+0x%x", what,
		 t->func_name, rel);
	if (kind == WASM_TRAP_INTERRUPTED || kind == WASM_TRAP_OUT_OF_FUEL)
		return WASM_INTERRUPTED;
	return WASM_TRAPPED;
}

/* ---- calls -------------------------------------------------------------- */

static int ensure_stack(struct wasm_instance *ctx)
{
	if (ctx->frames)
		return 0;
	size_t slots = ctx->stack_slots;
	ctx->stack = malloc(slots * sizeof(union wm_slot));
	ctx->frames = malloc(ctx->max_frames * sizeof(struct wm_frame));
	if (!ctx->stack || !ctx->frames) {
		free(ctx->stack);
		free(ctx->frames);
		ctx->stack = NULL;
		ctx->frames = NULL;
		return -ENOMEM;
	}
	ctx->stack_end = ctx->stack + slots;
	ctx->stack_top = ctx->stack;
	return 0;
}

int wasm_call__prepare(struct wasm_call *c, struct wasm_instance *inst,
		       struct wasm_func *f)
{
	if (!f || !inst)
		return -EINVAL;
	struct wasm_instance *ctx = running_ctx ? running_ctx : inst;
	if (!ctx->frames && ensure_stack(ctx))
		return -ENOMEM;
	uint32_t np = f->type->nparams, nr = f->type->nresults;
	union wm_slot *fp = ctx->stack_top;
	if (ctx->host_depth >= MAX_HOST_DEPTH ||
	    fp + (np > nr ? np : nr) > ctx->stack_end) {
		ctx->trap.kind = WASM_TRAP_STACK_EXHAUSTED;
		ctx->trap.func_name = "";
		snprintf(ctx->trap.message, sizeof(ctx->trap.message),
			 "call stack exhausted (host re-entry)");
		return WASM_TRAPPED;
	}
	/* The native stack is checked here, a few frames above where run
	 * enters (a poll's libbpf loop): the JIT's stack reserve covers that.
	 * When the checks fail, run goes the interpreter's way, which makes
	 * them again and traps. */
	*c = (struct wasm_call){
	    .inst = inst, .ctx = ctx, .f = f, .slots = &fp->u64,
	    .compiled = !f->host && wm_jit_ready_uncounted(f->code) &&
			wm_jit_can_enter(ctx, f, fp)};
	return 0;
}

void wasm_call__begin(struct wasm_call *c)
{
	struct wasm_instance *ctx = c->ctx;
	c->saved = running_ctx;
	if (!c->saved) {
		ctx->trap.kind = WASM_TRAP_NONE;
		ctx->trap.message[0] = 0;
		if (!ctx->fuel_enabled)
			ctx->fuel = INT64_MAX;
	}
	running_ctx = ctx;
	ctx->host_depth++;
	c->nframes = ctx->nframes;
	ctx->nframes += c->compiled; /* wm_jit_run's, once for the run */
}

int wasm_call__again(const struct wasm_call *c)
{
	union wm_slot *fp = (union wm_slot *)c->slots;
	int st = c->compiled
		     ? ((wm_jit_fn)c->f->code->jit)(c->ctx, fp, c->f->inst)
		     : wm_interp_call(c->ctx, c->f, fp);
	if (st != WASM_OK && c->ctx != c->inst)
		c->inst->trap = c->ctx->trap;
	return st;
}

void wasm_call__end(struct wasm_call *c)
{
	c->ctx->nframes = c->nframes;
	c->ctx->host_depth--;
	running_ctx = c->saved;
}

int wasm_call__run(struct wasm_call *c)
{
	wasm_call__begin(c);
	int st = wasm_call__again(c);
	wasm_call__end(c);
	/* a write to a read-only mapping after the call's last check */
	if (st == WASM_OK && c->inst->ro_fault)
		st = WASM_INTERRUPTED;
	return st;
}

int wasm_func__call_raw(struct wasm_instance *inst, struct wasm_func *f,
			uint64_t *slots)
{
	struct wasm_call c;
	int st = wasm_call__prepare(&c, inst, f);
	if (st)
		return st;
	/* Callbacks re-enter here once per event: plain loops, not memcpy. */
	for (uint32_t i = 0; i < f->type->nparams; i++)
		c.slots[i] = slots[i];
	st = wasm_call__run(&c);
	if (st == WASM_OK)
		for (uint32_t i = 0; i < f->type->nresults; i++)
			slots[i] = c.slots[i];
	return st;
}

int wasm_func__call(struct wasm_instance *inst, struct wasm_func *f,
		    const struct wasm_val *args, size_t nargs,
		    struct wasm_val *results, size_t nresults)
{
	if (!inst || !f)
		return -EINVAL;
	const struct wm_functype *ft = f->type;
	if (nargs != ft->nparams || (results && nresults < ft->nresults) ||
	    (!results && ft->nresults && nresults))
		return -EINVAL;
	for (size_t i = 0; i < nargs; i++)
		if (args[i].type != ft->params[i])
			return -EINVAL;
	uint32_t n = ft->nparams > ft->nresults ? ft->nparams : ft->nresults;
	uint64_t small[16];
	uint64_t *slots = n <= 16 ? small : malloc(n * sizeof(uint64_t));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < nargs; i++)
		val_to_slot(&args[i], (union wm_slot *)&slots[i]);
	int st = wasm_func__call_raw(inst, f, slots);
	if (st == WASM_OK && results)
		for (uint32_t i = 0; i < ft->nresults; i++)
			slot_to_val(ft->results[i], (union wm_slot *)&slots[i],
				    &results[i]);
	if (slots != small)
		free(slots);
	return st;
}

/* ---- exports ------------------------------------------------------------ */

static const struct wm_export *find_export(const struct wasm_instance *inst,
					   const char *name, size_t len,
					   uint8_t kind)
{
	const struct wm_module *m = &inst->module->wm;
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].kind == kind &&
		    m->exports[i].name_len == len &&
		    !memcmp(m->exports[i].name, name, len))
			return &m->exports[i];
	return NULL;
}

struct wasm_func *wasm_instance__export_func_n(struct wasm_instance *inst,
					       const char *name, size_t len)
{
	const struct wm_export *ex =
		find_export(inst, name, len, WASM_EXTERN_FUNC);
	return ex ? inst->funcs[ex->index] : NULL;
}

struct wasm_func *wasm_instance__export_func(struct wasm_instance *inst,
					     const char *name)
{
	return wasm_instance__export_func_n(inst, name, strlen(name));
}

struct wasm_func *wasm_instance__table_func(struct wasm_instance *inst,
					    uint32_t table, uint32_t index)
{
	const struct wm_module *m = &inst->module->wm;
	if (table >= m->ntables)
		return NULL;
	struct wasm_table *t = inst->tables[table];
	if (t->type != WASM_FUNCREF || index >= t->size)
		return NULL;
	return t->elems[index];
}

uint32_t wasm_func__param_count(const struct wasm_func *f)
{
	return f->type->nparams;
}

uint32_t wasm_func__result_count(const struct wasm_func *f)
{
	return f->type->nresults;
}

enum wasm_valtype wasm_func__param_type(const struct wasm_func *f, uint32_t i)
{
	return i < f->type->nparams ? f->type->params[i] : 0;
}

enum wasm_valtype wasm_func__result_type(const struct wasm_func *f, uint32_t i)
{
	return i < f->type->nresults ? f->type->results[i] : 0;
}

int wasm_instance__export_global(struct wasm_instance *inst, const char *name,
				 struct wasm_val *out)
{
	const struct wm_export *ex = find_export(inst, name, strlen(name), WASM_EXTERN_GLOBAL);
	if (!ex)
		return -ENOENT;
	struct wasm_global *g = inst->globals[ex->index];
	slot_to_val(g->type, &g->val, out);
	return 0;
}

int wasm_instance__set_export_global(struct wasm_instance *inst,
				     const char *name, struct wasm_val v)
{
	const struct wm_export *ex = find_export(inst, name, strlen(name), WASM_EXTERN_GLOBAL);
	if (!ex)
		return -ENOENT;
	struct wasm_global *g = inst->globals[ex->index];
	if (!g->mut)
		return -EPERM;
	if (g->type != v.type)
		return -EINVAL;
	val_to_slot(&v, &g->val);
	return 0;
}

/* ---- memory helpers ----------------------------------------------------- */

uint8_t *wasm_instance__memory(struct wasm_instance *inst, uint64_t *size)
{
	if (!inst->mem) {
		if (size)
			*size = 0;
		return NULL;
	}
	if (size)
		*size = inst->mem->size;
	return inst->mem->base;
}

void *wasm_instance__mem_ptr(struct wasm_instance *inst, uint32_t ptr,
			     uint32_t len)
{
	if (!inst->mem || (uint64_t)ptr + len > inst->mem->size)
		return NULL;
	return inst->mem->base + ptr;
}

int wasm_instance__mem_map(struct wasm_instance *inst, uint32_t ptr,
			   uint32_t len, int fd, int64_t off, bool writable)
{
	if (!inst->mem)
		return -EOPNOTSUPP;
	return wm_memory_map(inst->mem, inst, ptr, len, fd, off, writable);
}

int wasm_instance__mem_unmap(struct wasm_instance *inst, uint32_t ptr,
			     uint32_t len)
{
	return inst->mem ? wm_memory_unmap(inst->mem, ptr, len) : -ENOENT;
}

bool wasm_instance__ro_fault(const struct wasm_instance *inst)
{
	return inst->ro_fault;
}

const char *wasm_instance__mem_str(struct wasm_instance *inst, uint32_t ptr,
				   size_t maxlen)
{
	if (!inst->mem || ptr >= inst->mem->size)
		return NULL;
	uint64_t avail = inst->mem->size - ptr;
	if (maxlen < avail)
		avail = maxlen;
	const char *s = (const char *)inst->mem->base + ptr;
	return memchr(s, 0, avail) ? s : NULL;
}
