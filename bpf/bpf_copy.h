/* bpf_copy.h — bh_copy_record: the copy of one ring or perf buffer record
 * into guest memory, once per record of a poll (bpf_buffer.c). Records of
 * 16 to 64 bytes (most events) take two to four overlapping 16-byte moves
 * inline: libc's memcpy call cost ~2 ns a record, a third of a record's
 * whole native cost (bench part B, burst drain). Others go to memcpy.
 */
#ifndef BPF_COPY_H
#define BPF_COPY_H

#include <stdint.h>
#include <string.h>

static inline void bh_copy_record(void *dst, const void *src, uint32_t n)
{
	typedef uint64_t v16 __attribute__((vector_size(16)));
	const char *s = (const char *)src;
	char *d = (char *)dst;
	v16 a, b, c, e;

	if (n < 16 || n > 64) {
		memcpy(dst, src, n);
		return;
	}
	memcpy(&a, s, 16);
	memcpy(&b, s + n - 16, 16);
	if (n > 32) {
		memcpy(&c, s + 16, 16);
		memcpy(&e, s + n - 32, 16);
		memcpy(d + 16, &c, 16);
		memcpy(d + n - 32, &e, 16);
	}
	memcpy(d, &a, 16);
	memcpy(d + n - 16, &b, 16);
}

#endif
