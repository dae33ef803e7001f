/* bpf_btfcheck.c — checks of an untrusted object's .BTF and .BTF.ext
 * (bpf_btfcheck.h says why). The rules are the kernel's BTF rules where
 * libbpf relies on them without checking: what it reads must be inside
 * the sections, what it follows must exist and be of the kind it expects,
 * and what it walks must end. All reads go through memcpy: a section may
 * sit at any offset of the ELF image.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>
#include "bpf/bpf_btfcheck.h"

#define CK_HDR		  24 /* struct btf_header */
#define CK_TYPE		  12 /* struct btf_type */
#define CK_EXT_HDR	  24 /* .BTF.ext header up to line_info_len */
#define CK_EXT_HDR_CORE	  32 /* ... up to core_relo_len */
#define CK_SPEC_MAX	  64 /* libbpf's longest CO-RE access string */
#define CK_RELO_MAX	  12 /* BPF_CORE_TYPE_MATCHES */
#define CK_UNSIZED	  UINT64_MAX
#define SHT_LLVM_ADDRSIG_ 0x6fff4c03

/* Kinds that name a type (may be pointed to, held, returned). */
#define CK_TYPE_KINDS                                                          \
	(~((1u << BTF_KIND_FUNC) | (1u << BTF_KIND_VAR) |                      \
	   (1u << BTF_KIND_DATASEC) | (1u << BTF_KIND_DECL_TAG)))

struct ck {
	const uint8_t *types;
	const char *strs;
	uint32_t type_len, str_len;
	uint32_t n;	 /* type ids, void (0) included */
	uint32_t *off;	 /* id -> offset in types */
	uint32_t *order; /* ids, each after what it holds by value */
	uint32_t norder;
	uint64_t *size; /* id -> size in bytes, or CK_UNSIZED */
	char *why;
	size_t why_len;
	char desc[96]; /* ck_desc's buffer */
};

static const char *const ck_kinds[] = {
    "VOID",    "INT",	   "PTR",      "ARRAY",	     "STRUCT",
    "UNION",   "ENUM",	   "FWD",      "TYPEDEF",    "VOLATILE",
    "CONST",   "RESTRICT", "FUNC",     "FUNC_PROTO", "VAR",
    "DATASEC", "FLOAT",	   "DECL_TAG", "TYPE_TAG",   "ENUM64",
};

