/* t_stdio.c — the standard streams: reading all of stdin, writing stdout
 * and stderr (interleaved), isatty, poll() on them and a timeout-only
 * poll (fd_read, fd_write, fd_fdstat_get, poll_oneoff). */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char **argv)
{
	struct pollfd p[2] = {{.fd = 0, .events = POLLIN},
			      {.fd = 1, .events = POLLOUT}};
	unsigned int sum = 0, bytes = 0, lines = 0; /* same width on both */
	char buf[1000];
	ssize_t n, i;
	int ready;

	printf("isatty: %d %d %d\n", isatty(0), isatty(1), isatty(2));
	/* One at a time: with both, a pipe's writer may lose the race. */
	ready = poll(&p[0], 1, 2000);
	ready += poll(&p[1], 1, 2000);
	printf("poll: %d in=%d out=%d\n", ready, (p[0].revents & POLLIN) != 0,
	       (p[1].revents & POLLOUT) != 0);
	printf("poll timeout only: %d\n", poll(NULL, 0, 10));
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			sum = sum * 31 + (unsigned char)buf[i];
			lines += buf[i] == '\n';
		}
		bytes += n;
	}
	printf("stdin: %u bytes, %u lines, hash %x, last read %zd\n", bytes,
	       lines, sum, n);
	fflush(stdout);
	fprintf(stderr, "to stderr\n");
	write(1, "raw stdout\n", 11);
	write(2, "raw stderr\n", 11);
	CHECK("lseek stdout", lseek(1, 0, SEEK_CUR) < 0 ? -1 : 0);
	CHECK("write to stdin", write(0, "x", 1));
	CHECK("read from bad fd", read(42, buf, 1));
	if (argc > 1)
		return atoi(argv[1]);
	return 0;
}
