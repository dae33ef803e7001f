/* bpf_btfmin.c — minimal kernel BTF for CO-RE: reads the CO-RE relocation
 * records of an object's .BTF.ext and keeps, out of the kernel's BTF, only
 * the types and members those relocations can look at, as a new BTF that
 * libbpf relocates against (btf_custom_path) with the same results as
 * against the whole vmlinux BTF. No files, no kernel: bpf_btfcache.c
 * decides when to use it and stores it.
 *
 * The .BTF.ext and the object's own BTF come from the guest: every offset,
 * length, count, type id and string is checked; anything odd is an error,
 * which only means the object is loaded with the full BTF.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "bpf/bpf_internal.h"

#define BTF_EXT_MAGIC 0xeB9F
/* libbpf's limit on accessors in one relocation (BPF_CORE_SPEC_MAX_LEN). */
#define BM_SPEC_MAX 64
/* Longest typedef/modifier chain followed (a guest's BTF may hold
 * cycles) and deepest recursion of the path walk. */
#define BM_DEPTH 64
#define BM_NEST	 (4 * BM_SPEC_MAX)
/* Steps a walk may take before the object is left to the full BTF: a
 * hostile BTF could otherwise make the walk very long. */
#define BM_BUDGET (1L << 22)

/* One record of the .BTF.ext CO-RE subsection (struct bpf_core_relo). */
struct bm_relo {
	uint32_t insn_off, type_id, access_str_off, kind;
};

enum bm_relo_kind {
	/* 0..5: field offset, size, exists, signed, left and right shift */
	BM_FIELD_LAST = 5,
	BM_TYPE_ID_LOCAL = 6,
	BM_TYPE_ID_TARGET = 7,
	BM_TYPE_EXISTS = 8,
	BM_TYPE_SIZE = 9,
	BM_ENUMVAL_EXISTS = 10,
	BM_ENUMVAL_VALUE = 11,
	BM_TYPE_MATCHES = 12,
};

/* How much of a kernel type the new BTF keeps; a type only ever goes up.
 * Non-composite types are always copied whole (their references at least
 * as REF); the levels matter for structs and unions. */
enum bm_level {
	BM_NONE,
	BM_REF,	 /* name and size, no members */
	BM_PATH, /* the members in its keep bitmap */
	BM_DEEP, /* every member, and everything reachable, whole */
};

/* The candidates of one (kind, essential name) the relocations look up. */
struct bm_root {
	const char *name; /* local name; the first len bytes count */
	size_t len;
	int kind; /* BTF_KIND_*, enum64 counted as enum */
	uint32_t *cands;
	size_t ncands, capcands;
};

/* Which members of a BM_PATH composite are kept: one bit per member. */
struct bm_keep {
	uint64_t *bits;
};

struct bm_item {
	uint32_t id;
	uint8_t level;
};

struct bm {
	const struct btf *local, *kern;
	uint32_t n; /* type count of kern */
	uint8_t *level;
	uint32_t *keep_of; /* kernel id -> 1 + index in keeps */
	struct bm_keep *keeps;
	size_t nkeeps, capkeeps;
	struct bm_item *stack;
	size_t nstack, capstack;
	struct bm_root *roots;
	size_t nroots;
	struct bm_relo *relos;
	size_t nrelos;
	long budget;
};

/* ---- the .BTF.ext section ---------------------------------------------- */

/* The section named .BTF.ext. Two of them (libbpf would take the last),
 * or one without bytes, are refused rather than guessed at. */
static int bm_find_ext(Elf *e, size_t shstrndx, size_t len, const void **ext,
		       size_t *ext_len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".BTF.ext"))
			continue;
		if (*ext || sh.sh_type == SHT_NOBITS)
			return -EINVAL;
		d = elf_rawdata(scn, NULL);
		if (!d || !d->d_buf || !d->d_size || d->d_size > len)
			return -EINVAL;
		*ext = d->d_buf;
		*ext_len = d->d_size;
	}
	return 0;
}

