/* policy_parse.c — reading a policy file with libyaml into struct policy.
 * The schema is one table of keys; an unknown key or a value of the wrong
 * shape is an error with its line, never ignored: a typo in a policy must
 * not quietly allow what it meant to deny.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "policy/policy.h"

/* F_RATE: a count of at least 1 (0 would read as "no events at all" to
 * some and "no limit" to others: leaving the key out is the latter). */
enum field_kind { F_MAP, F_RULES, F_SIZE, F_COUNT, F_RATE, F_SECONDS, F_BOOL };

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;		 /* into struct policy */
	const struct field *sub; /* F_MAP */
};

#define AT(m) offsetof(struct policy, m)
#define LIST(name, m)                                                          \
	static const struct field name[] = {                                   \
	    {"allow", F_RULES, AT(m.allow), NULL},                             \
	    {"deny", F_RULES, AT(m.deny), NULL},                               \
	    {NULL, 0, 0, NULL}}

LIST(f_types, types);
LIST(f_tracepoints, tracepoints);
LIST(f_kprobes, kprobes);
LIST(f_uprobes, uprobes);
LIST(f_interfaces, interfaces);
LIST(f_cgroups, cgroups);
LIST(f_lsm, lsm);
LIST(f_helpers, helpers);
LIST(f_kfuncs, kfuncs);
LIST(f_map_types, map_types);
LIST(f_dirs, dirs);
LIST(f_fds, fds);

static const struct field f_programs[] = {
    {"types", F_MAP, 0, f_types},
    {"tracepoints", F_MAP, 0, f_tracepoints},
    {"kprobes", F_MAP, 0, f_kprobes},
    {"uprobes", F_MAP, 0, f_uprobes},
    {"interfaces", F_MAP, 0, f_interfaces},
    {"cgroups", F_MAP, 0, f_cgroups},
    {"lsm", F_MAP, 0, f_lsm},
    {NULL, 0, 0, NULL}};
static const struct field f_maps[] = {
    {"types", F_MAP, 0, f_map_types},
    {"max_memory", F_SIZE, AT(map_memory), NULL},
    {"max_ringbuf", F_SIZE, AT(ringbuf), NULL},
    {NULL, 0, 0, NULL}};
static const struct field f_wasm[] = {
    {"max_memory", F_SIZE, AT(wasm_memory), NULL},
    {"max_fuel", F_COUNT, AT(wasm_fuel), NULL},
    {"max_time", F_SECONDS, AT(wasm_time), NULL},
    {NULL, 0, 0, NULL}};
static const struct field f_events[] = {
    {"max_rate", F_RATE, AT(event_rate), NULL},
    {"burst", F_RATE, AT(event_burst), NULL},
    {NULL, 0, 0, NULL}};
static const struct field f_host[] = {
    {"dirs", F_MAP, 0, f_dirs}, {"fds", F_MAP, 0, f_fds}, {NULL, 0, 0, NULL}};
static const struct field f_images[] = {
    {"allow", F_RULES, AT(images.allow), NULL},
    {"deny", F_RULES, AT(images.deny), NULL},
    {"require_signature", F_BOOL, AT(require_signature), NULL},
    {NULL, 0, 0, NULL}};
static const struct field f_top[] = {{"programs", F_MAP, 0, f_programs},
				     {"helpers", F_MAP, 0, f_helpers},
				     {"kfuncs", F_MAP, 0, f_kfuncs},
				     {"maps", F_MAP, 0, f_maps},
				     {"wasm", F_MAP, 0, f_wasm},
				     {"events", F_MAP, 0, f_events},
				     {"host", F_MAP, 0, f_host},
				     {"images", F_MAP, 0, f_images},
				     {NULL, 0, 0, NULL}};

struct parse {
	struct policy *p;
	yaml_document_t *doc;
	char *err;
	size_t err_len;
};

static int bad(struct parse *ps, const yaml_node_t *n, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->err_len, "%s:%zu: %s", ps->p->source,
		 n->start_mark.line + 1, what);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
					   : NULL;
}

/* "64M", "1GiB", "64MB", "4096": powers of 1024. strtoull alone would
 * take "-1" as 2^64-1 and a shift would wrap, both meaning "unlimited". */
