/* oci_sig.c — cosign's key-based signatures: the simple-signing payload,
 * ECDSA P-256 over its SHA-256, base64 DER in the layer annotation
 * dev.cosignproject.cosign/signature, under the tag sha256-HEX.sig
 * (oci.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "oci/oci.h"

#define SIG_TYPE "cosign container image signature"

char *oci_sig_payload(const struct oci_ref *ref, const char *digest)
{
	cJSON *p = cJSON_CreateObject(), *c, *o;
	char repo[600];
	char *s;

	snprintf(repo, sizeof(repo), "%s/%s", ref->registry, ref->repo);
	c = cJSON_AddObjectToObject(p, "critical");
	o = cJSON_AddObjectToObject(c, "identity");
	cJSON_AddStringToObject(o, "docker-reference", repo);
	o = cJSON_AddObjectToObject(c, "image");
	cJSON_AddStringToObject(o, "docker-manifest-digest", digest);
	cJSON_AddStringToObject(c, "type", SIG_TYPE);
	cJSON_AddNullToObject(p, "optional");
	s = cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	return s;
}

void oci_sig_tag(const char *digest, char *buf, size_t len)
{
	snprintf(buf, len, "sha256-%.64s.sig", digest + 7);
}

static int key_error(struct oci_err *e, const char *file, const char *why)
{
	snprintf(e->msg, sizeof(e->msg), "%.300s: %s", file, why);
	return -EINVAL;
}

static bool is_p256(EVP_PKEY *k)
{
	char group[64];

	return EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	       EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
					      group, sizeof(group), NULL) &&
	       (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"));
}

static EVP_PKEY *read_key(const char *file, bool private, struct oci_err *e)
{
	FILE *f = fopen(file, "r");
	EVP_PKEY *k;

	if (!f) {
		snprintf(e->msg, sizeof(e->msg), "%.300s: %s", file,
			 strerror(errno));
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
		    : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (!k) {
		key_error(e, file,
			  private ? "not a PEM private key (an "
				    "unencrypted one, as openssl "
				    "writes it)"
				  : "not a PEM public key");
		return NULL;
	}
	if (!is_p256(k)) {
		key_error(e, file, "not an ECDSA P-256 key");
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

int oci_sig_sign(const char *key_file, const void *payload, size_t len,
		 char **b64, struct oci_err *e)
{
	EVP_PKEY *k = read_key(key_file, true, e);
	EVP_MD_CTX *md;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int r = -EINVAL;

	*b64 = NULL;
	if (!k)
		return -EINVAL;
	md = EVP_MD_CTX_new();
	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(md, NULL, &siglen, payload, len) == 1 &&
	    (sig = malloc(siglen)) &&
	    EVP_DigestSign(md, sig, &siglen, payload, len) == 1 &&
	    (*b64 = oci_base64(sig, siglen)))
		r = 0;
	else
		key_error(e, key_file, "signing failed");
	ERR_clear_error();
	free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return r;
}

/* The digest the payload vouches for, if it is a cosign payload. */
static int payload_digest(const void *payload, size_t len, char *out,
			  struct oci_err *e)
{
	cJSON *j = cJSON_ParseWithLength(payload, len);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "critical");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(c, "image"),
	    "docker-manifest-digest");
	int r = 0;

	if (!cJSON_IsString(t) || strcmp(t->valuestring, SIG_TYPE) ||
	    !cJSON_IsString(d) || !oci_digest_valid(d->valuestring)) {
		snprintf(e->msg, sizeof(e->msg),
			 "signature payload is not a cosign simple-signing "
			 "document");
		r = -EBADMSG;
	} else {
		strcpy(out, d->valuestring);
	}
	cJSON_Delete(j);
	return r;
}

int oci_sig_verify(const char *pub_file, const void *payload, size_t len,
		   const char *b64, const char *digest, struct oci_err *e)
{
	char named[OCI_DIGEST_LEN];
	struct oci_buf sig = {0};
	EVP_PKEY *k;
	EVP_MD_CTX *md;
	int r;

	if ((r = payload_digest(payload, len, named, e)))
		return r;
	if (strcmp(named, digest)) {
		snprintf(e->msg, sizeof(e->msg),
			 "signature is for %s, not for %s", named, digest);
		return -EBADMSG;
	}
	if (!(k = read_key(pub_file, false, e)))
		return -EINVAL;
	if (oci_unbase64(b64, &sig) <= 0) {
		snprintf(e->msg, sizeof(e->msg), "signature is not base64");
		EVP_PKEY_free(k);
		return -EBADMSG;
	}
	md = EVP_MD_CTX_new();
	r = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
		    EVP_DigestVerify(md, (unsigned char *)sig.data, sig.len,
				     payload, len) == 1
		? 0
		: -EBADMSG;
	if (r)
		snprintf(e->msg, sizeof(e->msg),
			 "signature of %s does not verify with %.300s", digest,
			 pub_file);
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	oci_buf_free(&sig);
	return r;
}
