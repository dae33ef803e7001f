/* oci_dist.c — pull, push, sign and verify: the registry client and the
 * store put together (oci.h). Everything a pull fetches is verified in
 * memory and committed to the store in one transaction, so a failed or
 * interrupted pull leaves the store as it was. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "oci/oci.h"

#define MAX_BLOB ((int64_t)1 << 30)

/* A manifest and its blobs (config first, then the layers). */
struct image {
	struct oci_desc desc;
	struct oci_buf raw;
	struct oci_manifest m;
	struct oci_buf *blobs;
	int nblobs;
};

static void image_free(struct image *im)
{
	for (int i = 0; i < im->nblobs; i++)
		oci_buf_free(&im->blobs[i]);
	free(im->blobs);
	oci_buf_free(&im->raw);
	oci_manifest_free(&im->m);
	memset(im, 0, sizeof(*im));
}

static int fetch(struct oci_client *c, const char *tag_or_digest,
		 bool wasm_only, struct image *im, struct oci_err *e)
{
	int r;

	memset(im, 0, sizeof(*im));
	if ((r = oci_client_get_manifest(c, tag_or_digest, &im->raw, &im->desc,
					 e)) ||
	    (r = oci_manifest_parse(im->raw.data, im->raw.len, &im->m, e)))
		return r;
	snprintf(im->desc.media_type, sizeof(im->desc.media_type), "%s",
		 im->m.media_type);
	if (wasm_only && (r = oci_manifest_wasm_layer(&im->m, e)) < 0)
		return r;
	im->blobs = calloc(im->m.nlayers + 1, sizeof(*im->blobs));
	if (!im->blobs)
		return -ENOMEM;
	for (int i = 0; i <= im->m.nlayers; i++) {
		const struct oci_desc *d =
		    i ? &im->m.layers[i - 1] : &im->m.config;

		if (d->size > MAX_BLOB) {
			snprintf(e->msg, sizeof(e->msg),
				 "blob %s is too large (%lld bytes)", d->digest,
				 (long long)d->size);
			return -EFBIG;
		}
		if ((r = oci_client_get_blob(c, d, &im->blobs[i], e)))
			return r;
		im->nblobs++;
	}
	return 0;
}

static int store_image(struct oci_store *s, const char *name,
		       const struct image *im, struct oci_err *e)
{
	struct oci_txn *t;
	int r = oci_txn_begin(s, &t);

	if (r)
		return r;
	for (int i = 0; !r && i < im->nblobs; i++) {
		const struct oci_desc *d =
		    i ? &im->m.layers[i - 1] : &im->m.config;

		r = oci_txn_add(t, im->blobs[i].data, im->blobs[i].len,
				d->digest, NULL, e);
	}
	if (!r)
		r = oci_txn_add(t, im->raw.data, im->raw.len, im->desc.digest,
				NULL, e);
	if (!r)
		r = oci_txn_commit(t, name, &im->desc, e);
	oci_txn_free(t);
	return r;
}

static void sig_name(const struct oci_ref *ref, const char *digest, char *buf,
		     size_t len)
{
	char tag[80];

	oci_sig_tag(digest, tag, sizeof(tag));
	snprintf(buf, len, "%s/%s:%s", ref->registry, ref->repo, tag);
}

/* Some layer of the signature image is a payload naming `digest`, signed
 * by one of the keys. payloads[i] is layer i's content. */
static int check_sigs(const struct oci_manifest *sm,
		      const struct oci_buf *payloads, const char *digest,
		      const char *const *pubs, int npubs, struct oci_err *e)
{
	int r = -ENOENT;

	snprintf(e->msg, sizeof(e->msg), "no signature for %s", digest);
	for (int i = 0; i < sm->nlayers; i++) {
		if (strcmp(sm->layers[i].media_type, OCI_MT_COSIGN_LAYER) ||
		    !sm->sigs[i])
			continue;
		for (int k = 0; k < npubs; k++) {
			r = oci_sig_verify(pubs[k], payloads[i].data,
					   payloads[i].len, sm->sigs[i], digest,
					   e);
			if (!r ||
			    r == -EINVAL) /* verified, or a bad key file */
				return r;
		}
	}
	return r;
}