static uint32_t rd(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int ck_fail(struct ck *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->why_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- types ------------------------------------------------------------- */

/* Word k of type `id` (0 name, 1 info, 2 size or type, 3... its data). */
static uint32_t ck_word(const struct ck *c, uint32_t id, uint32_t k)
{
	return rd(c->types + c->off[id] + 4 * k);
}

static uint32_t ck_kind(const struct ck *c, uint32_t id)
{
	return id ? ck_word(c, id, 1) >> 24 & 0x1f : 0;
}

static uint32_t ck_vlen(const struct ck *c, uint32_t id)
{
	return ck_word(c, id, 1) & 0xffff;
}

static bool ck_kflag(const struct ck *c, uint32_t id)
{
	return ck_word(c, id, 1) >> 31;
}

static bool ck_str_ok(const struct ck *c, uint32_t off)
{
	return off < c->str_len;
}

/* "12 (STRUCT 'foo')": the name only if it is a string, shortened, and
 * only printable characters. */
static const char *ck_desc(struct ck *c, uint32_t id)
{
	uint32_t name = id ? ck_word(c, id, 0) : 0;
	char nm[40] = "";
	size_t k = 0;

	if (id && ck_str_ok(c, name))
		for (const char *s = c->strs + name; *s && k < 32; s++)
			nm[k++] = *s > 0x20 && *s < 0x7f ? *s : '?';
	nm[k] = 0;
	snprintf(c->desc, sizeof(c->desc), k ? "%u (%s '%s')" : "%u (%s)", id,
		 ck_kinds[ck_kind(c, id)], nm);
	return c->desc;
}

/* Bytes that follow the 12-byte header of a type, or -1 if the kind is
 * unknown. */
static int64_t ck_extra(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
	case BTF_KIND_ENUM64:
		return 12 * (int64_t)vlen;
	case BTF_KIND_ENUM:
	case BTF_KIND_FUNC_PROTO:
		return 8 * (int64_t)vlen;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/* Splits the type data into types: every header and its data inside. */
static int ck_index(struct ck *c)
{
	uint32_t at = 0, cap = 0;

	c->n = 1;
	while (at < c->type_len) {
		uint32_t info, kind, id = c->n;
		int64_t extra;

		if (c->type_len - at < CK_TYPE)
			return ck_fail(c,
				       "BTF type %u: its header runs past the "
				       "end of the type data (%u bytes)",
				       id, c->type_len);
		info = rd(c->types + at + 4);
		kind = info >> 24 & 0x1f;
		extra = ck_extra(kind, info & 0xffff);
		if (extra < 0)
			return ck_fail(c, "BTF type %u has unknown kind %u", id,
				       kind);
		if ((uint64_t)extra > c->type_len - at - CK_TYPE)
			return ck_fail(
			    c,
			    "BTF type %u (%s) with vlen %u runs past "
			    "the end of the type data (%u bytes)",
			    id, ck_kinds[kind], info & 0xffff, c->type_len);
		if (id > BTF_MAX_TYPE)
			return ck_fail(c, "BTF has more than %u types",
				       BTF_MAX_TYPE);
		if (id >= cap) {
			uint32_t *p;

			cap = cap ? cap * 2 : 64;
			p = realloc(c->off, cap * sizeof(*p));
			if (!p)
				return ck_fail(c, "out of memory");
			c->off = p;
		}
		c->off[id] = at;
		at += CK_TYPE + (uint32_t)extra;
		c->n++;
	}
	return 0;
}

/* A reference from `id` (`what` names the place) to `ref`, whose kind must
 * be in `kinds`; void only if `void_ok`. */
static int ck_ref(struct ck *c, uint32_t id, const char *what, uint32_t ref,
		  uint32_t kinds, bool void_ok)
{
	const char *sp = *what ? " " : "";

	if (ref >= c->n)
		return ck_fail(c,
			       "BTF type %s%s%s refers to type %u, past the "
			       "last type %u",
			       ck_desc(c, id), sp, what, ref, c->n - 1);
	if (!ref && !void_ok)
		return ck_fail(c, "BTF type %s%s%s refers to void",
			       ck_desc(c, id), sp, what);
	if (ref && !(kinds >> ck_kind(c, ref) & 1)) {
		const char *k = ck_kinds[ck_kind(c, ref)];

		return ck_fail(c,
			       "BTF type %s%s%s refers to type %u of kind %s",
			       ck_desc(c, id), sp, what, ref, k);
	}
	return 0;
}

static int ck_name(struct ck *c, uint32_t id, const char *what, uint32_t off)
{
	if (ck_str_ok(c, off))
		return 0;
	return ck_fail(c,
		       "BTF type %u (%s)%s%s has its name at %u, past the "
		       "string section (%u bytes)",
		       id, ck_kinds[ck_kind(c, id)], *what ? " " : "", what,
		       off, c->str_len);
}

static int ck_int(struct ck *c, uint32_t id)
{
	uint32_t sz = ck_word(c, id, 2), enc = ck_word(c, id, 3);
	uint32_t bits = enc & 0xff, at = enc >> 16 & 0xff;

	if (sz != 1 && sz != 2 && sz != 4 && sz != 8 && sz != 16)
		return ck_fail(c, "BTF type %s has size %u", ck_desc(c, id),
			       sz);
	if (enc & 0xf000ff00 || bits > 128 || at + bits > sz * 8)
		return ck_fail(c,
			       "BTF type %s has %u bits at bit %u in %u bytes",
			       ck_desc(c, id), bits, at, sz);
	return 0;
}

/* Members of structs and unions, parameters of prototypes, values of
 * enums, variables of sections: names and references. */
static int ck_list(struct ck *c, uint32_t id, uint32_t kind)
{
	uint32_t vlen = ck_vlen(c, id),
		 step = kind == BTF_KIND_ENUM || kind == BTF_KIND_FUNC_PROTO
			    ? 2
			    : 3;
	char what[48];
	int err = 0;

	for (uint32_t i = 0; !err && i < vlen; i++) {
		/* a section's entries are (type, offset, size) */
		uint32_t name = ck_word(c, id, 3 + i * step);
		uint32_t type = ck_word(c, id, 4 + i * step);

		snprintf(what, sizeof(what), "%s %u",
			 kind == BTF_KIND_FUNC_PROTO ? "parameter"
			 : kind == BTF_KIND_DATASEC  ? "variable"
			 : kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION
			     ? "member"
			     : "value",
			 i);
		switch (kind) {
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			err = ck_name(c, id, what, name);
			if (!err)
				err = ck_ref(c, id, what, type, CK_TYPE_KINDS,
					     false);
			break;
		case BTF_KIND_FUNC_PROTO: /* void: "...", last only */
			err = ck_name(c, id, what, name);
			if (!err)
				err = ck_ref(c, id, what, type, CK_TYPE_KINDS,
					     i + 1 == vlen && !name);
			break;
		case BTF_KIND_DATASEC: /* name is the type */
			err = ck_ref(c, id, what, name,
				     1u << BTF_KIND_VAR | 1u << BTF_KIND_FUNC,
				     false);
			if (!err && (uint64_t)type + ck_word(c, id, 5 + i * 3) >
					UINT32_MAX)
				err = ck_fail(c,
					      "BTF type %s %s: offset %u and "
					      "size %u overflow",
					      ck_desc(c, id), what, type,
					      ck_word(c, id, 5 + i * 3));
			break;
		default: /* enums */
			err = ck_name(c, id, what, name);
		}
	}
	return err;
}

static int ck_decl_tag(struct ck *c, uint32_t id)
{
	uint32_t ref = ck_word(c, id, 2), idx = ck_word(c, id, 3), k;
	uint32_t kinds = 1u << BTF_KIND_STRUCT | 1u << BTF_KIND_UNION |
			 1u << BTF_KIND_FUNC | 1u << BTF_KIND_VAR |
			 1u << BTF_KIND_TYPEDEF;
	uint64_t max = 0;
	int err = ck_ref(c, id, "target", ref, kinds, false);

	if (err || idx == UINT32_MAX) /* -1: the whole target */
		return err;
	k = ck_kind(c, ref);
	if (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION)
		max = ck_vlen(c, ref);
	else if (k == BTF_KIND_FUNC && ck_word(c, ref, 2) < c->n &&
		 ck_kind(c, ck_word(c, ref, 2)) == BTF_KIND_FUNC_PROTO)
		max = ck_vlen(c, ck_word(c, ref, 2));
	if (idx >= max)
		return ck_fail(c,
			       "BTF type %s names component %d of type %u, "
			       "which has %llu",
			       ck_desc(c, id), (int32_t)idx, ref,
			       (unsigned long long)max);
	return 0;
}

/* Everything about one type that needs no other type's size. */
static int ck_type(struct ck *c, uint32_t id)
{
	uint32_t kind = ck_kind(c, id), vlen = ck_vlen(c, id);
	uint32_t sz = ck_word(c, id, 2);
	int err = ck_name(c, id, "", ck_word(c, id, 0));

	if (err)
		return err;
	switch (kind) {
	case BTF_KIND_INT:
		return ck_int(c, id);
	case BTF_KIND_FLOAT:
		if (sz == 2 || sz == 4 || sz == 8 || sz == 12 || sz == 16)
			return 0;
		return ck_fail(c, "BTF type %s has size %u", ck_desc(c, id),
			       sz);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (sz != 1 && sz != 2 && sz != 4 && sz != 8)
			return ck_fail(c, "BTF type %s has size %u",
				       ck_desc(c, id), sz);
		return ck_list(c, id, kind);
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return ck_ref(c, id, "", sz, CK_TYPE_KINDS, true);
	case BTF_KIND_ARRAY:
		err = ck_ref(c, id, "element", ck_word(c, id, 3), CK_TYPE_KINDS,
			     false);
		return err ? err
			   : ck_ref(c, id, "index", ck_word(c, id, 4),
				    CK_TYPE_KINDS, false);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_DATASEC:
		return ck_list(c, id, kind);
	case BTF_KIND_FUNC_PROTO:
		err = ck_ref(c, id, "return", sz, CK_TYPE_KINDS, true);
		return err ? err : ck_list(c, id, kind);
	case BTF_KIND_FUNC:
		if (vlen > BTF_FUNC_EXTERN)
			return ck_fail(c, "BTF type %s has linkage %u",
				       ck_desc(c, id), vlen);
		return ck_ref(c, id, "", sz, 1u << BTF_KIND_FUNC_PROTO, false);
	case BTF_KIND_VAR:
		if (ck_word(c, id, 3) > BTF_VAR_GLOBAL_EXTERN)
			return ck_fail(c, "BTF type %s has linkage %u",
				       ck_desc(c, id), ck_word(c, id, 3));
		return ck_ref(c, id, "", sz, CK_TYPE_KINDS, false);
	case BTF_KIND_DECL_TAG:
		return ck_decl_tag(c, id);
	default: /* FWD */
		return 0;
	}
}

/* ---- cycles ------------------------------------------------------------ */

/* Edge k of `id` (a type it refers to), or 0 past the last; *more tells
 * whether there are more. */
static uint32_t ck_edge(const struct ck *c, uint32_t id, uint32_t k, bool *more)
{
	uint32_t kind = ck_kind(c, id), vlen = ck_vlen(c, id);

	*more = false;
	switch (kind) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		*more = k < 1;
		return k < 1 ? ck_word(c, id, 2) : 0;
	case BTF_KIND_ARRAY:
		*more = k < 2;
		return k < 2 ? ck_word(c, id, 3 + k) : 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		*more = k < vlen;
		return k < vlen ? ck_word(c, id, 4 + 3 * k) : 0;
	case BTF_KIND_DATASEC:
		*more = k < vlen;
		return k < vlen ? ck_word(c, id, 3 + 3 * k) : 0;
	case BTF_KIND_FUNC_PROTO:
		*more = k <= vlen;
		return !k	   ? ck_word(c, id, 2)
		       : k <= vlen ? ck_word(c, id, 2 + 2 * k)
				   : 0;
	default:
		return 0;
	}
}

/* Whether edge `from` -> `to` counts in a walk: by value (no pointer
 * followed) or through no struct/union. */
static bool ck_follow(const struct ck *c, uint32_t from, uint32_t to,
		      bool by_value)
{
	uint32_t k = ck_kind(c, to);

	if (!to)
		return false;
	if (by_value)
		return ck_kind(c, from) != BTF_KIND_PTR;
	return k != BTF_KIND_STRUCT && k != BTF_KIND_UNION;
}

/* Depth-first over all types without recursion (a chain may be a million
 * long). A type met again while on the stack closes a cycle. By value,
 * the order of leaving types is kept: what a type holds comes before it. */
static int ck_cycles(struct ck *c, bool by_value)
{
	uint8_t *state = calloc(c->n, 1); /* 0 new, 1 on stack, 2 done */
	uint32_t *stack = malloc(c->n * sizeof(*stack));
	uint32_t *next = calloc(c->n, sizeof(*next));
	int err = state && stack && next ? 0 : ck_fail(c, "out of memory");

	for (uint32_t root = 1; !err && root < c->n; root++) {
		size_t sp = 0;

		if (state[root])
			continue;
		stack[sp++] = root;
		state[root] = 1;
		while (!err && sp) {
			uint32_t id = stack[sp - 1], to;
			bool more;

			to = ck_edge(c, id, next[id]++, &more);
			if (!more) {
				state[id] = 2;
				sp--;
				if (by_value)
					c->order[c->norder++] = id;
			} else if (!ck_follow(c, id, to, by_value)) {
				continue;
			} else if (state[to] == 1) {
				err = ck_fail(c,
					      "BTF type %s is part of a "
					      "reference cycle through %s",
					      ck_desc(c, to),
					      by_value ? "no pointer"
						       : "no struct or union");
			} else if (!state[to]) {
				state[to] = 1;
				stack[sp++] = to;
			}
		}
	}
	free(state);
	free(stack);
	free(next);
	return err;
}

/* ---- sizes and layout -------------------------------------------------- */

static uint64_t ck_size_of(const struct ck *c, uint32_t id)
{
	uint64_t elem;

	switch (ck_kind(c, id)) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return ck_word(c, id, 2);
	case BTF_KIND_PTR:
		return 8;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return ck_word(c, id, 2) ? c->size[ck_word(c, id, 2)]
					 : CK_UNSIZED;
	case BTF_KIND_ARRAY:
		elem = c->size[ck_word(c, id, 3)];
		return elem == CK_UNSIZED ? CK_UNSIZED
					  : elem * ck_word(c, id, 5);
	default: /* void, FWD, FUNC_PROTO, FUNC, VAR, DATASEC, DECL_TAG */
		return CK_UNSIZED;
	}
}

/* Bits a member takes: a bitfield's size, an old-style int bitfield's
 * bits (offset inside the int included), else the type's size. */
static uint64_t ck_member_bits(const struct ck *c, uint32_t id, uint32_t i)
{
	uint32_t off = ck_word(c, id, 5 + 3 * i);
	uint32_t type = ck_word(c, id, 4 + 3 * i);

	if (ck_kflag(c, id) && off >> 24)
		return off >> 24;
	if (!ck_kflag(c, id) && ck_kind(c, type) == BTF_KIND_INT) {
		uint32_t enc = ck_word(c, type, 3);

		return (enc >> 16 & 0xff) + (enc & 0xff);
	}
	return c->size[type] * 8;
}

static int ck_layout(struct ck *c, uint32_t id)
{
	uint32_t kind = ck_kind(c, id), sz = ck_word(c, id, 2);

	if (kind == BTF_KIND_ARRAY) {
		uint32_t elem = ck_word(c, id, 3);

		if (c->size[elem] == CK_UNSIZED)
			return ck_fail(c,
				       "BTF type %s has elements of "
				       "incomplete type %u",
				       ck_desc(c, id), elem);
		if (c->size[id] > UINT32_MAX)
			return ck_fail(c, "BTF type %s is larger than 4 GiB",
				       ck_desc(c, id));
		return 0;
	}
	if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION)
		return 0;
	for (uint32_t i = 0; i < ck_vlen(c, id); i++) {
		uint32_t type = ck_word(c, id, 4 + 3 * i);
		uint32_t off = ck_word(c, id, 5 + 3 * i);
		uint64_t end;

		if (c->size[type] == CK_UNSIZED)
			return ck_fail(c,
				       "BTF type %s member %u has "
				       "incomplete type %u",
				       ck_desc(c, id), i, type);
		end = (ck_kflag(c, id) ? off & 0xffffff : off) +
		      ck_member_bits(c, id, i);
		if (end > (uint64_t)sz * 8)
			return ck_fail(c,
				       "BTF type %s member %u ends at bit "
				       "%llu, past its %u bytes",
				       ck_desc(c, id), i,
				       (unsigned long long)end, sz);
	}
	return 0;
}

