/* wasi.c — the wasi_ctx (arguments, environment, descriptor table), the
 * small process-level calls of wasi_snapshot_preview1 (args, environ,
 * clocks, random, proc, sched) and the definition of all 46 functions on a
 * linker. Descriptor, path and poll/socket calls live in wasi_fd.c,
 * wasi_path.c and wasi_poll.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

/* Setup, linking and teardown run once per instance, not per call:
 * cold, so built for size (README, size). */
#define COLD __attribute__((cold))

/* Reads an opts field only if the caller's struct is recent enough. */
#define OPT(o, f, def)                                                         \
	((o) && (o)->sz >= offsetof(struct wasi_opts, f) + sizeof((o)->f)      \
	     ? (o)->f                                                          \
	     : (def))

/* ---- descriptor table --------------------------------------------------- */

struct wasi_fd *wasi_fd_get(struct wasi_ctx *ctx, uint32_t fd, uint64_t rights,
			    int *werr)
{
	struct wasi_fd *f;

	if (fd >= ctx->nfds || !ctx->fds[fd].used) {
		*werr = WE_BADF;
		return NULL;
	}
	f = &ctx->fds[fd];
	if ((f->rights_base & rights) != rights) {
		*werr = WE_NOTCAPABLE;
		return NULL;
	}
	return f;
}

int wasi_fd_alloc(struct wasi_ctx *ctx, int host, uint8_t type, uint64_t rb,
		  uint64_t ri, uint32_t *out)
{
	uint32_t i;

	for (i = 0; i < ctx->nfds && ctx->fds[i].used; i++)
		;
	if (i == ctx->nfds) {
		uint32_t n = ctx->nfds ? ctx->nfds * 2 : 8;
		struct wasi_fd *t = realloc(ctx->fds, n * sizeof(*t));

		if (!t)
			return WE_NOMEM;
		memset(t + ctx->nfds, 0, (n - ctx->nfds) * sizeof(*t));
		ctx->fds = t;
		ctx->nfds = n;
	}
	ctx->fds[i] = (struct wasi_fd){
	    .used = true,
	    .filetype = type,
	    .host = host,
	    .rights_base = rb,
	    .rights_inheriting = ri,
	    .restore_fl = -1,
	};
	*out = i;
	return 0;
}

void wasi_fd_release(struct wasi_fd *f)
{
	/* The host's stdio shares its open file description with the guest:
	 * a guest-set O_NONBLOCK must not outlive the guest. */
	if (f->restore_fl >= 0 && f->host >= 0)
		fcntl(f->host, F_SETFL, f->restore_fl);
	if (f->dir)
		closedir(f->dir);
	if (f->host >= 0)
		close(f->host);
	free(f->preopen);
	memset(f, 0, sizeof(*f));
	f->host = -1;
	f->restore_fl = -1;
}

uint8_t wasi_filetype(int host, const struct stat *st)
{
	int type = 0;
	socklen_t len = sizeof(type);

	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return WF_REGULAR_FILE;
	case S_IFDIR:
		return WF_DIRECTORY;
	case S_IFCHR:
		return WF_CHARACTER_DEVICE;
	case S_IFBLK:
		return WF_BLOCK_DEVICE;
	case S_IFLNK:
		return WF_SYMBOLIC_LINK;
	case S_IFSOCK:
		if (host >= 0 &&
		    !getsockopt(host, SOL_SOCKET, SO_TYPE, &type, &len) &&
		    type == SOCK_DGRAM)
			return WF_SOCKET_DGRAM;
		return WF_SOCKET_STREAM;
	default: /* FIFOs have no preview1 type */
		return WF_UNKNOWN;
	}
}

