/* image.c — plugins from the OCI image store, pulled into it as their
 * policy says (image.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/image.h"
#include "oci/oci.h"
#include "policy/policy.h"

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
	oci_store_close(s);
	return missing;
}

/* oci_pull's admit hook: the policy's image rules, before the store is
 * touched (no signature is checked here). */
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
		err = oci_pull(s, &r, &co, NULL, 0, NULL, &e);
	oci_store_close(s);
	if (err)
		snprintf(why, why_len, "pull of %s failed: %s", ref,
			 e.msg[0] ? e.msg : strerror(-err));
	return err < 0 ? err : err ? -EIO : 0;
}

struct wasm_bpf_app *image_open(const char *ref,
				const struct wasm_bpf_app_opts *opts,
				struct wasm_error *err)
{
	struct wasm_bpf_app *app;
	struct oci_store *s = NULL;
	struct oci_image img;
	struct oci_ref r;
	struct oci_err e;
	char name[700];

	if (oci_ref_parse(ref, &r, &e))
		goto fail;
	oci_ref_name(&r, name, sizeof(name));
	if (oci_store_open(NULL, &s, &e) ||
	    oci_store_load_image(s, name, &img, &e)) {
		oci_store_close(s);
		goto fail;
	}
	if (opts->policy &&
	    policy__check_image(opts->policy, name, img.desc.digest, false,
				err->msg, sizeof(err->msg))) {
		oci_image_free(&img);
		oci_store_close(s);
		return NULL;
	}
	app = wasm_bpf_app__open_mem(img.wasm.data, img.wasm.len, opts, err);
	oci_image_free(&img);
	oci_store_close(s);
	return app;
fail:
	snprintf(err->msg, sizeof(err->msg), "%.255s", e.msg);
	return NULL;
}