static int ck_sizes(struct ck *c)
{
	int err = 0;

	c->size = calloc(c->n, sizeof(*c->size));
	if (!c->size)
		return ck_fail(c, "out of memory");
	c->size[0] = CK_UNSIZED;
	for (uint32_t i = 0; !err && i < c->norder; i++) {
		uint32_t id = c->order[i];

		c->size[id] = ck_size_of(c, id);
		err = ck_layout(c, id);
	}
	return err;
}

/* ---- .BTF ------------------------------------------------------------ */

static int ck_header(struct ck *c, const uint8_t *btf, size_t len)
{
	struct btf_header h;
	uint64_t data;

	if (len < CK_HDR)
		return ck_fail(c, "BTF of %zu bytes is shorter than its header",
			       len);
	memcpy(&h, btf, sizeof(h));
	if (h.magic != BTF_MAGIC || h.version != BTF_VERSION || h.flags)
		return ck_fail(c, "BTF has magic %#x, version %u, flags %#x",
			       h.magic, h.version, h.flags);
	if (h.hdr_len < CK_HDR || h.hdr_len > len)
		return ck_fail(c,
			       "BTF header length %u is outside the "
			       "section's %zu bytes",
			       h.hdr_len, len);
	data = len - h.hdr_len;
	if ((uint64_t)h.str_off + h.str_len > data ||
	    (uint64_t)h.type_off + h.type_len > h.str_off || h.type_off % 4)
		return ck_fail(c,
			       "BTF types at %u+%u and strings at %u+%u do "
			       "not fit in order in %llu bytes",
			       h.type_off, h.type_len, h.str_off, h.str_len,
			       (unsigned long long)data);
	c->types = btf + h.hdr_len + h.type_off;
	c->type_len = h.type_len;
	c->strs = (const char *)btf + h.hdr_len + h.str_off;
	c->str_len = h.str_len;
	if (!c->str_len || c->strs[0] || c->strs[c->str_len - 1])
		return ck_fail(c, "BTF string section does not start and end "
				  "with a NUL");
	return 0;
}

