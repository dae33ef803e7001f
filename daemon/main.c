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

#include <curl/curl.h>
#include <systemd/sd-daemon.h>

#include "daemon/api.h"
#include "daemon/plugin.h"
#include "daemon/state.h"

#define DEFAULT_SOCKET "/run/wasm-bpf/wasm-bpfd.sock"
#define DEFAULT_STATE  "/var/lib/wasm-bpf/daemon"

struct opts {
	const char *socket, *state_dir, *group;
	size_t log_bytes;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wasm-bpfd [--socket PATH] [--state-dir DIR] "
		"[--group NAME] [--log-size BYTES]\n"
		"  --socket PATH   API socket (default " DEFAULT_SOCKET ")\n"
		"  --state-dir DIR what runs, restored on start "
		"(default " DEFAULT_STATE ")\n"
		"  --group NAME    members may use the API besides root\n"
		"  --log-size N    output kept per plugin (default 65536)\n");
}

static int parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"state-dir", required_argument, NULL, 'd'},
	    {"group", required_argument, NULL, 'g'},
	    {"log-size", required_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
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
		case 'l':
			o->log_bytes = strtoull(optarg, &end, 10);
			if (*end || o->log_bytes < 1024) {
				fprintf(stderr, "wasm-bpfd: --log-size: want "
						"bytes, at least 1024\n");
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
		fprintf(stderr, "wasm-bpfd: socket path too long: %s\n", path);
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
		fprintf(stderr, "wasm-bpfd: a daemon already listens on %s\n",
			path);
		close(fd);
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) ||
	    (group != (gid_t)-1 && chown(path, (uid_t)-1, group)) ||
	    listen(fd, 64)) {
		fprintf(stderr, "wasm-bpfd: %s: %s\n", path, strerror(errno));
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
		fprintf(stderr, "wasm-bpfd: record %s: %s\n", id, why);
		plugin_spec_free(&spec);
		return;
	}
	if (plugins_start(&spec, got, why, sizeof(why)) < 0)
		fprintf(stderr, "wasm-bpfd: cannot restore %s: %s\n", id, why);
	else
		fprintf(stderr, "wasm-bpfd: restored plugin %s\n", id);
}

int main(int argc, char **argv)
{
	struct opts o = {DEFAULT_SOCKET, DEFAULT_STATE, NULL, 0};
	gid_t group = (gid_t)-1;
	struct api *api;
	sigset_t sigs;
	int fd, r, sig;

	r = parse(&o, argc, argv);
	if (r)
		return r;
	if (o.group) {
		struct group *g = getgrnam(o.group);

		if (!g) {
			fprintf(stderr, "wasm-bpfd: no group %s\n", o.group);
			return 2;
		}
		group = g->gr_gid;
	}
	r = state_open(o.state_dir);
	if (r) {
		fprintf(stderr, "wasm-bpfd: state directory %s: %s\n",
			o.state_dir, strerror(-r));
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
	plugins_init(o.state_dir, o.log_bytes);
	state_each(o.state_dir, restore_one);
	api = api_start(fd, group);
	if (!api) {
		fprintf(stderr, "wasm-bpfd: cannot serve on %s\n", o.socket);
		plugins_shutdown();
		unlink(o.socket);
		return 1;
	}
	fprintf(stderr, "wasm-bpfd: serving on %s\n", o.socket);
	sd_notify(0, "READY=1");
	do
		sigwait(&sigs, &sig);
	while (sig == SIGHUP);
	sd_notify(0, "STOPPING=1");
	api_stop(api);
	plugins_shutdown();
	unlink(o.socket);
	curl_global_cleanup();
	fprintf(stderr, "wasm-bpfd: stopped\n");
	return 0;
}
