/* bpf_buffer.c — the buffer polls: wasm_bpf_buffer_poll, records of a
 * ring buffer or perf buffer delivered one by one to a guest callback, and
 * wasm_bpf_buffer_poll_batch, ring buffer records copied into guest memory
 * for the guest to walk. The poll waits in short slices so an interrupt
 * (Ctrl-C, SIGTERM, a deadline) ends it promptly. The per-record path is
 * hot; what runs per load or close is bpf_bufsetup.c.
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

/* One record of a batch poll: appended to the guest's buffer as
 * {u32 size, u32 0} and its bytes, padded to 8 so every record stays
 * aligned. No call: the guest walks the batch itself. Once the room left
 * could not take a record of rec_max, the ring is stopped: the next
 * record stays in the kernel (libbpf consumes the record a callback
 * refuses, so the check comes after the copy, never before). */
static int batch_add(struct bh_poll_state *st, const void *data, size_t size)
{
	uint32_t n = size < st->rec_max ? (uint32_t)size : st->rec_max;
	char *d = (char *)st->dst + st->used;
	uint64_t hdr = n; /* little-endian: size, then 0 */
	int s;

	if (__builtin_expect(st->slow, 0)) {
		s = deliver_slow(st);
		if (s <= 0)
			return s;
	}
	memcpy(d, &hdr, 8);
	bh_copy_record(d + 8, data, n);
	count(st);
	st->used += 8 + ((n + 7) & ~7u);
	if (__builtin_expect(st->buf_len - st->used >= st->slot_max, 1))
		return 0;
	return stop(st, WASM_OK, 0);
}

int bh_rb_sample(void *ctx, void *data, size_t size)
{
	struct bh_poll_state *st = ctx;

	return st->batch ? batch_add(st, data, size) : deliver(st, data, size);
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

/* The callback time of the last batch poll: its first record until now,
 * when the guest is done with the batch and polls again. */
static void batch_settle(struct bpf_host *h)
{
	if (!h->batch_from)
		return;
	__atomic_add_fetch(&h->stats->callback_ns,
			   now_ns() - h->stats->paused_ns - h->batch_from,
			   __ATOMIC_RELAXED);
	h->batch_from = 0;
}

/* A batch poll's own rules: ring buffers only (a perf buffer cannot be
 * stopped once a round read its records, so a full batch would lose the
 * rest: -EOPNOTSUPP, the guest polls it record by record); buf 8-aligned
 * and room for a record of rec_max (-EINVAL). Its slot size, or 0. */
static uint32_t batch_slot(const struct bh_poller *p, uint32_t buf,
			   uint32_t buf_len, uint32_t rec_max, int32_t *result)
{
	uint64_t slot = 8 + (((uint64_t)rec_max + 7) & ~7ull);

	*result = -EOPNOTSUPP;
	if (!p->rb)
		return 0;
	*result = -EINVAL;
	return !rec_max || (buf & 7) || slot > buf_len ? 0 : (uint32_t)slot;
}

int bh_poll(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
	    int32_t map_fd, struct wasm_func *fn, uint32_t ctx, uint32_t buf,
	    uint32_t buf_len, uint32_t rec_max, int32_t timeout_ms,
	    int32_t *result)
{
	struct bh_object *o = bh_object_find(h, id);
	struct bh_poller *p;
	uint32_t slot = 0;
	int err, status;
	void *dst;

	*result = -EBADF;
	if (!o)
		return WASM_OK;
	*result = -EBUSY;
	if (h->polling)
		return WASM_OK;
	batch_settle(h);
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
	if (!fn && !(slot = batch_slot(p, buf, buf_len, rec_max, result)))
		return WASM_OK;
	if (fn && fn != p->checked_fn) {
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
	    .batch = !fn,
	    .rec_max = fn ? buf_len : rec_max,
	    .slot_max = slot};
	p->st.call_err = fn ? wasm_call__prepare(&p->st.call, inst, fn) : 0;
	p->st.slow = p->st.call_err || h->rate.interval_ns;
	h->polling = o->busy = true;
	if (fn && !p->st.call_err)
		wasm_call__begin(&p->st.call);
	status = poll_loop(p, timeout_ms, result);
	if (fn && !p->st.call_err)
		wasm_call__end(&p->st.call);
	h->polling = o->busy = false;
	if (!p->st.count)
		return status;
	__atomic_add_fetch(&h->stats->events, p->st.count, __ATOMIC_RELAXED);
	if (!fn)
		h->batch_from = p->st.cb_start ? p->st.cb_start : 1;
	else
		__atomic_add_fetch(&h->stats->callback_ns,
				   now_ns() - *p->st.paused_ns - p->st.cb_start,
				   __ATOMIC_RELAXED);
	return status;
}

