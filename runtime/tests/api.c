/* api.c — the embedding API (runtime/wasm_bpf.h) driven directly: every
 * way a run ends frees the bpf host and the WASI context exactly once
 * (counted through the linker's --wrap), hard and graceful stops work from
 * another thread (also while the guest is blocked opening a FIFO, where no
 * signal of the process's own reaches its thread) and before the run, a
 * second run is refused, bad bytes are named.
 *   api GUEST.wasm IMPORTS.wasm DIR   (DIR holds a FIFO named ff)
 * Prints PASS:/FAIL: lines like the suites.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf/bpf_host.h"
#include "runtime/wasm_bpf.h"
#include "wasi/wasi.h"

static int host_frees, wasi_frees, failures;
static const char *fifo_dir;
static FILE *report; /* stdout; the guests write to /dev/null */

void __real_bpf_host__free(struct bpf_host *h);
void __real_wasi_ctx__free(struct wasi_ctx *c);

void __wrap_bpf_host__free(struct bpf_host *h)
{
	host_frees++;
	__real_bpf_host__free(h);
}

void __wrap_wasi_ctx__free(struct wasi_ctx *c)
{
	wasi_frees++;
	__real_wasi_ctx__free(c);
}

static void check(const char *name, int ok, const char *why)
{
	if (ok)
		fprintf(report, "PASS: runtime api %s\n", name);
	else
		fprintf(report, "FAIL: runtime api %s: %s\n", name, why);
	failures += !ok;
}

struct result {
	int status;
	enum wasm_bpf_end end;
	char msg[256];
};

static void *stopper(void *app)
{
	struct timespec ts = {0, 200000000};

	nanosleep(&ts, NULL);
	wasm_bpf_app__stop(app);
	return NULL;
}

static void *graceful_stopper(void *app)
{
	struct timespec ts = {0, 200000000};

	nanosleep(&ts, NULL);
	wasm_bpf_app__stop_graceful(app);
	return NULL;
}

enum { NO_STOP, STOP_THREAD, STOP_BEFORE, GRACEFUL_THREAD, GRACEFUL_BEFORE };

/* One run of `mode` (the "fifo" mode opens DIR/ff, seen as /d/ff), with
 * a stop of that kind. */
static struct result run(const char *path, const char *mode, int stop)
{
	struct wasm_bpf_app_opts opts = {.sz = sizeof(opts)};
	const char *argv[] = {path, mode, "/d/ff"};
	struct result r = {0};
	struct wasm_error err;
	struct wasm_bpf_app *app;
	pthread_t t;

	app = wasm_bpf_app__open_file(path, &opts, &err);
	if (!app) {
		r.status = -errno;
		snprintf(r.msg, sizeof(r.msg), "%s", err.msg);
		return r;
	}
	wasm_bpf_app__set_args(app, strcmp(mode, "fifo") ? 2 : 3, argv);
	wasm_bpf_app__add_preopen(app, fifo_dir, "/d");
	if (stop == STOP_THREAD || stop == GRACEFUL_THREAD)
		pthread_create(&t, NULL,
			       stop == STOP_THREAD ? stopper : graceful_stopper,
			       app);
	if (stop == STOP_BEFORE)
		wasm_bpf_app__stop(app);
	if (stop == GRACEFUL_BEFORE)
		wasm_bpf_app__stop_graceful(app);
	r.status = wasm_bpf_app__run(app);
	if (stop == STOP_THREAD || stop == GRACEFUL_THREAD)
		pthread_join(t, NULL);
	r.end = wasm_bpf_app__end(app);
	snprintf(r.msg, sizeof(r.msg), "%s", wasm_bpf_app__errmsg(app));
	if (wasm_bpf_app__run(app) != -EALREADY)
		r.status = -1000;
	wasm_bpf_app__free(app);
	return r;
}

