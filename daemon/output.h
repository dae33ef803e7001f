/* output.h — what a plugin writes, kept twice, bounded alike: as the raw
 * text (`wasm-bpf logs`) and cut into JSON lines with their time and
 * stream (`wasm-bpf logs -o json`, jsonlog.h), each line also copied to
 * the daemon's stdout when `--copy-output` asks. Locked inside.
 */
#ifndef WASM_BPFD_OUTPUT_H
#define WASM_BPFD_OUTPUT_H

#include <pthread.h>
#include <stdbool.h>

#include "daemon/jsonlog.h"
#include "daemon/logring.h"

struct output {
	pthread_mutex_t lock;
	struct logring text, json;
	const char *id, *name; /* the plugin's, outliving this */
};

int output_init(struct output *o, size_t cap, const char *id, const char *name);
void output_free(struct output *o);
/* Bytes from one stream ("stdout", "stderr"); `lb` holds its partial
 * line; data NULL: the stream ended. */
void output_write(struct output *o, const char *stream, struct linebuf *lb,
		  const char *data, size_t n);
/* A whole line of the daemon's about the plugin (stream "daemon"). */
void output_daemon_line(struct output *o, const char *msg);
/* As logring_read, from the text or the JSON lines. */
int output_read(struct output *o, bool json, uint64_t since, char **buf,
		size_t *len, uint64_t *next);

#endif
