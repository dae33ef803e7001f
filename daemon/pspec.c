/* pspec.c — reading a declared plugin's spec file (pspec.h). Every field
 * is checked with its line: a typo must not start something else than
 * what was meant, and an unknown field is an error, never ignored. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "daemon/image.h"
#include "daemon/pspec.h"
#include "policy/policy.h"

struct rd {
	struct pspec *s;
	yaml_document_t *doc;
};

static int bad(struct rd *rd, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct rd *rd, const yaml_node_t *n, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(rd->s->error, sizeof(rd->s->error), "%s:%zu: %s", rd->s->file,
		 n ? n->start_mark.line + 1 : 1, what);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		   ? (const char *)n->data.scalar.value
		   : NULL;
}

static yaml_node_t *node(struct rd *rd, int i)
{
	return yaml_document_get_node(rd->doc, i);
}

bool pspec_is_spec_name(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return false;
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

/* A name as Kubernetes objects have them: it is also the plugin's. */
static bool good_name(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 63 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789._-") == n &&
	       s[0] != '.' && s[0] != '-';
}

/* ---- fields ---------------------------------------------------------------
 */

static int f_name(struct rd *rd, yaml_node_t *v)
{
	const char *s = scalar(v);

	if (!s || !good_name(s))
		return bad(rd, v,
			   "\"name\" must be 1 to 63 letters, digits, '.', "
			   "'_' or '-'");
	free(rd->s->name);
	rd->s->name = strdup(s);
	return rd->s->name ? 0 : -ENOMEM;
}

static int f_module(struct rd *rd, yaml_node_t *v)
{
	const char *s = scalar(v);

	if (!s || (s[0] != '/' && !image_is_ref(s)))
		return bad(rd, v,
			   "\"module\" must be an absolute path of a .wasm "
			   "file or an image reference");
	cJSON_AddStringToObject(rd->s->body, "module", s);
	return 0;
}

static int f_pull(struct rd *rd, yaml_node_t *v)
{
	const char *s = scalar(v);

	if (!s || !image_pull_policy_ok(s))
		return bad(rd, v,
			   "\"pull\" must be \"always\", \"missing\" or "
			   "\"never\"");
	cJSON_AddStringToObject(rd->s->body, "pull", s);
	return 0;
}

static int f_args(struct rd *rd, yaml_node_t *v)
{
	cJSON *a = cJSON_AddArrayToObject(rd->s->body, "args");

	if (v->type != YAML_SEQUENCE_NODE)
		return bad(rd, v, "\"args\" must be a list of strings");
	for (yaml_node_item_t *i = v->data.sequence.items.start;
	     i < v->data.sequence.items.top; i++) {
		const char *s = scalar(node(rd, *i));

		if (!s)
			return bad(rd, node(rd, *i),
				   "\"args\" must be a list of strings");
		cJSON_AddItemToArray(a, cJSON_CreateString(s));
	}
	return 0;
}

static int env_one(struct rd *rd, cJSON *a, yaml_node_t *at, const char *k,
		   const char *v)
{
	char *kv;

	if (!k || !*k || strchr(k, '=') || (!v && !strchr(k, '=')))
		return bad(rd, at, "\"env\" entry %s%s%s is not K=V",
			   k ? "\"" : "", k ? k : "", k ? "\"" : "");
	if (asprintf(&kv, "%s%s%s", k, v ? "=" : "", v ? v : "") < 0)
		return -ENOMEM;
	cJSON_AddItemToArray(a, cJSON_CreateString(kv));
	free(kv);
	return 0;
}

