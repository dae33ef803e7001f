/* cmd_daemon.c — the `wasm-bpf` commands that talk to wasm-bpfd over its
 * Unix socket (libcurl, cJSON): run -d, ps, logs, stop, pause, resume,
 * stats. Each is a thin client of the daemon's REST API (daemon/README.md).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include "oci/oci_curl.h"

#include "policy/policy.h"
#include "runtime/cmd.h"
#include "runtime/cmd_help.h"
#include "runtime/cmd_image.h"

#define EXIT_USAGE     2
#define EXIT_RUNTIME   125

struct reply {
	long status;
	char *body;
	size_t len;
	unsigned long long log_next; /* X-Log-Next */
};

static const char *sock_path(const char *opt)
{
	const char *env = getenv("WASM_BPFD_SOCKET");

	return opt ? opt : env && *env ? env : WBPF_DAEMON_SOCKET;
}

static size_t on_body(char *data, size_t sz, size_t n, void *user)
{
	struct reply *r = user;
	char *b = realloc(r->body, r->len + sz * n + 1);

	if (!b)
		return 0;
	memcpy(b + r->len, data, sz * n);
	r->body = b;
	r->len += sz * n;
	b[r->len] = 0;
	return sz * n;
}

static size_t on_header(char *data, size_t sz, size_t n, void *user)
{
	static const char key[] = "X-Log-Next:";

	if (sz * n > sizeof(key) && !strncasecmp(data, key, sizeof(key) - 1))
		((struct reply *)user)->log_next =
		    strtoull(data + sizeof(key) - 1, NULL, 10);
	return sz * n;
}

/* One API call; 0 (any HTTP status, in r->status) or EXIT_RUNTIME after
 * saying why the daemon could not be reached. */
static int call(const char *sock, const char *method, const char *path,
		const char *body, struct reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[512];
	CURLcode e;

	memset(r, 0, sizeof(*r));
	if (!c)
		return EXIT_RUNTIME;
	snprintf(url, sizeof(url), "http://wasm-bpfd%s", path);
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	e = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (e != CURLE_OK) {
		fprintf(stderr, "wasm-bpf: cannot reach wasm-bpfd at %s: %s\n",
			sock, curl_easy_strerror(e));
		free(r->body);
		r->body = NULL;
		return EXIT_RUNTIME;
	}
	return 0;
}

/* The reply as JSON when it is a success; otherwise prints the daemon's
 * error line and returns NULL. */
static cJSON *json_ok(const struct reply *r)
{
	cJSON *j = r->body ? cJSON_Parse(r->body) : NULL;
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");

	if (r->status >= 200 && r->status < 300 && j)
		return j;
	fprintf(stderr, "wasm-bpf: %s\n",
		cJSON_IsString(err) ? err->valuestring
				    : "bad answer from wasm-bpfd");
	cJSON_Delete(j);
	return NULL;
}

/* One call whose answer is JSON: 0 with it in *out, 1 after printing the
 * daemon's error, or EXIT_RUNTIME when it could not be reached. */
static int call_json(const char *sock, const char *method, const char *path,
		     const char *body, cJSON **out)
{
	struct reply r;
	int rc = call(sock, method, path, body, &r);

	if (rc)
		return rc;
	*out = json_ok(&r);
	free(r.body);
	return *out ? 0 : 1;
}

static const char *str(const cJSON *j, const char *k)
{
	const char *s =
	    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, k));

	return s ? s : "";
}

