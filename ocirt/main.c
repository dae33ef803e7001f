/* main.c — wasm-bpf-oci's command line: runc's global flags, then one
 * command (create, start, state, kill, delete, features). Errors are one
 * line on stderr and, with --log, in that file as runc writes it (JSON
 * with --log-format json) so that podman and containerd quote them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocirt/ocirt.h"
#include "runtime/wasm_bpf.h"

struct ocirt_globals ocirt_g = {.root = OCIRT_DEFAULT_ROOT};

static void log_line(const char *level, const char *msg)
{
	FILE *f;
	char ts[64];
	time_t now = time(NULL);

	if (!ocirt_g.log || !(f = fopen(ocirt_g.log, "a")))
		return;
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (ocirt_g.log_json) {
		fprintf(f, "{\"level\":\"%s\",\"msg\":\"", level);
		for (const char *p = msg; *p; p++)
			if (*p == '"' || *p == '\\')
				fprintf(f, "\\%c", *p);
			else if ((unsigned char)*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		fprintf(f, "\",\"time\":\"%s\"}\n", ts);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"%s\"\n", ts, level, msg);
	}
	fclose(f);
}

int ocirt_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "wasm-bpf-oci: %s\n", msg);
	log_line("error", msg);
	return 1;
}

void ocirt_debug(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!ocirt_g.debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line("debug", msg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: wasm-bpf-oci [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n"
		"\n"
		"A runc-compatible OCI runtime for images whose entry point "
		"is a wasm-bpf\n"
		"module; other images are handed to runc or crun.\n"
		"\n"
		"Commands:\n"
		"  create [--bundle DIR] [--pid-file F] [--console-socket S]\n"
		"         [--preserve-fds N] ID\n"
		"  start ID\n"
		"  state ID\n"
		"  kill [--all] ID [SIGNAL]\n"
		"  delete [--force] ID\n"
		"  features\n"
		"\n"
		"Global options:\n"
		"  --root DIR          container state (default %s)\n"
		"  --log FILE          also write errors to FILE\n"
		"  --log-format FMT    text (default) or json\n"
		"  --systemd-cgroup    cgroupsPath is slice:prefix:name\n"
		"  --debug             log every invocation to --log\n"
		"  -v, --version       print the version\n"
		"  -h, --help          print this help\n",
		OCIRT_DEFAULT_ROOT);
}

const char *ocirt_opt_value(int argc, char **argv, int *i, const char *name)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	a += a[1] == '-' ? 2 : 1;
	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static bool is_flag(const char *a, const char *name)
{
	return !strcmp(a + (a[1] == '-' ? 2 : 1), name);
}

/* The global flags; the index of the command, or -status to exit. */
static int parse_globals(int argc, char **argv)
{
	const char *v;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if ((v = ocirt_opt_value(argc, argv, &i, "root")))
			ocirt_g.root = v;
		else if ((v = ocirt_opt_value(argc, argv, &i, "log")))
			ocirt_g.log = v;
		else if ((v = ocirt_opt_value(argc, argv, &i, "log-format"))) {
			if (strcmp(v, "json") && strcmp(v, "text"))
				return -ocirt_err("bad --log-format %s (json "
						  "or text)", v) * OCIRT_EXIT_USAGE;
			ocirt_g.log_json = !strcmp(v, "json");
		} else if (is_flag(argv[i], "systemd-cgroup"))
			ocirt_g.systemd_cgroup = true;
		else if (is_flag(argv[i], "debug"))
			ocirt_g.debug = true;
		else if (is_flag(argv[i], "version") || !strcmp(argv[i], "-v")) {
			printf("wasm-bpf-oci version %s\nspec: %s\n",
			       WASM_BPF_VERSION, OCIRT_VERSION_OCI);
			return 0;
		} else if (is_flag(argv[i], "help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (is_flag(argv[i], "rootless") ||
			   is_flag(argv[i], "criu"))
			/* Accepted as runc does; nothing to do for a guest. */
			i += !strchr(argv[i], '=') && i + 1 < argc;
		else
			return -ocirt_err("unknown global option %s", argv[i]) *
			       OCIRT_EXIT_USAGE;
	}
	return i;
}

int main(int argc, char **argv)
{
	int cmd = parse_globals(argc, argv);
	const char *c;

	if (cmd <= 0)
		return -cmd;
	ocirt_delegate_keep_globals(argc, argv, cmd);
	if (ocirt_g.debug) {
		char line[1024] = "";
		for (int i = 0; i < argc; i++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				 "%s%s", i ? " " : "", argv[i]);
		ocirt_debug("invoked: %s", line);
	}
	if (cmd >= argc) {
		usage(stderr);
		return OCIRT_EXIT_USAGE;
	}
	c = argv[cmd];
	argc -= cmd;
	argv += cmd;
	if (!strcmp(c, "create"))
		return ocirt_create(argc, argv);
	if (!strcmp(c, "start"))
		return ocirt_start(argc, argv);
	if (!strcmp(c, "state"))
		return ocirt_state_cmd(argc, argv);
	if (!strcmp(c, "kill"))
		return ocirt_kill(argc, argv);
	if (!strcmp(c, "delete"))
		return ocirt_delete(argc, argv);
	if (!strcmp(c, "features"))
		return ocirt_features();
	/* exec, ps, pause, update, ...: a delegated container's, or none. */
	if (argc > 1)
		ocirt_delegate_if_theirs(argv, argv[argc - 1]);
	return ocirt_err("%s: not supported for Wasm containers", c) *
	       OCIRT_EXIT_USAGE;
}
