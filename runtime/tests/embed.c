/* embed.c — the embedding additions of runtime/wasm_bpf.h driven by a
 * small host: the embedder's own imports (including ones that end the run
 * from inside), stdio on the embedder's descriptors and through its
 * callbacks, pause and resume,
 * counters, and many instances on threads at once (also built with
 * -fsanitize=thread by the suite, which then fails on any data race).
 *   embed EMBED.wasm [INSTANCES]
 */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy/policy.h"
#include "runtime/wasm_bpf.h"

static const char *guest;
static int failures;

static void check(const char *name, int ok, const char *why)
{
	if (ok)
		printf("PASS: runtime embed %s\n", name);
	else
		printf("FAIL: runtime embed %s: %s\n", name, why);
	fflush(stdout);
	failures += !ok;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* What one instance's host functions share with the test. */
struct host {
	atomic_llong tick; /* last value the guest ticked */
	int halt_how;	   /* 0 exit, 1 stop, 2 trap */
};

static int h_add(struct wasm_instance *in, void *user, uint64_t *s)
{
	(void)in, (void)user;
	s[0] = (uint32_t)((int32_t)s[0] + (int32_t)s[1]);
	return WASM_OK;
}

static int h_tick(struct wasm_instance *in, void *user, uint64_t *s)
{
	(void)in;
	atomic_store(&((struct host *)user)->tick, (long long)s[0]);
	return WASM_OK;
}

static int h_halt(struct wasm_instance *in, void *user, uint64_t *s)
{
	switch (((struct host *)user)->halt_how) {
	case 0:
		return wasm_instance__exit(in, (int)s[0]);
	case 1:
		wasm_bpf_app__stop(wasm_bpf_app__of(in));
		return WASM_INTERRUPTED;
	default:
		return wasm_instance__host_trap(in, "halted by the host");
	}
}

static struct wasm_bpf_app *open_app(const char *entry, struct host *h,
				     uint64_t fuel)
{
	struct wasm_bpf_app_opts o = {.sz = sizeof(o),
				      .entry = entry,
				      .fuel = fuel,
				      .no_host_view = true};
	struct wasm_error err;
	struct wasm_bpf_app *app = wasm_bpf_app__open_file(guest, &o, &err);

	if (!app) {
		fprintf(stderr, "embed: %s: %s\n", guest, err.msg);
		return NULL;
	}
	if (wasm_bpf_app__add_host_func(app, "host", "add", "ii->i", h_add,
					h) ||
	    wasm_bpf_app__add_host_func(app, "host", "tick", "I->", h_tick,
					h) ||
	    wasm_bpf_app__add_host_func(app, "host", "halt", "i->", h_halt,
					h)) {
		wasm_bpf_app__free(app);
		return NULL;
	}
	return app;
}

static void test_host_funcs(void)
{
	struct host h = {0};
	struct wasm_bpf_app *app = open_app("sum", &h, 0);
	char why[256];
	int st;

	if (!app) {
		check("own imports", 0, "cannot open");
		return;
	}
	check("own import clashing with wasm_bpf refused",
	      wasm_bpf_app__add_host_func(app, "wasm_bpf", "x", "->", h_add,
					  NULL) == -EEXIST,
	      "not -EEXIST");
	check("own import defined twice refused",
	      wasm_bpf_app__add_host_func(app, "host", "add", "ii->i", h_add,
					  NULL) == -EEXIST,
	      "not -EEXIST");
	check("own import with a bad signature refused",
	      wasm_bpf_app__add_host_func(app, "host", "y", "ii", h_add,
					  NULL) == -EINVAL,
	      "not -EINVAL");
	st = wasm_bpf_app__run(app);
	snprintf(why, sizeof(why), "status %d tick %lld %s", st,
		 (long long)atomic_load(&h.tick), wasm_bpf_app__errmsg(app));
	check("own imports called with their arguments and results",
	      st == 0 && atomic_load(&h.tick) == 42, why);
	wasm_bpf_app__free(app);
}

static void test_halt(int how, const char *name, int want,
		      enum wasm_bpf_end end)
{
	struct host h = {.tick = 0, .halt_how = how};
	struct wasm_bpf_app *app = open_app("halt", &h, 0);
	char why[256];
	int st = app ? wasm_bpf_app__run(app) : -1;

	snprintf(why, sizeof(why), "status %d end %d tick %lld msg %s", st,
		 app ? (int)wasm_bpf_app__end(app) : -1,
		 (long long)atomic_load(&h.tick),
		 app ? wasm_bpf_app__errmsg(app) : "");
	check(name,
	      app && st == want && wasm_bpf_app__end(app) == end &&
		  atomic_load(&h.tick) == 0,
	      why);
	wasm_bpf_app__free(app);
}

static int read_all(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? (int)n : 0;
}

static void test_stdio(void)
{
	struct host h = {0};
	struct wasm_bpf_app *app = open_app("write", &h, 0);
	int out[2], err[2], st;
	char o[64], e[64], why[200];

	if (!app || pipe(out) || pipe(err)) {
		check("stdio on the embedder's descriptors", 0, "setup");
		return;
	}
	wasm_bpf_app__set_stdio(app, -1, out[1], err[1]);
	st = wasm_bpf_app__run(app);
	close(out[1]);
	close(err[1]);
	read_all(out[0], o, sizeof(o));
	read_all(err[0], e, sizeof(e));
	close(out[0]);
	close(err[0]);
	snprintf(why, sizeof(why), "status %d out '%s' err '%s'", st, o, e);
	check("stdio on the embedder's descriptors",
	      st == 0 && !strcmp(o, "out\n") && !strcmp(e, "err\n"), why);
	wasm_bpf_app__free(app);
}

/* ---- stdio through callbacks ----------------------------------------- */

/* What one instance's stream callbacks share with the test. */
struct streams {
	struct wasm_bpf_app *app;
	const char *input;
	size_t in_len, in_pos;
	int again, again_left; /* -EAGAIN answers before each chunk */
	int read_err;	       /* answer every read with it */
	char out[512], err[64];
	size_t out_len, err_len;
	bool wrong; /* called with another app or stream */
};

static ssize_t cb_out(struct wasm_bpf_app *app, int stream, const void *buf,
		      size_t len, void *user)
{
	struct streams *s = user;
	char *dst = stream == 1 ? s->out : s->err;
	size_t *n = stream == 1 ? &s->out_len : &s->err_len;
	size_t cap = (stream == 1 ? sizeof(s->out) : sizeof(s->err)) - 1;

	if (app != s->app || (stream != 1 && stream != 2)) {
		s->wrong = true;
		return -EINVAL;
	}
	len = len > cap - *n ? cap - *n : len;
	memcpy(dst + *n, buf, len);
	*n += len;
	dst[*n] = 0;
	return (ssize_t)len;
}

/* Hands the input out in chunks of at most 7 bytes. */
static ssize_t cb_in(struct wasm_bpf_app *app, void *buf, size_t len,
		     void *user)
{
	struct streams *s = user;
	size_t n = s->in_len - s->in_pos;

	if (app != s->app) {
		s->wrong = true;
		return -EINVAL;
	}
	if (s->read_err)
		return s->read_err;
	if (s->again_left > 0) {
		s->again_left--;
		return -EAGAIN;
	}
	s->again_left = s->again;
	n = n > len ? len : n;
	n = n > 7 ? 7 : n;
	memcpy(buf, s->input + s->in_pos, n);
	s->in_pos += n;
	return (ssize_t)n;
}

static struct wasm_bpf_app *open_streams(const char *entry, struct host *h,
					 struct streams *s, const char *input,
					 bool in_too)
{
	struct wasm_bpf_app *app = open_app(entry, h, 0);

	memset(s, 0, sizeof(*s));
	s->app = app;
	s->input = input;
	s->in_len = strlen(input);
	if (app && wasm_bpf_app__set_stdio_callbacks(app, in_too ? cb_in : NULL,
						     cb_out, s)) {
		wasm_bpf_app__free(app);
		return NULL;
	}
	return app;
}

static void test_stdio_callbacks(void)
{
	static const char text[] = "a line that is longer than one chunk\n"
				   "and a second one\n";
	struct host h = {0};
	struct streams s;
	struct wasm_bpf_app *app = open_streams("write", &h, &s, "", true);
	char why[700];
	int st = app ? wasm_bpf_app__run(app) : -1;

	snprintf(why, sizeof(why), "status %d out '%s' err '%s' wrong %d", st,
		 s.out, s.err, s.wrong);
	check("stdout and stderr through the write callback, by stream",
	      st == 0 && !strcmp(s.out, "out\n") && !strcmp(s.err, "err\n") &&
		  !s.wrong,
	      why);
	wasm_bpf_app__free(app);

	app = open_streams("echo", &h, &s, text, true);
	s.again = s.again_left = 2;
	st = app ? wasm_bpf_app__run(app) : -1;
	snprintf(why, sizeof(why), "status %d out '%s' wrong %d", st, s.out,
		 s.wrong);
	check("stdin through the read callback, waiting out -EAGAIN, "
	      "until its end",
	      st == 0 && !strcmp(s.out, text) && !s.wrong, why);
	wasm_bpf_app__free(app);

	app = open_streams("echo", &h, &s, "", true);
	s.read_err = -EIO;
	st = app ? wasm_bpf_app__run(app) : -1;
	snprintf(why, sizeof(why), "status %d", st);
	check("a read callback's error reaches the guest",
	      st == WASM_BPF_EXIT_TRAP, why);
	wasm_bpf_app__free(app);
}

/* stdin on a descriptor and stdout on the callback, mixed. */
static void test_stdio_mixed(void)
{
	struct host h = {0};
	struct streams s;
	struct wasm_bpf_app *app = open_streams("echo", &h, &s, "", false);
	int in[2], st = -1;
	char why[700];

	if (app && !pipe(in)) {
		if (write(in[1], "from a pipe\n", 12) != 12)
			st = -2;
		close(in[1]);
		wasm_bpf_app__set_stdio(app, in[0], -1, -1);
		st = st == -2 ? st : wasm_bpf_app__run(app);
		close(in[0]);
	}
	snprintf(why, sizeof(why), "status %d out '%s'", st, s.out);
	check("stdin on a descriptor, stdout on the callback",
	      st == 0 && !strcmp(s.out, "from a pipe\n"), why);
	wasm_bpf_app__free(app);
}

static void *run_thread(void *arg)
{
	wasm_bpf_app__run(arg);
	return NULL;
}

/* A read that finds nothing, for ever: a stop still ends the run. */
static void test_stdio_stop(void)
{
	struct host h = {0};
	struct streams s;
	struct wasm_bpf_app *app = open_streams("echo", &h, &s, "", true);
	pthread_t t;
	char why[100];
	int reads;

	s.again = s.again_left = 1 << 30;
	if (!app || pthread_create(&t, NULL, run_thread, app)) {
		check("a stop ends a read waiting on the callback", 0, "setup");
		wasm_bpf_app__free(app);
		return;
	}
	sleep_ms(100);
	wasm_bpf_app__stop(app);
	pthread_join(t, NULL);
	reads = s.again - s.again_left;
	snprintf(why, sizeof(why), "end %d after %d reads",
		 wasm_bpf_app__end(app), reads);
	check("a stop ends a read waiting on the callback",
	      wasm_bpf_app__end(app) == WASM_BPF_END_STOPPED && reads > 1, why);
	wasm_bpf_app__free(app);
}

/* One instance on its own thread: spinning, or echoing through its own
 * streams (`s`, `input`). */
struct spinner {
	struct host h;
	struct streams s;
	char input[300];
	struct wasm_bpf_app *app;
	pthread_t t;
	int status;
};

static void *spin_main(void *arg)
{
	struct spinner *s = arg;

	s->status = wasm_bpf_app__run(s->app);
	return NULL;
}

static int spin_start(struct spinner *s, uint64_t fuel)
{
	memset(s, 0, sizeof(*s));
	s->app = open_app("spin", &s->h, fuel);
	return s->app ? pthread_create(&s->t, NULL, spin_main, s) : -1;
}

static bool wait_for(struct spinner *s, bool paused)
{
	struct wasm_bpf_app_stats st = {.sz = sizeof(st)};

	for (int i = 0; i < 400; i++) {
		wasm_bpf_app__stats(s->app, &st);
		if (st.paused == paused && atomic_load(&s->h.tick) > 0)
			return true;
		sleep_ms(5);
	}
	return false;
}

static void test_pause(void)
{
	struct wasm_bpf_app_stats st = {.sz = sizeof(st)};
	struct spinner s;
	long long t1, t2, t3;
	char why[256];

	if (spin_start(&s, 1ull << 40)) {
		check("pause", 0, "cannot start");
		return;
	}
	wait_for(&s, false);
	wasm_bpf_app__pause(s.app);
	bool paused = wait_for(&s, true);
	t1 = atomic_load(&s.h.tick);
	sleep_ms(100);
	t2 = atomic_load(&s.h.tick);
	wasm_bpf_app__stats(s.app, &st);
	snprintf(why, sizeof(why), "paused %d ticks %lld then %lld", paused, t1,
		 t2);
	check("pause: the guest waits, counting nothing", paused && t1 == t2,
	      why);
	snprintf(why, sizeof(why), "fuel left %llu pages %u",
		 (unsigned long long)st.fuel_left, st.memory_pages);
	check("counters: fuel used and memory pages",
	      st.fuel_left < (1ull << 40) && st.fuel_left > 0 &&
		  st.memory_pages == 1,
	      why);
	wasm_bpf_app__resume(s.app);
	sleep_ms(100);
	t3 = atomic_load(&s.h.tick);
	snprintf(why, sizeof(why), "ticks %lld after resume", t3);
	check("resume: the guest goes on where it was", t3 > t2, why);
	wasm_bpf_app__pause(s.app);
	wait_for(&s, true);
	wasm_bpf_app__stop(s.app);
	pthread_join(s.t, NULL);
	snprintf(why, sizeof(why), "status %d end %d", s.status,
		 wasm_bpf_app__end(s.app));
	check("stop while paused",
	      s.status == 0 && wasm_bpf_app__end(s.app) == WASM_BPF_END_STOPPED,
	      why);
	wasm_bpf_app__free(s.app);
}

/* n instances at once: every other one paused; each counts on its own,
 * the paused ones not at all, and each stops alone. */
static void test_many(int n)
{
	static struct spinner e[64];
	struct spinner s[64];
	long long before[64];
	int bad = 0, started = 0;
	char why[256] = "";

	n = n > 64 ? 64 : n;
	for (int i = 0; i < n; i++)
		started += !spin_start(&s[i], 0);
	/* Beside them as many echoing through their own stream callbacks. */
	for (int i = 0; i < n; i++) {
		snprintf(e[i].input, sizeof(e[i].input), "instance %d: %0*d\n",
			 i, 100 + i, i);
		e[i].app =
		    open_streams("echo", &e[i].h, &e[i].s, e[i].input, true);
		e[i].s.again = 1;
		started += e[i].app &&
			   !pthread_create(&e[i].t, NULL, spin_main, &e[i]);
	}
	if (started < 2 * n) {
		check("many instances on threads", 0, "cannot start");
		return;
	}
	for (int i = 0; i < n; i++)
		bad += !wait_for(&s[i], false);
	for (int i = 0; i < n; i += 2)
		wasm_bpf_app__pause(s[i].app);
	for (int i = 0; i < n; i += 2)
		bad += !wait_for(&s[i], true);
	for (int i = 0; i < n; i++)
		before[i] = atomic_load(&s[i].h.tick);
	sleep_ms(100);
	for (int i = 0; i < n; i++) {
		long long now = atomic_load(&s[i].h.tick);

		if ((i % 2 == 0) != (now == before[i])) {
			bad++;
			snprintf(why, sizeof(why),
				 "instance %d: %lld then %lld", i, before[i],
				 now);
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(e[i].t, NULL);
		if (e[i].status || e[i].s.wrong ||
		    strcmp(e[i].s.out, e[i].input)) {
			bad++;
			snprintf(why, sizeof(why),
				 "echo %d: status %d, out '%.60s'", i,
				 e[i].status, e[i].s.out);
		}
		wasm_bpf_app__free(e[i].app);
	}
	for (int i = 0; i < n; i++) {
		wasm_bpf_app__stop(s[i].app);
		pthread_join(s[i].t, NULL);
		bad += wasm_bpf_app__end(s[i].app) != WASM_BPF_END_STOPPED;
		wasm_bpf_app__free(s[i].app);
	}
	check("many instances on threads, paused and stopped one by one, "
	      "others echoing through their own stream callbacks",
	      bad == 0, why);
}

/* The event rate limit in force: the options' and the policy's, the
 * lower rate and the lower burst (a burst left 0 is its rate's second). */
static bool limit_is(const struct policy *p, uint64_t rate, uint64_t burst,
		     uint64_t want_rate, uint64_t want_burst)
{
	struct wasm_bpf_app_opts o = {.sz = sizeof(o),
				      .no_host_view = true,
				      .policy = p,
				      .max_event_rate = rate,
				      .event_burst = burst};
	struct wasm_error err;
	struct wasm_bpf_app *app = wasm_bpf_app__open_file(guest, &o, &err);
	uint64_t got_burst = 0, got = app ? wasm_bpf_app__event_rate(
						app, &got_burst)
					  : 0;

	wasm_bpf_app__free(app);
	return app && got == want_rate && got_burst == want_burst;
}

static void test_event_limit(void)
{
	const char *y = "events: {max_rate: 2000, burst: 50}\n";
	char err[256], why[200];
	struct policy *p = policy__parse(y, strlen(y), "t.yaml", err,
					 sizeof(err));
	struct wasm_bpf_app_opts o = {.sz = sizeof(o), .no_host_view = true};
	struct wasm_bpf_app *app;
	struct wasm_bpf_app_stats st;
	int r1, r2;

	check("event limit: options alone (burst: a second's worth)",
	      limit_is(NULL, 1000, 0, 1000, 1000), "wrong limit");
	check("event limit: the policy's below the options'",
	      p && limit_is(p, 5000, 0, 2000, 50), "wrong limit");
	check("event limit: the options' below the policy's",
	      p && limit_is(p, 1000, 10, 1000, 10), "wrong limit");
	check("event limit: none by default", limit_is(NULL, 0, 7, 0, 0),
	      "a limit without a rate");
	policy__free(p);
	/* a caller built before dropped_events: its fields, nothing past */
	app = wasm_bpf_app__open_file(guest, &o, NULL);
	memset(&st, 0xab, sizeof(st));
	st.sz = offsetof(struct wasm_bpf_app_stats, dropped_events);
	r1 = app ? wasm_bpf_app__stats(app, &st) : -1;
	st.sz = sizeof(uint64_t);
	r2 = app ? wasm_bpf_app__stats(app, &st) : 0;
	snprintf(why, sizeof(why), "%d %d", r1, r2);
	check("stats: an older, smaller struct gets its own fields only",
	      r1 == 0 && st.events == 0 &&
		  st.dropped_events == 0xababababababababull && r2 == -EINVAL,
	      why);
	wasm_bpf_app__free(app);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	guest = argv[1];
	if (argc > 2) { /* the ThreadSanitizer run: threads only */
		test_many(atoi(argv[2]));
		return failures ? 1 : 0;
	}
	test_host_funcs();
	test_halt(0, "host function exits the guest", 7, WASM_BPF_END_EXIT);
	test_halt(1, "host function stops the run", 0, WASM_BPF_END_STOPPED);
	test_halt(2, "host function traps", WASM_BPF_EXIT_TRAP,
		  WASM_BPF_END_TRAP);
	test_stdio();
	test_stdio_callbacks();
	test_stdio_mixed();
	test_stdio_stop();
	test_pause();
	test_event_limit();
	test_many(8);
	return failures ? 1 : 0;
}
