/* bench/engine/kern.h — shared by the Part A compute kernels: the scale
 * argument, the clocks and the one result line each kernel prints:
 *   KERNEL checksum=HEX ns=WALL_NANOSECONDS cpu_ns=PROCESS_CPU_NANOSECONDS
 * (the process CPU time is robust to preemption on a busy machine; for
 * Node.js it includes V8's compiler threads).
 * Only the kernel's own work is timed, so process start, module load and
 * JIT warm-up of the runner stay out of the number. The checksum lets
 * bench/run.sh check every runner computed the same thing as native. */
#ifndef BENCH_KERN_H
#define BENCH_KERN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t kern_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t kern_now_ns(void)
{
	return kern_clock_ns(CLOCK_MONOTONIC);
}

static uint64_t kern_cpu0;

/* Starts both clocks; returns the wall-clock start for kern_report(). */
static inline uint64_t kern_start(void)
{
	kern_cpu0 = kern_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	return kern_now_ns();
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
	uint64_t cpu = kern_clock_ns(CLOCK_PROCESS_CPUTIME_ID) - kern_cpu0;

	printf("%s checksum=%016llx ns=%llu cpu_ns=%llu%s\n", name,
	       (unsigned long long)sum, (unsigned long long)ns,
	       (unsigned long long)cpu, ok ? "" : " SELFCHECK-FAILED");
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
