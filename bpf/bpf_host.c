/* bpf_host.c — the bpf_host itself: its object table (opaque handles, never
 * pointers), loading and closing objects, libbpf's log, and the host
 * functions of the `wasm_bpf` import module that unpack guest arguments and
 * hand them to the other files of bpf/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_btfcheck.h"
#include "bpf/bpf_imports.h"
#include "bpf/bpf_cache.h"
#include "bpf/bpf_internal.h"
#include "bpf/user/ubpf_host.h"

/* Loading, attaching (and the counts refreshed after them), setup,
 * teardown and logging run once per object or instance, not per event:
 * BH_COLD, so built for size (README, size). */

/* ---- libbpf's log ------------------------------------------------------ */

/* libbpf has one process-wide print callback; it prints when any live host
 * is verbose and otherwise only remembers the line naming the failure. */
static int verbose_hosts;
static __thread char load_error[512];

BH_COLD static int bh_libbpf_print(enum libbpf_print_level level, const char *fmt,
				va_list ap)
{
	const char *prog;
	char line[512];
	va_list copy;

	if (level == LIBBPF_WARN && !load_error[0]) {
		va_copy(copy, ap);
		vsnprintf(line, sizeof(line), fmt, copy);
		va_end(copy);
		prog = strstr(line, "prog '");
		if (prog)
			snprintf(load_error, sizeof(load_error), "%s", prog);
	}
	if (__atomic_load_n(&verbose_hosts, __ATOMIC_RELAXED) == 0 ||
	    level == LIBBPF_DEBUG)
		return 0;
	/* Whole: the verifier log comes as one long message. */
	return vfprintf(stderr, fmt, ap);
}

BH_COLD void bh_log(struct bpf_host *h, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n = snprintf(line, sizeof(line), "wasm_bpf: ");

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (h->log)
		h->log(h->log_ctx, line, n);
	/* one write: lines of several threads do not interleave */
	else if (write(STDERR_FILENO, line, n) < 0)
		return;
}

static void report_load_error(struct bpf_host *h, int err)
{
	size_t n = strlen(load_error);
	char msg[128];

	while (n && (load_error[n - 1] == '\n' || load_error[n - 1] == ' '))
		load_error[--n] = 0;
	libbpf_strerror(err, msg, sizeof(msg));
	bh_log(h, "loading BPF object failed: %s (%d)", n ? load_error : msg,
	       err);
}

int bh_errno(int err)
{
	if (err > -512 || err < -531)
		return err;
	switch (-err) {
	case 512: /* ERESTARTSYS */
	case 513: /* ERESTARTNOINTR */
	case 514: /* ERESTARTNOHAND */
	case 516: /* ERESTART_RESTARTBLOCK */
		return -EINTR;
	case 515: /* ENOIOCTLCMD */
		return -ENOTTY;
	case 524: /* ENOTSUPP */
		return -EOPNOTSUPP;
	case 528: /* EJUKEBOX */
		return -EAGAIN;
	default:
		return -EINVAL;
	}
}

/* ---- object table ------------------------------------------------------ */

struct bh_object *bh_object_find(struct bpf_host *h, uint64_t id)
{
	if (!id)
		return NULL;
	for (size_t i = 0; i < h->nobjs; i++)
		if (h->objs[i]->id == id)
			return h->objs[i];
	return NULL;
}

static int index_maps(struct bpf_host *h, struct bh_object *o)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, o->obj) {
		int fd = bpf_map__fd(m);

		if (fd < 0)
			continue; /* not created (autocreate off) */
		if ((size_t)fd >= h->map_by_fd_len) {
			size_t n = (size_t)fd * 2 + 16;
			struct bh_map_info *t =
				realloc(h->map_by_fd, n * sizeof(*t));

			if (!t)
				return -ENOMEM;
			memset(t + h->map_by_fd_len, 0,
			       (n - h->map_by_fd_len) * sizeof(*t));
			h->map_by_fd = t;
			h->map_by_fd_len = n;
		}
		h->map_by_fd[fd] = (struct bh_map_info){
		    .map = m,
		    .type = bpf_map__type(m),
		    .key_size = bpf_map__key_size(m),
		    .value_size = bh_map_value_size(m)};
	}
	return 0;
}

static void unindex_maps(struct bpf_host *h, struct bh_object *o)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, o->obj) {
		int fd = bpf_map__fd(m);

		if (fd >= 0 && (size_t)fd < h->map_by_fd_len &&
		    h->map_by_fd[fd].map == m)
			h->map_by_fd[fd].map = NULL;
	}
}

