/* bpf_buffer.c — the buffer polls: wasm_bpf_buffer_poll, records of a
 * ring buffer or perf buffer delivered one by one to a guest callback
 * (ring buffers the guest maps and reads itself: bpf_ringmap.c). The poll
 * waits in short slices so an interrupt (Ctrl-C, SIGTERM, a deadline)
 * ends it promptly. The per-record path is hot; what runs per load or
 * close is bpf_bufsetup.c.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_copy.h"
#include "bpf/bpf_internal.h"

#define BH_POLL_SLICE_MS 50

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
BH_COLD static int deliver_slow(struct bh_poll_state *st)
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
	uint32_t n = size < st->rec_max ? (uint32_t)size : st->rec_max;
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

int bh_rb_sample(void *ctx, void *data, size_t size)
{
	return deliver(ctx, data, size);
}

void bh_pb_sample(void *ctx, int cpu, void *data, __u32 size)
{
	deliver(ctx, data, size);
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
	if (bh_ring_mapped(o, map_fd))
		return WASM_OK; /* the guest consumes it itself */
	*result = -EINVAL;
	if (buf_len == 0)
		return WASM_OK;
	*result = -EFAULT;
	dst = wasm_instance__mem_ptr(inst, buf, buf_len);
	if (!dst)
		return WASM_OK;
	p = bh_poller_get(o, map_fd, &err);
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
	    .rate = &h->rate,
	    .rec_max = buf_len};
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

