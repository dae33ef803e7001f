/* oci_client.c — the registry client: OCI distribution v1.1 over libcurl,
 * with the WWW-Authenticate challenge flow (basic, bearer) (oci.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include "oci/oci_curl.h"

#include "oci/oci.h"

#define MAX_MANIFEST   (4 << 20) /* the distribution spec's suggested limit */
#define MAX_ERROR_BODY (64 << 10)

struct oci_client {
	CURL *curl;
	struct oci_ref ref;
	struct oci_client_opts opts;
	char base[600]; /* scheme://host */
	char *user, *pass;
	char *authz; /* "Authorization: ..." once a challenge was answered */
	bool pushing;
	CURLcode last; /* the last transport failure */
};

struct resp {
	long status;
	struct oci_buf body;
	size_t max; /* body bytes allowed */
	bool too_big;
	char www_auth[1024];
	char digest[OCI_DIGEST_LEN + 8];
	char location[2048];
	char content_type[128];
};

static size_t on_body(char *p, size_t sz, size_t n, void *ctx)
{
	struct resp *rs = ctx;

	if (rs->body.len + sz * n > rs->max) {
		rs->too_big = true;
		return 0;
	}
	return oci_buf_add(&rs->body, p, sz * n) ? 0 : sz * n;
}

static void header_value(const char *p, size_t n, char *out, size_t outlen)
{
	while (n && isspace((unsigned char)*p))
		p++, n--;
	while (n && isspace((unsigned char)p[n - 1]))
		n--;
	snprintf(out, outlen, "%.*s", (int)n, p);
}

static size_t on_header(char *p, size_t sz, size_t n, void *ctx)
{
	struct resp *rs = ctx;
	size_t len = sz * n;
	static const struct {
		const char *name;
		size_t off, cap;
	} want[] = {
	    {"www-authenticate:", offsetof(struct resp, www_auth), 1024},
	    {"docker-content-digest:", offsetof(struct resp, digest),
	     OCI_DIGEST_LEN + 8},
	    {"location:", offsetof(struct resp, location), 2048},
	    {"content-type:", offsetof(struct resp, content_type), 128},
	};

	if (len > 5 && !strncmp(p, "HTTP/", 5)) /* a new response (redirect) */
		rs->www_auth[0] = rs->digest[0] = rs->content_type[0] = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t k = strlen(want[i].name);

		if (len > k && !strncasecmp(p, want[i].name, k))
			header_value(p + k, len - k, (char *)rs + want[i].off,
				     want[i].cap);
	}
	return len;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct oci_client *c = ctx;

	if (c->opts.cancel && *c->opts.cancel)
		return 1;
	if (c->opts.progress) {
		if (ultotal)
			c->opts.progress(c->opts.progress_ctx, ulnow, ultotal);
		else
			c->opts.progress(c->opts.progress_ctx, dlnow, dltotal);
	}
	return 0;
}

/* "registry HOST: GET PATH: 404 MANIFEST_UNKNOWN manifest unknown". */
static int http_error(struct oci_client *c, const char *method,
		      const char *path, struct resp *rs, struct oci_err *e)
{
	cJSON *j = cJSON_ParseWithLength(rs->body.data ? rs->body.data : "",
					 rs->body.len);
	cJSON *err0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0);
	const cJSON *code = cJSON_GetObjectItem(err0, "code"),
		    *msg = cJSON_GetObjectItem(err0, "message");

	snprintf(e->msg, sizeof(e->msg), "registry %s: %s %s: HTTP %ld%s%s%s%s",
		 c->ref.registry, method, path, rs->status,
		 cJSON_IsString(code) ? " " : "",
		 cJSON_IsString(code) ? code->valuestring : "",
		 cJSON_IsString(msg) ? " " : "",
		 cJSON_IsString(msg) ? msg->valuestring : "");
	cJSON_Delete(j);
	switch (rs->status) {
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	default:
		return -EIO;
	}
}

