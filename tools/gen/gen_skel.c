/* gen_skel.c — `wasm-bpf gen skeleton`: a header for wasm32 guests that
 * embeds the BPF object and declares `struct NAME` with its maps, programs,
 * links and data sections, driven by the SDK's skeleton back-end
 * (sdk/c/include/wasm-bpf/skel.h: ours, or upstream's where a unit uses
 * upstream's libbpf-wasm.h). The names follow bpftool's skeletons so the
 * same application source builds natively against libbpf.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools/gen/gen_internal.h"

struct skel_map {
	const struct bpf_map *map;
	const char *name; /* as the host knows it: ".rodata" for internal */
	char ident[64];	  /* member of skel->maps (and of skel for data) */
	int datasec;	  /* BTF id of the data section, 0 if none */
};

/* ".data.foo" -> "data_foo", as bpftool names internal maps. */
static void make_ident(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	if (*src == '.')
		src++;
	for (; *src && i + 1 < n; src++)
		dst[i++] = isalnum((unsigned char)*src) ? *src : '_';
	dst[i] = '\0';
}

/* libbpf names an internal map "<obj prefix><section>" truncated to 15
 * characters; the section name is what the host's lookup understands, so
 * recover it from the BTF data sections. */
static int find_datasec(const struct btf *btf, const char *trunc)
{
	int best = 0;

	for (__u32 id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *n = btf__name_by_offset(btf, t->name_off);

		if (!btf_is_datasec(t))
			continue;
		if (!strcmp(n, trunc))
			return id;
		if (!best && !strncmp(n, trunc, strlen(trunc)))
			best = id;
	}
	return best;
}

static int collect_maps(struct gen_obj *g, struct skel_map **out)
{
	struct skel_map *m = NULL;
	const struct bpf_map *map;
	int n = 0;

	bpf_object__for_each_map(map, g->obj)
	{
		struct skel_map *nm = realloc(m, (n + 1) * sizeof(*m));
		const char *name = bpf_map__name(map);

		if (!nm) {
			free(m);
			return -ENOMEM;
		}
		m = nm;
		memset(&m[n], 0, sizeof(m[n]));
		m[n].map = map;
		m[n].name = name;
		if (bpf_map__is_internal(map) && strchr(name, '.')) {
			m[n].name = strchr(name, '.');
			m[n].datasec = find_datasec(g->btf, m[n].name);
			if (m[n].datasec > 0)
				m[n].name = btf__name_by_offset(
				    g->btf,
				    btf__type_by_id(g->btf, m[n].datasec)
					->name_off);
		}
		make_ident(m[n].ident, sizeof(m[n].ident), m[n].name);
		if (!strcmp(m[n].name, ".kconfig"))
			m[n].datasec = 0; /* filled by libbpf, not the guest */
		n++;
	}
	*out = m;
	return n;
}

