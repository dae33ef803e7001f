/* ubpf_inject.c — loading the agent into a running process (`--pid`).
 * Every thread is stopped (PTRACE_SEIZE + PTRACE_INTERRUPT: no signal is
 * sent, so the process sees nothing), so the hooks are written while no
 * thread runs. The main thread is then made to call functions of the
 * process as gdb's `call` does: its registers (and extended state) saved,
 * arguments in rdi/rsi, a return address of 0 so the return faults into a
 * ptrace stop where the result is read, the fault never delivered; then
 * its registers are put back exactly, so a system call it was blocked in
 * restarts. The calls: libc's dlopen of the agent (dlerror's text on
 * failure), dlsym of the agent's two entry points, its bind (a datagram
 * socket with an abstract name), then, after the runtime sent the
 * descriptors there with SCM_RIGHTS, its attach (which takes only a
 * datagram the kernel says this process sent). libc is found in the
 * process's /proc/PID/maps and its symbols read from the file through
 * /proc/PID/root. A stopped thread holding a lock dlopen needs would hang
 * the call: each call has 5 s, after which the thread is interrupted and
 * restored.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bpf/user/ubpf.h"
#include "bpf/user/ubpf_inject.h"

#define MAX_THREADS  4096
#define CALL_MS	     5000
#define XSTATE_BYTES (16u << 10)
#define SCRATCH	     (PATH_MAX + 512) /* strings, below the red zone */

struct tracee {
	pid_t pid;
	pid_t *tids;
	int *sigs; /* a signal each was stopped with, delivered at detach */
	size_t n;
	char *why;
	size_t why_len;
};

__attribute__((format(printf, 2, 3))) static int say(struct tracee *t,
						     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->why, t->why_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- stopping and releasing every thread ------------------------------- */

static bool seized(const struct tracee *t, pid_t tid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->tids[i] == tid)
			return true;
	return false;
}

/* Waits for TID's stop after PTRACE_INTERRUPT; a signal it stopped with
 * first is kept for detach. */
static int wait_stop(pid_t tid, int *sig)
{
	int st;

	for (;;) {
		if (waitpid(tid, &st, __WALL) < 0)
			return -errno;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -ESRCH;
		if (st >> 16 == PTRACE_EVENT_STOP)
			return 0;
		*sig = WSTOPSIG(st); /* a signal-delivery-stop: stopped too */
		return 0;
	}
}

static int seize(struct tracee *t, pid_t tid)
{
	int err;

	if (ptrace(PTRACE_SEIZE, tid, 0, 0))
		return errno == ESRCH ? 0 : -errno; /* a thread that ended */
	t->tids[t->n] = tid;
	t->sigs[t->n] = 0;
	t->n++;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0))
		return -errno;
	err = wait_stop(tid, &t->sigs[t->n - 1]);
	return err == -ESRCH ? 0 : err;
}

/* Until a pass over /proc/PID/task finds no thread not yet stopped (one
 * may start threads meanwhile). */
static int stop_all(struct tracee *t)
{
	char dir[64];
	bool more = true;
	int err = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/task", t->pid);
	while (more && !err) {
		DIR *d = opendir(dir);
		struct dirent *e;

		if (!d)
			return say(t, "no process %d (%s)", t->pid,
				   strerror(errno)),
			       -ESRCH;
		more = false;
		while (!err && (e = readdir(d))) {
			pid_t tid = atoi(e->d_name);

			if (tid <= 0 || seized(t, tid))
				continue;
			if (t->n == MAX_THREADS)
				err = -E2BIG;
			else
				err = seize(t, tid);
			more = true;
		}
		closedir(d);
	}
	if (err == -EPERM)
		say(t,
		    "ptrace refused (%s): not our process, or "
		    "kernel.yama.ptrace_scope forbids it",
		    strerror(-err));
	else if (err)
		say(t, "cannot stop the threads of %d: %s", t->pid,
		    strerror(-err));
	return err;
}

static void release_all(struct tracee *t)
{
	for (size_t i = 0; i < t->n; i++)
		ptrace(PTRACE_DETACH, t->tids[i], 0, t->sigs[i]);
}

/* ---- the main thread's registers and memory ---------------------------- */

struct saved {
	struct user_regs_struct regs;
	uint8_t *xstate; /* NT_X86_XSTATE, or NULL: fpregs */
	size_t xlen;
	struct user_fpregs_struct fp;
};