int oci_pull(struct oci_store *s, const struct oci_ref *ref,
	     const struct oci_client_opts *opts, const char *const *pubs,
	     int npubs, struct oci_desc *desc, struct oci_err *e)
{
	struct image im = {0}, sig = {0};
	struct oci_client *c = NULL;
	char name[700], tag[80];
	int r;

	if ((r = oci_client_new(ref, opts, &c, e)) ||
	    (r = fetch(c, ref->digest[0] ? ref->digest : ref->tag, true, &im,
		       e)))
		goto out;
	if (npubs) {
		oci_sig_tag(im.desc.digest, tag, sizeof(tag));
		r = fetch(c, tag, false, &sig, e);
		if (r == -ENOENT)
			snprintf(e->msg, sizeof(e->msg),
				 "%.150s/%.200s: no signature for %s",
				 ref->registry, ref->repo, im.desc.digest);
		if (r || (r = check_sigs(&sig.m, sig.blobs + 1, im.desc.digest,
					 pubs, npubs, e)))
			goto out;
	}
	oci_ref_name(ref, name, sizeof(name));
	if (opts && opts->sz > offsetof(struct oci_client_opts, admit) &&
	    opts->admit &&
	    opts->admit(opts->admit_ctx, name, im.desc.digest, npubs > 0, e)) {
		r = -EPERM;
		goto out;
	}
	if ((r = store_image(s, name, &im, e)))
		goto out;
	if (npubs) {
		sig_name(ref, im.desc.digest, name, sizeof(name));
		r = store_image(s, name, &sig, e);
	}
	if (!r && desc)
		*desc = im.desc;
out:
	image_free(&im);
	image_free(&sig);
	oci_client_free(c);
	return r;
}

static int push_blobs(struct oci_client *c, const struct oci_manifest *m,
		      const struct oci_buf *blobs, struct oci_err *e)
{
	int r = 0;

	for (int i = 0; !r && i <= m->nlayers; i++) {
		const struct oci_desc *d = i ? &m->layers[i - 1] : &m->config;

		r = oci_client_put_blob(c, blobs[i].data, blobs[i].len,
					d->digest, e);
	}
	return r;
}

int oci_push(struct oci_store *s, const char *name, const struct oci_ref *dst,
	     const struct oci_client_opts *opts, struct oci_err *e)
{
	struct oci_client *c = NULL;
	struct oci_image img;
	struct oci_buf blobs[2];
	int r;

	/* A loaded image has a config and exactly one layer. */
	if ((r = oci_store_load_image(s, name, &img, e)))
		return r;
	blobs[0] = img.config;
	blobs[1] = img.wasm;
	if (!(r = oci_client_new(dst, opts, &c, e)) &&
	    !(r = push_blobs(c, &img.manifest, blobs, e)))
		r = oci_client_put_manifest(
		    c, dst->tag[0] ? dst->tag : dst->digest,
		    img.desc.media_type, img.manifest_raw.data,
		    img.manifest_raw.len, e);
	oci_client_free(c);
	oci_image_free(&img);
	return r;
}

/* cosign's signature images carry an image config of their own; any valid
 * one does, verifiers read only the layers. */
static char *sig_config(const char *payload_digest)
{
	char *s;

	if (asprintf(
		&s,
		"{\"architecture\":\"\",\"config\":{},\"created\":"
		"\"0001-01-01T00:00:00Z\",\"os\":\"\",\"rootfs\":{\"type\":"
		"\"layers\",\"diff_ids\":[\"%s\"]}}",
		payload_digest) < 0)
		return NULL;
	return s;
}

