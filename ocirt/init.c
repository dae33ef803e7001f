/* init.c — the container process `create` forks: joins the cgroup, makes
 * the namespaces that apply, hands a terminal to the console socket,
 * loads the module (so a bad one fails `create`), then blocks opening
 * exec.fifo until `start` opens its other end, and runs the guest with
 * the container's stdio. Its exit status is the container's, as for
 * `wasm-bpf`: the guest's code (also when it returns during a graceful
 * stop), 0 when a stop had to interrupt it, 125 if it could not start,
 * 134 on a trap. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ocirt/ocirt.h"
#include "runtime/wasm_bpf.h"

/* Stopping, as `wasm-bpf` does: the first SIGTERM/SIGINT asks the guest
 * to wind down (graceful), a second one, or STOP_GRACE_S later, interrupts
 * it. The request is repeated every tick until the run returns, so a
 * wake-up that missed a syscall does not leave the guest blocked. The
 * container manager's own stop timeout (SIGKILL) comes after. */
#define STOP_GRACE_S 5
#define STOP_TICK_NS 100000000L

static struct wasm_bpf_app *g_app;
static volatile sig_atomic_t g_phase; /* 0 running, 1 graceful, 2 hard */
static volatile sig_atomic_t g_ticks;
static timer_t g_timer;

static void on_stop(int sig)
{
	if (sig == SIGALRM) {
		if (++g_ticks >= STOP_GRACE_S * (1000000000L / STOP_TICK_NS))
			g_phase = 2;
	} else if (g_phase++ == 0) {
		struct itimerspec it = {{0, STOP_TICK_NS}, {0, STOP_TICK_NS}};
		timer_settime(g_timer, 0, &it, NULL);
	} else {
		g_phase = 2;
	}
	if (g_phase == 1)
		wasm_bpf_app__stop_graceful(g_app);
	else
		wasm_bpf_app__stop(g_app);
}

static void __attribute__((noreturn)) fail(int ready)
{
	(void)!write(ready, "\1", 1);
	_exit(WASM_BPF_EXIT_ERROR);
}

/* Only stdio, the preserved descriptors and the two this process still
 * needs stay open: nothing of the caller's (conmon's pipes) may be held
 * for the guest's lifetime. */
static void close_others(int keep_from, int a, int b)
{
	unsigned lo = keep_from, x = a < b ? a : b, y = a < b ? b : a;

	if (lo < x)
		close_range(lo, x - 1, 0);
	if (x + 1 < y && lo < y)
		close_range(x + 1 > lo ? x + 1 : lo, y - 1, 0);
	close_range(y + 1 > lo ? y + 1 : lo, ~0U, 0);
}

static int namespaces(const struct ocirt_spec *s)
{
	if (s->unshare_flags && unshare(s->unshare_flags))
		return ocirt_err("unshare: %s", strerror(errno));
	/* Nothing the runtime mounts may reach the host's tree. */
	if (s->unshare_flags & CLONE_NEWNS &&
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return ocirt_err("private mounts: %s", strerror(errno));
	if (s->unshare_flags & CLONE_NEWUTS && s->hostname &&
	    sethostname(s->hostname, strlen(s->hostname)))
		return ocirt_err("sethostname: %s", strerror(errno));
	return 0;
}

/* The process keeps only the spec's capabilities: the bounding set, and
 * effective = permitted = effective within it. Last, as making the
 * namespaces and joining the cgroup need more. */
static int drop_caps(const struct ocirt_spec *s)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	unsigned long long eff = s->caps_eff & s->caps_bnd;

	for (int c = 0; c < 64; c++)
		if (!(s->caps_bnd >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) &&
		    errno != EINVAL)
			return ocirt_err("dropping capability %d: %s", c,
					 strerror(errno));
	d[0].effective = d[0].permitted = (uint32_t)eff;
	d[1].effective = d[1].permitted = (uint32_t)(eff >> 32);
	if (syscall(SYS_capset, &h, d))
		return ocirt_err("capset: %s", strerror(errno));
	return 0;
}

/* runc's protocol: the pty master goes to the console socket as
 * SCM_RIGHTS; the slave becomes stdio and the controlling terminal. */