static int save(pid_t tid, struct saved *s)
{
	struct iovec io;

	if (ptrace(PTRACE_GETREGS, tid, 0, &s->regs))
		return -errno;
	s->xstate = malloc(XSTATE_BYTES);
	io = (struct iovec){s->xstate, XSTATE_BYTES};
	if (s->xstate &&
	    !ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &io)) {
		s->xlen = io.iov_len;
		return 0;
	}
	free(s->xstate);
	s->xstate = NULL;
	return ptrace(PTRACE_GETFPREGS, tid, 0, &s->fp) ? -errno : 0;
}

static void restore(pid_t tid, struct saved *s)
{
	struct iovec io = {s->xstate, s->xlen};

	ptrace(PTRACE_SETREGS, tid, 0, &s->regs);
	if (s->xstate)
		ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &io);
	else
		ptrace(PTRACE_SETFPREGS, tid, 0, &s->fp);
	free(s->xstate);
}

static int poke(pid_t tid, uint64_t at, const void *src, size_t len)
{
	const uint8_t *p = src;

	for (size_t i = 0; i < len; i += 8) {
		long w = 0;

		if (len - i < 8) { /* keep the bytes after the end */
			errno = 0;
			w = ptrace(PTRACE_PEEKDATA, tid, (void *)(at + i), 0);
			if (errno)
				return -errno;
		}
		memcpy(&w, p + i, len - i < 8 ? len - i : 8);
		if (ptrace(PTRACE_POKEDATA, tid, (void *)(at + i), (void *)w))
			return -errno;
	}
	return 0;
}

static void peek_str(pid_t tid, uint64_t at, char *dst, size_t len)
{
	size_t i = 0;

	while (i + 1 < len) {
		long w;

		errno = 0;
		w = ptrace(PTRACE_PEEKDATA, tid, (void *)(at + i), 0);
		if (errno)
			break;
		for (int k = 0; k < 8 && i + 1 < len; k++, i++)
			if (!(dst[i] = (char)(w >> (8 * k))))
				return;
	}
	dst[i] = 0;
}

/* ---- calling a function in the process --------------------------------- */

static int wait_call(struct tracee *t, pid_t tid, uint64_t *ret)
{
	struct timespec nap = {0, 1000000};
	struct user_regs_struct r;
	int st, ms = 0;
	pid_t w;

	for (;;) {
		w = waitpid(tid, &st, __WALL | WNOHANG);
		if (w < 0)
			return say(t, "waitpid: %s", strerror(errno)), -errno;
		if (!w) {
			if (++ms > CALL_MS)
				break;
			nanosleep(&nap, NULL);
			continue;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return say(t, "the process ended during the call"),
			       -ESRCH;
		if (st >> 16 || WSTOPSIG(st) != SIGSEGV) {
			/* a group stop, or another signal: kept for later */
			if (!(st >> 16) && WSTOPSIG(st) != SIGSTOP)
				t->sigs[0] = WSTOPSIG(st);
			ptrace(PTRACE_CONT, tid, 0, 0);
			continue;
		}
		if (ptrace(PTRACE_GETREGS, tid, 0, &r))
			return -errno;
		if (r.rip != 0)
			return say(t, "the call faulted at %#llx", r.rip),
			       -EFAULT;
		*ret = r.rax;
		return 0;
	}
	ptrace(PTRACE_INTERRUPT, tid, 0, 0);
	waitpid(tid, &st, __WALL);
	return say(t,
		   "the call did not return within %d ms (a stopped "
		   "thread holding a lock it needs?)",
		   CALL_MS),
	       -ETIMEDOUT;
}

/* FN(A1, A2) on the main thread, on the stack below SP. */
static int call(struct tracee *t, const struct saved *s, uint64_t sp,
		uint64_t fn, uint64_t a1, uint64_t a2, uint64_t *ret)
{
	struct user_regs_struct r = s->regs;
	pid_t tid = t->tids[0];
	uint64_t zero = 0;
	int err;

	sp = (sp & ~15ull) - 8; /* where a call would put its return */
	err = poke(tid, sp, &zero, 8);
	if (err)
		return say(t, "cannot write its stack: %s", strerror(-err)),
		       err;
	r.rsp = sp;
	r.rip = fn;
	r.rdi = a1;
	r.rsi = a2;
	r.rax = 0;
	r.orig_rax = -1; /* no system call restart on the way out */
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) ||
	    ptrace(PTRACE_CONT, tid, 0, 0))
		return say(t, "ptrace: %s", strerror(errno)), -errno;
	return wait_call(t, tid, ret);
}

