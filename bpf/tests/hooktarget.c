/* hooktarget.c — a target for the userspace backend's agent tests: prints
 * the first byte of probe_me() when main starts (the agent has hooked it
 * by then: a jmp, e9) and again after COUNT calls 0.1 s apart (by then the
 * runtime may have exited and the agent unhooked it). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) int probe_me(int a, int b)
{
	volatile int x = a;

	return x + b;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10, sum = 0;

	printf("first %02x\n", *(volatile unsigned char *)probe_me);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		sum += probe_me(i, 1);
		usleep(100000);
	}
	printf("last %02x\nsum %d\n", *(volatile unsigned char *)probe_me, sum);
	return 0;
}
