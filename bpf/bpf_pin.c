/* bpf_pin.c — the private pin root of one bpf_host. A map an object
 * declares pinned by name (LIBBPF_PIN_BY_NAME) is pinned in
 * /sys/fs/bpf/wasm-bpf/<pid ns>-<pid>-<n>/, never in the host's shared
 * /sys/fs/bpf: objects of one instance share such maps as libbpf intends,
 * but no instance sees another's pins or a pin the host made. The
 * directory is made (0700) when an object first needs it and removed with
 * every pin in it when the host is freed (the base directory with the last
 * one); directories left by processes that died without freeing (SIGKILL)
 * are swept when the next one is made. Without bpffs, such maps are simply
 * not pinned.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"

#define BH_PIN_BASE    "/sys/fs/bpf/wasm-bpf"
#define BH_BPFFS_MAGIC 0xcafe4a11

/* Pid numbers only mean something within a pid namespace: directories of
 * other namespaces are never swept. */
static uint64_t pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) ? 0 : (uint64_t)st.st_ino;
}

char *bh_pin_root_new(void)
{
	static unsigned counter;
	unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	char *s;

	if (asprintf(&s, BH_PIN_BASE "/%" PRIu64 "-%d-%u", pid_ns(),
		     (int)getpid(), n) < 0)
		return NULL;
	return s;
}

/* Unlinks every entry of directory `path` (pins are files) and it. */
static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(path);
}

/* Directories of this pid namespace whose process is gone. */
static void sweep(void)
{
	uint64_t ns, own_ns = pid_ns();
	DIR *d = opendir(BH_PIN_BASE);
	struct dirent *e;
	char path[sizeof(BH_PIN_BASE) + 256];
	int pid;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "%" SCNu64 "-%d-", &ns, &pid) != 2 ||
		    ns != own_ns || pid <= 0 || pid == getpid() ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), BH_PIN_BASE "/%s", e->d_name);
		remove_dir(path);
	}
	closedir(d);
}

/* A directory that is ours alone: nobody else can plant pins in it. An
 * instance directory must be new (`fresh`). */
static int make_private(const char *path, bool fresh)
{
	struct stat st;

	if (mkdir(path, 0700) && (fresh || errno != EEXIST))
		return -errno;
	if (lstat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		return -EPERM;
	return 0;
}

static int make_root(struct bpf_host *h, char *why, size_t n)
{
	int err, tries = 0;

	do {
		err = make_private(BH_PIN_BASE, false);
		if (err)
			break;
		sweep();
		/* Live hosts never share a name: one that exists was left
		 * by a dead process that had our pid. */
		remove_dir(h->pin_root);
		err = make_private(h->pin_root, true);
		/* ENOENT: the last other instance just removed the base. */
	} while (err == -ENOENT && ++tries < 3);
	if (err)
		snprintf(why, n, "cannot make the private pin directory %s: %s",
			 h->pin_root, strerror(-err));
	else
		h->pin_made = true;
	return err;
}

/* A pin path libbpf built from a map name must stay directly in the
 * root: a name holding '/' or being ".." would walk out of it. */
static bool in_root(const char *root, const char *path)
{
	size_t n = strlen(root);
	const char *name;

	if (strncmp(path, root, n) || path[n] != '/')
		return false;
	name = path + n + 1;
	return *name && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

static bool have_bpffs(void)
{
	struct statfs fs;

	return !statfs("/sys/fs/bpf", &fs) && fs.f_type == BH_BPFFS_MAGIC;
}

/* Without bpffs the maps stay unpinned: each is private to its object,
 * which is all a sandboxed guest could tell apart anyway. */
static void unpin_all(struct bpf_host *h, struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		if (!bpf_map__pin_path(m))
			continue;
		bpf_map__set_pin_path(m, NULL);
		if (h->verbose)
			bh_log(h, "map '%s' not pinned: no bpffs at /sys/fs/bpf",
			       bpf_map__name(m));
	}
}

int bh_pin_prepare(struct bpf_host *h, struct bpf_object *obj, char *why,
		   size_t n)
{
	struct bpf_map *m;
	bool any = false;

	bpf_object__for_each_map(m, obj) {
		const char *path = bpf_map__pin_path(m);

		if (!path)
			continue;
		if (!in_root(h->pin_root, path)) {
			snprintf(why, n,
				 "map '%s': pin name is not a plain name",
				 bpf_map__name(m));
			return -EINVAL;
		}
		any = true;
	}
	if (!any || h->pin_made)
		return 0;
	if (!have_bpffs()) {
		unpin_all(h, obj);
		return 0;
	}
	return make_root(h, why, n);
}

void bh_pin_remove(struct bpf_host *h)
{
	if (!h->pin_made)
		return;
	remove_dir(h->pin_root);
	rmdir(BH_PIN_BASE); /* if no other instance has pins */
	h->pin_made = false;
}
