/* main.c — the `wasm-bpf` command: option parsing, signal and timeout
 * handling, and the exit status; running a module is wasm_bpf.c's job,
 * `wasm-bpf gen` is tools/gen's.
 *
 * Stopping: the first SIGINT/SIGTERM, or --timeout, asks the guest to wind
 * down (wasm_bpf_app__stop_graceful); a second signal, or --stop-timeout
 * seconds later, interrupts it (wasm_bpf_app__stop). Until the run
 * returns, a timer repeats the request every STOP_TICK_NS, so a wake-up
 * that missed a syscall does not leave the guest blocked in it.
 *
 * Exit status: the guest's own exit code (also when it returns after a
 * stop); 0 when a stop had to interrupt it; 124 after --timeout; 125 if
 * the module cannot be loaded or linked; 134 if the guest trapped or ran
 * out of fuel; 2 for a usage error.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "runtime/cmd.h"
#include "runtime/cmd_help.h"
#include "runtime/cmd_image.h"
#include "runtime/wasm_bpf.h"
#include "tools/gen/gen.h"

#define EXIT_USAGE	     2
#define EXIT_TIMEOUT	     124
#define STOP_TIMEOUT_DEFAULT 5.0
#define MAX_SECONDS	     2147483647.0 /* 68 years */
#define STOP_TICK_NS	     100000000L	  /* a stop is asked again */

/* Shared with the signal handler. g_app is set while the app may hold BPF
 * objects; before that a stop simply exits. */
static struct wasm_bpf_app *volatile g_app;
static volatile sig_atomic_t g_phase; /* 0 running, 1 graceful, 2 hard */
static volatile sig_atomic_t g_timed_out;
static timer_t g_timer;
static double g_stop_timeout;
static struct timespec g_deadline; /* of the graceful phase */

struct cli {
	struct wasm_bpf_app_opts opts;
	struct wbpf_image_run img; /* --pull, --verify-key */
	double timeout, stop_timeout;
	const char **dirs, **envs, **fds, **spawns, **pids;
	int ndirs, nenvs, nfds, nspawns, npids;
	const char *module;
	const char *policy;
	const char *bad_opt;
	int argc; /* guest argv: module path, then the rest */
	char **argv;
};

static void usage(FILE *f)
{
	cmd_help(HELP_RUN, f);
}

/* Seconds: finite, from 0 to MAX_SECONDS ("inf" and "1e30" included in
 * what strtod takes, and they would overflow a time_t). */
static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !isfinite(v) || v < 0 || v > MAX_SECONDS)
		return -1;
	*out = v;
	return 0;
}

static int push(const char ***v, int *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

enum {
	OPT_DIR = 256,
	OPT_ENV,
	OPT_FD,
	OPT_TIMEOUT,
	OPT_STOP_TIMEOUT,
	OPT_FUEL,
	OPT_MAXMEM,
	OPT_BTF,
	OPT_BTF_CACHE,
	OPT_NO_BTF_CACHE,
	OPT_NO_CODE_CACHE,
	OPT_INTERP,
	OPT_PERFBUF,
	OPT_NO_HOST_VIEW,
	OPT_POLICY,
	OPT_PULL,
	OPT_VERIFY_KEY,
	OPT_BACKEND,
	OPT_SPAWN,
	OPT_PID,
	OPT_EVENT_RATE,
	OPT_EVENT_BURST,
};

static const struct option long_opts[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"env", required_argument, NULL, OPT_ENV},
    {"fd", required_argument, NULL, OPT_FD},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"fuel", required_argument, NULL, OPT_FUEL},
    {"max-memory", required_argument, NULL, OPT_MAXMEM},
    {"btf", required_argument, NULL, OPT_BTF},
    {"btf-cache", required_argument, NULL, OPT_BTF_CACHE},
    {"no-btf-cache", no_argument, NULL, OPT_NO_BTF_CACHE},
    {"no-code-cache", no_argument, NULL, OPT_NO_CODE_CACHE},
    {"interp", no_argument, NULL, OPT_INTERP},
    {"force-perfbuf", no_argument, NULL, OPT_PERFBUF},
    {"no-host-view", no_argument, NULL, OPT_NO_HOST_VIEW},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"spawn", required_argument, NULL, OPT_SPAWN},
    {"pid", required_argument, NULL, OPT_PID},
    {"max-event-rate", required_argument, NULL, OPT_EVENT_RATE},
    {"event-burst", required_argument, NULL, OPT_EVENT_BURST},
    {"wrapper-module-name", required_argument, NULL, 'm'},
    {"callback-export-name", required_argument, NULL, 'c'},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"pull", required_argument, NULL, OPT_PULL},
    {"verify-key", required_argument, NULL, OPT_VERIFY_KEY},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "wasm-bpf: invalid %s: %s\n", what, arg);
	return EXIT_USAGE;
}

