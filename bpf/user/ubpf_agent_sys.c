/* ubpf_agent_sys.c — syscall tracepoints in the agent's process: libc's
 * wrappers of the traced calls are interposed; each runs the sys_enter
 * program on a tracepoint record (common fields, syscall number, six
 * arguments, as the kernel lays out struct trace_event_raw_sys_enter),
 * calls libc's function, then the sys_exit program (number, result as the
 * kernel returns it: -errno on failure).
 *
 * Traced: open, openat (and their 64-bit and fortified names), execve,
 * execveat and the exec family built on them (execv, execvp, execvpe,
 * execl, execlp, execle, fexecve: as sys_enter_execve with the arguments
 * the caller gave; a successful exec has no sys_exit here, the kernel
 * reports it in the new image), close, read, write. Calls libc makes
 * internally (fopen's open, stdio's read and write, execvp's attempts
 * along PATH) bypass these names and are not seen; the kernel's
 * tracepoints see them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bpf/user/ubpf_agent.h"

#define API __attribute__((visibility("default")))

enum {
	SC_OPEN,
	SC_OPENAT,
	SC_EXECVE,
	SC_EXECVEAT,
	SC_CLOSE,
	SC_READ,
	SC_WRITE,
	SC_COUNT
};

static struct {
	const char *name;
	long nr;
	struct ubpf_prog *enter, *exit;
} calls[SC_COUNT] = {
    [SC_OPEN] = {.name = "open", .nr = SYS_open},
    [SC_OPENAT] = {.name = "openat", .nr = SYS_openat},
    [SC_EXECVE] = {.name = "execve", .nr = SYS_execve},
    [SC_EXECVEAT] = {.name = "execveat", .nr = SYS_execveat},
    [SC_CLOSE] = {.name = "close", .nr = SYS_close},
    [SC_READ] = {.name = "read", .nr = SYS_read},
    [SC_WRITE] = {.name = "write", .nr = SYS_write},
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
	/* maybe a vfork child (it closes, dups and execs): its ids must not
	 * stay in the cache its parent reads */
	ubpf_ids__forget();
	ctx[0] = (uint64_t)(uint32_t)getpid() << 32;
	ctx[1] = nr;
	memcpy(&ctx[2], vals, n * sizeof(long));
	ubpf_prog__run(p, ctx);
	ubpf_ids__forget();
	busy = false;
	errno = saved;
}

static void enter(int sc, const long *args, int n)
{
	run(calls[sc].enter, calls[sc].nr, args, n);
}

static long done(int sc, long r)
{
	long ret = r < 0 ? -errno : r;

	run(calls[sc].exit, calls[sc].nr, &ret, 1);
	return r;
}

/* libc's own function NAME (the next in lookup order after us). */
static void *next(void **cache, const char *name)
{
	if (!*cache)
		*cache = dlsym(RTLD_NEXT, name);
	if (!*cache)
		errno = ENOSYS;
	return *cache;
}

#define NEXT(type, name)                                                       \
	static void *name##_cache;                                             \
	type fn = (type)next(&name##_cache, #name);                            \
	if (!fn)                                                               \
	return -1

/* ---- open, openat ------------------------------------------------------ */

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

/* Every name goes to libc's open or openat (the fortified ones only add
 * a check of the arguments). */
static int do_open(const char *path, int flags, mode_t mode)
{
	long args[3] = {(long)path, flags, mode};
	NEXT(open_fn, open);

	enter(SC_OPEN, args, 3);
	return done(SC_OPEN, fn(path, flags, mode));
}

static int do_openat(int dfd, const char *path, int flags, mode_t mode)
{
	long args[4] = {dfd, (long)path, flags, mode};
	NEXT(openat_fn, openat);

	enter(SC_OPENAT, args, 4);
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

/* ---- close, read, write ------------------------------------------------ */

typedef int (*close_fn)(int);
typedef ssize_t (*rw_fn)(int, void *, size_t);

API int close(int fd)
{
	long args[1] = {fd};
	NEXT(close_fn, close);

	enter(SC_CLOSE, args, 1);
	return done(SC_CLOSE, fn(fd));
}

API ssize_t read(int fd, void *buf, size_t count)
{
	long args[3] = {fd, (long)buf, (long)count};
	NEXT(rw_fn, read);

	enter(SC_READ, args, 3);
	return done(SC_READ, fn(fd, buf, count));
}

API ssize_t write(int fd, const void *buf, size_t count)
{
	long args[3] = {fd, (long)buf, (long)count};
	NEXT(rw_fn, write);

	enter(SC_WRITE, args, 3);
	return done(SC_WRITE, fn(fd, (void *)buf, count));
}

/* ---- the exec family --------------------------------------------------- */

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[],
			   int);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);

