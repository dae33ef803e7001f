/* ubpf_agent_sys.c — syscall tracepoints in the agent's process: libc's
 * open and openat wrappers (and their 64-bit and fortified names) are
 * interposed; each runs the sys_enter program on a tracepoint record
 * (common fields, syscall number, six arguments), calls libc's function,
 * then the sys_exit program (number, result as the kernel returns it:
 * -errno on failure). Calls libc makes internally (fopen's) bypass these
 * names and are not seen.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bpf/user/ubpf_agent.h"

#define API __attribute__((visibility("default")))

enum { SC_OPEN, SC_OPENAT, SC_COUNT };

static struct {
	const char *name;
	long nr;
	struct ubpf_prog *enter, *exit;
} calls[SC_COUNT] = {
    [SC_OPEN] = {.name = "open", .nr = SYS_open},
    [SC_OPENAT] = {.name = "openat", .nr = SYS_openat},
};

static __thread bool busy; /* a program's helper making a traced call */

int ubpf_agent_sys__set(const char *name, bool exit, struct ubpf_prog *p)
{
	int i;

	for (i = 0; i < SC_COUNT; i++) {
		if (strcmp(calls[i].name, name))
			continue;
		if (exit)
			calls[i].exit = p;
		else
			calls[i].enter = p;
		return 0;
	}
	return -ENOENT;
}

void ubpf_agent_sys__clear(void)
{
	int i;

	for (i = 0; i < SC_COUNT; i++)
		calls[i].enter = calls[i].exit = NULL;
}

/* struct trace_event_raw_sys_enter / _sys_exit: 8 bytes of common
 * fields (the pid at offset 4), the number, then args[6] or ret. */
static void run(struct ubpf_prog *p, long nr, const long *vals, int n)
{
	uint64_t ctx[8] = {0};
	int saved = errno;

	if (!p || busy)
		return;
	busy = true;
	ctx[0] = (uint64_t)(uint32_t)getpid() << 32;
	ctx[1] = nr;
	memcpy(&ctx[2], vals, n * sizeof(long));
	ubpf_prog__run(p, ctx);
	busy = false;
	errno = saved;
}

static int done(int sc, int r)
{
	long ret = r < 0 ? -errno : r;

	run(calls[sc].exit, calls[sc].nr, &ret, 1);
	return r;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

/* Every name goes to libc's open or openat (the fortified ones only add
 * a check of the arguments). */
static int do_open(const char *path, int flags, mode_t mode)
{
	static open_fn fn;
	long args[3] = {(long)path, flags, mode};

	if (!fn)
		fn = (open_fn)dlsym(RTLD_NEXT, "open");
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	run(calls[SC_OPEN].enter, SYS_open, args, 3);
	return done(SC_OPEN, fn(path, flags, mode));
}

static int do_openat(int dfd, const char *path, int flags, mode_t mode)
{
	static openat_fn fn;
	long args[4] = {dfd, (long)path, flags, mode};

	if (!fn)
		fn = (openat_fn)dlsym(RTLD_NEXT, "openat");
	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	run(calls[SC_OPENAT].enter, SYS_openat, args, 4);
	return done(SC_OPENAT, fn(dfd, path, flags, mode));
}

static mode_t mode_arg(int flags, va_list ap)
{
	return flags & (O_CREAT | O_TMPFILE) ? va_arg(ap, int) : 0;
}

API int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return do_open(path, flags, m);
}

API int open64(const char *path, int flags, ...) __attribute__((alias("open")));

API int openat(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, flags);
	m = mode_arg(flags, ap);
	va_end(ap);
	return do_openat(dfd, path, flags, m);
}

API int openat64(int dfd, const char *path, int flags, ...)
    __attribute__((alias("openat")));

API int __open_2(const char *path, int flags)
{
	return do_open(path, flags, 0);
}

API int __openat_2(int dfd, const char *path, int flags)
{
	return do_openat(dfd, path, flags, 0);
}