/* One option; -1 to go on, otherwise the status to exit with. */
static int parse_opt(struct cli *c, int o, const char *arg)
{
	char *end;

	switch (o) {
	case OPT_DIR:
		return push(&c->dirs, &c->ndirs, arg) ? EXIT_FAILURE : -1;
	case OPT_ENV:
		return push(&c->envs, &c->nenvs, arg) ? EXIT_FAILURE : -1;
	case OPT_FD: {
		long fd = strtol(arg, &end, 10);
		if (*end || end == arg || fd < 0 || fd > INT32_MAX ||
		    fcntl((int)fd, F_GETFD) < 0)
			return bad("--fd (not an open descriptor)", arg);
		return push(&c->fds, &c->nfds, arg) ? EXIT_FAILURE : -1;
	}
	case OPT_TIMEOUT:
		return parse_seconds(arg, &c->timeout)
			   ? bad("--timeout (seconds, 0 to 2147483647)", arg)
			   : -1;
	case OPT_STOP_TIMEOUT:
		return parse_seconds(arg, &c->stop_timeout)
			   ? bad("--stop-timeout (seconds, 0 to 2147483647)",
				 arg)
			   : -1;
	case OPT_FUEL:
		return policy__parse_size(arg, &c->opts.fuel) || !c->opts.fuel
			   ? bad("--fuel (1 to 2^64-1 instructions)", arg)
			   : -1;
	case OPT_MAXMEM:
		return policy__parse_size(arg, &c->opts.max_memory) ||
			       c->opts.max_memory < (64u << 10) ||
			       c->opts.max_memory > (4ull << 30)
			   ? bad("--max-memory (64K to 4G)", arg)
			   : -1;
	case OPT_EVENT_RATE:
		return policy__parse_size(arg, &c->opts.max_event_rate) ||
			       c->opts.max_event_rate > 1000000000
			   ? bad("--max-event-rate (records a second, up to 1G; "
				 "0: none)",
				 arg)
			   : -1;
	case OPT_EVENT_BURST:
		return policy__parse_size(arg, &c->opts.event_burst)
			   ? bad("--event-burst (records)", arg)
			   : -1;
	case OPT_BTF:
		c->opts.btf_path = arg;
		return -1;
	case OPT_BTF_CACHE:
		if (!*arg)
			return bad("--btf-cache", "(empty)");
		c->opts.btf_cache_dir = arg;
		return -1;
	case OPT_NO_BTF_CACHE:
		c->opts.no_btf_cache = true;
		return -1;
	case OPT_NO_CODE_CACHE:
		c->opts.no_code_cache = true;
		return -1;
	case OPT_INTERP:
		c->opts.interp = true;
		return -1;
	case OPT_PERFBUF:
		c->opts.force_perfbuf = true;
		return -1;
	case OPT_NO_HOST_VIEW:
		c->opts.no_host_view = true;
		return -1;
	case OPT_BACKEND:
		if (strcmp(arg, "kernel") && strcmp(arg, "user") &&
		    strcmp(arg, "auto"))
			return bad("--backend (kernel, user or auto)", arg);
		c->opts.backend = arg;
		return -1;
	case OPT_SPAWN:
		if (!*arg)
			return bad("--spawn", "(empty)");
		return push(&c->spawns, &c->nspawns, arg) ? EXIT_FAILURE : -1;
	case OPT_PID: {
		char *end;
		long v = strtol(arg, &end, 10);

		if (*end || end == arg || v <= 0 || v > INT_MAX)
			return bad("--pid (a process id)", arg);
		return push(&c->pids, &c->npids, arg) ? EXIT_FAILURE : -1;
	}
	case 'm':
		if (!*arg)
			return bad("--wrapper-module-name", "(empty)");
		c->opts.go_poll_module = arg;
		return -1;
	case 'c':
		if (!*arg)
			return bad("--callback-export-name", "(empty)");
		c->opts.go_callback_export = arg;
		return -1;
	case OPT_POLICY:
		c->policy = arg;
		return -1;
	case OPT_PULL:
	case OPT_VERIFY_KEY:
		return wbpf_image_run_opt(&c->img, o == OPT_PULL, arg);
	case 'v':
		c->opts.verbose = true;
		return -1;
	case 'V':
		printf("wasm-bpf %s\n", WASM_BPF_VERSION);
		return 0;
	case 'h':
		usage(stdout);
		return 0;
	default:
		fprintf(stderr,
			"wasm-bpf: bad option %s (see wasm-bpf --help)\n",
			c->bad_opt);
		return EXIT_USAGE;
	}
}

