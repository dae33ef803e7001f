/* guest.c — the OCI runtime suite's guest: shows what reached it from
 * config.json (args, env, files under preopened directories), sleeps
 * until stopped (gracefully or not), or exits with a given status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "args")) {
		for (int i = 0; i < argc; i++)
			printf("%s%s", i ? " " : "", argv[i]);
		printf("\n");
		return 0;
	}
	if (!strcmp(mode, "env") && argc > 2) {
		const char *v = getenv(argv[2]);
		printf("%s=%s\n", argv[2], v ? v : "(unset)");
		return 0;
	}
	if (!strcmp(mode, "cat") && argc > 2) {
		char buf[256];
		size_t n;
		FILE *f = fopen(argv[2], "r");
		if (!f) {
			perror(argv[2]);
			return 3;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fwrite(buf, 1, n, stdout);
		fclose(f);
		return 0;
	}
	if (!strcmp(mode, "exit") && argc > 2)
		return atoi(argv[2]);
	/* A graceful stop makes sleep return early: wind down, exit 3. */
	if (!strcmp(mode, "sleep")) {
		printf("sleeping\n");
		fflush(stdout);
		while (!sleep(1))
			;
		printf("stopping\n");
		return 3;
	}
	/* Deaf to a graceful stop: only an interruption ends it. */
	if (!strcmp(mode, "deaf")) {
		printf("sleeping\n");
		fflush(stdout);
		for (;;)
			sleep(1);
	}
	fprintf(stderr, "usage: guest args|env NAME|cat FILE|exit N|sleep|deaf\n");
	return 2;
}