/* The bytes of section .BTF.ext of an ELF image, through libelf; *ext NULL
 * if there is none. Raw data: libelf must not convert (or write) it. */
int bh_btfmin_ext(const void *elf, size_t len, const void **ext,
		  size_t *ext_len)
{
	bool native;
	size_t shstrndx;
	GElf_Ehdr eh;
	Elf *e;
	int err;

	*ext = NULL;
	*ext_len = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	e = elf_memory((char *)elf, len);
	if (!e)
		return -EINVAL;
	native = gelf_getehdr(e, &eh) &&
		 eh.e_ident[EI_DATA] ==
		     (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB
								: ELFDATA2MSB);
	if (elf_kind(e) != ELF_K_ELF || !native ||
	    elf_getshdrstrndx(e, &shstrndx))
		err = -EINVAL;
	else
		err = bm_find_ext(e, shstrndx, len, ext, ext_len);
	elf_end(e);
	if (err) {
		*ext = NULL;
		*ext_len = 0;
	}
	return err;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Walks the CO-RE subsection of `ext`; with `out`, copies the records
 * there. Returns the number of records or -EINVAL: every offset, length
 * and count must stay inside the section (and record sizes follow the
 * rules libbpf applies). */
static long ext_relos(const void *ext, size_t len, struct bm_relo *out)
{
	const uint8_t *p = ext, *sec;
	uint32_t hdr_len, off, rl, rec;
	uint16_t magic;
	long n = 0;

	if (!ext || len < 8)
		return ext && len ? -EINVAL : 0;
	memcpy(&magic, p, 2);
	hdr_len = get32(p + 4);
	if (magic != BTF_EXT_MAGIC || p[2] != 1 || hdr_len < 8 || hdr_len > len)
		return -EINVAL;
	if (hdr_len < 32) /* no CO-RE part in the header */
		return 0;
	off = get32(p + 24);
	rl = get32(p + 28);
	if (!rl)
		return 0;
	if (off & 3 || off > len - hdr_len || rl > len - hdr_len - off ||
	    rl < 4)
		return -EINVAL;
	sec = p + hdr_len + off;
	rec = get32(sec);
	if (rec < sizeof(struct bm_relo) || rec & 3)
		return -EINVAL;
	for (size_t at = 4; at < rl;) {
		uint32_t num;

		if (rl - at < 8)
			return -EINVAL;
		num = get32(sec + at + 4);
		at += 8;
		if (!num || num > (rl - at) / rec)
			return -EINVAL;
		for (uint32_t i = 0; out && i < num; i++)
			memcpy(&out[n + i], sec + at + (size_t)i * rec,
			       sizeof(*out));
		n += num;
		at += (size_t)num * rec;
	}
	return n;
}

int bh_btfmin_count(const void *ext, size_t len)
{
	long n = ext_relos(ext, len, NULL);

	return n > INT32_MAX ? -E2BIG : (int)n;
}

/* ---- type helpers -------------------------------------------------------- */

/* Skips typedefs and modifiers (as libbpf does); NULL on a bad id or a
 * chain that does not end. */
static const struct btf_type *bm_skip(const struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	for (int i = 0; t && (btf_is_mod(t) || btf_is_typedef(t)); i++) {
		if (i == BM_DEPTH)
			return NULL;
		*id = t->type;
		t = btf__type_by_id(btf, *id);
	}
	return t;
}

/* Length of a name without its flavor: libbpf's rule, the last "x___y"
 * (x and y not underscores) ends the essential name after the x. */
static size_t bm_essential_len(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = n >= 5 ? n - 4 : 0; i-- > 0;)
		if (name[i] != '_' && !strncmp(name + i + 1, "___", 3) &&
		    name[i + 4] != '_')
			return i + 1;
	return n;
}

/* Kinds libbpf takes as candidates of each other: the same kind, or any
 * two enums. */
static int bm_kind(const struct btf_type *t)
{
	return btf_is_any_enum(t) ? BTF_KIND_ENUM : btf_kind(t);
}

