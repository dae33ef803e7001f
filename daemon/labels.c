/* labels.c — node labels from a list or a downward-API file (labels.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/labels.h"

static int add(struct labels *l, const char *k, size_t klen, const char *v,
	       size_t vlen)
{
	char **key = realloc(l->key, (l->n + 1) * sizeof(*key));
	char **val;

	if (!key)
		return -ENOMEM;
	l->key = key;
	val = realloc(l->val, (l->n + 1) * sizeof(*val));
	if (!val)
		return -ENOMEM;
	l->val = val;
	key[l->n] = strndup(k, klen);
	val[l->n] = strndup(v, vlen);
	if (!key[l->n] || !val[l->n]) {
		free(key[l->n]);
		free(val[l->n]);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

/* One `key=value` or `key="value"` (the downward API quotes and escapes
 * values as Go's %q does; label values hold no escapes in practice, so a
 * backslash is refused rather than half-decoded). */
static int entry(struct labels *l, const char *s, size_t len, char *why,
		 size_t why_len, const char *where)
{
	const char *eq = memchr(s, '=', len);
	const char *v;
	size_t klen, vlen;

	if (!eq || eq == s) {
		snprintf(why, why_len, "%s: \"%.*s\" is not key=value", where,
			 (int)(len > 80 ? 80 : len), s);
		return -EINVAL;
	}
	klen = eq - s;
	v = eq + 1;
	vlen = len - klen - 1;
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	}
	if (memchr(v, '\\', vlen) || memchr(v, '"', vlen) ||
	    strcspn(s, " \t\"") < klen) {
		snprintf(why, why_len, "%s: \"%.*s\": unsupported characters",
			 where, (int)(len > 80 ? 80 : len), s);
		return -EINVAL;
	}
	return add(l, s, klen, v, vlen);
}

static int from_file(const char *path, struct labels *l, char *why,
		     size_t why_len)
{
	FILE *f = fopen(path, "re");
	char line[1024], where[4200];
	int n = 0, r = 0;

	if (!f) {
		snprintf(why, why_len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (!r && fgets(line, sizeof(line), f)) {
		size_t len = strcspn(line, "\r\n");

		n++;
		if (!len || line[0] == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, n);
		r = entry(l, line, len, why, why_len, where);
	}
	fclose(f);
	return r;
}

int labels_load(const char *arg, struct labels *l, char *why, size_t why_len)
{
	struct stat st;
	int r = 0;

	memset(l, 0, sizeof(*l));
	if (!arg || !*arg)
		return 0;
	if (!stat(arg, &st) || !strchr(arg, '='))
		r = from_file(arg, l, why, why_len);
	else
		for (const char *s = arg; !r && *s;) {
			size_t len = strcspn(s, ",");

			if (len)
				r = entry(l, s, len, why, why_len,
					  "--node-labels");
			s += len + (s[len] == ',');
		}
	if (r)
		labels_free(l);
	return r;
}

bool labels_valid(const char *key, const char *val)
{
	return *key && !key[strcspn(key, " \t\"=")] &&
	       !val[strcspn(val, "\\\"")];
}

int labels_add(struct labels *l, const char *key, const char *val)
{
	return add(l, key, strlen(key), val, strlen(val));
}

void labels_free(struct labels *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->key[i]);
		free(l->val[i]);
	}
	free(l->key);
	free(l->val);
	memset(l, 0, sizeof(*l));
}

const char *labels_get(const struct labels *l, const char *key)
{
	/* The last one wins, as a later label overrides. */
	for (int i = l->n - 1; i >= 0; i--)
		if (!strcmp(l->key[i], key))
			return l->val[i];
	return NULL;
}

cJSON *labels_json(const struct labels *l)
{
	cJSON *j = cJSON_CreateObject();

	for (int i = 0; i < l->n; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(j, l->key[i]);
		cJSON_AddStringToObject(j, l->key[i], l->val[i]);
	}
	return j;
}
