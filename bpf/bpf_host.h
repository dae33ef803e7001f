/* bpf_host.h — the `wasm_bpf` host module: BPF objects loaded, attached,
 * polled and operated on through libbpf on behalf of one guest instance.
 * Every object, program, link and map the guest creates belongs to the
 * bpf_host and is destroyed with it, whatever way the instance ended.
 */
#ifndef WASM_BPF_BPF_HOST_H
#define WASM_BPF_BPF_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>
#include "engine/wasm.h"

struct wasi_ctx;

/* A program as a guard sees it, whichever backend holds it. */
struct bpf_guard_prog {
	const char *name, *section;
	enum bpf_prog_type type;
	enum bpf_attach_type expected_attach;
};
typedef int (*bpf_guard_load_fn)(void *ctx, const void *elf, size_t len,
				 char *why, size_t why_len);
typedef int (*bpf_guard_attach_fn)(void *ctx, const struct bpf_guard_prog *prog,
				   const char *target, int host_fd, char *why,
				   size_t why_len);

/* What a host holds and has delivered, for an embedder's metrics: updated
 * atomically on the guest's thread, read from any thread (relaxed). */
struct bpf_host_stats {
	uint64_t events;      /* records handed to guest callbacks */
	uint64_t callback_ns; /* time delivering them (per poll) */
	uint64_t progs, maps, links; /* held now */
	/* The embedder adds the time its guest waited in a pause (on the
	 * guest's thread): a pause inside a callback is not callback time. */
	uint64_t paused_ns;
	/* Records consumed from the buffers but not handed to the guest:
	 * over the event rate limit (bpf_host_opts.max_event_rate). */
	uint64_t dropped;
};

/* Map hand-over between two hosts, for a live upgrade: the old host
 * records (exports) a duplicate descriptor of each map it loads, by name;
 * the new host, before loading an object, reuses each exported map whose
 * name, type, key and value sizes, entry count and flags are the same as
 * its own, so the state in it (counters, histograms, a ring buffer's
 * unread records) carries over. Internal maps (.data, .bss, .rodata) are
 * never handed over. Thread-safe; reference-counted (each host using a
 * share holds a reference). */
struct bpf_map_share;
struct bpf_map_share *bpf_map_share__new(void);
struct bpf_map_share *bpf_map_share__get(struct bpf_map_share *s);
void bpf_map_share__put(struct bpf_map_share *s);
/* Maps reused from it so far (by every host reusing it). */
uint64_t bpf_map_share__reused(const struct bpf_map_share *s);

/* Holding events back, for a live upgrade's switch-over: while `hold` is
 * non-zero the host's polls deliver nothing (they wait as if no record
 * came; records stay in the kernel's buffers); `delivering` is non-zero
 * while a poll may be handing records to the guest. Both accessed
 * atomically; the embedder owns them. A ring buffer mapped into the guest
 * (wasm_bpf_ring_map) is read by the guest itself: its walk from a
 * wasm_bpf_ring_wait that found records to its wasm_bpf_ring_done counts
 * as delivering, and a held wait finds none. The host must be freed
 * before its instance (mappings are removed from the instance's memory);
 * freeing it clears `delivering`. */
struct bpf_host_hold {
	int hold, delivering;
};

