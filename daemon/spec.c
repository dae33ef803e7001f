/* spec.c — a plugin's start request: parsed from and written to JSON
 * (plugin.h). Field names are those of `wasm-bpf run`'s options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/image.h"
#include "daemon/plugin.h"

static int bad(char *why, size_t len, const char *fmt, const char *what)
{
	snprintf(why, len, fmt, what);
	return -EINVAL;
}

static int strings(const cJSON *j, const char *key, char ***out, int *n,
		   char *why, size_t why_len)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, key), *e;
	int i = 0;

	if (!a)
		return 0;
	if (!cJSON_IsArray(a))
		return bad(why, why_len, "\"%s\" must be an array of strings",
			   key);
	*out = calloc(cJSON_GetArraySize(a) + 1, sizeof(char *));
	if (!*out)
		return -ENOMEM;
	cJSON_ArrayForEach(e, a)
	{
		if (!cJSON_IsString(e))
			return bad(why, why_len,
				   "\"%s\" must be an array of strings", key);
		(*out)[i] = strdup(e->valuestring);
		if (!(*out)[i])
			return -ENOMEM;
		*n = ++i;
	}
	return 0;
}

/* A non-negative number, or absent. */
static int number(const cJSON *limits, const char *key, double *out, char *why,
		  size_t why_len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(limits, key);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1.8e19)
		return bad(why, why_len,
			   "limit \"%s\" must be a non-negative number", key);
	*out = v->valuedouble;
	return 0;
}

static const char *known[] = {"id",	 "name",     "module", "args",
			      "env",	 "limits",   "previous", "pull",
			      "policy", NULL};
static const char *known_limits[] = {"fuel", "max_memory", "timeout",
				     "max_event_rate", "event_burst", NULL};

/* Unknown keys are refused: a typo must not drop a limit unseen. */
static int only_known(const cJSON *j, const char *const *names, char *why,
		      size_t why_len, const char *fmt)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, j)
	{
		int k = 0;

		while (names[k] && strcmp(names[k], e->string))
			k++;
		if (!names[k])
			return bad(why, why_len, fmt, e->string);
	}
	return 0;
}

int plugin_pull_parse(const cJSON *j, char **out, char *why, size_t why_len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "pull");

	*out = NULL;
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !image_pull_policy_ok(v->valuestring))
		return bad(why, why_len, "%s",
			   "\"pull\" must be \"always\", \"missing\" or "
			   "\"never\"");
	*out = strdup(v->valuestring);
	return *out ? 0 : -ENOMEM;
}

