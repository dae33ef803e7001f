/* wasm_bpf.c — the wasm_bpf_app object: owns a loaded module and what a
 * run needs (arguments, environment, preopens), wires engine, WASI and the
 * bpf host together for one run and tears all of it down on every exit
 * path. The command-line front end is main.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf/bpf_cache.h"
#include "bpf/bpf_host.h"
#include "policy/policy.h"
#include "runtime/codecache.h"
#include "runtime/procfs.h"
#include "runtime/wasm_bpf.h"
#include "wasi/wasi.h"

#define PAGE_SIZE_WASM 65536ull
#define MAX_PAGES_WASM 65536ull

struct strv {
	char **v;
	int n;
};

struct wasm_bpf_app {
	struct wasm_module *module;
	struct codecache *code_later; /* the cache entry written at the end */
	struct wasm_bpf_app_opts opts;
	char *btf_path, *entry, *btf_cache_dir;
	char *go_module, *go_export;
	struct strv args, env, pre_host, pre_guest;
	struct strv spawn; /* --spawn commands (opts.backend: a literal) */
	int *pids;	   /* --pid */
	int *fds;
	int nfds;
	bool ran;
	enum wasm_bpf_end end;
	struct wasm_trap trap;
	char trap_func[128]; /* trap.func_name points here: outlives the run */
	char errmsg[512];
	/* Shared with the stop calls, which may run in a signal handler or
	 * another thread. `thread` runs the guest while `inst` is set. */
	_Atomic(struct wasm_instance *) inst;
	pthread_t thread;
	atomic_int stop_requested;   /* hard */
	atomic_int cancel_requested; /* graceful */
	atomic_int stoppers;	     /* stop calls in flight, to free safely */
	uint64_t lost_events; /* the bpf host counts here, atomically */
	struct bpf_host_stats bpf_stats; /* likewise */
	struct bpf_map_share *share, *reuse; /* map hand-over */
	struct bpf_host_hold hold;	     /* wasm_bpf_app__hold_events */
	struct host_func *hfuncs; /* the embedder's own imports */
	int nhfuncs;
	int stdio[3];
	wasm_bpf_stdin_fn stdin_fn; /* wasm_bpf_app__set_stdio_callbacks */
	wasm_bpf_stdout_fn stdout_fn;
	void *stdio_user;
	/* Pause: the guest's thread waits on `cond` while `paused`;
	 * `waiting` says it is there. stop() only sets flags (it may run in a
	 * signal handler), so the wait is sliced. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_int paused, waiting;
};

struct host_func {
	char *module, *name, *sig;
	wasm_host_func_t fn;
	void *user;
};

/* ---- small helpers ------------------------------------------------------ */