void wasi_put_filestat(uint8_t *p, const struct stat *st, uint8_t type)
{
	memset(p, 0, 64);
	put_u64(p, st->st_dev);
	put_u64(p + 8, st->st_ino);
	p[16] = type;
	put_u64(p + 24, st->st_nlink);
	put_u64(p + 32, st->st_size);
	put_u64(p + 40,
		st->st_atim.tv_sec * 1000000000ull + st->st_atim.tv_nsec);
	put_u64(p + 48,
		st->st_mtim.tv_sec * 1000000000ull + st->st_mtim.tv_nsec);
	put_u64(p + 56,
		st->st_ctim.tv_sec * 1000000000ull + st->st_ctim.tv_nsec);
}

/* Rights for a descriptor the guest did not open itself: by what it is. */
uint64_t wasi_type_rights(int host, uint8_t type)
{
	switch (type) {
	case WF_REGULAR_FILE:
		return WR_FILE;
	case WF_DIRECTORY:
		return WR_DIR;
	case WF_SOCKET_STREAM:
	case WF_SOCKET_DGRAM:
		return WR_SOCKET;
	case WF_CHARACTER_DEVICE:
		/* A tty must look like one to isatty(); /dev/null must not. */
		return isatty(host) ? WR_STREAM
				    : WR_STREAM | WR_FD_SEEK | WR_FD_TELL;
	default:
		return WR_STREAM;
	}
}

/* Takes over a dup of `host` as the next guest descriptor. A closed
 * stream (host < 0) still takes its slot, so stdio keeps numbers 0..2;
 * setup_fds frees such slots at the end. */
COLD static int adopt_fd(struct wasi_ctx *ctx, int host, bool stdio)
{
	struct stat st;
	uint32_t fd;
	uint8_t type;
	int h;

	/* A daemon may run with a standard stream closed: so does its guest. */
	if (host < 0 || (stdio && fcntl(host, F_GETFD) < 0 && errno == EBADF))
		return wasi_fd_alloc(ctx, -1, 0, 0, 0, &fd) ? -ENOMEM : 0;
	h = fcntl(host, F_DUPFD_CLOEXEC, 3);
	if (h < 0 || fstat(h, &st)) {
		int e = errno;

		if (h >= 0)
			close(h);
		return -e;
	}
	type = wasi_filetype(h, &st);
	if (wasi_fd_alloc(ctx, h, type, wasi_type_rights(h, type),
			  type == WF_DIRECTORY ? WR_ALL : 0, &fd)) {
		close(h);
		return -ENOMEM;
	}
	ctx->fds[fd].restore_fl = fcntl(h, F_GETFL);
	return 0;
}

static int add_preopen(struct wasi_ctx *ctx, const struct wasi_preopen *p,
		       struct wasm_error *err)
{
	uint32_t fd;
	int h;

	h = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h < 0) {
		int e = errno;

		snprintf(err->msg, sizeof(err->msg), "cannot open --dir %s: %s",
			 p->host_path, strerror(e));
		return -e;
	}
	if (wasi_fd_alloc(ctx, h, WF_DIRECTORY,
			  p->read_only ? WR_DIR_RO : WR_DIR,
			  p->read_only ? WR_READ_ONLY : WR_ALL, &fd)) {
		close(h);
		return -ENOMEM;
	}
	ctx->fds[fd].preopen = strdup(p->guest_path ? p->guest_path : ".");
	return ctx->fds[fd].preopen ? 0 : -ENOMEM;
}

static char **copy_strv(int n, const char *const *v)
{
	char **out = calloc(n + 1, sizeof(*out));
	int i;

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		out[i] = strdup(v[i] ? v[i] : "");
		if (!out[i])
			return NULL; /* leaked on OOM only; ctx setup fails */
	}
	return out;
}

/* Whether standard stream i is served by the embedder's callbacks. */
static bool cb_stream(const struct wasi_ctx *ctx, int i)
{
	return i == 0 ? ctx->cb.read != NULL : ctx->cb.write != NULL;
}

