/* image.h — plugins given as OCI references: the module comes from the
 * local image store (oci/, `wasm-bpf pull` fills it); the daemon never
 * pulls itself.
 */
#ifndef WASM_BPFD_IMAGE_H
#define WASM_BPFD_IMAGE_H

#include <stdbool.h>

#include "runtime/wasm_bpf.h"

/* Whether `module` names an image (not an absolute path) that parses. */
bool image_is_ref(const char *module);
/* The app of the image's module; NULL with `err` naming what failed. */
struct wasm_bpf_app *image_open(const char *ref,
				const struct wasm_bpf_app_opts *opts,
				struct wasm_error *err);

#endif
