/* oci_index.c — the store's index.json: names and the manifests they
 * point at; lookups, listing, removal, and the garbage collection that
 * follows a removal (oci.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "oci/oci.h"
#include "oci/oci_store_int.h"

cJSON *store_read_index(struct oci_store *s, struct oci_err *e)
{
	struct oci_buf b = {0};
	char p[PATH_MAX];
	cJSON *j, *m;

	store_path_of(s, "index.json", p);
	if (oci_read_file(p, &b, e))
		return NULL;
	j = cJSON_ParseWithLength(b.data, b.len);
	oci_buf_free(&b);
	m = cJSON_GetObjectItemCaseSensitive(j, "manifests");
	if (!cJSON_IsArray(m)) {
		snprintf(e->msg, sizeof(e->msg),
			 "store: %.300s is not an image index", p);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

int store_write_index(struct oci_store *s, cJSON *j, struct oci_err *e)
{
	char *txt = cJSON_Print(j);
	int r;

	if (!txt) {
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		return -ENOMEM;
	}
	r = store_write_atomic(s, "index.json", txt, strlen(txt));
	free(txt);
	if (r) {
		errno = -r;
		return store_sys_err(e, "cannot write", "index.json");
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

	cJSON_ArrayForEach(m,
			   cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
	{
		const char *n = entry_name(m);

		if (n && !entry_desc(m, d) && name_matches(n, d, name))
			return m;
	}
	return NULL;
}

/* index.json as it is now, read under the shared lock. */
static cJSON *index_now(struct oci_store *s, struct oci_err *e)
{
	cJSON *idx;

	if (store_lock(s, LOCK_SH, e))
		return NULL;
	idx = store_read_index(s, e);
	store_unlock(s);
	return idx;
}

int oci_store_resolve(struct oci_store *s, const char *name,
		      struct oci_desc *out, struct oci_err *e)
{
	cJSON *idx = index_now(s, e);
	int r;

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
	cJSON *idx = index_now(s, e), *m;

	*out = NULL;
	*n = 0;
	if (!idx)
		return -EIO;
	v = calloc(cJSON_GetArraySize(cJSON_GetObjectItem(idx, "manifests")) +
		       1,
		   sizeof(*v));
	if (!v) {
		cJSON_Delete(idx);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(m,
			   cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
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

void store_set_entry(cJSON *idx, const char *name, const struct oci_desc *d)
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
}

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

	cJSON_ArrayForEach(m,
			   cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
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
	store_path_of(s, "blobs/sha256", dir);
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

	if ((r = store_lock(s, LOCK_EX, e)))
		return r;
	idx = store_read_index(s, e);
	if (!idx) {
		store_unlock(s);
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
	else if (!(r = store_write_index(s, idx, e)))
		collect(s, idx);
	cJSON_Delete(idx);
	store_unlock(s);
	return r;
}
