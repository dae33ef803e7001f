/* opener.c — the process the userspace backend's opensnoop test traces:
 * after a moment (for the tool to start), opens a file that exists with
 * open() and one that does not with openat(), twice. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	usleep(300000);
	for (int i = 0; i < 2; i++) {
		int fd = open("/etc/hostname", O_RDONLY);
		int bad = openat(AT_FDCWD, "/nonexistent-wbt-opener", O_RDONLY);

		printf("opened %d %d\n", fd, bad);
		if (fd >= 0)
			close(fd);
		usleep(100000);
	}
	return 0;
}
