/* wasm-bpf/buffer.h — reading ring and perf buffers from a wasm32 guest:
 * upstream wasm-bpf's bpf_buffer API, and libbpf's ring_buffer and
 * perf_buffer over it. Ring buffers are mapped into guest memory
 * (wasm_bpf_ring_map, wasm-bpf's own import) and read in place, as libbpf
 * reads them: the guest walks the records and calls the sample function
 * itself, and asks the host only to wait when the ring is empty. Perf
 * buffers, and ring buffers the host will not map (-EOPNOTSUPP), go
 * record by record: the host copies each record into a guest buffer and
 * calls the sample function by table index (a C function pointer is that
 * index on wasm32; link with --export-table). Built with
 * WBPF_UPSTREAM_IMPORTS, every buffer goes record by record and the
 * module imports upstream wasm-bpf's functions only (sdk/README.md,
 * Buffers).
 */
#ifndef WASM_BPF_BUFFER_H
#define WASM_BPF_BUFFER_H

#ifndef WBPF_RECORD_MAX
#define WBPF_RECORD_MAX (64 * 1024) /* largest record a host poll delivers */
#endif
#ifndef POLL_TIMEOUT_MS
#define POLL_TIMEOUT_MS 100
#endif

/* A mapped ring (imports.h, wasm_bpf_ring_map): its pages, and the
 * kernel's record header bits (linux/bpf.h). */
#define WBPF_RING_PAGE	   4096
#define WBPF_RING_BUSY	   (1u << 31)
#define WBPF_RING_DISCARD  (1u << 30)

typedef int (*bpf_buffer_sample_fn)(void *ctx, void *data, size_t size);
typedef bpf_buffer_sample_fn ring_buffer_sample_fn;

struct bpf_buffer {
	struct bpf_map *events;
	uint64_t handle;
	int fd;
	bpf_buffer_sample_fn sample_fn;
	void *ctx;
	char *rec;  /* record by record: where the host copies records */
	char *ring; /* the mapped ring, NULL: not mapped (yet) */
	char *ring_mem; /* the allocation it is in */
	uint32_t mask; /* the ring's data size less 1 */
	bool per_record; /* perf buffers, rings the host does not map */
};

static inline struct bpf_buffer *wbpf__buffer_new(uint64_t handle, int fd,
						  bpf_buffer_sample_fn fn,
						  void *ctx, bool per_record)
{
	struct bpf_buffer *b = (struct bpf_buffer *)calloc(1, sizeof(*b));

	if (!b) {
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

#ifndef WBPF_UPSTREAM_IMPORTS
/* Maps the ring at the first poll; false: the host would not (a perf
 * buffer, or -EOPNOTSUPP, or no memory), it is polled record by record. */
static inline bool wbpf__ring_map(struct bpf_buffer *b)
{
	int len = wasm_bpf_ring_map(b->handle, b->fd, NULL, 0);
	char *mem, *ring;

	/* malloc and round up, not aligned_alloc: its memalign costs a
	 * module 2 KB */
	if (len <= 0 || !(mem = (char *)malloc(len + WBPF_RING_PAGE - 1)))
		return false;
	ring = (char *)(((uintptr_t)mem + WBPF_RING_PAGE - 1) &
			~(uintptr_t)(WBPF_RING_PAGE - 1));
	if (wasm_bpf_ring_map(b->handle, b->fd, ring, len)) {
		free(mem);
		return false;
	}
	b->ring_mem = mem;
	b->ring = ring;
	b->mask = (uint32_t)(len / 2 - WBPF_RING_PAGE - 1);
	return true;
}

/* libbpf's ring_buffer consumer: records in order from the consumer
 * position up to the producer's as read once (one walk: the host's hold
 * can stop the next), each released as it is done; a busy record
 * (reserved, not committed yet) ends the walk, discarded ones are
 * skipped. A sample function's non-zero value stops it, its record
 * consumed, and is returned (else 0); *n counts the records handed over.
 * The positions are atomic loads and stores (plain ones on wasm32 without
 * threads, but never hoisted or merged by the compiler). */
static inline int wbpf__ring_read(struct bpf_buffer *b, int *n)
{
	uint64_t *consp = (uint64_t *)b->ring;
	uint64_t *prodp = (uint64_t *)(b->ring + WBPF_RING_PAGE);
	char *data = b->ring + 2 * WBPF_RING_PAGE;
	bpf_buffer_sample_fn fn = b->sample_fn;
	void *ctx = b->ctx;
	uint32_t mask = b->mask;
	uint64_t cons = __atomic_load_n(consp, __ATOMIC_RELAXED);
	uint64_t prod = __atomic_load_n(prodp, __ATOMIC_ACQUIRE);
	int k = 0, r = 0;

	while (!r && cons < prod) {
		uint32_t *hdr = (uint32_t *)(data + (cons & mask));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		uint32_t size = len & ~(WBPF_RING_BUSY | WBPF_RING_DISCARD);

		if (len & WBPF_RING_BUSY)
			break;
		cons += (size + 8 + 7) & ~7u;
		if (!(len & WBPF_RING_DISCARD)) {
			k++;
			r = fn(ctx, hdr + 2, size);
		}
		__atomic_store_n(consp, cons, __ATOMIC_RELEASE);
	}
	*n = k;
	return r;
}

/* Records there are read at once; else the host waits for some. The walk
 * over them ends with a done, however it ends. */
static inline int wbpf__ring_poll(struct bpf_buffer *b, int timeout_ms)
{
	int n = 0, r = wasm_bpf_ring_wait(b->handle, b->fd, timeout_ms);

	if (r <= 0)
		return wbpf__host(r);
	r = wbpf__ring_read(b, &n);
	wasm_bpf_ring_done(b->handle, b->fd, n);
	return r < 0 ? wbpf__ret(r) : n;
}
#else
#define wbpf__ring_map(b)	   false
#define wbpf__ring_poll(b, ms) 0
#endif

static inline int wbpf__buffer_poll(struct bpf_buffer *b, int timeout_ms)
{
	if (!b || !b->sample_fn)
		return wbpf__ret(-EINVAL);
	if (b->ring || (!b->per_record && wbpf__ring_map(b)))
		return wbpf__ring_poll(b, timeout_ms);
	b->per_record = true;
	if (!b->rec && !(b->rec = (char *)malloc(WBPF_RECORD_MAX)))
		return wbpf__ret(-ENOMEM);
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
#ifndef WBPF_UPSTREAM_IMPORTS
	/* zeroed guest memory there again before it goes back to malloc
	 * (closing the object did that already: -EBADF) */
	if (b->ring) {
		int r = wbpf__host(wasm_bpf_ring_unmap(b->handle, b->fd));

		if (!r || r == -EBADF || r == -ENOENT)
			free(b->ring_mem);
	}
#endif
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
