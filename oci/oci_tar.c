/* oci_tar.c — `save` and `load`: the store's images as an OCI image-layout
 * tar archive (ustar), for nodes without a registry (oci.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "oci/oci.h"

#define BLOCK 512

/* Padding and the end-of-archive blocks. Never written, but not const:
 * a const array of zeros would take 1.5 KB of the binary's read-only data,
 * this one is .bss. */
static char zeros[2 * BLOCK];

/* ---- writing ------------------------------------------------------------- */

static void octal(char *field, size_t width, uint64_t v)
{
	snprintf(field, width, "%0*llo", (int)width - 1, (unsigned long long)v);
}

static int tar_add(struct oci_buf *out, const char *name, const void *data,
		   size_t len)
{
	unsigned char h[BLOCK] = {0};
	unsigned sum = 0;
	int r;

	snprintf((char *)h, 100, "%s", name);
	octal((char *)h + 100, 8, 0644);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, len);
	octal((char *)h + 136, 12, 0);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < BLOCK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	if ((r = oci_buf_add(out, h, BLOCK)) ||
	    (r = oci_buf_add(out, data, len)))
		return r;
	return oci_buf_add(out, zeros, (BLOCK - len % BLOCK) % BLOCK);
}

static int add_blob(struct oci_store *s, struct oci_buf *out, cJSON *seen,
		    const char *digest, struct oci_err *e)
{
	struct oci_buf b = {0};
	char name[100];
	int r;

	if (cJSON_GetObjectItemCaseSensitive(seen, digest))
		return 0;
	cJSON_AddTrueToObject(seen, digest);
	if ((r = oci_store_get(s, digest, &b, e)))
		return r;
	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	r = tar_add(out, name, b.data, b.len);
	oci_buf_free(&b);
	return r;
}

static int add_image(struct oci_store *s, struct oci_buf *out, cJSON *seen,
		     cJSON *manifests, const char *name, struct oci_err *e)
{
	struct oci_desc d;
	struct oci_manifest m;
	struct oci_buf raw = {0};
	cJSON *entry, *a;
	int r;

	if ((r = oci_store_resolve(s, name, &d, e)) ||
	    (r = oci_store_get(s, d.digest, &raw, e)))
		return r;
	r = oci_manifest_parse(raw.data, raw.len, &m, e);
	oci_buf_free(&raw);
	if (r)
		return r;
	r = add_blob(s, out, seen, d.digest, e);
	if (!r)
		r = add_blob(s, out, seen, m.config.digest, e);
	for (int i = 0; !r && i < m.nlayers; i++)
		r = add_blob(s, out, seen, m.layers[i].digest, e);
	oci_manifest_free(&m);
	entry = cJSON_CreateObject();
	cJSON_AddStringToObject(entry, "mediaType", d.media_type);
	cJSON_AddStringToObject(entry, "digest", d.digest);
	cJSON_AddNumberToObject(entry, "size", (double)d.size);
	a = cJSON_AddObjectToObject(entry, "annotations");
	cJSON_AddStringToObject(a, OCI_ANN_REF_NAME, name);
	cJSON_AddItemToArray(manifests, entry);
	return r;
}

int oci_save(struct oci_store *s, const char *const *names, int n,
	     const char *tar_path, struct oci_err *e)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	cJSON *seen = cJSON_CreateObject(), *idx = cJSON_CreateObject(), *mans;
	struct oci_buf out = {0};
	char *txt = NULL;
	int r = 0;

	cJSON_AddNumberToObject(idx, "schemaVersion", 2);
	cJSON_AddStringToObject(idx, "mediaType", OCI_MT_INDEX);
	mans = cJSON_AddArrayToObject(idx, "manifests");
	r = tar_add(&out, "oci-layout", layout, strlen(layout));
	for (int i = 0; !r && i < n; i++)
		r = add_image(s, &out, seen, mans, names[i], e);
	if (!r && !(txt = cJSON_Print(idx)))
		r = -ENOMEM;
	if (!r)
		r = tar_add(&out, "index.json", txt, strlen(txt));
	if (!r)
		r = oci_buf_add(&out, zeros, sizeof(zeros));
	if (!r)
		r = oci_write_file(tar_path, out.data, out.len, 0644, e);
	if (r == -ENOMEM)
		snprintf(e->msg, sizeof(e->msg), "out of memory");
	free(txt);
	oci_buf_free(&out);
	cJSON_Delete(seen);
	cJSON_Delete(idx);
	return r;
}

/* ---- reading ------------------------------------------------------------- */

struct member {
	char name[256];
	const char *data;
	size_t len;
};

static int bad_tar(struct oci_err *e, const char *path, const char *why)
{
	snprintf(e->msg, sizeof(e->msg),
		 "%.300s: not an OCI image-layout "
		 "archive: %s",
		 path, why);
	return -EBADMSG;
}

static uint64_t parse_octal(const char *f, size_t n, bool *ok)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (f[i] - '0');
	*ok = i == n || f[i] == 0 || f[i] == ' ';
	return v;
}

