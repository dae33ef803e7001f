/* plugin.c — the plugin table (plugin.h): start, watch, pause, stop. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "daemon/logring.h"
#include "daemon/plugin.h"
#include "daemon/state.h"
#include "runtime/wasm_bpf.h"

#define WATCH_MS 100 /* how often limits are checked */

struct plugin {
	struct plugin_spec spec;
	struct wasm_bpf_app *app;
	pthread_t run_thread, log_thread;
	int out_fd; /* the write end the guest's 1 and 2 are copies of */
	int log_rd;
	pthread_mutex_t log_lock;
	struct logring log;
	time_t started;
	double started_mono, ended_mono;
	/* Under table_lock: */
	bool paused, ended, timed_out;
	bool stopping; /* by the daemon: its record stays as it is */
	int status;
	enum wasm_bpf_end end;
	char errmsg[512];
	struct plugin *next;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct plugin *table;
static char *state_dir;
static size_t log_bytes = 64 * 1024;
static pthread_t watcher;
static atomic_int watching;

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
	int n = snprintf(line, sizeof(line), fmt, a);

	pthread_mutex_lock(&p->log_lock);
	logring_write(&p->log, line,
		      n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
	pthread_mutex_unlock(&p->log_lock);
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
		fprintf(stderr, "wasm-bpfd: cannot record plugin %s in %s\n",
			p->spec.id, state_dir);
	cJSON_Delete(j);
}

/* ---- threads ------------------------------------------------------------- */

static void *log_main(void *arg)
{
	struct plugin *p = arg;
	char buf[4096];
	ssize_t n;

	while ((n = read(p->log_rd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		pthread_mutex_lock(&p->log_lock);
		logring_write(&p->log, buf, n);
		pthread_mutex_unlock(&p->log_lock);
	}
	return NULL;
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
	struct plugin *p = arg;
	int status = wasm_bpf_app__run(p->app);
	char said[600];

	/* The app closed its copies: the log thread now sees the end. */
	close(p->out_fd);
	pthread_join(p->log_thread, NULL);
	pthread_mutex_lock(&table_lock);
	p->ended = true;
	p->ended_mono = mono_now();
	p->status = status;
	p->end = wasm_bpf_app__end(p->app);
	snprintf(p->errmsg, sizeof(p->errmsg), "%s",
		 p->timed_out ? "timeout" : wasm_bpf_app__errmsg(p->app));
	snprintf(said, sizeof(said), "%s, status %d%s%s", end_str(p->end),
		 status, p->errmsg[0] ? ": " : "", p->errmsg);
	/* Ended by itself (or its limits): not to be restored. */
	if (!p->stopping)
		record(p, true);
	pthread_mutex_unlock(&table_lock);
	log_line(p, "wasm-bpfd: plugin %s\n", said);
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
		for (struct plugin *p = table; p; p = p->next)
			if (!p->ended && !p->timed_out && p->spec.timeout > 0 &&
			    now - p->started_mono >= p->spec.timeout) {
				p->timed_out = true;
				wasm_bpf_app__stop(p->app);
			}
		pthread_mutex_unlock(&table_lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void plugins_init(const char *dir, size_t log_cap)
{
	state_dir = dir ? strdup(dir) : NULL;
	if (log_cap)
		log_bytes = log_cap;
	atomic_store(&watching, 1);
	pthread_create(&watcher, NULL, watch_main, NULL);
}

/* ---- start ----------------------------------------------------------------
 */

static void plugin_free(struct plugin *p)
{
	wasm_bpf_app__free(p->app);
	logring_free(&p->log);
	pthread_mutex_destroy(&p->log_lock);
	plugin_spec_free(&p->spec);
	free(p);
}

static struct wasm_bpf_app *open_app(const struct plugin_spec *s, char *why,
				     size_t why_len)
{
	struct wasm_bpf_app_opts o = {
	    .sz = sizeof(o), .fuel = s->fuel, .max_memory = s->max_memory};
	struct wasm_error err = {{0}};
	struct wasm_bpf_app *app = wasm_bpf_app__open_file(s->module, &o, &err);
	const char **argv;
	int r = 0;

	if (!app) {
		snprintf(why, why_len, "%s: %s", s->module, err.msg);
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
	free(argv);
	if (r) {
		snprintf(why, why_len, "%s", strerror(-r));
		wasm_bpf_app__free(app);
		return NULL;
	}
	return app;
}

static int launch(struct plugin *p)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	p->log_rd = fds[0];
	p->out_fd = fds[1];
	wasm_bpf_app__set_stdio(p->app, -1, p->out_fd, p->out_fd);
	p->started = time(NULL);
	p->started_mono = mono_now();
	if (pthread_create(&p->log_thread, NULL, log_main, p)) {
		close(fds[0]);
		close(fds[1]);
		return -EAGAIN;
	}
	if (pthread_create(&p->run_thread, NULL, run_main, p)) {
		close(fds[1]);
		pthread_join(p->log_thread, NULL);
		close(fds[0]);
		return -EAGAIN;
	}
	return 0;
}

int plugins_start(struct plugin_spec *spec, char *id, char *why, size_t why_len)
{
	struct plugin *p = calloc(1, sizeof(*p));
	int r = -ENOMEM;

	if (!p || logring_init(&p->log, log_bytes)) {
		free(p);
		plugin_spec_free(spec);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	p->spec = *spec;
	memset(spec, 0, sizeof(*spec));
	pthread_mutex_init(&p->log_lock, NULL);
	p->log_rd = p->out_fd = -1;
	p->app = open_app(&p->spec, why, why_len);
	if (!p->app) {
		plugin_free(p);
		return -EINVAL;
	}
	pthread_mutex_lock(&table_lock);
	if (p->spec.id[0] && find(p->spec.id)) {
		pthread_mutex_unlock(&table_lock);
		snprintf(why, why_len, "plugin %s exists", p->spec.id);
		plugin_free(p);
		return -EEXIST;
	}
	if (!p->spec.id[0])
		new_id(p->spec.id);
	r = launch(p);
	if (r) {
		pthread_mutex_unlock(&table_lock);
		snprintf(why, why_len, "cannot start: %s", strerror(-r));
		plugin_free(p);
		return r;
	}
	p->next = table;
	table = p;
	memcpy(id, p->spec.id, PLUGIN_ID_LEN + 1);
	record(p, false);
	pthread_mutex_unlock(&table_lock);
	return 0;
}

/* ---- look
 * -------------------------------------------------------------------- */

static const char *state_of(const struct plugin *p,
			    const struct wasm_bpf_app_stats *st)
{
	if (p->ended)
		return end_str(p->end);
	if (p->paused)
		return st->paused ? "paused" : "pausing";
	return "running";
}

/* Under table_lock. */
static cJSON *describe(const struct plugin *p)
{
	struct wasm_bpf_app_stats st = {.sz = sizeof(st)};
	cJSON *j = plugin_spec_json(&p->spec), *bpf = cJSON_CreateObject();
	double up = (p->ended ? p->ended_mono : mono_now()) - p->started_mono;

	wasm_bpf_app__stats(p->app, &st);
	cJSON_AddStringToObject(j, "state", state_of(p, &st));
	if (p->ended) {
		cJSON_AddNumberToObject(j, "status", p->status);
		cJSON_AddStringToObject(j, "error", p->errmsg);
	}
	cJSON_AddNumberToObject(j, "started", (double)p->started);
	cJSON_AddNumberToObject(j, "uptime", up);
	cJSON_AddNumberToObject(j, "events", (double)st.events);
	cJSON_AddNumberToObject(j, "events_per_s", up > 0 ? st.events / up : 0);
	cJSON_AddNumberToObject(j, "lost_events", (double)st.lost_events);
	cJSON_AddNumberToObject(j, "callback_ns", (double)st.callback_ns);
	cJSON_AddNumberToObject(j, "memory", st.memory_pages * 65536.0);
	if (p->spec.fuel)
		cJSON_AddNumberToObject(j, "fuel_left", (double)st.fuel_left);
	cJSON_AddNumberToObject(bpf, "programs", (double)st.progs);
	cJSON_AddNumberToObject(bpf, "maps", (double)st.maps);
	cJSON_AddNumberToObject(bpf, "links", (double)st.links);
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

int plugins_logs(const char *id, uint64_t since, char **buf, size_t *len,
		 uint64_t *next)
{
	struct plugin *p;
	int r = -ENOENT;

	pthread_mutex_lock(&table_lock);
	p = find(id);
	if (p) {
		pthread_mutex_lock(&p->log_lock);
		r = logring_read(&p->log, since, buf, len, next);
		pthread_mutex_unlock(&p->log_lock);
	}
	pthread_mutex_unlock(&table_lock);
	return r;
}

/* ---- control ------------------------------------------------------------- */

static int set_paused(const char *id, bool pause)
{
	struct plugin *p;
	int r = -ENOENT;

	pthread_mutex_lock(&table_lock);
	p = find(id);
	if (p && (p->ended || p->paused == pause))
		r = -EALREADY;
	else if (p) {
		p->paused = pause;
		if (pause)
			wasm_bpf_app__pause(p->app);
		else
			wasm_bpf_app__resume(p->app);
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

/* Ends the run and waits for its thread; the plugin is no longer in the
 * table, so nothing else touches it. */
static void finish(struct plugin *p)
{
	pthread_mutex_lock(&table_lock);
	p->stopping = true;
	pthread_mutex_unlock(&table_lock);
	wasm_bpf_app__stop(p->app);
	pthread_join(p->run_thread, NULL);
	close(p->log_rd);
}

int plugins_remove(const char *id, cJSON **out)
{
	struct plugin **pp, *p = NULL;

	pthread_mutex_lock(&table_lock);
	for (pp = &table; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->spec.id, id)) {
			p = *pp;
			*pp = p->next;
			break;
		}
	pthread_mutex_unlock(&table_lock);
	if (!p)
		return -ENOENT;
	finish(p);
	if (state_dir)
		state_remove(state_dir, p->spec.id);
	if (out) {
		pthread_mutex_lock(&table_lock);
		*out = describe(p);
		pthread_mutex_unlock(&table_lock);
	}
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
		wasm_bpf_app__stop(p->app); /* all at once, then wait */
	}
	pthread_mutex_unlock(&table_lock);
	while (list) {
		struct plugin *next = list->next;

		finish(list);
		plugin_free(list);
		list = next;
	}
	if (atomic_exchange(&watching, 0))
		pthread_join(watcher, NULL);
	free(state_dir);
	state_dir = NULL;
}