static int strv_push(struct strv *s, const char *str)
{
	char **v = realloc(s->v, (s->n + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	s->v = v;
	v[s->n] = strdup(str ? str : "");
	if (!v[s->n])
		return -ENOMEM;
	v[++s->n] = NULL;
	return 0;
}

static void strv_free(struct strv *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

#define OPT(o, f, def)                                                         \
	((o) && (o)->sz >=                                                     \
		     offsetof(struct wasm_bpf_app_opts, f) + sizeof((o)->f)    \
	     ? (o)->f                                                          \
	     : (def))

/* The literal for a backend name (the caller's string need not live on);
 * NULL for the kernel's or an unknown one. */
static const char *backend_name(const char *b)
{
	return !b		    ? NULL
	       : !strcmp(b, "user") ? "user"
	       : !strcmp(b, "auto") ? "auto"
				    : NULL;
}

static void seterr(struct wasm_error *err, const char *fmt, const char *a,
		   const char *b)
{
	if (err)
		snprintf(err->msg, sizeof(err->msg), fmt, a, b);
}

/* ---- open and configure ------------------------------------------------- */

/* The stricter of the options' event rate limit and the policy's: the
 * lower rate, and the lower burst of those that set a rate (a burst left
 * 0 is its rate's second). */
static void event_limit(struct wasm_bpf_app *app, uint64_t rate,
			uint64_t burst)
{
	const struct policy *p = app->opts.policy;
	uint64_t prate = p && p->event_rate.set ? p->event_rate.value : 0;
	uint64_t pburst = p && p->event_burst.set ? p->event_burst.value : 0;

	burst = rate ? (burst ? burst : rate) : 0;
	pburst = prate ? (pburst ? pburst : prate) : 0;
	if (prate && (!rate || prate < rate))
		rate = prate;
	if (pburst && (!burst || pburst < burst))
		burst = pburst;
	app->opts.max_event_rate = rate;
	app->opts.event_burst = rate ? burst : 0;
}

struct wasm_bpf_app *
wasm_bpf_app__open_mem(const void *bytes, size_t len,
		       const struct wasm_bpf_app_opts *opts,
		       struct wasm_error *err)
{
	struct wasm_bpf_app *app = calloc(1, sizeof(*app));
	const char *btf = OPT(opts, btf_path, NULL);
	const char *entry = OPT(opts, entry, NULL);
	const char *cache = OPT(opts, btf_cache_dir, NULL);
	const char *go_module = OPT(opts, go_poll_module, NULL);
	const char *go_export = OPT(opts, go_callback_export, NULL);
	struct wasm_error e = {{0}};

	if (!app) {
		errno = ENOMEM;
		return NULL;
	}
	app->opts.sz = sizeof(app->opts);
	app->stdio[1] = 1;
	app->stdio[2] = 2;
	pthread_mutex_init(&app->lock, NULL);
	pthread_cond_init(&app->cond, NULL);
	app->opts.fuel = OPT(opts, fuel, 0);
	app->opts.max_memory = OPT(opts, max_memory, 0);
	app->opts.verbose = OPT(opts, verbose, false);
	app->opts.force_perfbuf = OPT(opts, force_perfbuf, false);
	app->btf_path = btf ? strdup(btf) : NULL;
	app->btf_cache_dir = cache ? strdup(cache) : NULL;
	app->opts.no_btf_cache = OPT(opts, no_btf_cache, false);
	app->opts.allow_cgroup_paths = OPT(opts, allow_cgroup_paths, false);
	app->opts.no_host_view = OPT(opts, no_host_view, false);
	app->opts.backend = backend_name(OPT(opts, backend, NULL));
	for (size_t i = 0; i < OPT(opts, nspawn, 0); i++) {
		if (strv_push(&app->spawn, opts->spawn[i])) {
			wasm_bpf_app__free(app);
			errno = ENOMEM;
			return NULL;
		}
	}
	if (OPT(opts, npids, 0)) {
		app->pids = malloc(opts->npids * sizeof(*app->pids));
		if (!app->pids) {
			wasm_bpf_app__free(app);
			errno = ENOMEM;
			return NULL;
		}
		memcpy(app->pids, opts->pids, opts->npids * sizeof(*app->pids));
		app->opts.npids = opts->npids;
	}
	app->go_module = go_module ? strdup(go_module) : NULL;
	app->go_export = go_export ? strdup(go_export) : NULL;
	app->opts.policy = OPT(opts, policy, NULL);
	event_limit(app, OPT(opts, max_event_rate, 0), OPT(opts, event_burst, 0));
	app->entry = strdup(entry ? entry : "_start");
	if (!app->entry || (go_module && !app->go_module) ||
	    (go_export && !app->go_export)) {
		wasm_bpf_app__free(app);
		errno = ENOMEM;
		return NULL;
	}
	char *top = OPT(opts, no_code_cache, false) ? NULL
						     : bpf_cache__default_dir();
	app->module = codecache__load(bytes, len, top, app->opts.verbose,
				      OPT(opts, interp, false) ? WASM_TIER_INTERP
							       : WASM_TIER_DEFAULT,
				      app->opts.fuel != 0, &e, &app->code_later);
	free(top);
	if (!app->module) {
		seterr(err, "%s%s", e.msg[0] ? e.msg : "invalid module", "");
		wasm_bpf_app__free(app);
		errno = EINVAL;
		return NULL;
	}
	return app;
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t done = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf)
		goto fail;
	while (done < (size_t)st.st_size) {
		n = read(fd, buf + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += n;
	}
	close(fd);
	*len = done;
	return buf;
fail:
	n = errno;
	free(buf);
	close(fd);
	errno = n;
	return NULL;
}

struct wasm_bpf_app *
wasm_bpf_app__open_file(const char *path, const struct wasm_bpf_app_opts *opts,
			struct wasm_error *err)
{
	struct wasm_bpf_app *app;
	size_t len = 0;
	void *buf = read_file(path, &len);
	int e;

	if (!buf) {
		e = errno;
		seterr(err, "%s%s", strerror(e), "");
		errno = e;
		return NULL;
	}
	app = wasm_bpf_app__open_mem(buf, len, opts, err);
	e = errno;
	free(buf);
	errno = e;
	return app;
}

int wasm_bpf_app__set_args(struct wasm_bpf_app *app, int argc,
			   const char *const *argv)
{
	int i, r;

	strv_free(&app->args);
	for (i = 0; i < argc; i++) {
		r = strv_push(&app->args, argv[i]);
		if (r)
			return r;
	}
	return 0;
}

int wasm_bpf_app__add_env(struct wasm_bpf_app *app, const char *kv)
{
	if (!kv || !strchr(kv, '='))
		return -EINVAL;
	return strv_push(&app->env, kv);
}

int wasm_bpf_app__add_preopen(struct wasm_bpf_app *app, const char *host_path,
			      const char *guest_path)
{
	int r;

	if (!host_path)
		return -EINVAL;
	r = strv_push(&app->pre_host, host_path);
	if (r)
		return r;
	return strv_push(&app->pre_guest, guest_path ? guest_path : host_path);
}

int wasm_bpf_app__add_fd(struct wasm_bpf_app *app, int host_fd)
{
	int *fds = realloc(app->fds, (app->nfds + 1) * sizeof(*fds));

	if (!fds)
		return -ENOMEM;
	app->fds = fds;
	fds[app->nfds++] = host_fd;
	return 0;
}

/* ---- run ---------------------------------------------------------------- */

/* Everything one run creates; released in reverse order by run_teardown. */
struct run {
	struct wasi_ctx *wasi;
	struct wasm_linker *linker;
	struct bpf_host *bpf;
	struct wasm_instance *inst;
};

static int fail(struct wasm_bpf_app *app, const char *what, const char *why)
{
	snprintf(app->errmsg, sizeof(app->errmsg), "%s%s", what, why);
	app->end = WASM_BPF_END_ERROR;
	return WASM_BPF_EXIT_ERROR;
}

/* ---- the host view -------------------------------------------------------
 * What eBPF tools probe before they load (upstream's opensnoop checks
 * whether a tracepoint exists; libbpf-tools read BTF and the CPU count),
 * given read-only under the paths the tools use. Nothing there is secret
 * or has side effects when read: not tracefs itself (trace_pipe consumes
 * events), not /proc (other processes' environment). */
static const struct {
	const char *guest, *host[2];
} host_view[] = {
    {"/sys/kernel/tracing/events",
     {"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"}},
    {"/sys/kernel/debug/tracing/events",
     {"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"}},
    {"/sys/kernel/btf", {"/sys/kernel/btf", NULL}},
    {"/sys/devices/system/cpu", {"/sys/devices/system/cpu", NULL}},
};
#define HOST_VIEW_N (sizeof(host_view) / sizeof(host_view[0]))

/* Whether one of two guest paths is the other or beneath it. */
static bool path_nests(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	if (la > lb)
		return path_nests(b, a);
	if (strncmp(a, b, la))
		return false;
	return la == lb || b[la] == '/' || (la == 1 && a[0] == '/');
}

static bool view_shadowed(const struct wasm_bpf_app *app, const char *guest)
{
	for (int i = 0; i < app->pre_guest.n; i++)
		if (path_nests(app->pre_guest.v[i], guest))
			return true;
	return false;
}

/* Appends the host view to pre[*n...] (room for HOST_VIEW_N). Not when
 * descriptors are handed in (--fd): they come after the preopens, and
 * guests find preopens by counting up from 3 to the first descriptor that
 * is none, so more preopens would renumber them. Nor where a --dir of the
 * guest's already covers or lies inside a path. */
static void add_host_view(const struct wasm_bpf_app *app,
			  struct wasi_preopen *pre, int *n)
{
	char said[512] = "";
	size_t len = 0;

	if (app->opts.no_host_view)
		return;
	if (app->nfds) {
		if (app->opts.verbose)
			fprintf(stderr, "wasm-bpf: no host view: descriptors "
					"are handed in (--fd)\n");
		return;
	}
	for (size_t i = 0; i < HOST_VIEW_N; i++) {
		const char *guest = host_view[i].guest, *host = NULL;

		for (int k = 0; k < 2 && !host; k++) {
			const char *h = host_view[i].host[k];

			if (h && !access(h, R_OK | X_OK))
				host = h;
		}
		if (!host || view_shadowed(app, guest))
			continue;
		pre[(*n)++] = (struct wasi_preopen){host, guest, true};
		len += snprintf(said + len, sizeof(said) - len, " %s", guest);
		if (len >= sizeof(said))
			len = sizeof(said) - 1;
	}
	if (app->opts.verbose)
		fprintf(stderr, "wasm-bpf: host view (read-only):%s\n",
			len ? said : " none");
}

/* The WASI layer's stream callbacks, handing the embedder its app. */
static ssize_t stdio_write(void *user, int stream, const void *buf, size_t len)
{
	struct wasm_bpf_app *app = user;

	return app->stdout_fn(app, stream, buf, len, app->stdio_user);
}

static ssize_t stdio_read(void *user, void *buf, size_t len)
{
	struct wasm_bpf_app *app = user;

	return app->stdin_fn(app, buf, len, app->stdio_user);
}

/* The bpf host's lines about the guest go where its stderr goes: the
 * embedder's callback, else the embedder's descriptor (not the guest's
 * copy, which it may close), else the process's stderr. */
static void host_log(void *ctx, const char *line, size_t len)
{
	struct wasm_bpf_app *app = ctx;
	int fd = app->stdio[2] >= 0 ? app->stdio[2] : STDERR_FILENO;

	if (app->stdout_fn)
		app->stdout_fn(app, 2, line, len, app->stdio_user);
	else if (write(fd, line, len) < 0)
		return;
}

static struct wasi_ctx *make_wasi(struct wasm_bpf_app *app,
				  struct wasm_error *err)
{
	struct wasi_stdio_cb cb = {
	    .write = app->stdout_fn ? stdio_write : NULL,
	    .read = app->stdin_fn ? stdio_read : NULL,
	    .user = app,
	};
	struct wasi_preopen *pre =
	    calloc(app->pre_host.n + HOST_VIEW_N + 1, sizeof(*pre));
	struct wasi_opts o = {
	    .sz = sizeof(o),
	    .argc = app->args.n,
	    .argv = (const char *const *)app->args.v,
	    .envc = app->env.n,
	    .envp = (const char *const *)app->env.v,
	    .preopens = pre,
	    .stdin_fd = app->stdio[0],
	    .stdout_fd = app->stdio[1],
	    .stderr_fd = app->stdio[2],
	    .nextra_fds = app->nfds,
	    .extra_fds = app->fds,
	    .stdio_cb = &cb,
	};
	struct wasi_ctx *ctx;
	int i;

	if (!pre) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return NULL;
	}
	for (i = 0; i < app->pre_host.n; i++) {
		pre[i].host_path = app->pre_host.v[i];
		pre[i].guest_path = app->pre_guest.v[i];
	}
	o.npreopens = i;
	add_host_view(app, pre, &o.npreopens);
	ctx = wasi_ctx__new(&o, err);
	free(pre);
	return ctx;
}

/* /proc/self/mem in the guest's hands is the runtime's memory. */
static int refuse_procfs(struct wasm_bpf_app *app, const char *dir)
{
	char mnt[256], why[sizeof(app->errmsg)];

	if (!procfs_reachable(dir, mnt, sizeof(mnt)))
		return 0;
	snprintf(
	    why, sizeof(why),
	    "directory %.200s refused: it reaches the procfs mount %.200s, "
	    "where a guest could open /proc/self/mem",
	    dir, mnt);
	return fail(app, why, "");
}

/* The guest's safe point while an interrupt is pending: a pause waits
 * here; true goes on. A graceful stop ends the pause (the guest winds
 * down), a hard one the run. Slices of 50 ms, for stops set flags only. */
static bool pause_point(struct wasm_instance *inst, void *user)
{
	struct wasm_bpf_app *app = user;
	struct timespec ts, t0, t1;

	(void)inst;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&app->lock);
	atomic_store(&app->waiting, 1);
	while (atomic_load(&app->paused) &&
	       !atomic_load(&app->stop_requested) &&
	       !atomic_load(&app->cancel_requested)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&app->cond, &app->lock, &ts);
	}
	atomic_store(&app->waiting, 0);
	pthread_mutex_unlock(&app->lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	__atomic_add_fetch(&app->bpf_stats.paused_ns,
			   (t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec -
			       t0.tv_nsec,
			   __ATOMIC_RELAXED);
	return !atomic_load(&app->stop_requested);
}

static int run_setup(struct wasm_bpf_app *app, struct run *r)
{
	struct bpf_host_opts bo = {.sz = sizeof(bo)};
	struct wasm_instance_opts io = {.sz = sizeof(io)};
	struct wasm_error err = {{0}};
	uint64_t pages = (app->opts.max_memory ? app->opts.max_memory
					       : WASM_BPF_DEFAULT_MAX_MEMORY) /
			 PAGE_SIZE_WASM;
	int i;

	for (i = 0; i < app->pre_host.n; i++)
		if (refuse_procfs(app, app->pre_host.v[i]))
			return WASM_BPF_EXIT_ERROR;
	r->wasi = make_wasi(app, &err);
	if (!r->wasi)
		return fail(app, "", err.msg);
	r->linker = wasm_linker__new();
	if (!r->linker || wasi_ctx__define(r->wasi, r->linker))
		return fail(app, "cannot define the WASI imports", "");
	bo.verbose = app->opts.verbose;
	bo.force_perfbuf = app->opts.force_perfbuf;
	bo.btf_path = app->btf_path;
	bo.btf_cache_dir = app->btf_cache_dir;
	bo.no_btf_cache = app->opts.no_btf_cache;
	bo.allow_cgroup_paths = app->opts.allow_cgroup_paths;
	bo.go_poll_module = app->go_module;
	bo.go_callback_export = app->go_export;
	bo.wasi = r->wasi;
	bo.lost_events = &app->lost_events;
	bo.stats = &app->bpf_stats;
	bo.export_maps = app->share;
	bo.reuse_maps = app->reuse;
	bo.hold = &app->hold;
	bo.log = host_log;
	bo.log_ctx = app;
	bo.max_event_rate = app->opts.max_event_rate;
	bo.event_burst = app->opts.event_burst;
	if (app->opts.policy)
		policy__guard_bpf_host(app->opts.policy, &bo);
	bo.backend = app->opts.backend;
	bo.spawn = (const char *const *)app->spawn.v;
	bo.nspawn = app->spawn.n;
	bo.pids = app->pids;
	bo.npids = app->opts.npids;
	r->bpf = bpf_host__new(&bo);
	if (!r->bpf || bpf_host__define(r->bpf, r->linker))
		return fail(
		    app, "cannot set up the wasm_bpf host: ", strerror(errno));
	for (int i = 0; i < app->nhfuncs; i++) {
		struct host_func *h = &app->hfuncs[i];

		if (wasm_linker__define_func(r->linker, h->module, h->name,
					     h->sig, h->fn, h->user))
			return fail(app, "cannot define host function ",
				    h->name);
	}
	io.fuel = app->opts.fuel;
	io.max_memory_pages =
	    pages ? (pages > MAX_PAGES_WASM ? MAX_PAGES_WASM : pages) : 1;
	io.userdata = app;
	r->inst = wasm_instance__new(app->module, r->linker, &io, &err);
	if (!r->inst)
		return fail(app, "", err.msg);
	wasm_instance__set_interrupt_handler(r->inst, pause_point, app);
	return 0;
}

/* Unpublishes the instance so no stop() can touch it any more, then
 * releases everything: BPF objects first (their callbacks point into the
 * instance), then the instance, WASI (closing the guest's descriptors). */
static void run_teardown(struct wasm_bpf_app *app, struct run *r)
{
	atomic_store(&app->inst, NULL);
	while (atomic_load(&app->stoppers))
		sched_yield();
	if (r->bpf)
		bpf_host__free(r->bpf);
	if (r->inst)
		wasm_instance__free(r->inst);
	if (r->wasi)
		wasi_ctx__free(r->wasi);
	if (r->linker)
		wasm_linker__free(r->linker);
}

/* How the call ended, as an exit status. */
static int run_result(struct wasm_bpf_app *app, struct wasm_instance *inst,
		      int status)
{
	const struct wasm_trap *t = wasm_instance__trap(inst);

	if (t) {
		app->trap = *t;
		snprintf(app->trap_func, sizeof(app->trap_func), "%s",
			 t->func_name ? t->func_name : "");
		app->trap.func_name = app->trap_func;
	}
	if (status == WASM_OK) {
		app->end = WASM_BPF_END_EXIT;
		return 0;
	}
	if (status == WASM_EXITED || (t && t->kind == WASM_TRAP_EXIT)) {
		app->end = WASM_BPF_END_EXIT;
		return t ? t->exit_code : 0;
	}
	if (status == WASM_INTERRUPTED && atomic_load(&app->stop_requested) &&
	    (!t || t->kind != WASM_TRAP_OUT_OF_FUEL)) {
		app->end = WASM_BPF_END_STOPPED;
		return 0;
	}
	app->end = WASM_BPF_END_TRAP;
	if (wasm_instance__ro_fault(inst))
		snprintf(app->errmsg, sizeof(app->errmsg),
			 "out of bounds memory access: a write to a read-only "
			 "mapping (a ring buffer's records) outside compiled "
			 "code");
	else if (t && t->message[0])
		snprintf(app->errmsg, sizeof(app->errmsg), "%s", t->message);
	else if (t)
		snprintf(app->errmsg, sizeof(app->errmsg), "%s in %s",
			 wasm_trap_kind_str(t->kind), app->trap_func);
	else
		snprintf(app->errmsg, sizeof(app->errmsg), "%s",
			 wasm_status_str(status));
	return WASM_BPF_EXIT_TRAP;
}

static int run_entry(struct wasm_bpf_app *app, struct run *r)
{
	struct wasm_func *f;

	app->thread = pthread_self();
	atomic_store(&app->inst, r->inst);
	if (atomic_load(&app->paused))
		wasm_instance__interrupt(r->inst);
	/* A stop that came before the instance was visible. */
	if (atomic_load(&app->stop_requested) ||
	    atomic_load(&app->cancel_requested)) {
		app->end = WASM_BPF_END_STOPPED;
		return 0;
	}
	f = wasm_instance__export_func(r->inst, app->entry);
	if (!f || wasm_func__param_count(f) || wasm_func__result_count(f))
		return fail(app,
			    f ? "entry point has parameters or results: "
			      : "module exports no function ",
			    app->entry);
	return run_result(app, r->inst,
			  wasm_func__call(r->inst, f, NULL, 0, NULL, 0));
}

static void wake_noop(int sig)
{
	(void)sig;
}

/* Leaves a handler the embedder installed alone: it interrupts syscalls
 * as well, unless it has SA_RESTART. */
static void wake_install(void)
{
	struct sigaction old, sa = {.sa_handler = wake_noop};

	if (sigaction(WASM_BPF_WAKE_SIGNAL, NULL, &old) ||
	    (old.sa_flags & SA_SIGINFO) ||
	    (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN))
		return;
	sigemptyset(&sa.sa_mask);
	sigaction(WASM_BPF_WAKE_SIGNAL, &sa, NULL);
}

int wasm_bpf_app__run(struct wasm_bpf_app *app)
{
	static pthread_once_t wake_once = PTHREAD_ONCE_INIT;
	struct run r = {0};
	sigset_t wake, mask;
	int status;

	if (!app)
		return -EINVAL;
	if (app->ran)
		return -EALREADY;
	app->ran = true;
	pthread_once(&wake_once, wake_install);
	sigemptyset(&wake);
	sigaddset(&wake, WASM_BPF_WAKE_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &wake, &mask);
	status = run_setup(app, &r);
	if (!status)
		status = run_entry(app, &r);
	run_teardown(app, &r);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return status;
}

/* Both stops: the flag, the instance's own request, and the wake-up of a
 * syscall the guest's thread may be blocked in. */
static void request_stop(struct wasm_bpf_app *app, bool hard)
{
	struct wasm_instance *inst;

	if (!app)
		return;
	atomic_fetch_add(&app->stoppers, 1);
	atomic_store(hard ? &app->stop_requested : &app->cancel_requested, 1);
	inst = atomic_load(&app->inst);
	if (inst) {
		if (hard)
			wasm_instance__interrupt(inst);
		else
			wasm_instance__cancel(inst);
		pthread_kill(app->thread, WASM_BPF_WAKE_SIGNAL);
	}
	atomic_fetch_sub(&app->stoppers, 1);
}

void wasm_bpf_app__stop_graceful(struct wasm_bpf_app *app)
{
	request_stop(app, false);
}

void wasm_bpf_app__stop(struct wasm_bpf_app *app)
{
	request_stop(app, true);
}

uint64_t wasm_bpf_app__lost_events(const struct wasm_bpf_app *app)
{
	return __atomic_load_n(&app->lost_events, __ATOMIC_RELAXED);
}

uint64_t wasm_bpf_app__event_rate(const struct wasm_bpf_app *app,
				  uint64_t *burst)
{
	if (burst)
		*burst = app->opts.event_burst;
	return app->opts.max_event_rate;
}

enum wasm_bpf_end wasm_bpf_app__end(const struct wasm_bpf_app *app)
{
	return app->end;
}

const char *wasm_bpf_app__errmsg(const struct wasm_bpf_app *app)
{
	return app->errmsg;
}

const struct wasm_trap *wasm_bpf_app__trap(const struct wasm_bpf_app *app)
{
	return app->end == WASM_BPF_END_TRAP ? &app->trap : NULL;
}

void wasm_bpf_app__free(struct wasm_bpf_app *app)
{
	if (!app)
		return;
	codecache__store(app->code_later, app->module);
	if (app->module)
		wasm_module__free(app->module);
	strv_free(&app->args);
	strv_free(&app->env);
	strv_free(&app->pre_host);
	strv_free(&app->pre_guest);
	strv_free(&app->spawn);
	free(app->pids);
	free(app->fds);
	free(app->btf_path);
	free(app->btf_cache_dir);
	free(app->go_module);
	free(app->go_export);
	free(app->entry);
	for (int i = 0; i < app->nhfuncs; i++) {
		free(app->hfuncs[i].module);
		free(app->hfuncs[i].name);
		free(app->hfuncs[i].sig);
	}
	free(app->hfuncs);
	bpf_map_share__put(app->share);
	bpf_map_share__put(app->reuse);
	pthread_mutex_destroy(&app->lock);
	pthread_cond_destroy(&app->cond);
	free(app);
}

/* ---- embedding ---------------------------------------------------------- */

static bool reserved_module(const struct wasm_bpf_app *app, const char *m)
{
	return !strcmp(m, "wasi_snapshot_preview1") || !strcmp(m, "wasm_bpf") ||
	       !strcmp(m, app->go_module ? app->go_module : "callback-wrapper");
}

int wasm_bpf_app__add_host_func(struct wasm_bpf_app *app, const char *module,
				const char *name, const char *sig,
				wasm_host_func_t fn, void *user)
{
	struct host_func *h;

	if (!app || !module || !name || !sig || !fn || !strstr(sig, "->"))
		return -EINVAL;
	if (reserved_module(app, module))
		return -EEXIST;
	for (int i = 0; i < app->nhfuncs; i++)
		if (!strcmp(app->hfuncs[i].module, module) &&
		    !strcmp(app->hfuncs[i].name, name))
			return -EEXIST;
	h = realloc(app->hfuncs, (app->nhfuncs + 1) * sizeof(*h));
	if (!h)
		return -ENOMEM;
	app->hfuncs = h;
	h = &h[app->nhfuncs];
	*h = (struct host_func){strdup(module), strdup(name), strdup(sig), fn,
				user};
	if (!h->module || !h->name || !h->sig) {
		free(h->module);
		free(h->name);
		free(h->sig);
		return -ENOMEM;
	}
	app->nhfuncs++;
	return 0;
}

struct wasm_bpf_app *wasm_bpf_app__of(struct wasm_instance *inst)
{
	return inst ? wasm_instance__userdata(inst) : NULL;
}

int wasm_bpf_app__set_stdio(struct wasm_bpf_app *app, int in_fd, int out_fd,
			    int err_fd)
{
	if (!app || in_fd < -1 || out_fd < -1 || err_fd < -1)
		return -EINVAL;
	app->stdio[0] = in_fd;
	app->stdio[1] = out_fd;
	app->stdio[2] = err_fd;
	return 0;
}

int wasm_bpf_app__set_stdio_callbacks(struct wasm_bpf_app *app,
				      wasm_bpf_stdin_fn in,
				      wasm_bpf_stdout_fn out, void *user)
{
	if (!app || app->ran)
		return -EINVAL;
	app->stdin_fn = in;
	app->stdout_fn = out;
	app->stdio_user = user;
	return 0;
}

int wasm_bpf_app__share_maps(struct wasm_bpf_app *app)
{
	if (!app || app->ran)
		return -EINVAL;
	if (!app->share)
		app->share = bpf_map_share__new();
	return app->share ? 0 : -ENOMEM;
}

int wasm_bpf_app__reuse_maps(struct wasm_bpf_app *app,
			     const struct wasm_bpf_app *from)
{
	if (!app || app->ran || !from || !from->share)
		return -EINVAL;
	bpf_map_share__put(app->reuse);
	app->reuse = bpf_map_share__get(from->share);
	return 0;
}

void wasm_bpf_app__hold_events(struct wasm_bpf_app *app, bool hold)
{
	struct timespec ts = {0, 1000000};

	__atomic_store_n(&app->hold.hold, hold, __ATOMIC_SEQ_CST);
	while (hold && __atomic_load_n(&app->hold.delivering, __ATOMIC_SEQ_CST))
		nanosleep(&ts, NULL);
}

void wasm_bpf_app__pause(struct wasm_bpf_app *app)
{
	struct wasm_instance *inst;

	atomic_fetch_add(&app->stoppers, 1);
	atomic_store(&app->paused, 1);
	inst = atomic_load(&app->inst);
	if (inst)
		wasm_instance__interrupt(inst);
	atomic_fetch_sub(&app->stoppers, 1);
}

void wasm_bpf_app__resume(struct wasm_bpf_app *app)
{
	pthread_mutex_lock(&app->lock);
	atomic_store(&app->paused, 0);
	pthread_cond_broadcast(&app->cond);
	pthread_mutex_unlock(&app->lock);
}

int wasm_bpf_app__stats(const struct wasm_bpf_app *app,
			struct wasm_bpf_app_stats *out)
{
	struct wasm_bpf_app *a = (struct wasm_bpf_app *)app;
	const struct bpf_host_stats *b = &app->bpf_stats;
	struct wasm_bpf_app_stats s = {.sz = sizeof(s)};
	struct wasm_instance *inst;

	size_t want = out ? out->sz : 0;

	if (!app || want < offsetof(struct wasm_bpf_app_stats, dropped_events))
		return -EINVAL;
	s.paused = atomic_load(&a->waiting);
	s.events = __atomic_load_n(&b->events, __ATOMIC_RELAXED);
	s.callback_ns = __atomic_load_n(&b->callback_ns, __ATOMIC_RELAXED);
	s.lost_events = wasm_bpf_app__lost_events(app);
	s.progs = __atomic_load_n(&b->progs, __ATOMIC_RELAXED);
	s.maps = __atomic_load_n(&b->maps, __ATOMIC_RELAXED);
	s.links = __atomic_load_n(&b->links, __ATOMIC_RELAXED);
	s.maps_reused = bpf_map_share__reused(app->reuse);
	s.dropped_events = __atomic_load_n(&b->dropped, __ATOMIC_RELAXED);
	s.fuel_left = app->opts.fuel ? app->opts.fuel : UINT64_MAX;
	/* Held like stop() holds it, so the run cannot free it meanwhile. */
	atomic_fetch_add(&a->stoppers, 1);
	inst = atomic_load(&a->inst);
	if (inst)
		wasm_instance__usage(inst, &s.fuel_left, &s.memory_pages);
	atomic_fetch_sub(&a->stoppers, 1);
	s.sz = want < sizeof(s) ? want : sizeof(s);
	memcpy(out, &s, s.sz);
	return 0;
}
