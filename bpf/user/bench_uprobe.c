/* bench_uprobe.c — what a uprobe costs per call of the probed function:
 * the kernel's (libbpf attach, breakpoint trap) against the userspace
 * backend's (trampoline + interpreter), the same program of the same
 * object on the same function, its ring buffer drained as it goes. Prints
 * one line per mode and the ratio. Usage (root for the kernel part):
 *   bench-uprobe OBJECT.bpf.o PROGRAM RINGBUF_MAP [CALLS]
 * e.g. build/examples/uprobe/uprobe.bpf.o uprobe_add events.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "bpf/user/ubpf.h"

static char obj_buf[4 << 20];
static size_t obj_len;

__attribute__((noinline)) int bench_target(int a, int b)
{
	volatile int x = a;

	return x + b;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int drop(void *ctx, void *data, size_t size)
{
	return 0;
}

/* ns per call of N calls, draining with DRAIN every 256 calls. */
static double run(long n, void (*drain)(void *), void *arg)
{
	int (*volatile call)(int, int) = bench_target;
	double t = now_ns();
	long i;

	for (i = 0; i < n; i++) {
		call(i, 1);
		if (drain && (i & 255) == 255)
			drain(arg);
	}
	return (now_ns() - t) / n;
}

static void user_drain(void *m)
{
	ubpf_ring__consume(m, drop, NULL);
}

static void kernel_drain(void *rb)
{
	ring_buffer__consume(rb);
}

static double user_mode(const char *prog, const char *map, long n)
{
	char log[UBPF_LOG_SIZE] = "";
	struct ubpf_object *o =
	    ubpf_object__open_mem(obj_buf, obj_len, log, sizeof(log));
	struct ubpf_prog *p = o ? ubpf_object__prog(o, prog) : NULL;
	struct ubpf_map *m = o ? ubpf_object__map(o, map) : NULL;
	struct ubpf_hook *h = NULL;
	double ns = -1;
	size_t size;
	void *fn;

	if (p && m && !ubpf_prog__verify(p, log, sizeof(log)) &&
	    !ubpf_sym__resolve("/proc/self/exe", "bench_target", &fn, &size))
		h = ubpf_hook__attach(fn, size, p, NULL, log, sizeof(log));
	if (h) {
		ns = run(n, user_drain, m);
		ubpf_hook__detach(h);
	} else {
		fprintf(stderr, "user backend: %s\n",
			log[0] ? log : "no such program or map");
	}
	ubpf_object__close(o);
	return ns;
}

static double kernel_mode(const char *prog, const char *map, long n)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = "bench_target");
	struct bpf_object *o = bpf_object__open_mem(obj_buf, obj_len, NULL);
	struct bpf_program *p =
	    o ? bpf_object__find_program_by_name(o, prog) : NULL;
	struct bpf_map *m = o ? bpf_object__find_map_by_name(o, map) : NULL;
	struct ring_buffer *rb = NULL;
	struct bpf_link *l = NULL;
	char exe[PATH_MAX];
	double ns = -1;

	if (p && m && !bpf_object__load(o) && realpath("/proc/self/exe", exe)) {
		rb = ring_buffer__new(bpf_map__fd(m), drop, NULL, NULL);
		l = bpf_program__attach_uprobe_opts(p, 0, exe, 0, &uo);
	}
	if (rb && l)
		ns = run(n, kernel_drain, rb);
	else
		fprintf(stderr, "kernel: cannot load or attach (%s)\n",
			strerror(errno));
	bpf_link__destroy(l);
	ring_buffer__free(rb);
	bpf_object__close(o);
	return ns;
}

int main(int argc, char **argv)
{
	long n = argc > 4 ? atol(argv[4]) : 200000;
	FILE *f = argc > 3 ? fopen(argv[1], "rb") : NULL;
	double base, user, kern;

	if (!f) {
		fprintf(stderr, "usage: bench-uprobe OBJECT.bpf.o PROGRAM "
				"RINGBUF_MAP [CALLS]\n");
		return 2;
	}
	obj_len = fread(obj_buf, 1, sizeof(obj_buf), f);
	fclose(f);
	base = run(n, NULL, NULL);
	user = user_mode(argv[2], argv[3], n);
	kern = kernel_mode(argv[2], argv[3], n);
	printf("call without probe: %.1f ns\n", base);
	if (user >= 0)
		printf("user backend uprobe: %.1f ns per call\n", user - base);
	if (kern >= 0)
		printf("kernel uprobe: %.1f ns per call\n", kern - base);
	if (user >= 0 && kern >= 0)
		printf("kernel / user: %.1fx\n", (kern - base) / (user - base));
	return user < 0 || kern < 0;
}
