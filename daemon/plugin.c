/* plugin.c — the plugin table (plugin.h): start, watch, pause, upgrade,
 * stop. A plugin is one version running at a time (struct run); during an
 * upgrade two overlap, the new one taking the old one's maps. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "daemon/image.h"
#include "daemon/jsonlog.h"
#include "daemon/output.h"
#include "daemon/plugin.h"
#include "daemon/state.h"
#include "policy/policy.h"
#include "runtime/wasm_bpf.h"

/* How often limits are checked; how long an upgrade's new version may
 * take to attach; how long a graceful stop may take. */
#define WATCH_MS       100
#define ATTACH_WAIT_MS 10000
#define STOP_GRACE_MS  5000

struct plugin;

/* One version of a plugin, running on its own thread. */
struct run {
	struct plugin *p;
	struct wasm_bpf_app *app;
	pthread_t run_thread;
	struct linebuf lb[2]; /* stdout's and stderr's partial lines */
	time_t started;
	double started_mono, ended_mono;
	double timeout;	    /* the spec's, or the policy's wasm.max_time */
	struct policy *pol; /* its own policy file's, freed with it */
	const char *signer; /* the trusted key its image verified with */
	/* Under table_lock: */
	bool ended, timed_out;
	int status;
	enum wasm_bpf_end end;
	char errmsg[512];
	/* The host's first line about it ("wasm_bpf: ..."), such as a policy
	 * refusal: a failed upgrade names it. Written on its thread only,
	 * read once `ended` is set. */
	char host_said[256];
};

/* What a version runs under: its own policy file or the daemon's, and
 * the limits of its spec within that policy's (policy__check_run). */
struct run_cfg {
	struct policy *own; /* NULL: the daemon's */
	const struct policy *pol;
	uint64_t fuel, max_memory;
	double timeout;
	const char *signer; /* set by open_app: image.h */
};

