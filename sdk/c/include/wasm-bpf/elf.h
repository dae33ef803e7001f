/* wasm-bpf/elf.h — just enough ELF for a guest to find a section of the
 * BPF object it embeds (to read initial data and to patch .rodata/.data
 * before load). No ELF library targets wasm32, and the guest needs no more
 * than section headers. Every read is bounds checked: the bytes are the
 * program's own, but a truncated object must fail, not trap.
 */
#ifndef WASM_BPF_ELF_H
#define WASM_BPF_ELF_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WBPF_SHT_NOBITS 8

struct wbpf_elf_sec {
	size_t offset; /* in the file; 0 for NOBITS */
	size_t size;
	uint32_t type;
};

static inline uint64_t wbpf_elf_rd(const unsigned char *p, int n)
{
	uint64_t v = 0;

	/* Little endian: BPF objects for x86/arm64 (bpfel) are. */
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Header fields that differ between ELF32 and ELF64: offsets in the file
 * header and in a section header, and their widths. */
struct wbpf_elf_layout {
	int shoff, shoff_w, shentsize, shnum, shstrndx;
	int sh_offset, sh_size, word;
};

static inline int wbpf_elf_layout(const unsigned char *b, size_t sz,
				  struct wbpf_elf_layout *l)
{
	static const struct wbpf_elf_layout l64 = {0x28, 8,    0x3a, 0x3c,
						   0x3e, 0x18, 0x20, 8};
	static const struct wbpf_elf_layout l32 = {0x20, 4,    0x2e, 0x30,
						   0x32, 0x10, 0x14, 4};

	if (sz < 0x40 || memcmp(b, "\177ELF", 4) || b[5] != 1 /* LSB */)
		return -1;
	if (b[4] == 2)
		*l = l64;
	else if (b[4] == 1)
		*l = l32;
	else
		return -1;
	return 0;
}

static inline void wbpf_elf_wr(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

/* Section headers and the section name table, bounds checked. */
struct wbpf_elf_shdrs {
	struct wbpf_elf_layout l;
	uint64_t shoff, ent, num, stroff, strsz;
	const unsigned char *strhdr; /* the name table's own header */
};

static inline int wbpf_elf_shdrs(const unsigned char *b, size_t sz,
				 struct wbpf_elf_shdrs *h)
{
	uint64_t stri;

	if (wbpf_elf_layout(b, sz, &h->l))
		return -1;
	h->shoff = wbpf_elf_rd(b + h->l.shoff, h->l.shoff_w);
	h->ent = wbpf_elf_rd(b + h->l.shentsize, 2);
	h->num = wbpf_elf_rd(b + h->l.shnum, 2);
	stri = wbpf_elf_rd(b + h->l.shstrndx, 2);
	if (h->ent < (uint64_t)h->l.sh_size + h->l.word || stri >= h->num ||
	    h->shoff > sz || h->num * h->ent > sz - h->shoff)
		return -1;
	h->strhdr = b + h->shoff + stri * h->ent;
	h->stroff = wbpf_elf_rd(h->strhdr + h->l.sh_offset, h->l.word);
	h->strsz = wbpf_elf_rd(h->strhdr + h->l.sh_size, h->l.word);
	if (h->stroff > sz || h->strsz > sz - h->stroff)
		return -1;
	return 0;
}

/* Finds section `name`; 0 and *sec filled, or -1. */
static inline int wbpf_elf_find(const void *elf, size_t sz, const char *name,
				struct wbpf_elf_sec *sec)
{
	const unsigned char *b = (const unsigned char *)elf;
	struct wbpf_elf_shdrs h;
	size_t nlen = strlen(name);

	if (wbpf_elf_shdrs(b, sz, &h))
		return -1;
	for (uint64_t i = 0; i < h.num; i++) {
		const unsigned char *sh = b + h.shoff + i * h.ent;
		uint64_t n = wbpf_elf_rd(sh, 4);

		if (n >= h.strsz || h.strsz - n <= nlen ||
		    memcmp(b + h.stroff + n, name, nlen + 1))
			continue;
		sec->type = (uint32_t)wbpf_elf_rd(sh + 4, 4);
		sec->offset = (size_t)wbpf_elf_rd(sh + h.l.sh_offset, h.l.word);
		sec->size = (size_t)wbpf_elf_rd(sh + h.l.sh_size, h.l.word);
		if (sec->type == WBPF_SHT_NOBITS) {
			sec->offset = 0;
			return 0;
		}
		if (sec->offset > sz || sec->size > sz - sec->offset)
			return -1;
		return 0;
	}
	return -1;
}

/* A copy of `elf` in which each section named in secs[] is renamed
 * "?<name>": libbpf (1.0+) does not load the programs of such a section,
 * which is how the guest makes autoload=false reach a host that loads the
 * whole object. The name table is copied to the end of the file with the
 * new names appended (symbol names keep their offsets in it) and its header
 * pointed there. NULL on malformed input or no memory. */
static inline void *wbpf_elf_hide_sections(const void *elf, size_t sz,
					   const char *const *secs, int n,
					   size_t *out_sz)
{
	const unsigned char *b = (const unsigned char *)elf;
	size_t extra = 0, base, pos;
	struct wbpf_elf_shdrs h;
	unsigned char *out;

	if (wbpf_elf_shdrs(b, sz, &h))
		return NULL;
	for (int i = 0; i < n; i++)
		extra += strlen(secs[i]) + 2;
	base = (sz + 7) & ~(size_t)7;
	out = (unsigned char *)calloc(1, base + h.strsz + extra);
	if (!out)
		return NULL;
	memcpy(out, b, sz);
	memcpy(out + base, b + h.stroff, h.strsz);
	pos = h.strsz;
	for (uint64_t i = 0; i < h.num; i++) {
		unsigned char *sh = out + h.shoff + i * h.ent;
		uint64_t nm = wbpf_elf_rd(sh, 4);

		for (int j = 0; j < n && nm < h.strsz; j++) {
			size_t len = strlen(secs[j]);

			if (h.strsz - nm <= len ||
			    memcmp(b + h.stroff + nm, secs[j], len + 1) ||
			    pos + len + 2 > h.strsz + extra)
				continue;
			out[base + pos] = '?';
			memcpy(out + base + pos + 1, secs[j], len + 1);
			wbpf_elf_wr(sh, pos, 4);
			pos += len + 2;
			break;
		}
	}
	wbpf_elf_wr(out + (h.strhdr - b) + h.l.sh_offset, base, h.l.word);
	wbpf_elf_wr(out + (h.strhdr - b) + h.l.sh_size, pos, h.l.word);
	*out_sz = base + pos;
	return out;
}

#endif
