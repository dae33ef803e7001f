/* wasm-bpf/skel_upstream.h — the skeleton back-end for a translation unit
 * that included upstream wasm-bpf's libbpf-wasm.h before the skeleton (an
 * upstream example directory's own copy): the generated skeleton is then
 * driven by upstream's bpf_object__*_skeleton functions and structs, and
 * this file only builds upstream's struct bpf_object_skeleton from the
 * generated tables. Upstream's semantics hold in such a unit: every
 * program loads and attaches, and data sections are written into the
 * object's bytes before load (.bss is a zeroed private buffer the kernel
 * never sees, as upstream).
 */
#ifndef WASM_BPF_SKEL_UPSTREAM_H
#define WASM_BPF_SKEL_UPSTREAM_H

#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "skel_desc.h"

/* Upstream's header has no such structs; the skeleton only points to them. */
struct bpf_object;
struct bpf_link;

/* One block holds upstream's struct, the object's bytes (upstream points
 * skel->rodata into them and writes there) and the .bss buffers, so the
 * free() of upstream's destroy releases all of it. */
static inline size_t wbpf__up_round(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

static inline void wbpf__up_data(unsigned char *elf, size_t elf_sz,
				 const struct wbpf_map_desc *m, void **slot,
				 unsigned char **bss)
{
	struct wbpf_elf_sec sec;

	if (!wbpf_elf_find(elf, elf_sz, m->name, &sec) &&
	    sec.type != WBPF_SHT_NOBITS) {
		*slot = elf + sec.offset;
		return;
	}
	*slot = *bss;
	*bss += wbpf__up_round(m->sec_size);
}

static inline struct bpf_object_skeleton *wbpf_skeleton__new(
    const char *name, const void *elf, size_t elf_sz, struct bpf_object **obj,
    const struct wbpf_map_desc *maps, struct bpf_map ***map_slots,
    void ***data_slots, int nmaps, const struct wbpf_prog_desc *progs,
    struct bpf_program ***prog_slots, struct bpf_link ***link_slots, int nprogs)
{
	size_t head = wbpf__up_round(sizeof(struct bpf_object_skeleton));
	size_t size = head + wbpf__up_round(elf_sz);
	struct bpf_object_skeleton *s;
	struct bpf_map_skeleton *ms;
	struct bpf_prog_skeleton *ps;
	struct wbpf_elf_sec sec;
	unsigned char *data, *bss;

	(void)obj;
	(void)link_slots;
	for (int i = 0; i < nmaps; i++)
		if (data_slots[i])
			size += wbpf__up_round(maps[i].sec_size);
	s = (struct bpf_object_skeleton *)calloc(1, size);
	ms = (struct bpf_map_skeleton *)calloc(nmaps + 1, sizeof(*ms));
	ps = (struct bpf_prog_skeleton *)calloc(nprogs + 1, sizeof(*ps));
	if (!s || !ms || !ps) {
		free(s);
		free(ms);
		free(ps);
		return NULL;
	}
	data = (unsigned char *)s + head;
	bss = data + wbpf__up_round(elf_sz);
	memcpy(data, elf, elf_sz);
	s->sz = sizeof(*s);
	s->name = name;
	s->data = data;
	s->data_sz = elf_sz;
	if (!wbpf_elf_find(data, elf_sz, ".rodata", &sec))
		s->rodata_offset = sec.offset;
	for (int i = 0; i < nmaps; i++) {
		ms[i].name = maps[i].name;
		ms[i].map = map_slots[i];
		if (data_slots[i])
			wbpf__up_data(data, elf_sz, &maps[i], data_slots[i],
				      &bss);
	}
	for (int i = 0; i < nprogs; i++) {
		ps[i].name = progs[i].name;
		ps[i].prog = prog_slots[i];
	}
	s->map_cnt = nmaps;
	s->map_skel_sz = sizeof(*ms);
	s->maps = ms;
	s->prog_cnt = nprogs;
	s->prog_skel_sz = sizeof(*ps);
	s->progs = ps;
	return s;
}

#endif
