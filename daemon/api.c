/* api.c — HTTP routes of wasm-bpfd (api.h). */
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon/api.h"
#include "daemon/image.h"
#include "daemon/metrics.h"
#include "daemon/plugin.h"
#include "daemon/watch.h"

#define THREADS 4

struct api {
	struct MHD_Daemon *mhd;
	gid_t group;
	struct watch *watch; /* declared plugins, if any (atomic) */
};

/* One request's body as it arrives. */
struct body {
	char *data;
	size_t len;
	bool too_big, denied;
};

/* ---- answers --------------------------------------------------------------
 */

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status,
				 const char *type, char *text, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ok;

	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Sends `j` (taken over). */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
				 cJSON *j)
{
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	size_t len;

	cJSON_Delete(j);
	if (!text)
		return MHD_NO;
	len = strlen(text);
	/* One line per answer: easy to read from curl and scripts. */
	char *t = realloc(text, len + 2);

	if (!t) {
		free(text);
		return MHD_NO;
	}
	t[len] = '\n';
	t[len + 1] = 0;
	return send_text(c, status, "application/json", t, len + 1);
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
				  const char *fmt, const char *arg)
{
	cJSON *j = cJSON_CreateObject();
	char msg[600];

	snprintf(msg, sizeof(msg), fmt, arg);
	cJSON_AddStringToObject(j, "error", msg);
	cJSON_AddNumberToObject(j, "status", status);
	return send_json(c, status, j);
}

/* ---- who may ask ------------------------------------------------------------
 */

static bool in_group(uid_t uid, gid_t gid, gid_t group)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = 256;

	if (gid == group)
		return true;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) || !res)
		return false;
	if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
		return false;
	for (int i = 0; i < n; i++)
		if (groups[i] == group)
			return true;
	return false;
}