int plugin_spec_parse(const cJSON *j, struct plugin_spec *s, char *why,
		      size_t why_len)
{
	const cJSON *m, *name, *id, *lim, *pol;
	double fuel = 0, mem = 0, rate = 0, burst = 0;
	int r;

	memset(s, 0, sizeof(*s));
	if (!cJSON_IsObject(j))
		return bad(why, why_len, "%s",
			   "the body must be a JSON object");
	if (only_known(j, known, why, why_len, "unknown field \"%s\""))
		return -EINVAL;
	m = cJSON_GetObjectItemCaseSensitive(j, "module");
	if (!cJSON_IsString(m) ||
	    (m->valuestring[0] != '/' && !image_is_ref(m->valuestring)))
		return bad(why, why_len, "%s",
			   "\"module\" must be an absolute path of a .wasm "
			   "file or an image reference");
	s->module = strdup(m->valuestring);
	m = cJSON_GetObjectItemCaseSensitive(j, "previous");
	if (m && (!cJSON_IsString(m) ||
		  (m->valuestring[0] != '/' && !image_is_ref(m->valuestring))))
		return bad(why, why_len, "%s",
			   "\"previous\" must be an absolute path or an image "
			   "reference");
	if (m && !(s->previous = strdup(m->valuestring)))
		return -ENOMEM;
	name = cJSON_GetObjectItemCaseSensitive(j, "name");
	if (name && !cJSON_IsString(name))
		return bad(why, why_len, "%s", "\"name\" must be a string");
	if (name)
		s->name = strdup(name->valuestring);
	else { /* the file's or the repository's last part */
		const char *b = strrchr(s->module, '/');

		b = b ? b + 1 : s->module;
		s->name = strndup(b, strcspn(b, ".:@"));
	}
	id = cJSON_GetObjectItemCaseSensitive(j, "id");
	if (id &&
	    (!cJSON_IsString(id) || strlen(id->valuestring) != PLUGIN_ID_LEN ||
	     strspn(id->valuestring, "0123456789abcdef") != PLUGIN_ID_LEN))
		return bad(why, why_len, "%s",
			   "\"id\" must be 12 lowercase hex digits");
	if (id)
		memcpy(s->id, id->valuestring, PLUGIN_ID_LEN + 1);
	pol = cJSON_GetObjectItemCaseSensitive(j, "policy");
	if (pol && (!cJSON_IsString(pol) || pol->valuestring[0] != '/'))
		return bad(why, why_len, "%s",
			   "\"policy\" must be the absolute path of a policy "
			   "file");
	if (pol && !(s->policy = strdup(pol->valuestring)))
		return -ENOMEM;
	if (!s->module || !s->name)
		return -ENOMEM;
	r = strings(j, "args", &s->args, &s->nargs, why, why_len);
	if (!r)
		r = strings(j, "env", &s->env, &s->nenv, why, why_len);
	for (int i = 0; !r && i < s->nenv; i++)
		if (!strchr(s->env[i], '='))
			r = bad(why, why_len, "\"env\" entry \"%s\" is not K=V",
				s->env[i]);
	if (!r)
		r = plugin_pull_parse(j, &s->pull, why, why_len);
	if (r)
		return r;
	lim = cJSON_GetObjectItemCaseSensitive(j, "limits");
	if (lim && !cJSON_IsObject(lim))
		return bad(why, why_len, "%s", "\"limits\" must be an object");
	if ((lim && only_known(lim, known_limits, why, why_len,
			       "unknown limit \"%s\"")) ||
	    number(lim, "fuel", &fuel, why, why_len) ||
	    number(lim, "max_memory", &mem, why, why_len) ||
	    number(lim, "timeout", &s->timeout, why, why_len) ||
	    number(lim, "max_event_rate", &rate, why, why_len) ||
	    number(lim, "event_burst", &burst, why, why_len))
		return -EINVAL;
	if (rate > 1e9)
		return bad(why, why_len, "%s",
			   "limit \"max_event_rate\" is at most 1e9 records "
			   "a second");
	s->fuel = (uint64_t)fuel;
	s->max_memory = (uint64_t)mem;
	s->max_event_rate = (uint64_t)rate;
	s->event_burst = (uint64_t)burst;
	return 0;
}

cJSON *plugin_spec_json(const struct plugin_spec *s)
{
	cJSON *j = cJSON_CreateObject(), *lim = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "id", s->id);
	cJSON_AddStringToObject(j, "name", s->name);
	cJSON_AddStringToObject(j, "module", s->module);
	if (s->previous)
		cJSON_AddStringToObject(j, "previous", s->previous);
	if (s->pull)
		cJSON_AddStringToObject(j, "pull", s->pull);
	cJSON_AddItemToObject(
	    j, "args",
	    cJSON_CreateStringArray((const char *const *)s->args, s->nargs));
	cJSON_AddItemToObject(
	    j, "env",
	    cJSON_CreateStringArray((const char *const *)s->env, s->nenv));
	cJSON_AddNumberToObject(lim, "fuel", (double)s->fuel);
	cJSON_AddNumberToObject(lim, "max_memory", (double)s->max_memory);
	cJSON_AddNumberToObject(lim, "timeout", s->timeout);
	cJSON_AddNumberToObject(lim, "max_event_rate",
				(double)s->max_event_rate);
	cJSON_AddNumberToObject(lim, "event_burst", (double)s->event_burst);
	cJSON_AddItemToObject(j, "limits", lim);
	if (s->policy)
		cJSON_AddStringToObject(j, "policy", s->policy);
	return j;
}

void plugin_spec_free(struct plugin_spec *s)
{
	for (int i = 0; s->args && i < s->nargs; i++)
		free(s->args[i]);
	for (int i = 0; s->env && i < s->nenv; i++)
		free(s->env[i]);
	free(s->args);
	free(s->env);
	free(s->name);
	free(s->module);
	free(s->previous);
	free(s->pull);
	free(s->policy);
	memset(s, 0, sizeof(*s));
}
