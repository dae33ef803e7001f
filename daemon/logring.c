/* logring.c — bounded log ring (logring.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/logring.h"

int logring_init(struct logring *r, size_t cap)
{
	r->buf = malloc(cap);
	r->cap = cap;
	r->total = 0;
	return r->buf ? 0 : -ENOMEM;
}

void logring_free(struct logring *r)
{
	free(r->buf);
	r->buf = NULL;
}

void logring_write(struct logring *r, const void *data, size_t len)
{
	const char *d = data;

	if (len > r->cap) { /* only the tail can be kept */
		r->total += len - r->cap;
		d += len - r->cap;
		len = r->cap;
	}
	while (len) {
		size_t at = r->total % r->cap;
		size_t n = r->cap - at < len ? r->cap - at : len;

		memcpy(r->buf + at, d, n);
		r->total += n;
		d += n;
		len -= n;
	}
}

int logring_read(const struct logring *r, uint64_t since, char **out,
		 size_t *len, uint64_t *next)
{
	uint64_t first = r->total > r->cap ? r->total - r->cap : 0;
	uint64_t from = since < first	   ? first
			: since > r->total ? r->total
					   : since;
	size_t n = r->total - from;
	char *b = malloc(n + 1);

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		b[i] = r->buf[(from + i) % r->cap];
	b[n] = 0;
	*out = b;
	*len = n;
	*next = r->total;
	return 0;
}