static int setup_fds(struct wasi_ctx *ctx, const struct wasi_opts *o,
		     struct wasm_error *err)
{
	int std[3] = {OPT(o, stdin_fd, 0), OPT(o, stdout_fd, 1),
		      OPT(o, stderr_fd, 2)};
	int np = OPT(o, npreopens, 0), nx = OPT(o, nextra_fds, 0);
	const struct wasi_preopen *pre = OPT(o, preopens, NULL);
	const int *extra = OPT(o, extra_fds, NULL);
	uint32_t fd = 0;
	int i, r;

	for (i = 0; i < 3; i++) {
		if (cb_stream(ctx, i)) {
			if (wasi_fd_alloc(ctx, -1, WF_UNKNOWN, WR_STREAM, 0,
					  &fd))
				return -ENOMEM;
			ctx->fds[fd].cb = i + 1;
			continue;
		}
		r = adopt_fd(ctx, std[i], true);
		if (r) {
			snprintf(err->msg, sizeof(err->msg),
				 "cannot use host fd %d as guest fd %d: %s",
				 std[i], i, strerror(-r));
			return r;
		}
	}
	for (i = 0; i < np; i++) {
		r = add_preopen(ctx, &pre[i], err);
		if (r)
			return r;
	}
	for (i = 0; i < nx; i++) {
		r = adopt_fd(ctx, extra[i], false);
		if (r) {
			snprintf(err->msg, sizeof(err->msg),
				 "cannot hand in host fd %d: %s", extra[i],
				 strerror(-r));
			return r;
		}
	}
	for (i = 0; i < 3; i++)
		if (ctx->fds[i].host < 0 && !ctx->fds[i].cb)
			ctx->fds[i].used = false;
	return 0;
}

COLD struct wasi_ctx *wasi_ctx__new(const struct wasi_opts *opts,
				    struct wasm_error *err)
{
	struct wasm_error dummy;
	struct wasi_ctx *ctx = calloc(1, sizeof(*ctx));
	int r;

	if (!err)
		err = &dummy;
	err->msg[0] = 0;
	if (!ctx) {
		errno = ENOMEM;
		return NULL;
	}
	if (OPT(opts, stdio_cb, NULL))
		ctx->cb = *opts->stdio_cb;
	ctx->argc = OPT(opts, argc, 0);
	ctx->envc = OPT(opts, envc, 0);
	ctx->argv = copy_strv(ctx->argc, OPT(opts, argv, NULL));
	ctx->envp = copy_strv(ctx->envc, OPT(opts, envp, NULL));
	r = ctx->argv && ctx->envp ? setup_fds(ctx, opts, err) : -ENOMEM;
	if (r) {
		if (!err->msg[0])
			snprintf(err->msg, sizeof(err->msg), "wasi setup: %s",
				 strerror(-r));
		wasi_ctx__free(ctx);
		errno = -r;
		return NULL;
	}
	return ctx;
}

static void free_strv(char **v, int n)
{
	int i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

COLD void wasi_ctx__free(struct wasi_ctx *ctx)
{
	uint32_t i;

	if (!ctx)
		return;
	for (i = 0; i < ctx->nfds; i++)
		if (ctx->fds[i].used)
			wasi_fd_release(&ctx->fds[i]);
	free(ctx->fds);
	free(ctx->bindings);
	free_strv(ctx->argv, ctx->argc);
	free_strv(ctx->envp, ctx->envc);
	free(ctx);
}

int wasi_ctx__host_fd(struct wasi_ctx *ctx, uint32_t fd)
{
	if (!ctx || fd >= ctx->nfds || !ctx->fds[fd].used ||
	    ctx->fds[fd].host < 0)
		return -EBADF;
	return ctx->fds[fd].host;
}

/* ---- memory helpers ----------------------------------------------------- */

int wasi_out_u32(struct wasm_instance *inst, uint32_t ptr, uint32_t v)
{
	void *p = wasi_mem(inst, ptr, 4);

	if (!p)
		return WE_FAULT;
	put_u32(p, v);
	return 0;
}

int wasi_out_u64(struct wasm_instance *inst, uint32_t ptr, uint64_t v)
{
	void *p = wasi_mem(inst, ptr, 8);

	if (!p)
		return WE_FAULT;
	put_u64(p, v);
	return 0;
}

struct iovec *wasi_iovecs(struct wasm_instance *inst, uint32_t iovs, uint32_t n)
{
	const uint8_t *g;
	struct iovec *v;
	uint32_t i;

	if (n > UINT32_MAX / 8)
		return NULL;
	g = wasi_mem(inst, iovs, n * 8);
	if (!g)
		return NULL;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t buf = get_u32(g + i * 8), len = get_u32(g + i * 8 + 4);

		v[i].iov_base = wasi_mem(inst, buf, len);
		v[i].iov_len = len;
		if (!v[i].iov_base) {
			free(v);
			return NULL;
		}
	}
	return v;
}

