/* gen_types.c — the wasm32 type emitter and `wasm-bpf gen types`.
 *
 * BPF code sees LP64 layouts; a wasm32 guest is ILP32. Rather than emit the
 * BTF types as written (btf_dump would keep `long` and pointers, which
 * shrink to 4 bytes on wasm32), every definition here is rebuilt from BTF
 * offsets: integers get fixed-width types, pointers become uint64_t, every
 * member is placed by explicit padding in a packed struct that keeps the
 * BPF alignment, and sizes and offsets are asserted at compile time. A guest
 * can then read a ring buffer record or a map value in place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gen/gen_internal.h"

#define GUARD_FMT "WBPF_TYPE_%s_%s"

int emitter_init(struct type_emitter *e, const struct btf *btf, FILE *out)
{
	memset(e, 0, sizeof(*e));
	e->btf = btf;
	e->out = out;
	e->state = calloc(btf__type_cnt(btf), 1);
	return e->state ? 0 : -ENOMEM;
}

void emitter_free(struct type_emitter *e)
{
	free(e->state);
}

static void indent_to(struct type_emitter *e, int indent)
{
	for (int i = 0; i < indent; i++)
		fputc('\t', e->out);
}

/* Skips const/volatile/restrict/type tags and typedefs: layout is all the
 * emitter cares about, and typedef names (pid_t, u64...) would clash with
 * the guest's libc headers. */
__u32 skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t &&
	       (btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

static const char *int_name(int size, bool is_signed)
{
	switch (size) {
	case 1:
		return is_signed ? "int8_t" : "uint8_t";
	case 2:
		return is_signed ? "int16_t" : "uint16_t";
	case 4:
		return is_signed ? "int32_t" : "uint32_t";
	case 8:
		return is_signed ? "int64_t" : "uint64_t";
	case 16:
		return is_signed ? "__int128" : "unsigned __int128";
	}
	return NULL;
}

static bool type_is_signed(const struct btf_type *t)
{
	if (btf_is_int(t))
		return btf_int_encoding(t) & BTF_INT_SIGNED;
	if (btf_is_enum(t) || btf_is_enum64(t))
		return btf_kflag(t);
	return false;
}

static int emit_composite_body(struct type_emitter *e, __u32 id, int indent);

static int composite_align(struct type_emitter *e, __u32 id)
{
	int a = btf__align_of(e->btf, id);

	return a > 0 ? a : 1;
}

/* The type part of a declaration; *extra is set for types emitted as a byte
 * array (floats wider than double: x86's long double is not wasm's). */
static int emit_type_name(struct type_emitter *e, __u32 id, int indent,
			  __u32 *extra)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	const char *name = t ? btf__name_by_offset(e->btf, t->name_off) : NULL;

	if (!t)
		return -EINVAL;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (btf_int_encoding(t) & BTF_INT_BOOL)
			fputs("_Bool", e->out);
		else if (!strcmp(name, "char"))
			fputs("char", e->out);
		else if (int_name(t->size, type_is_signed(t)))
			fputs(int_name(t->size, type_is_signed(t)), e->out);
		else
			return -EINVAL;
		return 0;
	case BTF_KIND_PTR:
		/* A BPF pointer is 8 bytes; the guest can only carry it. */
		fputs("uint64_t", e->out);
		return 0;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (name[0] && t->size == 4)
			fprintf(e->out, "enum %s", name);
		else if (int_name(t->size, type_is_signed(t)))
			fputs(int_name(t->size, type_is_signed(t)), e->out);
		else
			return -EINVAL;
		return 0;
	case BTF_KIND_FLOAT:
		if (t->size == 4 || t->size == 8) {
			fputs(t->size == 4 ? "float" : "double", e->out);
		} else {
			fputs("uint8_t", e->out);
			*extra = t->size;
		}
		return 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (name[0]) {
			fprintf(e->out, "%s %s",
				btf_is_struct(t) ? "struct" : "union", name);
			return 0;
		}
		return emit_composite_body(e, id, indent);
	case BTF_KIND_FWD:
		fprintf(e->out, "%s %s", btf_kflag(t) ? "union" : "struct",
			name);
		return 0;
	}
	return -EINVAL;
}

int emit_decl(struct type_emitter *e, __u32 id, const char *name, int indent)
{
	__u32 dims[16], extra = 0;
	int ndims = 0, err;
	const struct btf_type *t;

	id = skip_mods(e->btf, id);
	for (t = btf__type_by_id(e->btf, id); t && btf_is_array(t);
	     t = btf__type_by_id(e->btf, id)) {
		if (ndims == 16)
			return -E2BIG;
		dims[ndims++] = btf_array(t)->nelems;
		id = skip_mods(e->btf, btf_array(t)->type);
	}
	err = emit_type_name(e, id, indent, &extra);
	if (err)
		return err;
	if (name && name[0])
		fprintf(e->out, " %s", name);
	for (int i = 0; i < ndims; i++)
		fprintf(e->out, "[%u]", dims[i]);
	if (extra)
		fprintf(e->out, "[%u]", extra);
	return 0;
}

