/* oci_manifest.c — image manifests: parsing untrusted ones, recognising
 * the two Wasm layouts, building ours (oci.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "oci/oci.h"

#define MAX_LAYERS 64

static int fail(struct oci_err *e, const char *why)
{
	snprintf(e->msg, sizeof(e->msg), "bad manifest: %s", why);
	return -EBADMSG;
}

static const char *str_field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int parse_desc(const cJSON *o, struct oci_desc *d, struct oci_err *e)
{
	const char *mt = str_field(o, "mediaType"),
		   *dg = str_field(o, "digest");
	const cJSON *sz = cJSON_GetObjectItemCaseSensitive(o, "size");

	if (!mt || !dg || !cJSON_IsNumber(sz))
		return fail(e, "descriptor without mediaType, digest or size");
	if (strlen(mt) >= sizeof(d->media_type))
		return fail(e, "media type too long");
	if (!oci_digest_valid(dg))
		return fail(e, "digest is not sha256:<64 hex digits>");
	if (sz->valuedouble < 0 || sz->valuedouble > (double)INT64_MAX / 2)
		return fail(e, "size out of range");
	strcpy(d->media_type, mt);
	strcpy(d->digest, dg);
	d->size = (int64_t)sz->valuedouble;
	return 0;
}

static int parse_annotations(const cJSON *a, struct oci_manifest *m)
{
	const cJSON *kv;
	int n = cJSON_GetArraySize(a);

	if (!cJSON_IsObject(a) || !n)
		return 0;
	m->annotations = calloc(n, sizeof(*m->annotations));
	if (!m->annotations)
		return -ENOMEM;
	cJSON_ArrayForEach(kv, a)
	{
		if (!cJSON_IsString(kv))
			continue;
		m->annotations[m->nannotations].key = strdup(kv->string);
		m->annotations[m->nannotations].value = strdup(kv->valuestring);
		if (!m->annotations[m->nannotations].key ||
		    !m->annotations[m->nannotations].value)
			return -ENOMEM;
		m->nannotations++;
	}
	return 0;
}

static int parse_layers(const cJSON *ls, struct oci_manifest *m,
			struct oci_err *e)
{
	const cJSON *l;
	int n = cJSON_GetArraySize(ls), r;

	if (!cJSON_IsArray(ls))
		return fail(e, "no layers array");
	if (n > MAX_LAYERS)
		return fail(e, "too many layers");
	m->layers = calloc(n ? n : 1, sizeof(*m->layers));
	m->sigs = calloc(n ? n : 1, sizeof(*m->sigs));
	if (!m->layers || !m->sigs)
		return -ENOMEM;
	cJSON_ArrayForEach(l, ls)
	{
		if ((r = parse_desc(l, &m->layers[m->nlayers], e)))
			return r;
		const char *sig = str_field(
		    cJSON_GetObjectItemCaseSensitive(l, "annotations"),
		    OCI_ANN_COSIGN_SIG);

		if (sig && !(m->sigs[m->nlayers] = strdup(sig)))
			return -ENOMEM;
		m->nlayers++;
	}
	return 0;
}

static int parse(const cJSON *j, struct oci_manifest *m, struct oci_err *e)
{
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(j, "schemaVersion");
	const char *mt = str_field(j, "mediaType");
	int r;

	if (!cJSON_IsObject(j))
		return fail(e, "not a JSON object");
	if (!cJSON_IsNumber(sv) || sv->valueint != 2)
		return fail(e, "schemaVersion is not 2");
	if (mt &&
	    (!strcmp(mt, OCI_MT_INDEX) || !strcmp(mt, OCI_MT_DOCKER_LIST) ||
	     cJSON_GetObjectItemCaseSensitive(j, "manifests"))) {
		snprintf(e->msg, sizeof(e->msg),
			 "unsupported layout: an image index (%s), not a "
			 "single Wasm image",
			 mt);
		return -EPROTO;
	}
	if (!mt && cJSON_GetObjectItemCaseSensitive(j, "manifests")) {
		snprintf(e->msg, sizeof(e->msg),
			 "unsupported layout: an image index, not a single "
			 "Wasm image");
		return -EPROTO;
	}
	snprintf(m->media_type, sizeof(m->media_type), "%s",
		 mt ? mt : OCI_MT_MANIFEST);
	if (strcmp(m->media_type, OCI_MT_MANIFEST) &&
	    strcmp(m->media_type, OCI_MT_DOCKER_MANIFEST)) {
		snprintf(e->msg, sizeof(e->msg),
			 "unsupported manifest media type %.200s", mt);
		return -EPROTO;
	}
	if ((r = parse_desc(cJSON_GetObjectItemCaseSensitive(j, "config"),
			    &m->config, e)))
		return r;
	if ((r = parse_layers(cJSON_GetObjectItemCaseSensitive(j, "layers"), m,
			      e)))
		return r;
	return parse_annotations(
	    cJSON_GetObjectItemCaseSensitive(j, "annotations"), m);
}

int oci_manifest_parse(const void *buf, size_t len, struct oci_manifest *m,
		       struct oci_err *e)
{
	cJSON *j = cJSON_ParseWithLength(buf, len);
	int r;

	memset(m, 0, sizeof(*m));
	if (!j)
		return fail(e, "not JSON");
	r = parse(j, m, e);
	cJSON_Delete(j);
	if (r == -ENOMEM)
		snprintf(e->msg, sizeof(e->msg), "out of memory");
	if (r)
		oci_manifest_free(m);
	return r;
}

void oci_manifest_free(struct oci_manifest *m)
{
	for (int i = 0; i < m->nannotations; i++) {
		free(m->annotations[i].key);
		free(m->annotations[i].value);
	}
	for (int i = 0; m->sigs && i < m->nlayers; i++)
		free(m->sigs[i]);
	free(m->annotations);
	free(m->layers);
	free(m->sigs);
	memset(m, 0, sizeof(*m));
}

const char *oci_manifest_annotation(const struct oci_manifest *m,
				    const char *key)
{
	for (int i = 0; i < m->nannotations; i++)
		if (!strcmp(m->annotations[i].key, key))
			return m->annotations[i].value;
	return NULL;
}

int oci_manifest_wasm_layer(const struct oci_manifest *m, struct oci_err *e)
{
	const char *cfg = m->config.media_type;
	size_t off;

	if (m->nlayers == 1) {
		const char *l = m->layers[0].media_type;

		if (!strcmp(l, OCI_MT_WASM_LAYER) &&
		    (!strcmp(cfg, OCI_MT_WASM_CONFIG) ||
		     !strcmp(cfg, OCI_MT_IMAGE_CONFIG)))
			return 0;
		if (!strcmp(l, OCI_MT_ECLI_LAYER) &&
		    !strcmp(cfg, OCI_MT_ECLI_CONFIG))
			return 0;
	}
	off = snprintf(e->msg, sizeof(e->msg),
		       "unsupported layout: not a single-module Wasm image "
		       "(config %.100s; %d layer%s",
		       cfg, m->nlayers, m->nlayers == 1 ? "" : "s");
	for (int i = 0; i < m->nlayers && off < sizeof(e->msg); i++)
		off += snprintf(e->msg + off, sizeof(e->msg) - off, "%s%.100s",
				i ? ", " : ": ", m->layers[i].media_type);
	if (off < sizeof(e->msg))
		snprintf(e->msg + off, sizeof(e->msg) - off, ")");
	return -EPROTO;
}

static cJSON *desc_json(const char *mt, const char *digest, int64_t size)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "mediaType", mt);
	cJSON_AddStringToObject(d, "digest", digest);
	cJSON_AddNumberToObject(d, "size", (double)size);
	return d;
}

static char *config_json(enum oci_format fmt, const char *wasm_digest,
			 const char *created)
{
	cJSON *c, *ld;
	char *s;

	if (fmt == OCI_FORMAT_ECLI)
		return strdup("{}"); /* what ecli writes */
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "created", created);
	cJSON_AddStringToObject(c, "architecture", "wasm");
	cJSON_AddStringToObject(c, "os", "wasip1");
	ld = cJSON_AddArrayToObject(c, "layerDigests");
	cJSON_AddItemToArray(ld, cJSON_CreateString(wasm_digest));
	s = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	return s;
}

