/* image.h — plugins given as OCI references: the module comes from the
 * local image store (oci/), pulled into it first as the plugin's pull
 * policy says ("always", "missing" — the default — or "never"), through
 * oci/'s registry client with the daemon's own credentials and TLS
 * settings (the auth files and $WASM_BPF_* variables `wasm-bpf pull`
 * reads). With trusted public keys (wasm-bpfd --verify-key, the
 * default key directory) every image is verified against them: at a pull
 * (the signature is fetched and stored with the image) and at every open
 * from the store (offline); an image none of them verifies is refused.
 */
#ifndef WASM_BPFD_IMAGE_H
#define WASM_BPFD_IMAGE_H

#include <stdbool.h>

#include "oci/oci.h"
#include "runtime/wasm_bpf.h"

/* Trusts the PEM public key in `file` (kept by its path). Before any
 * thread. 0, or -1 with `why` naming the file and what is wrong. */
int image_trust_key(const char *file, char *why, size_t why_len);
/* Trusts every DIR/NAME.pub, in name order; a missing directory holds none. */
int image_trust_dir(const char *dir, char *why, size_t why_len);
/* How many keys are trusted (0: images are not verified). */
int image_trusted_keys(void);
/* Whether `module` names an image (not an absolute path) that parses. */
bool image_is_ref(const char *module);
/* Whether `policy` is one of always, missing, never (NULL: missing). */
bool image_pull_policy_ok(const char *policy);
/* Whether a start of `module` under `policy` must pull first: always for
 * "always", for "missing" when the store has no image of that name (or,
 * with trusted keys, has it without its signature). */
bool image_needs_pull(const char *module, const char *policy);
/* Pulls the image into the store (one transaction: a failed pull leaves
 * the store as it was), unless the image rules of `pol` refuse it. `progress` sees each transfer's bytes; a non-zero
 * *cancel aborts. 0, or a negative errno with `why` naming what failed. */
struct policy;
int image_pull(const char *ref, const struct policy *pol,
	       oci_progress_fn progress, void *ctx, volatile int *cancel,
	       char *why, size_t why_len);
/* The app of the image's module; NULL with `why` naming what failed. With
 * trusted keys, an image whose stored signature none of them verifies is
 * not opened; *signer gets the key file that verified it (NULL: no keys).
 * An image opts->policy's `images` rules refuse is not opened either
 * (require_signature: only a verified one passes). */
struct wasm_bpf_app *image_open(const char *ref,
				const struct wasm_bpf_app_opts *opts,
				const char **signer, char *why, size_t why_len);

#endif
