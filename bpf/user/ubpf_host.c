/* ubpf_host.c — the `wasm_bpf` imports over the userspace backend. Objects
 * are loaded (and every uprobe/tracepoint program verified) here; attaching
 * a uprobe records it in a plan; the first poll or map operation starts
 * the `--spawn` commands with the agent preloaded and the plan, the
 * object and the maps' memfds inherited, so the hooks run in those
 * processes and write the maps this host reads. A pipe whose write end
 * only the host holds tells the agents when it is gone.
 *
 * Plan (a memfd of lines): "object FD LEN", "map FD" per map in the
 * object's order, "lifeline FD", "probe KIND PROG BINARY SYMBOL" with KIND
 * entry or return (a uprobe), or sys_enter or sys_exit (BINARY "-",
 * SYMBOL the system call).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bpf/bpf_btfcheck.h"
#include "bpf/bpf_host.h"
#include "bpf/bpf_imports.h"
#include "bpf/bpf_internal.h"
#include "bpf/bpf_rate.h"
#include "bpf/user/ubpf.h"
#include "bpf/user/ubpf_host.h"
#include "bpf/user/ubpf_inject.h"

/* Loading, attaching, spawning, setup and teardown run once per object or
 * instance, not per event: cold, so built for size (README, size). */
#define COLD __attribute__((cold))

#define OBJECT_MAX (256u << 20)
#define MAX_PROBES 64
#define NAME_MAX_  1024
#define TARGET_MAX 4096

struct probe {
	const char *kind; /* entry, return, sys_enter, sys_exit */
	char prog[64];
	char binary[PATH_MAX];
	char sym[256];
};

struct uh_obj {
	uint64_t id;
	struct ubpf_object *o;
	int elf_fd; /* the object's bytes, for the agents */
	size_t len;
	struct probe probes[MAX_PROBES];
	int nprobes;
};

struct ubpf_host {
	bool verbose, spawned, polling;
	char **spawn;
	size_t nspawn;
	pid_t *pids;
	int *targets; /* --pid */
	size_t ntargets;
	char *agent;
	char *go_module, *go_export;
	int life[2]; /* the agents read [0]; only the host holds [1] */
	struct uh_obj **objs;
	size_t nobjs;
	uint64_t next_id;
	bpf_guard_load_fn guard_load;
	bpf_guard_attach_fn guard_attach;
	void *guard_ctx;
	struct bh_rate *rate;	       /* NULL: no limit */
	struct bpf_host_stats *stats; /* NULL: not counted */
};

static struct uh_obj *find_obj(struct ubpf_host *h, uint64_t id)
{
	size_t i;

	for (i = 0; i < h->nobjs; i++)
		if (h->objs[i]->id == id)
			return h->objs[i];
	return NULL;
}

/* The map with descriptor FD, of object O if given. */
static struct ubpf_map *find_map(struct ubpf_host *h, struct uh_obj *o, int fd)
{
	size_t i, k;
	struct ubpf_map *m;

	for (i = 0; i < h->nobjs; i++) {
		if (o && h->objs[i] != o)
			continue;
		for (k = 0; (m = ubpf_object__map_at(h->objs[i]->o, k)); k++)
			if (ubpf_map__fd(m) == fd)
				return m;
	}
	return NULL;
}

static void obj_free(struct uh_obj *o)
{
	if (!o)
		return;
	ubpf_object__close(o->o);
	if (o->elf_fd >= 0)
		close(o->elf_fd);
	free(o);
}

/* ---- spawning ---------------------------------------------------------- */

/* In the spawned processes the agent's descriptors sit at the top of the
 * descriptor range, so the target's own open() get the numbers they get
 * natively: BASE the plan, BASE+1 the object, +2 the lifeline, then the
 * maps. */
static int high_base(size_t nmaps)
{
	struct rlimit rl;
	rlim_t top = 1024;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < top)
		top = rl.rlim_cur;
	return top > nmaps + 3 + 16 ? (int)(top - nmaps - 3) : -1;
}

