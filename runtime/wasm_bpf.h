/* wasm_bpf.h — the embedding API of wasm-bpf: run one eBPF control-plane
 * WebAssembly module (a WASI command) with the wasm_bpf host module, libbpf
 * style. The app owns the module, its WASI context and its BPF host; every
 * way a run can end (return, proc_exit, trap, stop) releases all BPF
 * objects the guest created before wasm_bpf_app__run() returns.
 *
 *	struct wasm_bpf_app *app = wasm_bpf_app__open_file(path, &opts, &err);
 *	wasm_bpf_app__set_args(app, argc, argv);
 *	wasm_bpf_app__add_preopen(app, "/tmp", "/tmp");
 *	status = wasm_bpf_app__run(app);	// guest exit status
 *	wasm_bpf_app__free(app);
 */
#ifndef WASM_BPF_APP_H
#define WASM_BPF_APP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WASM_BPF_VERSION "0.1.0"

/* Exit statuses wasm_bpf_app__run() returns besides the guest's own code
 * (the `wasm-bpf` command exits with them too). Chosen outside what guests
 * commonly use: 125 like env(1)/docker for "the runner itself failed",
 * 134 like a native program that aborted. */
#define WASM_BPF_EXIT_ERROR 125 /* load, link or instantiation failed */
#define WASM_BPF_EXIT_TRAP  134 /* the guest trapped (or ran out of fuel) */
/* A run ended by wasm_bpf_app__stop() returns 0, as tracing tools exit 0
 * on Ctrl-C. (The command's --timeout exits 124, like timeout(1).) */

/* Without opts.max_memory a guest's linear memory is capped at this: the
 * examples run in 192 KiB, so a thousand times that leaves room for a tool
 * that keeps large tables or symbol maps, and it is far from the 4 GiB a
 * wasm32 guest could take. */
#define WASM_BPF_DEFAULT_MAX_MEMORY (256ull << 20)

/* The signal a stop sends to the thread running the guest, to cut short a
 * syscall it is blocked in (opening a FIFO, writing to a full pipe).
 * wasm_bpf_app__run() installs a handler that does nothing, without
 * SA_RESTART, if the signal has none, and unblocks it in its thread for the
 * run. SIGURG because it is ignored by default: a stray one is harmless. */
#define WASM_BPF_WAKE_SIGNAL SIGURG

enum wasm_bpf_end {
	WASM_BPF_END_NONE = 0, /* not run yet */
	WASM_BPF_END_EXIT,     /* _start returned or proc_exit (also during a
				* graceful stop) */
	WASM_BPF_END_TRAP,     /* trap; see wasm_bpf_app__errmsg() */
	WASM_BPF_END_STOPPED,  /* wasm_bpf_app__stop(), or any stop before
				* the guest started */
	WASM_BPF_END_ERROR,    /* could not start; see __errmsg() */
};