/* A new signature image's manifest: our config, no layer yet. */
static cJSON *sig_manifest(const char *config)
{
	char cd[OCI_DIGEST_LEN];
	cJSON *m = cJSON_CreateObject(), *c;

	oci_sha256(config, strlen(config), cd);
	cJSON_AddNumberToObject(m, "schemaVersion", 2);
	cJSON_AddStringToObject(m, "mediaType", OCI_MT_MANIFEST);
	c = cJSON_AddObjectToObject(m, "config");
	cJSON_AddStringToObject(c, "mediaType", OCI_MT_IMAGE_CONFIG);
	cJSON_AddNumberToObject(c, "size", (double)strlen(config));
	cJSON_AddStringToObject(c, "digest", cd);
	cJSON_AddArrayToObject(m, "layers");
	return m;
}

/* Adds the layer of one signature, unless the image has it already. */
static void add_sig_layer(cJSON *m, const char *payload, const char *pd,
			  const char *b64)
{
	cJSON *layers = cJSON_GetObjectItemCaseSensitive(m, "layers"), *l, *a;

	cJSON_ArrayForEach(l, layers)
	{
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(l, "digest");
		const cJSON *sg = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(l, "annotations"),
		    OCI_ANN_COSIGN_SIG);

		if (cJSON_IsString(d) && !strcmp(d->valuestring, pd) &&
		    cJSON_IsString(sg) && !strcmp(sg->valuestring, b64))
			return;
	}
	l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "mediaType", OCI_MT_COSIGN_LAYER);
	cJSON_AddNumberToObject(l, "size", (double)strlen(payload));
	cJSON_AddStringToObject(l, "digest", pd);
	a = cJSON_AddObjectToObject(l, "annotations");
	cJSON_AddStringToObject(a, OCI_ANN_COSIGN_SIG, b64);
	cJSON_AddItemToArray(layers, l);
}

/* The signature image with ours added to prev's signatures (prev->raw
 * empty: none yet), as cosign adds one: ready to store or push. */
static int build_sig(const struct oci_ref *ref, const char *digest,
		     const char *key_file, const struct image *prev,
		     struct image *im, struct oci_err *e)
{
	char pd[OCI_DIGEST_LEN], *payload, *b64 = NULL, *config = NULL,
					   *man = NULL;
	cJSON *m = NULL;
	int r, n = prev->nblobs;

	memset(im, 0, sizeof(*im));
	payload = oci_sig_payload(ref, digest);
	if (!payload)
		return -ENOMEM;
	oci_sha256(payload, strlen(payload), pd);
	if ((r = oci_sig_sign(key_file, payload, strlen(payload), &b64, e)))
		goto out;
	r = -ENOMEM;
	if (n)
		m = cJSON_ParseWithLength(prev->raw.data, prev->raw.len);
	else if ((config = sig_config(pd)))
		m = sig_manifest(config);
	if (!m || !(im->blobs = calloc(n ? n + 1 : 2, sizeof(*im->blobs))))
		goto out;
	add_sig_layer(m, payload, pd, b64);
	if (!(man = cJSON_PrintUnformatted(m)) ||
	    oci_buf_add(&im->raw, man, strlen(man)))
		goto out;
	for (int i = 0; i < n; i++)
		if (oci_buf_add(&im->blobs[i], prev->blobs[i].data,
				prev->blobs[i].len))
			goto out;
	if ((!n && oci_buf_add(&im->blobs[n++], config, strlen(config))) ||
	    oci_buf_add(&im->blobs[n++], payload, strlen(payload)))
		goto out;
	im->nblobs = n;
	oci_sha256(man, strlen(man), im->desc.digest);
	im->desc.size = strlen(man);
	strcpy(im->desc.media_type, OCI_MT_MANIFEST);
	r = oci_manifest_parse(man, strlen(man), &im->m, e);
out:
	if (r == -ENOMEM)
		snprintf(e->msg, sizeof(e->msg), "out of memory");
	cJSON_Delete(m);
	free(payload);
	free(b64);
	free(config);
	free(man);
	return r;
}