static void emit_pad_bytes(struct type_emitter *e, __u32 bytes, int indent)
{
	indent_to(e, indent);
	fprintf(e->out, "uint8_t __pad%d[%u];\n", e->pad_seq++, bytes);
}

static void emit_pad_bits(struct type_emitter *e, __u32 bits, int indent)
{
	indent_to(e, indent);
	fprintf(e->out, "uint%d_t : %u;\n", bits > 32 ? 64 : 32, bits);
}

/* Pads from bit `pos` to bit `to`: whole bytes as arrays, the rest as
 * unnamed bitfields (which a packed struct places bit by bit). */
static __u32 pad_to(struct type_emitter *e, __u32 pos, __u32 to, int indent)
{
	if (to <= pos)
		return pos;
	if (pos % 8) {
		__u32 n = 8 - pos % 8;

		n = n < to - pos ? n : to - pos;
		emit_pad_bits(e, n, indent);
		pos += n;
	}
	if ((to - pos) / 8) {
		emit_pad_bytes(e, (to - pos) / 8, indent);
		pos += (to - pos) / 8 * 8;
	}
	if (to > pos)
		emit_pad_bits(e, to - pos, indent);
	return to;
}

static int emit_bitfield(struct type_emitter *e, const struct emit_member *m,
			 int indent)
{
	const struct btf_type *t;

	t = btf__type_by_id(e->btf, skip_mods(e->btf, m->type));
	indent_to(e, indent);
	fprintf(e->out, "%s %s : %u;\n",
		int_name(m->bit_size > 32 ? 8 : 4, t && type_is_signed(t)),
		m->name, m->bit_size);
	return 0;
}

static int emit_member(struct type_emitter *e, const struct emit_member *m,
		       int indent)
{
	int err;

	if (m->bit_size)
		return emit_bitfield(e, m, indent);
	indent_to(e, indent);
	err = emit_decl(e, m->type, m->name, indent);
	if (err)
		return err;
	fputs(";\n", e->out);
	return 0;
}

int emit_members(struct type_emitter *e, const struct emit_member *m, int n,
		 __u32 size, bool is_union, int indent)
{
	__u32 pos = 0, end;
	__s64 sz;
	int err;

	for (int i = 0; i < n; i++) {
		sz = btf__resolve_size(e->btf, m[i].type);
		if (sz < 0)
			return (int)sz;
		if (!is_union) {
			if (!m[i].bit_size && (m[i].bit_off % 8))
				return -EINVAL;
			pos = pad_to(e, m[i].bit_size ? pos : (pos + 7) / 8 * 8,
				     m[i].bit_off, indent);
		}
		err = emit_member(e, &m[i], indent);
		if (err)
			return err;
		end = m[i].bit_size ? m[i].bit_off + m[i].bit_size
				    : m[i].bit_off + sz * 8;
		if (end > pos)
			pos = end;
	}
	pos = (pos + 7) / 8 * 8;
	if (is_union && pos < size * 8)
		emit_pad_bytes(e, size, indent);
	else if (pos < size * 8)
		pad_to(e, pos, size * 8, indent);
	return 0;
}

static int members_of(struct type_emitter *e, __u32 id,
		      struct emit_member **out)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	const struct btf_member *bm = btf_members(t);
	int n = btf_vlen(t);
	struct emit_member *m = calloc(n ? n : 1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		m[i].name = btf__name_by_offset(e->btf, bm[i].name_off);
		m[i].type = bm[i].type;
		m[i].bit_off = btf_member_bit_offset(t, i);
		m[i].bit_size = btf_member_bitfield_size(t, i);
	}
	*out = m;
	return n;
}

/* "struct __attribute__((packed, aligned(A))) {" ... "}": the packed
 * attribute lets the explicit padding decide every offset; aligned keeps
 * the BPF alignment so arrays of the type and embedding stay right. */
static int emit_composite_body(struct type_emitter *e, __u32 id, int indent)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	const char *name = btf__name_by_offset(e->btf, t->name_off);
	struct emit_member *m;
	int n, err;

	n = members_of(e, id, &m);
	if (n < 0)
		return n;
	fprintf(e->out, "%s __attribute__((packed, aligned(%d)))%s%s {\n",
		btf_is_struct(t) ? "struct" : "union", composite_align(e, id),
		name[0] ? " " : "", name);
	err = emit_members(e, m, n, t->size, btf_is_union(t), indent + 1);
	free(m);
	indent_to(e, indent);
	fputc('}', e->out);
	return err;
}