struct plugin {
	struct plugin_spec spec;
	struct run *cur; /* NULL while pulling or after a failed pull */
	/* A start that pulls first (plugin.h): its thread, which only it
	 * and the one that forgets the plugin touch. */
	pthread_t pull_thread;
	bool has_pull_thread;
	struct run_cfg pull_cfg; /* what it runs under once pulled */
	volatile int pull_cancel;
	int pull_pct;	   /* the last quarter logged of the current transfer */
	struct output out; /* every version's output */
	/* Under table_lock: */
	bool pulling;
	char pull_error[600]; /* a failed pull: the plugin's error */
	bool paused;
	bool stopping; /* by the daemon: its record stays as it is */
	bool busy;     /* an upgrade is under way */
	struct plugin *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct plugin *table;
static char *state_dir;
static size_t log_bytes = 64 * 1024;
static const struct policy *default_policy;
static pthread_t watcher;
static atomic_int watching;
/* For the suite only ($WASM_BPFD_TEST_WRITE_DELAY_US): every guest write
 * takes this long, as a plugin with slow event callbacks would, so an
 * upgrade's switch-over happens while the old version is delivering. */
static long write_delay_us;

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct plugin *find(const char *id)
{
	for (struct plugin *p = table; p; p = p->next)
		if (!strcmp(p->spec.id, id))
			return p;
	return NULL;
}

static void new_id(char *id)
{
	unsigned char r[PLUGIN_ID_LEN / 2];

	do {
		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			for (size_t i = 0; i < sizeof(r); i++)
				r[i] = (unsigned char)rand();
		for (size_t i = 0; i < sizeof(r); i++)
			sprintf(id + 2 * i, "%02x", r[i]);
	} while (find(id));
}

static void log_line(struct plugin *p, const char *fmt, const char *a)
{
	char line[640];

	snprintf(line, sizeof(line), fmt, a);
	output_daemon_line(&p->out, line);
}

/* ---- state records ------------------------------------------------------ */

static void record(struct plugin *p, bool ended)
{
	cJSON *j;

	if (!state_dir)
		return;
	j = plugin_spec_json(&p->spec);
	cJSON_AddBoolToObject(j, "ended", ended);
	if (state_write(state_dir, p->spec.id, j))
		dlog("cannot record plugin %s in %s", p->spec.id, state_dir);
	cJSON_Delete(j);
}

/* ---- threads ------------------------------------------------------------ */

/* The guest's stdout and stderr, straight into its plugin's log on the
 * guest's thread (no pipe, no reader thread): everything it wrote is there
 * when its run returns. */
static ssize_t log_write(struct wasm_bpf_app *app, int stream, const void *buf,
			 size_t len, void *user)
{
	struct run *r = user;

	(void)app;
	if (write_delay_us) {
		struct timespec ts = {write_delay_us / 1000000,
				      write_delay_us % 1000000 * 1000};

		nanosleep(&ts, NULL);
	}
	output_write(&r->p->out, stream == 2 ? "stderr" : "stdout",
		     &r->lb[stream == 2], buf, len);
	if (stream == 2 && !r->host_said[0] && len > 10 &&
	    !memcmp(buf, "wasm_bpf: ", 10)) {
		const char *nl = memchr(buf, '\n', len);
		int n = (int)(nl ? (size_t)(nl - (const char *)buf) : len);

		snprintf(r->host_said, sizeof(r->host_said), "%.*s", n,
			 (const char *)buf);
	}
	return (ssize_t)len;
}

static const char *end_str(enum wasm_bpf_end e)
{
	switch (e) {
	case WASM_BPF_END_EXIT:
		return "exited";
	case WASM_BPF_END_TRAP:
		return "trapped";
	case WASM_BPF_END_STOPPED:
		return "stopped";
	case WASM_BPF_END_ERROR:
		return "failed";
	default:
		return "running";
	}
}

static void *run_main(void *arg)
{
	struct run *r = arg;
	struct plugin *p = r->p;
	int status = wasm_bpf_app__run(r->app);
	char said[600];

	/* Its last lines, even without a newline. */
	output_write(&p->out, "stdout", &r->lb[0], NULL, 0);
	output_write(&p->out, "stderr", &r->lb[1], NULL, 0);
	pthread_mutex_lock(&table_lock);
	r->status = status;
	r->end = wasm_bpf_app__end(r->app);
	snprintf(r->errmsg, sizeof(r->errmsg), "%s",
		 r->timed_out ? "timeout" : wasm_bpf_app__errmsg(r->app));
	snprintf(said, sizeof(said), "%s %s, status %d%s%s",
		 r == p->cur ? "plugin"
		 : r->started_mono < p->cur->started_mono
		     ? "previous version"
		     : "new version (refused)",
		 end_str(r->end), status, r->errmsg[0] ? ": " : "", r->errmsg);
	/* Logged before it shows as ended (both under table_lock): a
	 * follower that sees the end has the line. */
	log_line(p, "wasm-bpfd: %s\n", said);
	r->ended = true;
	r->ended_mono = mono_now();
	/* Ended by itself (or its limits): not to be restored. */
	if (r == p->cur && !p->stopping)
		record(p, true);
	pthread_mutex_unlock(&table_lock);
	return NULL;
}

/* Ends plugins that outlived their timeout. */
static void *watch_main(void *arg)
{
	struct timespec ts = {0, WATCH_MS * 1000000L};

	(void)arg;
	while (atomic_load(&watching)) {
		double now = mono_now();

		pthread_mutex_lock(&table_lock);
		for (struct plugin *p = table; p; p = p->next) {
			struct run *r = p->cur;

			if (r && !r->ended && !r->timed_out && r->timeout > 0 &&
			    now - r->started_mono >= r->timeout) {
				r->timed_out = true;
				wasm_bpf_app__stop(r->app);
			}
		}
		pthread_mutex_unlock(&table_lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void plugins_init(const char *dir, size_t log_cap, const struct policy *pol)
{
	const char *delay = getenv("WASM_BPFD_TEST_WRITE_DELAY_US");

	default_policy = pol;
	state_dir = dir ? strdup(dir) : NULL;
	if (log_cap)
		log_bytes = log_cap;
	write_delay_us = delay ? strtol(delay, NULL, 10) : 0;
	write_delay_us = write_delay_us > 0 ? write_delay_us : 0;
	atomic_store(&watching, 1);
	pthread_create(&watcher, NULL, watch_main, NULL);
}

/* ---- one version ------------------------------------------------------ */

static int run_cfg(const struct plugin_spec *s, struct run_cfg *c, char *why,
		   size_t why_len)
{
	struct policy_run pr = {
	    .max_memory = &c->max_memory, .fuel = &c->fuel, .timeout = &c->timeout};
	char err[512];

	*c = (struct run_cfg){.pol = default_policy,
			      .fuel = s->fuel,
			      .max_memory = s->max_memory,
			      .timeout = s->timeout};
	if (s->policy) {
		c->own = policy__load_file(s->policy, err, sizeof(err));
		if (!c->own) {
			snprintf(why, why_len, "policy: %s", err);
			return -EINVAL;
		}
		c->pol = c->own;
	}
	if (c->pol && policy__check_run(c->pol, &pr, why, why_len)) {
		policy__free(c->own);
		c->own = NULL;
		return -EINVAL;
	}
	return 0;
}

/* An app for `s` under `c` that shares its maps with a successor and,
 * given `from`, takes over that one's. */
static struct wasm_bpf_app *open_app(const struct plugin_spec *s,
				     struct run_cfg *c,
				     const struct wasm_bpf_app *from, char *why,
				     size_t why_len)
{
	struct wasm_bpf_app_opts o = {.sz = sizeof(o),
				      .fuel = c->fuel,
				      .max_memory = c->max_memory,
				      .policy = c->pol,
				      .max_event_rate = s->max_event_rate,
				      .event_burst = s->event_burst};
	struct wasm_error err = {{0}};
	struct wasm_bpf_app *app = NULL;
	const char **argv;
	char msg[512];
	int r = 0;

	if (s->module[0] == '/')
		app = wasm_bpf_app__open_file(s->module, &o, &err);
	else
		app = image_open(s->module, &o, &c->signer, msg, sizeof(msg));
	if (!app) {
		snprintf(why, why_len, "%s: %s", s->module,
			 s->module[0] == '/' ? err.msg : msg);
		return NULL;
	}
	argv = calloc(s->nargs + 1, sizeof(*argv));
	if (!argv) {
		wasm_bpf_app__free(app);
		return NULL;
	}
	argv[0] = s->name;
	for (int i = 0; i < s->nargs; i++)
		argv[i + 1] = s->args[i];
	r = wasm_bpf_app__set_args(app, s->nargs + 1, argv);
	for (int i = 0; !r && i < s->nenv; i++)
		r = wasm_bpf_app__add_env(app, s->env[i]);
	if (!r)
		r = wasm_bpf_app__share_maps(app);
	if (!r && from)
		r = wasm_bpf_app__reuse_maps(app, from);
	free(argv);
	if (r) {
		snprintf(why, why_len, "%s", strerror(-r));
		wasm_bpf_app__free(app);
		return NULL;
	}
	return app;
}

/* Starts `app` (taken over, with c->own) as a version of `p`. */
static struct run *run_start(struct plugin *p, struct wasm_bpf_app *app,
			     struct run_cfg *c, char *why, size_t why_len)
{
	struct run *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(why, why_len, "cannot start: out of memory");
		wasm_bpf_app__free(app);
		policy__free(c->own);
		return NULL;
	}
	r->p = p;
	r->app = app;
	r->pol = c->own;
	r->timeout = c->timeout;
	r->signer = c->signer;
	wasm_bpf_app__set_stdio(app, -1, -1, -1);
	wasm_bpf_app__set_stdio_callbacks(app, NULL, log_write, r);
	r->started = time(NULL);
	r->started_mono = mono_now();
	if (pthread_create(&r->run_thread, NULL, run_main, r)) {
		wasm_bpf_app__free(app);
		free(r);
		snprintf(why, why_len, "cannot start a thread");
		return NULL;
	}
	return r;
}

/* Ends a version and waits for its thread: a graceful stop first (the
 * guest winds down, its last words land in the log), asked again every
 * 100 ms as the runtime wants, a hard one after STOP_GRACE_MS. */
static void run_stop(struct run *r)
{
	struct timespec ts;

	for (int waited = 0; waited < STOP_GRACE_MS; waited += 100) {
		wasm_bpf_app__stop_graceful(r->app);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!pthread_timedjoin_np(r->run_thread, NULL, &ts))
			return;
	}
	wasm_bpf_app__stop(r->app);
	pthread_join(r->run_thread, NULL);
}

/* malloc_trim: an ended version's memory (its module, code and the
 * libbpf object's buffers, freed on the plugin's own thread and arena)
 * would otherwise stay in the daemon's heaps: ~7 MB after ten bootstrap
 * plugins came and went, and more with every round. */
static void run_free(struct run *r)
{
	wasm_bpf_app__free(r->app);
	policy__free(r->pol); /* the app used it until now */
	free(r);
	malloc_trim(0);
}

static void run_finish(struct run *r)
{
	run_stop(r);
	run_free(r);
}

/* ---- start -------------------------------------------------------------- */

static void plugin_free(struct plugin *p)
{
	output_free(&p->out);
	plugin_spec_free(&p->spec);
	free(p);
}

/* ---- pulls -------------------------------------------------------------- */

/* A transfer's progress in the plugin's log, a line per quarter. */
static void pull_progress(void *ctx, int64_t done, int64_t total)
{
	struct plugin *p = ctx;
	int pct = total > 0 ? (int)(done * 4 / total) * 25 : 0;
	char what[96];

	if (total <= 0 || pct == p->pull_pct)
		return;
	p->pull_pct = pct;
	snprintf(what, sizeof(what), "%d%% of %lld bytes", pct,
		 (long long)total);
	log_line(p, "wasm-bpfd: pulling: %s\n", what);
}

/* Pulls `module` for `p` under the image rules of `pol` (NULL: none),
 * saying so in its log. 0 or a negative errno with `why`. */
static int pull_for(struct plugin *p, const char *module,
		    const struct policy *pol, char *why, size_t why_len)
{
	int err;

	log_line(p, "wasm-bpfd: pulling %s\n", module);
	p->pull_pct = -1;
	err = image_pull(module, pol, pull_progress, p, &p->pull_cancel, why,
			 why_len);
	log_line(p, "wasm-bpfd: %s\n", err ? why : "pulled");
	return err;
}

/* The thread of a start that pulls: pull, then run (unless the plugin
 * was removed meanwhile), or end as failed. */
static void *pull_main(void *arg)
{
	struct plugin *p = arg;
	struct run_cfg *cfg = &p->pull_cfg;
	struct wasm_bpf_app *app = NULL;
	char why[600] = "";
	bool pulled = !pull_for(p, p->spec.module, cfg->pol, why, sizeof(why)),
	     failed;

	if (pulled)
		app = open_app(&p->spec, cfg, NULL, why, sizeof(why));
	pthread_mutex_lock(&table_lock);
	p->pulling = false;
	if (app && !p->stopping) {
		p->cur = run_start(p, app, cfg, why, sizeof(why));
	} else {
		wasm_bpf_app__free(app);
		policy__free(cfg->own);
	}
	cfg->own = NULL; /* the run's now, or freed */
	failed = !p->cur && !p->stopping;
	if (failed) { /* ended: not restored */
		snprintf(p->pull_error, sizeof(p->pull_error), "%s", why);
		record(p, true);
	}
	pthread_mutex_unlock(&table_lock);
	if (failed && pulled) /* a pull's failure is in the log already */
		log_line(p, "wasm-bpfd: %s\n", why);
	return NULL;
}

int plugins_start(struct plugin_spec *spec, char *id, char *why, size_t why_len)
{
	struct plugin *p = calloc(1, sizeof(*p));
	struct wasm_bpf_app *app = NULL;
	struct run_cfg cfg;
	bool pull;

	if (!p || output_init(&p->out, log_bytes, p->spec.id, spec->name)) {
		free(p);
		plugin_spec_free(spec);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	p->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	if (run_cfg(&p->spec, &cfg, why, why_len)) {
		plugin_free(p);
		return -EINVAL;
	}
	pull = image_needs_pull(p->spec.module, p->spec.pull);
	if (!pull && !(app = open_app(&p->spec, &cfg, NULL, why, why_len))) {
		policy__free(cfg.own);
		plugin_free(p);
		return -EINVAL;
	}
	pthread_mutex_lock(&table_lock);
	if (p->spec.id[0] && find(p->spec.id)) {
		pthread_mutex_unlock(&table_lock);
		snprintf(why, why_len, "plugin %s exists", p->spec.id);
		wasm_bpf_app__free(app);
		policy__free(cfg.own);
		plugin_free(p);
		return -EEXIST;
	}
	if (!p->spec.id[0])
		new_id(p->spec.id);
	if (pull) {
		p->pull_cfg = cfg;
		p->pulling = true;
		p->has_pull_thread =
		    !pthread_create(&p->pull_thread, NULL, pull_main, p);
	} else
		p->cur = run_start(p, app, &cfg, why, why_len);
	if (pull && !p->has_pull_thread) {
		snprintf(why, why_len, "cannot start a thread");
		pthread_mutex_unlock(&table_lock);
		policy__free(cfg.own);
		plugin_free(p);
		return -EAGAIN;
	}
	if (!pull && !p->cur) {
		pthread_mutex_unlock(&table_lock);
		plugin_free(p);
		return -EAGAIN;
	}
	p->next = table;
	table = p;
	memcpy(id, p->spec.id, PLUGIN_ID_LEN + 1);
	record(p, false);
	pthread_mutex_unlock(&table_lock);
	return pull ? PLUGIN_PULLING : 0;
}

/* ---- look --------------------------------------------------------------- */

static const char *state_of(const struct plugin *p,
			    const struct wasm_bpf_app_stats *st)
{
	if (!p->cur)
		return p->pulling ? "pulling" : "failed";
	if (p->cur->ended)
		return end_str(p->cur->end);
	if (p->paused)
		return st->paused ? "paused" : "pausing";
	return "running";
}

/* Under table_lock. A plugin still pulling (or whose pull failed) has
 * no run yet: its counters are zeros. */
static cJSON *describe(const struct plugin *p)
{
	static const struct run none = {.ended = true};
	const struct run *r = p->cur ? p->cur : &none;
	struct wasm_bpf_app_stats st = {.sz = sizeof(st)};
	cJSON *j = plugin_spec_json(&p->spec), *bpf = cJSON_CreateObject();
	double up = (r->ended ? r->ended_mono : mono_now()) - r->started_mono;

	if (p->cur)
		wasm_bpf_app__stats(r->app, &st);
	cJSON_AddStringToObject(j, "state", state_of(p, &st));
	if (!p->cur && !p->pulling) {
		cJSON_AddNumberToObject(j, "status", WASM_BPF_EXIT_ERROR);
		cJSON_AddStringToObject(j, "error", p->pull_error);
	} else if (p->cur && r->ended) {
		cJSON_AddNumberToObject(j, "status", r->status);
		cJSON_AddStringToObject(j, "error", r->errmsg);
	}
	if (r->signer) {
		char sig[4300];

		snprintf(sig, sizeof(sig), "verified by %s", r->signer);
		cJSON_AddStringToObject(j, "signature", sig);
	}
	cJSON_AddNumberToObject(j, "started", (double)r->started);
	cJSON_AddNumberToObject(j, "uptime", up);
	cJSON_AddNumberToObject(j, "events", (double)st.events);
	cJSON_AddNumberToObject(j, "events_per_s", up > 0 ? st.events / up : 0);
	cJSON_AddNumberToObject(j, "lost_events", (double)st.lost_events);
	cJSON_AddNumberToObject(j, "dropped_events", (double)st.dropped_events);
	cJSON_AddNumberToObject(j, "callback_ns", (double)st.callback_ns);
	cJSON_AddNumberToObject(j, "memory", st.memory_pages * 65536.0);
	if (p->spec.fuel)
		cJSON_AddNumberToObject(j, "fuel_left", (double)st.fuel_left);
	cJSON_AddNumberToObject(bpf, "programs", (double)st.progs);
	cJSON_AddNumberToObject(bpf, "maps", (double)st.maps);
	cJSON_AddNumberToObject(bpf, "links", (double)st.links);
	cJSON_AddNumberToObject(bpf, "maps_reused", (double)st.maps_reused);
	cJSON_AddItemToObject(j, "bpf", bpf);
	return j;
}

cJSON *plugins_get(const char *id)
{
	struct plugin *p;
	cJSON *j = NULL;

	pthread_mutex_lock(&table_lock);
	p = find(id);
	if (p)
		j = describe(p);
	pthread_mutex_unlock(&table_lock);
	return j;
}

cJSON *plugins_list(void)
{
	cJSON *a = cJSON_CreateArray();

	pthread_mutex_lock(&table_lock);
	for (struct plugin *p = table; p; p = p->next)
		cJSON_AddItemToArray(a, describe(p));
	pthread_mutex_unlock(&table_lock);
	return a;
}

int plugins_logs(const char *id, bool json, uint64_t since, char **buf,
		 size_t *len, uint64_t *next)
{
	struct plugin *p;
	int r = -ENOENT;

	pthread_mutex_lock(&table_lock);
	p = find(id);
	if (p) {
		r = output_read(&p->out, json, since, buf, len, next);
	}
	pthread_mutex_unlock(&table_lock);
	return r;
}

/* ---- control ------------------------------------------------------------ */

static int set_paused(const char *id, bool pause)
{
	struct plugin *p;
	int r = -ENOENT;

	pthread_mutex_lock(&table_lock);
	p = find(id);
	if (p && (p->busy || !p->cur || p->cur->ended || p->paused == pause))
		r = -EALREADY;
	else if (p) {
		p->paused = pause;
		if (pause)
			wasm_bpf_app__pause(p->cur->app);
		else
			wasm_bpf_app__resume(p->cur->app);
		r = 0;
	}
	pthread_mutex_unlock(&table_lock);
	return r;
}

int plugins_pause(const char *id)
{
	return set_paused(id, true);
}

int plugins_resume(const char *id)
{
	return set_paused(id, false);
}

/* ---- upgrade ------------------------------------------------------------ */

/* Waits until `r` holds as many links as the old version (at least one)
 * or ends. 0 once attached, else -EINVAL with `why`. */
static int wait_attached(struct run *r, uint64_t want, char *why,
			 size_t why_len)
{
	struct wasm_bpf_app_stats st = {.sz = sizeof(st)};
	struct timespec ts = {0, 20000000};

	want = want ? want : 1;
	for (int waited = 0; waited < ATTACH_WAIT_MS; waited += 20) {
		bool ended;

		wasm_bpf_app__stats(r->app, &st);
		pthread_mutex_lock(&table_lock);
		ended = r->ended;
		pthread_mutex_unlock(&table_lock);
		if (ended) {
			snprintf(why, why_len, "the new version ended: %s%s%s",
				 r->errmsg[0] ? r->errmsg : "exited",
				 r->host_said[0] ? "; " : "", r->host_said);
			return -EINVAL;
		}
		if (st.links >= want)
			return 0;
		nanosleep(&ts, NULL);
	}
	snprintf(why, why_len, "the new version did not attach within %d s",
		 ATTACH_WAIT_MS / 1000);
	return -EINVAL;
}

/* Takes the plugin for an upgrade (or a rollback: to spec.previous).
 * -ENOENT, or -EALREADY when busy, ended or with nothing to roll back to. */
static int take(const char *id, struct plugin **out, bool rollback, char *why,
		size_t why_len)
{
	const char *no = NULL;
	struct plugin *p;

	pthread_mutex_lock(&table_lock);
	p = find(id);
	if (!p)
		no = "";
	else if (p->busy)
		no = "is being upgraded";
	else if (!p->cur)
		no = p->pulling ? "is being pulled" : "did not start";
	else if (p->cur->ended)
		no = "is not running";
	else if (p->paused)
		no = "is paused: resume it first";
	else if (rollback && !p->spec.previous)
		no = "has no previous version";
	else
		p->busy = true;
	pthread_mutex_unlock(&table_lock);
	*out = p;
	if (!no)
		return 0;
	if (!p) {
		snprintf(why, why_len, "no plugin %s", id);
		return -ENOENT;
	}
	snprintf(why, why_len, "plugin %s %s", id, no);
	return -EALREADY;
}

/* Swaps in `want`'s arguments, environment, limits, pull policy and
 * policy file (taken over), the old ones freed. Under table_lock. */
static void take_settings(struct plugin_spec *spec, struct plugin_spec *want)
{
	struct plugin_spec old = *spec;

	spec->args = want->args;
	spec->nargs = want->nargs;
	spec->env = want->env;
	spec->nenv = want->nenv;
	spec->pull = want->pull;
	spec->fuel = want->fuel;
	spec->max_memory = want->max_memory;
	spec->timeout = want->timeout;
	spec->max_event_rate = want->max_event_rate;
	spec->event_burst = want->event_burst;
	spec->policy = want->policy;
	want->args = want->env = NULL;
	want->pull = want->policy = NULL;
	want->nargs = want->nenv = 0;
	old.module = old.previous = old.name = NULL;
	plugin_spec_free(&old);
}

/* The upgrade of `id` to `module` (NULL: its previous one), under the
 * policy file `policy` (NULL: as it is); with `want`, also to its
 * arguments, environment, limits, pull policy and policy file. */
static int upgrade(const char *id, const char *module, const char *pull,
		   const char *policy, struct plugin_spec *want, char *why,
		   size_t why_len)
{
	struct wasm_bpf_app_stats old_st = {.sz = sizeof(old_st)};
	struct plugin_spec next = {0};
	struct wasm_bpf_app *app;
	struct plugin *p;
	struct run *r, *old;
	struct run_cfg cfg;
	char *prev, *pol = NULL;
	int err = take(id, &p, !module, why, why_len);

	if (err)
		return err;
	module = module ? module : p->spec.previous;
	/* Only this thread changes p->spec while busy. */
	next = want ? *want : p->spec;
	next.name = p->spec.name;
	next.module = (char *)module;
	if (policy)
		next.policy = (char *)policy;
	err = run_cfg(&next, &cfg, why, why_len);
	if (err)
		goto out;
	err = -EINVAL;
	if (image_needs_pull(module, pull ? pull : p->spec.pull) &&
	    pull_for(p, module, cfg.pol, why, why_len)) {
		policy__free(cfg.own);
		goto out;
	}
	app = open_app(&next, &cfg, p->cur->app, why, why_len);
	err = -EINVAL;
	if (!app) {
		policy__free(cfg.own);
		goto out;
	}
	/* Both versions read a shared ring buffer: the new one takes no
	 * record until the old one takes none any more. */
	wasm_bpf_app__hold_events(app, true);
	wasm_bpf_app__stats(p->cur->app, &old_st);
	r = run_start(p, app, &cfg, why, why_len);
	if (!r)
		goto out;
	err = wait_attached(r, old_st.links, why, why_len);
	if (err) { /* the old version runs on */
		run_finish(r);
		goto out;
	}
	prev = strdup(p->spec.module);
	next.module = strdup(module);
	if (policy)
		pol = strdup(policy);
	if (!prev || !next.module || (policy && !pol)) {
		free(prev);
		free(next.module);
		free(pol);
		run_finish(r);
		err = -ENOMEM;
		goto out;
	}
	wasm_bpf_app__hold_events(p->cur->app, true);
	pthread_mutex_lock(&table_lock);
	old = p->cur;
	p->cur = r;
	free(p->spec.module);
	free(p->spec.previous);
	p->spec.module = next.module;
	p->spec.previous = prev;
	if (want)
		take_settings(&p->spec, want);
	if (pol) {
		free(p->spec.policy);
		p->spec.policy = pol;
	}
	p->paused = false;
	record(p, false);
	pthread_mutex_unlock(&table_lock);
	wasm_bpf_app__hold_events(r->app, false);
	/* Only now: the new version is attached and reading. */
	run_finish(old);
	log_line(p, "wasm-bpfd: upgraded to %s\n", p->spec.module);
out:
	pthread_mutex_lock(&table_lock);
	p->busy = false;
	pthread_mutex_unlock(&table_lock);
	return err;
}

int plugins_upgrade(const char *id, const char *module, const char *pull,
		    const char *policy, char *why, size_t why_len)
{
	return upgrade(id, module, pull, policy, NULL, why, why_len);
}

int plugins_replace(const char *id, struct plugin_spec *want, char *why,
		    size_t why_len)
{
	int r = upgrade(id, want->module, want->pull, NULL, want, why,
			 why_len);

	plugin_spec_free(want);
	return r;
}

/* ---- stop --------------------------------------------------------------- */

int plugins_remove(const char *id, cJSON **out)
{
	struct plugin **pp, *p = NULL;
	bool busy = false;

	pthread_mutex_lock(&table_lock);
	for (pp = &table; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->spec.id, id)) {
			busy = (*pp)->busy;
			if (busy)
				break;
			p = *pp;
			*pp = p->next;
			p->stopping = true;
			p->pull_cancel = 1;
			break;
		}
	pthread_mutex_unlock(&table_lock);
	if (busy)
		return -EBUSY;
	if (!p)
		return -ENOENT;
	if (p->has_pull_thread) /* cancelled: it starts nothing now */
		pthread_join(p->pull_thread, NULL);
	/* Stopped but not yet freed, to describe its end. */
	if (p->cur)
		run_stop(p->cur);
	if (state_dir)
		state_remove(state_dir, p->spec.id);
	if (out) {
		pthread_mutex_lock(&table_lock);
		*out = describe(p);
		pthread_mutex_unlock(&table_lock);
	}
	if (p->cur)
		run_free(p->cur);
	plugin_free(p);
	return 0;
}

void plugins_shutdown(void)
{
	struct plugin *list;

	pthread_mutex_lock(&table_lock);
	list = table;
	table = NULL;
	for (struct plugin *p = list; p; p = p->next) {
		p->stopping = true;
		p->pull_cancel = 1;
		/* all at once, then wait */
		if (p->cur)
			wasm_bpf_app__stop_graceful(p->cur->app);
	}
	pthread_mutex_unlock(&table_lock);
	while (list) {
		struct plugin *next = list->next;

		if (list->has_pull_thread)
			pthread_join(list->pull_thread, NULL);
		if (list->cur)
			run_finish(list->cur);
		plugin_free(list);
		list = next;
	}
	if (atomic_exchange(&watching, 0))
		pthread_join(watcher, NULL);
	free(state_dir);
	state_dir = NULL;
}
