/* cmd_run.c — `run REF`: a module named by an image reference, taken
 * from the store or pulled as --pull says, verified with --verify-key
 * (cmd_image.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static int resolve(struct oci_store *s, const struct oci_ref *ref,
		   const struct wbpf_image_run *o, struct oci_err *e)
{
	const char *pull = o->pull ? o->pull : "missing";
	struct oci_client_opts co;
	struct oci_desc d;
	char name[700];
	bool have;

	oci_ref_name(ref, name, sizeof(name));
	have = !oci_store_resolve(s, name, &d, e);
	if (!strcmp(pull, "always") || (!have && !strcmp(pull, "missing"))) {
		cmd_client_opts(&co, name);
		if (oci_pull(s, ref, &co, o->keys, o->nkeys, &d, e))
			return -1;
		cmd_progress_done();
		return 0; /* oci_pull verified the signature */
	}
	if (!have) {
		/* The caller names the module. */
		snprintf(e->msg, sizeof(e->msg),
			 "not in the store (%.300s) "
			 "and --pull never",
			 oci_store_dir(s));
		return -1;
	}
	return o->nkeys ? oci_verify(s, ref, d.digest, o->keys, o->nkeys, e)
			: 0;
}

struct wasm_bpf_app *wbpf_image_open(const char *module,
				     const struct wbpf_image_run *o,
				     const struct wasm_bpf_app_opts *opts,
				     struct wasm_error *err)
{
	size_t n = strlen(module);
	struct wasm_bpf_app *app = NULL;
	struct oci_store *s = NULL;
	struct oci_image img;
	struct oci_ref ref;
	struct oci_err e;
	char name[700];

	if (!access(module, F_OK) ||
	    (n > 5 && !strcmp(module + n - 5, ".wasm")) ||
	    oci_ref_parse(module, &ref, &e))
		return wasm_bpf_app__open_file(module, opts, err);
	oci_ref_name(&ref, name, sizeof(name));
	if (oci_store_open(NULL, &s, &e) || resolve(s, &ref, o, &e) ||
	    oci_store_load_image(s, name, &img, &e)) {
		snprintf(err->msg, sizeof(err->msg), "%.255s", e.msg);
		oci_store_close(s);
		return NULL;
	}
	app = wasm_bpf_app__open_mem(img.wasm.data, img.wasm.len, opts, err);
	oci_image_free(&img);
	oci_store_close(s);
	return app;
}