struct wasm_bpf_app_opts {
	size_t sz;	      /* sizeof(struct wasm_bpf_app_opts) */
	uint64_t fuel;	      /* instructions budget; 0: unlimited */
	uint64_t max_memory;  /* linear memory cap in bytes, at most 4 GiB;
			       * 0: WASM_BPF_DEFAULT_MAX_MEMORY (the module's
			       * own maximum applies if lower) */
	bool verbose;	      /* libbpf and verifier logs to stderr */
	bool force_perfbuf;   /* ring buffers become perf buffers */
	const char *btf_path; /* vmlinux BTF when the kernel has none */
	const char *entry;    /* exported function to run; "_start" */
	/* CO-RE BTF cache (bpf/README.md): a minimal kernel BTF per BPF
	 * object, kept on disk so later runs skip parsing vmlinux BTF.
	 * NULL: $WASM_BPF_CACHE_DIR, /var/cache/wasm-bpf as root, else
	 * $XDG_CACHE_HOME/wasm-bpf or ~/.cache/wasm-bpf. Off with
	 * no_btf_cache or btf_path. */
	const char *btf_cache_dir;
	bool no_btf_cache;
	/* TinyGo's poll wrapper: its import module ("callback-wrapper") and
	 * the guest export it calls per record ("go-callback"); NULL: those.
	 * Upstream's -m/-c. */
	const char *go_poll_module;
	const char *go_callback_export;
	/* Cgroup programs may be given a cgroup v2 path as string target
	 * (bpf/README.md); off, cgroups come as descriptors only. */
	bool allow_cgroup_paths;
	/* The guest gets a read-only view of the host's tracing events and
	 * BTF directories unless this is set (README: host view). */
	bool no_host_view;
	/* Every BPF object and attach target the guest hands over is
	 * checked against it first (policy/policy.h); it must outlive the
	 * app. NULL: no checks. Run limits are the caller's
	 * (policy__check_run). */
	const struct policy *policy;
	/* BPF backend: NULL or "kernel", "user" (the userspace backend,
	 * bpf/README.md): its uprobes run in the processes of the `spawn`
	 * shell commands, started at the guest's first poll; or "auto": the
	 * kernel's when it runs the first object, else the user backend. */
	const char *backend;
	const char *const *spawn;
	size_t nspawn;
	/* Running processes the user backend loads its agent into (ptrace)
	 * at the guest's first poll, for its uprobes. */
	const int *pids;
	size_t npids;
	/* Event rate limit: at most max_event_rate ring/perf buffer records a
	 * second reach the guest's callbacks (all buffers together), with
	 * bursts of event_burst (0: one second's worth); the others are read
	 * from the kernel all the same (the tool keeps up) and counted as
	 * dropped_events. 0: none. A policy's events.max_rate applies too
	 * (the lower of the two, and its events.burst). */
	uint64_t max_event_rate, event_burst;
	/* Compiled-code cache (README): the guest's machine code kept in
	 * the cache directory's code/ ($WASM_BPF_CACHE_DIR or the default
	 * above), so later runs of the same module skip compiling. Without
	 * an entry (or with no_code_cache) the guest runs tiered (what gets
	 * hot is compiled) and, with the cache, wasm_bpf_app__free writes
	 * the whole module's code. Off with no_code_cache; unused when the
	 * guest is interpreted. */
	bool no_code_cache;
	/* The guest's code interpreted, not compiled (as WASM_BPF_JIT=0). */
	bool interp;
};

struct wasm_bpf_app;
struct policy;

/* NULL with errno set on failure; `err` (may be NULL) says why: a module
 * that does not decode or validate names the problem. */
struct wasm_bpf_app *
wasm_bpf_app__open_mem(const void *bytes, size_t len,
		       const struct wasm_bpf_app_opts *opts,
		       struct wasm_error *err);
struct wasm_bpf_app *
wasm_bpf_app__open_file(const char *path, const struct wasm_bpf_app_opts *opts,
			struct wasm_error *err);

/* The guest's argv (argv[0] is the name it sees) and environment ("K=V").
 * Strings are copied. 0 or a negative errno. */
int wasm_bpf_app__set_args(struct wasm_bpf_app *app, int argc,
			   const char *const *argv);
int wasm_bpf_app__add_env(struct wasm_bpf_app *app, const char *kv);
/* Gives the guest a host directory under `guest_path` (NULL: same name). */
int wasm_bpf_app__add_preopen(struct wasm_bpf_app *app, const char *host_path,
			      const char *guest_path);
/* Hands a host descriptor (e.g. a socket) to the guest; it gets the next
 * descriptor number after the preopens. The app uses a duplicate. */
int wasm_bpf_app__add_fd(struct wasm_bpf_app *app, int host_fd);

/* ---- embedding: own imports, stdio, pause, counters -------------------- */

/* Defines an import the guest may use, beside WASI and wasm_bpf, before
 * the run: `sig` in the engine's form ("ii->I", wasm.h). The function runs
 * on the guest's thread with `user`; wasm_bpf_app__of(caller) is the app.
 * To end the run from inside it, return wasm_instance__exit(caller, code)
 * or wasm_instance__host_trap(caller, ...), or call wasm_bpf_app__stop()
 * and return WASM_INTERRUPTED. Strings are copied. 0 or a negative errno
 * (-EEXIST: that name is WASI's, wasm_bpf's or defined already). */