/* A stored image of any layout, with every blob, verified. */
static int load_stored(struct oci_store *s, const char *name, struct image *im,
		       struct oci_err *e)
{
	int r;

	memset(im, 0, sizeof(*im));
	if ((r = oci_store_resolve(s, name, &im->desc, e)) ||
	    (r = oci_store_get(s, im->desc.digest, &im->raw, e)) ||
	    (r = oci_manifest_parse(im->raw.data, im->raw.len, &im->m, e)))
		return r;
	if (!(im->blobs = calloc(im->m.nlayers + 1, sizeof(*im->blobs))))
		return -ENOMEM;
	for (int i = 0; i <= im->m.nlayers; i++) {
		const struct oci_desc *d =
		    i ? &im->m.layers[i - 1] : &im->m.config;

		if ((r = oci_store_get(s, d->digest, &im->blobs[i], e)))
			return r;
		im->nblobs++;
	}
	return 0;
}

int oci_sign(struct oci_store *s, const struct oci_ref *ref, const char *digest,
	     const char *key_file, const struct oci_client_opts *opts,
	     struct oci_err *e)
{
	struct oci_client *c = NULL;
	struct image im = {0}, prev = {0};
	char name[700], tag[80];
	int r;

	sig_name(ref, digest, name, sizeof(name));
	oci_sig_tag(digest, tag, sizeof(tag));
	/* Signatures already made (by anyone) are kept: ours is added. */
	if (opts) {
		if ((r = oci_client_new(ref, opts, &c, e)))
			goto out;
		r = fetch(c, tag, false, &prev, e);
	} else {
		r = load_stored(s, name, &prev, e);
	}
	if (r == -ENOENT) {
		image_free(&prev);
	} else if (r) {
		goto out;
	}
	if ((r = build_sig(ref, digest, key_file, &prev, &im, e)) ||
	    (r = store_image(s, name, &im, e)) || !c)
		goto out;
	if (!(r = push_blobs(c, &im.m, im.blobs, e)))
		r = oci_client_put_manifest(c, tag, OCI_MT_MANIFEST,
					    im.raw.data, im.raw.len, e);
out:
	oci_client_free(c);
	image_free(&prev);
	image_free(&im);
	return r;
}

int oci_verify(struct oci_store *s, const struct oci_ref *ref,
	       const char *digest, const char *const *pubs, int npubs,
	       struct oci_err *e)
{
	struct image im;
	char name[700];
	int r;

	sig_name(ref, digest, name, sizeof(name));
	r = load_stored(s, name, &im, e);
	if (r == -ENOENT)
		snprintf(e->msg, sizeof(e->msg),
			 "no signature for %s in the store (pull it with "
			 "--verify-key)",
			 digest);
	if (!r)
		r = check_sigs(&im.m, im.blobs + 1, digest, pubs, npubs, e);
	image_free(&im);
	return r;
}

int oci_fetch_meta(const struct oci_ref *ref,
		   const struct oci_client_opts *opts, struct oci_image *img,
		   struct oci_err *e)
{
	struct oci_client *c = NULL;
	int r;

	memset(img, 0, sizeof(*img));
	if ((r = oci_client_new(ref, opts, &c, e)) ||
	    (r = oci_client_get_manifest(
		 c, ref->digest[0] ? ref->digest : ref->tag, &img->manifest_raw,
		 &img->desc, e)) ||
	    (r = oci_manifest_parse(img->manifest_raw.data,
				    img->manifest_raw.len, &img->manifest, e)))
		goto out;
	if ((r = oci_manifest_wasm_layer(&img->manifest, e)) < 0)
		goto out;
	if (img->manifest.config.size > (1 << 20)) {
		snprintf(e->msg, sizeof(e->msg),
			 "config of %lld bytes: too large",
			 (long long)img->manifest.config.size);
		r = -EFBIG;
		goto out;
	}
	r = oci_client_get_blob(c, &img->manifest.config, &img->config, e);
out:
	if (r)
		oci_image_free(img);
	oci_client_free(c);
	return r;
}