static int terminal(const char *sock_path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char cbuf[CMSG_SPACE(sizeof(int))] = {0}, byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int m, sl, sk;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) || unlockpt(m) ||
	    (sl = open(ptsname(m), O_RDWR | O_NOCTTY)) < 0)
		return ocirt_err("allocating a terminal: %s", strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0 || connect(sk, (struct sockaddr *)&sa, sizeof(sa)))
		return ocirt_err("console socket %s: %s", sock_path,
				 strerror(errno));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &m, sizeof(int));
	if (sendmsg(sk, &mh, 0) < 0)
		return ocirt_err("console socket %s: %s", sock_path,
				 strerror(errno));
	close(sk);
	close(m);
	ioctl(sl, TIOCSCTTY, 0);
	for (int fd = 0; fd < 3; fd++)
		dup2(sl, fd);
	if (sl > 2)
		close(sl);
	return 0;
}

static struct wasm_bpf_app *load(const struct ocirt_spec *s, int preserve_fds)
{
	struct wasm_bpf_app_opts o = {.sz = sizeof(o)};
	struct wasm_error err = {{0}};
	struct wasm_bpf_app *app;
	char path[64];
	int fd = ocirt_spec_open_module(s), r;

	if (fd < 0) {
		ocirt_err("%s in %s: %s", s->args[0], s->root, strerror(errno));
		return NULL;
	}
	/* As `wasm-bpf` does for root: cgroup programs may name paths. */
	o.allow_cgroup_paths = geteuid() == 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	app = wasm_bpf_app__open_file(path, &o, &err);
	close(fd);
	if (!app) {
		ocirt_err("%s: %s", s->args[0], err.msg);
		return NULL;
	}
	r = wasm_bpf_app__set_args(app, s->nargs, (const char *const *)s->args);
	for (int i = 0; !r && i < s->nenv; i++)
		r = wasm_bpf_app__add_env(app, s->env[i]);
	/* The image's files, then the binds over them. */
	if (!r)
		r = wasm_bpf_app__add_preopen(app, s->root, "/");
	for (int i = 0; !r && i < s->nmounts; i++)
		r = wasm_bpf_app__add_preopen(app, s->mounts[i].src,
					      s->mounts[i].dst);
	for (int i = 0; !r && i < preserve_fds; i++)
		r = wasm_bpf_app__add_fd(app, 3 + i);
	if (r) {
		ocirt_err("configuring the guest: %s", strerror(-r));
		wasm_bpf_app__free(app);
		return NULL;
	}
	return app;
}

static int wait_start(int dir_fd)
{
	char b;
	int fd = openat(dir_fd, "exec.fifo", O_RDONLY | O_CLOEXEC);

	close(dir_fd);
	if (fd < 0)
		return -1;
	/* EOF without a byte: `delete` of a created container. */
	if (read(fd, &b, 1) != 1)
		return -1;
	close(fd);
	return 0;
}

static int run(struct wasm_bpf_app *app)
{
	struct sigaction sa = {.sa_handler = on_stop};
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGALRM};
	int status;

	g_app = app;
	if (timer_create(CLOCK_MONOTONIC, &sev, &g_timer)) {
		ocirt_err("cannot create a timer: %s", strerror(errno));
		return WASM_BPF_EXIT_ERROR;
	}
	/* No SA_RESTART: a syscall the guest is blocked in sees EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	/* A closed pipe is the guest's error to handle. */
	signal(SIGPIPE, SIG_IGN);
	status = wasm_bpf_app__run(app);
	switch (wasm_bpf_app__end(app)) {
	case WASM_BPF_END_TRAP:
		fprintf(stderr, "wasm-bpf: trap: %s\n", wasm_bpf_app__errmsg(app));
		return WASM_BPF_EXIT_TRAP;
	case WASM_BPF_END_ERROR:
		fprintf(stderr, "wasm-bpf: %s\n", wasm_bpf_app__errmsg(app));
		return WASM_BPF_EXIT_ERROR;
	case WASM_BPF_END_STOPPED:
		return 0;
	default: /* returned, maybe wound down by a graceful stop */
		return status;
	}
}

void ocirt_init(struct ocirt_spec *s, const struct ocirt_state *st,
		const char *console, int ready, int dir_fd, int preserve_fds)
{
	struct wasm_bpf_app *app;
	int status;

	setsid();
	close_others(3 + preserve_fds, ready, dir_fd);
	if (ocirt_cgroup_join(st->cgroup, getpid()) ||
	    namespaces(s) || (s->terminal && terminal(console)) ||
	    drop_caps(s))
		fail(ready);
	if (s->no_new_privs)
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (!(app = load(s, preserve_fds)))
		fail(ready);
	(void)!write(ready, "", 1);
	close(ready);
	if (wait_start(dir_fd))
		_exit(WASM_BPF_EXIT_ERROR);
	status = run(app);
	wasm_bpf_app__free(app);
	ocirt_spec_free(s);
	fflush(stdout);
	_exit(status);
}
