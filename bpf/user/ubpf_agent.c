/* ubpf_agent.c — libwasm-bpf-agent.so, which the userspace backend
 * preloads (LD_PRELOAD) into the processes `--spawn` starts. Before main
 * it reads its plan from the descriptor in WASM_BPF_AGENT (written by
 * ubpf_host.c; see there), maps the runtime's BPF object and maps (the
 * same memfds: both sides see the same data), verifies the programs and
 * hooks the functions the plan names that are loaded here. When the
 * runtime goes away (the lifeline pipe reads end-of-file), a thread
 * writes the original code back. Problems are one line on stderr; the
 * process runs on unhooked. `--pid` loads it into a running process
 * instead (ubpf_inject.c calls wasm_bpf_agent_bind, sends the
 * descriptors, then calls wasm_bpf_agent_attach): uprobes only.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bpf/user/ubpf_agent.h"

#define API	    __attribute__((visibility("default")))
#define MAX_MAPS  64
#define MAX_THREADS 4096 /* as many as ubpf_inject.c stops */
#define MAX_HOOKS 64

struct probe {
	char kind[16], prog[64], binary[4096], sym[256];
};

static struct ubpf_object *obj;
static struct ubpf_hook *hooks[MAX_HOOKS];
static int nhooks, nsys;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wasm-bpf agent (pid %d): ", getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *lifeline(void *arg)
{
	int fd = (int)(intptr_t)arg, i;
	ssize_t n;
	char c;

	do
		n = syscall(SYS_read, fd, &c, 1); /* not the traced read */
	while (n > 0 || (n < 0 && errno == EINTR));
	pthread_mutex_lock(&lock);
	ubpf_agent_sys__clear();
	for (i = 0; i < nhooks; i++)
		ubpf_hook__detach(hooks[i]);
	nhooks = nsys = 0;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static struct ubpf_prog *prog_of(const char *name)
{
	struct ubpf_prog *p = ubpf_object__prog(obj, name);
	char log[UBPF_LOG_SIZE];

	if (!p)
		say("no program '%s'", name);
	else if (!p->xinsns && ubpf_prog__verify(p, log, sizeof(log)))
		say("program refused: %s", log), p = NULL;
	return p;
}

/* Hooks every function of the plan once, its entry and return programs
 * together. Functions of files not loaded here are skipped. */
static void hook_all(struct probe *pr, int n)
{
	char log[UBPF_LOG_SIZE];
	int i, j;

	for (i = 0; i < n && nhooks < MAX_HOOKS; i++) {
		struct ubpf_prog *entry = NULL, *ret = NULL;
		size_t size;
		void *fn;

		if (!pr[i].prog[0])
			continue;
		if (!strncmp(pr[i].kind, "sys_", 4))
			continue;
		for (j = i; j < n; j++) {
			if (strcmp(pr[j].binary, pr[i].binary) ||
			    strcmp(pr[j].sym, pr[i].sym) ||
			    !strncmp(pr[j].kind, "sys_", 4))
				continue;
			if (!strcmp(pr[j].kind, "return"))
				ret = prog_of(pr[j].prog);
			else
				entry = prog_of(pr[j].prog);
			if (j > i)
				pr[j].prog[0] = 0;
		}
		if ((!entry && !ret) ||
		    ubpf_sym__resolve(pr[i].binary, pr[i].sym, &fn, &size))
			continue;
		hooks[nhooks] =
		    ubpf_hook__attach(fn, size, entry, ret, log, sizeof(log));
		if (hooks[nhooks])
			nhooks++;
		else
			say("cannot hook %s: %s", pr[i].sym, log);
	}
}

/* After the hooks: finding their functions opens files, which the
 * syscall programs would otherwise see. */
static void trace_syscalls(struct probe *pr, int n)
{
	struct ubpf_prog *p;
	int i;

	for (i = 0; i < n; i++) {
		if (strncmp(pr[i].kind, "sys_", 4) ||
		    !(p = prog_of(pr[i].prog)))
			continue;
		if (ubpf_agent_sys__set(pr[i].sym,
					!strcmp(pr[i].kind, "sys_exit"), p))
			say("system call %s is not traced", pr[i].sym);
		else
			nsys++;
	}
}

/* A descriptor number the plan names: the number itself in a spawned
 * process (inherited there), else the one received in its place. */
static int fd_of(int n, const int *fds, int nfds)
{
	return !fds ? n : n >= 0 && n < nfds ? fds[n] : -1;
}

static int read_plan(FILE *f, struct probe *pr, int *npr, int *maps, int *nmaps,
		     int *objfd, size_t *objlen, int *life, const int *fds,
		     int nfds)
{
	char line[4400];
	int fd;

	while (fgets(line, sizeof(line), f)) {
		struct probe *p = &pr[*npr];

		if (sscanf(line, "object %d %zu", &fd, objlen) == 2)
			*objfd = fd_of(fd, fds, nfds);
		else if (sscanf(line, "map %d", &fd) == 1 && *nmaps < MAX_MAPS)
			maps[(*nmaps)++] = fd_of(fd, fds, nfds);
		else if (sscanf(line, "lifeline %d", &fd) == 1)
			*life = fd_of(fd, fds, nfds);
		else if (*npr < MAX_HOOKS &&
			 sscanf(line, "probe %15s %63s %4095s %255s", p->kind,
				p->prog, p->binary, p->sym) == 4)
			(*npr)++;
	}
	return *objfd >= 0 && *objlen ? 0 : -EINVAL;
}

/* Opens the object over the shared maps and hooks what the plan in
 * descriptor PFD names (FDS: the descriptors received by an injected
 * agent, NULL in a spawned process). Interposed system calls are traced
 * only when preloaded: a library loaded later does not come before
 * libc's. Returns the hooks and traced calls set up, or -errno. */
static int start(int pfd, const int *fds, int nfds, bool preloaded)
{
	static struct probe pr[MAX_HOOKS];
	int maps[MAX_MAPS], nmaps = 0, npr = 0, objfd = -1, life = -1, i;
	size_t objlen = 0;
	char log[UBPF_LOG_SIZE];
	pthread_t t;
	void *elf;
	FILE *f;

	pfd = dup(pfd);
	f = pfd >= 0 ? fdopen(pfd, "r") : NULL;
	if (!f || fseek(f, 0, SEEK_SET) ||
	    read_plan(f, pr, &npr, maps, &nmaps, &objfd, &objlen, &life, fds,
		      nfds)) {
		say("unreadable plan");
		if (f)
			fclose(f);
		else if (pfd >= 0)
			close(pfd);
		return -EINVAL;
	}
	fclose(f);
	elf = mmap(NULL, objlen, PROT_READ, MAP_PRIVATE, objfd, 0);
	obj = elf == MAP_FAILED
		  ? NULL
		  : ubpf_object__open_shared(elf, objlen, maps, nmaps, log,
					     sizeof(log));
	if (elf != MAP_FAILED)
		munmap(elf, objlen);
	if (!obj) {
		say("cannot open the BPF object: %s", log);
		return -EINVAL;
	}
	hook_all(pr, npr);
	if (preloaded)
		trace_syscalls(pr, npr);
	for (i = 0; !preloaded && i < npr; i++)
		if (!strncmp(pr[i].kind, "sys_", 4))
			say("system call %s is traced only in processes "
			    "--spawn starts (preloaded)",
			    pr[i].sym);
	if ((nhooks || nsys) && life >= 0)
		pthread_create(&t, NULL, lifeline, (void *)(intptr_t)life);
	return nhooks + nsys;
}

__attribute__((constructor)) static void agent_start(void)
{
	const char *plan = getenv("WASM_BPF_AGENT");

	if (plan)
		start(atoi(plan), NULL, 0, true);
}

/* ---- injected into a running process (ubpf_inject.c) --------------------- */

/* A datagram socket bound to abstract NAME, for the runtime to send the
 * descriptors to while this process is stopped; it learns each sender's
 * credentials (SO_PASSCRED). */
API int wasm_bpf_agent_bind(const char *name)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t n = strlen(name);
	int s, one = 1;

	if (n + 1 >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path + 1, name, n);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&a,
		 offsetof(struct sockaddr_un, sun_path) + 1 + n)) {
		int err = -errno;

		close(s);
		return err;
	}
	return s;
}