static size_t map_count(struct uh_obj *o)
{
	size_t k = 0;

	while (ubpf_object__map_at(o->o, k))
		k++;
	return k;
}

COLD static int write_plan(struct uh_obj *o, int base)
{
	int fd = memfd_create("wasm-bpf-plan", MFD_CLOEXEC), i;
	FILE *f;
	size_t k;

	f = fd >= 0 ? fdopen(dup(fd), "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	fprintf(f, "object %d %zu\nlifeline %d\n", base + 1, o->len, base + 2);
	for (k = 0; ubpf_object__map_at(o->o, k); k++)
		fprintf(f, "map %zu\n", base + 3 + k);
	for (i = 0; i < o->nprobes; i++)
		fprintf(f, "probe %s %s %s %s\n", o->probes[i].kind,
			o->probes[i].prog, o->probes[i].binary,
			o->probes[i].sym);
	fclose(f);
	return fd;
}

/* The environment of the spawned processes: ours with the agent
 * preloaded (before any LD_PRELOAD of ours) and WASM_BPF_AGENT naming
 * the plan's descriptor. Made before fork: the child only execs. */
static char **agent_env(const char *agent, int base)
{
	extern char **environ;
	const char *pre = getenv("LD_PRELOAD");
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) &&
		    strncmp(environ[i], "WASM_BPF_AGENT=", 15))
			env[k++] = environ[i];
	if (asprintf(&env[k], "LD_PRELOAD=%s%s%s", agent,
		     pre && *pre ? ":" : "", pre ? pre : "") < 0 ||
	    asprintf(&env[k + 1], "WASM_BPF_AGENT=%d", base) < 0) {
		free(env);
		return NULL;
	}
	return env;
}

static void env_free(char **env)
{
	size_t k = 0;

	if (!env)
		return;
	while (env[k] && strncmp(env[k], "LD_PRELOAD=", 11))
		k++;
	if (env[k])
		free(env[k]), free(env[k + 1]);
	free(env);
}

/* In the child: the descriptors the agent needs, moved up (dup2 leaves
 * them open across exec). */
static void child(struct uh_obj *o, int plan, int life, int base, char **env,
		  const char *cmd)
{
	extern char **environ;
	struct ubpf_map *m;
	size_t k;

	if (env) {
		dup2(plan, base);
		dup2(o->elf_fd, base + 1);
		dup2(life, base + 2);
		for (k = 0; (m = ubpf_object__map_at(o->o, k)); k++)
			dup2(ubpf_map__fd(m), base + 3 + k);
	}
	execle("/bin/sh", "sh", "-c", cmd, (char *)NULL, env ? env : environ);
	_exit(127);
}

/* The agent into each --pid process, with the plan (descriptor numbers:
 * places in what it receives: the plan, the object, the lifeline, the
 * maps) and those descriptors. A process that cannot be hooked is named
 * and left alone. */
COLD static void inject_all(struct ubpf_host *h, struct uh_obj *o)
{
	int fds[3 + 256], plan = write_plan(o, 0), r;
	char why[256];
	struct ubpf_map *m;
	size_t i, n = 3;

	if (plan < 0) {
		fprintf(stderr, "wasm_bpf: user backend: no plan: %s\n",
			strerror(-plan));
		return;
	}
	fds[0] = plan;
	fds[1] = o->elf_fd;
	fds[2] = h->life[0];
	for (i = 0; n < sizeof(fds) / sizeof(fds[0]) &&
		    (m = ubpf_object__map_at(o->o, i));
	     i++)
		fds[n++] = ubpf_map__fd(m);
	for (i = 0; i < h->ntargets; i++) {
		r = ubpf_inject(h->targets[i], h->agent, fds, n, why,
				sizeof(why));
		if (r < 0)
			fprintf(stderr,
				"wasm_bpf: user backend: cannot attach to pid "
				"%d: %s\n",
				h->targets[i], why);
		else if (!r)
			fprintf(stderr,
				"wasm_bpf: user backend: pid %d: none of the "
				"probed functions is loaded there\n",
				h->targets[i]);
		else if (h->verbose)
			fprintf(stderr,
				"wasm_bpf: user backend: agent in pid %d: %d "
				"hooks\n",
				h->targets[i], r);
	}
	close(plan);
}

