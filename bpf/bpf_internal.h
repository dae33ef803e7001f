/* bpf_internal.h — state shared by the files of the `wasm_bpf` host module:
 * the object table of one bpf_host, its per-object links and buffer pollers,
 * and the entry points each file implements. Nothing here is part of the
 * embedding API (that is bpf_host.h).
 */
#ifndef WASM_BPF_BPF_INTERNAL_H
#define WASM_BPF_BPF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_host.h"
#include "bpf/bpf_imports.h"
#include "bpf/bpf_rate.h"

/* Longest program/map name and attach target a guest may pass. */
#define BH_NAME_MAX   1024
#define BH_TARGET_MAX 4096
/* Code that runs once per load or instance in a file of hot code: gcc
 * and clang optimize it for size (the runtime's size is capped). */
#define BH_COLD __attribute__((cold))
/* Largest BPF object a guest may hand over (well above any real one). */
#define BH_OBJECT_MAX (256u << 20)

enum bh_attach_kind {
	BH_LINK,	/* a bpf_link: destroyed with bpf_link__destroy */
	BH_TC,		/* a tc filter, and maybe the clsact qdisc we made */
	BH_SOCK_FILTER, /* SO_ATTACH_BPF on a dup of the guest's socket */
	BH_FD_LINK	/* a link libbpf 1.1 has no object for (tcx): close */
};

struct bh_attach {
	enum bh_attach_kind kind;
	struct bpf_link *link;
	struct bpf_tc_hook hook;
	struct bpf_tc_opts tc;
	bool hook_created;
	int sock_fd; /* BH_SOCK_FILTER: the socket; BH_FD_LINK: the link */
};

/* What one poll call hands to the per-record callback. */
struct bh_poll_state {
	struct wasm_instance *inst;
	struct wasm_func *fn;
	/* fn's call, prepared once per poll; call_err: what preparing it
	 * returned (then every record gets that instead of a call). */
	struct wasm_call call;
	int call_err;
	uint32_t ctx, buf, buf_len;
	void *dst; /* host address of buf: guest memory never moves */
	int status; /* enum wasm_status of the last guest call */
	int count;  /* records delivered */
	uint64_t dropped; /* records over the rate limit */
	struct bh_rate *rate; /* the host's */
	/* Time from the first record's delivery to the end of the poll,
	 * pauses not counted: the clock is read twice per poll, not per
	 * record (a read costs ~20 ns, three times a record's native cost). */
	uint64_t cb_start;
	const uint64_t *paused_ns; /* bpf_host_stats.paused_ns */
	int ret;    /* negative: error to return instead of count */
	bool stopped;
	bool slow; /* stopped, call_err or a rate limit: deliver_slow */
	uint32_t rec_max; /* records are truncated to it */
};

struct bh_poller {
	int map_fd;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	const struct wasm_func *checked_fn; /* last callback found well-typed */
	struct bh_poll_state st; /* libbpf's ctx: must not move */
	struct bpf_host *host;
	struct bh_object *obj; /* whose map it reads */
	const char *name;     /* the map's, for messages */
	uint64_t lost;	      /* perf buffer records the kernel dropped */
	int64_t lost_said_ms; /* when -v last reported them */
};

struct bh_object {
	uint64_t id;
	struct bpf_host *host;
	struct bpf_object *obj;
	void *elf; /* host copy of the guest's ELF, alive as long as obj */
	struct bh_attach *att;
	size_t natt, capatt;
	struct bh_poller **pollers;
	size_t npollers;
	struct bpf_map **switched; /* ring buffers made perf buffers */
	size_t nswitched;
	struct bh_ringmap *rings; /* mapped into the guest (bpf_ringmap.c) */
	size_t nrings;
	bool busy; /* a poll on it is running: closing must wait */
};

/* What a map operation needs of a map, read once when its object loads. */
struct bh_map_info {
	struct bpf_map *map; /* NULL: no map of ours has this descriptor */
	uint32_t type;       /* enum bpf_map_type */
	uint32_t key_size;
	size_t value_size; /* as the kernel copies it (per-CPU: every CPU) */
};