static void ck_free(struct ck *c)
{
	free(c->off);
	free(c->order);
	free(c->size);
}

static int ck_btf(struct ck *c, const void *btf, size_t len)
{
	int err = ck_header(c, btf, len);

	err = err ? err : ck_index(c);
	for (uint32_t id = 1; !err && id < c->n; id++)
		err = ck_type(c, id);
	if (!err) {
		c->order = malloc(c->n * sizeof(*c->order));
		err =
		    c->order ? ck_cycles(c, true) : ck_fail(c, "out of memory");
	}
	err = err ? err : ck_cycles(c, false);
	return err ? err : ck_sizes(c);
}

/* ---- .BTF.ext ---------------------------------------------------------- */

/* One part of .BTF.ext (func_info, line_info, core_relo). */
struct ck_part {
	const char *desc;
	uint32_t min_rec;
	int (*rec)(struct ck *c, const uint8_t *r, const char *sec, uint32_t i);
};

static int ck_ext_str(struct ck *c, const char *what, const char *sec,
		      uint32_t i, uint32_t off)
{
	if (ck_str_ok(c, off))
		return 0;
	return ck_fail(c,
		       ".BTF.ext %s %u of section '%s': string at %u is "
		       "past the BTF strings (%u bytes)",
		       what, i, sec, off, c->str_len);
}