/* Starts the --spawn commands once, with the probes of the object that
 * has some, and loads the agent into the --pid processes. */
COLD static void spawn_all(struct ubpf_host *h)
{
	struct uh_obj *o = NULL;
	int plan = -1, base = -1;
	char **env = NULL;
	size_t i;

	if (h->spawned || (!h->nspawn && !h->ntargets))
		return;
	h->spawned = true;
	for (i = 0; i < h->nobjs && !o; i++)
		if (h->objs[i]->nprobes)
			o = h->objs[i];
	if (o && !h->agent)
		fprintf(
		    stderr,
		    "wasm_bpf: user backend: no agent library "
		    "(libwasm-bpf-agent.so; WASM_BPF_AGENT_LIB): the spawned "
		    "processes run unhooked\n");
	if (o)
		base = high_base(map_count(o));
	if (o && h->agent && pipe2(h->life, O_CLOEXEC) == 0 && base >= 0)
		plan = write_plan(o, base);
	if (plan >= 0)
		env = agent_env(h->agent, base);
	for (i = 0; i < h->nspawn; i++) {
		pid_t pid = fork();

		if (pid == 0)
			child(o, plan, h->life[0], base, env, h->spawn[i]);
		h->pids[i] = pid;
		if (pid < 0)
			fprintf(
			    stderr,
			    "wasm_bpf: user backend: cannot start '%s': %s\n",
			    h->spawn[i], strerror(errno));
		else if (h->verbose)
			fprintf(stderr, "wasm_bpf: started '%s' (pid %d)\n",
				h->spawn[i], pid);
	}
	env_free(env);
	if (plan >= 0)
		close(plan);
	if (o && h->agent && h->life[0] >= 0)
		inject_all(h, o);
	if (h->life[0] >= 0) {
		close(h->life[0]);
		h->life[0] = -1;
	}
}

static void reap(struct ubpf_host *h)
{
	size_t i;

	for (i = 0; i < h->nspawn; i++)
		if (h->pids[i] > 0 &&
		    waitpid(h->pids[i], NULL, WNOHANG) == h->pids[i])
			h->pids[i] = 0;
}

/* ---- loading ----------------------------------------------------------- */

/* libbpf 1.1 trusts the names, symbols and BTF it parses: vetted first,
 * as the kernel host does. */
static struct ubpf_object *open_checked(const void *elf, size_t len, char *log,
					size_t log_size)
{
	if (btfcheck__elf(elf, len, log, log_size))
		return NULL;
	if (bh_object_check(elf, len)) {
		snprintf(log, log_size,
			 "malformed object: a name, symbol or BTF type refers "
			 "to nothing");
		return NULL;
	}
	return ubpf_object__open_mem(elf, len, log, log_size);
}

/* Every program this backend can run verified; WHY names a refusal. */
static int verify_all(struct ubpf_object *o, char *why, size_t why_len)
{
	char log[UBPF_LOG_SIZE];
	struct ubpf_prog *p;
	size_t i;

	for (i = 0; (p = ubpf_object__prog_at(o, i)); i++) {
		if (p->ctx_size && ubpf_prog__verify(p, log, sizeof(log))) {
			snprintf(why, why_len, "prog '%s': %s", p->name, log);
			return -EACCES;
		}
	}
	return 0;
}

COLD int ubpf_host__vet(const void *elf, size_t len, char *why, size_t why_len)
{
	struct ubpf_object *o;
	char log[UBPF_LOG_SIZE] = "";
	int err;

	if (!len || len > OBJECT_MAX) {
		snprintf(why, why_len, "object of %zu bytes", len);
		return -EINVAL;
	}
	o = open_checked(elf, len, log, sizeof(log));
	if (!o) {
		snprintf(why, why_len, "%s", log);
		return -EINVAL;
	}
	err = verify_all(o, why, why_len);
	ubpf_object__close(o);
	return err;
}

