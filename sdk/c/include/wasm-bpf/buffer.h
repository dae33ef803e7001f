/* wasm-bpf/buffer.h — reading ring and perf buffers from a wasm32 guest:
 * upstream wasm-bpf's bpf_buffer API, and libbpf's ring_buffer and
 * perf_buffer over it. The host polls the map, copies each record into a
 * guest buffer and calls the guest's sample function by table index (a C
 * function pointer is that index on wasm32; link with --export-table).
 * Built with WBPF_BATCH_POLL, ring buffers are polled in batches instead:
 * the host copies as many records as fit into a guest buffer
 * (wasm_bpf_buffer_poll_batch, wasm-bpf's own import) and the guest calls
 * the sample function on each itself. Not the default: on wasm-bpf's
 * engine it is slower (sdk/README.md, Buffers), and such a module no
 * longer runs in upstream wasm-bpf.
 */
#ifndef WASM_BPF_BUFFER_H
#define WASM_BPF_BUFFER_H

#ifndef WBPF_RECORD_MAX
#define WBPF_RECORD_MAX (64 * 1024) /* largest record a poll can deliver */
#endif
/* WBPF_BATCH_POLL: the guest buffer of a batch poll, room for at least
 * one record of WBPF_RECORD_MAX and its 8-byte header; what a poll takes
 * from the ring at most is this less one such record. */
#ifndef WBPF_BATCH_BYTES
#define WBPF_BATCH_BYTES (2 * WBPF_RECORD_MAX)
#endif
typedef char wbpf__batch_fits[WBPF_BATCH_BYTES >= WBPF_RECORD_MAX + 16 ? 1
									 : -1];
#ifndef POLL_TIMEOUT_MS
#define POLL_TIMEOUT_MS 100
#endif

typedef int (*bpf_buffer_sample_fn)(void *ctx, void *data, size_t size);
typedef bpf_buffer_sample_fn ring_buffer_sample_fn;

struct bpf_buffer {
	struct bpf_map *events;
	uint64_t handle;
	int fd;
	bpf_buffer_sample_fn sample_fn;
	void *ctx;
	char *rec; /* where the host copies records */
	/* Batch polls: records of the last batch not delivered yet (a
	 * callback stopped the poll), the next at rec + at. */
	uint32_t pending, at;
	bool per_record; /* record by record: the default, perf buffers */
};

/* A record in a batch: this header, then `size` bytes, padded to 8. */
struct wbpf__batch_rec {
	uint32_t size, zero;
};

