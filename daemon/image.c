/* image.c — plugins from the OCI image store (image.h). */
#include <stdio.h>

#include "daemon/image.h"
#include "oci/oci.h"

bool image_is_ref(const char *module)
{
	struct oci_ref r;
	struct oci_err e;

	return module[0] != '/' && !oci_ref_parse(module, &r, &e);
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
	app = wasm_bpf_app__open_mem(img.wasm.data, img.wasm.len, opts, err);
	oci_image_free(&img);
	oci_store_close(s);
	return app;
fail:
	snprintf(err->msg, sizeof(err->msg), "%.255s", e.msg);
	return NULL;
}
