/* wasm_embed.c — a minimal reader of a Wasm module's data section (the
 * engine keeps no segment bytes), the linear memory image its active
 * segments make, and the ELF headers found in it: an image's length is
 * where its section headers or its last section end, whichever is later.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "policy/wasm_embed.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif
#define IMAGE_MAX (256u << 20)

struct cursor {
	const uint8_t *p, *end;
};

struct segment {
	const uint8_t *bytes;
	uint32_t len;
	uint32_t addr;
	bool placed; /* active at a constant address */
};

static int leb_u32(struct cursor *c, uint32_t *v)
{
	uint32_t r = 0;

	for (int shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (c->p >= c->end)
			return -EINVAL;
		b = *c->p++;
		r |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -EINVAL;
}

/* An offset expression: i32.const (its address) or global.get, end. */
static int read_expr(struct cursor *c, struct segment *s)
{
	uint32_t v;
	uint8_t op;

	if (c->p >= c->end)
		return -EINVAL;
	op = *c->p++;
	if ((op != 0x41 && op != 0x23) || leb_u32(c, &v) || c->p >= c->end ||
	    *c->p++ != 0x0b)
		return -EINVAL;
	s->placed = op == 0x41;
	s->addr = v;
	return 0;
}

/* An ELF64 little-endian EM_BPF image starting at p (at most max bytes):
 * its length, or 0 if it is none or does not fit. */
static size_t elf_len(const uint8_t *p, size_t max)
{
	Elf64_Ehdr eh;
	size_t end;

	if (max < sizeof(eh) || memcmp(p, ELFMAG, SELFMAG))
		return 0;
	memcpy(&eh, p, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_BPF ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > max ||
	    (size_t)eh.e_shnum * sizeof(Elf64_Shdr) > max - eh.e_shoff)
		return 0;
	end = eh.e_shoff + (size_t)eh.e_shnum * sizeof(Elf64_Shdr);
	for (size_t i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;

		memcpy(&sh, p + eh.e_shoff + i * sizeof(sh), sizeof(sh));
		if (sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_offset > max || sh.sh_size > max - sh.sh_offset)
			return 0;
		if (sh.sh_offset + sh.sh_size > end)
			end = sh.sh_offset + sh.sh_size;
	}
	return end;
}

static int add(struct wasm_embed_obj **out, size_t *n, const uint8_t *elf,
	       size_t len, uint64_t addr)
{
	struct wasm_embed_obj *v = realloc(*out, (*n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	*out = v;
	v[*n].elf = malloc(len);
	if (!v[*n].elf)
		return -ENOMEM;
	memcpy(v[*n].elf, elf, len);
	v[*n].len = len;
	v[*n].addr = addr;
	(*n)++;
	return 0;
}

static int scan(const uint8_t *d, size_t len, uint64_t base,
		struct wasm_embed_obj **out, size_t *n)
{
	for (size_t i = 0; i + SELFMAG <= len;) {
		const uint8_t *m = memmem(d + i, len - i, ELFMAG, SELFMAG);
		size_t at, el;
		int err;

		if (!m)
			break;
		at = (size_t)(m - d);
		el = elf_len(m, len - at);
		if (!el) {
			i = at + 1;
			continue;
		}
		err = add(out, n, m, el, base + at);
		if (err)
			return err;
		i = at + el;
	}
	return 0;
}

static int read_segments(struct cursor *c, struct segment **segs,
			 uint32_t *count)
{
	uint32_t flags, mem;

	if (leb_u32(c, count) || *count > (size_t)(c->end - c->p))
		return -EINVAL;
	*segs = calloc(*count ? *count : 1, sizeof(**segs));
	if (!*segs)
		return -ENOMEM;
	for (uint32_t i = 0; i < *count; i++) {
		struct segment *s = &(*segs)[i];

		if (leb_u32(c, &flags) || flags > 2 ||
		    (flags == 2 && leb_u32(c, &mem)) ||
		    (flags != 1 && read_expr(c, s)) || leb_u32(c, &s->len) ||
		    s->len > (size_t)(c->end - c->p))
			return -EINVAL;
		s->bytes = c->p;
		c->p += s->len;
	}
	return 0;
}

/* The placed segments laid out as memory; the others scanned alone. */
static int scan_data(struct cursor *c, struct wasm_embed_obj **out, size_t *n)
{
	struct segment *segs = NULL;
	uint64_t lo = UINT64_MAX, hi = 0;
	uint8_t *img = NULL;
	uint32_t count;
	int err = read_segments(c, &segs, &count);

	for (uint32_t i = 0; !err && i < count; i++) {
		if (!segs[i].placed) {
			err = scan(segs[i].bytes, segs[i].len, 0, out, n);
			continue;
		}
		lo = segs[i].addr < lo ? segs[i].addr : lo;
		if ((uint64_t)segs[i].addr + segs[i].len > hi)
			hi = (uint64_t)segs[i].addr + segs[i].len;
	}
	if (!err && hi > lo && hi - lo > IMAGE_MAX)
		err = -E2BIG;
	if (!err && hi > lo && !(img = calloc(1, hi - lo)))
		err = -ENOMEM;
	for (uint32_t i = 0; img && i < count; i++)
		if (segs[i].placed)
			memcpy(img + (segs[i].addr - lo), segs[i].bytes,
			       segs[i].len);
	if (img)
		err = scan(img, hi - lo, lo, out, n);
	free(img);
	free(segs);
	return err;
}

int wasm_embed__find(const uint8_t *wasm, size_t len,
		     struct wasm_embed_obj **out, size_t *n)
{
	struct cursor c = {wasm + 8, wasm + len};
	int err = 0;

	*out = NULL;
	*n = 0;
	if (len < 8 || memcmp(wasm, "\0asm\1\0\0\0", 8))
		return -EINVAL;
	while (!err && c.p < c.end) {
		uint8_t id = *c.p++;
		uint32_t size;
		struct cursor sec;

		if (leb_u32(&c, &size) || size > (size_t)(c.end - c.p)) {
			err = -EINVAL;
			break;
		}
		sec = (struct cursor){c.p, c.p + size};
		if (id == 11)
			err = scan_data(&sec, out, n);
		c.p += size;
	}
	if (err) {
		wasm_embed__free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

void wasm_embed__free(struct wasm_embed_obj *objs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(objs[i].elf);
	free(objs);
}
