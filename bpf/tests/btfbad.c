/* btfbad.c — damaged BTF for the tests of bpf_btfcheck.c (btfcheck.sh,
 * tools/tests/run.sh): copies of a compiled BPF object with one field of
 * .BTF or .BTF.ext changed in place, one file per case.
 *
 *   btfbad make OBJ DIR
 *	writes DIR/<case>.bpf.o for every case the object has the types for
 *	and prints "<case>\t<what the refusal must say>" (an extended
 *	regular expression) for each.
 *   btfbad check OBJ...
 *	btfcheck__elf on each object; prints the verdict, exits 1 if any
 *	object was refused.
 *
 * Cases cover every kind's references (kinds the object lacks are made by
 * changing the kind of a type with the same layout), names past the string
 * section, header fields, vlen past the data, an unknown kind, reference
 * cycles, a member past its struct, and .BTF.ext records.
 */
#include <gelf.h>
#include <stdarg.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>
#include "bpf/bpf_btfcheck.h"

#define BIG 9999u

static uint8_t *img; /* the object */
static size_t img_len;
static uint8_t *btf;	/* its .BTF, inside img */
static uint8_t *ext;	/* its .BTF.ext, inside img, or NULL */
static uint32_t *off;	/* type id -> offset in img */
static uint32_t ntypes; /* ids, void included */
static const char *dir;