/* ---- libc in the process ----------------------------------------------- */

struct libc {
	char path[PATH_MAX + 32]; /* through /proc/PID/root */
	uint64_t bias;
};

static int find_libc(struct tracee *t, struct libc *l)
{
	char maps[64], line[PATH_MAX + 128], file[PATH_MAX];
	unsigned long long start, off;
	FILE *f;
	int found = 0;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", t->pid);
	f = fopen(maps, "re");
	if (!f)
		return say(t, "%s: %s", maps, strerror(errno)), -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *base;

		if (sscanf(line, "%llx-%*[0-9a-f] %*s %llx %*s %*s %4095s",
			   &start, &off, file) != 3 ||
		    off || file[0] != '/')
			continue;
		base = strrchr(file, '/') + 1;
		if (!strncmp(base, "libc.so", 7) ||
		    !strncmp(base, "libc-", 5)) {
			snprintf(l->path, sizeof(l->path), "/proc/%d/root%s",
				 t->pid, file);
			l->bias = start;
			found = 1;
		}
	}
	fclose(f);
	return found
		   ? 0
		   : (say(t, "no libc mapped in process %d (static?)", t->pid),
		      -ENOENT);
}

static int libc_fn(struct tracee *t, const struct libc *l, const char *name,
		   uint64_t *addr)
{
	uint64_t v;
	size_t size;
	int err = ubpf_sym__value(l->path, name, &v, &size);

	if (err)
		return say(t, "no %s in %s: %s", name, l->path, strerror(-err)),
		       err;
	*addr = l->bias + v;
	return 0;
}

/* ---- the agent ----------------------------------------------------------- */

int ubpf_inject__send(const char *name, const int *fds, size_t n,
		      const void *data, size_t data_len)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(256 * sizeof(int))];
	} c;
	struct iovec io = {(void *)data, data_len};
	size_t len = strlen(name);
	struct msghdr m = {.msg_name = &a,
			   .msg_namelen =
			       offsetof(struct sockaddr_un, sun_path) + 1 + len,
			   .msg_iov = &io,
			   .msg_iovlen = 1,
			   .msg_control = c.buf,
			   .msg_controllen = CMSG_SPACE(n * sizeof(int))};
	int s, err = 0;

	if (n > 256 || len + 1 >= sizeof(a.sun_path) || !data_len)
		return -E2BIG;
	memcpy(a.sun_path + 1, name, len);
	c.h.cmsg_level = SOL_SOCKET;
	c.h.cmsg_type = SCM_RIGHTS;
	c.h.cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(&c.h), fds, n * sizeof(int));
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || sendmsg(s, &m, 0) != (ssize_t)data_len)
		err = -errno;
	if (s >= 0)
		close(s);
	return err;
}

/* The descriptors, and where every thread stopped (so the agent hooks
 * no function one of them is inside). */
static int send_fds(struct tracee *t, const struct saved *sv, const char *name,
		    const int *fds, size_t n)
{
	uint64_t *ips = calloc(t->n, sizeof(*ips));
	struct user_regs_struct r;
	size_t k = 0;
	int err;

	if (!ips)
		return say(t, "out of memory"), -ENOMEM;
	ips[k++] = sv->regs.rip;
	for (size_t i = 1; i < t->n; i++)
		if (!ptrace(PTRACE_GETREGS, t->tids[i], 0, &r))
			ips[k++] = r.rip;
	err = ubpf_inject__send(name, fds, n, ips, k * sizeof(*ips));
	free(ips);

	return err ? (say(t, "cannot send the descriptors: %s", strerror(-err)),
		      err)
		   : 0;
}

/* Scratch strings at the top of the area below the red zone. */
struct scratch {
	uint64_t agent, bind, attach, sock;
};

