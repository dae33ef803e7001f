/* pidtarget.c — a running process for the user backend's --pid tests:
 * prints "ready", waits (blocked in nanosleep, so the injection
 * interrupts a system call) until file GO1 exists, prints the first byte
 * of uprobe_add() (a jmp, e9, once the agent hooked it), calls it three
 * times as the uprobe example's target does, waits for file GO2 (the test
 * makes it after the runtime exited) and prints the first byte again (the
 * original code by then) and the results' sum. A second thread sleeps
 * meanwhile (every thread must be stopped while the hooks are written).
 *   pidtarget GO1 GO2
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) int uprobe_add(int a, int b)
{
	volatile int x = a;

	return x + b;
}

static int wait_for(const char *path)
{
	struct timespec nap = {0, 10000000};

	for (int i = 0; i < 3000; i++) {
		if (!access(path, F_OK))
			return 0;
		nanosleep(&nap, NULL);
	}
	return -1;
}

static void *sleeper(void *arg)
{
	for (;;)
		sleep(1);
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int sum = 0;

	if (argc != 3 || pthread_create(&t, NULL, sleeper, NULL))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	if (wait_for(argv[1]))
		return 3;
	printf("first %02x\n", *(volatile unsigned char *)uprobe_add);
	for (int i = 0; i < 3; i++)
		sum += uprobe_add(i, i + 1);
	if (wait_for(argv[2]))
		return 4;
	printf("last %02x\nsum %d\n", *(volatile unsigned char *)uprobe_add,
	       sum);
	return 0;
}
