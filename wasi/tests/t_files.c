/* t_files.c — regular files through libc: open flags, read/write, pread/
 * pwrite, lseek, append, truncate, allocate, advise, sync, stat, utimens,
 * and the errors each gives (fd_*, path_open, path_filestat_*). Runs in a
 * scratch directory: the current one natively, preopen "." under wasm. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void show_stat(const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		printf("stat %s: %s\n", what, errname(errno));
		return;
	}
	printf("stat %s: size=%lld reg=%d dir=%d nlink=%d\n", what,
	       (long long)st.st_size, S_ISREG(st.st_mode) ? 1 : 0,
	       S_ISDIR(st.st_mode) ? 1 : 0, (int)st.st_nlink);
}

static void rw(void)
{
	char buf[64] = {0};
	int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
	ssize_t n;

	printf("open: %s\n", fd >= 0 ? "OK" : errname(errno));
	n = write(fd, "hello, world\n", 13);
	printf("write: %zd\n", n);
	printf("lseek cur: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
	printf("lseek set: %lld\n", (long long)lseek(fd, 7, SEEK_SET));
	n = read(fd, buf, sizeof(buf) - 1);
	printf("read: %zd <%.*s>\n", n, (int)(n > 0 ? n - 1 : 0), buf);
	printf("lseek end: %lld\n", (long long)lseek(fd, -6, SEEK_END));
	printf("pwrite: %zd\n", pwrite(fd, "WORLD", 5, 7));
	memset(buf, 0, sizeof(buf));
	printf("pread: %zd <%s>\n", pread(fd, buf, 12, 0), buf);
	printf("pos after pread: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
	CHECK("ftruncate 5", ftruncate(fd, 5));
	CHECK("fsync", fsync(fd));
	CHECK("fdatasync", fdatasync(fd));
	printf("posix_fallocate: %s\n", errname(posix_fallocate(fd, 0, 100)));
	printf("posix_fadvise: %s\n",
	       errname(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)));
	CHECK("lseek bad whence", lseek(fd, 0, 42));
	CHECK("close", close(fd));
	CHECK("close again", close(fd));
	show_stat("a.txt", "a.txt");
}

static void append_and_modes(void)
{
	char buf[64] = {0};
	int fd = open("b.txt", O_CREAT | O_WRONLY | O_APPEND, 0644);

	write(fd, "one\n", 4);
	lseek(fd, 0, SEEK_SET);
	write(fd, "two\n", 4);
	printf("fcntl append: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) ? 1 : 0);
	CHECK("read on O_WRONLY", read(fd, buf, 4));
	close(fd);
	fd = open("b.txt", O_RDONLY);
	printf("b.txt: %zd\n", read(fd, buf, sizeof(buf)));
	printf("<%s>\n", buf);
	CHECK("write on O_RDONLY", write(fd, "x", 1));
	close(fd);
	CHECK("O_EXCL existing",
	      open("b.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
	CHECK("open missing", open("missing.txt", O_RDONLY));
	CHECK("open dir for write", open(".", O_WRONLY));
	CHECK("O_DIRECTORY on file", open("b.txt", O_RDONLY | O_DIRECTORY));
	CHECK("file as dir", open("b.txt/x", O_RDONLY));
	fd = open("b.txt", O_RDWR | O_TRUNC);
	printf("truncated open: %s\n", fd >= 0 ? "OK" : errname(errno));
	close(fd);
	show_stat("b.txt", "b.txt");
}

static void times(void)
{
	struct timespec ts[2] = {{1000000000, 500}, {1200000000, 0}};
	struct stat st;
	int fd = open("t.txt", O_CREAT | O_WRONLY, 0644);

	CHECK("futimens", futimens(fd, ts));
	fstat(fd, &st);
	printf("futimens: atime=%lld mtime=%lld\n", (long long)st.st_atime,
	       (long long)st.st_mtime);
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = 1300000000;
	CHECK("utimensat", utimensat(AT_FDCWD, "t.txt", ts, 0));
	stat("t.txt", &st);
	printf("utimensat: atime=%lld mtime=%lld\n", (long long)st.st_atime,
	       (long long)st.st_mtime);
	/* "Now" is checked in t_raw: this wasi-libc mishandles UTIME_NOW
	 * and NULL times before the host is ever called. */
	close(fd);
}

int main(void)
{
	rw();
	append_and_modes();
	times();
	printf("stdout is a tty: %d\n", isatty(1));
	return 0;
}
