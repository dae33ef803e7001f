/* oci_txn.c — writes to the store, all or nothing (oci.h).
 *
 * Writers stage blobs as temporary files in ingest/ (each held with a
 * flock while its writer lives), then take the store's exclusive lock to
 * rename them into blobs/sha256/ and rewrite index.json, so readers and
 * rmi's garbage collection never see half an image. A temporary file
 * nobody holds (and a minute old) is what a killed writer left; the next
 * commit removes it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "oci/oci.h"
#include "oci/oci_store_int.h"

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

/* A writer creates its file, then locks it: only a file unlocked and a
 * minute old is surely a dead writer's. */
#define STALE_SECONDS 60

/* Removes what killed writers left in ingest/. Under the exclusive lock. */
static void sweep_ingest(struct oci_store *s)
{
	char dir[PATH_MAX], p[PATH_MAX + 256];
	time_t now = time(NULL);
	struct dirent *d;
	struct stat st;
	DIR *dh;

	store_path_of(s, "ingest", dir);
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
		if (!fstat(fd, &st) && now - st.st_mtime >= STALE_SECONDS &&
		    !flock(fd, LOCK_EX | LOCK_NB))
			unlink(p);
		close(fd);
	}
	closedir(dh);
}

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
	if ((r = store_stage(t->s, buf, len, nb->tmp, &nb->fd))) {
		errno = -r;
		return store_sys_err(e, "cannot write in", t->s->dir);
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

	if ((r = store_lock(s, LOCK_EX, e)))
		return r;
	sweep_ingest(s);
	idx = store_read_index(s, e);
	if (!idx) {
		r = -EIO;
		goto out;
	}
	for (int i = 0; i < t->n; i++) {
		store_blob_path(s, t->blobs[i].digest, dst);
		if (rename(t->blobs[i].tmp, dst)) {
			r = store_sys_err(e, "cannot rename into", dst);
			goto out;
		}
		t->blobs[i].tmp[0] = 0;
	}
	store_path_of(s, "blobs/sha256", dir);
	if (t->n && (r = store_fsync_dir(dir))) {
		errno = -r;
		r = store_sys_err(e, "cannot sync", dir);
		goto out;
	}
	if (!oci_store_has(s, desc->digest)) {
		snprintf(e->msg, sizeof(e->msg), "store: manifest %s missing",
			 desc->digest);
		r = -ENOENT;
		goto out;
	}
	store_set_entry(idx, name, desc);
	r = store_write_index(s, idx, e);
out:
	cJSON_Delete(idx);
	store_unlock(s);
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