static uint32_t get(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void put(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static struct btf_header *hdr(uint8_t *b)
{
	return (struct btf_header *)(b + (btf - img));
}

static uint32_t kind(uint32_t id)
{
	return get(img + off[id] + 4) >> 24 & 0x1f;
}

static uint32_t vlen(uint32_t id)
{
	return get(img + off[id] + 4) & 0xffff;
}

/* The first type of `k` (with at least `min_vlen` entries), or 0. */
static uint32_t first(uint32_t k, uint32_t min_vlen)
{
	for (uint32_t id = 1; id < ntypes; id++)
		if (kind(id) == k && vlen(id) >= min_vlen)
			return id;
	return 0;
}

/* A copy of the object to damage; emit() writes it. */
static uint8_t *copy(void)
{
	uint8_t *b = malloc(img_len);

	if (!b)
		exit(2);
	memcpy(b, img, img_len);
	return b;
}

/* Word k of type `id` in the copy b. */
static uint8_t *word(uint8_t *b, uint32_t id, uint32_t k)
{
	return b + off[id] + 4 * k;
}

static void set_kind(uint8_t *b, uint32_t id, uint32_t k, uint32_t vl)
{
	put(word(b, id, 1), k << 24 | vl);
}

static void emit(uint8_t *b, const char *name, const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.bpf.o", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, img_len, f) != img_len || fclose(f)) {
		fprintf(stderr, "btfbad: cannot write %s\n", path);
		exit(2);
	}
	printf("%s\t", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	free(b);
}

/* ---- .BTF -------------------------------------------------------------- */

/* One reference of a type of kind `k` (made from `from` if the object has
 * none) set to BIG; `what` names the place as the refusal does. */
static void ref_case(const char *name, uint32_t k, uint32_t from, uint32_t w,
		     const char *kname, const char *what)
{
	uint32_t id = first(k, 1) ? first(k, 1) : first(k, 0);
	uint8_t *b = copy();

	if (!id) {
		id = first(from, 0);
		if (!id) {
			free(b);
			return;
		}
		set_kind(b, id, k, 0);
		if (k == BTF_KIND_DECL_TAG)
			put(word(b, id, 3), UINT32_MAX);
	}
	put(word(b, id, w), BIG);
	emit(b, name,
	     "BTF type %u \\(%s( '[^']*')?\\)%s%s refers to type %u, past the "
	     "last type %u",
	     id, kname, *what ? " " : "", what, BIG, ntypes - 1);
}

static void refs(void)
{
	static const struct {
		const char *name;
		uint32_t kind, from, word;
		const char *kname, *what;
	} c[] = {
	    {"ptr", BTF_KIND_PTR, 0, 2, "PTR", ""},
	    {"typedef", BTF_KIND_TYPEDEF, BTF_KIND_PTR, 2, "TYPEDEF", ""},
	    {"volatile", BTF_KIND_VOLATILE, BTF_KIND_PTR, 2, "VOLATILE", ""},
	    {"const", BTF_KIND_CONST, BTF_KIND_PTR, 2, "CONST", ""},
	    {"restrict", BTF_KIND_RESTRICT, BTF_KIND_PTR, 2, "RESTRICT", ""},
	    {"type_tag", BTF_KIND_TYPE_TAG, BTF_KIND_PTR, 2, "TYPE_TAG", ""},
	    {"func", BTF_KIND_FUNC, 0, 2, "FUNC", ""},
	    {"var", BTF_KIND_VAR, 0, 2, "VAR", ""},
	    {"decl_tag", BTF_KIND_DECL_TAG, BTF_KIND_VAR, 2, "DECL_TAG",
	     "target"},
	    {"array_elem", BTF_KIND_ARRAY, 0, 3, "ARRAY", "element"},
	    {"array_index", BTF_KIND_ARRAY, 0, 4, "ARRAY", "index"},
	    {"struct_member", BTF_KIND_STRUCT, 0, 4, "STRUCT", "member 0"},
	    {"union_member", BTF_KIND_UNION, 0, 4, "UNION", "member 0"},
	    {"proto_return", BTF_KIND_FUNC_PROTO, 0, 2, "FUNC_PROTO", "return"},
	    {"proto_param", BTF_KIND_FUNC_PROTO, 0, 4, "FUNC_PROTO",
	     "parameter 0"},
	    {"datasec_var", BTF_KIND_DATASEC, 0, 3, "DATASEC", "variable 0"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ref_case(c[i].name, c[i].kind, c[i].from, c[i].word, c[i].kname,
			 c[i].what);
}

static void names(void)
{
	uint32_t past = hdr(img)->str_len + 100;
	static const struct {
		const char *name;
		uint32_t kind, word;
		const char *what;
	} c[] = {
	    {"name_type", BTF_KIND_STRUCT, 0, "\\) has its name at"},
	    {"name_member", BTF_KIND_STRUCT, 3, "member 0 has its name at"},
	    {"name_param", BTF_KIND_FUNC_PROTO, 3,
	     "parameter 0 has its name at"},
	    {"name_enum", BTF_KIND_ENUM, 3, "value 0 has its name at"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint32_t id = first(c[i].kind, 1);
		uint8_t *b;

		if (!id)
			continue;
		b = copy();
		put(word(b, id, c[i].word), past);
		emit(b, c[i].name, "%s %u, past the string section", c[i].what,
		     past);
	}
}

static void headers(void)
{
	uint8_t *b = copy();
	uint32_t id;

	hdr(b)->str_len += 1000;
	emit(b, "hdr_str_len", "do not fit in order");
	b = copy();
	hdr(b)->type_len += 4;
	emit(b, "hdr_type_len", "do not fit in order");
	b = copy();
	hdr(b)->type_off += 2;
	emit(b, "hdr_type_off", "do not fit in order");
	b = copy();
	hdr(b)->hdr_len = 0x7fffffff;
	emit(b, "hdr_len", "BTF header length 2147483647 is outside");
	b = copy();
	id = first(BTF_KIND_STRUCT, 1);
	set_kind(b, id, BTF_KIND_STRUCT, 0xffff);
	emit(b, "vlen", "BTF type %u \\(STRUCT\\) with vlen 65535 runs past",
	     id);
	b = copy();
	set_kind(b, 1, 25, 0);
	emit(b, "unknown_kind", "BTF type 1 has unknown kind 25");
}

static void cycles(void)
{
	uint32_t td = first(BTF_KIND_TYPEDEF, 0),
		 st = first(BTF_KIND_STRUCT, 1);
	uint32_t p1 = first(BTF_KIND_PTR, 0), p2 = 0;
	uint8_t *b;

	for (uint32_t id = p1 + 1; p1 && !p2 && id < ntypes; id++)
		if (kind(id) == BTF_KIND_PTR)
			p2 = id;
	b = copy();
	put(word(b, td, 2), td);
	emit(b, "cycle_typedef",
	     "is part of a reference cycle through no pointer");
	b = copy();
	set_kind(b, p1, BTF_KIND_CONST, 0);
	set_kind(b, p2, BTF_KIND_VOLATILE, 0);
	put(word(b, p1, 2), p2);
	put(word(b, p2, 2), p1);
	emit(b, "cycle_const",
	     "is part of a reference cycle through no pointer");
	b = copy();
	put(word(b, st, 4), st);
	emit(b, "cycle_struct",
	     "is part of a reference cycle through no pointer");
	b = copy();
	put(word(b, p1, 2), p1);
	emit(b, "cycle_ptr",
	     "is part of a reference cycle through no struct or union");
	b = copy();
	put(word(b, st, 2), 0);
	emit(b, "member_past_size", "member 0 ends at bit");
	if ((b = copy()) && first(BTF_KIND_VAR, 0)) {
		uint32_t v = first(BTF_KIND_VAR, 0);

		set_kind(b, v, BTF_KIND_DECL_TAG, 0);
		put(word(b, v, 2), st);
		put(word(b, v, 3), BIG);
		emit(b, "decl_tag_component", "names component %u of type %u",
		     BIG, st);
	} else {
		free(b);
	}
}

/* ---- .BTF.ext ----------------------------------------------------------- */

/* Record 0 of part `part` (0 func_info, 1 line_info, 2 core_relo) of the
 * copy b: its block header is 8 bytes before. NULL if there is none. */
static uint8_t *ext_rec(uint8_t *b, int part)
{
	uint32_t hl = get(ext + 4), o = get(ext + 8 + 8 * part),
		 l = get(ext + 12 + 8 * part);

	if (!l || (part == 2 && hl < 32))
		return NULL;
	return b + (ext - img) + hl + o + 4 + 8;
}

static void exts(void)
{
	uint8_t *b, *r;

	if (!ext)
		return;
	if ((r = ext_rec(b = copy(), 0))) {
		put(r + 4, BIG);
		emit(b, "ext_func_type", "func_info 0 of section '");
	} else {
		free(b);
	}
	if ((r = ext_rec(b = copy(), 0))) {
		put(r - 8, 0x7fffffff);
		emit(b, "ext_sec_name", "section name at 2147483647 is past");
	} else {
		free(b);
	}
	if ((r = ext_rec(b = copy(), 0))) {
		put(r - 12, 3);
		emit(b, "ext_rec_size", "func_info has record size 3");
	} else {
		free(b);
	}
	if ((r = ext_rec(b = copy(), 1))) {
		put(r + 4, 0x7fffffff);
		emit(b, "ext_line_str", "string at 2147483647 is past");
	} else {
		free(b);
	}
	if (!(r = ext_rec(b = copy(), 2))) {
		free(b);
		return;
	}
	put(r + 4, BIG);
	emit(b, "ext_core_type", "refers to type %u, past the last type", BIG);
	r = ext_rec(b = copy(), 2);
	put(r + 12, 99);
	emit(b, "ext_core_kind", "has unknown kind 99");
	r = ext_rec(b = copy(), 2);
	put(r + 8, get(r - 8)); /* the section name: not "N:N" */
	emit(b, "ext_core_access", "malformed CO-RE access string");
}

/* ---- reading the object ---------------------------------------------------
 */

static int read_img(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0) {
		if (f)
			fclose(f);
		return -1;
	}
	rewind(f);
	img_len = (size_t)n;
	img = malloc(img_len);
	n = img && fread(img, 1, img_len, f) == img_len ? 0 : -1;
	fclose(f);
	return (int)n;
}

/* The object's sections and the offset of every type. */
static int load(const char *path)
{
	struct btf_header h;
	Elf_Scn *scn = NULL;
	size_t shstrndx, at;
	Elf *e;

	if (read_img(path))
		return -1;
	elf_version(EV_CURRENT);
	e = elf_memory((char *)img, img_len);
	if (!e || elf_getshdrstrndx(e, &shstrndx))
		return -1;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n;

		gelf_getshdr(scn, &sh);
		n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && !strcmp(n, ".BTF"))
			btf = img + sh.sh_offset;
		if (n && !strcmp(n, ".BTF.ext"))
			ext = img + sh.sh_offset;
	}
	elf_end(e);
	if (!btf)
		return -1;
	memcpy(&h, btf, sizeof(h));
	off = calloc(h.type_len / 12 + 2, sizeof(*off));
	ntypes = 1;
	for (at = 0; off && at < h.type_len; ntypes++) {
		uint8_t *t = btf + h.hdr_len + h.type_off + at;
		uint32_t info = get(t + 4), k = info >> 24 & 0x1f,
			 n = info & 0xffff;

		off[ntypes] = (uint32_t)(t - img);
		at += 12;
		if (k == BTF_KIND_INT || k == BTF_KIND_VAR ||
		    k == BTF_KIND_DECL_TAG)
			at += 4;
		else if (k == BTF_KIND_ARRAY)
			at += 12;
		else if (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION ||
			 k == BTF_KIND_DATASEC || k == BTF_KIND_ENUM64)
			at += 12 * n;
		else if (k == BTF_KIND_ENUM || k == BTF_KIND_FUNC_PROTO)
			at += 8 * n;
	}
	return off ? 0 : -1;
}

static int check(int n, char **paths)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		char why[256];

		free(img);
		if (read_img(paths[i])) {
			printf("unreadable %s\n", paths[i]);
			bad = 1;
		} else if (btfcheck__elf(img, img_len, why, sizeof(why))) {
			printf("refused %s: %s\n", paths[i], why);
			bad = 1;
		} else {
			printf("ok %s\n", paths[i]);
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "check"))
		return check(argc - 2, argv + 2);
	if (argc != 4 || strcmp(argv[1], "make")) {
		fprintf(stderr, "usage: btfbad make OBJ DIR | check OBJ...\n");
		return 2;
	}
	dir = argv[3];
	if (load(argv[2])) {
		fprintf(stderr, "btfbad: %s: no .BTF\n", argv[2]);
		return 2;
	}
	refs();
	names();
	headers();
	cycles();
	exts();
	return 0;
}
