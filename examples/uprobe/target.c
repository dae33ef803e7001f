/* target.c — the program uprobe.c probes: calls uprobe_add() once a
 * tenth of a second, `count` times (default 100). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) int uprobe_add(int a, int b)
{
	__asm__ volatile("" ::: "memory"); /* keep the call */
	return a + b;
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 100;

	for (int i = 0; i < count; i++) {
		printf("uprobe_add(%d, %d) = %d\n", i, i + 1,
		       uprobe_add(i, i + 1));
		fflush(stdout);
		usleep(100000);
	}
	return 0;
}
