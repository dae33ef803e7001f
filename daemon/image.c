/* image.c — plugins from the OCI image store, pulled into it as their
 * policy says (image.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "daemon/image.h"
#include "oci/oci.h"
#include "policy/policy.h"

/* The trusted keys, by path: set before any thread, then only read. */
static const char **keys;
static int nkeys;

int image_trust_key(const char *file, char *why, size_t why_len)
{
	const char **k;
	EVP_PKEY *pk = NULL;
	FILE *f = fopen(file, "r");

	if (f)
		pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	if (f)
		fclose(f);
	if (!pk) {
		snprintf(why, why_len, "%s: %s", file,
			 f ? "not a PEM public key" : strerror(errno));
		return -1;
	}
	EVP_PKEY_free(pk);
	k = realloc(keys, (nkeys + 1) * sizeof(*keys));
	if (!k || !(k[nkeys] = strdup(file))) {
		keys = k ? k : keys;
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	keys = k;
	nkeys++;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_pub(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	       !strcmp(d->d_name + n - 4, ".pub");
}

int image_trust_dir(const char *dir, char *why, size_t why_len)
{
	struct dirent **ents;
	char path[4200];
	int n, r = 0;

	n = scandir(dir, &ents, is_pub, by_name);
	if (n < 0)
		return 0; /* no such directory: no keys from it */
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (!r)
			r = image_trust_key(path, why, why_len);
		free(ents[i]);
	}
	free(ents);
	return r;
}

int image_trusted_keys(void)
{
	return nkeys;
}

bool image_is_ref(const char *module)
{
	struct oci_ref r;
	struct oci_err e;

	return module[0] != '/' && !oci_ref_parse(module, &r, &e);
}

bool image_pull_policy_ok(const char *policy)
{
	return !policy || !strcmp(policy, "always") ||
	       !strcmp(policy, "missing") || !strcmp(policy, "never");
}

bool image_needs_pull(const char *module, const char *policy)
{
	struct oci_store *s = NULL;
	struct oci_desc d;
	struct oci_ref r;
	struct oci_err e;
	char name[700];
	bool missing;

	if (!image_is_ref(module) || (policy && !strcmp(policy, "never")))
		return false;
	if (policy && !strcmp(policy, "always"))
		return true;
	if (oci_ref_parse(module, &r, &e))
		return false;
	oci_ref_name(&r, name, sizeof(name));
	/* A store that cannot be opened: the pull says why. */
	missing =
	    oci_store_open(NULL, &s, &e) || oci_store_resolve(s, name, &d, &e);
	/* Stored without its signature: fetched with it. */
	if (!missing && nkeys)
		missing = oci_verify(s, &r, d.digest, keys, nkeys, &e) ==
			  -ENOENT;
	oci_store_close(s);
	return missing;
}

/* oci_pull's admit hook: the policy's image rules, before the store is
 * touched (`verified`: with one of the trusted keys, by oci_pull). */
static int admit(void *pol, const char *name, const char *digest,
		 bool verified, struct oci_err *e)
{
	return policy__check_image(pol, name, digest, verified, e->msg,
				   sizeof(e->msg));
}

int image_pull(const char *ref, const struct policy *pol,
	       oci_progress_fn progress, void *ctx, volatile int *cancel,
	       char *why, size_t why_len)
{
	struct oci_client_opts co = {.sz = sizeof(co),
				     .progress = progress,
				     .progress_ctx = ctx,
				     .cancel = cancel,
				     .admit = pol ? admit : NULL,
				     .admit_ctx = (void *)pol};
	struct oci_store *s = NULL;
	struct oci_ref r;
	struct oci_err e = {{0}};
	int err;

	err = oci_ref_parse(ref, &r, &e);
	if (!err)
		err = oci_store_open(NULL, &s, &e);
	if (!err)
		err = oci_pull(s, &r, &co, keys, nkeys, NULL, &e);
	oci_store_close(s);
	if (err)
		snprintf(why, why_len, "pull of %s failed: %s", ref,
			 e.msg[0] ? e.msg : strerror(-err));
	return err < 0 ? err : err ? -EIO : 0;
}

/* The trusted key the stored signature of `r`'s manifest `digest`
 * verifies with (offline), NULL with `why` if none does. */
static const char *signer_of(struct oci_store *s, const struct oci_ref *r,
			     const char *digest, char *why, size_t why_len)
{
	struct oci_err e = {{0}};
	int err = 0;

	for (int i = 0; i < nkeys; i++) {
		err = oci_verify(s, r, digest, &keys[i], 1, &e);
		if (!err)
			return keys[i];
		if (err == -ENOENT)
			break;
	}
	if (err == -ENOENT)
		snprintf(why, why_len,
			 "not signed (no signature in the store) and the "
			 "daemon verifies images");
	else
		snprintf(why, why_len,
			 "signature verifies with none of the %d trusted "
			 "keys: %.160s",
			 nkeys, e.msg);
	return NULL;
}

struct wasm_bpf_app *image_open(const char *ref,
				const struct wasm_bpf_app_opts *opts,
				const char **signer, char *why, size_t why_len)
{
	struct wasm_bpf_app *app = NULL;
	struct wasm_error err = {{0}};
	struct oci_store *s = NULL;
	struct oci_image img;
	struct oci_ref r;
	struct oci_err e = {{0}};
	char name[700];

	*signer = NULL;
	if (oci_ref_parse(ref, &r, &e))
		goto fail;
	oci_ref_name(&r, name, sizeof(name));
	if (oci_store_open(NULL, &s, &e) ||
	    oci_store_load_image(s, name, &img, &e))
		goto fail;
	if ((nkeys &&
	     !(*signer = signer_of(s, &r, img.desc.digest, why, why_len))) ||
	    (opts->policy &&
	     policy__check_image(opts->policy, name, img.desc.digest,
				 *signer != NULL, why, why_len))) {
		oci_image_free(&img);
		oci_store_close(s);
		return NULL;
	}
	app = wasm_bpf_app__open_mem(img.wasm.data, img.wasm.len, opts, &err);
	oci_image_free(&img);
	snprintf(e.msg, sizeof(e.msg), "%s", err.msg);
fail:
	oci_store_close(s);
	if (!app)
		snprintf(why, why_len, "%s", e.msg);
	return app;
}