static double num(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* ---- run -d ------------------------------------------------------------- */

/* What the daemon is told to run: a file by its absolute path (it may
 * run elsewhere), anything else as an image reference it resolves in its
 * store. */
static int module_arg(const char *arg, char *out)
{
	if (!access(arg, F_OK) || strchr(arg, '/') == arg ||
	    (strlen(arg) > 5 && !strcmp(arg + strlen(arg) - 5, ".wasm"))) {
		if (realpath(arg, out))
			return 0;
		fprintf(stderr, "wasm-bpf: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	snprintf(out, PATH_MAX, "%s", arg);
	return 0;
}

/* A limit of `run -d`: a size or count as the foreground run's options
 * take them (policy__parse_size: K, M, G), or seconds. */
static int add_limit(cJSON *lim, const char *key, const char *arg,
		     bool count)
{
	uint64_t n = 0;
	char *end;
	double v = count ? 0 : strtod(arg, &end);

	if ((count && policy__parse_size(arg, &n)) ||
	    (!count && (*end || end == arg || v < 0))) {
		fprintf(stderr, "wasm-bpf: bad value for the %s limit: '%s'\n",
			key, arg);
		return -1;
	}
	cJSON_AddNumberToObject(lim, key, count ? (double)n : v);
	return 0;
}

static int usage_run(void)
{
	fprintf(stderr,
		"usage: wasm-bpf run -d [--socket PATH] [--name NAME] "
		"[--fuel N] [--max-memory SIZE] [--timeout S] "
		"[--max-event-rate N] [--event-burst N] [--policy FILE] "
		"[--env K=V]... [--pull always|missing|never] MODULE [--] "
		"[ARGS]\n");
	return EXIT_USAGE;
}

/* --pull's value into the request body (the daemon pulls). */
static int add_pull(cJSON *req, const char *arg)
{
	struct wbpf_image_run check = {0};

	if (wbpf_image_run_opt(&check, 1, arg) != -1) /* it says why */
		return -1;
	cJSON_AddStringToObject(req, "pull", arg);
	return 0;
}

/* A start the daemon answered 202 (it pulls first): waits for the pull's
 * end, so a failed one is this command's failure too. 0 or EXIT_RUNTIME. */
static int wait_pulled(const char *sock, const char *id)
{
	struct timespec ts = {0, 100000000};
	char path[160];
	cJSON *j = NULL;
	int rc;

	snprintf(path, sizeof(path), "/v1/plugins/%s", id);
	for (;;) {
		rc = call_json(sock, "GET", path, NULL, &j);
		if (rc)
			return EXIT_RUNTIME;
		if (strcmp(str(j, "state"), "pulling"))
			break;
		cJSON_Delete(j);
		nanosleep(&ts, NULL);
	}
	rc = strcmp(str(j, "state"), "failed") ? 0 : EXIT_RUNTIME;
	if (rc)
		fprintf(stderr, "wasm-bpf: %s (plugin %s)\n", str(j, "error"),
			id);
	cJSON_Delete(j);
	return rc;
}

/* argv[0] is "-d". */
static int run_detached(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"name", required_argument, NULL, 'n'},
	    {"fuel", required_argument, NULL, 'f'},
	    {"max-memory", required_argument, NULL, 'm'},
	    {"timeout", required_argument, NULL, 't'},
	    {"env", required_argument, NULL, 'e'},
	    {"pull", required_argument, NULL, 'p'},
	    {"max-event-rate", required_argument, NULL, 'r'},
	    {"event-burst", required_argument, NULL, 'b'},
	    {"policy", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0}};
	cJSON *req = cJSON_CreateObject(), *lim = cJSON_CreateObject(),
	      *env = cJSON_CreateArray(), *args = cJSON_CreateArray(),
	      *j = NULL;
	const char *sock = NULL;
	char path[PATH_MAX], *body;
	int c, rc = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			continue;
		case 'n':
			cJSON_AddStringToObject(req, "name", optarg);
			continue;
		case 'e':
			cJSON_AddItemToArray(env, cJSON_CreateString(optarg));
			continue;
		case 'f':
			if (add_limit(lim, "fuel", optarg, true))
				goto out;
			continue;
		case 'm':
			if (add_limit(lim, "max_memory", optarg, true))
				goto out;
			continue;
		case 't':
			if (add_limit(lim, "timeout", optarg, false))
				goto out;
			continue;
		case 'p':
			if (add_pull(req, optarg))
				goto out;
			continue;
		case 'r':
			if (add_limit(lim, "max_event_rate", optarg, true))
				goto out;
			continue;
		case 'b':
			if (add_limit(lim, "event_burst", optarg, true))
				goto out;
			continue;
		case 'P':
			/* the daemon reads it: by its absolute path */
			if (!realpath(optarg, path)) {
				fprintf(stderr, "wasm-bpf: %s: %s\n", optarg,
					strerror(errno));
				rc = EXIT_RUNTIME;
				goto out;
			}
			cJSON_AddStringToObject(req, "policy", path);
			continue;
		default:
			goto out;
		}
	}
	if (optind >= argc) {
		rc = usage_run();
		goto out;
	}
	if (module_arg(argv[optind], path)) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	cJSON_AddStringToObject(req, "module", path);
	optind++;
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	for (; optind < argc; optind++)
		cJSON_AddItemToArray(args, cJSON_CreateString(argv[optind]));
	cJSON_AddItemToObject(req, "args", args);
	cJSON_AddItemToObject(req, "env", env);
	cJSON_AddItemToObject(req, "limits", lim);
	args = env = lim = NULL;
	body = cJSON_PrintUnformatted(req);
	sock = sock_path(sock);
	rc = call_json(sock, "POST", "/v1/plugins", body, &j);
	free(body);
	if (!rc && !strcmp(str(j, "state"), "pulling"))
		rc = wait_pulled(sock, str(j, "id"));
	if (!rc)
		printf("%s\n", str(j, "id"));
	cJSON_Delete(j);
	if (rc == 1)
		rc = EXIT_RUNTIME; /* not started */
out:
	cJSON_Delete(args);
	cJSON_Delete(env);
	cJSON_Delete(lim);
	cJSON_Delete(req);
	return rc;
}