/* "+": options end at the first argument that is none (the module). */
#define SHORT_OPTS "+hvVm:c:"

/* Options of argv[1..argc-1]; stops at the first non-option (optind then
 * points at it). -1 to go on, otherwise the status to exit with. */
static int parse_opts(struct cli *c, int argc, char **argv)
{
	int o, r;

	optind = 0; /* a fresh scan, also of another vector */
	opterr = 0; /* our own message, without the full path of argv[0] */
	while ((o = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) !=
	       -1) {
		c->bad_opt = argv[optind - 1];
		r = parse_opt(c, o, optarg);
		if (r >= 0)
			return r;
	}
	return -1;
}

/* Whether argv[1..argc-1] are runtime options and nothing else. */
static bool all_opts(int argc, char **argv)
{
	int o;

	optind = 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) !=
	       -1)
		if (o == '?' || o == ':')
			return false;
	return optind == argc;
}

/* Upstream's convention, `MODULE [RUNTIME OPTIONS] -- GUEST ARGS`: when
 * what lies between the module and the first `--` is runtime options
 * (or nothing), they are the runtime's and the `--` is dropped. Anything
 * else after the module is the guest's, as is. `mod` indexes the module;
 * -1 to go on, otherwise the status to exit with. */
static int take_trailing_opts(struct cli *c, int argc, char **argv, int mod)
{
	int dd = mod + 1, r;

	while (dd < argc && strcmp(argv[dd], "--"))
		dd++;
	if (dd == argc)
		return -1;
	/* argv[mod] stands in for argv[0] of the scan. */
	if (!all_opts(dd - mod, argv + mod))
		return -1;
	r = parse_opts(c, dd - mod, argv + mod);
	if (r >= 0)
		return r;
	/* The guest's argv: the module, then what follows the `--`. */
	memmove(argv + mod + 1, argv + dd + 1, (argc - dd - 1) * sizeof(*argv));
	c->argc = 1 + argc - dd - 1;
	return -1;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	int mod, r;

	c->opts.sz = sizeof(c->opts);
	c->stop_timeout = STOP_TIMEOUT_DEFAULT;
	/* Upstream's sockops names its cgroup by path; until a capability
	 * policy decides which cgroups a guest may name, root may. */
	c->opts.allow_cgroup_paths = geteuid() == 0;
	r = parse_opts(c, argc, argv);
	if (r >= 0)
		return r;
	if (optind >= argc) {
		fprintf(stderr, "wasm-bpf: no module given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	mod = optind;
	c->module = argv[mod];
	c->argc = argc - mod;
	c->argv = argv + mod;
	return take_trailing_opts(c, argc, argv, mod);
}

static int configure(struct wasm_bpf_app *app, const struct cli *c)
{
	int i, r = wasm_bpf_app__set_args(app, c->argc,
					  (const char *const *)c->argv);
	char *sep, *host, *buf;

	for (i = 0; !r && i < c->ndirs; i++) {
		buf = strdup(c->dirs[i]);
		if (!buf)
			return -ENOMEM;
		host = buf;
		sep = strstr(buf, "::");
		if (sep)
			*sep = 0;
		r = wasm_bpf_app__add_preopen(app, host, sep ? sep + 2 : host);
		free(buf);
	}
	for (i = 0; !r && i < c->nenvs; i++) {
		const char *kv = c->envs[i], *val;
		char tmp[4096];

		if (!strchr(kv, '=')) {
			val = getenv(kv);
			if (!val)
				continue;
			snprintf(tmp, sizeof(tmp), "%s=%s", kv, val);
			kv = tmp;
		}
		r = wasm_bpf_app__add_env(app, kv);
	}
	for (i = 0; !r && i < c->nfds; i++)
		r = wasm_bpf_app__add_fd(app, atoi(c->fds[i]));
	return r;
}

static void arm(double first, long interval_ns)
{
	struct itimerspec it = {
	    .it_value = {(time_t)first, (long)((first - (time_t)first) * 1e9)},
	    .it_interval = {0, interval_ns},
	};

	if (!it.it_value.tv_sec && !it.it_value.tv_nsec)
		it.it_value.tv_nsec = 1;
	timer_settime(g_timer, 0, &it, NULL);
}

static bool past(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* The stop's next phase: a request (a signal, or --timeout) moves it on;
 * a tick only once the grace period is over. */
static void advance(int sig)
{
	struct timespec now;
	double t = g_stop_timeout;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (sig == SIGALRM && g_phase) {
		if (g_phase == 1 && past(&now, &g_deadline))
			g_phase = 2;
		return;
	}
	if (sig == SIGALRM)
		g_timed_out = 1;
	if (g_phase++ || !t) {
		g_phase = 2;
	} else {
		g_deadline.tv_sec = now.tv_sec + (time_t)t;
		g_deadline.tv_nsec =
		    now.tv_nsec + (long)((t - (time_t)t) * 1e9);
		if (g_deadline.tv_nsec >= 1000000000L) {
			g_deadline.tv_sec++;
			g_deadline.tv_nsec -= 1000000000L;
		}
	}
	arm(t && t < STOP_TICK_NS / 1e9 ? t : STOP_TICK_NS / 1e9, STOP_TICK_NS);
}

static void on_signal(int sig)
{
	struct wasm_bpf_app *app = g_app;

	advance(sig);
	/* Nothing to wind down before the app exists: no BPF object yet. */
	if (!app)
		_exit(g_timed_out ? EXIT_TIMEOUT : 0);
	if (g_phase == 1)
		wasm_bpf_app__stop_graceful(app);
	else
		wasm_bpf_app__stop(app);
}

/* First thing, before the module is read: a stop during a slow load
 * exits 0 instead of the default 143. No SA_RESTART: a syscall the guest
 * is blocked in (poll, read) fails with EINTR and sees the stop. */
static int install_signals(double stop_timeout)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL,
			       .sigev_signo = SIGALRM};

	g_stop_timeout = stop_timeout;
	if (timer_create(CLOCK_MONOTONIC, &sev, &g_timer)) {
		fprintf(stderr, "wasm-bpf: cannot create a timer: %s\n",
			strerror(errno));
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGALRM);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	/* A closed pipe is an error for the guest to handle, not a reason to
	 * die with BPF objects still attached. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int report(struct wasm_bpf_app *app, int status)
{
	switch (wasm_bpf_app__end(app)) {
	case WASM_BPF_END_TRAP:
		fprintf(stderr, "wasm-bpf: trap: %s\n",
			wasm_bpf_app__errmsg(app));
		return WASM_BPF_EXIT_TRAP;
	case WASM_BPF_END_ERROR:
		fprintf(stderr, "wasm-bpf: %s\n", wasm_bpf_app__errmsg(app));
		return WASM_BPF_EXIT_ERROR;
	case WASM_BPF_END_STOPPED:
		return g_timed_out ? EXIT_TIMEOUT : 0;
	default: /* returned, maybe after a stop */
		return g_timed_out ? EXIT_TIMEOUT : status;
	}
}

