/* t_dirs.c — directories and names: mkdir, rmdir, readdir (more entries
 * than one buffer holds), rename, link, symlink, readlink, unlink, lstat
 * vs stat, and their errors (path_*, fd_readdir). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir)
{
	char *names[300];
	struct dirent *de;
	int n = 0, i;
	DIR *d = opendir(dir);

	if (!d) {
		printf("opendir %s: %s\n", dir, errname(errno));
		return;
	}
	while ((de = readdir(d)) && n < 300)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	rewinddir(d);
	i = 0;
	while (readdir(d))
		i++;
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	printf("%s: %d entries (%d after rewind)", dir, n, i - 2);
	for (i = 0; i < n && i < 8; i++)
		printf(" %s", names[i]);
	printf("\n");
	for (i = 0; i < n; i++)
		free(names[i]);
}

static void touch(const char *p, const char *data)
{
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	write(fd, data, strlen(data));
	close(fd);
}

static void kinds(const char *p)
{
	struct stat st, lst;
	int a = stat(p, &st), b = lstat(p, &lst);

	printf("%s: stat=%s%s lstat=%s%s\n", p, a ? errname(errno) : "",
	       a		     ? ""
	       : S_ISDIR(st.st_mode) ? "dir"
	       : S_ISREG(st.st_mode) ? "file"
				     : "other",
	       b ? "err" : "",
	       b		      ? ""
	       : S_ISLNK(lst.st_mode) ? "link"
	       : S_ISDIR(lst.st_mode) ? "dir"
				      : "file");
}

/* path_filestat_set_times with and without following the link. */
static void lutimes_check(void)
{
	struct timespec ts[2] = {{1100000000, 0}, {1100000000, 0}};
	struct stat st, lst;

	CHECK("utimensat nofollow",
	      utimensat(AT_FDCWD, "d/soft", ts, AT_SYMLINK_NOFOLLOW));
	ts[0].tv_sec = ts[1].tv_sec = 1200000000;
	CHECK("utimensat follow", utimensat(AT_FDCWD, "d/soft", ts, 0));
	lstat("d/soft", &lst);
	stat("d/soft", &st);
	printf("link mtime %lld, target mtime %lld\n", (long long)lst.st_mtime,
	       (long long)st.st_mtime);
}

int main(void)
{
	char buf[256], name[64];
	ssize_t n;
	int i;

	CHECK("mkdir d", mkdir("d", 0755));
	CHECK("mkdir d again", mkdir("d", 0755));
	CHECK("mkdir d/e/f", mkdir("d/e/f", 0755));
	CHECK("mkdir d/e/", mkdir("d/e/", 0755));
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "d/many-%03d-with-a-longish-name",
			 i);
		touch(name, "x");
	}
	list("d");
	list("d/e");
	touch("d/e/file", "content\n");
	CHECK("rmdir non-empty", rmdir("d/e"));
	CHECK("rmdir file", rmdir("d/e/file"));
	CHECK("unlink dir", unlink("d/e"));
	CHECK("rename file", rename("d/e/file", "d/renamed"));
	CHECK("rename missing", rename("d/e/file", "d/x"));
	CHECK("rename over dir", rename("d/renamed", "d/e"));
	CHECK("link", link("d/renamed", "d/hard"));
	CHECK("link exists", link("d/renamed", "d/hard"));
	CHECK("symlink", symlink("renamed", "d/soft"));
	CHECK("symlink dangling", symlink("nowhere", "d/dangling"));
	n = readlink("d/soft", buf, sizeof(buf));
	printf("readlink: %zd <%.*s>\n", n, (int)(n > 0 ? n : 0), buf);
	n = readlink("d/soft", buf, 3);
	printf("readlink short: %zd <%.*s>\n", n, (int)(n > 0 ? n : 0), buf);
	CHECK("readlink file", readlink("d/renamed", buf, sizeof(buf)));
	kinds("d/soft");
	kinds("d/dangling");
	kinds("d/e");
	kinds("d/hard");
	lutimes_check();
	CHECK("open via symlink", open("d/soft", O_RDONLY));
	CHECK("open O_NOFOLLOW", open("d/soft", O_RDONLY | O_NOFOLLOW));
	CHECK("open dangling O_CREAT",
	      open("d/dangling", O_WRONLY | O_CREAT, 0644));
	kinds("d/nowhere");
	CHECK("unlink symlink", unlink("d/soft"));
	CHECK("unlink missing", unlink("d/soft"));
	CHECK("rename dir", rename("d/e", "d/e2"));
	CHECK("rmdir d/e2/f", rmdir("d/e2/f"));
	CHECK("rmdir d/e2", rmdir("d/e2"));
	CHECK("chdir-free relative dots", open("d/../d/./hard", O_RDONLY));
	for (i = 0; i < 200; i += 2) {
		snprintf(name, sizeof(name), "d/many-%03d-with-a-longish-name",
			 i);
		unlink(name);
	}
	list("d");
	list("nonexistent");
	return 0;
}