/* The regular files of the archive, pointing into `tar`. */
static int members(const struct oci_buf *tar, struct member **out, int *n,
		   const char *path, struct oci_err *e)
{
	size_t off = 0;
	struct member *v = NULL;

	*n = 0;
	while (off + BLOCK <= tar->len) {
		const char *h = tar->data + off;
		bool ok;
		uint64_t len = parse_octal(h + 124, 12, &ok);
		struct member *nv;

		if (!h[0])
			break; /* end-of-archive block */
		if (!ok || len > tar->len - off - BLOCK) {
			free(v);
			return bad_tar(e, path, "truncated or corrupt header");
		}
		if (h[156] == '0' || h[156] == 0) {
			if (!(nv = realloc(v, (*n + 1) * sizeof(*v)))) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			snprintf(v[*n].name, sizeof(v[*n].name), "%.*s%s%.*s",
				 h[345] ? 155 : 0, h + 345, h[345] ? "/" : "",
				 100, h);
			v[*n].data = h + BLOCK;
			v[*n].len = len;
			(*n)++;
		}
		off += BLOCK + (len + BLOCK - 1) / BLOCK * BLOCK;
	}
	*out = v;
	return 0;
}

static const struct member *find(const struct member *v, int n,
				 const char *name)
{
	if (!strncmp(name, "./", 2))
		name += 2;
	for (int i = 0; i < n; i++) {
		const char *m = v[i].name;

		if (!strncmp(m, "./", 2))
			m += 2;
		if (!strcmp(m, name))
			return &v[i];
	}
	return NULL;
}

static const struct member *blob(const struct member *v, int n,
				 const char *digest)
{
	char name[100];

	snprintf(name, sizeof(name), "blobs/sha256/%s", digest + 7);
	return find(v, n, name);
}

static int load_one(struct oci_store *s, const struct member *v, int n,
		    const cJSON *entry, const char *path, struct oci_err *e)
{
	const cJSON *dg = cJSON_GetObjectItemCaseSensitive(entry, "digest");
	const cJSON *nm = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(entry, "annotations"),
	    OCI_ANN_REF_NAME);
	const struct member *mb;
	struct oci_manifest m;
	struct oci_desc d = {.media_type = OCI_MT_MANIFEST};
	struct oci_ref ref;
	struct oci_txn *t;
	char name[700];
	int r;

	if (!cJSON_IsString(dg) || !oci_digest_valid(dg->valuestring) ||
	    !cJSON_IsString(nm))
		return bad_tar(e, path, "index entry without digest or name");
	if ((r = oci_ref_parse(nm->valuestring, &ref, e)))
		return r;
	oci_ref_name(&ref, name, sizeof(name));
	if (!(mb = blob(v, n, dg->valuestring)))
		return bad_tar(e, path, "a manifest blob is missing");
	if ((r = oci_manifest_parse(mb->data, mb->len, &m, e)))
		return r;
	strcpy(d.digest, dg->valuestring);
	d.size = mb->len;
	snprintf(d.media_type, sizeof(d.media_type), "%s", m.media_type);
	if ((r = oci_txn_begin(s, &t)))
		goto out;
	r = oci_txn_add(t, mb->data, mb->len, d.digest, NULL, e);
	for (int i = 0; !r && i <= m.nlayers; i++) {
		const char *bd = i ? m.layers[i - 1].digest : m.config.digest;
		const struct member *b = blob(v, n, bd);

		r = b ? oci_txn_add(t, b->data, b->len, bd, NULL, e)
		      : bad_tar(e, path,
				"a blob the manifest names is missing");
	}
	if (!r)
		r = oci_txn_commit(t, name, &d, e);
	oci_txn_free(t);
out:
	oci_manifest_free(&m);
	return r;
}

int oci_load(struct oci_store *s, const char *tar_path,
	     void (*report)(const char *name, void *ctx), void *ctx,
	     struct oci_err *e)
{
	struct oci_buf tar = {0};
	struct member *v = NULL;
	const struct member *idxm;
	const cJSON *entry;
	cJSON *idx = NULL;
	int n, r;

	if ((r = oci_read_file(tar_path, &tar, e)) ||
	    (r = members(&tar, &v, &n, tar_path, e)))
		goto out;
	if (!find(v, n, "oci-layout") || !(idxm = find(v, n, "index.json")) ||
	    !(idx = cJSON_ParseWithLength(idxm->data, idxm->len)) ||
	    !cJSON_IsArray(
		cJSON_GetObjectItemCaseSensitive(idx, "manifests"))) {
		r = bad_tar(e, tar_path, "no oci-layout or index.json");
		goto out;
	}
	cJSON_ArrayForEach(entry,
			   cJSON_GetObjectItemCaseSensitive(idx, "manifests"))
	{
		if ((r = load_one(s, v, n, entry, tar_path, e)))
			break;
		if (report)
			report(cJSON_GetObjectItemCaseSensitive(
				   cJSON_GetObjectItemCaseSensitive(
				       entry, "annotations"),
				   OCI_ANN_REF_NAME)
				   ->valuestring,
			       ctx);
	}
out:
	cJSON_Delete(idx);
	free(v);
	oci_buf_free(&tar);
	return r;
}