int wasm_bpf_app__add_host_func(struct wasm_bpf_app *app, const char *module,
				const char *name, const char *sig,
				wasm_host_func_t fn, void *user);
/* The app an instance runs for (in a host function), or NULL. */
struct wasm_bpf_app *wasm_bpf_app__of(struct wasm_instance *inst);

/* The guest's descriptors 0, 1 and 2 (duplicated at the run; the caller
 * keeps its own); -1 leaves it closed. Default: the process's 0, 1, 2. */
int wasm_bpf_app__set_stdio(struct wasm_bpf_app *app, int in_fd, int out_fd,
			    int err_fd);

/* The guest's standard streams as the embedder's functions instead of
 * descriptors, e.g. to keep each instance's output apart in one process.
 * `out` gets what the guest writes to 1 and 2 (`stream` says which):
 * return how many bytes were taken (fewer: the guest writes the rest
 * again) or a negative errno. `in` fills `buf` for reads of 0: the number
 * of bytes (0: end of input), -EAGAIN when there is nothing yet (a
 * blocking read asks again every 10 ms and meanwhile sees stops; a guest
 * that made 0 non-blocking gets EAGAIN), or a negative errno. Both run on
 * the guest's thread inside its host call: a stop cannot cut a call short,
 * so they should not block for long. NULL keeps that side on descriptors
 * (wasm_bpf_app__set_stdio's or the process's). To the guest the streams
 * are pipes (not terminals: its libc buffers stdout fully), always ready
 * to poll_oneoff. Before the run; 0 or -EINVAL. */
typedef ssize_t (*wasm_bpf_stdout_fn)(struct wasm_bpf_app *app, int stream,
				      const void *buf, size_t len, void *user);
typedef ssize_t (*wasm_bpf_stdin_fn)(struct wasm_bpf_app *app, void *buf,
				     size_t len, void *user);
int wasm_bpf_app__set_stdio_callbacks(struct wasm_bpf_app *app,
				      wasm_bpf_stdin_fn in,
				      wasm_bpf_stdout_fn out, void *user);

/* Pause: the guest stops at its next safe point (loop back-edge, call, or
 * the check of a blocking host call such as a poll) and waits there until
 * resumed or stopped. Nothing is read from its buffers meanwhile: the
 * kernel keeps filling them and the records come after the resume (or
 * are counted lost where the buffer overflowed). Thread-safe; not from a
 * signal handler. A pause asked before the run applies at its start. */
void wasm_bpf_app__pause(struct wasm_bpf_app *app);
void wasm_bpf_app__resume(struct wasm_bpf_app *app);

/* Live upgrade with map hand-over (bpf/bpf_host.h): an app that shares
 * keeps a duplicate of each map it loads (so they outlive its objects
 * until the app is freed); an app that reuses from it takes, before each
 * load, every map of the same name and layout instead of a new one, so
 * counters, histograms and a ring buffer's unread records carry over. Both
 * before the run. 0 or a negative errno (-EINVAL: `from` does not share). */
int wasm_bpf_app__share_maps(struct wasm_bpf_app *app);
int wasm_bpf_app__reuse_maps(struct wasm_bpf_app *app,
			     const struct wasm_bpf_app *from);

/* Holds the guest's events back (its polls deliver nothing; records wait
 * in the kernel) or lets them go; for an app that shares or reuses maps.
 * Ring buffers the guest reads mapped in its memory are held at their
 * next wait (bpf/README.md). Holding returns once no poll or walk is
 * handing records over any more: after it, the guest consumes nothing until let
 * go. A live upgrade holds the new version until the old one is stopped
 * and holds the old one before stopping it, so each record of a shared
 * ring buffer is delivered exactly once. Thread-safe; a guest paused
 * inside a callback is delivering until resumed. */
void wasm_bpf_app__hold_events(struct wasm_bpf_app *app, bool hold);