int emit_deps(struct type_emitter *e, __u32 id)
{
	const struct btf_type *t;
	const struct btf_member *bm;
	int err;

	id = skip_mods(e->btf, id);
	t = btf__type_by_id(e->btf, id);
	while (t && btf_is_array(t)) {
		id = skip_mods(e->btf, btf_array(t)->type);
		t = btf__type_by_id(e->btf, id);
	}
	if (!t || !(btf_is_composite(t) || btf_is_any_enum(t)))
		return 0;
	if (t->name_off && (btf_is_composite(t) || t->size == 4))
		return emit_named_type(e, id);
	if (!btf_is_composite(t))
		return 0;
	bm = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		err = emit_deps(e, bm[i].type);
		if (err)
			return err;
	}
	return 0;
}

static void emit_asserts(struct type_emitter *e, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	const char *kw = btf_is_struct(t) ? "struct" : "union";
	const char *name = btf__name_by_offset(e->btf, t->name_off);
	const struct btf_member *bm = btf_members(t);

	fprintf(e->out,
		"_Static_assert(sizeof(%s %s) == %u, \"%s %s is %u bytes in "
		"BPF\");\n",
		kw, name, t->size, kw, name, t->size);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *mn = btf__name_by_offset(e->btf, bm[i].name_off);
		__u32 off = btf_member_bit_offset(t, i);

		if (!mn[0] || btf_member_bitfield_size(t, i))
			continue;
		fprintf(e->out,
			"_Static_assert(offsetof(%s %s, %s) == %u, \"%s %s.%s "
			"is at %u in BPF\");\n",
			kw, name, mn, off / 8, kw, name, mn, off / 8);
	}
}

static int emit_enum(struct type_emitter *e, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	const char *name = btf__name_by_offset(e->btf, t->name_off);

	fprintf(e->out, "enum %s {\n", name);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *vn;
		long long v;

		if (btf_is_enum(t)) {
			vn = btf__name_by_offset(e->btf,
						 btf_enum(t)[i].name_off);
			v = btf_kflag(t) ? (long long)btf_enum(t)[i].val
					 : (long long)(__u32)btf_enum(t)[i].val;
		} else {
			vn = btf__name_by_offset(e->btf,
						 btf_enum64(t)[i].name_off);
			v = (long long)btf_enum64_value(btf_enum64(t) + i);
		}
		fprintf(e->out, "\t%s = %lld%s,\n", vn, v,
			(v > 0x7fffffffLL || v < -0x80000000LL) ? "LL" : "");
	}
	fputs("};\n", e->out);
	return 0;
}

static const char *kind_word(const struct btf_type *t)
{
	if (btf_is_struct(t))
		return "struct";
	if (btf_is_union(t))
		return "union";
	if (btf_is_typedef(t))
		return "typedef";
	return "enum";
}

static int emit_definition(struct type_emitter *e, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	int err;

	if (btf_is_any_enum(t))
		return emit_enum(e, id);
	if (btf_is_typedef(t)) {
		fputs("typedef ", e->out);
		err = emit_decl(e, t->type,
				btf__name_by_offset(e->btf, t->name_off), 0);
		fputs(";\n", e->out);
		return err;
	}
	err = emit_composite_body(e, id, 0);
	fputs(";\n", e->out);
	if (!err)
		emit_asserts(e, id);
	return err;
}

int emit_named_type(struct type_emitter *e, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(e->btf, id);
	const char *name = btf__name_by_offset(e->btf, t->name_off);
	int err;

	if (e->state[id] == 2)
		return 0;
	if (e->state[id] == 1)
		return -ELOOP; /* a type containing itself by value */
	e->state[id] = 1;
	if (btf_is_typedef(t)) {
		err = emit_deps(e, t->type);
	} else if (btf_is_composite(t)) {
		const struct btf_member *bm = btf_members(t);

		err = 0;
		for (int i = 0; !err && i < btf_vlen(t); i++)
			err = emit_deps(e, bm[i].type);
	} else {
		err = 0;
	}
	if (err)
		return err;
	fprintf(e->out, "\n#ifndef " GUARD_FMT "\n#define " GUARD_FMT "\n",
		kind_word(t), name, kind_word(t), name);
	err = emit_definition(e, id);
	fputs("#endif\n", e->out);
	e->state[id] = 2;
	return err;
}

