/* libbpf-wasm.h — a stand-in, written for this suite, for upstream
 * wasm-bpf's C SDK header, which every upstream example directory carries
 * (as a link): the same guard, types, struct fields and function names,
 * so the suite can build upstream-shaped example directories against it
 * without shipping upstream's file. Only what the suite's guests use.
 */
#ifndef _LIBBPF_WASM_H
#define _LIBBPF_WASM_H

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t bpf_object_skel;

#define UP_IMPORT(n) __attribute__((import_module("wasm_bpf"), import_name(n)))
UP_IMPORT("wasm_load_bpf_object")
bpf_object_skel wasm_load_bpf_object(const void *obj_buf, int obj_buf_sz);
UP_IMPORT("wasm_attach_bpf_program")
int wasm_attach_bpf_program(bpf_object_skel obj, const char *name,
			    const char *attach_target);
UP_IMPORT("wasm_bpf_map_fd_by_name")
int wasm_bpf_map_fd_by_name(bpf_object_skel obj, const char *name);
UP_IMPORT("wasm_bpf_map_operate")
int wasm_bpf_map_operate(int fd, int cmd, void *key, void *value,
			 void *next_key, uint64_t flags);
UP_IMPORT("wasm_close_bpf_object")
int wasm_close_bpf_object(bpf_object_skel obj);
#undef UP_IMPORT

struct bpf_map {
	bpf_object_skel obj_ptr;
	char name[64];
};

struct bpf_program {
	bpf_object_skel obj_ptr;
	char name[64];
	char attach_target[128];
	bool autoattach;
};

struct bpf_map_skeleton {
	const char *name;
	struct bpf_map **map;
	void **mmaped;
};

struct bpf_prog_skeleton {
	const char *name;
	struct bpf_program **prog;
};

struct bpf_object_skeleton {
	size_t sz;
	const char *name;
	void *data;
	size_t data_sz;
	size_t rodata_offset;
	size_t bss_offset;
	bpf_object_skel obj;
	int map_cnt;
	int map_skel_sz;
	struct bpf_map_skeleton *maps;
	int prog_cnt;
	int prog_skel_sz;
	struct bpf_prog_skeleton *progs;
};

struct bpf_object_open_opts;

static void bpf_set_prog_attach_target(struct bpf_program *prog,
				       char *attach_target)
{
	snprintf(prog->attach_target, sizeof(prog->attach_target), "%s",
		 attach_target);
}

static int bpf_map__fd(const struct bpf_map *map)
{
	return wasm_bpf_map_fd_by_name(map->obj_ptr, map->name);
}

static int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return wasm_bpf_map_operate(fd, 1, (void *)key, value, NULL, 0);
}

/* The skeleton's tables, filled in: one record per map and program; the
 * read-only data section is written into the object's own bytes. */
static int bpf_object__open_skeleton(struct bpf_object_skeleton *s,
				     const struct bpf_object_open_opts *opts)
{
	(void)opts;
	for (int i = 0; i < s->map_cnt; i++) {
		struct bpf_map_skeleton *m =
		    (void *)((char *)s->maps + i * s->map_skel_sz);

		*m->map = calloc(1, sizeof(**m->map));
		if (!*m->map)
			return -1;
		snprintf((*m->map)->name, sizeof((*m->map)->name), "%s",
			 m->name);
		if (m->mmaped && strstr(m->name, "rodata"))
			*m->mmaped = (char *)s->data + s->rodata_offset;
	}
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_prog_skeleton *p =
		    (void *)((char *)s->progs + i * s->prog_skel_sz);

		*p->prog = calloc(1, sizeof(**p->prog));
		if (!*p->prog)
			return -1;
		snprintf((*p->prog)->name, sizeof((*p->prog)->name), "%s",
			 p->name);
	}
	return 0;
}

static int bpf_object__load_skeleton(struct bpf_object_skeleton *s)
{
	s->obj = wasm_load_bpf_object(s->data, (int)s->data_sz);
	if (!s->obj)
		return -1;
	for (int i = 0; i < s->map_cnt; i++)
		(*s->maps[i].map)->obj_ptr = s->obj;
	for (int i = 0; i < s->prog_cnt; i++)
		(*s->progs[i].prog)->obj_ptr = s->obj;
	return 0;
}

/* Every program, with its target or by section. */
static int bpf_object__attach_skeleton(struct bpf_object_skeleton *s)
{
	for (int i = 0; i < s->prog_cnt; i++) {
		struct bpf_program *p = *s->progs[i].prog;
		int err = wasm_attach_bpf_program(
		    s->obj, p->name,
		    p->attach_target[0] ? p->attach_target : NULL);

		if (err < 0)
			return err;
	}
	return 0;
}

static int bpf_object__detach_skeleton(struct bpf_object_skeleton *s)
{
	(void)s;
	return 0;
}

static void bpf_object__destroy_skeleton(struct bpf_object_skeleton *s)
{
	if (!s)
		return;
	if (s->obj)
		wasm_close_bpf_object(s->obj);
	free(s->maps);
	free(s->progs);
	free(s);
}

#endif
