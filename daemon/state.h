/* state.h — what the daemon runs, on disk: one JSON record per plugin in
 * the state directory (DIR/ID.json), replaced atomically (write a
 * temporary file, fsync, rename), so a crash leaves either the old or the
 * new record. A restarted daemon starts again every record not ended.
 */
#ifndef WASM_BPFD_STATE_H
#define WASM_BPFD_STATE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/* Creates the directory (0700) if needed. 0 or a negative errno. */
int state_open(const char *dir);
/* Replaces the file at `path` by `json` the same atomic way. */
int state_write_file(const char *path, const cJSON *json);
int state_write(const char *dir, const char *id, const cJSON *record);
void state_remove(const char *dir, const char *id);
/* Calls `fn` with each record (parsed JSON) found; returns how many. */
int state_each(const char *dir, void (*fn)(const char *id, cJSON *record));

#endif
