/* leb.c — strict LEB128 readers for the binary format.
 *
 * The spec bounds every encoding by its width: at most ceil(N/7) bytes, and
 * the bits of the last byte beyond N must be a zero extension (unsigned) or
 * a copy of the sign bit (signed). Shorter-than-maximal padding such as
 * 0x80 0x80 0x80 0x80 0x00 for a u32 is legal and accepted.
 */
#include "module.h"

/* Returns bytes consumed, 0 if malformed or truncated. */
static size_t read_leb(const uint8_t *p, const uint8_t *end, unsigned bits,
		       bool is_signed, uint64_t *out)
{
	unsigned maxlen = (bits + 6) / 7;
	unsigned last_bits = bits - 7 * (maxlen - 1);
	uint64_t result = 0;
	unsigned i;

	for (i = 0; i < maxlen; i++) {
		uint8_t b;
		unsigned shift = 7 * i;

		if (i >= (size_t)(end - p))
			return 0;
		b = p[i];
		result |= (uint64_t)(b & 0x7f) << shift;
		if (b & 0x80)
			continue;
		if (i == maxlen - 1) {
			/* The high bits no width can hold. */
			uint8_t unused =
			    (uint8_t)(0x7f & ~((1u << last_bits) - 1));
			uint8_t want = 0;

			if (is_signed && (b & (1u << (last_bits - 1))))
				want = unused;
			if ((b & unused) != want)
				return 0;
		}
		shift += 7;
		if (is_signed && shift < 64 && (b & 0x40))
			result |= ~(uint64_t)0 << shift;
		*out = result;
		return i + 1;
	}
	return 0; /* continuation bit set on the last allowed byte */
}

size_t wm_read_u32(const uint8_t *p, const uint8_t *end, uint32_t *out)
{
	uint64_t v;
	size_t n;

	if (p < end && *p < 0x80) {
		*out = *p;
		return 1;
	}
	n = read_leb(p, end, 32, false, &v);
	if (n)
		*out = (uint32_t)v;
	return n;
}

size_t wm_read_s32(const uint8_t *p, const uint8_t *end, int32_t *out)
{
	uint64_t v;
	size_t n = read_leb(p, end, 32, true, &v);

	if (n)
		*out = (int32_t)(uint32_t)v;
	return n;
}

size_t wm_read_s33(const uint8_t *p, const uint8_t *end, int64_t *out)
{
	uint64_t v;
	size_t n = read_leb(p, end, 33, true, &v);

	if (n)
		*out = (int64_t)v;
	return n;
}

size_t wm_read_s64(const uint8_t *p, const uint8_t *end, int64_t *out)
{
	uint64_t v;
	size_t n = read_leb(p, end, 64, true, &v);

	if (n)
		*out = (int64_t)v;
	return n;
}