struct wasm_bpf_app_stats {
	size_t sz;		/* sizeof(struct wasm_bpf_app_stats) */
	bool paused;		/* the guest is waiting in a pause now */
	uint64_t events;	/* records delivered to guest callbacks */
	uint64_t callback_ns;	/* time spent in those callbacks */
	uint64_t lost_events;	/* as wasm_bpf_app__lost_events() */
	uint64_t fuel_left;	/* UINT64_MAX: unlimited */
	uint32_t memory_pages;	/* 64 KiB pages of linear memory */
	uint64_t progs, maps, links; /* BPF objects held now */
	uint64_t maps_reused; /* taken over (wasm_bpf_app__reuse_maps) */
	/* Records kept from the guest by the event rate limit. */
	uint64_t dropped_events;
};
/* Any thread, during and after the run (what is held drops to 0 at its
 * end). Fuel and memory are as of the guest's latest host call. `sz` of a
 * caller built before a field was added gets the fields it knows. */
int wasm_bpf_app__stats(const struct wasm_bpf_app *app,
			struct wasm_bpf_app_stats *out);

/* Runs the entry point to completion. Returns the exit status: the guest's
 * code, 0 after wasm_bpf_app__stop(), WASM_BPF_EXIT_TRAP or
 * WASM_BPF_EXIT_ERROR; or a negative errno if called twice. The details
 * are below. */
int wasm_bpf_app__run(struct wasm_bpf_app *app);

/* Stopping, as container runtimes do: first ask the guest to wind down
 * with wasm_bpf_app__stop_graceful(), then, if the run has not returned
 * after a grace period (the command's --stop-timeout, 5 s by default),
 * interrupt it with wasm_bpf_app__stop().
 *
 * A graceful stop makes every host call that waits (the ring/perf buffer
 * poll returns -EINTR, as libbpf does on a signal; sleep, poll_oneoff,
 * fd_read, sock_accept and sock_recv return EINTR) return at once, and so
 * every later one too, while writes go on: the guest leaves its poll
 * loop, returns from main, its libc flushes stdout and the run returns the
 * guest's own exit status (WASM_BPF_END_EXIT). An open of a FIFO without
 * a peer returns EINTR when a request's wake-up signal reaches it.
 *
 * wasm_bpf_app__stop() interrupts the guest at its next loop back-edge,
 * call or host call (also when paused); the run returns 0 (WASM_BPF_END_STOPPED).
 *
 * Both are async-signal-safe and thread-safe, may be called until
 * wasm_bpf_app__free(), and end a run at once if asked before it starts.
 * Each call also sends WASM_BPF_WAKE_SIGNAL to the thread in
 * wasm_bpf_app__run(). A signal that lands just before that thread enters
 * a blocking syscall is missed, and the syscall then blocks: call again
 * (the command repeats the request every 100 ms until the run returns). */
void wasm_bpf_app__stop_graceful(struct wasm_bpf_app *app);
void wasm_bpf_app__stop(struct wasm_bpf_app *app);

enum wasm_bpf_end wasm_bpf_app__end(const struct wasm_bpf_app *app);
/* Perf buffer records the kernel dropped because the guest did not read
 * them in time, all buffers; any thread, during and after the run. */
uint64_t wasm_bpf_app__lost_events(const struct wasm_bpf_app *app);
/* The event rate limit in force (records a second, 0: none) and its
 * burst: the options' and the policy's, the lower one. */
uint64_t wasm_bpf_app__event_rate(const struct wasm_bpf_app *app,
				  uint64_t *burst);
/* One line: the trap ("out of bounds memory access in f+0x1c") or the
 * setup error ("unknown import wasm_bpf.foo (func)"); "" otherwise. */
const char *wasm_bpf_app__errmsg(const struct wasm_bpf_app *app);
/* Details of the trap that ended the run, or NULL. */
const struct wasm_trap *wasm_bpf_app__trap(const struct wasm_bpf_app *app);

void wasm_bpf_app__free(struct wasm_bpf_app *app);

/* Upstream wasm-bpf's C++ entry point (its bpf-api.h), for embedders
 * moving over: runs the module in buf with argv (argv[0] is the name the
 * guest sees) and default options. The guest's exit status, or -1 when it
 * could not be loaded or linked, or trapped (one line on stderr). */
int wasm_main(unsigned char *buf, unsigned int size, int argc, char *argv[]);

#ifdef __cplusplus
}
#endif
#endif
