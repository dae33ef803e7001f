/* t_clock.c — the four clocks (clock_time_get, clock_res_get), sleeping
 * (poll_oneoff relative and absolute), sched_yield and random_get. Prints
 * only facts that hold on any machine, so native and wasm agree. */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

static int64_t ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return -1;
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void check_clock(const char *name, clockid_t id)
{
	struct timespec res;
	int64_t a = ns(id), b = ns(id);

	printf("%s: gettime %s, monotonic-ish %s", name, a >= 0 ? "ok" : "FAIL",
	       b >= a ? "ok" : "FAIL");
	printf(", res %s\n",
	       !clock_getres(id, &res) && (res.tv_sec || res.tv_nsec) ? "ok"
								      : "FAIL");
}

int main(void)
{
	struct timespec req = {0, 30000000}, abs;
	unsigned char r1[64], r2[64], zero[64] = {0};
	volatile unsigned long spin = 0;
	int64_t t0, t1, c0, c1;

	check_clock("realtime", CLOCK_REALTIME);
	check_clock("monotonic", CLOCK_MONOTONIC);
	check_clock("process", CLOCK_PROCESS_CPUTIME_ID);
	check_clock("thread", CLOCK_THREAD_CPUTIME_ID);
	printf("realtime after 2020: %s\n",
	       ns(CLOCK_REALTIME) > 1577836800ll * 1000000000ll ? "yes" : "no");
	printf("time() agrees: %s\n",
	       (int64_t)time(NULL) - ns(CLOCK_REALTIME) / 1000000000 <= 1
		   ? "yes"
		   : "no");

	c0 = ns(CLOCK_PROCESS_CPUTIME_ID);
	while (spin < 20000000)
		spin++;
	c1 = ns(CLOCK_PROCESS_CPUTIME_ID);
	printf("cpu time advances: %s\n", c1 > c0 ? "yes" : "no");

	t0 = ns(CLOCK_MONOTONIC);
	nanosleep(&req, NULL);
	t1 = ns(CLOCK_MONOTONIC);
	printf("nanosleep 30ms: %s\n",
	       t1 - t0 >= 30000000 && t1 - t0 < 2000000000 ? "ok" : "FAIL");

	t0 = ns(CLOCK_MONOTONIC);
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
	t1 = ns(CLOCK_MONOTONIC);
	printf("absolute sleep 20ms: %s\n",
	       t1 - t0 >= 20000000 && t1 - t0 < 2000000000 ? "ok" : "FAIL");

	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	t0 = ns(CLOCK_MONOTONIC);
	clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL);
	t1 = ns(CLOCK_MONOTONIC);
	printf("absolute realtime sleep: %s\n",
	       t1 - t0 >= 15000000 && t1 - t0 < 2000000000 ? "ok" : "FAIL");

	printf("sched_yield: %d\n", sched_yield());
	printf("getentropy: %d\n", getentropy(r1, sizeof(r1)));
	getentropy(r2, sizeof(r2));
	printf("random differs: %s, nonzero: %s\n",
	       memcmp(r1, r2, 64) ? "yes" : "no",
	       memcmp(r1, zero, 64) ? "yes" : "no");
	return 0;
}
