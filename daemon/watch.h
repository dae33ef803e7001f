/* watch.h — declarative plugins: a directory of spec files (pspec.h) the
 * daemon converges on. What a spec declares and the node's labels select
 * is started, what is no longer declared (or selected) is stopped, and a
 * changed spec becomes a live upgrade (plugin.h: maps handed over, no
 * event lost). A declared plugin's id is a hash of its name, so a daemon
 * restarted on the same state adopts the plugins it brought back. The
 * directory is watched with inotify (a Kubernetes ConfigMap mount changes
 * by swapping its `..data` symlink: one rename in the directory) and read
 * again every `rescan` seconds anyway. Every pass writes the status of each
 * spec, atomically, to a JSON file when it changed.
 */
#ifndef WASM_BPFD_WATCH_H
#define WASM_BPFD_WATCH_H

#include <stddef.h>

struct watch_opts {
	const char *dir;
	const char *status_file;
	const char *node_labels; /* labels.h's FILE or k=v,...; NULL: none */
	double rescan;		 /* seconds */
};

struct watch;

/* Converges once, then goes on in a thread. NULL with `why` when the
 * directory cannot be watched or the labels cannot be read. */
struct watch *watch_start(const struct watch_opts *o, char *why,
			  size_t why_len);
/* Ends the thread; the plugins stay (plugins_shutdown stops them). */
void watch_stop(struct watch *w);
/* The last pass's status as JSON text (malloc'd; NULL when out of
 * memory): what the status file holds, for GET /v1/declared. */
char *watch_status(struct watch *w);

#endif