static int bm_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* ---- marking ------------------------------------------------------------- */

static int bm_push(struct bm *b, uint32_t id, uint8_t level)
{
	if (!id)
		return 0;
	if (id >= b->n)
		return -EINVAL;
	if (b->level[id] >= level)
		return 0;
	if (bm_grow((void **)&b->stack, &b->capstack, b->nstack + 1,
		    sizeof(*b->stack)))
		return -ENOMEM;
	b->stack[b->nstack++] = (struct bm_item){id, level};
	return 0;
}

/* The references of a type, at the level they need for `level`. */
static int bm_push_refs(struct bm *b, const struct btf_type *t, uint8_t level)
{
	uint8_t ref = level == BM_DEEP ? BM_DEEP : BM_REF;
	const struct btf_member *m = btf_members(t);
	const struct btf_param *p = btf_params(t);
	int err = 0;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
		return 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (int i = 0; level == BM_DEEP && !err && i < btf_vlen(t);
		     i++)
			err = bm_push(b, m[i].type, BM_DEEP);
		return err;
	case BTF_KIND_PTR:
		return bm_push(b, t->type, ref);
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return bm_push(b, t->type, level);
	case BTF_KIND_ARRAY:
		err = bm_push(b, btf_array(t)->type, level);
		return err ? err : bm_push(b, btf_array(t)->index_type, BM_REF);
	case BTF_KIND_FUNC_PROTO:
		err = bm_push(b, t->type, ref);
		for (int i = 0; !err && i < btf_vlen(t); i++)
			err = bm_push(b, p[i].type, ref);
		return err;
	default: /* funcs, vars, sections, tags: never behind a member */
		return -ENOTSUP;
	}
}

/* Raises `id` to `level` and everything it references to what it needs. */
static int bm_mark(struct bm *b, uint32_t id, uint8_t level)
{
	int err = bm_push(b, id, level);

	while (!err && b->nstack) {
		struct bm_item it = b->stack[--b->nstack];
		const struct btf_type *t = btf__type_by_id(b->kern, it.id);

		if (b->level[it.id] >= it.level)
			continue;
		if (!t)
			return -EINVAL;
		b->level[it.id] = it.level;
		err = bm_push_refs(b, t, it.level);
	}
	b->nstack = 0;
	return err;
}

static uint64_t *bm_keep_bits(struct bm *b, uint32_t id, uint16_t vlen)
{
	struct bm_keep *k;

	if (b->keep_of[id])
		return b->keeps[b->keep_of[id] - 1].bits;
	if (bm_grow((void **)&b->keeps, &b->capkeeps, b->nkeeps + 1,
		    sizeof(*b->keeps)))
		return NULL;
	k = &b->keeps[b->nkeeps];
	k->bits = calloc((vlen + 63) / 64, sizeof(uint64_t));
	if (!k->bits)
		return NULL;
	b->keep_of[id] = ++b->nkeeps;
	return k->bits;
}

static bool bm_is_zero_array(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = bm_skip(btf, &id);

	return t && btf_is_array(t) && btf_array(t)->nelems == 0;
}

/* Keeps member `i` of composite `id`. A zero-length array is a flexible
 * array to libbpf only as the last member, so if it is not the last one
 * the last one is kept too. */
static int bm_keep_member(struct bm *b, uint32_t id, int i)
{
	const struct btf_type *t = btf__type_by_id(b->kern, id);
	const struct btf_member *m = btf_members(t);
	int vlen = btf_vlen(t);
	uint64_t *bits = bm_keep_bits(b, id, vlen);
	int err;

	if (!bits)
		return -ENOMEM;
	if (b->level[id] < BM_PATH)
		b->level[id] = BM_PATH;
	if (bits[i / 64] & (1ULL << (i % 64)))
		return 0;
	bits[i / 64] |= 1ULL << (i % 64);
	err = bm_mark(b, m[i].type, BM_REF);
	if (!err && i + 1 < vlen && bm_is_zero_array(b->kern, m[i].type))
		err = bm_keep_member(b, id, vlen - 1);
	return err;
}

