/* gen_internal.h — shared state of `wasm-bpf gen`: the loaded object and the
 * wasm32 type emitter that both the skeleton and the types generator use.
 */
#ifndef WASM_BPF_GEN_INTERNAL_H
#define WASM_BPF_GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* One BPF object read from disk, opened by libbpf (not loaded). */
struct gen_obj {
	char *path;
	char *name; /* C identifier derived from the file name */
	void *data;
	size_t size;
	struct bpf_object *obj;
	const struct btf *btf;
};

int gen_obj_open(struct gen_obj *g, const char *path);
/* Text of a negative errno or libbpf error code (static buffer). */
const char *gen_strerror(int err);
void gen_obj_close(struct gen_obj *g);

/* The wasm32 emitter: writes definitions whose layout matches the 64-bit
 * BPF one under ILP32 (pointers and long as 64-bit integers, every member at
 * its BTF offset, sizes and offsets asserted). Each named definition is
 * wrapped in a guard shared by every generated header, so a skeleton and a
 * types header can be included together. */
struct type_emitter {
	const struct btf *btf;
	FILE *out;
	unsigned char *state; /* per type id: 0 new, 1 in progress, 2 emitted */
	int pad_seq;
};

int emitter_init(struct type_emitter *e, const struct btf *btf, FILE *out);
void emitter_free(struct type_emitter *e);
/* Emits the named struct/union/enum/typedef `id` and everything it embeds. */
int emit_named_type(struct type_emitter *e, __u32 id);
/* Emits definitions of the named types embedded by value in `id`. */
int emit_deps(struct type_emitter *e, __u32 id);
/* Prints `type name` (arrays and anonymous bodies inline) at `indent`. */
int emit_decl(struct type_emitter *e, __u32 id, const char *name, int indent);
/* Emits one member list, padding to every offset, closing at `size` bytes.
 * Used for structs and for data sections (members given by the caller). */
struct emit_member {
	const char *name;
	__u32 type;
	__u32 bit_off;
	__u32 bit_size; /* 0 unless a bitfield */
};
int emit_members(struct type_emitter *e, const struct emit_member *m, int n,
		 __u32 size, bool is_union, int indent);
__u32 skip_mods(const struct btf *btf, __u32 id);

int gen_types(struct gen_obj *g, int ntypes, char **types, FILE *out);
int gen_skeleton(struct gen_obj *g, FILE *out);

#endif