bool bh_is_prog_fd(struct bpf_host *h, int fd)
{
	struct bpf_program *p;

	if (fd < 0)
		return false;
	for (size_t i = 0; i < h->nobjs; i++)
		for (p = bpf_object__next_program(h->objs[i]->obj, NULL); p;
		     p = bpf_object__next_program(h->objs[i]->obj, p))
			if (bpf_program__fd(p) == fd)
				return true;
	return false;
}

static int table_add(struct bpf_host *h, struct bh_object *o)
{
	if (h->nobjs == h->capobjs) {
		size_t cap = h->capobjs ? h->capobjs * 2 : 4;
		void *p = realloc(h->objs, cap * sizeof(*h->objs));

		if (!p)
			return -ENOMEM;
		h->objs = p;
		h->capobjs = cap;
	}
	o->id = ++h->next_id;
	h->objs[h->nobjs++] = o;
	return 0;
}

void bh_object_destroy(struct bh_object *o)
{
	if (!o)
		return;
	bh_rings_free(o);
	bh_pollers_free(o);
	bh_detach_all(o);
	bpf_object__close(o->obj);
	free(o->elf);
	free(o);
}

/* ---- load and close ---------------------------------------------------- */

/* Opens and loads o->elf with `btf` as the kernel BTF for CO-RE (NULL:
 * the kernel's own). */
BH_COLD static int load_with(struct bpf_host *h, struct bh_object *o, uint32_t len,
			  const char *btf)
{
	/* No kernel_log_level: libbpf retries a failed load with the verifier
	 * log on by itself, and forcing it on can fail big programs (-ENOSPC
	 * when the log outgrows libbpf's buffer). */
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf,
		    .pin_root_path = h->pin_root);
	int err;

	o->obj = bpf_object__open_mem(o->elf, len, &opts);
	if (!o->obj)
		return -errno;
	err = bh_pin_prepare(h, o->obj, load_error, sizeof(load_error));
	if (!err)
		err = bh_buffer_prepare(h, o);
	if (!err)
		err = bh_share_reuse(h->reuse_maps, o->obj);
	if (!err)
		err = bpf_object__load(o->obj);
	if (!err)
		err = bh_share_export(h->export_maps, o->obj);
	if (!err)
		err = bh_buffer_start(o);
	return err;
}

/* With a cached minimal BTF first (bpf_btfcache.c); should that load fail,
 * the object is loaded again as without a cache, so the guest never sees
 * a failure the cache caused. */
static int load_object(struct bpf_host *h, struct bh_object *o, uint32_t len)
{
	char *min;
	int err, full_err;

	/* libbpf 1.1 trusts the names, symbols and BTF it parses: vet them
	 * before anything opens the object (the cache does); BTF first, for
	 * its message naming the fault */
	err = btfcheck__elf(o->elf, len, load_error, sizeof(load_error));
	if (!err && (err = bh_object_check(o->elf, len)))
		snprintf(load_error, sizeof(load_error),
			 "malformed object: a name, symbol or BTF type "
			 "refers to nothing");
	if (err)
		return err;
	min = bh_btfcache_lookup(h, o->elf, len);
	if (!min)
		return load_with(h, o, len, h->btf_path);
	err = load_with(h, o, len, min);
	if (err) {
		bh_pollers_free(o);
		bpf_object__close(o->obj);
		o->obj = NULL;
		load_error[0] = 0;
		full_err = load_with(h, o, len, h->btf_path);
		bh_btfcache_failed(h, min, err, full_err);
		err = full_err;
	}
	free(min);
	return err;
}

/* The guest's bytes, or NULL with the reason in load_error. */
static const void *object_bytes(struct wasm_instance *inst, uint32_t buf,
				uint32_t len, int *err)
{
	const void *src;

	if (len == 0) {
		snprintf(load_error, sizeof(load_error), "empty object");
		*err = -EINVAL;
		return NULL;
	}
	if (len > BH_OBJECT_MAX) {
		snprintf(load_error, sizeof(load_error),
			 "object of %u bytes is over the limit of %u", len,
			 BH_OBJECT_MAX);
		*err = -E2BIG;
		return NULL;
	}
	src = wasm_instance__mem_ptr(inst, buf, len);
	if (!src) {
		snprintf(load_error, sizeof(load_error),
			 "object at %#x of %u bytes is outside guest memory",
			 buf, len);
		*err = -EFAULT;
	}
	return src;
}