struct bpf_host {
	bool verbose, force_perfbuf;
	bool cgroup_paths; /* bpf_host_opts.allow_cgroup_paths */
	char *btf_path;
	char *btf_cache_dir; /* CO-RE BTF cache (bpf_btfcache.c); NULL: off */
	struct wasi_ctx *wasi;
	struct bpf_host_opts guard; /* its guard_* fields only */
	char *go_export, *go_module;
	struct bh_object **objs;
	size_t nobjs, capobjs;
	uint64_t next_id;
	bool polling; /* one poll at a time: callbacks may not poll again */
	/* Every map of every open object by descriptor: map operations are
	 * the hot path and must not walk the objects or ask libbpf. */
	struct bh_map_info *map_by_fd;
	size_t map_by_fd_len;
	char *pin_root; /* private pin directory (bpf_pin.c) */
	bool pin_made;	/* it exists and must be removed */
	/* Perf buffer records lost, all buffers: the embedder's counter
	 * (bpf_host_opts.lost_events) or lost_own; read from any thread. */
	uint64_t *lost, lost_own;
	struct ubpf_host *user; /* --backend user: it defines the imports */
	/* --backend auto (bpf_auto.c): the backend the first load chose
	 * (BPF_BACKEND_*; 0 none yet), user set up beside the kernel's. */
	bool autosel;
	int chosen;
	struct bpf_host_stats *stats, stats_own; /* opts.stats or stats_own */
	struct bpf_map_share *export_maps, *reuse_maps; /* referenced */
	struct bpf_host_hold *hold;			 /* opts.hold */
	struct bh_rate rate; /* opts.max_event_rate, for every buffer */
	void (*log)(void *ctx, const char *line, size_t len); /* opts' */
	void *log_ctx;
};

/* bpf_host.c's import functions, in BPF_IMPORTS order, and its TinyGo
 * poll. */
const struct bpf_import *bh_imports(wasm_host_func_t *go_poll);
/* bpf_auto.c: the imports of a --backend auto host, which pass each call
 * to the backend its first load chose. */
int bh_auto_define(struct bpf_host *h, struct wasm_linker *l);
/* One line about this host's guest ("wasm_bpf: " and a newline added),
 * to bpf_host_opts.log, else in one write(2) to the process's stderr. */
__attribute__((format(printf, 2, 3))) void bh_log(struct bpf_host *h,
						  const char *fmt, ...);

/* bpf_share.c: map hand-over before and after an object's load. */
int bh_share_reuse(struct bpf_map_share *s, struct bpf_object *obj);
int bh_share_export(struct bpf_map_share *s, struct bpf_object *obj);

/* Linux's kernel-internal errnos (512..531: ERESTARTSYS, ENOTSUPP...) are
 * not part of the ABI and mean nothing to a guest's libc: the host maps
 * them to standard values before a result leaves it. */
int bh_errno(int err);

struct bh_object *bh_object_find(struct bpf_host *h, uint64_t id);
/* The map behind `fd` among every open object of `h`, or NULL. */
static inline const struct bh_map_info *bh_map_by_fd(struct bpf_host *h,
						     int fd)
{
	if (fd < 0 || (size_t)fd >= h->map_by_fd_len || !h->map_by_fd[fd].map)
		return NULL;
	return &h->map_by_fd[fd];
}
bool bh_is_prog_fd(struct bpf_host *h, int fd);
/* The guard's verdict on attaching `p` (0: go on); a refusal is printed. */
int bh_guard_attach(struct bpf_host *h, const struct bpf_program *p,
		    const char *target, int host_fd);

int64_t bh_load(struct bpf_host *h, struct wasm_instance *inst, uint32_t buf,
		uint32_t len);
int bh_close(struct bpf_host *h, uint64_t id);
void bh_object_destroy(struct bh_object *o);
int bh_map_fd_by_name(struct bpf_host *h, struct wasm_instance *inst,
		      uint64_t id, uint32_t name);

int bh_attach(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
	      uint32_t name, uint32_t target);
int bh_attach_fd(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
		 uint32_t name, int32_t target_fd);
void bh_detach_all(struct bh_object *o);

int bh_map_operate(struct bpf_host *h, struct wasm_instance *inst, int32_t fd,
		   int32_t cmd, uint32_t key, uint32_t value, uint32_t next_key,
		   uint64_t flags);
/* Size of a value as the kernel copies it to or from user space. */
size_t bh_map_value_size(const struct bpf_map *m);

/* Returns an enum wasm_status; the guest-visible result goes to *result.
 * Each record is copied to buf (truncated to buf_len) and fn called
 * (-EBUSY: the ring is mapped into the guest). */