COLD static int64_t load(struct ubpf_host *h, struct wasm_instance *in,
			 uint32_t buf, uint32_t len)
{
	const void *src = len && len <= OBJECT_MAX
			      ? wasm_instance__mem_ptr(in, buf, len)
			      : NULL;
	struct uh_obj *o = NULL, **objs;
	char log[UBPF_LOG_SIZE] = "", why[512];

	if (!src) {
		fprintf(
		    stderr,
		    "wasm_bpf: loading BPF object failed: object at %#x of %u "
		    "bytes is empty, too large or outside guest memory\n",
		    buf, len);
		return 0;
	}
	if (h->guard_load &&
	    h->guard_load(h->guard_ctx, src, len, why, sizeof(why))) {
		fprintf(stderr, "wasm_bpf: %s\n", why);
		return 0;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return 0;
	o->elf_fd = -1;
	objs = realloc(h->objs, (h->nobjs + 1) * sizeof(*objs));
	if (!objs)
		goto fail;
	h->objs = objs;
	o->len = len;
	o->elf_fd = memfd_create("wasm-bpf-object", MFD_CLOEXEC);
	if (o->elf_fd < 0 || write(o->elf_fd, src, len) != (ssize_t)len)
		goto fail;
	o->o = open_checked(src, len, log, sizeof(log));
	if (!o->o) {
		fprintf(
		    stderr,
		    "wasm_bpf: loading BPF object failed: %s (user backend)\n",
		    log);
		goto fail;
	}
	if (verify_all(o->o, why, sizeof(why))) {
		fprintf(stderr,
			"wasm_bpf: loading BPF object failed: %s (user "
			"backend)\n",
			why);
		goto fail;
	}
	o->id = ++h->next_id;
	h->objs[h->nobjs++] = o;
	return o->id;
fail:
	obj_free(o);
	return 0;
}

static int close_obj(struct ubpf_host *h, uint64_t id)
{
	size_t i;

	for (i = 0; i < h->nobjs; i++) {
		if (h->objs[i]->id != id)
			continue;
		obj_free(h->objs[i]);
		h->objs[i] = h->objs[--h->nobjs];
		return 0;
	}
	return -EBADF;
}

/* ---- attaching --------------------------------------------------------- */

static bool prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* The system call a syscalls tracepoint section names, if the agent
 * traces it (by interposing libc's wrappers), else NULL. */
static const char *syscall_of(const char *sec)
{
	static const char *const names[] = {
	    "open", "openat", "execve", "execveat", "close", "read", "write"};
	const char *p = NULL;
	size_t i;

	if (prefix(sec, "tracepoint/syscalls/sys_"))
		p = sec + strlen("tracepoint/syscalls/sys_");
	else if (prefix(sec, "tp/syscalls/sys_"))
		p = sec + strlen("tp/syscalls/sys_");
	if (!p || (!prefix(p, "enter_") && !prefix(p, "exit_")))
		return NULL;
	p = strchr(p, '_') + 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(p, names[i]))
			return p;
	return NULL;
}

bool ubpf_host__attachable(const char *sec)
{
	return prefix(sec, "uprobe") || prefix(sec, "uretprobe") ||
	       syscall_of(sec);
}

/* The policy's verdict on attaching P to T (the guest's string, if any),
 * as the kernel host asks it; a refusal is printed. */
static int guard_attach(struct ubpf_host *h, const struct ubpf_prog *p,
			const char *t)
{
	struct bpf_guard_prog g = {
	    .name = p->name, .section = p->sec, .type = p->type};
	char why[512];

	if (!h->guard_attach || !h->guard_attach(h->guard_ctx, &g, t ? t : "",
						 -1, why, sizeof(why)))
		return 0;
	fprintf(stderr, "wasm_bpf: %s\n", why);
	return -EPERM;
}

/* The probed function must be in its file, as the kernel backend's
 * attach finds it (-ENOENT otherwise), though it is hooked later in other
 * processes. */
static int function_exists(const struct probe *pr)
{
	uint64_t v;
	size_t size;
	int err = ubpf_sym__value(pr->binary, pr->sym, &v, &size);

	if (err)
		fprintf(stderr,
			"wasm_bpf: prog '%s': no function %s in %s (%s)\n",
			pr->prog, pr->sym, pr->binary, strerror(-err));
	return err;
}

/* "/ABSOLUTE/PATH:function" from the target, else from the section. */
static int uprobe_target(const struct ubpf_prog *p, const char *target,
			 struct probe *pr)
{
	const char *t = target && *target ? target : strchr(p->sec, '/');
	const char *colon;

	if (t && t == strchr(p->sec, '/'))
		t++;
	colon = t ? strrchr(t, ':') : NULL;
	if (!t || t[0] != '/' || !colon || colon == t || !colon[1] ||
	    (size_t)(colon - t) >= sizeof(pr->binary) ||
	    strlen(colon + 1) >= sizeof(pr->sym) || strpbrk(t, " \t\n"))
		return -EINVAL;
	memcpy(pr->binary, t, colon - t);
	pr->binary[colon - t] = 0;
	snprintf(pr->sym, sizeof(pr->sym), "%s", colon + 1);
	return 0;
}

static int attach(struct ubpf_host *h, struct wasm_instance *in, uint64_t id,
		  uint32_t name, uint32_t target)
{
	struct uh_obj *o = find_obj(h, id);
	const char *n = wasm_instance__mem_str(in, name, NAME_MAX_);
	const char *t =
	    target ? wasm_instance__mem_str(in, target, TARGET_MAX) : NULL;
	struct ubpf_prog *p;
	struct probe *pr;
	size_t i;
	int err;

	if (!o)
		return -EBADF;
	if (!n || (target && !t))
		return -EFAULT;
	p = ubpf_object__prog(o->o, n);
	if (!p)
		return -ENOENT;
	if (!ubpf_host__attachable(p->sec)) {
		fprintf(
		    stderr,
		    "wasm_bpf: prog '%s': user backend attaches uprobes and "
		    "syscall tracepoints only, not '%s'\n",
		    n, p->sec);
		return -EOPNOTSUPP;
	}
	if ((!h->nspawn && !h->ntargets) || h->spawned) {
		fprintf(
		    stderr,
		    "wasm_bpf: prog '%s': user backend probes take effect in "
		    "processes --spawn starts or --pid names, %s\n",
		    n,
		    h->spawned ? "before the first poll"
			       : "and there are none");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < h->nobjs; i++)
		if (h->objs[i] != o && h->objs[i]->nprobes)
			return -EBUSY; /* the agent takes one object */
	if (o->nprobes == MAX_PROBES)
		return -E2BIG;
	pr = &o->probes[o->nprobes];
	if (syscall_of(p->sec)) {
		pr->kind =
		    strstr(p->sec, "/sys_enter_") ? "sys_enter" : "sys_exit";
		snprintf(pr->binary, sizeof(pr->binary), "-");
		snprintf(pr->sym, sizeof(pr->sym), "%s", syscall_of(p->sec));
	} else if (uprobe_target(p, t, pr)) {
		return -EINVAL;
	} else {
		pr->kind = prefix(p->sec, "uretprobe") ? "return" : "entry";
	}
	snprintf(pr->prog, sizeof(pr->prog), "%s", p->name);
	if (guard_attach(h, p, t))
		return -EPERM;
	if (pr->binary[0] == '/' && (err = function_exists(pr)))
		return err;
	o->nprobes++;
	return 0;
}

/* ---- maps -------------------------------------------------------------- */

static int map_operate(struct ubpf_host *h, struct wasm_instance *in, int fd,
		       int cmd, uint32_t key, uint32_t value, uint32_t next_key,
		       uint64_t flags)
{
	struct ubpf_map *m = find_map(h, NULL, fd);
	const struct ubpf_map_def *d;
	void *k, *v;

	spawn_all(h);
	if (!m)
		return -EBADF;
	d = ubpf_map__def(m);
	k = cmd == BPF_MAP_GET_NEXT_KEY && !key
		? NULL
		: wasm_instance__mem_ptr(in, key, d->key_size);
	if (!k && !(cmd == BPF_MAP_GET_NEXT_KEY && !key))
		return -EFAULT;
	switch (cmd) {
	case BPF_MAP_LOOKUP_ELEM:
	case BPF_MAP_UPDATE_ELEM:
		v = wasm_instance__mem_ptr(in, value,
					   ubpf_map__user_value_size(m));
		if (!v)
			return -EFAULT;
		return cmd == BPF_MAP_LOOKUP_ELEM
			   ? ubpf_map__lookup(m, k, v)
			   : ubpf_map__update(m, k, v, flags);
	case BPF_MAP_DELETE_ELEM:
		return ubpf_map__delete(m, k);
	case BPF_MAP_GET_NEXT_KEY:
		v = wasm_instance__mem_ptr(in, next_key, d->key_size);
		return v ? ubpf_map__next_key(m, k, v) : -EFAULT;
	}
	return -EINVAL;
}

/* ---- polls ------------------------------------------------------------- */

struct delivery {
	struct wasm_instance *in;
	struct wasm_func *fn;
	uint32_t ctx, buf, buf_len;
	void *dst;
	int status, count, ret;
	struct ubpf_host *h;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

static int deliver(void *arg, void *data, size_t size)
{
	struct delivery *d = arg;
	uint32_t n = size < d->buf_len ? (uint32_t)size : d->buf_len;
	uint64_t slots[3] = {d->ctx, d->buf, n};
	int r;

	/* Over the host's rate: consumed, not delivered (bpf_rate.h). */
	if (d->h->rate && !bh_rate__admit(d->h->rate, mono_ns())) {
		__atomic_add_fetch(&d->h->stats->dropped, 1, __ATOMIC_RELAXED);
		return 0;
	}
	memcpy(d->dst, data, n);
	d->count++;
	d->status = wasm_func__call_raw(d->in, d->fn, slots);
	r = (int32_t)(uint32_t)slots[0];
	if (d->status == WASM_OK && !r)
		return 0;
	if (d->status == WASM_OK && r < 0)
		d->ret = r;
	return -ECANCELED;
}

static bool callback_ok(const struct wasm_func *f)
{
	uint32_t i;

	if (wasm_func__param_count(f) != 3 || wasm_func__result_count(f) != 1)
		return false;
	for (i = 0; i < 3; i++)
		if (wasm_func__param_type(f, i) != WASM_I32)
			return false;
	return wasm_func__result_type(f, 0) == WASM_I32;
}

/* The records of ring MAP of object ID; waits up to TIMEOUT ms (negative:
 * forever) for the first, in 1 ms naps: the producers are other processes
 * that cannot wake us. Returns an enum wasm_status. */
static int poll_ring(struct ubpf_host *h, struct wasm_instance *in, uint64_t id,
		     int fd, struct wasm_func *fn, uint32_t ctx, uint32_t buf,
		     uint32_t buf_len, int32_t timeout, int32_t *result)
{
	struct uh_obj *o = find_obj(h, id);
	struct ubpf_map *m = o ? find_map(h, o, fd) : NULL;
	struct delivery d = {in, fn, ctx, buf, buf_len, NULL, WASM_OK, 0, 0, h};
	struct timespec nap = {0, 1000000};
	int32_t waited = 0;
	int n;

	*result = !o || !m ? -EBADF : h->polling ? -EBUSY : -EINVAL;
	if (!o || !m || h->polling || !buf_len || !callback_ok(fn))
		return WASM_OK;
	if (ubpf_map__def(m)->type != BPF_MAP_TYPE_RINGBUF &&
	    ubpf_map__def(m)->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return WASM_OK;
	d.dst = wasm_instance__mem_ptr(in, buf, buf_len);
	*result = -EFAULT;
	if (!d.dst)
		return WASM_OK;
	spawn_all(h);
	h->polling = true;
	for (;;) {
		n = ubpf_ring__consume(m, deliver, &d);
		if (d.status != WASM_OK || n || d.count)
			break;
		if (wasm_instance__interrupt_requested(in)) {
			d.status = WASM_INTERRUPTED;
			break;
		}
		/* A graceful stop: -EINTR, as the kernel backend's poll. */
		if (wasm_instance__cancel_requested(in)) {
			d.ret = -EINTR;
			break;
		}
		if (timeout >= 0 && waited >= timeout)
			break;
		nanosleep(&nap, NULL);
		waited++;
		if (!(waited & 1023))
			reap(h);
	}
	h->polling = false;
	if (h->stats && d.count)
		__atomic_add_fetch(&h->stats->events, d.count,
				   __ATOMIC_RELAXED);
	*result = d.ret ? d.ret : n < 0 && n != -ECANCELED ? n : d.count;
	return d.status;
}

/* ---- host functions ---------------------------------------------------- */

static void set_i32(uint64_t *s, int32_t v)
{
	s[0] = (uint32_t)v;
}

static int hf_load(struct wasm_instance *in, void *user, uint64_t *s)
{
	s[0] = (uint64_t)load(user, in, (uint32_t)s[0], (uint32_t)s[1]);
	return WASM_OK;
}

COLD static int hf_attach(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, attach(user, in, s[0], (uint32_t)s[1], (uint32_t)s[2]));
	return WASM_OK;
}

static int hf_attach_fd(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, find_obj(user, s[0]) ? -EOPNOTSUPP : -EBADF);
	return WASM_OK;
}

static int hf_map_fd_by_name(struct wasm_instance *in, void *user, uint64_t *s)
{
	struct uh_obj *o = find_obj(user, s[0]);
	const char *n = wasm_instance__mem_str(in, (uint32_t)s[1], NAME_MAX_);
	struct ubpf_map *m = o && n ? ubpf_object__map(o->o, n) : NULL;

	set_i32(s, !o ? -EBADF : !n ? -EFAULT : m ? ubpf_map__fd(m) : -ENOENT);
	return WASM_OK;
}

static int hf_map_operate(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, map_operate(user, in, (int32_t)s[0], (int32_t)s[1],
			       (uint32_t)s[2], (uint32_t)s[3], (uint32_t)s[4],
			       s[5]));
	return WASM_OK;
}

