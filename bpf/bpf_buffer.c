/* bpf_buffer.c — wasm_bpf_buffer_poll: records of a ring buffer or perf
 * buffer delivered one by one to a guest callback, and the switch of ring
 * buffers to perf buffers (before load) on kernels without BPF ring buffers
 * or when asked to. The poll waits in short slices so an interrupt (Ctrl-C,
 * SIGTERM, a deadline) ends it promptly.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_copy.h"
#include "bpf/bpf_internal.h"

#define BH_POLL_SLICE_MS 50
#define BH_PERF_PAGES	 16 /* per CPU */
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* ---- delivering records ------------------------------------------------ */

/* How a record's call ended when it did not return 0: a non-zero return
 * stops libbpf's ring buffer loop; perf buffers cannot be stopped, so
 * later records of that poll are dropped (deliver's slow path). */
static int stop(struct bh_poll_state *st, int s, int r)
{
	st->status = s;
	st->stopped = st->slow = true;
	if (s == WASM_OK && r < 0)
		st->ret = r;
	return s == WASM_INTERRUPTED ? -EINTR : -ECANCELED;
}

/* A record handed over; the first starts the poll's callback time. */
static void count(struct bh_poll_state *st)
{
	if (!st->count++)
		st->cb_start = now_ns() - *st->paused_ns;
}

/* The rare cases, all flagged by st->slow: a stopped poll (-ECANCELED),
 * a record over the rate (consumed, so the kernel's buffer keeps
 * draining, but not delivered: 0, and the poll waits on for one that is;
 * the clock is read per record only under a limit), a call that could
 * not be prepared (every record ends the poll with its status). 1: go
 * on and deliver. */
static int deliver_slow(struct bh_poll_state *st)
{
	if (st->stopped)
		return -ECANCELED;
	if (st->rate->interval_ns && !bh_rate__admit(st->rate, now_ns())) {
		st->dropped++;
		return 0;
	}
	if (st->call_err) {
		count(st);
		return stop(st, st->call_err, 0);
	}
	return 1;
}

/* One record: copy (truncated to buf_len), call the guest. This runs once
 * per event, so it checks nothing the poll already checked: the buffer
 * was bounds-checked when the poll began (guest memory never shrinks or
 * moves), the call was prepared then (wasm_call), and the callback's
 * entry notices an interrupt. */
static int deliver(struct bh_poll_state *st, const void *data, size_t size)
{
	uint32_t n = size < st->buf_len ? (uint32_t)size : st->buf_len;
	uint64_t *slots = st->call.slots;
	int s, r;

	if (__builtin_expect(st->slow, 0)) {
		s = deliver_slow(st);
		if (s <= 0)
			return s;
	}
	bh_copy_record(st->dst, data, n);
	count(st);
	slots[0] = st->ctx, slots[1] = st->buf, slots[2] = n;
	s = wasm_call__again(&st->call);
	r = (int32_t)(uint32_t)slots[0];
	if (__builtin_expect(s == WASM_OK && r == 0, 1))
		return 0;
	return stop(st, s, r);
}

static int rb_sample(void *ctx, void *data, size_t size)
{
	return deliver(ctx, data, size);
}

static void pb_sample(void *ctx, int cpu, void *data, __u32 size)
{
	deliver(ctx, data, size);
}

static int64_t now_ms(void);

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

static struct bpf_map *own_map(struct bh_object *o, int fd)
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
	struct bpf_map *m = own_map(o, fd);
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
	p->name = bpf_map__name(m);
	if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
		p->rb = ring_buffer__new(fd, rb_sample, &p->st, NULL);
	else
		p->pb = perf_buffer__new(fd, BH_PERF_PAGES, pb_sample, pb_lost,
					 &p->st, NULL);
	if (!p->rb && !p->pb) {
		*err = errno ? -errno : -EINVAL;
		free(p);
		return NULL;
	}
	o->pollers[o->npollers++] = p;
	return p;
}

static struct bh_poller *poller_get(struct bh_object *o, int fd, int *err)
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
		if (!poller_get(o, bpf_map__fd(m), &err))
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
	struct bpf_map *m = o ? own_map(o, map_fd) : NULL;

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

/* ---- the poll ---------------------------------------------------------- */

