/* main.c — wasm-bpfd: the plugin daemon. Makes its Unix socket, brings
 * back what its state directory records, serves the API (api.h) until
 * SIGTERM or SIGINT, then stops every plugin (their records stay, so the
 * next start restores them).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "oci/oci_curl.h"
#include <systemd/sd-daemon.h>

#include "daemon/api.h"
#include "runtime/cmd.h" /* WBPF_DAEMON_SOCKET, shared with the client */
#include "daemon/image.h"
#include "daemon/jsonlog.h"
#include "daemon/plugin.h"
#include "daemon/state.h"
#include "daemon/watch.h"
#include "policy/policy.h"

#define DEFAULT_STATE  "/var/lib/wasm-bpf/daemon"
#define DEFAULT_KEYS   "/etc/wasm-bpf/keys"

struct opts {
	const char *socket, *state_dir, *group, *policy;
	size_t log_bytes;
	struct watch_opts watch; /* .dir NULL: no declared plugins */
	const char *metrics_addr;
	bool json, copy_output;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: wasm-bpfd [--socket PATH] [--state-dir DIR] "
	    "[--group NAME] [--log-size BYTES] [--policy FILE]\n"
	    "                 [--verify-key PUB]...\n"
	    "  --socket PATH   API socket (default " WBPF_DAEMON_SOCKET ")\n"
	    "  --state-dir DIR what runs, restored on start "
	    "(default " DEFAULT_STATE ")\n"
	    "  --group NAME    members may use the API besides root\n"
	    "  --log-size N    output kept per plugin (default 65536)\n"
	    "  --plugins-dir DIR      declared plugins: converge on the spec "
	    "files in DIR\n"
	    "  --plugins-status FILE  their status, JSON (default: beside "
	    "the socket,\n"
	    "                         plugins-status.json)\n"
	    "  --node-labels FILE|K=V,...  the node's labels, for "
	    "nodeSelector\n"
	    "  --rescan SECONDS       read DIR again this often "
	    "(default 10)\n"
	    "  --metrics-addr HOST:PORT  serve /metrics (only) over TCP too\n"
	    "  --log-format text|json, -o json  the daemon's log lines\n"
	    "  --copy-output          copy every plugin's output to stdout, "
	    "a line each\n"
	    "  --policy FILE          policy of plugins without their own "
	    "(default\n"
	    "                         " POLICY_DEFAULT_PATH " if present, "
	    "else none)\n"
	    "  --verify-key PUB       verify every image plugin with this "
	    "public key\n"
	    "                         (repeatable; also " DEFAULT_KEYS
	    "/*.pub)\n");
}

static int parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"state-dir", required_argument, NULL, 'd'},
	    {"group", required_argument, NULL, 'g'},
	    {"log-size", required_argument, NULL, 'l'},
	    {"plugins-dir", required_argument, NULL, 'P'},
	    {"plugins-status", required_argument, NULL, 'S'},
	    {"node-labels", required_argument, NULL, 'L'},
	    {"rescan", required_argument, NULL, 'R'},
	    {"metrics-addr", required_argument, NULL, 'M'},
	    {"log-format", required_argument, NULL, 'o'},
	    {"copy-output", no_argument, NULL, 'c'},
	    {"policy", required_argument, NULL, 'p'},
	    {"verify-key", required_argument, NULL, 'k'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int c;
	char *end, why[600];

	while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'd':
			o->state_dir = optarg;
			break;
		case 'g':
			o->group = optarg;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 'l':
			o->log_bytes = strtoull(optarg, &end, 10);
			if (*end || o->log_bytes < 1024) {
				fprintf(stderr, "wasm-bpfd: --log-size: want "
						"bytes, at least 1024\n");
				return 2;
			}
			break;
		case 'P':
			o->watch.dir = optarg;
			break;
		case 'S':
			o->watch.status_file = optarg;
			break;
		case 'L':
			o->watch.node_labels = optarg;
			break;
		case 'R':
			o->watch.rescan = strtod(optarg, &end);
			if (*end || end == optarg ||
			    !(o->watch.rescan >= 0.1) ||
			    o->watch.rescan > 86400) {
				fprintf(stderr, "wasm-bpfd: --rescan: want "
						"seconds, 0.1 to 86400\n");
				return 2;
			}
			break;
		case 'M':
			o->metrics_addr = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "wasm-bpfd: --log-format: "
						"text or json\n");
				return 2;
			}
			o->json = !strcmp(optarg, "json");
			break;
		case 'c':
			o->copy_output = true;
			break;
		case 'k':
			if (image_trust_key(optarg, why, sizeof(why))) {
				fprintf(stderr, "wasm-bpfd: --verify-key %s\n",
					why);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wasm-bpfd: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	return 0;
}

/* The socket, 0660 (owner and group), its directory made if missing. A
 * stale socket of a dead daemon is replaced; a live one is not. */
