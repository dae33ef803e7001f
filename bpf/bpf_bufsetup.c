/* bpf_bufsetup.c — the ring and perf buffers of an object outside its
 * polls: the switch of ring buffers to perf buffers (before load) on
 * kernels without BPF ring buffers or when asked to, the readers
 * (pollers) opened at load or at a map's first poll and freed at close,
 * and the perf buffer records the kernel dropped. Runs per load, close or
 * lost-record report, never per record: built for size (COLD_SRCS).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"

#define BH_PERF_PAGES 16 /* per CPU */
/* The rodata flag bpf_buffer.bpf.h reads; the host sets it when it
 * switched this object's ring buffers to perf buffers. */
#define BH_PERF_FLAG "wasm_bpf_buffer_is_perf"

/* ---- ring buffer -> perf buffer, before load --------------------------- */

static bool kernel_has_ringbuf(void)
{
	static int probed; /* 0 unknown, 1 yes, -1 no; hosts run on threads */
	int p = __atomic_load_n(&probed, __ATOMIC_RELAXED);

	if (!p) {
		p = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0
			? 1
			: -1;
		__atomic_store_n(&probed, p, __ATOMIC_RELAXED);
	}
	return p > 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static struct bpf_map *rodata_map(struct bpf_object *obj)
{
	struct bpf_map *m;

	for (m = bpf_object__next_map(obj, NULL); m;
	     m = bpf_object__next_map(obj, m))
		if (bpf_map__is_internal(m) &&
		    has_suffix(bpf_map__name(m), ".rodata"))
			return m;
	return NULL;
}

/* Whether the BPF side was built with bpf_buffer.bpf.h, i.e. declares the
 * flag its helpers read to choose between ring and perf buffer. */
static bool declares_perf_flag(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	int id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC)
		     : -ENOENT;
	if (id < 0)
		return false;
	const struct btf_type *sec = btf__type_by_id(btf, id);
	const struct btf_var_secinfo *vi = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vi++) {
		const struct btf_type *var = btf__type_by_id(btf, vi->type);
		if (var && !strcmp(btf__name_by_offset(btf, var->name_off),
				   BH_PERF_FLAG))
			return true;
	}
	return false;
}

/* Sets the SDK's flag to 1 if the object has it; objects that do not use
 * the SDK header are left alone. */
static int set_perf_flag(struct bpf_object *obj)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *m = rodata_map(obj);
	const struct btf_var_secinfo *vi;
	const struct btf_type *sec;
	const void *init;
	size_t size;
	int id, err;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC)
		 : -ENOENT;
	if (id < 0 || !m)
		return 0;
	sec = btf__type_by_id(btf, id);
	vi = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vi++) {
		const struct btf_type *var = btf__type_by_id(btf, vi->type);
		char *copy;

		if (!var || strcmp(btf__name_by_offset(btf, var->name_off),
				   BH_PERF_FLAG))
			continue;
		init = bpf_map__initial_value(m, &size);
		if (!init || vi->size != 4 || (size_t)vi->offset + 4 > size)
			return -EINVAL;
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, init, size);
		memcpy(copy + vi->offset, &(int){1}, 4);
		err = bpf_map__set_initial_value(m, copy, size);
		free(copy);
		return err;
	}
	return 0;
}