static inline struct bpf_buffer *wbpf__buffer_new(uint64_t handle, int fd,
						  bpf_buffer_sample_fn fn,
						  void *ctx, bool per_record)
{
	struct bpf_buffer *b = (struct bpf_buffer *)calloc(1, sizeof(*b));

#ifndef WBPF_BATCH_POLL
	per_record = true;
#endif
	if (!b || !(b->rec = (char *)malloc(per_record ? WBPF_RECORD_MAX
							: WBPF_BATCH_BYTES))) {
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	b->handle = handle;
	b->fd = fd;
	b->sample_fn = fn;
	b->ctx = ctx;
	b->per_record = per_record;
	return b;
}

/* Upstream wasm-bpf: a buffer for `events` (ring buffer or perf event
 * array, whichever the map is or the host turned it into). */
static inline struct bpf_buffer *bpf_buffer__new(struct bpf_map *events)
{
	int fd = bpf_map__fd(events);
	struct bpf_buffer *b;

	if (fd < 0)
		return NULL;
	b = wbpf__buffer_new(events->obj->handle, fd, NULL, NULL, false);
	if (b)
		b->events = events;
	return b;
}

static inline struct bpf_buffer *
bpf_buffer__open(struct bpf_map *events, bpf_buffer_sample_fn sample_cb,
		 void *ctx)
{
	struct bpf_buffer *b = bpf_buffer__new(events);

	if (b) {
		b->sample_fn = sample_cb;
		b->ctx = ctx;
	}
	return b;
}

/* Calls the sample function on the records of the last batch not
 * delivered yet, in order, until one returns non-zero: that value (the
 * records after it wait for the next poll), else 0. *done counts them. */
static inline int wbpf__batch_deliver(struct bpf_buffer *b, int *done)
{
	/* locals, not b's fields, in the loop: the compiled Wasm keeps
	 * them in registers across the calls */
	bpf_buffer_sample_fn fn = b->sample_fn;
	void *ctx = b->ctx;
	char *p = b->rec + b->at;
	uint32_t left = b->pending;
	int ret = 0;

	while (left && !ret) {
		uint32_t size = ((struct wbpf__batch_rec *)p)->size;
		char *data = p + sizeof(struct wbpf__batch_rec);

		p = data + ((size + 7) & ~7u);
		left--;
		ret = fn(ctx, data, size);
	}
	*done += (int)(b->pending - left);
	b->pending = left;
	b->at = (uint32_t)(p - b->rec);
	return ret;
}

/* A batch poll: what the last one left first, then a new batch, waiting
 * only if nothing was left. A callback's non-zero value stops it (a
 * negative one is returned as is, as libbpf does). -EOPNOTSUPP from the
 * host (a perf buffer, the userspace backend): *again set, the caller
 * polls record by record from then on. */
static inline int wbpf__batch_poll(struct bpf_buffer *b, int timeout_ms,
				   bool *again)
{
	int done = 0, r = b->pending ? wbpf__batch_deliver(b, &done) : 0, n;

	if (r)
		return r < 0 ? wbpf__ret(r) : done;
	n = wasm_bpf_buffer_poll_batch(b->handle, b->fd, b->rec,
				       WBPF_BATCH_BYTES, WBPF_RECORD_MAX,
				       done ? 0 : timeout_ms);
	if (n < 0) {
		n = wbpf__host(n);
		*again = n == -EOPNOTSUPP && !done;
		return done && n != -EINTR ? done : n;
	}
	b->pending = (uint32_t)n;
	b->at = 0;
	r = wbpf__batch_deliver(b, &done);
	return r < 0 ? wbpf__ret(r) : done;
}

static inline int wbpf__buffer_poll(struct bpf_buffer *b, int timeout_ms)
{
	if (!b || !b->sample_fn)
		return wbpf__ret(-EINVAL);
#ifdef WBPF_BATCH_POLL
	if (!b->per_record) {
		bool again = false;
		int n = wbpf__batch_poll(b, timeout_ms, &again);

		if (!again)
			return n;
		b->per_record = true;
	}
#endif
	return wbpf__host(wasm_bpf_buffer_poll(
	    b->handle, b->fd, (int32_t)(uintptr_t)b->sample_fn,
	    (uint32_t)(uintptr_t)b->ctx, b->rec, WBPF_RECORD_MAX, timeout_ms));
}

/* Number of records handled, or -errno (-EINTR on Ctrl-C). As upstream,
 * a timeout <= 0 waits POLL_TIMEOUT_MS. */
static inline int bpf_buffer__poll(struct bpf_buffer *b, int timeout_ms)
{
	return wbpf__buffer_poll(b,
				 timeout_ms > 0 ? timeout_ms : POLL_TIMEOUT_MS);
}

/* wasm-bpf only: records the kernel dropped from the buffer because the
 * guest did not read them in time (counted by the host for perf buffers),
 * or -errno: -EOPNOTSUPP for a ring buffer, whose full ring only the BPF
 * program sees (bpf_ringbuf_output fails). A module that calls this
 * imports wasm_bpf.wasm_bpf_buffer_lost and no longer runs in upstream
 * wasm-bpf; one that does not is unaffected. */
static inline long long wbpf_buffer__lost(struct bpf_buffer *b)
{
	int64_t n;

	if (!b)
		return wbpf__ret(-EINVAL);
	n = wasm_bpf_buffer_lost(b->handle, b->fd);
	return n < 0 ? wbpf__host((int)n) : (long long)n;
}

static inline void bpf_buffer__free(struct bpf_buffer *b)
{
	if (!b)
		return;
	free(b->rec);
	free(b);
}

/* ---- libbpf's ring_buffer ---------------------------------------------- */

struct ring_buffer_opts {
	size_t sz;
};

struct ring_buffer {
	struct bpf_buffer **bufs;
	int n;
};

static inline int ring_buffer__add(struct ring_buffer *rb, int map_fd,
				   ring_buffer_sample_fn sample_cb, void *ctx)
{
	struct bpf_buffer *b;

	b = wbpf__buffer_new(wbpf__fd_handle(map_fd), map_fd, sample_cb, ctx,
			     false);
	if (!b)
		return -ENOMEM;
	if (wbpf__grow((void ***)&rb->bufs, rb->n)) {
		bpf_buffer__free(b);
		return wbpf__ret(-ENOMEM);
	}
	rb->bufs[rb->n++] = b;
	return 0;
}

static inline void ring_buffer__free(struct ring_buffer *rb)
{
	if (!rb)
		return;
	for (int i = 0; i < rb->n; i++)
		bpf_buffer__free(rb->bufs[i]);
	free(rb->bufs);
	free(rb);
}

static inline struct ring_buffer *
ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx,
		 const struct ring_buffer_opts *opts)
{
	struct ring_buffer *rb = (struct ring_buffer *)calloc(1, sizeof(*rb));

	(void)opts;
	if (!rb || ring_buffer__add(rb, map_fd, sample_cb, ctx)) {
		ring_buffer__free(rb);
		errno = ENOMEM;
		return NULL;
	}
	return rb;
}