static int hf_buffer_lost(struct wasm_instance *in, void *user, uint64_t *s)
{
	struct uh_obj *o = find_obj(user, s[0]);
	struct ubpf_map *m = o ? find_map(user, o, (int32_t)s[1]) : NULL;

	s[0] = m ? ubpf_ring__lost(m) : (uint64_t)(int64_t)-EBADF;
	return WASM_OK;
}

static int hf_close(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, close_obj(user, s[0]));
	return WASM_OK;
}

static int hf_poll(struct wasm_instance *in, void *user, uint64_t *s)
{
	struct wasm_func *fn = wasm_instance__table_func(in, 0, (uint32_t)s[2]);
	int32_t res = -EINVAL;
	int st = WASM_OK;

	if (fn)
		st = poll_ring(user, in, s[0], (int32_t)s[1], fn,
			       (uint32_t)s[3], (uint32_t)s[4], (uint32_t)s[5],
			       (int32_t)s[6], &res);
	s[0] = (uint32_t)res;
	return st;
}

/* Mapped rings are the kernel backend's: -EOPNOTSUPP makes the SDK poll
 * these rings record by record, as a perf buffer. */
static int hf_ring_map(struct wasm_instance *in, void *user, uint64_t *s)
{
	set_i32(s, find_obj(user, s[0]) ? -EOPNOTSUPP : -EBADF);
	return WASM_OK;
}
#define hf_ring_unmap hf_ring_map
#define hf_ring_wait  hf_ring_map
#define hf_ring_done  hf_ring_map

