/* state.c — a container's directory under --root: state.json (written by
 * a rename, so a reader sees it whole) and exec.fifo, which exists from
 * `create` until `start`. The status is not stored but derived, as runc
 * does: no live process (or a different one under the same pid) is
 * stopped, a live one with exec.fifo is created, else running. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocirt/ocirt.h"

int ocirt_check_id(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > 200 || !strcmp(id, ".") || !strcmp(id, "..") ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		       "0123456789_+-.") != n)
		return ocirt_err("invalid container id '%s' (letters, digits "
				 "and _+-. only)", id);
	return 0;
}

void ocirt_state_dir(struct ocirt_state *st, const char *id)
{
	snprintf(st->id, sizeof(st->id), "%s", id);
	snprintf(st->dir, sizeof(st->dir), "%s/%s", ocirt_g.root, id);
}

int ocirt_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(buf, mode);
		*p = '/';
	}
	return mkdir(buf, mode) && errno != EEXIST ? -1 : 0;
}

void *ocirt_read_json(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	void *doc = NULL;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (getdelim(&text, &len, 0, f) >= 0)
		doc = cJSON_Parse(text);
	free(text);
	fclose(f);
	if (!doc)
		errno = EINVAL;
	return doc;
}

int ocirt_write_atomic(const char *path, const char *text)
{
	char tmp[4200];
	int fd;
	size_t n = strlen(text);

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) || close(fd) ||
	    rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		return -e;
	}
	return 0;
}

unsigned long long ocirt_proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	/* The command name may hold spaces: count from its closing ')'. A
	 * zombie has ended: 0, as for no process. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	for (field = 2, p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	sscanf(p, "%llu", &t);
	return t;
}

int ocirt_state_save(const struct ocirt_state *st)
{
	cJSON *o = cJSON_CreateObject();
	char path[4200], *text;
	int r;

	cJSON_AddStringToObject(o, "id", st->id);
	cJSON_AddNumberToObject(o, "pid", st->pid);
	cJSON_AddNumberToObject(o, "start_time", (double)st->start_time);
	cJSON_AddStringToObject(o, "bundle", st->bundle);
	cJSON_AddStringToObject(o, "created", st->created);
	cJSON_AddStringToObject(o, "cgroup", st->cgroup);
	if (st->annotations)
		cJSON_AddRawToObject(o, "annotations", st->annotations);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/state.json", st->dir);
	r = ocirt_write_atomic(path, text);
	free(text);
	return r;
}

static const char *str_of(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

int ocirt_state_load(struct ocirt_state *st, const char *id)
{
	char path[4200];
	cJSON *o, *a;

	if (ocirt_check_id(id))
		return 1;
	ocirt_state_dir(st, id);
	snprintf(path, sizeof(path), "%s/state.json", st->dir);
	if (!(o = ocirt_read_json(path)))
		return errno == ENOENT
			   ? ocirt_err("container %s does not exist", id)
			   : ocirt_err("%s: %s", path, errno == EINVAL
							 ? "not valid JSON"
							 : strerror(errno));
	st->pid = (pid_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "pid"));
	st->start_time = (unsigned long long)cJSON_GetNumberValue(
	    cJSON_GetObjectItem(o, "start_time"));
	snprintf(st->bundle, sizeof(st->bundle), "%s", str_of(o, "bundle"));
	snprintf(st->created, sizeof(st->created), "%s", str_of(o, "created"));
	snprintf(st->cgroup, sizeof(st->cgroup), "%s", str_of(o, "cgroup"));
	a = cJSON_GetObjectItem(o, "annotations");
	st->annotations = a ? cJSON_PrintUnformatted(a) : NULL;
	cJSON_Delete(o);
	return 0;
}

enum ocirt_status ocirt_state_status(const struct ocirt_state *st)
{
	char fifo[4200];

	if (st->pid <= 0 || ocirt_proc_start_time(st->pid) != st->start_time)
		return OCIRT_STOPPED;
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st->dir);
	return access(fifo, F_OK) ? OCIRT_RUNNING : OCIRT_CREATED;
}

const char *ocirt_status_name(enum ocirt_status s)
{
	static const char *const names[] = {"created", "running", "stopped"};
	return names[s];
}

void ocirt_state_remove(const struct ocirt_state *st)
{
	DIR *d = opendir(st->dir);
	struct dirent *e;

	if (st->cgroup[0])
		ocirt_cgroup_remove(st->cgroup);
	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.')
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	rmdir(st->dir);
	free(st->annotations);
}