/* ---- ps, stats ------------------------------------------------------------
 */

static void human_bytes(double b, char *out, size_t len)
{
	const char *u = "BKMG";

	while (b >= 1024 && u[1]) {
		b /= 1024;
		u++;
	}
	snprintf(out, len, u[0] == 'B' ? "%.0f%c" : "%.1f%c", b, u[0]);
}

static void ps_line(const cJSON *p)
{
	char mem[16];

	human_bytes(num(p, "memory"), mem, sizeof(mem));
	printf("%-12s  %-14.14s  %-8s  %8.0fs  %9.1f  %7s  %s\n", str(p, "id"),
	       str(p, "name"), str(p, "state"), num(p, "uptime"),
	       num(p, "events_per_s"), mem, str(p, "module"));
}

/* GET path; prints it as JSON (json) or through `show`. */
static int show(const char *sock, const char *path, bool json,
		void (*show)(const cJSON *))
{
	cJSON *j;
	int rc = call_json(sock, "GET", path, NULL, &j);

	if (rc)
		return rc;
	if (json) {
		char *s = cJSON_Print(j);

		printf("%s\n", s);
		free(s);
	} else
		show(j);
	cJSON_Delete(j);
	return 0;
}

static void ps_table(const cJSON *list)
{
	const cJSON *p;

	printf("%-12s  %-14s  %-8s  %9s  %9s  %7s  %s\n", "ID", "NAME", "STATE",
	       "UPTIME", "EVENTS/S", "MEMORY", "MODULE");
	cJSON_ArrayForEach(p, list) ps_line(p);
}

static void stats_lines(const cJSON *p)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(p, "bpf");

	printf("id:           %s\nname:         %s\nstate:        %s\n"
	       "module:       %s\nuptime:       %.1f s\nevents:       %.0f "
	       "(%.1f/s)\nlost events:  %.0f\ndropped:      %.0f (event rate "
	       "limit)\ncallback:     %.3f ms in all\n"
	       "memory:       %.0f bytes\nbpf:          %.0f programs, %.0f "
	       "maps, %.0f links\n",
	       str(p, "id"), str(p, "name"), str(p, "state"), str(p, "module"),
	       num(p, "uptime"), num(p, "events"), num(p, "events_per_s"),
	       num(p, "lost_events"), num(p, "dropped_events"),
	       num(p, "callback_ns") / 1e6,
	       num(p, "memory"), num(b, "programs"), num(b, "maps"),
	       num(b, "links"));
	if (cJSON_GetObjectItemCaseSensitive(p, "fuel_left"))
		printf("fuel left:    %.0f\n", num(p, "fuel_left"));
	if (cJSON_GetObjectItemCaseSensitive(p, "status"))
		printf("status:       %.0f %s\n", num(p, "status"),
		       str(p, "error"));
}

/* ---- logs -------------------------------------------------------------------
 */

static bool ended(const char *sock, const char *id)
{
	char path[128];
	struct reply r;
	cJSON *j;
	bool gone = true;

	snprintf(path, sizeof(path), "/v1/plugins/%s", id);
	if (call(sock, "GET", path, NULL, &r))
		return true;
	j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
	if (j)
		gone = strcmp(str(j, "state"), "running") &&
		       strcmp(str(j, "state"), "paused") &&
		       strcmp(str(j, "state"), "pausing") &&
		       strcmp(str(j, "state"), "pulling");
	cJSON_Delete(j);
	free(r.body);
	return gone;
}

static int logs(const char *sock, const char *id, bool follow, bool json)
{
	struct timespec ts = {0, 300000000};
	unsigned long long since = 0;
	char path[160];
	struct reply r;
	int rc;

	for (;;) {
		/* Asked before the read: the daemon logs a plugin's end before
		 * it shows it ended, so after an end seen here the read has the
		 * last words. */
		bool was_ended = follow && ended(sock, id);

		snprintf(path, sizeof(path), "/v1/plugins/%s/logs?since=%llu%s",
			 id, since, json ? "&format=json" : "");
		rc = call(sock, "GET", path, NULL, &r);
		if (rc)
			return rc;
		if (r.status != 200) {
			cJSON_Delete(json_ok(&r));
			free(r.body);
			return 1;
		}
		fwrite(r.body ? r.body : "", 1, r.len, stdout);
		fflush(stdout);
		free(r.body);
		if (!follow || (r.log_next == since && was_ended))
			return 0;
		since = r.log_next;
		nanosleep(&ts, NULL);
	}
}

/* ---- stop, pause, resume ----------------------------------------------------
 */

static int act(const char *sock, const char *method, const char *id,
	       const char *verb)
{
	char path[160];
	cJSON *j;
	int rc;

	snprintf(path, sizeof(path), "/v1/plugins/%s%s%s", id, verb ? "/" : "",
		 verb ? verb : "");
	rc = call_json(sock, method, path, NULL, &j);
	if (rc)
		return rc;
	printf("%s %s\n", str(j, "id"), str(j, "state"));
	cJSON_Delete(j);
	return 0;
}

