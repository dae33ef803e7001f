/* oci_auth.c — registry credentials in the docker/podman auth files:
 * {"auths": {"REGISTRY": {"auth": base64("user:password")}}} (oci.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "oci/oci.h"

/* docker keeps Docker Hub under its old index URL. */
static const char *const hub_keys[] = {
    "docker.io", "https://index.docker.io/v1/", "index.docker.io", NULL};

static void candidates(char files[3][PATH_MAX], int *n)
{
	const char *env = getenv("REGISTRY_AUTH_FILE"),
		   *run = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");

	*n = 0;
	if (env && *env)
		snprintf(files[(*n)++], PATH_MAX, "%s", env);
	if (run && *run)
		snprintf(files[(*n)++], PATH_MAX, "%s/containers/auth.json",
			 run);
	if (home && *home)
		snprintf(files[(*n)++], PATH_MAX, "%s/.docker/config.json",
			 home);
}

static cJSON *load(const char *path)
{
	struct oci_buf b = {0};
	struct oci_err e;
	cJSON *j;

	if (oci_read_file(path, &b, &e))
		return NULL;
	j = cJSON_ParseWithLength(b.data, b.len);
	oci_buf_free(&b);
	return j;
}

static cJSON *entry(cJSON *auths, const char *registry)
{
	cJSON *a;

	if (!strcmp(registry, "docker.io")) {
		for (int i = 0; hub_keys[i]; i++)
			if ((a = cJSON_GetObjectItemCaseSensitive(auths,
								  hub_keys[i])))
				return a;
		return NULL;
	}
	return cJSON_GetObjectItemCaseSensitive(auths, registry);
}

static int decode(const cJSON *a, char **user, char **password)
{
	const cJSON *au = cJSON_GetObjectItemCaseSensitive(a, "auth");
	struct oci_buf b = {0};
	char *colon;

	if (!cJSON_IsString(au) || oci_unbase64(au->valuestring, &b) < 0 ||
	    !b.data || !(colon = strchr(b.data, ':'))) {
		oci_buf_free(&b);
		return -EINVAL;
	}
	*colon = 0;
	*user = strdup(b.data);
	*password = strdup(colon + 1);
	oci_buf_free(&b);
	return *user && *password ? 0 : -ENOMEM;
}

int oci_auth_get(const char *registry, char **user, char **password)
{
	char files[3][PATH_MAX];
	int n;

	*user = *password = NULL;
	candidates(files, &n);
	for (int i = 0; i < n; i++) {
		cJSON *j = load(files[i]);
		cJSON *a = entry(cJSON_GetObjectItemCaseSensitive(j, "auths"),
				 registry);
		int r = a ? decode(a, user, password) : -ENOENT;

		cJSON_Delete(j);
		if (!r)
			return 0;
	}
	return -ENOENT;
}

static int auth_file(char *buf, size_t len)
{
	char files[3][PATH_MAX];
	int n;

	candidates(files, &n);
	if (!n)
		return -ENOENT;
	snprintf(buf, len, "%s", files[0]);
	return 0;
}

static int save(const char *path, cJSON *j, struct oci_err *e)
{
	char dir[PATH_MAX], *txt = cJSON_Print(j), *slash;
	int r;

	if (!txt)
		return -ENOMEM;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/'))) {
		*slash = 0;
		mkdir(dir, 0700);
	}
	r = oci_write_file(path, txt, strlen(txt), 0600, e); /* passwords */
	free(txt);
	return r;
}

int oci_auth_store(const char *registry, const char *user, const char *password,
		   struct oci_err *e)
{
	char path[PATH_MAX], raw[1024], *b64;
	cJSON *j, *auths, *a;
	int r;

	if (auth_file(path, sizeof(path))) {
		snprintf(e->msg, sizeof(e->msg),
			 "no place for credentials "
			 "(set REGISTRY_AUTH_FILE)");
		return -ENOENT;
	}
	if (snprintf(raw, sizeof(raw), "%s:%s", user, password) >=
	    (int)sizeof(raw)) {
		snprintf(e->msg, sizeof(e->msg), "credentials too long");
		return -EINVAL;
	}
	j = load(path);
	if (!j)
		j = cJSON_CreateObject();
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	if (!cJSON_IsObject(auths)) {
		cJSON_DeleteItemFromObjectCaseSensitive(j, "auths");
		auths = cJSON_AddObjectToObject(j, "auths");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(auths, registry);
	a = cJSON_AddObjectToObject(auths, registry);
	b64 = oci_base64(raw, strlen(raw));
	cJSON_AddStringToObject(a, "auth", b64 ? b64 : "");
	free(b64);
	r = save(path, j, e);
	cJSON_Delete(j);
	return r;
}

int oci_auth_remove(const char *registry, struct oci_err *e)
{
	char path[PATH_MAX];
	cJSON *j, *auths;
	int r;

	if (auth_file(path, sizeof(path)) || !(j = load(path))) {
		snprintf(e->msg, sizeof(e->msg), "not logged in to %s",
			 registry);
		return -ENOENT;
	}
	auths = cJSON_GetObjectItemCaseSensitive(j, "auths");
	if (!cJSON_GetObjectItemCaseSensitive(auths, registry)) {
		snprintf(e->msg, sizeof(e->msg), "not logged in to %s (%.300s)",
			 registry, path);
		cJSON_Delete(j);
		return -ENOENT;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(auths, registry);
	r = save(path, j, e);
	cJSON_Delete(j);
	return r;
}
