/* bench/engine/kern.h — shared by the Part A compute kernels: the scale
 * argument, a monotonic clock and the one result line each kernel prints:
 *   KERNEL checksum=HEX ns=NANOSECONDS
 * Only the kernel's own work is timed, so process start, module load and
 * JIT warm-up of the runner stay out of the number. The checksum lets
 * bench/run.sh check every runner computed the same thing as native. */
#ifndef BENCH_KERN_H
#define BENCH_KERN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t kern_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* argv[1] scales the work: 1 is the full benchmark, smoke runs pass 0.05. */
static inline double kern_scale(int argc, char **argv)
{
	double s = argc > 1 ? atof(argv[1]) : 1.0;

	return s > 0 ? s : 1.0;
}

static inline int kern_report(const char *name, uint64_t sum, uint64_t t0,
			      int ok)
{
	uint64_t ns = kern_now_ns() - t0;

	printf("%s checksum=%016llx ns=%llu%s\n", name, (unsigned long long)sum,
	       (unsigned long long)ns, ok ? "" : " SELFCHECK-FAILED");
	return ok ? 0 : 1;
}

/* A small deterministic generator (xorshift64). */
static inline uint64_t kern_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

#endif