static bool callback_ok(const struct wasm_func *f)
{
	if (wasm_func__param_count(f) != 3 || wasm_func__result_count(f) != 1)
		return false;
	for (uint32_t i = 0; i < 3; i++)
		if (wasm_func__param_type(f, i) != WASM_I32)
			return false;
	return wasm_func__result_type(f, 0) == WASM_I32;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One slice of polling, unless the embedder holds events back: then the
 * slice passes (10 ms at most) with nothing delivered. `delivering` is set
 * before `hold` is read, so an embedder that sets `hold` and then sees
 * `delivering` clear knows no record is handed over any more. */
static int poll_once(struct bh_poller *p, int slice)
{
	struct bpf_host_hold *hd = p->host->hold;
	struct timespec ts = {0, (slice < 10 ? slice : 10) * 1000000L};
	int err;

	if (hd) {
		__atomic_store_n(&hd->delivering, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&hd->hold, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&hd->delivering, 0, __ATOMIC_SEQ_CST);
			nanosleep(&ts, NULL);
			return 0;
		}
	}
	err = p->rb ? ring_buffer__poll(p->rb, slice)
		    : perf_buffer__poll(p->pb, slice);
	if (hd)
		__atomic_store_n(&hd->delivering, 0, __ATOMIC_SEQ_CST);
	return err;
}

/* Polls in slices until a record arrived, an error, the timeout or an
 * interrupt. Returns an enum wasm_status. A guest polls once per wake-up,
 * so the clock is read only when the wait outlasts one slice. */
static int poll_loop(struct bh_poller *p, int32_t timeout, int32_t *result)
{
	struct bh_poll_state *st = &p->st;
	bool one_slice = timeout >= 0 && timeout <= BH_POLL_SLICE_MS;
	int64_t end = 0;
	int err, slice;

	if (timeout > BH_POLL_SLICE_MS)
		end = now_ms() + timeout;
	for (bool first = true;; first = false) {
		if (wasm_instance__interrupt_requested(st->inst))
			return WASM_INTERRUPTED;
		/* A graceful stop: -EINTR, as libbpf returns on a signal, so
		 * the guest's loop ends and it returns from main. */
		if (wasm_instance__cancel_requested(st->inst)) {
			*result = -EINTR;
			return WASM_OK;
		}
		slice = one_slice ? timeout : BH_POLL_SLICE_MS;
		if (!one_slice && timeout >= 0 && !first) {
			int64_t left = end - now_ms();

			slice = left <= 0 ? 0 : left < slice ? (int)left : slice;
		}
		err = poll_once(p, slice);
		/* per slice: a poll dropping everything may last long */
		if (st->dropped) {
			__atomic_add_fetch(&p->host->stats->dropped,
					   st->dropped, __ATOMIC_RELAXED);
			st->dropped = 0;
		}
		if (st->status != WASM_OK)
			return st->status;
		if (st->stopped || st->count)
			break;
		if (err < 0 && err != -EINTR) {
			*result = err;
			return WASM_OK;
		}
		if (one_slice || (timeout >= 0 && now_ms() >= end))
			break;
	}
	*result = st->ret ? st->ret : st->count;
	return WASM_OK;
}

int bh_poll(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
	    int32_t map_fd, struct wasm_func *fn, uint32_t ctx, uint32_t buf,
	    uint32_t buf_len, int32_t timeout_ms, int32_t *result)
{
	struct bh_object *o = bh_object_find(h, id);
	struct bh_poller *p;
	int err, status;
	void *dst;

	*result = -EBADF;
	if (!o)
		return WASM_OK;
	*result = -EBUSY;
	if (h->polling)
		return WASM_OK;
	*result = -EINVAL;
	if (buf_len == 0)
		return WASM_OK;
	*result = -EFAULT;
	dst = wasm_instance__mem_ptr(inst, buf, buf_len);
	if (!dst)
		return WASM_OK;
	p = poller_get(o, map_fd, &err);
	if (!p) {
		*result = err;
		return WASM_OK;
	}
	*result = -EINVAL;
	if (fn != p->checked_fn) {
		if (!callback_ok(fn))
			return WASM_OK;
		p->checked_fn = fn;
	}
	p->st = (struct bh_poll_state){
	    .inst = inst,
	    .fn = fn,
	    .ctx = ctx,
	    .buf = buf,
	    .buf_len = buf_len,
	    .dst = dst,
	    .paused_ns = &h->stats->paused_ns,
	    .rate = &h->rate};
	p->st.call_err = wasm_call__prepare(&p->st.call, inst, fn);
	p->st.slow = p->st.call_err || h->rate.interval_ns;
	h->polling = o->busy = true;
	if (!p->st.call_err)
		wasm_call__begin(&p->st.call);
	status = poll_loop(p, timeout_ms, result);
	if (!p->st.call_err)
		wasm_call__end(&p->st.call);
	h->polling = o->busy = false;
	if (!p->st.count)
		return status;
	__atomic_add_fetch(&h->stats->events, p->st.count, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->stats->callback_ns,
			   now_ns() - *p->st.paused_ns - p->st.cb_start,
			   __ATOMIC_RELAXED);
	return status;
}
