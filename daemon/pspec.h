/* pspec.h — a declared plugin: one spec file of the plugins directory
 * (`wasm-bpfd --plugins-dir`), YAML or JSON (read with libyaml, which
 * takes JSON as YAML's flow style), checked field by field so an error
 * names the file, its line and the field. A valid spec becomes the body
 * of the daemon's start request (plugin.h's struct plugin_spec, as JSON).
 *
 *   name: bootstrap                  # default: the file name without .yaml
 *   module: /opt/tools/bootstrap.wasm  # or an image reference
 *   pull: missing                    # always, missing (default), never
 *   args: ["-d", "10"]
 *   env: {K: V}                      # or ["K=V"]
 *   limits: {fuel: N, max_memory: 64M, timeout: SECONDS}
 *   policy: /etc/wasm-bpf/strict.yaml
 *   nodeSelector: {kubernetes.io/arch: amd64}
 */
#ifndef WASM_BPFD_PSPEC_H
#define WASM_BPFD_PSPEC_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "daemon/labels.h"

#define PSPEC_MAX_SIZE (64 * 1024)

struct pspec {
	char *file;   /* the base name in the directory */
	char *name;   /* NULL when the file did not parse that far */
	cJSON *body;  /* name, module, args, env, limits; NULL if invalid */
	char *policy; /* a policy file, or NULL */
	struct labels selector;
	char error[600]; /* "" when valid, else "FILE:LINE: what" */
};

/* Whether a directory entry is a spec file by its name: *.yaml, *.yml,
 * *.json, not hidden (a ConfigMap mount's `..data` and its timestamped
 * directories start with dots). */
bool pspec_is_spec_name(const char *name);
/* Reads DIR/FILE into `s`; 0, or -EINVAL with s->error set (s->name set
 * too when the name was read before the error). Free it either way. */
int pspec_load(const char *dir, const char *file, struct pspec *s);
void pspec_free(struct pspec *s);
/* Every nodeSelector label has the node's value. */
bool pspec_selected(const struct pspec *s, const struct labels *node);

#endif