struct bpf_host_opts {
	size_t sz;
	bool verbose;        /* libbpf's log (and the verifier log) to stderr */
	bool force_perfbuf;  /* switch ring buffers to perf buffers before load */
	const char *btf_path; /* kernel BTF for CO-RE when /sys/kernel/btf/vmlinux is absent */
	struct wasi_ctx *wasi; /* to resolve guest descriptors (attach by fd) */
	const char *go_callback_export; /* default "go-callback" */
	const char *go_poll_module;     /* default "callback-wrapper" */
	/* CO-RE BTF cache (bpf/README.md): its directory (NULL: the
	 * default), or none at all. Not used with btf_path. */
	const char *btf_cache_dir;
	bool no_btf_cache;
	/* A cgroup program's string target may be a cgroup v2 directory
	 * path the host opens (upstream's sockops does so). Off: the guest
	 * attaches by a descriptor it holds. */
	bool allow_cgroup_paths;
	/* Where to count perf buffer records the kernel dropped (NULL: the
	 * host's own counter); updated atomically, so another thread may
	 * read it while the guest runs and after the host is freed. */
	uint64_t *lost_events;
	/* Where to keep the counters above (NULL: nowhere); it must outlive
	 * the host. */
	struct bpf_host_stats *stats;
	/* Map hand-over (above): where to record this host's maps, and where
	 * to take maps from before load. NULL: neither. */
	struct bpf_map_share *export_maps, *reuse_maps;
	struct bpf_host_hold *hold; /* NULL: never held */
	/* Asked before an object reaches the kernel (or the user backend) and
	 * before each attach (target: the guest's string, "" for the
	 * section's own; host_fd: a descriptor target, else -1). Non-zero
	 * refuses, with `why` saying so in one line. NULL: everything allowed
	 * (runtime/ wires policy/ here: bpf/ sits below it). */
	bpf_guard_load_fn guard_load;
	bpf_guard_attach_fn guard_attach;
	void *guard_ctx;
	/* "kernel" (NULL), "user": the userspace backend
	 * (bpf/user/ubpf_host.h), uprobes and syscall tracepoints running in
	 * the spawn commands' processes, or "auto": the kernel when bpf(2)
	 * works and supports the object's program types, else the user
	 * backend if it runs them all (bpf_backend.h), chosen at the first
	 * load. The spawn commands start at the first poll or map operation
	 * with either. */
	const char *backend;
	const char *const *spawn;
	size_t nspawn;
	/* Running processes the user backend's agent is loaded into (ptrace),
	 * like spawn's, for their uprobes. */
	const int *pids;
	size_t npids;
	/* Where the host's own lines about this guest go (policy refusals,
	 * failed loads and attaches, and under `verbose` lost records), one
	 * call per line, newline included: the embedder sends them where
	 * the guest's stderr goes, so a daemon's plugin log has them. NULL:
	 * the process's stderr. libbpf's log stays on the process's stderr
	 * (its print callback is process-wide). */
	void (*log)(void *ctx, const char *line, size_t len);
	void *log_ctx;
	/* Event rate limit of the whole host (all its buffers): at most
	 * `max_event_rate` records a second reach the guest's callbacks,
	 * with bursts of `event_burst` (0: one second's worth); the rest are
	 * read from the kernel's buffers all the same and counted in
	 * stats.dropped. 0: no limit. */
	uint64_t max_event_rate, event_burst;
};

struct bpf_host;

struct bpf_host *bpf_host__new(const struct bpf_host_opts *opts);
/* Destroys every object the guest loaded: links, programs, maps. */
void bpf_host__free(struct bpf_host *h);
/* Defines the wasm_bpf imports (and the TinyGo callback-wrapper one) on the
 * linker with `h` as user pointer. */
int bpf_host__define(struct bpf_host *h, struct wasm_linker *l);
/* Perf buffer records the kernel dropped so far, every buffer of every
 * object; safe from any thread while `h` lives. */
uint64_t bpf_host__lost_events(const struct bpf_host *h);
/* Number of objects still open (for tests and leak checks). */
int bpf_host__object_count(const struct bpf_host *h);
/* Whether programs of type `t` attach to a cgroup (their target is one):
 * the host's attach and policy/'s reading of objects share this list
 * (inline: the object scanner links without the host). */
static inline bool bpf_host__is_cgroup_type(enum bpf_prog_type t)
{
	switch (t) {
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_CGROUP_SOCK:
	case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
	case BPF_PROG_TYPE_CGROUP_SOCKOPT:
	case BPF_PROG_TYPE_CGROUP_SYSCTL:
	case BPF_PROG_TYPE_CGROUP_DEVICE:
	case BPF_PROG_TYPE_SOCK_OPS:
		return true;
	default:
		return false;
	}
}

#endif
