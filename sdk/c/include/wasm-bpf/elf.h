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
	static const struct wbpf_elf_layout l64 = { 0x28, 8, 0x3a, 0x3c, 0x3e,
						    0x18, 0x20, 8 };
	static const struct wbpf_elf_layout l32 = { 0x20, 4, 0x2e, 0x30, 0x32,
						    0x10, 0x14, 4 };

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

/* Finds section `name`; 0 and *sec filled, or -1. */
static inline int wbpf_elf_find(const void *elf, size_t sz, const char *name,
				struct wbpf_elf_sec *sec)
{
	const unsigned char *b = (const unsigned char *)elf;
	struct wbpf_elf_layout l;
	uint64_t shoff, ent, num, stri, stroff, strsz;
	size_t nlen = strlen(name);

	if (wbpf_elf_layout(b, sz, &l))
		return -1;
	shoff = wbpf_elf_rd(b + l.shoff, l.shoff_w);
	ent = wbpf_elf_rd(b + l.shentsize, 2);
	num = wbpf_elf_rd(b + l.shnum, 2);
	stri = wbpf_elf_rd(b + l.shstrndx, 2);
	if (ent < (uint64_t)l.sh_size + l.word || stri >= num ||
	    shoff > sz || num * ent > sz - shoff)
		return -1;
	stroff = wbpf_elf_rd(b + shoff + stri * ent + l.sh_offset, l.word);
	strsz = wbpf_elf_rd(b + shoff + stri * ent + l.sh_size, l.word);
	if (stroff > sz || strsz > sz - stroff)
		return -1;
	for (uint64_t i = 0; i < num; i++) {
		const unsigned char *sh = b + shoff + i * ent;
		uint64_t n = wbpf_elf_rd(sh, 4);

		if (n >= strsz || strsz - n <= nlen ||
		    memcmp(b + stroff + n, name, nlen + 1))
			continue;
		sec->type = (uint32_t)wbpf_elf_rd(sh + 4, 4);
		sec->offset = (size_t)wbpf_elf_rd(sh + l.sh_offset, l.word);
		sec->size = (size_t)wbpf_elf_rd(sh + l.sh_size, l.word);
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

#endif