static int make_socket(const char *path, gid_t group)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		dlog("socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		dlog("a daemon already listens on %s", path);
		close(fd);
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    (group != (gid_t)-1 && chown(path, (uid_t)-1, group)) ||
	    listen(fd, 64)) {
		dlog("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void restore_one(const char *id, cJSON *rec)
{
	struct plugin_spec spec;
	char why[600] = "not its own record", got[PLUGIN_ID_LEN + 1];
	const cJSON *ended = cJSON_GetObjectItemCaseSensitive(rec, "ended");

	if (cJSON_IsTrue(ended))
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "ended");
	if (plugin_spec_parse(rec, &spec, why, sizeof(why)) ||
	    strcmp(spec.id, id)) {
		dlog("record %s: %s", id, why);
		plugin_spec_free(&spec);
		return;
	}
	if (plugins_start(&spec, got, why, sizeof(why)) < 0)
		dlog("cannot restore %s: %s", id, why);
	else
		dlog("restored plugin %s", id);
}

/* The daemon's own policy: --policy, else the system's file if present,
 * else none (everything allowed, as the command without a policy). A
 * malformed one stops the daemon: it must not run plugins unguarded. */
static int load_policy(const char *file, struct policy **out)
{
	char err[512];

	*out = NULL;
	if (!file && access(POLICY_DEFAULT_PATH, F_OK) == 0)
		file = POLICY_DEFAULT_PATH;
	if (!file)
		return 0;
	*out = policy__load_file(file, err, sizeof(err));
	if (*out) {
		dlog("policy %s", file);
		return 0;
	}
	dlog("policy: %s", err);
	return -1;
}

int main(int argc, char **argv)
{
	struct opts o = {.socket = WBPF_DAEMON_SOCKET, .state_dir = DEFAULT_STATE};
	struct policy *pol;
	gid_t group = (gid_t)-1;
	struct api *api, *mapi = NULL;
	struct watch *watch = NULL;
	char status_path[4200], why[600];
	sigset_t sigs;
	int fd, r, sig;

	r = parse(&o, argc, argv);
	if (r)
		return r;
	jsonlog_init(o.json, o.copy_output);
	if (o.group) {
		struct group *g = getgrnam(o.group);

		if (!g) {
			dlog("no group %s", o.group);
			return 2;
		}
		group = g->gr_gid;
	}
	if (load_policy(o.policy, &pol))
		return 1;
	if (image_trust_dir(DEFAULT_KEYS, why, sizeof(why))) {
		dlog("trusted keys: %s", why);
		return 1;
	}
	if (image_trusted_keys())
		dlog("verifying images with %d trusted keys",
		     image_trusted_keys());
	r = state_open(o.state_dir);
	if (r) {
		dlog("state directory %s: %s", o.state_dir, strerror(-r));
		return 1;
	}
	/* Signals go to sigwait here, never to a plugin's thread. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = make_socket(o.socket, group);
	if (fd < 0)
		return 1;
	/* Before any thread: pulls run on plugins' threads (image.h). */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	plugins_init(o.state_dir, o.log_bytes, pol);
	state_each(o.state_dir, restore_one);
	api = api_start(fd, group);
	if (!api) {
		dlog("cannot serve on %s", o.socket);
		plugins_shutdown();
		unlink(o.socket);
		return 1;
	}
	dlog("serving on %s", o.socket);
	if (o.metrics_addr) {
		mapi = api_start_metrics(o.metrics_addr, why, sizeof(why));
		if (!mapi) {
			dlog("--metrics-addr %s", why);
			r = 1;
			goto out;
		}
		dlog("serving /metrics on %s", o.metrics_addr);
	}
	if (o.watch.dir) {
		if (!o.watch.status_file) {
			snprintf(status_path, sizeof(status_path), "%s",
				 o.socket);
			*(strrchr(status_path, '/')
			      ? strrchr(status_path, '/') + 1
			      : status_path) = 0;
			strcat(status_path, "plugins-status.json");
			o.watch.status_file = status_path;
		}
		if (!o.watch.rescan)
			o.watch.rescan = 10;
		watch = watch_start(&o.watch, why, sizeof(why));
		if (!watch) {
			dlog("%s", why);
			r = 1;
			goto out;
		}
		api_set_watch(api, watch);
		dlog("converging on %s, status in %s", o.watch.dir,
		     o.watch.status_file);
	}
	sd_notify(0, "READY=1");
	do
		sigwait(&sigs, &sig);
	while (sig == SIGHUP);
	r = 0;
	sd_notify(0, "STOPPING=1");
out:
	/* The API first: it reads the watcher's status. */
	api_stop(mapi);
	api_stop(api);
	watch_stop(watch);
	plugins_shutdown();
	unlink(o.socket);
	curl_global_cleanup();
	policy__free(pol);
	dlog("stopped");
	return r ? 1 : 0;
}
