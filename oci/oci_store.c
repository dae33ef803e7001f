/* oci_store.c — the local store: an OCI image layout (oci.h).
 *
 * Writers stage blobs as temporary files in ingest/ (each held with a
 * flock while its writer lives), then take the store's exclusive lock to
 * rename them into blobs/sha256/ and rewrite index.json, so readers and
 * rmi's garbage collection never see half an image. A temporary file
 * nobody holds is what a killed writer left; the next commit removes it. */
#include <dirent.h>
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

struct oci_store {
	char *dir;
	int lockfd;
};

struct txn_blob {
	char digest[OCI_DIGEST_LEN];
	char tmp[PATH_MAX];
	int fd;
};

struct oci_txn {
	struct oci_store *s;
	struct txn_blob *blobs;
	int n;
};

static int sys_err(struct oci_err *e, const char *what, const char *path)
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

static void path_of(const struct oci_store *s, const char *rel, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/%s", s->dir, rel);
}

static void blob_path(const struct oci_store *s, const char *digest, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/blobs/sha256/%s", s->dir, digest + 7);
}

static int fsync_dir(const char *dir)
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
static int stage(struct oci_store *s, const void *buf, size_t len, char *tmp,
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

static int write_atomic(struct oci_store *s, const char *rel, const void *buf,
			size_t len)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	int fd, r = stage(s, buf, len, tmp, &fd);

	if (r)
		return r;
	path_of(s, rel, dst);
	if (rename(tmp, dst)) {
		r = -errno;
		unlink(tmp);
	}
	close(fd);
	return r ? r : fsync_dir(s->dir);
}

/* Removes what killed writers left in ingest/. Under the exclusive lock. */
static void sweep_ingest(struct oci_store *s)
{
	char dir[PATH_MAX], p[PATH_MAX + 256];
	struct dirent *d;
	DIR *dh;

	path_of(s, "ingest", dir);
	dh = opendir(dir);
	if (!dh)
		return;
	while ((d = readdir(dh))) {
		int fd;

		if (strncmp(d->d_name, "tmp-", 4))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, d->d_name);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!flock(fd, LOCK_EX | LOCK_NB))
			unlink(p);
		close(fd);
	}
	closedir(dh);
}

static int lock(struct oci_store *s, int how)
{
	while (flock(s->lockfd, how))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static void unlock(struct oci_store *s)
{
	flock(s->lockfd, LOCK_UN);
}

static const char empty_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX
    "\",\"manifests\":[]}";

static int init_layout(struct oci_store *s, struct oci_err *e)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	char p[PATH_MAX];
	int r = 0;

	path_of(s, "oci-layout", p);
	if (access(p, F_OK) && (r = write_atomic(s, "oci-layout", layout,
						  strlen(layout))))
		goto out;
	path_of(s, "index.json", p);
	if (access(p, F_OK))
		r = write_atomic(s, "index.json", empty_index,
				 strlen(empty_index));
out:
	if (r) {
		errno = -r;
		return sys_err(e, "cannot initialise", s->dir);
	}
	return 0;
}

int oci_store_open(const char *dir, struct oci_store **out,
		   struct oci_err *e)
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
	if ((r = mkdirs(p, mode)) || (r = mkdirs((path_of(s, "ingest", p), p), mode))) {
		errno = -r;
		r = sys_err(e, "cannot create", p);
		goto fail;
	}
	path_of(s, "lock", p);
	s->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (s->lockfd < 0) {
		r = sys_err(e, "cannot open", p);
		goto fail;
	}
	if ((r = lock(s, LOCK_EX)))
		goto fail;
	r = init_layout(s, e);
	unlock(s);
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
	blob_path(s, digest, p);
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
	blob_path(s, digest, p);
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

/* ---- index.json ----------------------------------------------------------- */

static cJSON *read_index(struct oci_store *s, struct oci_err *e)
{
	struct oci_buf b = {0};
	char p[PATH_MAX];
	cJSON *j, *m;

	path_of(s, "index.json", p);
	if (oci_read_file(p, &b, e))
		return NULL;
	j = cJSON_ParseWithLength(b.data, b.len);
	oci_buf_free(&b);
	m = cJSON_GetObjectItemCaseSensitive(j, "manifests");
	if (!cJSON_IsArray(m)) {
		snprintf(e->msg, sizeof(e->msg), "store: %.300s is not an image index",
			 p);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static int write_index(struct oci_store *s, cJSON *j, struct oci_err *e)
{
	char *txt = cJSON_Print(j);
	int r;

	if (!txt) {
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		return -ENOMEM;
	}
	r = write_atomic(s, "index.json", txt, strlen(txt));
	free(txt);
	if (r) {
		errno = -r;
		return sys_err(e, "cannot write", "index.json");
	}
	return 0;
}

static const char *entry_name(const cJSON *m)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(m, "annotations"),
	    OCI_ANN_REF_NAME);

	return cJSON_IsString(n) ? n->valuestring : NULL;
}

