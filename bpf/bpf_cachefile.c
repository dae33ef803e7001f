/* bpf_cachefile.c — the cache directory's rules (bpf_cache.h): where it
 * is, which directories and files are trusted, atomic writes and the cap
 * on entries. A cache entry is never trusted more than its file: only a
 * regular file of ours that no one else can read or write, in a directory
 * of ours that no one else can write, is read at all.
 */
/* SHA-256 by the functions OpenSSL 3 deprecates: EVP digests (and the
 * one-shot SHA256()) load the configuration and a provider on first use,
 * ~0.8 ms of every run's start-up; these still run the same code, without. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <openssl/sha.h>
#include <unistd.h>

#include "bpf/bpf_cache.h"

/* Entries kept per directory unless WASM_BPF_CACHE_MAX_ENTRIES says
 * otherwise; an abandoned temporary file goes after an hour. */
#define CACHE_MAX_ENTRIES 128
#define CACHE_TMP_AGE	  3600

char *bpf_cache__default_dir(void)
{
	const char *env = secure_getenv("WASM_BPF_CACHE_DIR"), *base;
	char *s = NULL;

	if (env && *env)
		return strdup(env);
	if (geteuid() == 0)
		return strdup("/var/cache/wasm-bpf");
	/* The XDG spec ignores relative values. */
	base = secure_getenv("XDG_CACHE_HOME");
	if (base && base[0] == '/')
		return asprintf(&s, "%s/wasm-bpf", base) < 0 ? NULL : s;
	base = secure_getenv("HOME");
	if (base && base[0] == '/')
		return asprintf(&s, "%s/.cache/wasm-bpf", base) < 0 ? NULL : s;
	return NULL;
}

/* An entry directory: ours and private (0700), so nobody else can swap
 * a file we will read or see which tools run. The top directory: ours
 * and writable only by us, or a sticky one like /tmp (others cannot
 * rename what we create in it). */
static bool dir_safe(const char *path, bool top)
{
	struct stat st;

	if ((top ? stat(path, &st) : lstat(path, &st)) || !S_ISDIR(st.st_mode))
		return false;
	if (top && (st.st_mode & S_ISVTX))
		return true;
	return st.st_uid == geteuid() && !(st.st_mode & (top ? 022 : 077));
}

int bpf_cache__dir_ok(const char *top, const char *dir)
{
	if (access(dir, F_OK))
		return 0;
	return dir_safe(top, true) && dir_safe(dir, false) ? 0 : -EPERM;
}

static int read_all(int fd, void *buf, size_t n)
{
	for (size_t at = 0; at < n;) {
		ssize_t r = read(fd, (char *)buf + at, n - at);

		if (r <= 0)
			return r ? -errno : -EBADMSG;
		at += (size_t)r;
	}
	return 0;
}

int bpf_cache__read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), err;
	struct stat st;

	*buf = NULL;
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077))
		err = -EPERM;
	else if ((uint64_t)st.st_size > max)
		err = -EBADMSG;
	else if (!(*buf = malloc(st.st_size ? (size_t)st.st_size : 1)))
		err = -ENOMEM;
	else
		err = read_all(fd, *buf, *len = (size_t)st.st_size);
	if (!err)
		futimens(fd, NULL);
	close(fd);
	if (err) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* mkdir -p, new directories 0700. */
static int mkdirs(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i])
			continue;
		buf[i] = 0;
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

int bpf_cache__tmp(const char *top, const char *dir, char *tmp, size_t size)
{
	int err = mkdirs(dir), fd;

	if (!err && (!dir_safe(top, true) || !dir_safe(dir, false)))
		err = -EPERM;
	if (!err && snprintf(tmp, size, "%s/.tmp-XXXXXX", dir) >= (int)size)
		err = -ENAMETOOLONG;
	if (err)
		return err;
	fd = mkostemp(tmp, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* ---- the cap ------------------------------------------------------------ */

static size_t max_entries(void)
{
	const char *s = secure_getenv("WASM_BPF_CACHE_MAX_ENTRIES");
	char *end;
	long n = s && *s ? strtol(s, &end, 10) : 0;

	return n > 0 && !*end ? (size_t)n : CACHE_MAX_ENTRIES;
}

struct entry {
	struct timespec t;
	char name[NAME_MAX + 1];
};

static int older(const void *a, const void *b)
{
	const struct timespec *x = &((const struct entry *)a)->t,
			      *y = &((const struct entry *)b)->t;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

/* Keeps at most max_entries() regular files (other than dot files) in
 * dir: those used least recently (their time is set on every read) go
 * first. Temporary files a crashed writer left go after CACHE_TMP_AGE. */
static size_t evict(const char *dir)
{
	DIR *d = opendir(dir);
	struct entry *v = NULL;
	size_t n = 0, cap = 0, max = max_entries(), gone = 0;
	time_t now = time(NULL);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		struct stat st;
		bool tmp = !strncmp(e->d_name, ".tmp-", 5);

		if ((!tmp && e->d_name[0] == '.') ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (tmp) {
			if (st.st_mtime + CACHE_TMP_AGE < now)
				unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		if (n == cap) {
			void *p =
			    realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!p)
				break;
			v = p;
		}
		v[n].t = st.st_mtim;
		snprintf(v[n].name, sizeof(v[n].name), "%s", e->d_name);
		n++;
	}
	if (n > max) {
		qsort(v, n, sizeof(*v), older);
		for (gone = 0; gone < n - max; gone++)
			unlinkat(dirfd(d), v[gone].name, 0);
	}
	free(v);
	if (d)
		closedir(d);
	return gone;
}

int bpf_cache__commit(int fd, const char *tmp, const char *dir,
		      const char *path, const void *buf, size_t len,
		      size_t *evicted)
{
	int err = 0;

	for (size_t at = 0; !err && at < len;) {
		ssize_t w = write(fd, (const char *)buf + at, len - at);

		if (w > 0)
			at += (size_t)w;
		else
			err = w ? -errno : -EIO;
	}
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	*evicted = err ? 0 : evict(dir);
	return err;
}

void bpf_cache__key(const struct bpf_cache_part *parts, int n, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;

	SHA256_Init(&ctx);
	for (int i = 0; i < n; i++)
		SHA256_Update(&ctx, parts[i].p, parts[i].len);
	SHA256_Final(md, &ctx);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}