int policy__parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	}
	end += shift != 0;
	if (shift && *end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_seconds(const char *s, uint64_t *ms)
{
	char *end;
	double v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	v = strtod(s, &end);
	if (*end == 's')
		end++;
	if (*end || v > 1e12)
		return -1;
	*ms = (uint64_t)(v * 1000 + 0.5);
	return 0;
}

static int add_rule(struct parse *ps, struct policy_rules *r,
		    const yaml_node_t *n)
{
	const char *s = scalar(n);
	struct policy_rule *v;

	if (!s || !*s)
		return bad(ps, n, "a rule must be a non-empty string");
	v = realloc(r->v, (r->n + 1) * sizeof(*v));
	if (!v)
		return bad(ps, n, "out of memory");
	r->v = v;
	v[r->n].pattern = strdup(s);
	v[r->n].line = (int)n->start_mark.line + 1;
	return v[r->n++].pattern ? 0 : bad(ps, n, "out of memory");
}

/* A sequence of patterns, or one pattern alone. */
static int read_rules(struct parse *ps, struct policy_rules *r,
		      const yaml_node_t *n, const char *key)
{
	yaml_node_item_t *it;
	int err = 0;

	r->set = true;
	r->line = (int)n->start_mark.line + 1;
	if (n->type == YAML_SCALAR_NODE)
		return add_rule(ps, r, n);
	if (n->type != YAML_SEQUENCE_NODE)
		return bad(ps, n, "'%s' must be a list of patterns", key);
	for (it = n->data.sequence.items.start;
	     !err && it < n->data.sequence.items.top; it++)
		err = add_rule(ps, r, yaml_document_get_node(ps->doc, *it));
	return err;
}

static int read_limit(struct parse *ps, const struct field *f,
		      const yaml_node_t *n)
{
	struct policy_limit *l = (void *)((char *)ps->p + f->off);
	const char *s = scalar(n);
	int r = f->kind == F_SECONDS ? parse_seconds(s, &l->value)
				     : policy__parse_size(s, &l->value);

	if (!r && f->kind == F_RATE && !l->value)
		r = -1;
	if (r)
		return bad(ps, n, "'%s' must be %s", f->key,
			   f->kind == F_SECONDS ? "a number of seconds"
			   : f->kind == F_SIZE	? "a size such as 64M"
			   : f->kind == F_RATE
			       ? "a whole number of at least 1 (leave it out "
				 "for no limit)"
			       : "a whole number");
	l->set = true;
	l->line = (int)n->start_mark.line + 1;
	return 0;
}

static int read_bool(struct parse *ps, const struct field *f,
		     const yaml_node_t *n)
{
	bool *b = (void *)((char *)ps->p + f->off);
	const char *s = scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
		*b = true;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no")))
		*b = false;
	else
		return bad(ps, n, "'%s' must be true or false", f->key);
	ps->p->require_signature_line = (int)n->start_mark.line + 1;
	return 0;
}

static int read_map(struct parse *ps, const struct field *fields,
		    const yaml_node_t *n, const char *where);

static int read_field(struct parse *ps, const struct field *f,
		      const yaml_node_t *v)
{
	switch (f->kind) {
	case F_MAP:
		return read_map(ps, f->sub, v, f->key);
	case F_RULES:
		return read_rules(ps, (void *)((char *)ps->p + f->off), v,
				  f->key);
	case F_BOOL:
		return read_bool(ps, f, v);
	default:
		return read_limit(ps, f, v);
	}
}

static int read_map(struct parse *ps, const struct field *fields,
		    const yaml_node_t *n, const char *where)
{
	yaml_node_pair_t *pr;
	int err = 0;

	/* "key:" with nothing after it: an empty section */
	if (n->type == YAML_SCALAR_NODE && !*scalar(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return bad(ps, n, "'%s' must be a mapping", where);
	for (pr = n->data.mapping.pairs.start;
	     !err && pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(ps->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(ps->doc, pr->value);
		const char *key = k ? scalar(k) : NULL;
		const struct field *f = fields;

		if (!key || !v)
			return bad(ps, k ? k : n, "keys must be plain strings");
		while (f->key && strcmp(f->key, key))
			f++;
		if (!f->key)
			return bad(ps, k, "unknown key '%s' in %s", key, where);
		err = read_field(ps, f, v);
	}
	return err;
}

static int read_doc(struct parse *ps, yaml_parser_t *yp)
{
	yaml_node_t *root;

	if (!yaml_parser_load(yp, ps->doc)) {
		snprintf(
		    ps->err, ps->err_len, "%s:%zu:%zu: %s%s%s", ps->p->source,
		    yp->problem_mark.line + 1, yp->problem_mark.column + 1,
		    yp->problem ? yp->problem : "YAML syntax error",
		    yp->context ? " " : "", yp->context ? yp->context : "");
		return -EINVAL;
	}
	root = yaml_document_get_root_node(ps->doc);
	return root ? read_map(ps, f_top, root, "the policy") : 0;
}

struct policy *policy__parse(const char *text, size_t len, const char *source,
			     char *err, size_t err_len)
{
	struct policy *p = policy__new();
	char dummy[1];
	yaml_document_t doc;
	yaml_parser_t yp;
	struct parse ps = {.p = p,
			   .doc = &doc,
			   .err = err ? err : dummy,
			   .err_len = err ? err_len : sizeof(dummy)};
	int r;

	if (!p || !(source = strdup(source ? source : "policy"))) {
		snprintf(ps.err, ps.err_len, "out of memory");
		policy__free(p);
		return NULL;
	}
	free(p->source);
	p->source = (char *)source;
	if (!yaml_parser_initialize(&yp)) {
		policy__free(p);
		return NULL;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	memset(&doc, 0, sizeof(doc));
	r = read_doc(&ps, &yp);
	yaml_document_delete(&doc);
	yaml_parser_delete(&yp);
	if (r) {
		policy__free(p);
		return NULL;
	}
	return p;
}

struct policy *policy__load_file(const char *path, char *err, size_t err_len)
{
	FILE *f = fopen(path, "r");
	struct policy *p = NULL;
	char *buf = NULL;
	size_t cap = 0, len = 0, got;

	if (!f) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (len == cap) {
			char *nb =
			    cap < (1u << 24) ? realloc(buf, cap + 65536) : NULL;
			if (!nb) {
				snprintf(err, err_len, "%s: too large", path);
				goto done;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got);
	if (ferror(f))
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
	else
		p = policy__parse(buf, len, path, err, err_len);
done:
	fclose(f);
	free(buf);
	return p;
}