/* The next datagram on SOCK: 1 with its descriptors in FDS and its
 * payload (the stopped threads' instruction pointers) in IPS if process
 * RUNTIME sent it (the kernel vouches for the pid), 0 if another process
 * did (its descriptors closed: anyone may send to an abstract name), or
 * a negative errno when none is left. */
static int take(int sock, pid_t runtime, int *fds, int *n, uint64_t *ips,
		size_t *nips)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE((MAX_MAPS + 3) * sizeof(int)) +
			 CMSG_SPACE(sizeof(struct ucred))];
	} c;
	struct iovec io = {ips, MAX_THREADS * sizeof(*ips)};
	struct msghdr m = {.msg_iov = &io,
			   .msg_iovlen = 1,
			   .msg_control = c.buf,
			   .msg_controllen = sizeof(c.buf)};
	struct cmsghdr *h;
	struct ucred cred = {0};
	ssize_t got;
	int i;

	*n = 0;
	got = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (got < 0)
		return -errno;
	*nips = (size_t)got / sizeof(*ips);
	for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
		if (h->cmsg_level != SOL_SOCKET)
			continue;
		if (h->cmsg_type == SCM_RIGHTS) {
			*n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(h), *n * sizeof(int));
		} else if (h->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&cred, CMSG_DATA(h), sizeof(cred));
		}
	}
	if (cred.pid == runtime && !(m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)))
		return 1;
	for (i = 0; i < *n; i++)
		close(fds[i]);
	*n = 0;
	return cred.pid == runtime ? -EINVAL : 0;
}

/* Takes the descriptors process RUNTIME sent to SOCK (the plan first)
 * and starts. */
API int wasm_bpf_agent_attach(int sock, int runtime)
{
	/* mapped: a stopped thread may hold malloc's lock */
	uint64_t *ips =
	    mmap(NULL, MAX_THREADS * sizeof(*ips), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fds[MAX_MAPS + 3], n = 0, r;
	size_t nips = 0;

	if (ips == MAP_FAILED) {
		close(sock);
		return -ENOMEM;
	}
	while (!(r = take(sock, runtime, fds, &n, ips, &nips)))
		;
	close(sock);
	if (r < 0) {
		munmap(ips, MAX_THREADS * sizeof(*ips));
		return r;
	}
	ubpf_hook__avoid(ips, nips);
	r = n < 3 ? -EINVAL : 0;
	pthread_mutex_lock(&lock);
	if (!r && (nhooks || nsys))
		r = -EBUSY; /* another runtime's agent is active here */
	pthread_mutex_unlock(&lock);
	if (!r)
		r = start(fds[0], fds, n, false);
	ubpf_hook__avoid(NULL, 0);
	munmap(ips, MAX_THREADS * sizeof(*ips));
	if (n > 0)
		close(fds[0]);
	if (n > 1)
		close(fds[1]); /* the object: mapped and parsed by now */
	return r;
}