static int curl_error(struct oci_client *c, CURLcode cr, const char *ebuf,
		      struct oci_err *e)
{
	if (cr == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(e->msg, sizeof(e->msg), "registry %s: interrupted",
			 c->ref.registry);
		return -EINTR;
	}
	snprintf(e->msg, sizeof(e->msg), "registry %s: %s%s%s", c->ref.registry,
		 curl_easy_strerror(cr), *ebuf ? ": " : "", ebuf);
	/* curl's message may end with a newline */
	e->msg[strcspn(e->msg, "\n")] = 0;
	return cr == CURLE_COULDNT_RESOLVE_HOST ? -EHOSTUNREACH : -EIO;
}

struct body_in {
	const char *p;
	size_t left;
};

static size_t on_read(char *out, size_t sz, size_t n, void *ctx)
{
	struct body_in *in = ctx;
	size_t k = sz * n < in->left ? sz * n : in->left;

	memcpy(out, in->p, k);
	in->p += k;
	in->left -= k;
	return k;
}

/* One HTTP exchange, no authentication logic. */
static CURLcode exchange(struct oci_client *c, const char *method,
			 const char *url, struct curl_slist *hdrs,
			 const void *body, size_t len, struct resp *rs,
			 char *ebuf)
{
	struct body_in in = {body, len};
	CURL *h = c->curl;
	const char *ca = c->opts.ca_file;

	curl_easy_reset(h);
	ebuf[0] = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
	/* A stalled transfer is an error, not a hang. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "wasm-bpf");
	if (!ca)
		ca = getenv("WASM_BPF_CA_FILE");
	if (!ca)
		ca = getenv("SSL_CERT_FILE");
	if (ca && *ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(method, "PUT") || !strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &in);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	CURLcode cr = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	return cr;
}

/* key="value" from a challenge's parameter list. */
static bool challenge_param(const char *ch, const char *key, char *out,
			    size_t len)
{
	size_t k = strlen(key);

	for (const char *p = ch; (p = strstr(p, key)); p += k) {
		const char *q;

		if ((p != ch && p[-1] != ' ' && p[-1] != ',') || p[k] != '=')
			continue;
		p += k + 1;
		if (*p == '"') {
			q = strchr(++p, '"');
			if (!q)
				return false;
		} else {
			q = p + strcspn(p, ", ");
		}
		snprintf(out, len, "%.*s", (int)(q - p), p);
		return true;
	}
	return false;
}

static char *basic_header(const char *user, const char *pass)
{
	char raw[1024], *b64, *h = NULL;
	int n = snprintf(raw, sizeof(raw), "%s:%s", user, pass);

	if (n < 0 || n >= (int)sizeof(raw) || !(b64 = oci_base64(raw, n)))
		return NULL;
	if (asprintf(&h, "Authorization: Basic %s", b64) < 0)
		h = NULL;
	free(b64);
	return h;
}

/* localhost, [::1] or an IPv4 address in 127.0.0.0/8, with any port. */
static bool loopback(const char *registry)
{
	char host[256];
	struct in_addr a;

	if (!strcmp(registry, "localhost") ||
	    !strncmp(registry, "localhost:", 10) ||
	    !strcmp(registry, "[::1]") || !strncmp(registry, "[::1]:", 6))
		return true;
	snprintf(host, sizeof(host), "%.*s", (int)strcspn(registry, ":"),
		 registry);
	return inet_pton(AF_INET, host, &a) == 1 &&
	       (ntohl(a.s_addr) >> 24) == 127;
}

/* Hosts (host or host:port) listed in $WASM_BPF_INSECURE_REGISTRIES,
 * separated by commas or spaces, may be reached over plain HTTP. */
bool oci_plain_http_allowed(const char *registry)
{
	const char *l = getenv("WASM_BPF_INSECURE_REGISTRIES");
	size_t n = strlen(registry);

	if (loopback(registry))
		return true;
	for (const char *p = l; p && *p;) {
		size_t k = strcspn(p, ", ");

		if (k == n && !strncmp(p, registry, n))
			return true;
		p += k;
		p += strspn(p, ", ");
	}
	return false;
}

/* Answers a bearer challenge: a token from the realm for the scope the
 * registry asked for (or this repository's). */
static int get_token(struct oci_client *c, const char *ch, struct oci_err *e)
{
	char realm[512], service[256] = "", scope[512], url[2048],
			 ebuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL;
	struct resp rs = {.max = MAX_MANIFEST};
	char *esc_svc, *esc_scope;
	cJSON *j = NULL;
	const cJSON *tok;
	CURLcode cr;
	int r = -EACCES;

	if (!challenge_param(ch, "realm", realm, sizeof(realm))) {
		snprintf(e->msg, sizeof(e->msg),
			 "registry %s: bearer challenge without a realm",
			 c->ref.registry);
		return -EPROTO;
	}
	/* Credentials go to the realm: over TLS unless the registry itself
	 * may be spoken to in plain HTTP. */
	if (strncmp(realm, "https://", 8) &&
	    !oci_plain_http_allowed(c->ref.registry)) {
		snprintf(e->msg, sizeof(e->msg),
			 "registry %s: token realm %.200s is not HTTPS",
			 c->ref.registry, realm);
		return -EPROTO;
	}
	challenge_param(ch, "service", service, sizeof(service));
	if (!challenge_param(ch, "scope", scope, sizeof(scope)))
		snprintf(scope, sizeof(scope), "repository:%s:%s", c->ref.repo,
			 c->pushing ? "pull,push" : "pull");
	esc_svc = curl_easy_escape(c->curl, service, 0);
	esc_scope = curl_easy_escape(c->curl, scope, 0);
	snprintf(url, sizeof(url), "%s%sservice=%s&scope=%s", realm,
		 strchr(realm, '?') ? "&" : "?", esc_svc ? esc_svc : "",
		 esc_scope ? esc_scope : "");
	curl_free(esc_svc);
	curl_free(esc_scope);
	if (c->user) {
		char *b = basic_header(c->user, c->pass);

		hdrs = b ? curl_slist_append(NULL, b) : NULL;
		free(b);
	}
	cr = exchange(c, "GET", url, hdrs, NULL, 0, &rs, ebuf);
	curl_slist_free_all(hdrs);
	if (cr) {
		r = curl_error(c, cr, ebuf, e);
		goto out;
	}
	if (rs.status != 200) {
		r = http_error(c, "GET", realm, &rs, e);
		goto out;
	}
	j = cJSON_ParseWithLength(rs.body.data ? rs.body.data : "",
				  rs.body.len);
	tok = cJSON_GetObjectItem(j, "token");
	if (!cJSON_IsString(tok))
		tok = cJSON_GetObjectItem(j, "access_token");
	if (!cJSON_IsString(tok)) {
		snprintf(e->msg, sizeof(e->msg),
			 "registry %s: token server sent no token",
			 c->ref.registry);
		goto out;
	}
	free(c->authz);
	if (asprintf(&c->authz, "Authorization: Bearer %s", tok->valuestring) <
	    0)
		c->authz = NULL;
	r = c->authz ? 0 : -ENOMEM;
out:
	cJSON_Delete(j);
	oci_buf_free(&rs.body);
	return r;
}

static int answer_challenge(struct oci_client *c, const char *ch,
			    struct oci_err *e)
{
	if (!strncasecmp(ch, "bearer", 6))
		return get_token(c, ch, e);
	if (!strncasecmp(ch, "basic", 5)) {
		if (!c->user) {
			snprintf(e->msg, sizeof(e->msg),
				 "registry %.100s: authentication required "
				 "(wasm-bpf login %.100s)",
				 c->ref.registry, c->ref.registry);
			return -EACCES;
		}
		free(c->authz);
		c->authz = basic_header(c->user, c->pass);
		return c->authz ? 0 : -ENOMEM;
	}
	snprintf(e->msg, sizeof(e->msg),
		 "registry %s: unsupported authentication scheme: %.100s",
		 c->ref.registry, ch);
	return -EPROTO;
}

/* A request to PATH (or an absolute URL) with authentication: on a 401
 * the challenge is answered once and the request repeated. Sets
 * rs->status; returns a negative errno only for transport failures. */
static int request(struct oci_client *c, const char *method, const char *path,
		   const char *const *extra, const void *body, size_t len,
		   struct resp *rs, struct oci_err *e)
{
	char url[4096], ebuf[CURL_ERROR_SIZE];
	int r;

	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
		snprintf(url, sizeof(url), "%s", path);
	else
		snprintf(url, sizeof(url), "%s%s", c->base, path);
	for (int attempt = 0; attempt < 2; attempt++) {
		struct curl_slist *hdrs = NULL;
		CURLcode cr;

		for (int i = 0; extra && extra[i]; i++)
			hdrs = curl_slist_append(hdrs, extra[i]);
		if (c->authz)
			hdrs = curl_slist_append(hdrs, c->authz);
		oci_buf_free(&rs->body);
		rs->too_big = false;
		rs->location[0] = 0;
		cr = exchange(c, method, url, hdrs, body, len, rs, ebuf);
		curl_slist_free_all(hdrs);
		if (cr == CURLE_WRITE_ERROR && rs->too_big) {
			snprintf(e->msg, sizeof(e->msg),
				 "registry %s: %s %s: response larger than "
				 "expected",
				 c->ref.registry, method, path);
			return -EFBIG;
		}
		if ((c->last = cr))
			return curl_error(c, cr, ebuf, e);
		if (rs->status != 401 || attempt || !rs->www_auth[0])
			break;
		if ((r = answer_challenge(c, rs->www_auth, e)))
			return r;
	}
	return 0;
}

/* GET /v2/: picks the scheme, and learns whether the registry wants
 * credentials before the first real request. */
static int ping(struct oci_client *c, struct oci_err *e)
{
	struct resp rs = {.max = MAX_ERROR_BODY};
	int r;

	snprintf(c->base, sizeof(c->base), "https://%s", oci_ref_host(&c->ref));
	r = request(c, "GET", "/v2/", NULL, NULL, 0, &rs, e);
	/* An HTTP server answering a TLS hello makes the handshake fail. */
	if (c->last == CURLE_SSL_CONNECT_ERROR &&
	    oci_plain_http_allowed(c->ref.registry)) {
		snprintf(c->base, sizeof(c->base), "http://%s",
			 oci_ref_host(&c->ref));
		r = request(c, "GET", "/v2/", NULL, NULL, 0, &rs, e);
	}
	if (!r && rs.status != 200)
		r = http_error(c, "GET", "/v2/", &rs, e);
	oci_buf_free(&rs.body);
	return r;
}

int oci_client_new(const struct oci_ref *ref,
		   const struct oci_client_opts *opts, struct oci_client **out,
		   struct oci_err *e)
{
	struct oci_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->ref = *ref;
	if (opts)
		c->opts = *opts;
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		snprintf(e->msg, sizeof(e->msg), "cannot initialise libcurl");
		return -ENOMEM;
	}
	if (c->opts.username) {
		c->user = strdup(c->opts.username);
		c->pass = strdup(c->opts.password ? c->opts.password : "");
	} else {
		oci_auth_get(ref->registry, &c->user, &c->pass);
	}
	if ((r = ping(c, e))) {
		oci_client_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void oci_client_free(struct oci_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c->user);
	free(c->pass);
	free(c->authz);
	free(c);
}

static const char *const manifest_accept[] = {
    "Accept: " OCI_MT_MANIFEST ", " OCI_MT_DOCKER_MANIFEST ", " OCI_MT_INDEX
    ", " OCI_MT_DOCKER_LIST,
    NULL,
};

int oci_client_get_manifest(struct oci_client *c, const char *tag_or_digest,
			    struct oci_buf *body, struct oci_desc *desc,
			    struct oci_err *e)
{
	struct resp rs = {.max = MAX_MANIFEST};
	char path[1024];
	int r;

	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", c->ref.repo,
		 tag_or_digest);
	if ((r = request(c, "GET", path, manifest_accept, NULL, 0, &rs, e)))
		goto out;
	if (rs.status != 200) {
		r = http_error(c, "GET", path, &rs, e);
		goto out;
	}
	oci_sha256(rs.body.data ? rs.body.data : "", rs.body.len, desc->digest);
	if ((rs.digest[0] && strcmp(rs.digest, desc->digest)) ||
	    (!strncmp(tag_or_digest, "sha256:", 7) &&
	     strcmp(tag_or_digest, desc->digest))) {
		snprintf(e->msg, sizeof(e->msg),
			 "registry %s: manifest %s: content hashes to %s, not "
			 "%s: refused",
			 c->ref.registry, tag_or_digest, desc->digest,
			 rs.digest[0] ? rs.digest : tag_or_digest);
		r = -EBADMSG;
		goto out;
	}
	desc->size = rs.body.len;
	header_value(rs.content_type, strcspn(rs.content_type, ";"),
		     desc->media_type, sizeof(desc->media_type));
	*body = rs.body;
	rs.body = (struct oci_buf){0};
out:
	oci_buf_free(&rs.body);
	return r;
}

