/* bench/engine/loadtime.c — load throughput of the engine: times
 * wasm_module__load (decode + validate + translate) of each module given,
 * repeatedly, and prints per module one line
 *   loadtime FILE bytes=N code=N runs=N median_ns=N min_ns=N max_ns=N
 *            cpu_median_ns=N cpu_min_ns=N cpu_max_ns=N
 * (wall clock, then the thread's CPU time: on a busy machine the wall
 * clock also counts time spent preempted). MB/s of the code section
 * follows from code / median. Usage:
 *   loadtime [-t MILLISECONDS] FILE.wasm...   (default 300 ms per file) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "wasm.h"

#define MAX_RUNS 4096

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 &&
	    !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static uint64_t leb(const unsigned char *p, size_t len, size_t *pos)
{
	uint64_t v = 0;
	int shift = 0;

	while (*pos < len && shift < 35) {
		unsigned char b = p[(*pos)++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
		shift += 7;
	}
	return v;
}

/* Size of the code section (id 10), or 0. */
static size_t code_size(const unsigned char *p, size_t len)
{
	size_t pos = 8;

	while (pos < len) {
		unsigned char id = p[pos++];
		size_t sz = (size_t)leb(p, len, &pos);

		if (id == 10)
			return sz;
		pos += sz;
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int time_file(const char *path, uint64_t budget_ns)
{
	static uint64_t t[MAX_RUNS], c[MAX_RUNS];
	struct wasm_error err = {{0}};
	size_t len = 0, n = 0;
	unsigned char *buf = read_all(path, &len);
	uint64_t start;

	if (!buf) {
		fprintf(stderr, "loadtime: cannot read %s\n", path);
		return 1;
	}
	start = clock_ns(CLOCK_MONOTONIC);
	do {
		uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
		struct wasm_module *m = wasm_module__load(buf, len, NULL, &err);

		t[n] = clock_ns(CLOCK_MONOTONIC) - t0;
		c[n++] = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		if (!m) {
			fprintf(stderr, "loadtime: %s: %s\n", path, err.msg);
			free(buf);
			return 1;
		}
		wasm_module__free(m);
	} while (n < MAX_RUNS &&
		 (n < 3 || clock_ns(CLOCK_MONOTONIC) - start < budget_ns));
	qsort(t, n, sizeof(t[0]), cmp_u64);
	qsort(c, n, sizeof(c[0]), cmp_u64);
	printf("loadtime %s bytes=%zu code=%zu runs=%zu median_ns=%llu "
	       "min_ns=%llu max_ns=%llu cpu_median_ns=%llu cpu_min_ns=%llu "
	       "cpu_max_ns=%llu\n",
	       path, len, code_size(buf, len), n, (unsigned long long)t[n / 2],
	       (unsigned long long)t[0], (unsigned long long)t[n - 1],
	       (unsigned long long)c[n / 2], (unsigned long long)c[0],
	       (unsigned long long)c[n - 1]);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t budget = 300;
	int i = 1, rc = 0;

	if (argc > 2 && !strcmp(argv[1], "-t")) {
		budget = strtoull(argv[2], NULL, 10);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: loadtime [-t MS] FILE.wasm...\n");
		return 2;
	}
	for (; i < argc; i++)
		rc |= time_file(argv[i], budget * 1000000ull);
	return rc;
}