BH_COLD int64_t bh_load(struct bpf_host *h, struct wasm_instance *inst,
		     uint32_t buf, uint32_t len)
{
	struct bh_object *o = NULL;
	const void *src;
	char why[512];
	int err;

	load_error[0] = 0;
	src = object_bytes(inst, buf, len, &err);
	if (!src)
		goto fail;
	err = -ENOMEM;
	o = calloc(1, sizeof(*o));
	if (!o)
		goto fail;
	o->host = h;
	/* libbpf parses the ELF in place; a host copy keeps guest memory
	 * (which may grow and move later) out of its reach. */
	o->elf = malloc(len);
	if (!o->elf) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(o->elf, src, len);
	if (h->guard.guard_load &&
	    h->guard.guard_load(h->guard.guard_ctx, o->elf, len, why,
				sizeof(why))) {
		bh_log(h, "%s", why);
		bh_object_destroy(o);
		return 0;
	}
	load_error[0] = 0; /* the guard's own libbpf warnings */
	err = load_object(h, o, len);
	if (err)
		goto fail;
	err = index_maps(h, o);
	if (!err)
		err = table_add(h, o);
	if (err) {
		unindex_maps(h, o);
		goto fail;
	}
	return (int64_t)o->id;
fail:
	report_load_error(h, err ? err : -EINVAL);
	bh_object_destroy(o);
	return 0;
}

int bh_guard_attach(struct bpf_host *h, const struct bpf_program *p,
		    const char *target, int host_fd)
{
	struct bpf_guard_prog g = {.name = bpf_program__name(p),
				   .section = bpf_program__section_name(p),
				   .type = bpf_program__type(p),
				   .expected_attach =
				       bpf_program__expected_attach_type(p)};
	char why[512];

	if (!h->guard.guard_attach ||
	    !h->guard.guard_attach(h->guard.guard_ctx, &g, target, host_fd, why,
				   sizeof(why)))
		return 0;
	bh_log(h, "%s", why);
	return -EPERM;
}

int bh_close(struct bpf_host *h, uint64_t id)
{
	for (size_t i = 0; i < h->nobjs; i++) {
		struct bh_object *o = h->objs[i];

		if (o->id != id)
			continue;
		if (o->busy)
			return -EBUSY;
		h->objs[i] = h->objs[--h->nobjs];
		unindex_maps(h, o);
		bh_object_destroy(o);
		return 0;
	}
	return -EBADF;
}

int bh_map_fd_by_name(struct bpf_host *h, struct wasm_instance *inst,
		      uint64_t id, uint32_t name)
{
	struct bh_object *o = bh_object_find(h, id);
	const char *s;
	struct bpf_map *m;

	if (!o)
		return -EBADF;
	s = wasm_instance__mem_str(inst, name, BH_NAME_MAX);
	if (!s)
		return -EFAULT;
	m = bpf_object__find_map_by_name(o->obj, s);
	if (!m)
		return -ENOENT;
	return bpf_map__fd(m) < 0 ? -ENOENT : bpf_map__fd(m);
}

/* ---- host functions ---------------------------------------------------- */

static inline uint32_t u32_arg(uint64_t s)
{
	return (uint32_t)s;
}

static inline int32_t i32_arg(uint64_t s)
{
	return (int32_t)(uint32_t)s;
}

/* A result of the kernel or libbpf, as the guest gets it. */
static inline void set_i32(uint64_t *slots, int32_t v)
{
	slots[0] = (uint32_t)bh_errno(v);
}

/* Counts what the host holds after anything that changes it: walked here,
 * on the guest's thread, so readers never touch the object table. */
BH_COLD static void held_refresh(struct bpf_host *h)
{
	uint64_t progs = 0, maps = 0, links = 0;
	struct bpf_program *p;
	struct bpf_map *m;

	for (size_t i = 0; i < h->nobjs; i++) {
		bpf_object__for_each_program(p, h->objs[i]->obj) progs++;
		bpf_object__for_each_map(m, h->objs[i]->obj) maps++;
		links += h->objs[i]->natt;
	}
	__atomic_store_n(&h->stats->progs, progs, __ATOMIC_RELAXED);
	__atomic_store_n(&h->stats->maps, maps, __ATOMIC_RELAXED);
	__atomic_store_n(&h->stats->links, links, __ATOMIC_RELAXED);
}

static int hf_load(struct wasm_instance *in, void *user, uint64_t *s)
{
	s[0] = (uint64_t)bh_load(user, in, u32_arg(s[0]), u32_arg(s[1]));
	held_refresh(user);
	return WASM_OK;
}