/* ---- field relocations: the access path -------------------------------- */

static int bm_walk(struct bm *b, uint32_t lid, uint32_t kid,
		   const uint32_t *acc, int i, int n, int depth);

/* Finds the members named `name` in kernel composite `kid`, looking into
 * anonymous members as libbpf does, keeps them (and the anonymous members
 * holding them) and continues the path in each. Returns how many it found
 * or a negative errno. */
static int bm_find(struct bm *b, uint32_t kid, const char *name,
		   uint32_t lmtype, const uint32_t *acc, int i, int n,
		   int depth)
{
	const struct btf_type *t = btf__type_by_id(b->kern, kid);
	const struct btf_member *m = btf_members(t);
	int found = 0, r;

	if (depth > BM_NEST)
		return -E2BIG;
	for (int j = 0; j < btf_vlen(t); j++) {
		const char *kname = btf__name_by_offset(b->kern, m[j].name_off);
		uint32_t sub = m[j].type;
		const struct btf_type *st;

		if (--b->budget < 0)
			return -E2BIG;
		if (kname && *kname) {
			if (strcmp(kname, name))
				continue;
			r = bm_keep_member(b, kid, j);
			if (!r)
				r = bm_walk(b, lmtype, sub, acc, i, n,
					    depth + 1);
			if (r < 0)
				return r;
			found++;
			continue;
		}
		st = bm_skip(b->kern, &sub);
		if (!st || !btf_is_composite(st))
			continue;
		r = bm_find(b, sub, name, lmtype, acc, i, n, depth + 1);
		if (r > 0) {
			int err = bm_keep_member(b, kid, j);

			if (err)
				return err;
		}
		if (r < 0)
			return r;
		found += r;
	}
	return found;
}

/* Follows accessors acc[i..n) from local type `lid` and kernel type `kid`
 * (the same point of the path in both). */
static int bm_walk(struct bm *b, uint32_t lid, uint32_t kid,
		   const uint32_t *acc, int i, int n, int depth)
{
	const struct btf_type *lt, *kt;
	const struct btf_member *m;
	const char *name;
	int r;

	if (i == n)
		return 0;
	if (--b->budget < 0 || depth > BM_NEST)
		return -E2BIG;
	lt = bm_skip(b->local, &lid);
	kt = bm_skip(b->kern, &kid);
	if (!lt || !kt)
		return -EINVAL;
	if (btf_is_array(lt)) {
		if (!btf_is_array(kt))
			return 0; /* no match in this candidate */
		return bm_walk(b, btf_array(lt)->type, btf_array(kt)->type, acc,
			       i + 1, n, depth + 1);
	}
	if (!btf_is_composite(lt) || acc[i] >= btf_vlen(lt))
		return -EINVAL; /* libbpf refuses the relocation */
	m = btf_members(lt) + acc[i];
	/* An anonymous local member is no accessor: the kernel side stays. */
	if (!m->name_off)
		return bm_walk(b, m->type, kid, acc, i + 1, n, depth + 1);
	name = btf__name_by_offset(b->local, m->name_off);
	if (!name || !*name)
		return -EINVAL;
	if (!btf_is_composite(kt))
		return 0;
	r = bm_find(b, kid, name, m->type, acc, i + 1, n, depth + 1);
	return r < 0 ? r : 0;
}

/* "0:1:2" -> {0, 1, 2}; strictly decimal, as many as libbpf allows. */
static int bm_parse_access(const char *s, uint32_t *acc)
{
	int n = 0;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		uint64_t v = 0;

		if (n == BM_SPEC_MAX)
			return -E2BIG;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		while (*s >= '0' && *s <= '9' && v <= INT32_MAX)
			v = v * 10 + (uint64_t)(*s++ - '0');
		if (v > INT32_MAX)
			return -EINVAL;
		acc[n++] = (uint32_t)v;
		if (!*s)
			return n;
		if (*s++ != ':')
			return -EINVAL;
	}
}