/* A list of "K=V", or a map K: V. */
static int f_env(struct rd *rd, yaml_node_t *v)
{
	cJSON *a = cJSON_AddArrayToObject(rd->s->body, "env");
	int r = 0;

	if (v->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *i = v->data.sequence.items.start;
		     !r && i < v->data.sequence.items.top; i++) {
			const char *s = scalar(node(rd, *i));

			if (!s || !strchr(s, '=') || s[0] == '=')
				return bad(rd, node(rd, *i),
					   "\"env\" entry %s%s%s is not K=V",
					   s ? "\"" : "", s ? s : "",
					   s ? "\"" : "");
			cJSON_AddItemToArray(a, cJSON_CreateString(s));
		}
	else if (v->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
		     !r && p < v->data.mapping.pairs.top; p++) {
			yaml_node_t *k = node(rd, p->key);
			const char *val = scalar(node(rd, p->value));

			if (!val)
				return bad(rd, node(rd, p->value),
					   "\"env\" values must be strings");
			r = env_one(rd, a, k, scalar(k), val);
		}
	else
		return bad(rd, v, "\"env\" must be a list of K=V or a map");
	return r;
}

static int f_limits(struct rd *rd, yaml_node_t *v)
{
	cJSON *lim = cJSON_AddObjectToObject(rd->s->body, "limits");

	if (v->type != YAML_MAPPING_NODE)
		return bad(rd, v, "\"limits\" must be a map");
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
	     p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(rd, p->key), *vn = node(rd, p->value);
		const char *k = scalar(kn), *s = scalar(vn);
		uint64_t n = 0;

		if (k && !strcmp(k, "max_memory")) {
			if (!s || policy__parse_size(s, &n))
				return bad(rd, vn,
					   "limit \"max_memory\" must be bytes "
					   "(a number, or with K, M or G)");
		} else if (k && !strcmp(k, "timeout")) {
			char *end = NULL;
			double d = -1;

			if (s && *s >= '0' && *s <= '9')
				d = strtod(s, &end);
			if (!end || *end || d > 1.8e19)
				return bad(rd, vn,
					   "limit \"timeout\" must be a "
					   "non-negative number of seconds");
			cJSON_AddNumberToObject(lim, k, d);
			continue;
		} else if (k && (!strcmp(k, "fuel") ||
				 !strcmp(k, "max_event_rate") ||
				 !strcmp(k, "event_burst"))) {
			if (!s || policy__parse_size(s, &n))
				return bad(rd, vn,
					   "limit \"%s\" must be a non-negative "
					   "integer",
					   k);
		} else
			return bad(rd, kn,
				   "unknown limit \"%s\" (fuel, max_memory, "
				   "timeout, max_event_rate, event_burst)",
				   k ? k : "?");
		cJSON_AddNumberToObject(lim, k, (double)n);
	}
	return 0;
}

static int f_policy(struct rd *rd, yaml_node_t *v)
{
	const char *s = scalar(v);

	if (!s || s[0] != '/')
		return bad(rd, v,
			   "\"policy\" must be the absolute path of a policy "
			   "file");
	rd->s->policy = strdup(s);
	cJSON_AddStringToObject(rd->s->body, "policy", s);
	return rd->s->policy ? 0 : -ENOMEM;
}

static int f_selector(struct rd *rd, yaml_node_t *v)
{
	if (v->type != YAML_MAPPING_NODE)
		return bad(rd, v, "\"nodeSelector\" must be a map of labels");
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
	     p < v->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(rd, p->key));
		const char *val = scalar(node(rd, p->value));

		if (!k || !val || !labels_valid(k, val))
			return bad(rd, node(rd, p->key),
				   "\"nodeSelector\" must map label names to "
				   "string values (no '=', quotes or blanks in "
				   "names)");
		if (labels_add(&rd->s->selector, k, val))
			return -ENOMEM;
	}
	return 0;
}

static const struct {
	const char *key;
	int (*read)(struct rd *, yaml_node_t *);
} fields[] = {{"name", f_name},
	      {"module", f_module},
	      {"args", f_args},
	      {"env", f_env},
	      {"limits", f_limits},
	      {"policy", f_policy},
	      {"nodeSelector", f_selector},
	      {"pull", f_pull},
	      {NULL, NULL}};