static int ck_insn_off(struct ck *c, const char *what, const char *sec,
		       uint32_t i, uint32_t off)
{
	if (off % 8 == 0)
		return 0;
	return ck_fail(c,
		       ".BTF.ext %s %u of section '%s': instruction "
		       "offset %u is not a multiple of 8",
		       what, i, sec, off);
}

static int ck_func_info(struct ck *c, const uint8_t *r, const char *sec,
			uint32_t i)
{
	uint32_t type = rd(r + 4);
	int err = ck_insn_off(c, "func_info", sec, i, rd(r));

	if (!err && (type >= c->n || ck_kind(c, type) != BTF_KIND_FUNC))
		err = ck_fail(c,
			      ".BTF.ext func_info %u of section '%s' "
			      "refers to type %u, not a FUNC of %u types",
			      i, sec, type, c->n - 1);
	return err;
}

static int ck_line_info(struct ck *c, const uint8_t *r, const char *sec,
			uint32_t i)
{
	int err = ck_insn_off(c, "line_info", sec, i, rd(r));

	err = err ? err : ck_ext_str(c, "line_info", sec, i, rd(r + 4));
	return err ? err : ck_ext_str(c, "line_info", sec, i, rd(r + 8));
}

/* "0:1:2": decimal indices that fit an int (libbpf reads them as int). */
static bool ck_access_ok(const char *s)
{
	int n = 0;

	for (;;) {
		uint64_t v = 0;

		if (n++ == CK_SPEC_MAX || *s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9' && v <= INT32_MAX)
			v = v * 10 + (uint64_t)(*s++ - '0');
		if (v > INT32_MAX)
			return false;
		if (!*s)
			return true;
		if (*s++ != ':')
			return false;
	}
}

static int ck_core_relo(struct ck *c, const uint8_t *r, const char *sec,
			uint32_t i)
{
	uint32_t type = rd(r + 4), acc = rd(r + 8), kind = rd(r + 12);
	int err = ck_insn_off(c, "CO-RE relocation", sec, i, rd(r));

	err = err ? err : ck_ext_str(c, "CO-RE relocation", sec, i, acc);
	if (err)
		return err;
	if (type >= c->n)
		return ck_fail(c,
			       ".BTF.ext CO-RE relocation %u of section "
			       "'%s' refers to type %u, past the last type %u",
			       i, sec, type, c->n - 1);
	if (kind > CK_RELO_MAX)
		return ck_fail(c,
			       ".BTF.ext CO-RE relocation %u of section "
			       "'%s' has unknown kind %u",
			       i, sec, kind);
	if (!ck_access_ok(c->strs + acc))
		return ck_fail(c,
			       ".BTF.ext CO-RE relocation %u of section "
			       "'%s': malformed CO-RE access string (not "
			       "N:N:... in decimal)",
			       i, sec);
	return 0;
}

static const struct ck_part ck_parts[3] = {
    {"func_info", 8, ck_func_info},
    {"line_info", 16, ck_line_info},
    {"core_relo", 16, ck_core_relo},
};

/* The records of one part: a record size, then blocks of (section name,
 * count, records), all inside the part, as libbpf reads them. */
static int ck_ext_part(struct ck *c, const struct ck_part *p,
		       const uint8_t *data, uint32_t data_len, uint32_t off,
		       uint32_t len)
{
	const uint8_t *q = data + off;
	uint32_t rec, at = 4;

	if (!len)
		return 0;
	if (off % 4 || off > data_len || len > data_len - off || len < 4)
		return ck_fail(c,
			       ".BTF.ext %s at %u+%u is outside the %u bytes "
			       "after the header, or unaligned",
			       p->desc, off, len, data_len);
	rec = rd(q);
	if (rec < p->min_rec || rec % 4 || len == 4)
		return ck_fail(c, ".BTF.ext %s has record size %u and %u bytes",
			       p->desc, rec, len);
	while (at < len) {
		uint32_t name, num;
		const char *sec;
		int err;

		if (len - at < 8)
			return ck_fail(c,
				       ".BTF.ext %s ends inside a section "
				       "header",
				       p->desc);
		name = rd(q + at);
		num = rd(q + at + 4);
		at += 8;
		if (!ck_str_ok(c, name))
			return ck_fail(c,
				       ".BTF.ext %s: section name at %u is "
				       "past the BTF strings (%u bytes)",
				       p->desc, name, c->str_len);
		sec = c->strs + name;
		if (!num || num > (len - at) / rec)
			return ck_fail(c,
				       ".BTF.ext %s of section '%.64s': %u "
				       "records of %u bytes do not fit",
				       p->desc, sec, num, rec);
		for (uint32_t i = 0; i < num; i++) {
			err = p->rec(c, q + at + (size_t)i * rec, sec, i);
			if (err)
				return err;
		}
		at += num * rec;
	}
	return 0;
}

static int ck_ext(struct ck *c, const uint8_t *ext, size_t len)
{
	uint32_t h[8] = {0}, hdr_len;
	uint16_t magic;
	int err = 0;

	if (len < 8)
		return ck_fail(c, ".BTF.ext of %zu bytes has no header", len);
	memcpy(&magic, ext, 2);
	hdr_len = rd(ext + 4);
	if (magic != BTF_MAGIC || ext[2] != 1 || ext[3])
		return ck_fail(c,
			       ".BTF.ext has magic %#x, version %u, flags %#x",
			       magic, ext[2], ext[3]);
	if (hdr_len < CK_EXT_HDR || hdr_len >= len)
		return ck_fail(c,
			       ".BTF.ext header length %u does not fit its "
			       "%zu bytes",
			       hdr_len, len);
	memcpy(h, ext, hdr_len < sizeof(h) ? hdr_len : sizeof(h));
	for (int i = 0; !err && i < 3; i++) {
		if (i == 2 && hdr_len < CK_EXT_HDR_CORE)
			break;
		err = ck_ext_part(c, &ck_parts[i], ext + hdr_len,
				  (uint32_t)(len - hdr_len), h[2 + 2 * i],
				  h[3 + 2 * i]);
	}
	return err;
}

/* ---- the ELF image ----------------------------------------------------- */

/* The data of section `name` as libbpf takes it: the last one that is not
 * a string table or address-significance table. Two are refused. */
static int ck_find(struct ck *c, Elf *e, size_t shstrndx, const char *name,
		   const void **data, size_t *len)
{
	Elf_Scn *scn = NULL;

	*data = NULL;
	*len = 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			return 1;
		n = elf_strptr(e, shstrndx, sh.sh_name);
		if (!n || strcmp(n, name) || sh.sh_type == SHT_STRTAB ||
		    sh.sh_type == SHT_LLVM_ADDRSIG_)
			continue;
		if (*data)
			return ck_fail(c, "the object has two %s sections",
				       name);
		d = sh.sh_type == SHT_PROGBITS ? elf_getdata(scn, NULL) : NULL;
		if (!d || !d->d_buf)
			return 1; /* libbpf refuses it */
		*data = d->d_buf;
		*len = d->d_size;
	}
	return 0;
}