/* ---- candidates ---------------------------------------------------------- */

static int bm_root_cmp(const void *a, const void *b)
{
	const struct bm_root *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = strncmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static struct bm_root *bm_root_find(struct bm *b, const char *name, size_t len,
				    int kind)
{
	struct bm_root key = {.name = name, .len = len, .kind = kind};

	return bsearch(&key, b->roots, b->nroots, sizeof(key), bm_root_cmp);
}

/* The local type of a relocation as a root key, or -EINVAL (libbpf would
 * fail the relocation: no name). */
static int bm_root_key(const struct bm *b, uint32_t id, struct bm_root *r)
{
	const struct btf_type *t = btf__type_by_id(b->local, id);
	const char *name =
	    t ? btf__name_by_offset(b->local, t->name_off) : NULL;

	if (!name || !*name)
		return -EINVAL;
	*r = (struct bm_root){
	    .name = name, .len = bm_essential_len(name), .kind = bm_kind(t)};
	return r->len ? 0 : -EINVAL;
}

/* One entry per distinct (kind, essential name) of the relocations that
 * look up kernel types, sorted for bm_root_find. */
static int bm_collect_roots(struct bm *b)
{
	size_t n = 0;
	int err;

	b->roots = calloc(b->nrelos ? b->nrelos : 1, sizeof(*b->roots));
	if (!b->roots)
		return -ENOMEM;
	for (size_t i = 0; i < b->nrelos; i++) {
		if (b->relos[i].kind == BM_TYPE_ID_LOCAL)
			continue;
		err = bm_root_key(b, b->relos[i].type_id, &b->roots[n]);
		if (err)
			return err;
		n++;
	}
	qsort(b->roots, n, sizeof(*b->roots), bm_root_cmp);
	b->nroots = 0;
	for (size_t i = 0; i < n; i++)
		if (!b->nroots ||
		    bm_root_cmp(&b->roots[b->nroots - 1], &b->roots[i]))
			b->roots[b->nroots++] = b->roots[i];
	return 0;
}

/* One pass over the kernel types fills every root's candidates. */
static int bm_find_cands(struct bm *b)
{
	for (uint32_t id = 1; id < b->n; id++) {
		const struct btf_type *t = btf__type_by_id(b->kern, id);
		const char *name = btf__name_by_offset(b->kern, t->name_off);
		struct bm_root *r;

		if (!name || !*name)
			continue;
		r = bm_root_find(b, name, bm_essential_len(name), bm_kind(t));
		if (!r)
			continue;
		if (bm_grow((void **)&r->cands, &r->capcands, r->ncands + 1,
			    sizeof(*r->cands)))
			return -ENOMEM;
		r->cands[r->ncands++] = id;
	}
	/* Without a vmlinux candidate libbpf searches the modules' BTF,
	 * which a custom BTF turns off: such objects need the real thing. */
	for (size_t i = 0; i < b->nroots; i++)
		if (!b->roots[i].ncands)
			return -ENOTSUP;
	return 0;
}

/* ---- per relocation ------------------------------------------------------ */

static int bm_relo_field(struct bm *b, const struct bm_relo *r,
			 const struct bm_root *root)
{
	uint32_t acc[BM_SPEC_MAX];
	const char *s = btf__name_by_offset(b->local, r->access_str_off);
	int n = bm_parse_access(s, acc), err;
	uint32_t lid = r->type_id;

	if (n < 0)
		return n;
	if (!bm_skip(b->local, &lid))
		return -EINVAL;
	for (size_t c = 0; c < root->ncands; c++) {
		/* acc[0] indexes an array of the root: its size counts */
		err = bm_mark(b, root->cands[c], BM_REF);
		if (!err)
			err = bm_walk(b, r->type_id, root->cands[c], acc, 1, n,
				      0);
		if (err)
			return err;
	}
	return 0;
}

static int bm_relo(struct bm *b, const struct bm_relo *r)
{
	struct bm_root key, *root;
	uint8_t level;
	int err;

	if (!btf__name_by_offset(b->local, r->access_str_off))
		return -EINVAL;
	if (r->kind == BM_TYPE_ID_LOCAL)
		return 0; /* the object's own type id: no kernel type */
	/* The kernel's type id would be the new BTF's, not the kernel's. */
	if (r->kind == BM_TYPE_ID_TARGET || r->kind > BM_TYPE_MATCHES)
		return -ENOTSUP;
	err = bm_root_key(b, r->type_id, &key);
	root = err ? NULL : bm_root_find(b, key.name, key.len, key.kind);
	if (!root)
		return -EINVAL;
	if (r->kind <= BM_FIELD_LAST)
		return bm_relo_field(b, r, root);
	/* For exists, size and enum values libbpf compares a candidate's
	 * kind (through typedefs, pointers, arrays and prototypes) and takes
	 * its size or enumerators: its name, size and chain of references
	 * are enough. "matches" compares everything it reaches. */
	level = r->kind == BM_TYPE_MATCHES ? BM_DEEP : BM_REF;
	for (size_t c = 0; c < root->ncands; c++) {
		err = bm_mark(b, root->cands[c], level);
		if (err)
			return err;
	}
	return 0;
}

/* ---- emitting the new BTF ------------------------------------------------ */

/* The new id of kernel type `id` (marked, so valid); void stays 0. */
static int bm_new_id(const struct bm *b, const uint32_t *map, uint32_t id)
{
	return id && id < b->n ? (int)map[id] : 0;
}

static int bm_emit_members(const struct bm *b, struct btf *out,
			   const struct btf_type *t, uint32_t id,
			   const uint32_t *map)
{
	const struct btf_member *m = btf_members(t);
	const uint64_t *bits = NULL;
	int err;

	if (b->level[id] == BM_REF)
		return 0;
	if (b->level[id] == BM_PATH) /* else BM_DEEP: all of them */
		bits = b->keeps[b->keep_of[id] - 1].bits;
	for (int i = 0; i < btf_vlen(t); i++) {
		if (bits && !(bits[i / 64] & (1ULL << (i % 64))))
			continue;
		err = btf__add_field(
		    out, btf__name_by_offset(b->kern, m[i].name_off),
		    bm_new_id(b, map, m[i].type), btf_member_bit_offset(t, i),
		    btf_member_bitfield_size(t, i));
		if (err)
			return err;
	}
	return 0;
}

static int bm_emit_params(const struct bm *b, struct btf *out,
			  const struct btf_type *t, const uint32_t *map)
{
	const struct btf_param *p = btf_params(t);
	int err;

	for (int i = 0; i < btf_vlen(t); i++) {
		err = btf__add_func_param(
		    out, btf__name_by_offset(b->kern, p[i].name_off),
		    bm_new_id(b, map, p[i].type));
		if (err)
			return err;
	}
	return 0;
}

static int bm_emit_composite(const struct bm *b, struct btf *out,
			     const struct btf_type *t, uint32_t id,
			     const uint32_t *map)
{
	const char *name = btf__name_by_offset(b->kern, t->name_off);
	int r = btf_is_struct(t) ? btf__add_struct(out, name, t->size)
				 : btf__add_union(out, name, t->size);
	int err = r < 0 ? r : bm_emit_members(b, out, t, id, map);

	return err ? err : r;
}

/* Adds kernel type `id` to `out`; references go through `map` (old id ->
 * new id). Returns the new id or a negative errno. */
static int bm_emit(const struct bm *b, struct btf *out, uint32_t id,
		   const uint32_t *map)
{
	const struct btf_type *t = btf__type_by_id(b->kern, id);
	const char *name = btf__name_by_offset(b->kern, t->name_off);
	int r, err;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD: /* no references: copied as they are */
		return btf__add_type(out, b->kern, t);
	case BTF_KIND_PTR:
		return btf__add_ptr(out, bm_new_id(b, map, t->type));
	case BTF_KIND_TYPEDEF:
		return btf__add_typedef(out, name, bm_new_id(b, map, t->type));
	case BTF_KIND_CONST:
		return btf__add_const(out, bm_new_id(b, map, t->type));
	case BTF_KIND_VOLATILE:
		return btf__add_volatile(out, bm_new_id(b, map, t->type));
	case BTF_KIND_RESTRICT:
		return btf__add_restrict(out, bm_new_id(b, map, t->type));
	case BTF_KIND_TYPE_TAG:
		return btf__add_type_tag(out, name, bm_new_id(b, map, t->type));
	case BTF_KIND_ARRAY:
		return btf__add_array(
		    out, bm_new_id(b, map, btf_array(t)->index_type),
		    bm_new_id(b, map, btf_array(t)->type),
		    btf_array(t)->nelems);
	case BTF_KIND_FUNC_PROTO:
		r = btf__add_func_proto(out, bm_new_id(b, map, t->type));
		err = r < 0 ? r : bm_emit_params(b, out, t, map);
		return err ? err : r;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return bm_emit_composite(b, out, t, id, map);
	default:
		return -ENOTSUP;
	}
}

