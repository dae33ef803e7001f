/* cmd_image.h — the distribution subcommands of `wasm-bpf` (push, pull,
 * images, rmi, tag, inspect, save, load, login, logout, sign, verify) and
 * the one thing `run` needs from them: a module named by an OCI reference
 * instead of a path. The work is oci/'s; these files parse and print. */
#ifndef WASM_BPF_CMD_IMAGE_H
#define WASM_BPF_CMD_IMAGE_H

#include <stdbool.h>

#include "runtime/wasm_bpf.h"

/* Is argv[1] one of the subcommands below? */
int wbpf_image_is_cmd(const char *name);
/* argv[0] is the subcommand; returns the exit status. */
int wbpf_image_main(int argc, char **argv);

/* `run`'s --pull and --verify-key. */
struct wbpf_image_run {
	const char *pull; /* always, missing (default), never */
	const char **keys;
	int nkeys;
};
/* One of run's options: pull (true) or verify-key; -1 to go on, or 2
 * after a usage message. */
int wbpf_image_run_opt(struct wbpf_image_run *o, int is_pull, const char *arg);
/* A path that exists (or ends in .wasm) is opened as a file; anything
 * else is an image reference, taken from the store or pulled as o->pull
 * says, and verified with o->keys if any. */
struct wasm_bpf_app *wbpf_image_open(const char *module,
				     const struct wbpf_image_run *o,
				     const struct wasm_bpf_app_opts *opts,
				     struct wasm_error *err);
/* The parts of it `check REF` uses: whether `module` is taken as a
 * reference (into *ref); and the image put into the store as o->pull
 * says, verified with o->keys, a pull refused (-EPERM) by the image rules
 * of `pol` (NULL: none). 0 or a negative errno with e->msg. */
struct oci_ref;
struct oci_store;
struct oci_err;
struct policy;
bool wbpf_image_ref(const char *module, struct oci_ref *ref);
int wbpf_image_resolve(struct oci_store *s, const struct oci_ref *ref,
		       const struct wbpf_image_run *o,
		       const struct policy *pol, struct oci_err *e);

#endif