int oci_build_image(enum oci_format fmt, const char *wasm_digest,
		    int64_t wasm_size, const char *created,
		    const struct oci_kv *ann, int nann, char **config,
		    char **manifest)
{
	char cdigest[OCI_DIGEST_LEN];
	cJSON *m, *layers, *a;

	*manifest = NULL;
	*config = config_json(fmt, wasm_digest, created);
	if (!*config)
		return -ENOMEM;
	oci_sha256(*config, strlen(*config), cdigest);
	m = cJSON_CreateObject();
	cJSON_AddNumberToObject(m, "schemaVersion", 2);
	cJSON_AddStringToObject(m, "mediaType", OCI_MT_MANIFEST);
	cJSON_AddItemToObject(m, "config",
			      desc_json(fmt == OCI_FORMAT_CNCF
					    ? OCI_MT_WASM_CONFIG
					    : OCI_MT_ECLI_CONFIG,
					cdigest, strlen(*config)));
	layers = cJSON_AddArrayToObject(m, "layers");
	cJSON_AddItemToArray(layers, desc_json(fmt == OCI_FORMAT_CNCF
						   ? OCI_MT_WASM_LAYER
						   : OCI_MT_ECLI_LAYER,
					       wasm_digest, wasm_size));
	if (nann) {
		a = cJSON_AddObjectToObject(m, "annotations");
		/* A later pair with the same key wins (user over ours). */
		for (int i = 0; i < nann; i++) {
			cJSON_DeleteItemFromObjectCaseSensitive(a, ann[i].key);
			cJSON_AddStringToObject(a, ann[i].key, ann[i].value);
		}
	}
	*manifest = cJSON_PrintUnformatted(m);
	cJSON_Delete(m);
	if (!*manifest) {
		free(*config);
		*config = NULL;
		return -ENOMEM;
	}
	return 0;
}
