/* oci_ref.c — docker-style image references (oci.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "oci/oci.h"

#define DEFAULT_REGISTRY "docker.io"

static int bad(struct oci_err *e, const char *s, const char *why)
{
	if (e)
		snprintf(e->msg, sizeof(e->msg),
			 "invalid image reference \"%.200s\": %s", s, why);
	return -EINVAL;
}

/* One path component: lower-case letters and digits, joined by '.', '_',
 * "__" or runs of '-', as the distribution spec's name grammar says. */
static bool component_ok(const char *p, size_t n)
{
	size_t i = 0;

	if (!n || !isalnum((unsigned char)p[0]) ||
	    !isalnum((unsigned char)p[n - 1]))
		return false;
	for (; i < n; i++) {
		unsigned char c = p[i];

		if (isdigit(c) || (c >= 'a' && c <= 'z'))
			continue;
		if (c == '.' || c == '_') {
			if (p[i + 1] == c && c == '.')
				return false;
			if (c == '_' && p[i + 1] == '_')
				i++;
			if (!isalnum((unsigned char)p[i + 1]))
				return false;
			continue;
		}
		if (c == '-')
			continue;
		return false;
	}
	return true;
}

static bool repo_ok(const char *repo)
{
	const char *p = repo, *slash;

	for (;;) {
		slash = strchr(p, '/');
		if (!component_ok(p, slash ? (size_t)(slash - p) : strlen(p)))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static bool host_ok(const char *h)
{
	const char *port = NULL;

	if (h[0] == '[') {
		const char *end = strchr(h, ']');

		if (!end || end == h + 1)
			return false;
		for (const char *p = h + 1; p < end; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' &&
			    *p != '.')
				return false;
		port = end[1] == ':' ? end + 2 : NULL;
		if (!port && end[1])
			return false;
	} else {
		const char *colon = strchr(h, ':');
		size_t n = colon ? (size_t)(colon - h) : strlen(h);

		if (!n || h[0] == '-' || h[n - 1] == '-' || h[0] == '.' ||
		    h[n - 1] == '.')
			return false;
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)h[i]) && h[i] != '-' &&
			    h[i] != '.')
				return false;
		port = colon ? colon + 1 : NULL;
	}
	if (port) {
		if (!*port || strlen(port) > 5)
			return false;
		for (const char *p = port; *p; p++)
			if (!isdigit((unsigned char)*p))
				return false;
	}
	return true;
}

static bool tag_ok(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 128 || t[0] == '.' || t[0] == '-')
		return false;
	for (; *t; t++)
		if (!isalnum((unsigned char)*t) && *t != '_' && *t != '.' &&
		    *t != '-')
			return false;
	return true;
}

int oci_ref_parse(const char *s, struct oci_ref *r, struct oci_err *e)
{
	char buf[1024], *at, *name, *slash, *colon;
	bool official;

	memset(r, 0, sizeof(*r));
	if (strlen(s) >= sizeof(buf))
		return bad(e, s, "too long");
	if (!*s)
		return bad(e, s, "empty");
	strcpy(buf, s);
	at = strchr(buf, '@');
	if (at) {
		*at++ = 0;
		if (!oci_digest_valid(at))
			return bad(e, s,
				   "digest is not sha256:<64 hex digits>");
		strcpy(r->digest, at);
	}
	name = buf;
	slash = strchr(name, '/');
	if (slash && (memchr(name, '.', slash - name) ||
		      memchr(name, ':', slash - name) || name[0] == '[' ||
		      !strncmp(name, "localhost/", 10))) {
		*slash = 0;
		if (!host_ok(name) || strlen(name) >= sizeof(r->registry))
			return bad(e, s, "bad registry host");
		strcpy(r->registry, name);
		name = slash + 1;
	} else {
		strcpy(r->registry, DEFAULT_REGISTRY);
	}
	colon = strrchr(name, ':');
	if (colon && !strchr(colon, '/')) {
		*colon++ = 0;
		if (!tag_ok(colon))
			return bad(e, s, "bad tag");
		strcpy(r->tag, colon);
	}
	if (!repo_ok(name))
		return bad(e, s,
			   "repository must be lower-case letters, "
			   "digits and separators");
	/* Docker Hub's official images live under library/: the repository
	 * with that prefix must fit too (cut short, it named another). */
	official = !strcmp(r->registry, DEFAULT_REGISTRY) && !strchr(name, '/');
	if (strlen(name) + (official ? 8 : 0) >= sizeof(r->repo))
		return bad(e, s, "repository too long");
	strcpy(r->repo, official ? "library/" : "");
	strcat(r->repo, name);
	if (!r->tag[0] && !r->digest[0])
		strcpy(r->tag, "latest");
	return 0;
}

void oci_ref_name(const struct oci_ref *r, char *buf, size_t len)
{
	if (r->tag[0])
		snprintf(buf, len, "%s/%s:%s", r->registry, r->repo, r->tag);
	else
		snprintf(buf, len, "%s/%s@%s", r->registry, r->repo, r->digest);
}

const char *oci_ref_host(const struct oci_ref *r)
{
	return strcmp(r->registry, DEFAULT_REGISTRY) ? r->registry
						     : "registry-1.docker.io";
}
