/* image.h — plugins given as OCI references: the module comes from the
 * local image store (oci/), pulled into it first as the plugin's pull
 * policy says ("always", "missing" — the default — or "never"), through
 * oci/'s registry client with the daemon's own credentials and TLS
 * settings (the auth files and $WASM_BPF_* variables `wasm-bpf pull`
 * reads).
 */
#ifndef WASM_BPFD_IMAGE_H
#define WASM_BPFD_IMAGE_H

#include <stdbool.h>

#include "oci/oci.h"
#include "runtime/wasm_bpf.h"

/* Whether `module` names an image (not an absolute path) that parses. */
bool image_is_ref(const char *module);
/* Whether `policy` is one of always, missing, never (NULL: missing). */
bool image_pull_policy_ok(const char *policy);
/* Whether a start of `module` under `policy` must pull first: always for
 * "always", for "missing" when the store has no image of that name. */
bool image_needs_pull(const char *module, const char *policy);
/* Pulls the image into the store (one transaction: a failed pull leaves
 * the store as it was), unless the image rules of `pol` refuse it. `progress` sees each transfer's bytes; a non-zero
 * *cancel aborts. 0, or a negative errno with `why` naming what failed. */
struct policy;
int image_pull(const char *ref, const struct policy *pol,
	       oci_progress_fn progress, void *ctx, volatile int *cancel,
	       char *why, size_t why_len);
/* The app of the image's module; NULL with `err` naming what failed. An
 * image opts->policy's `images` rules refuse is not opened (the daemon
 * verifies no signature: require_signature refuses every image). */
struct wasm_bpf_app *image_open(const char *ref,
				const struct wasm_bpf_app_opts *opts,
				struct wasm_error *err);

#endif