/* ---- dispatch
 * ------------------------------------------------------------------ */

static int upgrade(const char *sock, const char *id, const char *file,
		   const char *pull, const char *policy)
{
	char path[160], abs[PATH_MAX], pol[PATH_MAX], *body;
	cJSON *j;
	int rc;

	if (module_arg(file, abs))
		return EXIT_RUNTIME;
	if (policy && !realpath(policy, pol)) {
		fprintf(stderr, "wasm-bpf: %s: %s\n", policy, strerror(errno));
		return EXIT_RUNTIME;
	}
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "module", abs);
	if (pull && add_pull(j, pull)) {
		cJSON_Delete(j);
		return EXIT_USAGE;
	}
	if (policy)
		cJSON_AddStringToObject(j, "policy", pol);
	body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/v1/plugins/%s/upgrade", id);
	rc = call_json(sock, "POST", path, body, &j);
	free(body);
	if (rc)
		return rc;
	printf("%s %s %s\n", str(j, "id"), str(j, "state"), str(j, "module"));
	cJSON_Delete(j);
	return 0;
}

/* ---- declared ------------------------------------------------------------
 */

/* The status of the declared plugins (wasm-bpfd --plugins-dir): a line
 * per spec file. */
static void declared_table(const cJSON *status)
{
	const cJSON *p,
	    *err = cJSON_GetObjectItemCaseSensitive(status, "error");

	printf("%-20s  %-14s  %-12s  %-12s  %s\n", "FILE", "NAME", "STATE",
	       "ID", "ERROR");
	cJSON_ArrayForEach(p,
			   cJSON_GetObjectItemCaseSensitive(status, "plugins"))
	    printf("%-20s  %-14.14s  %-12s  %-12s  %s\n", str(p, "file"),
		   str(p, "name"), str(p, "state"), str(p, "id"),
		   str(p, "error"));
	if (cJSON_IsString(err))
		printf("directory: %s\n", err->valuestring);
}

static const char *const verbs[] = {"ps",	"logs",	 "stop",    "pause",
				    "resume",	"stats", "upgrade", "rollback",
				    "declared", NULL};

bool wbpf_daemon_cmd(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "run") && !strcmp(argv[2], "-d"))
		return true;
	for (int i = 0; argc > 1 && verbs[i]; i++)
		if (!strcmp(argv[1], verbs[i]))
			return true;
	return false;
}

static int usage(void)
{
	cmd_help(HELP_DAEMON, stderr);
	return EXIT_USAGE;
}

int wbpf_daemon_main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"output", required_argument, NULL, 'o'},
	    {"follow", no_argument, NULL, 'f'},
	    {"pull", required_argument, NULL, 'p'},
	    {"policy", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0}};
	const char *verb = argv[1], *sock = NULL, *id, *pull = NULL;
	const char *policy = NULL;
	bool json = false, follow = false;
	int c, rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(verb, "run")) {
		rc = run_detached(argc - 2, argv + 2);
		curl_global_cleanup();
		return rc;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "o:f", lo, NULL)) != -1) {
		if (c == 's')
			sock = optarg;
		else if (c == 'o' && !strcmp(optarg, "json"))
			json = true;
		else if (c == 'f' && !strcmp(verb, "logs"))
			follow = true;
		else if (c == 'p' && !strcmp(verb, "upgrade"))
			pull = optarg;
		else if (c == 'P' && !strcmp(verb, "upgrade"))
			policy = optarg;
		else {
			curl_global_cleanup();
			return usage();
		}
	}
	sock = sock_path(sock);
	id = optind < argc ? argv[optind] : NULL;
	if (!strcmp(verb, "ps"))
		rc = id ? usage() : show(sock, "/v1/plugins", json, ps_table);
	else if (!strcmp(verb, "declared"))
		rc = id ? usage()
			: show(sock, "/v1/declared", json, declared_table);
	else if (!strcmp(verb, "upgrade"))
		rc = id && optind + 2 == argc
			 ? upgrade(sock, id, argv[optind + 1], pull, policy)
			 : usage();
	else if (!id || optind + 1 != argc)
		rc = usage();
	else if (!strcmp(verb, "logs"))
		rc = logs(sock, id, follow, json);
	else if (!strcmp(verb, "stats")) {
		char path[160];

		snprintf(path, sizeof(path), "/v1/plugins/%s", id);
		rc = show(sock, path, json, stats_lines);
	} else if (!strcmp(verb, "stop"))
		rc = act(sock, "DELETE", id, NULL);
	else
		rc = act(sock, "POST", id, verb);
	curl_global_cleanup();
	return rc;
}