static void ends(const char *name, const char *path, const char *mode, int stop,
		 int status, enum wasm_bpf_end end)
{
	int h = host_frees, w = wasi_frees;
	struct result r = run(path, mode, stop);
	char why[400];

	snprintf(
	    why, sizeof(why),
	    "status %d end %d (want %d, %d), frees host %d wasi %d, msg %s",
	    r.status, r.end, status, end, host_frees - h, wasi_frees - w,
	    r.msg);
	check(name,
	      r.status == status && r.end == end && host_frees - h == 1 &&
		  wasi_frees - w == 1,
	      why);
}

/* Upstream's wasm_main() on the bytes of `path`, guest args MODE x. */
static int upstream_main(const char *path, const char *mode)
{
	static unsigned char buf[1 << 20];
	char *argv[] = {"guest", (char *)mode, "x", NULL};
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	int saved = dup(2), r;

	if (f)
		fclose(f);
	freopen("/dev/null", "w", stderr);
	r = wasm_main(buf, (unsigned int)n, 3, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return r;
}

int main(int argc, char **argv)
{
	struct wasm_error err;
	struct result r;

	if (argc < 4)
		return 2;
	report = fdopen(dup(1), "w");
	if (!report || !freopen("/dev/null", "w", stdout))
		return 2;
	setvbuf(report, NULL, _IOLBF, 0); /* lines kept if a case hangs */
	fifo_dir = argv[3];
	ends("return", argv[1], "args", NO_STOP, 2, WASM_BPF_END_EXIT);
	ends("proc_exit", argv[1], "partial", NO_STOP, 5, WASM_BPF_END_EXIT);
	ends("trap", argv[1], "trap", NO_STOP, WASM_BPF_EXIT_TRAP,
	     WASM_BPF_END_TRAP);
	ends("stop from a thread", argv[1], "spin", STOP_THREAD, 0,
	     WASM_BPF_END_STOPPED);
	ends("stop while sleeping", argv[1], "sleep", STOP_THREAD, 0,
	     WASM_BPF_END_STOPPED);
	ends("stop before run", argv[1], "spin", STOP_BEFORE, 0,
	     WASM_BPF_END_STOPPED);
	/* The guest's sleep() returns early and it returns 9 by itself. */
	ends("graceful stop while sleeping: the guest's own status", argv[1],
	     "sleep", GRACEFUL_THREAD, 9, WASM_BPF_END_EXIT);
	ends("graceful stop before run", argv[1], "spin", GRACEFUL_BEFORE, 0,
	     WASM_BPF_END_STOPPED);
	/* Blocked in openat2() in the run's thread: only the wake-up signal
	 * to that thread gets it out. */
	ends("stop from a thread while opening a FIFO", argv[1], "fifo",
	     STOP_THREAD, 0, WASM_BPF_END_STOPPED);
	ends("graceful stop from a thread while opening a FIFO: EINTR", argv[1],
	     "fifo", GRACEFUL_THREAD, 3, WASM_BPF_END_EXIT);
	ends("link error", argv[2], "x", NO_STOP, WASM_BPF_EXIT_ERROR,
	     WASM_BPF_END_ERROR);
	r = run(argv[2], "x", NO_STOP);
	check("link error names the import",
	      !strcmp(r.msg, "unknown import wasm_bpf.foo (func)"), r.msg);
	r = run(argv[1], "trap", NO_STOP);
	check("trap message names the function",
	      strstr(r.msg, "out of bounds memory access in handle_event+0x") ==
		  r.msg,
	      r.msg);
	check("wasm_main: the guest's status",
	      upstream_main(argv[1], "args") == 3, "upstream entry point");
	check("wasm_main: -1 after a trap",
	      upstream_main(argv[1], "trap") == -1, "upstream entry point");
	check("bad bytes refused",
	      !wasm_bpf_app__open_mem("\0asm\2\0\0\0", 8, NULL, &err) &&
		  err.msg[0],
	      err.msg);
	return failures ? 1 : 0;
}