static int hf_go_poll(struct wasm_instance *in, void *user, uint64_t *s)
{
	struct ubpf_host *h = user;
	struct wasm_func *fn = wasm_instance__export_func(in, h->go_export);
	int32_t res = -ENOENT;
	int st = WASM_OK;

	if (fn)
		st = poll_ring(h, in, s[0], (int32_t)s[1], fn, (uint32_t)s[2],
			       (uint32_t)s[3], (uint32_t)s[4], (int32_t)s[5],
			       &res);
	s[0] = (uint32_t)res;
	return st;
}

static const struct bpf_import funcs[] = {BPF_IMPORTS(BPF_IMPORT_ENTRY)};

const struct bpf_import *ubpf_host__imports(wasm_host_func_t *go_poll)
{
	*go_poll = hf_go_poll;
	return funcs;
}

void ubpf_host__start(struct ubpf_host *h)
{
	spawn_all(h);
}

int ubpf_host__define(struct ubpf_host *h, struct wasm_linker *l)
{
	return bpf_imports__define(l, funcs, sizeof(funcs) / sizeof(funcs[0]),
				   h->go_module, hf_go_poll, h);
}

/* ---- lifetime ---------------------------------------------------------- */

/* The agent: the option, $WASM_BPF_AGENT_LIB, or ../lib/ from the binary. */
static char *agent_path(const char *given)
{
	char exe[PATH_MAX], *slash, *p = NULL;
	const char *env = getenv("WASM_BPF_AGENT_LIB");
	ssize_t n;

	if (given || env)
		return realpath(given ? given : env, NULL);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	if (asprintf(&p, "%s/../lib/libwasm-bpf-agent.so", exe) < 0)
		return NULL;
	slash = realpath(p, NULL);
	free(p);
	return slash;
}