int bh_poll(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
	    int32_t map_fd, struct wasm_func *fn, uint32_t ctx, uint32_t buf,
	    uint32_t buf_len, int32_t timeout_ms, int32_t *result);
void bh_pollers_free(struct bh_object *o);
/* Records the kernel dropped from perf buffer `map_fd` of object `id`
 * (-EOPNOTSUPP for a ring buffer: the kernel counts no drops there). */
int64_t bh_buffer_lost(struct bpf_host *h, uint64_t id, int32_t map_fd);

/* bpf_bufsetup.c: the reader of map `fd` of `o`, opened at its first
 * poll (perf buffers: at load, bh_buffer_start); NULL and *err if the map
 * is none of o's (-EBADF) or no buffer (-EINVAL). Its libbpf callbacks
 * are bpf_buffer.c's, the per-record path. */
struct bh_poller *bh_poller_get(struct bh_object *o, int fd, int *err);
/* o's map with descriptor fd, or NULL. */
struct bpf_map *bh_own_map(struct bh_object *o, int fd);
int bh_rb_sample(void *ctx, void *data, size_t size);
void bh_pb_sample(void *ctx, int cpu, void *data, __u32 size);
/* Switches ring buffers to perf buffers (before load) when asked to or when
 * the kernel has none; sets the SDK's rodata flag to match. */
int bh_buffer_prepare(struct bpf_host *h, struct bh_object *o);
/* After load: readers for the switched maps, so records are kept from the
 * first event on, as a ring buffer keeps them. */
int bh_buffer_start(struct bh_object *o);

/* bpf_ringmap.c: the wasm_bpf_ring_* imports (0 or a count, else -errno;
 * bh_ring_wait returns an enum wasm_status, its result in *result), and
 * the mappings' end when o closes. */
int bh_ring_map(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
		int32_t fd, uint32_t addr, uint32_t len);
int bh_ring_unmap(struct bpf_host *h, uint64_t id, int32_t fd);
int bh_ring_wait(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
		 int32_t fd, int32_t timeout, int32_t *result);
int bh_ring_done(struct bpf_host *h, uint64_t id, int32_t fd,
		 int32_t delivered);
bool bh_ring_mapped(struct bh_object *o, int fd);
void bh_rings_free(struct bh_object *o);

/* bpf_pin.c: the private pin root of a host. A new name for one (not yet
 * made); after an object is opened, making it if a map is pinned by name
 * (-errno with the reason in `why` if that cannot be); removing it and
 * every pin in it. */
char *bh_pin_root_new(void);
int bh_pin_prepare(struct bpf_host *h, struct bpf_object *obj, char *why,
		   size_t n);
void bh_pin_remove(struct bpf_host *h);

/* bpf_btfmin.c: the part of the kernel's BTF that an object's CO-RE
 * relocations can look at. The section .BTF.ext of an ELF image (*ext
 * NULL if none); the number of CO-RE records in it (or -EINVAL); and the
 * minimal BTF, or -ENOTSUP/-EINVAL/-E2BIG when the object must use the
 * full one (types only in modules, kernel type ids, malformed input). */
struct btf;
int bh_btfmin_ext(const void *elf, size_t len, const void **ext,
		  size_t *ext_len);
int bh_btfmin_count(const void *ext, size_t len);
int bh_btfmin_build(const struct btf *local, const void *ext, size_t len,
		    const struct btf *kern, struct btf **out);

/* bpf_objcheck.c: 0, or -EINVAL if the ELF image is malformed in a way
 * libbpf 1.1 would crash on (names outside string tables, symbols in no
 * section, and all bpf_btfcheck.c refuses in .BTF and .BTF.ext). */
int bh_object_check(const void *elf, size_t len);

/* bpf_btfcache.c: the cache of those on disk. The default directory
 * (WASM_BPF_CACHE_DIR, /var/cache/wasm-bpf for root, else the XDG cache);
 * the entry to load `elf` with (malloc'd path), made on a miss, or NULL
 * for the full kernel BTF; and what to do when a load with it failed
 * (full_err: how the retry with the full BTF went). */
char *bh_btfcache_lookup(struct bpf_host *h, const void *elf, size_t len);
void bh_btfcache_failed(struct bpf_host *h, const char *path, int err,
			int full_err);

#endif
