/* guest.c — one wasm32-wasi guest for the runtime suite; argv[1] picks
 * what it does (print its argv, env or a directory, trap in a named
 * function, spin, sleep, block on stdin, write then trap, grow memory,
 * make stdin non-blocking, print events until a stop, ignore stops, open
 * a FIFO, write without end, fill a large buffer with random bytes). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

extern char **environ;

__attribute__((noinline)) static int handle_event(volatile int *p)
{
	return *p;
}

static int list(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char buf[64] = {0};
	FILE *f;

	if (!d) {
		printf("opendir %s failed\n", dir);
		return 1;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			printf("entry %s\n", de->d_name);
	closedir(d);
	snprintf(buf, sizeof(buf), "%s/file.txt", dir);
	f = fopen(buf, "r");
	if (f && fgets(buf, sizeof(buf), f))
		printf("file.txt: %s", buf);
	return 0;
}

static int flood_then_trap(void)
{
	static char block[4096];
	int i;

	memset(block, 'x', sizeof(block));
	for (i = 0; i < 50; i++)
		write(1, block, sizeof(block));
	write(2, "before trap\n", 12);
	__builtin_trap();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "args";
	volatile unsigned long spin = 1;
	int i;

	if (!strcmp(mode, "args")) {
		for (i = 0; i < argc; i++)
			printf("argv[%d]=%s\n", i, argv[i]);
		return argc;
	}
	if (!strcmp(mode, "env")) {
		for (i = 0; environ[i]; i++)
			printf("%s\n", environ[i]);
		return 0;
	}
	if (!strcmp(mode, "dir"))
		return list(argc > 2 ? argv[2] : ".");
	if (!strcmp(mode, "trap"))
		return handle_event((volatile int *)0xfffffff0);
	if (!strcmp(mode, "flood"))
		return flood_then_trap();
	if (!strcmp(mode, "partial")) {
		printf("partial line");
		exit(5);
	}
	if (!strcmp(mode, "nonblock")) {
		int fl = fcntl(0, F_GETFL);

		fcntl(0, F_SETFL, fl | O_NONBLOCK);
		printf("nonblock %d\n", (fcntl(0, F_GETFL) & O_NONBLOCK) != 0);
		return 0;
	}
	if (!strcmp(mode, "grow")) {
		/* volatile: clang may drop a malloc only tested for NULL */
		char *volatile p =
		    malloc((argc > 2 ? atoi(argv[2]) : 100) << 20);

		printf("%s\n", p ? "ok" : "null");
		return 0;
	}
	if (!strcmp(mode, "events")) {
		/* A tracing tool's shape: events printed without fflush, a
		 * wait until stopped, a summary. Stdout is a file: all of it
		 * sits in the stdio buffer until main returns. */
		for (i = 0; i < 3; i++)
			printf("event %d\n", i);
		write(2, "ready\n", 6);
		while (usleep(100000) == 0)
			;
		printf("summary: %d events\n", i);
		return 0;
	}
	if (!strcmp(mode, "stubborn")) {
		write(2, "ready\n", 6);
		for (;;)
			usleep(100000); /* EINTR ignored */
	}
	if (!strcmp(mode, "fifo")) {
		int fd;

		write(2, "ready\n", 6);
		fd = open(argv[2], O_RDONLY); /* no writer: blocks */
		if (fd < 0 && errno == EINTR)
			return 3;
		return fd < 0 ? 1 : 0;
	}
	if (!strcmp(mode, "write")) {
		static char block[4096];

		for (;;)
			if (write(1, block, sizeof(block)) < 0)
				return 1;
	}
	if (!strcmp(mode, "random")) {
		size_t n = (size_t)atoi(argv[2]) << 20;
		uint8_t *p = malloc(n);

		write(2, "ready\n", 6);
		return p && !__wasi_random_get(p, n) ? 0 : 1;
	}
	if (!strcmp(mode, "spin")) {
		while (spin)
			spin++;
		return 0;
	}
	if (!strcmp(mode, "sleep")) {
		printf("sleeping\n");
		fflush(stdout);
		sleep(1000);
		return 9;
	}
	if (!strcmp(mode, "read")) {
		char b[64];

		printf("reading\n");
		fflush(stdout);
		return fgets(b, sizeof(b), stdin) ? 8 : 9;
	}
	printf("unknown mode %s\n", mode);
	return 1;
}
