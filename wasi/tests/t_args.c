/* t_args.c — argv and environment as the guest sees them, and the exit
 * code it returns (args_*, environ_*, proc_exit). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	char *vars[64];
	int i, n = 0;

	printf("argc=%d\n", argc);
	for (i = 1; i < argc; i++)
		printf("argv[%d]=<%s>\n", i, argv[i]);
	for (i = 0; environ[i] && n < 64; i++)
		if (!strncmp(environ[i], "WT_", 3))
			vars[n++] = environ[i];
	qsort(vars, n, sizeof(vars[0]), cmp);
	for (i = 0; i < n; i++)
		printf("env %s\n", vars[i]);
	printf("getenv WT_A=%s\n", getenv("WT_A") ? getenv("WT_A") : "(null)");
	printf("getenv NOPE=%s\n", getenv("NOPE") ? getenv("NOPE") : "(null)");
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "exit"))
		exit(argc > 2 ? atoi(argv[2]) : 0);
	return argc > 1 && !strcmp(argv[1], "ret") ? 42 : 0;
}