static int write_strings(struct tracee *t, uint64_t at, const char *agent,
			 const char *sock, struct scratch *sc)
{
	const char *s[] = {agent, "wasm_bpf_agent_bind",
			   "wasm_bpf_agent_attach", sock};
	uint64_t *dst[] = {&sc->agent, &sc->bind, &sc->attach, &sc->sock};
	int err = 0;

	for (size_t i = 0; !err && i < 4; i++) {
		*dst[i] = at;
		err = poke(t->tids[0], at, s[i], strlen(s[i]) + 1);
		at += (strlen(s[i]) + 8) & ~7ull;
	}
	return err ? (say(t, "cannot write into the process: %s",
			  strerror(-err)),
		      err)
		   : 0;
}

static int load_agent(struct tracee *t, const struct saved *sv,
		      const char *agent, const int *fds, size_t nfds)
{
	uint64_t top = sv->regs.rsp - 128 - SCRATCH, sp = top - 64;
	uint64_t dlopen_fn, dlsym_fn, dlerror_fn, h, bind_fn, attach_fn, r;
	struct scratch sc;
	struct libc l;
	char sock[80], msg[256];
	uint64_t nonce = 0;
	int err;

	/* unguessable; the agent takes only our datagram anyway */
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce ^= (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
	snprintf(sock, sizeof(sock), "wasm-bpf-agent-%d-%d-%016llx", getpid(),
		 t->pid, (unsigned long long)nonce);
	if ((err = find_libc(t, &l)) ||
	    (err = libc_fn(t, &l, "dlopen", &dlopen_fn)) ||
	    (err = libc_fn(t, &l, "dlsym", &dlsym_fn)) ||
	    (err = libc_fn(t, &l, "dlerror", &dlerror_fn)) ||
	    (err = write_strings(t, top, agent, sock, &sc)) ||
	    (err = call(t, sv, sp, dlopen_fn, sc.agent, RTLD_NOW, &h)))
		return err;
	if (!h) {
		if (!call(t, sv, sp, dlerror_fn, 0, 0, &r) && r)
			peek_str(t->tids[0], r, msg, sizeof(msg));
		else
			snprintf(msg, sizeof(msg), "?");
		return say(t, "dlopen in the process failed: %s", msg), -ENOENT;
	}
	if ((err = call(t, sv, sp, dlsym_fn, h, sc.bind, &bind_fn)) ||
	    (err = call(t, sv, sp, dlsym_fn, h, sc.attach, &attach_fn)))
		return err;
	if (!bind_fn || !attach_fn)
		return say(t, "%s is not the wasm-bpf agent", agent), -ENOENT;
	if ((err = call(t, sv, sp, bind_fn, sc.sock, 0, &r)))
		return err;
	if ((int)r < 0)
		return say(t, "the agent's socket: %s", strerror(-(int)r)),
		       (int)r;
	if ((err = send_fds(t, sv, sock, fds, nfds)) ||
	    (err = call(t, sv, sp, attach_fn, (int)r, getpid(), &r)))
		return err;
	if ((int)r < 0)
		say(t, "the agent refused: %s", strerror(-(int)r));
	return (int)r;
}

int ubpf_inject(pid_t pid, const char *agent, const int *fds, size_t nfds,
		char *why, size_t why_len)
{
	struct tracee t = {.pid = pid, .why = why, .why_len = why_len};
	struct saved sv = {0};
	int err;

	snprintf(why, why_len, "?");
	if (pid <= 0 || pid == getpid())
		return say(&t, "not a process to attach to"), -EINVAL;
	t.tids = calloc(MAX_THREADS, sizeof(*t.tids));
	t.sigs = calloc(MAX_THREADS, sizeof(*t.sigs));
	if (!t.tids || !t.sigs) {
		free(t.tids);
		free(t.sigs);
		return -ENOMEM;
	}
	t.tids[0] = pid; /* the main thread first: it makes the calls */
	t.n = 0;
	err = seize(&t, pid);
	if (!err && !t.n)
		err = -ESRCH;
	if (err == -EPERM)
		say(&t,
		    "ptrace refused (%s): not our process, or "
		    "kernel.yama.ptrace_scope forbids it",
		    strerror(-err));
	else if (err)
		say(&t, "cannot stop process %d: %s", pid, strerror(-err));
	if (!err)
		err = stop_all(&t);
	if (!err && !(err = save(pid, &sv))) {
		err = load_agent(&t, &sv, agent, fds, nfds);
		restore(pid, &sv);
	} else if (!err) {
		say(&t, "cannot read its registers: %s", strerror(errno));
	}
	release_all(&t);
	free(t.tids);
	free(t.sigs);
	return err;
}