static int cmp_secinfo(const void *a, const void *b)
{
	const struct btf_var_secinfo *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The global variables of one data section as emitter members; static
 * variables are left out (bpftool does too) but keep their room. */
static int datasec_members(const struct btf *btf, int sec,
			   struct emit_member **out)
{
	const struct btf_type *ds = btf__type_by_id(btf, sec);
	int n = btf_vlen(ds), k = 0;
	struct btf_var_secinfo *vs = calloc(n + 1, sizeof(*vs));
	struct emit_member *m = calloc(n + 1, sizeof(*m));

	if (!vs || !m) {
		free(vs);
		free(m);
		return -ENOMEM;
	}
	memcpy(vs, btf_var_secinfos(ds), n * sizeof(*vs));
	qsort(vs, n, sizeof(*vs), cmp_secinfo);
	for (int i = 0; i < n; i++) {
		const struct btf_type *var = btf__type_by_id(btf, vs[i].type);

		if (!btf_is_var(var) || btf_var(var)->linkage == BTF_VAR_STATIC)
			continue;
		m[k].name = btf__name_by_offset(btf, var->name_off);
		m[k].type = var->type;
		m[k].bit_off = vs[i].offset * 8;
		k++;
	}
	free(vs);
	*out = m;
	return k;
}

/* Types of global variables are defined before the skeleton struct, each
 * under its WBPF_TYPE_<kind>_<name> guard: define the guard before the
 * include to use your own definition instead. */
static int emit_datasec_deps(struct type_emitter *e, struct skel_map *m, int n)
{
	int err = 0;

	for (int i = 0; !err && i < n; i++) {
		const struct btf_type *ds;
		const struct btf_var_secinfo *vs;

		if (m[i].datasec <= 0)
			continue;
		ds = btf__type_by_id(e->btf, m[i].datasec);
		vs = btf_var_secinfos(ds);
		for (int j = 0; !err && j < btf_vlen(ds); j++) {
			const struct btf_type *var =
			    btf__type_by_id(e->btf, vs[j].type);

			/* static variables stay out of the skeleton, and so
			 * do the types only they use */
			if (btf_is_var(var) &&
			    btf_var(var)->linkage != BTF_VAR_STATIC)
				err = emit_deps(e, var->type);
		}
	}
	return err;
}

static int emit_datasec_struct(struct type_emitter *e, struct gen_obj *g,
			       struct skel_map *m)
{
	const struct btf_type *ds = btf__type_by_id(g->btf, m->datasec);
	struct emit_member *mem;
	int n, err;

	n = datasec_members(g->btf, m->datasec, &mem);
	if (n < 0)
		return n;
	fprintf(e->out,
		"\tstruct __attribute__((packed, aligned(8))) %s__%s {\n",
		g->name, m->ident);
	err = emit_members(e, mem, n, ds->size, false, 2);
	fprintf(e->out, "\t} *%s;\n", m->ident);
	free(mem);
	return err;
}

static int emit_struct(struct type_emitter *e, struct gen_obj *g,
		       struct skel_map *m, int nmaps)
{
	struct bpf_program *p;
	FILE *out = e->out;
	int err = 0;

	fprintf(out,
		"\nstruct %s {\n"
		"\tstruct bpf_object_skeleton *skeleton;\n"
		"\tstruct bpf_object *obj;\n"
		"\tstruct {\n",
		g->name);
	for (int i = 0; i < nmaps; i++)
		fprintf(out, "\t\tstruct bpf_map *%s;\n", m[i].ident);
	fputs("\t} maps;\n\tstruct {\n", out);
	bpf_object__for_each_program(p, g->obj)
	    fprintf(out, "\t\tstruct bpf_program *%s;\n", bpf_program__name(p));
	fputs("\t} progs;\n\tstruct {\n", out);
	bpf_object__for_each_program(p, g->obj)
	    fprintf(out, "\t\tstruct bpf_link *%s;\n", bpf_program__name(p));
	fputs("\t} links;\n", out);
	for (int i = 0; !err && i < nmaps; i++)
		if (m[i].datasec > 0)
			err = emit_datasec_struct(e, g, &m[i]);
	fputs("};\n", out);
	return err;
}

static void emit_elf_bytes(struct gen_obj *g, FILE *out)
{
	const unsigned char *b = g->data;

	fprintf(out,
		"\nstatic const unsigned char %s__elf[%zu] "
		"__attribute__((aligned(8))) = {",
		g->name, g->size);
	for (size_t i = 0; i < g->size; i++)
		fprintf(out, "%s0x%02x,", i % 16 ? "" : "\n\t", b[i]);
	fprintf(out,
		"\n};\n\n"
		"static inline const void *%s__elf_bytes(size_t *sz)\n"
		"{\n\t*sz = sizeof(%s__elf);\n\treturn %s__elf;\n}\n",
		g->name, g->name, g->name);
}

static void emit_map_descs(struct gen_obj *g, struct skel_map *m, int n,
			   FILE *out)
{
	fputs("\tstatic const struct wbpf_map_desc maps[] = {\n", out);
	for (int i = 0; i < n; i++) {
		__u32 sec_size = 0;

		if (m[i].datasec > 0)
			sec_size = btf__type_by_id(g->btf, m[i].datasec)->size;
		fprintf(out, "\t\t{ \"%s\", %d, %u, %u, %u, %u },\n", m[i].name,
			bpf_map__type(m[i].map), bpf_map__key_size(m[i].map),
			bpf_map__value_size(m[i].map),
			bpf_map__max_entries(m[i].map), sec_size);
	}
	fputs("\t};\n\tstruct bpf_map **map_slots[] = {\n", out);
	for (int i = 0; i < n; i++)
		fprintf(out, "\t\t&obj->maps.%s,\n", m[i].ident);
	fputs("\t};\n\tvoid **data_slots[] = {\n", out);
	for (int i = 0; i < n; i++)
		if (m[i].datasec > 0)
			fprintf(out, "\t\t(void **)&obj->%s,\n", m[i].ident);
		else
			fputs("\t\tNULL,\n", out);
	fputs("\t};\n", out);
}

static int emit_prog_descs(struct gen_obj *g, FILE *out)
{
	struct bpf_program *p;
	int n = 0;

	fputs("\tstatic const struct wbpf_prog_desc progs[] = {\n", out);
	bpf_object__for_each_program(p, g->obj)
	{
		fprintf(out, "\t\t{ \"%s\", \"%s\" },\n", bpf_program__name(p),
			bpf_program__section_name(p));
		n++;
	}
	fputs("\t};\n\tstruct bpf_program **prog_slots[] = {\n", out);
	bpf_object__for_each_program(p, g->obj)
	    fprintf(out, "\t\t&obj->progs.%s,\n", bpf_program__name(p));
	fputs("\t};\n\tstruct bpf_link **link_slots[] = {\n", out);
	bpf_object__for_each_program(p, g->obj)
	    fprintf(out, "\t\t&obj->links.%s,\n", bpf_program__name(p));
	fputs("\t};\n", out);
	return n;
}

/* The libbpf skeleton functions, over the SDK's back-end. Empty tables get
 * a dummy entry (C has no empty initializers) and a zero count. */
static void emit_create(struct gen_obj *g, struct skel_map *m, int nmaps,
			FILE *out)
{
	const char *n = g->name;
	int nprogs = 0;
	struct bpf_program *p;

	bpf_object__for_each_program(p, g->obj) nprogs++;
	fprintf(out,
		"\nstatic inline int %s__create_skeleton(struct %s *obj)\n{\n",
		n, n);
	if (nmaps)
		emit_map_descs(g, m, nmaps, out);
	if (nprogs)
		emit_prog_descs(g, out);
	fprintf(
	    out,
	    "\tsize_t sz;\n"
	    "\tconst void *elf = %s__elf_bytes(&sz);\n\n"
	    "\tobj->skeleton = wbpf_skeleton__new(\"%s\", elf, sz, &obj->obj,\n"
	    "\t\t%s, %s, %s, %d,\n\t\t%s, %s, %s, %d);\n"
	    "\treturn obj->skeleton ? 0 : -ENOMEM;\n}\n",
	    n, n, nmaps ? "maps" : "NULL", nmaps ? "map_slots" : "NULL",
	    nmaps ? "data_slots" : "NULL", nmaps, nprogs ? "progs" : "NULL",
	    nprogs ? "prog_slots" : "NULL", nprogs ? "link_slots" : "NULL",
	    nprogs);
}

static void emit_functions(struct gen_obj *g, FILE *out)
{
	const char *n = g->name;

	fprintf(out,
		"\nstatic inline void %s__destroy(struct %s *obj)\n{\n"
		"\tif (!obj)\n\t\treturn;\n"
		"\tbpf_object__destroy_skeleton(obj->skeleton);\n"
		"\tfree(obj);\n}\n",
		n, n);
	fprintf(out,
		"\nstatic inline struct %s *\n%s__open_opts(const struct "
		"bpf_object_open_opts *opts)\n{\n"
		"\tstruct %s *obj = (struct %s *)calloc(1, sizeof(*obj));\n"
		"\tint err;\n\n"
		"\tif (!obj) {\n\t\terrno = ENOMEM;\n\t\treturn NULL;\n\t}\n"
		"\terr = %s__create_skeleton(obj);\n"
		"\tif (!err)\n\t\terr = "
		"bpf_object__open_skeleton(obj->skeleton, opts);\n"
		"\tif (err) {\n\t\t%s__destroy(obj);\n\t\terrno = "
		"-err;\n\t\treturn NULL;\n\t}\n"
		"\treturn obj;\n}\n",
		n, n, n, n, n, n);
	fprintf(out,
		"\nstatic inline struct %s *%s__open(void)\n{\n"
		"\treturn %s__open_opts(NULL);\n}\n",
		n, n, n);
	fprintf(out,
		"\nstatic inline int %s__load(struct %s *obj)\n{\n"
		"\treturn bpf_object__load_skeleton(obj->skeleton);\n}\n",
		n, n);
	fprintf(out,
		"\nstatic inline struct %s *%s__open_and_load(void)\n{\n"
		"\tstruct %s *obj = %s__open();\n\tint err;\n\n"
		"\tif (!obj)\n\t\treturn NULL;\n"
		"\terr = %s__load(obj);\n"
		"\tif (err) {\n\t\t%s__destroy(obj);\n\t\terrno = "
		"-err;\n\t\treturn NULL;\n\t}\n"
		"\treturn obj;\n}\n",
		n, n, n, n, n, n);
	fprintf(out,
		"\nstatic inline int %s__attach(struct %s *obj)\n{\n"
		"\treturn bpf_object__attach_skeleton(obj->skeleton);\n}\n",
		n, n);
	fprintf(out,
		"\nstatic inline void %s__detach(struct %s *obj)\n{\n"
		"\tbpf_object__detach_skeleton(obj->skeleton);\n}\n",
		n, n);
}

int gen_skeleton(struct gen_obj *g, FILE *out)
{
	struct type_emitter e;
	struct skel_map *m;
	int nmaps, err;

	nmaps = collect_maps(g, &m);
	if (nmaps < 0)
		return nmaps;
	if (emitter_init(&e, g->btf, out)) {
		free(m);
		return -ENOMEM;
	}
	fprintf(out,
		"/* Skeleton of %s for wasm32 guests, generated by\n"
		" * `wasm-bpf gen skeleton`; do not edit. */\n"
		"#ifndef __%s_SKEL_WASM_H__\n#define __%s_SKEL_WASM_H__\n\n"
		"#include <errno.h>\n#include <stddef.h>\n#include <stdint.h>\n"
		"#include <stdlib.h>\n#include \"wasm-bpf/skel.h\"\n",
		g->path, g->name, g->name);
	err = emit_datasec_deps(&e, m, nmaps);
	if (!err)
		err = emit_struct(&e, g, m, nmaps);
	if (!err) {
		emit_elf_bytes(g, out);
		emit_create(g, m, nmaps, out);
		emit_functions(g, out);
		fprintf(out, "\n#endif /* __%s_SKEL_WASM_H__ */\n", g->name);
	}
	if (err)
		fprintf(
		    stderr,
		    "gen: %s: cannot express a data section for wasm32: %s\n",
		    g->path, gen_strerror(err));
	emitter_free(&e);
	free(m);
	return err;
}