/* ---- args and environ --------------------------------------------------- */

static int strv_sizes(struct wasm_instance *inst, char **v, int n,
		      uint32_t pcount, uint32_t psize)
{
	uint32_t size = 0;
	int i, r;

	for (i = 0; i < n; i++)
		size += strlen(v[i]) + 1;
	r = wasi_out_u32(inst, pcount, n);
	return r ? r : wasi_out_u32(inst, psize, size);
}

static int strv_get(struct wasm_instance *inst, char **v, int n, uint32_t pptrs,
		    uint32_t pbuf)
{
	uint32_t off = 0, len;
	uint8_t *ptrs, *dst;
	int i;

	ptrs = wasi_mem(inst, pptrs, n * 4u);
	if (!ptrs)
		return WE_FAULT;
	for (i = 0; i < n; i++) {
		len = strlen(v[i]) + 1;
		dst = wasi_mem(inst, pbuf + off, len);
		if (!dst || pbuf + off < pbuf)
			return WE_FAULT;
		memcpy(dst, v[i], len);
		put_u32(ptrs + i * 4, pbuf + off);
		off += len;
	}
	return 0;
}

static int args_sizes_get(struct wasi_ctx *c, struct wasm_instance *i,
			  uint64_t *a)
{
	return strv_sizes(i, c->argv, c->argc, a[0], a[1]);
}

static int args_get(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	return strv_get(i, c->argv, c->argc, a[0], a[1]);
}

static int environ_sizes_get(struct wasi_ctx *c, struct wasm_instance *i,
			     uint64_t *a)
{
	return strv_sizes(i, c->envp, c->envc, a[0], a[1]);
}

static int environ_get(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	return strv_get(i, c->envp, c->envc, a[0], a[1]);
}

/* ---- clocks, random, process -------------------------------------------- */

static int clock_of(uint32_t id, clockid_t *out)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
					CLOCK_PROCESS_CPUTIME_ID,
					CLOCK_THREAD_CPUTIME_ID};

	if (id >= sizeof(ids) / sizeof(ids[0]))
		return WE_INVAL;
	*out = ids[id];
	return 0;
}

static int clock_res_get(struct wasi_ctx *c, struct wasm_instance *i,
			 uint64_t *a)
{
	struct timespec ts;
	clockid_t id;
	int r = clock_of(a[0], &id);

	if (r)
		return r;
	if (clock_getres(id, &ts))
		return wasi_errno(errno);
	return wasi_out_u64(i, a[1], ts.tv_sec * 1000000000ull + ts.tv_nsec);
}

static int clock_time_get(struct wasi_ctx *c, struct wasm_instance *i,
			  uint64_t *a)
{
	struct timespec ts;
	clockid_t id;
	int r = clock_of(a[0], &id);

	if (r)
		return r;
	if (clock_gettime(id, &ts))
		return wasi_errno(errno);
	return wasi_out_u64(i, a[2], ts.tv_sec * 1000000000ull + ts.tv_nsec);
}

