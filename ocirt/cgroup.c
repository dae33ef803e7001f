/* cgroup.c — joining linux.cgroupsPath so that the container's resource
 * accounting covers the guest: on cgroup v2 one directory, on v1 (and
 * hybrid) the same path under every mounted hierarchy. With
 * --systemd-cgroup the path is "slice:prefix:name", laid out as systemd
 * names it (a-b.slice under a.slice, prefix-name.scope); the scope is
 * not registered with systemd over D-Bus. Resource limits of the spec
 * are not applied. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ocirt/ocirt.h"

#define CG_ROOT "/sys/fs/cgroup"

/* "a-b.slice" -> "a.slice/a-b.slice"; -1 if it does not fit. */
static int slice_path(const char *slice, char *out, size_t n)
{
	size_t len = 0;
	const char *dash = slice;

	out[0] = 0;
	if (!*slice || !strcmp(slice, "-.slice"))
		return 0;
	while ((dash = strchr(dash, '-'))) {
		len += snprintf(out + len, n - len, "%.*s.slice/",
				(int)(dash - slice), slice);
		dash++;
	}
	len += snprintf(out + len, n - len, "%s", slice);
	return len < n ? 0 : -1;
}

static int systemd_path(const char *spec, char *out, size_t n)
{
	char slice[1024], prefix[1024], name[1024], sp[2048];

	if (sscanf(spec, "%1023[^:]:%1023[^:]:%1023s", slice, prefix, name) != 3)
		return ocirt_err("--systemd-cgroup: cgroupsPath %s is not "
				 "slice:prefix:name", spec);
	if (slice_path(slice, sp, sizeof(sp)))
		return ocirt_err("cgroupsPath %s is too long", spec);
	snprintf(out, n, "%s%s%s-%s.scope", sp, *sp ? "/" : "", prefix, name);
	return 0;
}

/* Copies a cpuset file from the parent when the child's is empty: v1
 * refuses tasks in a cpuset without cpus and mems. */
static void inherit(const char *dir, const char *file)
{
	char path[4200], val[4096] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, val, sizeof(val) - 1);
	if (n <= 1) {
		char parent[4200];
		int pfd;

		snprintf(parent, sizeof(parent), "%s/../%s", dir, file);
		pfd = open(parent, O_RDONLY | O_CLOEXEC);
		n = pfd >= 0 ? read(pfd, val, sizeof(val) - 1) : -1;
		if (pfd >= 0)
			close(pfd);
		if (n > 0)
			(void)!write(fd, val, n);
	}
	close(fd);
}

/* Every level below the hierarchy's root, top down. */
static void cpuset_fill(const char *hier, const char *rel)
{
	char dir[4096];
	size_t base = snprintf(dir, sizeof(dir), "%s/%s", hier, rel) -
		      strlen(rel);

	for (char *p = dir + base;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = 0;
			inherit(dir, "cpuset.cpus");
			inherit(dir, "cpuset.mems");
			*p = c;
		}
		if (!*p)
			break;
	}
}

static int join_one(const char *hier, const char *rel, pid_t pid)
{
	char dir[4096], procs[4200];
	int fd, ok;

	snprintf(dir, sizeof(dir), "%s/%s", hier, rel);
	if (ocirt_mkdir_p(dir, 0755))
		return ocirt_err("cgroup %s: %s", dir, strerror(errno));
	if (!access(strcat(strcpy(procs, dir), "/cpuset.cpus"), F_OK))
		cpuset_fill(hier, rel);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	ok = fd >= 0 && dprintf(fd, "%d\n", (int)pid) > 0;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : ocirt_err("joining cgroup %s: %s", dir, strerror(errno));
}

/* Calls fn for each hierarchy: /sys/fs/cgroup itself on v2, else each
 * mount under it that is a cgroup root. */
static int each_hier(int (*fn)(const char *, const char *, pid_t),
		     const char *rel, pid_t pid)
{
	char h[512], probe[600];
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (!access(CG_ROOT "/cgroup.procs", F_OK))
		return fn(CG_ROOT, rel, pid);
	if (!(d = opendir(CG_ROOT)))
		return 0;
	while (!r && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(h, sizeof(h), "%s/%s", CG_ROOT, e->d_name);
		snprintf(probe, sizeof(probe), "%s/cgroup.procs", h);
		/* cpu,cpuacct style symlinks name a hierarchy twice. */
		struct stat sb;
		if (!lstat(h, &sb) && S_ISDIR(sb.st_mode) && !access(probe, F_OK))
			r = fn(h, rel, pid);
	}
	closedir(d);
	return r;
}

int ocirt_cgroup_path(const char *path, char *out, size_t outsz)
{
	out[0] = 0;
	if (!path || !*path)
		return 0;
	if (ocirt_g.systemd_cgroup) {
		if (systemd_path(path, out, outsz))
			return 1;
	} else {
		snprintf(out, outsz, "%s", path + (path[0] == '/'));
	}
	if (strstr(out, ".."))
		return ocirt_err("cgroupsPath %s leaves the hierarchy", path);
	return 0;
}

int ocirt_cgroup_join(const char *rel, pid_t pid)
{
	return rel[0] ? each_hier(join_one, rel, pid) : 0;
}

static int remove_one(const char *hier, const char *rel, pid_t pid)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/%s", hier, rel);
	rmdir(dir); /* only if empty; parents are the manager's */
	return 0;
}

void ocirt_cgroup_remove(const char *rel)
{
	each_hier(remove_one, rel, 0);
}