COLD struct ubpf_host *ubpf_host__new(const struct ubpf_host_opts *opts)
{
	struct ubpf_host_opts o = {0};
	struct ubpf_host *h = calloc(1, sizeof(*h));
	size_t i;

	if (opts)
		memcpy(&o, opts,
		       opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	if (!h)
		return NULL;
	h->life[0] = h->life[1] = -1;
	h->verbose = o.verbose;
	h->guard_load = o.guard_load;
	h->guard_attach = o.guard_attach;
	h->guard_ctx = o.guard_ctx;
	h->stats = o.stats;
	h->rate = o.rate && o.rate->interval_ns && o.stats ? o.rate : NULL;
	h->agent = agent_path(o.agent_path);
	h->go_module =
	    strdup(o.go_poll_module ? o.go_poll_module : "callback-wrapper");
	h->go_export =
	    strdup(o.go_callback_export ? o.go_callback_export : "go-callback");
	h->spawn = calloc(o.nspawn + 1, sizeof(*h->spawn));
	h->pids = calloc(o.nspawn + 1, sizeof(*h->pids));
	h->targets = calloc(o.npids + 1, sizeof(*h->targets));
	if (!h->go_module || !h->go_export || !h->spawn || !h->pids ||
	    !h->targets) {
		ubpf_host__free(h);
		return NULL;
	}
	if (o.npids)
		memcpy(h->targets, o.pids, o.npids * sizeof(*h->targets));
	h->ntargets = o.npids;
	for (i = 0; i < o.nspawn; i++) {
		h->spawn[i] = strdup(o.spawn[i]);
		if (!h->spawn[i]) {
			ubpf_host__free(h);
			return NULL;
		}
		h->nspawn++;
	}
	return h;
}

COLD void ubpf_host__free(struct ubpf_host *h)
{
	size_t i;

	if (!h)
		return;
	if (h->life[1] >= 0)
		close(h->life[1]); /* the agents unhook */
	if (h->life[0] >= 0)
		close(h->life[0]);
	reap(h);
	for (i = 0; i < h->nobjs; i++)
		obj_free(h->objs[i]);
	for (i = 0; i < h->nspawn; i++)
		free(h->spawn[i]);
	free(h->objs);
	free(h->spawn);
	free(h->pids);
	free(h->targets);
	free(h->agent);
	free(h->go_module);
	free(h->go_export);
	free(h);
}