static int switch_map(struct bpf_map *m)
{
	int ncpus = libbpf_num_possible_cpus();
	int err;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	err = bpf_map__set_type(m, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	err = err ? err : bpf_map__set_key_size(m, 4);
	err = err ? err : bpf_map__set_value_size(m, 4);
	return err ? err : bpf_map__set_max_entries(m, ncpus);
}

int bh_buffer_prepare(struct bpf_host *h, struct bh_object *o)
{
	struct bpf_map *m;
	bool any = false;
	int err;

	for (m = bpf_object__next_map(o->obj, NULL); m;
	     m = bpf_object__next_map(o->obj, m))
		any |= bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF;
	if (!any || (!h->force_perfbuf && kernel_has_ringbuf()))
		return 0;
	/* Code that calls bpf_ringbuf_* directly would be refused by the
	 * verifier once its map is a perf event array: only objects built
	 * with the portable helpers are switched. */
	if (!declares_perf_flag(o->obj)) {
		bh_log(h, "ring buffers kept: the BPF side does not use "
			  "bpf_buffer.bpf.h, so it cannot fall back to perf "
			  "buffers");
		return 0;
	}
	for (m = bpf_object__next_map(o->obj, NULL); m;
	     m = bpf_object__next_map(o->obj, m)) {
		void *arr;

		if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
			continue;
		arr = realloc(o->switched,
			      (o->nswitched + 1) * sizeof(*o->switched));
		if (!arr)
			return -ENOMEM;
		o->switched = arr;
		o->switched[o->nswitched++] = m;
		err = switch_map(m);
		if (err)
			return err;
	}
	return set_perf_flag(o->obj);
}


static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The kernel tells how many records it could not store when it next
 * stores one. Counted per buffer and host; -v says so at most once a
 * second per buffer, and the total when the buffer goes. */
static void pb_lost(void *ctx, int cpu, __u64 cnt)
{
	struct bh_poller *p =
	    (struct bh_poller *)((char *)ctx - offsetof(struct bh_poller, st));
	int64_t now;

	p->lost += cnt;
	__atomic_add_fetch(p->host->lost, cnt, __ATOMIC_RELAXED);
	if (!p->host->verbose)
		return;
	now = now_ms();
	if (p->lost_said_ms && now - p->lost_said_ms < 1000)
		return;
	p->lost_said_ms = now;
	bh_log(p->host, "perf buffer '%s': %llu records lost on CPU %d (%llu "
			"in all)",
	       p->name, (unsigned long long)cnt, cpu,
	       (unsigned long long)p->lost);
}

/* ---- pollers ----------------------------------------------------------- */

struct bpf_map *bh_own_map(struct bh_object *o, int fd)
{
	struct bpf_map *m;

	if (fd < 0)
		return NULL;
	for (m = bpf_object__next_map(o->obj, NULL); m;
	     m = bpf_object__next_map(o->obj, m))
		if (bpf_map__fd(m) == fd)
			return m;
	return NULL;
}

static struct bh_poller *poller_new(struct bh_object *o, int fd, int *err)
{
	struct bpf_map *m = bh_own_map(o, fd);
	struct bh_poller *p;
	void *arr;

	*err = -EBADF;
	if (!m)
		return NULL;
	*err = -EINVAL;
	if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF &&
	    bpf_map__type(m) != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return NULL;
	*err = -ENOMEM;
	arr = realloc(o->pollers, (o->npollers + 1) * sizeof(*o->pollers));
	if (!arr)
		return NULL;
	o->pollers = arr;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->map_fd = fd;
	p->host = o->host;
	p->obj = o;
	p->name = bpf_map__name(m);
	if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
		p->rb = ring_buffer__new(fd, bh_rb_sample, &p->st, NULL);
	else
		p->pb = perf_buffer__new(fd, BH_PERF_PAGES, bh_pb_sample, pb_lost,
					 &p->st, NULL);
	if (!p->rb && !p->pb) {
		*err = errno ? -errno : -EINVAL;
		free(p);
		return NULL;
	}
	o->pollers[o->npollers++] = p;
	return p;
}

struct bh_poller *bh_poller_get(struct bh_object *o, int fd, int *err)
{
	for (size_t i = 0; i < o->npollers; i++)
		if (o->pollers[i]->map_fd == fd)
			return o->pollers[i];
	return poller_new(o, fd, err);
}

/* Perf buffers are opened at load, not at the first poll: the kernel drops
 * records for CPUs whose ring is not open yet, and a guest attaches before
 * it polls. Guests cannot put perf events into these maps (updates are
 * refused), so every perf event array here is an output buffer. */
int bh_buffer_start(struct bh_object *o)
{
	struct bpf_map *m;
	int err = 0;

	bpf_object__for_each_map(m, o->obj) {
		if (bpf_map__type(m) != BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
		    bpf_map__fd(m) < 0)
			continue;
		if (!bh_poller_get(o, bpf_map__fd(m), &err))
			return err;
	}
	return 0;
}

void bh_pollers_free(struct bh_object *o)
{
	for (size_t i = 0; i < o->npollers; i++) {
		if (o->pollers[i]->lost && o->host->verbose)
			bh_log(o->host, "perf buffer '%s': %llu records lost "
					"in all",
			       o->pollers[i]->name,
			       (unsigned long long)o->pollers[i]->lost);
		ring_buffer__free(o->pollers[i]->rb);
		perf_buffer__free(o->pollers[i]->pb);
		free(o->pollers[i]);
	}
	free(o->pollers);
	o->pollers = NULL;
	o->npollers = 0;
	free(o->switched);
	o->switched = NULL;
	o->nswitched = 0;
}

int64_t bh_buffer_lost(struct bpf_host *h, uint64_t id, int32_t map_fd)
{
	struct bh_object *o = bh_object_find(h, id);
	struct bpf_map *m = o ? bh_own_map(o, map_fd) : NULL;

	if (!m)
		return -EBADF;
	if (bpf_map__type(m) != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF ? -EOPNOTSUPP
								: -EINVAL;
	for (size_t i = 0; i < o->npollers; i++)
		if (o->pollers[i]->map_fd == map_fd)
			return (int64_t)o->pollers[i]->lost;
	return 0;
}

