/* fake_engine.c — the instance API of engine/wasm.h (the part bpf/ uses)
 * over a flat malloc'd memory, plus wasi_ctx__host_fd. Only for the native
 * suite and the fuzz target; the real binary links engine/ and wasi/.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bpf/tests/fake_engine.h"
#include "wasi/wasi.h"

int fake_wasi_fds[8] = {-1, -1, -1, -1, -1, -1, -1, -1};

void fake_func_init(struct wasm_func *f, fake_cb_t cb, void *user)
{
	memset(f, 0, sizeof(*f));
	f->nparams = 3;
	f->nresults = 1;
	f->params[0] = f->params[1] = f->params[2] = WASM_I32;
	f->results[0] = WASM_I32;
	f->cb = cb;
	f->user = user;
}

struct wasm_instance *fake_instance_new(uint64_t size)
{
	struct wasm_instance *inst = calloc(1, sizeof(*inst));

	if (!inst)
		return NULL;
	inst->mem = calloc(1, size);
	inst->size = size;
	if (!inst->mem) {
		free(inst);
		return NULL;
	}
	return inst;
}

void fake_instance_free(struct wasm_instance *inst)
{
	if (!inst)
		return;
	free(inst->mem);
	free(inst);
}

void *wasm_instance__mem_ptr(struct wasm_instance *inst, uint32_t ptr,
			     uint32_t len)
{
	if ((uint64_t)ptr + len > inst->size)
		return NULL;
	return inst->mem + ptr;
}

/* No guard handler here: nothing is mapped. */
int wasm_instance__mem_map(struct wasm_instance *inst, uint32_t ptr,
			   uint32_t len, int fd, int64_t off, bool writable)
{
	(void)inst, (void)ptr, (void)len, (void)fd, (void)off, (void)writable;
	return -EOPNOTSUPP;
}

int wasm_instance__mem_unmap(struct wasm_instance *inst, uint32_t ptr,
			     uint32_t len)
{
	(void)inst, (void)ptr, (void)len;
	return -ENOENT;
}

const char *wasm_instance__mem_str(struct wasm_instance *inst, uint32_t ptr,
				   size_t maxlen)
{
	uint64_t avail;

	if (ptr >= inst->size)
		return NULL;
	avail = inst->size - ptr;
	if (avail > maxlen)
		avail = maxlen;
	return memchr(inst->mem + ptr, 0, avail) ? (char *)inst->mem + ptr
						 : NULL;
}

struct wasm_func *wasm_instance__table_func(struct wasm_instance *inst,
					    uint32_t table, uint32_t index)
{
	return table == 0 && index < FAKE_TABLE ? inst->table[index] : NULL;
}

struct wasm_func *wasm_instance__export_func(struct wasm_instance *inst,
					     const char *name)
{
	if (inst->export_name && !strcmp(inst->export_name, name))
		return inst->export_fn;
	return NULL;
}

uint32_t wasm_func__param_count(const struct wasm_func *f)
{
	return f->nparams;
}

uint32_t wasm_func__result_count(const struct wasm_func *f)
{
	return f->nresults;
}

enum wasm_valtype wasm_func__param_type(const struct wasm_func *f, uint32_t i)
{
	return i < f->nparams ? f->params[i] : 0;
}

enum wasm_valtype wasm_func__result_type(const struct wasm_func *f, uint32_t i)
{
	return i < f->nresults ? f->results[i] : 0;
}

int wasm_func__call_raw(struct wasm_instance *inst, struct wasm_func *f,
			uint64_t *slots)
{
	return f->cb(inst, f->user, slots);
}

int wasm_call__prepare(struct wasm_call *c, struct wasm_instance *inst,
		       struct wasm_func *f)
{
	static __thread uint64_t frame[16];
	*c = (struct wasm_call){.inst = inst, .f = f, .slots = frame};
	return 0;
}

int wasm_call__again(const struct wasm_call *c)
{
	return c->f->cb(c->inst, c->f->user, c->slots);
}

void wasm_call__begin(struct wasm_call *c)
{
	(void)c;
}

void wasm_call__end(struct wasm_call *c)
{
	(void)c;
}

bool wasm_instance__interrupt_requested(const struct wasm_instance *inst)
{
	return inst->interrupt != 0;
}

bool wasm_instance__cancel_requested(const struct wasm_instance *inst)
{
	return inst->cancel != 0;
}

int wasm_linker__define_func(struct wasm_linker *l, const char *module,
			     const char *name, const char *sig,
			     wasm_host_func_t fn, void *user)
{
	struct fake_def *d;

	if (l->n == 16)
		return -ENOSPC;
	d = &l->defs[l->n++];
	strncpy(d->module, module, sizeof(d->module) - 1);
	strncpy(d->name, name, sizeof(d->name) - 1);
	strncpy(d->sig, sig, sizeof(d->sig) - 1);
	d->fn = fn;
	d->user = user;
	return 0;
}

const struct fake_def *fake_lookup(struct wasm_linker *l, const char *module,
				   const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->defs[i].module, module) &&
		    !strcmp(l->defs[i].name, name))
			return &l->defs[i];
	return NULL;
}

int wasi_ctx__host_fd(struct wasi_ctx *ctx, uint32_t fd)
{
	return fd < 8 && fake_wasi_fds[fd] >= 0 ? fake_wasi_fds[fd] : -EBADF;
}

int wasm_instance__host_trap(struct wasm_instance *inst, const char *fmt, ...)
{
	return WASM_TRAPPED;
}

int wasm_instance__exit(struct wasm_instance *inst, int code)
{
	inst->exit_code = code;
	return WASM_EXITED;
}
