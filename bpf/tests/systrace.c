/* systrace.c — the agent's close, read and write tracepoints
 * (ubpf_agent_sys.c linked in, so its definitions interpose libc's for
 * this program as LD_PRELOAD does in a target): sys.bpf.o's programs
 * verified and given to them, then calls on descriptors 77 and 78; the
 * events must be the tracepoints' (number, descriptor, count; result or
 * -errno), the calls' own results unchanged, and none after clearing.
 * Prints PASS/FAIL lines.
 *   systrace sys.bpf.o
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bpf/user/ubpf_agent.h"

struct sys_event {
	int64_t nr, fd, count, ret;
	uint32_t exit, pad;
};

static char got[512];

static int on_event(void *ctx, void *data, size_t size)
{
	const struct sys_event *e = data;
	size_t n = strlen(got);

	if (size == sizeof(*e))
		snprintf(got + n, sizeof(got) - n, "%s %lld %lld %lld; ",
			 e->exit ? "exit" : "enter", (long long)e->nr,
			 (long long)e->fd,
			 (long long)(e->exit ? e->ret : e->count));
	return 0;
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	void *buf = NULL;

	if (fd >= 0 && !fstat(fd, &st) && (buf = malloc(st.st_size)) &&
	    read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	*len = buf ? (size_t)st.st_size : 0;
	if (fd >= 0)
		close(fd);
	return buf;
}

static int setup(struct ubpf_object *o)
{
	static const char *const calls[] = {"close", "read", "write"};
	char name[32], log[UBPF_LOG_SIZE];
	struct ubpf_prog *p;

	for (int i = 0; i < 3; i++)
		for (int x = 0; x < 2; x++) {
			snprintf(name, sizeof(name), "%s_%s",
				 x ? "exit" : "enter", calls[i]);
			p = ubpf_object__prog(o, name);
			if (!p || ubpf_prog__verify(p, log, sizeof(log))) {
				printf(
				    "FAIL: user backend: traced close, read, "
				    "write: %s: %s\n",
				    name, p ? log : "missing");
				return -1;
			}
			ubpf_agent_sys__set(calls[i], x, p);
		}
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = "user backend: traced close, read, write";
	char log[UBPF_LOG_SIZE], buf[8], want[512];
	size_t len;
	void *elf = argc > 1 ? read_file(argv[1], &len) : NULL;
	struct ubpf_object *o =
	    elf ? ubpf_object__open_mem(elf, len, log, sizeof(log)) : NULL;
	ssize_t w, r;
	int c, bad;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!o) {
		printf("FAIL: %s: cannot open the object: %s\n", name,
		       elf ? log : "unreadable");
		return 1;
	}
	if (setup(o))
		return 1;
	dup2(syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR), 77);
	w = write(77, "hello", 5);
	r = read(77, buf, 3); /* /dev/null: end of file */
	c = close(77);
	bad = close(78) == -1 && errno == EBADF;
	write(5, "x", 1); /* outside [70, 80): not recorded */
	ubpf_ring__consume(ubpf_object__map(o, "rb"), on_event, NULL);
	snprintf(want, sizeof(want),
		 "enter %d 77 5; exit %d 77 5; enter %d 77 3; exit %d 77 0; "
		 "enter %d 77 0; exit %d 77 0; enter %d 78 0; exit %d 78 %d; ",
		 SYS_write, SYS_write, SYS_read, SYS_read, SYS_close, SYS_close,
		 SYS_close, SYS_close, -EBADF);
	if (w != 5 || r != 0 || c != 0 || !bad)
		printf("FAIL: %s: results changed: write %zd, read %zd, close "
		       "%d\n",
		       name, w, r, c);
	else if (strcmp(got, want))
		printf("FAIL: %s: events \"%s\", want \"%s\"\n", name, got,
		       want);
	else
		printf(
		    "PASS: %s: the tracepoints' records, results unchanged\n",
		    name);
	ubpf_agent_sys__clear();
	got[0] = 0;
	dup2(0, 79);
	close(79);
	ubpf_ring__consume(ubpf_object__map(o, "rb"), on_event, NULL);
	if (got[0])
		printf("FAIL: %s: events after clearing: %s\n", name, got);
	else
		printf("PASS: %s: none after clearing\n", name);
	ubpf_object__close(o);
	free(elf);
	return 0;
}