static int random_get(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	uint8_t *p = wasi_mem(i, a[0], a[1]);
	size_t done = 0, len = (uint32_t)a[1];
	ssize_t n;

	if (!p)
		return WE_FAULT;
	/* Up to 4 GiB takes seconds: the kernel cuts a large request short
	 * when a signal (a stop's wake-up) comes, and only a hard stop ends
	 * the call: a guest cannot go on without its random bytes. */
	while (done < len) {
		if (wasm_instance__interrupt_requested(i))
			return WASI_STOP(WASM_INTERRUPTED);
		n = getrandom(p + done, len - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wasi_errno(errno);
		done += n;
	}
	return 0;
}

static int proc_raise(struct wasi_ctx *c, struct wasm_instance *i, uint64_t *a)
{
	/* Signals to oneself make no sense in the sandbox. */
	return WE_NOTSUP;
}

static int sched_yield_(struct wasi_ctx *c, struct wasm_instance *i,
			uint64_t *a)
{
	sched_yield();
	return 0;
}

static const struct wasi_def wasi_misc_defs[] = {
    {"args_get", "ii->i", args_get},
    {"args_sizes_get", "ii->i", args_sizes_get},
    {"environ_get", "ii->i", environ_get},
    {"environ_sizes_get", "ii->i", environ_sizes_get},
    {"clock_res_get", "ii->i", clock_res_get},
    {"clock_time_get", "iIi->i", clock_time_get},
    {"random_get", "ii->i", random_get},
    {"proc_raise", "i->i", proc_raise},
    {"sched_yield", "->i", sched_yield_},
    {NULL, NULL, NULL},
};

/* ---- definition on a linker --------------------------------------------- */

/* The one trampoline all handlers go through: WASI errno into slot 0, or
 * the run-ending status passed up to the engine. */
static int call_handler(struct wasm_instance *inst, void *user, uint64_t *s,
			const struct wasi_def *d)
{
	struct wasi_ctx *ctx = user;
	int r = d->fn(ctx, inst, s);

	if (r < 0)
		return -r;
	s[0] = (uint32_t)r;
	return WASM_OK;
}

/* The engine hands host functions one user pointer; handlers need both the
 * ctx and their own table entry, so each definition gets a small binding. */
struct wasi_binding {
	struct wasi_ctx *ctx;
	const struct wasi_def *def;
};

static int trampoline(struct wasm_instance *inst, void *user, uint64_t *s)
{
	struct wasi_binding *b = user;

	return call_handler(inst, b->ctx, s, b->def);
}

static int proc_exit(struct wasm_instance *inst, void *user, uint64_t *s)
{
	return wasm_instance__exit(inst, (int32_t)s[0]);
}

static const struct wasi_def *const wasi_groups[] = {
    wasi_misc_defs,
    wasi_fd_defs,
    wasi_path_defs,
    wasi_poll_defs,
};

#define WASI_NGROUPS (sizeof(wasi_groups) / sizeof(wasi_groups[0]))
#define WASI_MAXDEFS 64

/* The bindings live as long as the ctx: freed with it. */
static struct wasi_binding *bindings_for(struct wasi_ctx *ctx)
{
	if (!ctx->bindings)
		ctx->bindings =
		    calloc(WASI_MAXDEFS, sizeof(struct wasi_binding));
	return ctx->bindings;
}

COLD int wasi_ctx__define(struct wasi_ctx *ctx, struct wasm_linker *l)
{
	static const char mod[] = "wasi_snapshot_preview1";
	struct wasi_binding *b = bindings_for(ctx);
	const struct wasi_def *d;
	size_t g, n = 0;
	int r;

	if (!b)
		return -ENOMEM;
	for (g = 0; g < WASI_NGROUPS; g++) {
		for (d = wasi_groups[g]; d->name; d++, n++) {
			if (n >= WASI_MAXDEFS)
				return -E2BIG;
			b[n] = (struct wasi_binding){ctx, d};
			r = wasm_linker__define_func(l, mod, d->name, d->sig,
						     trampoline, &b[n]);
			if (r)
				return r;
		}
	}
	return wasm_linker__define_func(l, mod, "proc_exit", "i->", proc_exit,
					ctx);
}