static bool peer_allowed(struct api *a, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (!ci ||
	    getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
		return false;
	if (cr.uid == 0 || cr.uid == geteuid())
		return true;
	return a->group != (gid_t)-1 && in_group(cr.uid, cr.gid, a->group);
}

/* ---- routes
 * -------------------------------------------------------------------- */

static enum MHD_Result start(struct MHD_Connection *c, struct body *b)
{
	struct plugin_spec spec;
	char why[600] = "", id[PLUGIN_ID_LEN + 1];
	cJSON *j = b->data ? cJSON_ParseWithLength(b->data, b->len) : NULL;
	int r;

	if (!j)
		return send_error(c, 400, "%s",
				  b->len ? "the body is not valid JSON"
					 : "a JSON body is required");
	r = plugin_spec_parse(j, &spec, why, sizeof(why));
	cJSON_Delete(j);
	if (r) {
		plugin_spec_free(&spec);
		return send_error(c, 400, "%s", why);
	}
	r = plugins_start(&spec, id, why, sizeof(why));
	if (r == -EEXIST)
		return send_error(c, 409, "%s", why);
	if (r == -EINVAL)
		return send_error(c, 400, "%s", why);
	if (r < 0)
		return send_error(c, 500, "%s", why);
	/* 202: accepted, pulling on its own thread; GET tells the rest. */
	j = plugins_get(id);
	return j ? send_json(c, r == PLUGIN_PULLING ? 202 : 201, j)
		 : send_error(c, 500, "plugin %s vanished", id);
}

static enum MHD_Result logs(struct MHD_Connection *c, const char *id)
{
	const char *s =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	const char *fmt =
	    MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format");
	bool json = fmt && !strcmp(fmt, "json");
	uint64_t next;
	size_t len;
	char *text, hdr[32];
	struct MHD_Response *r;
	enum MHD_Result ok;

	if (fmt && !json && strcmp(fmt, "text"))
		return send_error(c, 400, "format %s: text or json", fmt);
	if (plugins_logs(id, json, s ? strtoull(s, NULL, 10) : 0, &text, &len,
			 &next))
		return send_error(c, 404, "no plugin %s", id);
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	snprintf(hdr, sizeof(hdr), "%llu", (unsigned long long)next);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				json ? "application/x-ndjson"
				     : "text/plain; charset=utf-8");
	/* Where the next read starts: `logs -f` asks with ?since=it. */
	MHD_add_response_header(r, "X-Log-Next", hdr);
	ok = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result control(struct MHD_Connection *c, const char *id,
			       const char *verb)
{
	int r = !strcmp(verb, "pause") ? plugins_pause(id) : plugins_resume(id);

	if (r == -ENOENT)
		return send_error(c, 404, "no plugin %s", id);
	if (r == -EALREADY)
		return send_error(c, 409, "plugin %s is not in a state to %s",
				  id);
	return send_json(c, 200, plugins_get(id));
}

/* upgrade: body {"module": "/abs/new.wasm", "policy": "/abs/p.yaml"}
 * (policy optional); rollback: no body. */
static enum MHD_Result upgrade(struct MHD_Connection *c, const char *id,
			       const char *verb, struct body *b)
{
	const cJSON *m = NULL, *pol = NULL;
	cJSON *j = NULL;
	char why[600], *pull = NULL;
	int r;

	if (!strcmp(verb, "upgrade")) {
		j = b->data ? cJSON_ParseWithLength(b->data, b->len) : NULL;
		m = cJSON_GetObjectItemCaseSensitive(j, "module");
		pol = cJSON_GetObjectItemCaseSensitive(j, "policy");
		if (!cJSON_IsString(m) ||
		    (m->valuestring[0] != '/' &&
		     !image_is_ref(m->valuestring)) ||
		    (pol && (!cJSON_IsString(pol) ||
			     pol->valuestring[0] != '/'))) {
			cJSON_Delete(j);
			return send_error(c, 400, "%s",
					  "the body must be {\"module\": "
					  "\"/absolute/path.wasm or REF\"[, "
					  "\"policy\": \"/absolute/path\"]}");
		}
		if (plugin_pull_parse(j, &pull, why, sizeof(why))) {
			cJSON_Delete(j);
			return send_error(c, 400, "%s", why);
		}
	}
	r = plugins_upgrade(id, m ? m->valuestring : NULL, pull,
			    pol ? pol->valuestring : NULL, why, sizeof(why));
	free(pull);
	cJSON_Delete(j);
	if (r == -ENOENT)
		return send_error(c, 404, "%s", why);
	if (r == -EALREADY)
		return send_error(c, 409, "%s", why);
	if (r)
		return send_error(c, r == -EINVAL ? 400 : 500, "%s", why);
	return send_json(c, 200, plugins_get(id));
}

static enum MHD_Result one(struct MHD_Connection *c, const char *method,
			   const char *id)
{
	cJSON *j = NULL;

	if (!strcmp(method, "GET")) {
		j = plugins_get(id);
		return j ? send_json(c, 200, j)
			 : send_error(c, 404, "no plugin %s", id);
	}
	if (!strcmp(method, "DELETE")) {
		int r = plugins_remove(id, &j);

		if (r == -EBUSY)
			return send_error(c, 409, "plugin %s is being upgraded",
					  id);
		if (r)
			return send_error(c, 404, "no plugin %s", id);
		return send_json(c, 200, j);
	}
	return send_error(c, 405, "%s not allowed here", method);
}

/* /v1/plugins/ID[/VERB] */
static enum MHD_Result plugin_route(struct MHD_Connection *c,
				    const char *method, const char *rest,
				    struct body *b)
{
	char id[64];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *verb = slash ? slash + 1 : NULL;

	if (n == 0 || n >= sizeof(id))
		return send_error(c, 404, "no such resource%s", "");
	memcpy(id, rest, n);
	id[n] = 0;
	if (!verb)
		return one(c, method, id);
	if (!strcmp(verb, "logs")) {
		if (strcmp(method, "GET"))
			return send_error(c, 405, "%s not allowed here",
					  method);
		return logs(c, id);
	}
	if (!strcmp(verb, "pause") || !strcmp(verb, "resume")) {
		if (strcmp(method, "POST"))
			return send_error(c, 405, "%s not allowed here",
					  method);
		return control(c, id, verb);
	}
	if (!strcmp(verb, "upgrade") || !strcmp(verb, "rollback")) {
		if (strcmp(method, "POST"))
			return send_error(c, 405, "%s not allowed here",
					  method);
		return upgrade(c, id, verb, b);
	}
	return send_error(c, 404, "no such resource %s", verb);
}

static enum MHD_Result metrics(struct MHD_Connection *c, const char *method)
{
	cJSON *list;
	char *text;

	if (strcmp(method, "GET"))
		return send_error(c, 405, "%s not allowed here", method);
	list = plugins_list();
	text = metrics_text(list);
	cJSON_Delete(list);
	if (!text)
		return MHD_NO;
	return send_text(c, 200, "text/plain; version=0.0.4", text,
			 strlen(text));
}

/* The declared plugins' status (watch.h), as the status file has it. */
static enum MHD_Result declared(struct api *a, struct MHD_Connection *c,
				const char *method)
{
	struct watch *w = __atomic_load_n(&a->watch, __ATOMIC_ACQUIRE);
	char *text;
	cJSON *j;

	if (strcmp(method, "GET"))
		return send_error(c, 405, "%s not allowed here", method);
	if (!w)
		return send_error(c, 404, "%s",
				  "no declared plugins: the daemon runs "
				  "without --plugins-dir");
	text = watch_status(w);
	j = text ? cJSON_Parse(text) : NULL;
	free(text);
	return j ? send_json(c, 200, j) : MHD_NO;
}

static enum MHD_Result route(struct api *a, struct MHD_Connection *c,
			     const char *url, const char *method,
			     struct body *b)
{
	if (b->denied)
		return send_error(
		    c, 403, "%s",
		    "not allowed: root or the daemon's group only");
	if (b->too_big)
		return send_error(c, 413, "request body over %s bytes",
				  "65536");
	if (!strcmp(url, "/v1/plugins")) {
		if (!strcmp(method, "GET"))
			return send_json(c, 200, plugins_list());
		if (!strcmp(method, "POST"))
			return start(c, b);
		return send_error(c, 405, "%s not allowed here", method);
	}
	if (!strncmp(url, "/v1/plugins/", 12))
		return plugin_route(c, method, url + 12, b);
	if (!strcmp(url, "/metrics"))
		return metrics(c, method);
	if (!strcmp(url, "/v1/declared"))
		return declared(a, c, method);
	return send_error(c, 404, "no such resource %s", url);
}

/* libmicrohttpd calls this first with no body (to set up), then with each
 * piece of the body, then once more with none left. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **con_cls)
{
	struct body *b = *con_cls;

	(void)version;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return MHD_NO;
		*con_cls = b;
		b->denied = !peer_allowed(cls, c);
		return MHD_YES;
	}
	if (*upload_len) {
		if (b->denied) { /* read, never kept */
			*upload_len = 0;
			return MHD_YES;
		}
		if (!b->too_big && b->len + *upload_len > API_MAX_BODY) {
			b->too_big = true;
			free(b->data);
			b->data = NULL;
		}
		if (!b->too_big) {
			char *d = realloc(b->data, b->len + *upload_len + 1);

			if (!d)
				return MHD_NO;
			memcpy(d + b->len, upload, *upload_len);
			b->data = d;
			b->len += *upload_len;
			d[b->len] = 0;
		}
		*upload_len = 0;
		return MHD_YES;
	}
	return route(cls, c, url, method, b);
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
		 enum MHD_RequestTerminationCode why)
{
	struct body *b = *con_cls;