static int read_root(struct rd *rd, yaml_node_t *root)
{
	unsigned seen = 0; /* a bit per field */
	int r = 0;

	if (!root)
		return bad(rd, NULL,
			   "empty file: a spec needs at least "
			   "\"module\"");
	if (root->type != YAML_MAPPING_NODE)
		return bad(rd, root, "a spec must be a map of fields");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     !r && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(rd, p->key);
		const char *k = scalar(kn);
		int f = 0;

		while (k && fields[f].key && strcmp(fields[f].key, k))
			f++;
		if (!k || !fields[f].key)
			return bad(rd, kn,
				   "unknown field \"%s\" (name, module, pull, "
				   "args, env, limits, policy, nodeSelector)",
				   k ? k : "?");
		if (seen & 1u << f)
			return bad(rd, kn, "field \"%s\" given twice", k);
		seen |= 1u << f;
		r = fields[f].read(rd, node(rd, p->value));
	}
	if (!r && !cJSON_HasObjectItem(rd->s->body, "module"))
		return bad(rd, root, "\"module\" is missing");
	return r;
}

/* ---- the file ----------------------------------------------------------- */

static char *slurp(const char *dir, const char *file, size_t *len, int *err)
{
	char path[4096];
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		*err = errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > PSPEC_MAX_SIZE) {
		close(fd);
		*err = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	n = buf ? read(fd, buf, st.st_size) : -1;
	*err = n < 0 ? errno : 0;
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

/* The default name: the file's, less its extension. */
static int default_name(struct pspec *s)
{
	if (s->name)
		return 0;
	s->name = strndup(s->file, strrchr(s->file, '.') - s->file);
	if (!s->name)
		return -ENOMEM;
	if (!good_name(s->name)) {
		snprintf(s->error, sizeof(s->error),
			 "%s:1: no \"name\", and the file's name is no plugin "
			 "name (letters, digits, '.', '_', '-')",
			 s->file);
		return -EINVAL;
	}
	return 0;
}

static int parse(struct pspec *s, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct rd rd = {s, &doc};
	int r;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &doc)) {
		snprintf(s->error, sizeof(s->error), "%s:%zu: %s%s%s", s->file,
			 p.problem_mark.line + 1,
			 p.problem ? p.problem : "malformed",
			 p.context ? " " : "", p.context ? p.context : "");
		yaml_parser_delete(&p);
		return -EINVAL;
	}
	r = read_root(&rd, yaml_document_get_root_node(&doc));
	yaml_document_delete(&doc);
	/* One spec a file: a second document would be ignored silently. */
	if (!r && yaml_parser_load(&p, &doc)) {
		yaml_node_t *more = yaml_document_get_root_node(&doc);

		if (more)
			r = bad(&rd, more, "%s",
				"a second YAML document: one spec a file");
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&p);
	return r;
}

int pspec_load(const char *dir, const char *file, struct pspec *s)
{
	size_t len = 0;
	int err = 0, r;
	char *text;

	memset(s, 0, sizeof(*s));
	s->file = strdup(file);
	s->body = cJSON_CreateObject();
	if (!s->file || !s->body)
		return -ENOMEM;
	text = slurp(dir, file, &len, &err);
	if (!text) {
		snprintf(s->error, sizeof(s->error), "%s: %s", file,
			 err == EFBIG	 ? "larger than 64 KiB"
			 : err == EINVAL ? "not a regular file"
					 : strerror(err));
		return -EINVAL;
	}
	r = parse(s, text, len);
	free(text);
	if (!r)
		r = default_name(s);
	if (r && !s->error[0])
		snprintf(s->error, sizeof(s->error), "%s: %s", file,
			 strerror(-r));
	if (r) {
		cJSON_Delete(s->body);
		s->body = NULL;
		return r;
	}
	cJSON_AddStringToObject(s->body, "name", s->name);
	return 0;
}

void pspec_free(struct pspec *s)
{
	free(s->file);
	free(s->name);
	free(s->policy);
	cJSON_Delete(s->body);
	labels_free(&s->selector);
	memset(s, 0, sizeof(*s));
}

bool pspec_selected(const struct pspec *s, const struct labels *node)
{
	for (int i = 0; i < s->selector.n; i++) {
		const char *v = labels_get(node, s->selector.key[i]);

		if (!v || strcmp(v, s->selector.val[i]))
			return false;
	}
	return true;
}
