/* oci_store.c — the local store: an OCI image layout (oci.h): opening
 * it, its paths, staging files, the lock, verified blob reads, whole
 * images. index.json is oci_index.c's, transactions oci_txn.c's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "oci/oci.h"
#include "oci/oci_store_int.h"

int store_sys_err(struct oci_err *e, const char *what, const char *path)
{
	int r = -errno;

	snprintf(e->msg, sizeof(e->msg), "store: %s %.300s: %s", what, path,
		 strerror(errno));
	return r;
}

static int mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static void default_dir(char *buf, size_t len)
{
	const char *env = getenv("WASM_BPF_STORE"), *xdg, *home;

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else if (geteuid() == 0)
		snprintf(buf, len, "/var/lib/wasm-bpf/oci");
	else if ((xdg = getenv("XDG_DATA_HOME")) && *xdg)
		snprintf(buf, len, "%s/wasm-bpf/oci", xdg);
	else
		snprintf(buf, len, "%s/.local/share/wasm-bpf/oci",
			 (home = getenv("HOME")) ? home : ".");
}

void store_path_of(const struct oci_store *s, const char *rel, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/%s", s->dir, rel);
}

void store_blob_path(const struct oci_store *s, const char *digest, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/blobs/sha256/%s", s->dir, digest + 7);
}

int store_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		r = -errno;
	close(fd);
	return r;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* A temporary file in ingest/ with `buf` in it, synced, still open and
 * flock'ed so no commit takes it for a leftover. */
int store_stage(struct oci_store *s, const void *buf, size_t len, char *tmp,
		int *fdp)
{
	int fd, r;

	snprintf(tmp, PATH_MAX, "%s/ingest/tmp-XXXXXX", s->dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	flock(fd, LOCK_EX);
	r = write_all(fd, buf, len);
	if (!r && fsync(fd))
		r = -errno;
	if (!r && fchmod(fd, 0644))
		r = -errno;
	if (r) {
		unlink(tmp);
		close(fd);
		return r;
	}
	*fdp = fd;
	return 0;
}

int store_write_atomic(struct oci_store *s, const char *rel, const void *buf,
		       size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, r = store_stage(s, buf, len, tmp, &fd);

	if (r)
		return r;
	store_path_of(s, rel, dst);
	if (rename(tmp, dst)) {
		r = -errno;
		unlink(tmp);
	}
	close(fd);
	return r ? r : store_fsync_dir(s->dir);
}

int store_lock(struct oci_store *s, int how, struct oci_err *e)
{
	while (flock(s->lockfd, how))
		if (errno != EINTR)
			return store_sys_err(e, "cannot lock", s->dir);
	return 0;
}

void store_unlock(struct oci_store *s)
{
	flock(s->lockfd, LOCK_UN);
}

static const char empty_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\",\"manifests\":[]}";

static int init_layout(struct oci_store *s, struct oci_err *e)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	char p[PATH_MAX];
	int r = 0;

	store_path_of(s, "oci-layout", p);
	if (access(p, F_OK) &&
	    (r = store_write_atomic(s, "oci-layout", layout, strlen(layout))))
		goto out;
	store_path_of(s, "index.json", p);
	if (access(p, F_OK))
		r = store_write_atomic(s, "index.json", empty_index,
				       strlen(empty_index));
out:
	if (r) {
		errno = -r;
		return store_sys_err(e, "cannot initialise", s->dir);
	}
	return 0;
}

int oci_store_open(const char *dir, struct oci_store **out, struct oci_err *e)
{
	char buf[PATH_MAX], p[PATH_MAX + 32];
	struct oci_store *s;
	mode_t mode = geteuid() == 0 ? 0755 : 0700;
	int r;

	if (!dir)
		default_dir(buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s", dir);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(buf))) {
		free(s);
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		return -ENOMEM;
	}
	s->lockfd = -1;
	snprintf(p, sizeof(p), "%s/blobs/sha256", buf);
	if ((r = mkdirs(p, mode)) ||
	    (r = mkdirs((store_path_of(s, "ingest", p), p), mode))) {
		errno = -r;
		r = store_sys_err(e, "cannot create", p);
		goto fail;
	}
	store_path_of(s, "lock", p);
	s->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lockfd < 0) {
		r = store_sys_err(e, "cannot open", p);
		goto fail;
	}
	if ((r = store_lock(s, LOCK_EX, e)))
		goto fail;
	r = init_layout(s, e);
	store_unlock(s);
	if (r)
		goto fail;
	*out = s;
	return 0;
fail:
	oci_store_close(s);
	return r;
}

void oci_store_close(struct oci_store *s)
{
	if (!s)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->dir);
	free(s);
}

const char *oci_store_dir(const struct oci_store *s)
{
	return s->dir;
}

bool oci_store_has(struct oci_store *s, const char *digest)
{
	char p[PATH_MAX];

	if (!oci_digest_valid(digest))
		return false;
	store_blob_path(s, digest, p);
	return access(p, F_OK) == 0;
}

int oci_store_get(struct oci_store *s, const char *digest, struct oci_buf *b,
		  struct oci_err *e)
{
	char p[PATH_MAX], got[OCI_DIGEST_LEN];
	int r;

	if (!oci_digest_valid(digest)) {
		snprintf(e->msg, sizeof(e->msg), "store: bad digest %.100s",
			 digest);
		return -EINVAL;
	}
	store_blob_path(s, digest, p);
	if ((r = oci_read_file(p, b, e)))
		return r;
	oci_sha256(b->data, b->len, got);
	if (strcmp(got, digest)) {
		snprintf(e->msg, sizeof(e->msg),
			 "store: blob %s is corrupt (its content hashes to %s)",
			 digest, got);
		oci_buf_free(b);
		return -EBADMSG;
	}
	return 0;
}

/* ---- whole images -------------------------------------------------------- */

int oci_store_load_image(struct oci_store *s, const char *name,
			 struct oci_image *img, struct oci_err *e)
{
	int r, li;

	memset(img, 0, sizeof(*img));
	if ((r = oci_store_resolve(s, name, &img->desc, e)) ||
	    (r = oci_store_get(s, img->desc.digest, &img->manifest_raw, e)) ||
	    (r = oci_manifest_parse(img->manifest_raw.data,
				    img->manifest_raw.len, &img->manifest, e)))
		goto fail;
	if ((li = oci_manifest_wasm_layer(&img->manifest, e)) < 0) {
		r = li;
		goto fail;
	}
	if ((r = oci_store_get(s, img->manifest.config.digest, &img->config,
			       e)) ||
	    (r = oci_store_get(s, img->manifest.layers[li].digest, &img->wasm,
			       e)))
		goto fail;
	return 0;
fail:
	oci_image_free(img);
	return r;
}

void oci_image_free(struct oci_image *img)
{
	oci_buf_free(&img->manifest_raw);
	oci_buf_free(&img->config);
	oci_buf_free(&img->wasm);
	oci_manifest_free(&img->manifest);
}
