/* flooder.c — `flooder N MS`: N getpgid(WPOL_FLOOD_MAGIC) calls spread
 * evenly over about MS milliseconds (one batch a millisecond), each one
 * record of flood.bpf.c. Prints how long it took, in milliseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WPOL_FLOOD_MAGIC 0x57f100dL

static double ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[1]) : 0, ms = argc > 2 ? atol(argv[2]) : 0;
	long per = ms > 0 ? (n + ms - 1) / ms : n, done = 0;
	struct timespec nap = {0, 1000000};
	double t0 = ms_now();

	if (n <= 0 || ms < 0)
		return 2;
	while (done < n) {
		for (long i = 0; i < per && done < n; i++, done++)
			syscall(SYS_getpgid, WPOL_FLOOD_MAGIC);
		if (ms)
			nanosleep(&nap, NULL);
	}
	printf("%.0f\n", ms_now() - t0);
	return 0;
}