static int find_named(const struct btf *btf, const char *name)
{
	static const int kinds[] = {BTF_KIND_STRUCT, BTF_KIND_UNION,
				    BTF_KIND_ENUM, BTF_KIND_ENUM64,
				    BTF_KIND_TYPEDEF};
	const char *n = name;
	int id;

	/* "struct foo" and "foo" both name struct foo */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		static const char *const pfx[] = {"struct ", "union ", "enum "};
		for (size_t j = 0; j < 3; j++)
			if (!strncmp(name, pfx[j], strlen(pfx[j])))
				n = name + strlen(pfx[j]);
		id = btf__find_by_name_kind(btf, n, kinds[i]);
		if (id > 0)
			return id;
	}
	return -ENOENT;
}

/* Key and value types of the maps in ".maps" (the pointee of the `key` and
 * `value` members libbpf's __type() macro declares). */
static int emit_map_types(struct type_emitter *e)
{
	const struct btf *btf = e->btf;
	int sec = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	const struct btf_type *ds;
	const struct btf_var_secinfo *vs;
	int err = 0;

	if (sec < 0)
		return 0;
	ds = btf__type_by_id(btf, sec);
	vs = btf_var_secinfos(ds);
	for (int i = 0; !err && i < btf_vlen(ds); i++) {
		const struct btf_type *var = btf__type_by_id(btf, vs[i].type);
		__u32 def = skip_mods(btf, var->type);
		const struct btf_type *dt = btf__type_by_id(btf, def);
		const struct btf_member *bm = btf_members(dt);

		if (!btf_is_struct(dt))
			continue;
		for (int j = 0; !err && j < btf_vlen(dt); j++) {
			const char *mn =
			    btf__name_by_offset(btf, bm[j].name_off);
			const struct btf_type *pt;

			if (strcmp(mn, "key") && strcmp(mn, "value"))
				continue;
			pt = btf__type_by_id(btf, skip_mods(btf, bm[j].type));
			if (btf_is_ptr(pt))
				err = emit_deps(e, pt->type);
		}
	}
	return err;
}

/* Types of global variables (.rodata, .data, .bss and their variants). */
static int emit_global_types(struct type_emitter *e)
{
	const struct btf *btf = e->btf;
	int err = 0;

	for (__u32 id = 1; !err && id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name = btf__name_by_offset(btf, t->name_off);
		const struct btf_var_secinfo *vs;

		if (!btf_is_datasec(t) || !strcmp(name, ".maps") ||
		    !strcmp(name, ".kconfig") || !strcmp(name, "license"))
			continue;
		vs = btf_var_secinfos(t);
		for (int i = 0; !err && i < btf_vlen(t); i++)
			err = emit_deps(e,
					btf__type_by_id(btf, vs[i].type)->type);
	}
	return err;
}

/* Named structs and unions the kernel does not define: the program's own
 * types, among them ring buffer records, which no map mentions. */
static int emit_own_types(struct type_emitter *e)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int err = 0;

	if (!vmlinux)
		return 0;
	for (__u32 id = 1; !err && id < btf__type_cnt(e->btf); id++) {
		const struct btf_type *t = btf__type_by_id(e->btf, id);
		const char *name = btf__name_by_offset(e->btf, t->name_off);

		if (!btf_is_composite(t) || !name[0] || !strncmp(name, "__", 2))
			continue;
		if (btf__find_by_name_kind(vmlinux, name, btf_kind(t)) > 0)
			continue;
		err = emit_named_type(e, id);
	}
	btf__free(vmlinux);
	return err;
}

static void emit_prologue(struct gen_obj *g, FILE *out)
{
	fprintf(
	    out,
	    "/* Shared types for wasm32 guests, generated by\n"
	    " * `wasm-bpf gen types` from %s; do not edit.\n"
	    " * Layouts match the 64-bit BPF side: pointers and long are\n"
	    " * fixed 64-bit fields, every offset is explicit and asserted.\n"
	    " */\n"
	    "#pragma once\n"
	    "#include <stddef.h>\n"
	    "#include <stdint.h>\n",
	    g->path);
}

int gen_types(struct gen_obj *g, int ntypes, char **types, FILE *out)
{
	struct type_emitter e;
	int err = 0;

	if (emitter_init(&e, g->btf, out))
		return -ENOMEM;
	emit_prologue(g, out);
	for (int i = 0; !err && i < ntypes; i++) {
		int id = find_named(g->btf, types[i]);

		if (id < 0) {
			fprintf(stderr, "gen: %s: no type named '%s' in BTF\n",
				g->path, types[i]);
			err = id;
			break;
		}
		err = emit_named_type(&e, id);
	}
	if (!err && !ntypes)
		err = emit_map_types(&e);
	if (!err && !ntypes)
		err = emit_global_types(&e);
	if (!err && !ntypes)
		err = emit_own_types(&e);
	if (err && err != -ENOENT)
		fprintf(stderr,
			"gen: %s: cannot express a type for wasm32: %s\n",
			g->path, gen_strerror(err));
	emitter_free(&e);
	return err;
}