int oci_client_get_blob(struct oci_client *c, const struct oci_desc *d,
			struct oci_buf *out, struct oci_err *e)
{
	/* Room for an error body even when the blob is tiny; a 200 longer
	 * than the descriptor says fails the size check below. */
	struct resp rs = {.max = d->size > MAX_ERROR_BODY ? d->size
							  : MAX_ERROR_BODY};
	char path[1024], got[OCI_DIGEST_LEN];
	int r;

	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", c->ref.repo, d->digest);
	if ((r = request(c, "GET", path, NULL, NULL, 0, &rs, e)))
		goto out;
	if (rs.status != 200) {
		r = http_error(c, "GET", path, &rs, e);
		goto out;
	}
	oci_sha256(rs.body.data ? rs.body.data : "", rs.body.len, got);
	if ((int64_t)rs.body.len != d->size || strcmp(got, d->digest)) {
		snprintf(e->msg, sizeof(e->msg),
			 "registry %s: blob %s: got %zu bytes hashing to %s: "
			 "refused",
			 c->ref.registry, d->digest, rs.body.len, got);
		r = -EBADMSG;
		goto out;
	}
	if (!rs.body.data)
		oci_buf_add(&rs.body, "", 0);
	*out = rs.body;
	rs.body = (struct oci_buf){0};
out:
	oci_buf_free(&rs.body);
	return r;
}