static int entry_desc(const cJSON *m, struct oci_desc *d)
{
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(m, "mediaType"),
		    *dg = cJSON_GetObjectItemCaseSensitive(m, "digest"),
		    *sz = cJSON_GetObjectItemCaseSensitive(m, "size");

	if (!cJSON_IsString(dg) || !oci_digest_valid(dg->valuestring) ||
	    !cJSON_IsNumber(sz))
		return -EBADMSG;
	snprintf(d->media_type, sizeof(d->media_type), "%s",
		 cJSON_IsString(mt) ? mt->valuestring : OCI_MT_MANIFEST);
	strcpy(d->digest, dg->valuestring);
	d->size = (int64_t)sz->valuedouble;
	return 0;
}

/* "REG/REPO@sha256:..." also finds a tagged entry of REG/REPO with that
 * manifest: a digest names content, whichever tag brought it. */
static bool name_matches(const char *entry, const struct oci_desc *d,
			 const char *want)
{
	const char *at = strchr(want, '@');
	size_t repo_len;

	if (!strcmp(entry, want))
		return true;
	if (!at || strcmp(at + 1, d->digest))
		return false;
	repo_len = at - want;
	return !strncmp(entry, want, repo_len) &&
	       (entry[repo_len] == ':' || entry[repo_len] == '@');
}

static cJSON *find_entry(cJSON *idx, const char *name, struct oci_desc *d)
{
	cJSON *m;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
	{
		const char *n = entry_name(m);

		if (n && !entry_desc(m, d) && name_matches(n, d, name))
			return m;
	}
	return NULL;
}

int oci_store_resolve(struct oci_store *s, const char *name,
		      struct oci_desc *out, struct oci_err *e)
{
	cJSON *idx;
	int r;

	if ((r = lock(s, LOCK_SH)))
		return r;
	idx = read_index(s, e);
	unlock(s);
	if (!idx)
		return -EIO;
	r = find_entry(idx, name, out) ? 0 : -ENOENT;
	if (r)
		snprintf(e->msg, sizeof(e->msg), "%s: not in the store (%s)",
			 name, s->dir);
	cJSON_Delete(idx);
	return r;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct oci_entry *)a)->name,
		      ((const struct oci_entry *)b)->name);
}

int oci_store_list(struct oci_store *s, struct oci_entry **out, int *n,
		   struct oci_err *e)
{
	struct oci_entry *v;
	cJSON *idx, *m;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = lock(s, LOCK_SH)))
		return r;
	idx = read_index(s, e);
	unlock(s);
	if (!idx)
		return -EIO;
	v = calloc(cJSON_GetArraySize(cJSON_GetObjectItem(idx, "manifests")) + 1,
		   sizeof(*v));
	if (!v) {
		cJSON_Delete(idx);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
	{
		const char *name = entry_name(m);

		if (!name || entry_desc(m, &v[*n].desc))
			continue;
		if (!(v[*n].name = strdup(name)))
			break;
		(*n)++;
	}
	cJSON_Delete(idx);
	qsort(v, *n, sizeof(*v), cmp_entry);
	*out = v;
	return 0;
}

void oci_entries_free(struct oci_entry *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static int set_entry(cJSON *idx, const char *name, const struct oci_desc *d)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(idx, "manifests"), *m, *a;
	int i = 0;

	cJSON_ArrayForEach(m, arr)
	{
		const char *n = entry_name(m);

		if (n && !strcmp(n, name)) {
			cJSON_DeleteItemFromArray(arr, i);
			break;
		}
		i++;
	}
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "mediaType", d->media_type);
	cJSON_AddStringToObject(m, "digest", d->digest);
	cJSON_AddNumberToObject(m, "size", (double)d->size);
	a = cJSON_AddObjectToObject(m, "annotations");
	cJSON_AddStringToObject(a, OCI_ANN_REF_NAME, name);
	cJSON_AddItemToArray(arr, m);
	return 0;
}

/* ---- transactions ---------------------------------------------------------- */

int oci_txn_begin(struct oci_store *s, struct oci_txn **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->s = s;
	return 0;
}

int oci_txn_add(struct oci_txn *t, const void *buf, size_t len,
		const char *digest, char out[OCI_DIGEST_LEN], struct oci_err *e)
{
	char got[OCI_DIGEST_LEN];
	struct txn_blob *nb;
	int r;

	oci_sha256(buf, len, got);
	if (digest && strcmp(got, digest)) {
		snprintf(e->msg, sizeof(e->msg),
			 "content of %s hashes to %s: refused", digest, got);
		return -EBADMSG;
	}
	if (out)
		strcpy(out, got);
	/* Staged even if the store has it: rmi may collect that copy before
	 * this transaction commits. */
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->blobs[i].digest, got))
			return 0;
	nb = realloc(t->blobs, (t->n + 1) * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	t->blobs = nb;
	nb = &nb[t->n];
	strcpy(nb->digest, got);
	if ((r = stage(t->s, buf, len, nb->tmp, &nb->fd))) {
		errno = -r;
		return sys_err(e, "cannot write in", t->s->dir);
	}
	t->n++;
	return 0;
}