static int ck_elf(struct ck *c, Elf *e, const void **btf, size_t *btf_len,
		  const void **ext, size_t *ext_len)
{
	size_t shstrndx;
	int err;

	if (elf_kind(e) != ELF_K_ELF || elf_getshdrstrndx(e, &shstrndx))
		return 1;
	err = ck_find(c, e, shstrndx, ".BTF", btf, btf_len);
	return err ? err : ck_find(c, e, shstrndx, ".BTF.ext", ext, ext_len);
}

int btfcheck__elf(const void *elf, size_t len, char *why, size_t why_len)
{
	const uint8_t native = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				   ? ELFDATA2LSB
				   : ELFDATA2MSB;
	struct ck c = {.why = why, .why_len = why_len};
	const void *btf, *ext;
	size_t btf_len, ext_len;
	Elf *e;
	int err;

	/* Not an ELF of our byte order: libbpf says what it is (libelf
	 * would convert other byte orders in place). */
	if (len < EI_NIDENT || memcmp(elf, ELFMAG, SELFMAG) ||
	    ((const uint8_t *)elf)[EI_DATA] != native ||
	    elf_version(EV_CURRENT) == EV_NONE)
		return 0;
	e = elf_memory((char *)elf, len);
	if (!e)
		return 0;
	err = ck_elf(&c, e, &btf, &btf_len, &ext, &ext_len);
	if (!err && btf)
		err = ck_btf(&c, btf, btf_len);
	/* libbpf ignores a .BTF.ext without .BTF */
	if (!err && btf && ext)
		err = ck_ext(&c, ext, ext_len);
	ck_free(&c);
	elf_end(e);
	return err < 0 ? err : 0;
}