BH_COLD static int hf_attach(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, bh_attach(user, in, s[0], u32_arg(s[1]), u32_arg(s[2])));
	held_refresh(user);
	return WASM_OK;
}

static int hf_attach_fd(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, bh_attach_fd(user, in, s[0], u32_arg(s[1]), i32_arg(s[2])));
	held_refresh(user);
	return WASM_OK;
}

static int hf_map_fd_by_name(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, bh_map_fd_by_name(user, in, s[0], u32_arg(s[1])));
	return WASM_OK;
}

static int hf_map_operate(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, bh_map_operate(user, in, i32_arg(s[0]), i32_arg(s[1]),
				  u32_arg(s[2]), u32_arg(s[3]), u32_arg(s[4]),
				  s[5]));
	return WASM_OK;
}

/* wasm-bpf's own (i64 obj, i32 map_fd) -> i64: not upstream's, so only
 * guests that call the SDK's wbpf_buffer__lost() import it. */
static int hf_buffer_lost(struct wasm_instance *in, void *user, uint64_t *s)
{
	int64_t n = bh_buffer_lost(user, s[0], i32_arg(s[1]));

	s[0] = (uint64_t)(n < 0 ? bh_errno((int)n) : n);
	return WASM_OK;
}

static int hf_close(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, bh_close(user, s[0]));
	held_refresh(user);
	return WASM_OK;
}

/* (i64 obj, i32 map_fd, i32 sample_func, i32 ctx, i32 buf, i32 buf_len,
 *  i32 timeout_ms) -> i32; sample_func indexes table 0. */
static int hf_poll(struct wasm_instance *in, void *user, uint64_t *s)
{
	struct wasm_func *fn = wasm_instance__table_func(in, 0, u32_arg(s[2]));
	int32_t res = -EINVAL;
	int st = WASM_OK;

	if (fn)
		st = bh_poll(user, in, s[0], i32_arg(s[1]), fn, u32_arg(s[3]),
			     u32_arg(s[4]), u32_arg(s[5]), i32_arg(s[6]),
			     &res);
	s[0] = (uint32_t)res; /* maybe the callback's own value: as is */
	return st;
}

/* wasm-bpf's own ring buffer mapping (bpf_ringmap.c): (i64 obj,
 * i32 map_fd, i32 addr, i32 len) -> i32, addr and len 0: the length to
 * map; unmap (i64 obj, i32 map_fd) -> i32; wait (i64 obj, i32 map_fd,
 * i32 timeout_ms) -> i32; done (i64 obj, i32 map_fd, i32 delivered)
 * -> i32. */
static int hf_ring_map(struct wasm_instance *in, void *user, uint64_t *s)
{
	int r = bh_ring_map(user, in, s[0], i32_arg(s[1]), u32_arg(s[2]),
			    u32_arg(s[3]));

	set_i32(s, r < 0 ? bh_errno(r) : r);
	return WASM_OK;
}

static int hf_ring_unmap(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, bh_ring_unmap(user, s[0], i32_arg(s[1])));
	return WASM_OK;
}

static int hf_ring_wait(struct wasm_instance *in, void *user, uint64_t *s)
{
	int32_t res;
	int st = bh_ring_wait(user, in, s[0], i32_arg(s[1]), i32_arg(s[2]),
			      &res);

	set_i32(s, res < 0 ? bh_errno(res) : res);
	return st;
}

static int hf_ring_done(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, bh_ring_done(user, s[0], i32_arg(s[1]), i32_arg(s[2])));
	return WASM_OK;
}

/* TinyGo: (i64 obj, i32 map_fd, i32 ctx, i32 buf, i32 buf_len,
 * i32 timeout_ms) -> i32, records go to the exported callback. */
static int hf_go_poll(struct wasm_instance *in, void *user, uint64_t *s)
{
	struct bpf_host *h = user;
	struct wasm_func *fn = wasm_instance__export_func(in, h->go_export);
	int32_t res = -ENOENT;
	int st = WASM_OK;

	if (fn)
		st = bh_poll(h, in, s[0], i32_arg(s[1]), fn, u32_arg(s[2]),
			     u32_arg(s[3]), u32_arg(s[4]), i32_arg(s[5]),
			     &res);
	s[0] = (uint32_t)res; /* maybe the callback's own value: as is */
	return st;
}

static const struct bpf_import bh_funcs[] = {BPF_IMPORTS(BPF_IMPORT_ENTRY)};

const struct bpf_import *bh_imports(wasm_host_func_t *go_poll)
{
	*go_poll = hf_go_poll;
	return bh_funcs;
}

