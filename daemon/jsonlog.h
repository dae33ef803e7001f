/* jsonlog.h — the daemon's log lines and the JSON-lines convention for
 * events (docs/json-lines.md): with `--log-format json` every line the
 * daemon writes is one JSON object
 *   {"time": RFC 3339 UTC with ms, "id": plugin id, "name": plugin name,
 *    "stream": "stdout"|"stderr"|"daemon", "message": the line}
 * (no id and name in the daemon's own messages). A plugin's line that is
 * itself a JSON object comes as "event": that object, not "message". Plugins'
 * output is cut into such lines for `wasm-bpf logs -o json` and, with
 * `--copy-output`, copied to the daemon's stdout so `kubectl logs` carries
 * every plugin's events. Thread-safe.
 */
#ifndef WASM_BPFD_JSONLOG_H
#define WASM_BPFD_JSONLOG_H

#include <stdbool.h>
#include <stddef.h>

/* A line longer than this is cut into pieces of it. */
#define JSONLOG_LINE_MAX 8192

void jsonlog_init(bool json, bool copy_output);
/* A message of the daemon's own on stderr ("wasm-bpfd: ..." as text). */
void dlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line (no newline) as a JSON object ending in "\n"; malloc'd. */
char *jsonlog_format(const char *id, const char *name, const char *stream,
		     const char *msg, size_t len);
/* A plugin's output line, copied to stdout if asked (as JSON, or as
 * "NAME ID: line" text). */
void jsonlog_copy(const char *id, const char *name, const char *stream,
		  const char *json_line, const char *msg, size_t len);

/* Cuts a stream of bytes into lines. */
struct linebuf {
	char buf[JSONLOG_LINE_MAX];
	size_t len;
};
/* Calls `line` with every complete line of what came so far (and, when
 * `data` is NULL at the end, the rest). */
void linebuf_feed(struct linebuf *lb, const char *data, size_t n,
		  void (*line)(void *ctx, const char *s, size_t len),
		  void *ctx);

#endif
