/* cmd_run.c — `run REF`: a module named by an image reference, taken
 * from the store or pulled as --pull says, verified with --verify-key
 * (cmd_image.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"
#include "runtime/cmd.h"
#include "runtime/cmd_common.h"
#include "runtime/cmd_image.h"

int wbpf_image_run_opt(struct wbpf_image_run *o, int is_pull, const char *arg)
{
	if (is_pull) {
		if (strcmp(arg, "always") && strcmp(arg, "missing") &&
		    strcmp(arg, "never")) {
			fprintf(stderr,
				"wasm-bpf: invalid --pull: %s (always, "
				"missing or never)\n",
				arg);
			return CMD_USAGE;
		}
		o->pull = arg;
		return -1;
	}
	return cmd_add_str(&o->keys, &o->nkeys, arg) ? EXIT_FAILURE : -1;
}

/* oci_pull checks the signature itself when given keys, and the image
 * rules of `pol` before it stores anything. */
static int pull_now(struct oci_store *s, const struct oci_ref *ref,
		    const char *name, const struct wbpf_image_run *o,
		    const struct policy *pol, struct oci_err *e)
{
	struct oci_client_opts co;
	int r;

	cmd_client_opts(&co, name);
	if (pol) {
		co.admit = wbpf_cli_admit;
		co.admit_ctx = (void *)pol;
	}
	r = oci_pull(s, ref, &co, o->keys, o->nkeys, NULL, e);
	cmd_progress_done();
	return r;
}

int wbpf_image_resolve(struct oci_store *s, const struct oci_ref *ref,
		       const struct wbpf_image_run *o,
		       const struct policy *pol, struct oci_err *e)
{
	const char *pull = o->pull ? o->pull : "missing";
	bool never = !strcmp(pull, "never");
	struct oci_desc d;
	char name[700];
	int r;

	oci_ref_name(ref, name, sizeof(name));
	if (!strcmp(pull, "always"))
		return pull_now(s, ref, name, o, pol, e);
	if (oci_store_resolve(s, name, &d, e)) {
		if (!never)
			return pull_now(s, ref, name, o, pol, e);
		/* The caller names the module. */
		snprintf(e->msg, sizeof(e->msg),
			 "not in the store (%.300s) and --pull never",
			 oci_store_dir(s));
		return -ENOENT;
	}
	if (!o->nkeys)
		return 0;
	r = oci_verify(s, ref, d.digest, o->keys, o->nkeys, e);
	/* Stored without its signature: fetched with it, network allowed. */
	return r == -ENOENT && !never ? pull_now(s, ref, name, o, pol, e) : r;
}

bool wbpf_image_ref(const char *module, struct oci_ref *ref)
{
	size_t n = strlen(module);
	struct oci_err e;

	return access(module, F_OK) &&
	       !(n > 5 && !strcmp(module + n - 5, ".wasm")) &&
	       !oci_ref_parse(module, ref, &e);
}

struct wasm_bpf_app *wbpf_image_open(const char *module,
				     const struct wbpf_image_run *o,
				     const struct wasm_bpf_app_opts *opts,
				     struct wasm_error *err)
{
	struct wasm_bpf_app *app = NULL;
	struct oci_store *s = NULL;
	struct oci_image img;
	struct oci_ref ref;
	struct oci_err e;
	char name[700];

	if (!wbpf_image_ref(module, &ref))
		return wasm_bpf_app__open_file(module, opts, err);
	oci_ref_name(&ref, name, sizeof(name));
	if (oci_store_open(NULL, &s, &e) || wbpf_image_resolve(s, &ref, o, opts->policy, &e) ||
	    oci_store_load_image(s, name, &img, &e)) {
		snprintf(err->msg, sizeof(err->msg), "%.255s", e.msg);
		oci_store_close(s);
		return NULL;
	}
	if (opts->policy &&
	    policy__check_image(opts->policy, name, img.desc.digest,
				o->nkeys > 0, err->msg, sizeof(err->msg))) {
		oci_image_free(&img);
		oci_store_close(s);
		return NULL;
	}
	app = wasm_bpf_app__open_mem(img.wasm.data, img.wasm.len, opts, err);
	oci_image_free(&img);
	oci_store_close(s);
	return app;
}