/* sys_enter_execve of PATH, ARGV, ENVP; the exit program only sees a
 * failure (a successful exec does not return here). */
static void exec_enter(const char *path, char *const argv[], char *const envp[])
{
	long args[3] = {(long)path, (long)argv, (long)envp};

	enter(SC_EXECVE, args, 3);
}

API int execve(const char *path, char *const argv[], char *const envp[])
{
	NEXT(execve_fn, execve);

	exec_enter(path, argv, envp);
	return done(SC_EXECVE, fn(path, argv, envp));
}

API int execveat(int dfd, const char *path, char *const argv[],
		 char *const envp[], int flags)
{
	long args[5] = {dfd, (long)path, (long)argv, (long)envp, flags};
	NEXT(execveat_fn, execveat);

	enter(SC_EXECVEAT, args, 5);
	return done(SC_EXECVEAT, fn(dfd, path, argv, envp, flags));
}

/* fexecve is execveat(fd, "", ..., AT_EMPTY_PATH) to the kernel. */
API int fexecve(int fd, char *const argv[], char *const envp[])
{
	long args[5] = {fd, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH};
	NEXT(fexecve_fn, fexecve);

	enter(SC_EXECVEAT, args, 5);
	return done(SC_EXECVEAT, fn(fd, argv, envp));
}

API int execv(const char *path, char *const argv[])
{
	extern char **environ;

	return execve(path, argv, environ);
}

typedef int (*execvpe_fn)(const char *, char *const[], char *const[]);

API int execvpe(const char *file, char *const argv[], char *const envp[])
{
	NEXT(execvpe_fn, execvpe);

	exec_enter(file, argv, envp);
	return done(SC_EXECVE, fn(file, argv, envp));
}

API int execvp(const char *file, char *const argv[])
{
	extern char **environ;

	return execvpe(file, argv, environ);
}

/* The arguments of an execl* call as an array (on the heap: an exec that
 * fails returns, and the caller may go on). */
static char **list_args(const char *arg0, va_list ap, char ***envp)
{
	va_list cp;
	size_t n = 1, i;
	char **v;

	va_copy(cp, ap);
	while (va_arg(cp, char *))
		n++;
	va_end(cp);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	v[0] = (char *)arg0;
	for (i = 1; i < n; i++)
		v[i] = va_arg(ap, char *);
	(void)va_arg(ap, char *); /* the terminating NULL */
	if (envp)
		*envp = va_arg(ap, char **);
	return v;
}

#define EXEC_LIST(call, envp)                                                  \
	do {                                                                   \
		va_list ap;                                                    \
		char **v;                                                      \
		int r, e;                                                      \
		va_start(ap, arg);                                             \
		v = list_args(arg, ap, envp);                                  \
		va_end(ap);                                                    \
		if (!v) {                                                      \
			errno = ENOMEM;                                        \
			return -1;                                             \
		}                                                              \
		r = call;                                                      \
		e = errno;                                                     \
		free(v);                                                       \
		errno = e;                                                     \
		return r;                                                      \
	} while (0)

API int execl(const char *path, const char *arg, ...)
{
	extern char **environ;

	EXEC_LIST(execve(path, v, environ), NULL);
}

API int execlp(const char *file, const char *arg, ...)
{
	extern char **environ;

	EXEC_LIST(execvpe(file, v, environ), NULL);
}

API int execle(const char *path, const char *arg, ...)
{
	char **envp = NULL;

	EXEC_LIST(execve(path, v, envp), &envp);
}
