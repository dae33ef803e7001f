/* plugin.h — the daemon's plugins: one wasm-bpf app each, run on its own
 * thread through the embedding API (runtime/wasm_bpf.h), with its output
 * kept in a bounded log ring. The table of plugins is process-wide and
 * locked; every call here is thread-safe.
 */
#ifndef WASM_BPFD_PLUGIN_H
#define WASM_BPFD_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define PLUGIN_ID_LEN 12 /* hex digits */

/* What a plugin is started from: the POST body, also what the state
 * directory records. */
struct plugin_spec {
	char id[PLUGIN_ID_LEN + 1]; /* "" on start: a new one is made */
	char *name;		    /* default: the module's base name */
	char *module;		    /* absolute path of a .wasm file */
	char *previous;		    /* the one before an upgrade, or NULL */
	char *pull; /* a reference's pull policy (image.h); NULL: missing */
	char **args;		    /* guest arguments after argv[0] */
	int nargs;
	char **env;
	int nenv;
	uint64_t fuel, max_memory; /* 0: none */
	double timeout;		   /* seconds; 0: none */
	uint64_t max_event_rate, event_burst; /* records a second; 0: none */
	char *policy; /* its own policy file (absolute), or NULL: the daemon's */
};

/* Fills `spec` from JSON; on error returns -EINVAL with `why` set. */
int plugin_spec_parse(const cJSON *j, struct plugin_spec *spec, char *why,
		      size_t why_len);
cJSON *plugin_spec_json(const struct plugin_spec *spec);
/* The "pull" field of a start or upgrade body into *out (NULL if absent). */
int plugin_pull_parse(const cJSON *j, char **out, char *why, size_t why_len);
void plugin_spec_free(struct plugin_spec *spec);

/* Where plugins write their records (state.c; NULL: nowhere), and the
 * policy of plugins without their own (NULL: none, everything allowed;
 * it must outlive the plugins). */
struct policy;
void plugins_init(const char *state_dir, size_t log_bytes,
		  const struct policy *default_policy);

/* Starts a plugin (takes `spec` over, even on failure). 0 with its id in
 * `id`, or a negative errno with `why` (-EINVAL: the module is not
 * usable; -EEXIST: the id is taken). A reference that must be pulled
 * first (image.h) returns PLUGIN_PULLING at once with the id: the plugin
 * is listed as "pulling" while a thread of its own pulls, then runs, or
 * ends as "failed" with the pull's error (also in its log). */
#define PLUGIN_PULLING 1
int plugins_start(struct plugin_spec *spec, char *id, char *why,
		  size_t why_len);
/* The plugin as JSON (NULL: no such id) and all of them. */
cJSON *plugins_get(const char *id);
cJSON *plugins_list(void);
/* -ENOENT, -EALREADY (not running or already so), or 0. */
int plugins_pause(const char *id);
int plugins_resume(const char *id);
/* Replaces the running version by `module` (NULL: spec.previous, a
 * rollback), pulled first as `pull` says (NULL: missing; this request
 * waits for it, the daemon's other requests do not): the new one starts taking
 * over the old one's maps of the same name and layout; the old one stops once
 * the new one holds as many links. `policy` (NULL: the plugin's as it is)
 * becomes its policy file. Should the new one fail, the old one runs on. 0,
 * -ENOENT, -EALREADY (not running, being upgraded, no previous version) or
 * -EINVAL, with `why`. */
int plugins_upgrade(const char *id, const char *module, const char *pull,
		    const char *policy,
		    char *why, size_t why_len);
/* The same upgrade to `want`'s module, arguments, environment, limits and
 * pull policy (its id and name are not looked at; `want` is taken over): a
 * declared plugin whose spec changed. */
int plugins_replace(const char *id, struct plugin_spec *want, char *why,
		    size_t why_len);
/* Stops (graceful first) and forgets it, also in the state directory;
 * its final record in `out` if non-NULL. -ENOENT, -EBUSY (being
 * upgraded) or 0. */
int plugins_remove(const char *id, cJSON **out);
/* Bytes of its log (the text, or its JSON lines) from offset `since` (as
 * counted from its start) into a malloc'd buffer; *next is where the next
 * read begins. -ENOENT or 0. */
int plugins_logs(const char *id, bool json, uint64_t since, char **buf,
		 size_t *len, uint64_t *next);
/* Stops every plugin, leaving the state directory as it is (so a restart
 * brings them back). */
void plugins_shutdown(void);

#endif