	(void)cls, (void)c, (void)why;
	if (b) {
		free(b->data);
		free(b);
	}
	*con_cls = NULL;
}

/* The TCP listener: /metrics alone, to anyone who can reach it (the
 * numbers say what runs, nothing more); no body is read. */
static enum MHD_Result handle_metrics(void *cls, struct MHD_Connection *c,
				      const char *url, const char *method,
				      const char *version, const char *upload,
				      size_t *upload_len, void **con_cls)
{
	(void)cls, (void)version, (void)upload;
	if (!*con_cls) { /* set up: nothing to keep */
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_len) {
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics"))
		return send_error(c, 404, "only /metrics is served here%s", "");
	return metrics(c, method);
}

static int listen_tcp(const char *addr, char *why, size_t why_len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
			*res = NULL;
	char host[256];
	const char *colon = strrchr(addr, ':');
	size_t hl = colon ? (size_t)(colon - addr) : 0;
	int fd = -1, one = 1, r;

	if (!colon || !colon[1] || hl >= sizeof(host)) {
		snprintf(why, why_len, "%s: want HOST:PORT", addr);
		return -1;
	}
	/* [::1]:9090 for IPv6 */
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hl - 2, addr + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hl, addr);
	r = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res);
	if (r) {
		snprintf(why, why_len, "%s: %s", addr, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64)) {
		snprintf(why, why_len, "%s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

struct api *api_start_metrics(const char *addr, char *why, size_t why_len)
{
	struct api *a = calloc(1, sizeof(*a));
	int fd = a ? listen_tcp(addr, why, why_len) : -1;

	if (fd < 0) {
		free(a);
		return NULL;
	}
	a->group = (gid_t)-1;
	a->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
	    handle_metrics, a, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (!a->mhd) {
		snprintf(why, why_len, "%s: cannot serve", addr);
		close(fd);
		free(a);
		return NULL;
	}
	return a;
}

struct api *api_start(int fd, gid_t group)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->group = group;
	a->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
	    handle, a, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
	    MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
	if (!a->mhd) {
		free(a);
		errno = EIO;
		return NULL;
	}
	return a;
}

void api_set_watch(struct api *a, struct watch *w)
{
	__atomic_store_n(&a->watch, w, __ATOMIC_RELEASE);
}

void api_stop(struct api *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->mhd);
	free(a);
}
