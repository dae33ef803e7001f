/* labels.h — the node's labels, which declared plugins' nodeSelector is
 * matched against: given on the command line as `k=v,k2=v2`, or as a file
 * in the Kubernetes downward-API format (one `key="value"` a line; plain
 * `key=value` lines too), re-read whenever the plugins are converged so a
 * relabelled node is noticed.
 */
#ifndef WASM_BPFD_LABELS_H
#define WASM_BPFD_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct labels {
	char **key, **val;
	int n;
};

/* `arg` is a file when one exists at that path, else a `k=v,...` list.
 * 0, or -EINVAL/-errno with `why` naming the file, line or entry. */
int labels_load(const char *arg, struct labels *l, char *why, size_t why_len);
/* A name without blanks, quotes or '=', a value without quotes or
 * backslashes: what both the list and the file can carry. */
bool labels_valid(const char *key, const char *val);
int labels_add(struct labels *l, const char *key, const char *val);
void labels_free(struct labels *l);
/* The value of `key`, or NULL. */
const char *labels_get(const struct labels *l, const char *key);
cJSON *labels_json(const struct labels *l);

#endif