BH_COLD int bpf_host__define(struct bpf_host *h, struct wasm_linker *l)
{
	if (h->autosel)
		return bh_auto_define(h, l);
	if (h->user)
		return ubpf_host__define(h->user, l);
	return bpf_imports__define(l, bh_funcs,
				   sizeof(bh_funcs) / sizeof(bh_funcs[0]),
				   h->go_module, hf_go_poll, h);
}

/* ---- lifetime ---------------------------------------------------------- */

static char *dup_or(const char *s, const char *dflt)
{
	s = s ? s : dflt;
	return s ? strdup(s) : NULL;
}

BH_COLD struct bpf_host *bpf_host__new(const struct bpf_host_opts *opts)
{
	struct bpf_host_opts o = {0};
	struct bpf_host *h;

	if (opts)
		memcpy(&o, opts,
		       opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->force_perfbuf = o.force_perfbuf;
	h->cgroup_paths = o.allow_cgroup_paths;
	h->lost = o.lost_events ? o.lost_events : &h->lost_own;
	h->stats = o.stats ? o.stats : &h->stats_own;
	h->hold = o.hold;
	h->log = o.log;
	h->log_ctx = o.log_ctx;
	bh_rate__init(&h->rate, o.max_event_rate, o.event_burst);
	h->export_maps = bpf_map_share__get(o.export_maps);
	h->reuse_maps = bpf_map_share__get(o.reuse_maps);
	h->wasi = o.wasi;
	h->guard.guard_load = o.guard_load;
	h->guard.guard_attach = o.guard_attach;
	h->guard.guard_ctx = o.guard_ctx;
	h->btf_path = dup_or(o.btf_path, NULL);
	if (!o.no_btf_cache && !o.btf_path)
		h->btf_cache_dir = o.btf_cache_dir ? strdup(o.btf_cache_dir)
						   : bpf_cache__default_dir();
	h->go_export = dup_or(o.go_callback_export, "go-callback");
	h->go_module = dup_or(o.go_poll_module, "callback-wrapper");
	h->pin_root = bh_pin_root_new();
	h->autosel = o.backend && !strcmp(o.backend, "auto");
	if (h->autosel || (o.backend && !strcmp(o.backend, "user"))) {
		struct ubpf_host_opts uo = {.sz = sizeof(uo),
					    .verbose = o.verbose,
					    .spawn = o.spawn,
					    .nspawn = o.nspawn,
					    .pids = o.pids,
					    .npids = o.npids,
					    .go_poll_module = o.go_poll_module,
					    .go_callback_export =
						o.go_callback_export,
					    .guard_load = o.guard_load,
					    .guard_attach = o.guard_attach,
					    .guard_ctx = o.guard_ctx,
					    .rate = &h->rate,
					    .stats = h->stats};

		h->user = ubpf_host__new(&uo);
		if (!h->user) {
			bpf_host__free(h);
			return NULL;
		}
	}
	if (!h->go_export || !h->go_module || !h->pin_root ||
	    (o.btf_path && !h->btf_path)) {
		bpf_host__free(h);
		return NULL;
	}
	libbpf_set_print(bh_libbpf_print);
	h->verbose = o.verbose;
	if (h->verbose)
		__atomic_add_fetch(&verbose_hosts, 1, __ATOMIC_RELAXED);
	return h;
}

BH_COLD void bpf_host__free(struct bpf_host *h)
{
	if (!h)
		return;
	ubpf_host__free(h->user);
	if (h->hold) /* a walk a trap ended delivers no more */
		__atomic_store_n(&h->hold->delivering, 0, __ATOMIC_SEQ_CST);
	while (h->nobjs)
		bh_object_destroy(h->objs[--h->nobjs]);
	held_refresh(h);
	bh_pin_remove(h);
	bpf_map_share__put(h->export_maps);
	bpf_map_share__put(h->reuse_maps);
	free(h->pin_root);
	free(h->map_by_fd);
	if (h->verbose)
		__atomic_sub_fetch(&verbose_hosts, 1, __ATOMIC_RELAXED);
	free(h->objs);
	free(h->btf_path);
	free(h->btf_cache_dir);
	free(h->go_export);
	free(h->go_module);
	free(h);
}

uint64_t bpf_host__lost_events(const struct bpf_host *h)
{
	return h ? __atomic_load_n(h->lost, __ATOMIC_RELAXED) : 0;
}

int bpf_host__object_count(const struct bpf_host *h)
{
	return h ? (int)h->nobjs : 0;
}