int oci_txn_commit(struct oci_txn *t, const char *name,
		   const struct oci_desc *desc, struct oci_err *e)
{
	struct oci_store *s = t->s;
	char dst[PATH_MAX], dir[PATH_MAX];
	cJSON *idx;
	int r;

	if ((r = lock(s, LOCK_EX)))
		return r;
	sweep_ingest(s);
	idx = read_index(s, e);
	if (!idx) {
		r = -EIO;
		goto out;
	}
	for (int i = 0; i < t->n; i++) {
		blob_path(s, t->blobs[i].digest, dst);
		if (rename(t->blobs[i].tmp, dst)) {
			r = sys_err(e, "cannot rename into", dst);
			goto out;
		}
		t->blobs[i].tmp[0] = 0;
	}
	path_of(s, "blobs/sha256", dir);
	if (t->n && (r = fsync_dir(dir))) {
		errno = -r;
		r = sys_err(e, "cannot sync", dir);
		goto out;
	}
	if (!oci_store_has(s, desc->digest)) {
		snprintf(e->msg, sizeof(e->msg), "store: manifest %s missing",
			 desc->digest);
		r = -ENOENT;
		goto out;
	}
	set_entry(idx, name, desc);
	r = write_index(s, idx, e);
out:
	cJSON_Delete(idx);
	unlock(s);
	return r;
}

void oci_txn_free(struct oci_txn *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++) {
		if (t->blobs[i].tmp[0])
			unlink(t->blobs[i].tmp);
		close(t->blobs[i].fd);
	}
	free(t->blobs);
	free(t);
}

/* ---- removal and garbage collection ---------------------------------------- */

struct keep {
	char (*d)[OCI_DIGEST_LEN];
	int n, cap;
};

static int keep_add(struct keep *k, const char *d)
{
	if (k->n == k->cap) {
		int cap = k->cap ? 2 * k->cap : 16;
		void *nd = realloc(k->d, cap * sizeof(*k->d));

		if (!nd)
			return -ENOMEM;
		k->d = nd;
		k->cap = cap;
	}
	snprintf(k->d[k->n++], OCI_DIGEST_LEN, "%s", d);
	return 0;
}

static bool keep_has(const struct keep *k, const char *d)
{
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->d[i], d))
			return true;
	return false;
}

/* Every blob the remaining entries reach. A manifest we cannot read keeps
 * everything: better a stale blob than a deleted one that was needed. */
static int reachable(struct oci_store *s, cJSON *idx, struct keep *k)
{
	struct oci_err e;
	struct oci_desc d;
	cJSON *m;
	int r = 0;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
	{
		struct oci_manifest man;
		struct oci_buf b = {0};

		if (entry_desc(m, &d))
			return -EBADMSG;
		if ((r = keep_add(k, d.digest)))
			return r;
		if (oci_store_get(s, d.digest, &b, &e) ||
		    oci_manifest_parse(b.data, b.len, &man, &e)) {
			oci_buf_free(&b);
			return -EBADMSG;
		}
		oci_buf_free(&b);
		r = keep_add(k, man.config.digest);
		for (int i = 0; !r && i < man.nlayers; i++)
			r = keep_add(k, man.layers[i].digest);
		oci_manifest_free(&man);
		if (r)
			return r;
	}
	return 0;
}

static void collect(struct oci_store *s, cJSON *idx)
{
	char dir[PATH_MAX], p[PATH_MAX + 300], d[300];
	struct keep k = {0};
	struct dirent *de;
	DIR *dh;

	if (reachable(s, idx, &k))
		goto out;
	path_of(s, "blobs/sha256", dir);
	if (!(dh = opendir(dir)))
		goto out;
	while ((de = readdir(dh))) {
		snprintf(d, sizeof(d), "sha256:%s", de->d_name);
		if (!oci_digest_valid(d) || keep_has(&k, d))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(dh);
out:
	free(k.d);
}

int oci_store_remove(struct oci_store *s, const char *name, struct oci_err *e)
{
	struct oci_desc d;
	cJSON *idx, *arr, *m;
	int r, i = 0;

	if ((r = lock(s, LOCK_EX)))
		return r;
	idx = read_index(s, e);
	if (!idx) {
		unlock(s);
		return -EIO;
	}
	arr = cJSON_GetObjectItemCaseSensitive(idx, "manifests");
	r = -ENOENT;
	cJSON_ArrayForEach(m, arr)
	{
		const char *n = entry_name(m);

		if (n && !entry_desc(m, &d) && name_matches(n, &d, name)) {
			cJSON_DeleteItemFromArray(arr, i);
			r = 0;
			break;
		}
		i++;
	}
	if (r)
		snprintf(e->msg, sizeof(e->msg), "%s: not in the store (%s)",
			 name, s->dir);
	else if (!(r = write_index(s, idx, e)))
		collect(s, idx);
	cJSON_Delete(idx);
	unlock(s);
	return r;
}

/* ---- whole images ------------------------------------------------------------ */

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
	if ((r = oci_store_get(s, img->manifest.config.digest, &img->config, e)) ||
	    (r = oci_store_get(s, img->manifest.layers[li].digest, &img->wasm, e)))
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