int oci_client_put_blob(struct oci_client *c, const void *buf, size_t len,
			const char *digest, struct oci_err *e)
{
	static const char *const octet[] = {
	    "Content-Type: application/octet-stream", NULL};
	struct resp rs = {.max = MAX_ERROR_BODY};
	char path[1024], *url = NULL;
	int r;

	c->pushing = true;
	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", c->ref.repo, digest);
	if ((r = request(c, "HEAD", path, NULL, NULL, 0, &rs, e)))
		goto out;
	if (rs.status == 200)
		goto out; /* the registry has it */
	snprintf(path, sizeof(path), "/v2/%s/blobs/uploads/", c->ref.repo);
	if ((r = request(c, "POST", path, NULL, "", 0, &rs, e)))
		goto out;
	if (rs.status != 202 || !rs.location[0]) {
		r = http_error(c, "POST", path, &rs, e);
		goto out;
	}
	if (asprintf(&url, "%s%s%cdigest=%s",
		     rs.location[0] == '/' ? c->base : "", rs.location,
		     strchr(rs.location, '?') ? '&' : '?', digest) < 0) {
		url = NULL;
		r = -ENOMEM;
		goto out;
	}
	if ((r = request(c, "PUT", url, octet, buf, len, &rs, e)))
		goto out;
	if (rs.status != 201)
		r = http_error(c, "PUT", path, &rs, e);
out:
	free(url);
	oci_buf_free(&rs.body);
	return r;
}

int oci_client_put_manifest(struct oci_client *c, const char *tag_or_digest,
			    const char *media_type, const void *buf, size_t len,
			    struct oci_err *e)
{
	struct resp rs = {.max = MAX_ERROR_BODY};
	char path[1024], ct[200], digest[OCI_DIGEST_LEN];
	const char *hdrs[] = {ct, NULL};
	int r;

	c->pushing = true;
	snprintf(ct, sizeof(ct), "Content-Type: %s", media_type);
	snprintf(path, sizeof(path), "/v2/%s/manifests/%s", c->ref.repo,
		 tag_or_digest);
	if ((r = request(c, "PUT", path, hdrs, buf, len, &rs, e)))
		goto out;
	if (rs.status != 201) {
		r = http_error(c, "PUT", path, &rs, e);
		goto out;
	}
	oci_sha256(buf, len, digest);
	if (rs.digest[0] && strcmp(rs.digest, digest)) {
		snprintf(e->msg, sizeof(e->msg),
			 "registry %s: stored the manifest as %s, not %s",
			 c->ref.registry, rs.digest, digest);
		r = -EBADMSG;
	}
out:
	oci_buf_free(&rs.body);
	return r;
}
