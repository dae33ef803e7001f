/* policytime.c — `policytime POLICY N MODULE...`: what a policy adds to a
 * tool's load. For each module, the BPF objects in its data (as `check`
 * finds them) go N times through the guard a bpf_host asks before every
 * load (policy__guard_bpf_host: scan the object, check every rule), the
 * exact work `wasm-bpf --policy` adds per wasm_load_bpf_object. Prints
 * "NAME OBJECTS MEDIAN_US MIN_US P90_US", microseconds per load of all
 * the module's objects, over N timed rounds after one untimed round (the
 * 90th percentile, not the maximum: on a shared machine the slowest of
 * hundreds of rounds is a preemption, not the check).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bpf/bpf_host.h"
#include "engine/wasm.h"
#include "policy/policy.h"
#include "policy/wasm_embed.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f && !fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 &&
	    !fseek(f, 0, SEEK_SET) && (buf = malloc(n)) &&
	    fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		*len = (size_t)n;
	if (f)
		fclose(f);
	return buf;
}

/* One round: every object through the guard; -1 if one is refused. */
static int round_us(const struct bpf_host_opts *g,
		    const struct wasm_embed_obj *objs, size_t n, double *us)
{
	char why[512];
	double t0 = now_us();

	for (size_t i = 0; i < n; i++)
		if (g->guard_load(g->guard_ctx, objs[i].elf, objs[i].len, why,
				  sizeof(why))) {
			fprintf(stderr, "policytime: refused: %s\n", why);
			return -1;
		}
	*us = now_us() - t0;
	return 0;
}

static int one(const struct bpf_host_opts *g, const char *path, int rounds)
{
	struct wasm_load_opts lo = {.sz = sizeof(lo)};
	struct wasm_error err = {{0}};
	struct wasm_embed_obj *objs = NULL;
	struct wasm_module *m;
	size_t len = 0, n = 0;
	void *buf = slurp(path, &len);
	double *t = calloc(rounds, sizeof(*t)), dummy;
	const char *name = strrchr(path, '/');
	int r = -1;

	m = buf ? wasm_module__load(buf, len, &lo, &err) : NULL;
	if (!m || !t || wasm_embed__find(m, &objs, &n) || !n) {
		fprintf(stderr, "policytime: %s: %s\n", path,
			!m ? (buf ? err.msg : "unreadable") : "no BPF object");
		goto out;
	}
	if (round_us(g, objs, n, &dummy))
		goto out;
	for (int i = 0; i < rounds; i++)
		if (round_us(g, objs, n, &t[i]))
			goto out;
	qsort(t, rounds, sizeof(*t), cmp);
	printf("%s %zu %.1f %.1f %.1f\n", name ? name + 1 : path, n,
	       t[rounds / 2], t[0], t[rounds * 9 / 10]);
	r = 0;
out:
	wasm_embed__free(objs, n);
	wasm_module__free(m);
	free(buf);
	free(t);
	return r;
}

int main(int argc, char **argv)
{
	struct bpf_host_opts g = {.sz = sizeof(g)};
	struct policy *p;
	char err[512];
	int rounds, r = 0;

	if (argc < 4 || (rounds = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: policytime POLICY N MODULE...\n");
		return 2;
	}
	p = policy__load_file(argv[1], err, sizeof(err));
	if (!p) {
		fprintf(stderr, "policytime: %s\n", err);
		return 1;
	}
	policy__guard_bpf_host(p, &g);
	for (int i = 3; i < argc; i++)
		r |= one(&g, argv[i], rounds);
	policy__free(p);
	return r ? 1 : 0;
}