/* The first buffer waits up to `timeout_ms` (-1: forever), the others are
 * drained without waiting. */
static inline int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms)
{
	int total = 0;

	for (int i = 0; i < rb->n; i++) {
		int n = wbpf__buffer_poll(rb->bufs[i], i ? 0 : timeout_ms);

		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

static inline int ring_buffer__consume(struct ring_buffer *rb)
{
	return ring_buffer__poll(rb, 0);
}

/* ---- libbpf's perf_buffer ---------------------------------------------- */

typedef void (*perf_buffer_sample_fn)(void *ctx, int cpu, void *data,
				      uint32_t size);
typedef void (*perf_buffer_lost_fn)(void *ctx, int cpu, uint64_t cnt);

struct perf_buffer_opts {
	size_t sz;
};

struct perf_buffer {
	struct bpf_buffer *buf;
	perf_buffer_sample_fn sample_cb;
	void *ctx;
};

/* The host reports no CPU; records arrive as if from CPU 0. Lost records
 * are counted by the host, not passed to lost_cb: see wbpf_buffer__lost()
 * on pb->buf. */
static inline int wbpf__perf_sample(void *ctx, void *data, size_t size)
{
	struct perf_buffer *pb = (struct perf_buffer *)ctx;

	pb->sample_cb(pb->ctx, 0, data, (uint32_t)size);
	return 0;
}

static inline void perf_buffer__free(struct perf_buffer *pb)
{
	if (!pb)
		return;
	bpf_buffer__free(pb->buf);
	free(pb);
}

static inline struct perf_buffer *
perf_buffer__new(int map_fd, size_t page_cnt, perf_buffer_sample_fn sample_cb,
		 perf_buffer_lost_fn lost_cb, void *ctx,
		 const struct perf_buffer_opts *opts)
{
	struct perf_buffer *pb = (struct perf_buffer *)calloc(1, sizeof(*pb));

	(void)page_cnt; /* the host sizes the buffer */
	(void)lost_cb;
	(void)opts;
	if (!pb) {
		errno = ENOMEM;
		return NULL;
	}
	pb->sample_cb = sample_cb;
	pb->ctx = ctx;
	pb->buf = wbpf__buffer_new(wbpf__fd_handle(map_fd), map_fd,
				   wbpf__perf_sample, pb, true);
	if (!pb->buf) {
		free(pb);
		return NULL;
	}
	return pb;
}

static inline int perf_buffer__poll(struct perf_buffer *pb, int timeout_ms)
{
	return wbpf__buffer_poll(pb->buf, timeout_ms);
}

static inline int perf_buffer__consume(struct perf_buffer *pb)
{
	return wbpf__buffer_poll(pb->buf, 0);
}

#endif
