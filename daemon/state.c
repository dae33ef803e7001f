/* state.c — plugin records in the state directory (state.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/jsonlog.h"
#include "daemon/state.h"

int state_open(const char *dir)
{
	char path[4096];

	/* mkdir -p: the default /var/lib/wasm-bpf/daemon has parents. */
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return access(path, W_OK | X_OK) ? -errno : 0;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= w;
	}
	return 0;
}

int state_write_file(const char *path, const cJSON *json)
{
	char tmp[4200], dir[4096];
	char *text = cJSON_Print(json), *slash;
	int fd, err;

	if (!text)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	/* A hidden name beside the file: the same file system, and never
	 * taken for a record by state_each. */
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", slash ? dir : ".",
		 slash ? slash + 1 : path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		free(text);
		return -errno;
	}
	err = write_all(fd, text, strlen(text));
	if (!err)
		err = write_all(fd, "\n", 1);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	free(text);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) { /* the rename itself is durable only then */
		fsync(fd);
		close(fd);
	}
	return 0;
}

int state_write(const char *dir, const char *id, const cJSON *record)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	return state_write_file(path, record);
}

void state_remove(const char *dir, const char *id)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	unlink(path);
}

static cJSON *read_record(const char *dir, const char *name)
{
	char path[4096], buf[65536];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return cJSON_Parse(buf);
}

int state_each(const char *dir, void (*fn)(const char *id, cJSON *record))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char id[64];
		cJSON *rec;

		if (e->d_name[0] == '.' || len < 6 || len - 5 >= sizeof(id) ||
		    strcmp(e->d_name + len - 5, ".json"))
			continue;
		memcpy(id, e->d_name, len - 5);
		id[len - 5] = 0;
		rec = read_record(dir, e->d_name);
		if (!rec) {
			dlog("%s/%s: not a record, ignored", dir, e->d_name);
			continue;
		}
		fn(id, rec);
		cJSON_Delete(rec);
		n++;
	}
	closedir(d);
	return n;
}
