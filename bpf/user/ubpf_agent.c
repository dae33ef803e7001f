/* ubpf_agent.c — libwasm-bpf-agent.so, which the userspace backend
 * preloads (LD_PRELOAD) into the processes `--spawn` starts. Before main
 * it reads its plan from the descriptor in WASM_BPF_AGENT (written by
 * ubpf_host.c; see there), maps the runtime's BPF object and maps (the
 * same memfds: both sides see the same data), verifies the programs and
 * hooks the functions the plan names that are loaded here. When the
 * runtime goes away (the lifeline pipe reads end-of-file), a thread
 * writes the original code back. Problems are one line on stderr; the
 * process runs on unhooked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bpf/user/ubpf_agent.h"

#define MAX_MAPS  64
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
	nhooks = 0;
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

static int read_plan(FILE *f, struct probe *pr, int *npr, int *maps, int *nmaps,
		     int *objfd, size_t *objlen, int *life)
{
	char line[4400];
	int fd;

	while (fgets(line, sizeof(line), f)) {
		struct probe *p = &pr[*npr];

		if (sscanf(line, "object %d %zu", objfd, objlen) == 2)
			continue;
		if (sscanf(line, "map %d", &fd) == 1 && *nmaps < MAX_MAPS)
			maps[(*nmaps)++] = fd;
		else if (sscanf(line, "lifeline %d", life) == 1)
			continue;
		else if (*npr < MAX_HOOKS &&
			 sscanf(line, "probe %15s %63s %4095s %255s", p->kind,
				p->prog, p->binary, p->sym) == 4)
			(*npr)++;
	}
	return *objfd >= 0 && *objlen ? 0 : -EINVAL;
}

__attribute__((constructor)) static void agent_start(void)
{
	static struct probe pr[MAX_HOOKS];
	const char *plan = getenv("WASM_BPF_AGENT");
	int maps[MAX_MAPS], nmaps = 0, npr = 0, objfd = -1, life = -1, pfd;
	size_t objlen = 0;
	char log[UBPF_LOG_SIZE];
	pthread_t t;
	void *elf;
	FILE *f;

	if (!plan)
		return;
	pfd = dup(atoi(plan));
	f = pfd >= 0 ? fdopen(pfd, "r") : NULL;
	if (!f || fseek(f, 0, SEEK_SET) ||
	    read_plan(f, pr, &npr, maps, &nmaps, &objfd, &objlen, &life)) {
		say("unreadable plan in descriptor %s", plan);
		if (f)
			fclose(f);
		return;
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
		return;
	}
	hook_all(pr, npr);
	trace_syscalls(pr, npr);
	if ((nhooks || nsys) && life >= 0)
		pthread_create(&t, NULL, lifeline, (void *)(intptr_t)life);
}
