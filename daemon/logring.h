/* logring.h — a plugin's output: the last `cap` bytes of what it wrote,
 * with offsets counted from its first byte so a follower can resume. Not
 * locked: the caller holds the plugin's log lock.
 */
#ifndef WASM_BPFD_LOGRING_H
#define WASM_BPFD_LOGRING_H

#include <stddef.h>
#include <stdint.h>

struct logring {
	char *buf;
	size_t cap;
	uint64_t total; /* bytes ever written */
};

int logring_init(struct logring *r, size_t cap);
void logring_free(struct logring *r);
void logring_write(struct logring *r, const void *data, size_t len);
/* Copies what is kept from offset `since` on (older bytes are gone: it
 * starts at the oldest kept) into a malloc'd buffer. */
int logring_read(const struct logring *r, uint64_t since, char **out,
		 size_t *len, uint64_t *next);

#endif