/* New ids in the order of the old ones: emitting in that order gives
 * every kept type its id, and references may point forward. */
static int bm_emit_all(const struct bm *b, struct btf **out)
{
	uint32_t *map = calloc(b->n, sizeof(*map)), next = 1;
	struct btf *btf = btf__new_empty();
	int err = map && btf ? 0 : -ENOMEM;

	for (uint32_t id = 1; !err && id < b->n; id++)
		if (b->level[id])
			map[id] = next++;
	for (uint32_t id = 1; !err && id < b->n; id++) {
		int r;

		if (!b->level[id])
			continue;
		r = bm_emit(b, btf, id, map);
		if (r < 0)
			err = r;
		else if ((uint32_t)r != map[id])
			err = -EFAULT;
	}
	free(map);
	if (err) {
		btf__free(btf);
		return err;
	}
	*out = btf;
	return 0;
}

/* ---- build --------------------------------------------------------------- */

static void bm_free(struct bm *b)
{
	for (size_t i = 0; i < b->nroots; i++)
		free(b->roots[i].cands);
	for (size_t i = 0; i < b->nkeeps; i++)
		free(b->keeps[i].bits);
	free(b->roots);
	free(b->keeps);
	free(b->keep_of);
	free(b->level);
	free(b->stack);
	free(b->relos);
}