/* What the guest was handed, after the run: always when the event rate
 * limit kept records from it (they are gone without a trace otherwise),
 * with -v in any case. */
static void summary(const struct wasm_bpf_app *app, bool verbose)
{
	struct wasm_bpf_app_stats st = {.sz = sizeof(st)};
	uint64_t burst, rate = wasm_bpf_app__event_rate(app, &burst);

	if (wasm_bpf_app__stats(app, &st) || (!verbose && !st.dropped_events))
		return;
	fprintf(stderr,
		"wasm-bpf: events: %llu delivered, %llu dropped by the rate "
		"limit, %llu lost by the kernel",
		(unsigned long long)st.events,
		(unsigned long long)st.dropped_events,
		(unsigned long long)st.lost_events);
	if (rate)
		fprintf(stderr, " (limit %llu/s, burst %llu)",
			(unsigned long long)rate, (unsigned long long)burst);
	fprintf(stderr, "\n");
}

static int run_app(struct cli *c)
{
	struct wasm_error err = {{0}};
	struct wasm_bpf_app *app;
	int status, *pids;

	if ((c->nspawns || c->npids) &&
	    (!c->opts.backend || !strcmp(c->opts.backend, "kernel"))) {
		fprintf(stderr, "wasm-bpf: %s needs --backend user or auto\n",
			c->nspawns ? "--spawn" : "--pid");
		return EXIT_USAGE;
	}
	c->opts.spawn = c->spawns;
	c->opts.nspawn = c->nspawns;
	pids = calloc(c->npids + 1, sizeof(*pids));
	if (!pids)
		return WASM_BPF_EXIT_ERROR;
	for (int i = 0; i < c->npids; i++)
		pids[i] = atoi(c->pids[i]);
	c->opts.pids = pids;
	c->opts.npids = c->npids;
	app = wbpf_image_open(c->module, &c->img, &c->opts, &err);
	free(pids); /* the app keeps its own copy */
	c->opts.pids = NULL;
	if (!app) {
		fprintf(stderr, "wasm-bpf: %s: %s\n", c->module, err.msg);
		return WASM_BPF_EXIT_ERROR;
	}
	if (configure(app, c)) {
		fprintf(stderr, "wasm-bpf: out of memory\n");
		wasm_bpf_app__free(app);
		return WASM_BPF_EXIT_ERROR;
	}
	/* From here a stop goes through the app (one before its run makes
	 * the run end at once). */
	g_app = app;
	status = report(app, wasm_bpf_app__run(app));
	summary(app, c->opts.verbose);
	/* Ignore late signals: the app is about to go away. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGALRM, SIG_IGN);
	timer_delete(g_timer);
	g_app = NULL;
	wasm_bpf_app__free(app);
	return status;
}

static int run(struct cli *c)
{
	struct policy *pol;
	int r = wbpf_cli_policy(c->policy, &pol);

	if (!r && pol)
		r = wbpf_cli_check_run(pol, &c->opts.max_memory, &c->opts.fuel,
				       &c->timeout, c->dirs, c->ndirs, c->fds,
				       c->nfds);
	c->opts.policy = pol;
	/* The policy may have set the timeout: armed once it is known. */
	if (!r && c->timeout > 0)
		arm(c->timeout, 0);
	if (!r)
		r = run_app(c);
	policy__free(pol);
	return r;
}

int main(int argc, char **argv)
{
	struct cli c = {.module = NULL};
	int r;

	if (argc > 1 && !strcmp(argv[1], "gen"))
		return wbpf_gen_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "check"))
		return wbpf_check_main(argc - 1, argv + 1);
	if (argc > 1 && wbpf_image_is_cmd(argv[1]))
		return wbpf_image_main(argc - 1, argv + 1);
	if (wbpf_daemon_cmd(argc, argv))
		return wbpf_daemon_main(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "run")) {
		argc--;
		argv++;
	}
	r = parse_args(&c, argc, argv);
	if (r < 0 && install_signals(c.stop_timeout))
		r = EXIT_FAILURE;
	if (r < 0)
		r = run(&c);
	free(c.dirs);
	free(c.envs);
	free(c.fds);
	free(c.img.keys);
	free(c.spawns);
	free(c.pids);
	return r;
}