static int bm_init(struct bm *b, const struct btf *local, const void *ext,
		   size_t len, const struct btf *kern)
{
	long n = ext_relos(ext, len, NULL);

	*b = (struct bm){.local = local, .kern = kern, .budget = BM_BUDGET};
	if (n <= 0)
		return n ? (int)n : -ENOENT;
	b->n = btf__type_cnt(kern);
	b->relos = calloc((size_t)n, sizeof(*b->relos));
	b->level = calloc(b->n, sizeof(*b->level));
	b->keep_of = calloc(b->n, sizeof(*b->keep_of));
	if (!b->relos || !b->level || !b->keep_of)
		return -ENOMEM;
	b->nrelos = (size_t)ext_relos(ext, len, b->relos);
	return 0;
}

int bh_btfmin_build(const struct btf *local, const void *ext, size_t len,
		    const struct btf *kern, struct btf **out)
{
	struct bm b;
	int err;

	*out = NULL;
	if (!local || !kern)
		return -EINVAL;
	err = bm_init(&b, local, ext, len, kern);
	err = err ? err : bm_collect_roots(&b);
	err = err ? err : bm_find_cands(&b);
	for (size_t i = 0; !err && i < b.nrelos; i++)
		err = bm_relo(&b, &b.relos[i]);
	err = err ? err : bm_emit_all(&b, out);
	bm_free(&b);
	return err;
}
