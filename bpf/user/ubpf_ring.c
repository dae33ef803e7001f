/* ubpf_ring.c — ring buffers of the userspace backend, for RINGBUF maps
 * and PERF_EVENT_ARRAY maps alike (one transport: perf_event_output
 * becomes a ring record). Like the kernel's ring buffer: a power-of-two
 * data area mapped twice in a row, so a record is contiguous even when it
 * wraps; 8-byte record headers holding the length and busy/discard bits;
 * producers serialized by the header's spinlock, one consumer.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "bpf/user/ubpf_int.h"

#define BUSY	  (1u << 31)
#define DISCARD	  (1u << 30)
#define HDR	  8u
#define PERF_RING (256u << 10)
#define MAX_RING  (1u << 30)

struct rec {
	uint32_t len; /* payload bytes | BUSY | DISCARD */
	uint32_t pad;
};

/* Data bytes of a ring (0: refused). A perf array's max_entries counts
 * CPUs, not bytes; its records share one ring of a fixed size. */
static uint64_t ring_size(const struct ubpf_map_def *d)
{
	uint32_t n = d->max_entries;

	if (d->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return PERF_RING;
	if (n < 4096 || n > MAX_RING || (n & (n - 1)))
		return 0;
	return n;
}

uint64_t ubpf_ring__bytes(const struct ubpf_map_def *d)
{
	return ring_size(d);
}

/* Once per map: cold, built for size (README, size). */
__attribute__((cold)) int ubpf_ring__map(struct ubpf_map *m)
{
	uint64_t size = ring_size(&m->shm->def);
	void *area, *p;

	/* Reserve header + 2 × data, then map the data at both places. */
	area = mmap(NULL, UBPF_SHM_HDR + 2 * size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -errno;
	p = mmap(area, m->len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 m->fd, 0);
	if (p != MAP_FAILED)
		p = mmap((uint8_t *)area + UBPF_SHM_HDR + size, size,
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, m->fd,
			 UBPF_SHM_HDR);
	if (p == MAP_FAILED) {
		int e = errno;

		munmap(area, UBPF_SHM_HDR + 2 * size);
		return -e;
	}
	munmap(m->shm, m->len);
	m->shm = area;
	m->data = (uint8_t *)area + UBPF_SHM_HDR;
	m->len = UBPF_SHM_HDR + 2 * size;
	return 0;
}

void *ubpf_ring__reserve(struct ubpf_map *m, uint64_t size)
{
	uint64_t mask = ring_size(&m->shm->def) - 1, total, prod;
	struct rec *r;

	total = (size + HDR + 7) & ~7ull;
	if (!size || size > mask / 2) {
		__atomic_fetch_add(&m->shm->lost, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	ubpf_lock(&m->shm->lock);
	prod = m->shm->producer_pos;
	if (prod - __atomic_load_n(&m->shm->consumer_pos, __ATOMIC_ACQUIRE) +
		total >
	    mask + 1) {
		ubpf_unlock(&m->shm->lock);
		__atomic_fetch_add(&m->shm->lost, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	r = (struct rec *)(m->data + (prod & mask));
	r->len = (uint32_t)size | BUSY;
	r->pad = 0;
	__atomic_store_n(&m->shm->producer_pos, prod + total, __ATOMIC_RELEASE);
	ubpf_unlock(&m->shm->lock);
	return r + 1;
}

void ubpf_ring__commit(void *sample, bool discard)
{
	struct rec *r = (struct rec *)sample - 1;
	uint32_t len = r->len & ~BUSY;

	__atomic_store_n(&r->len, discard ? len | DISCARD : len,
			 __ATOMIC_RELEASE);
}

int ubpf_ring__output(struct ubpf_map *m, const void *data, uint64_t size)
{
	void *p = ubpf_ring__reserve(m, size);

	if (!p)
		return -EAGAIN;
	memcpy(p, data, size);
	ubpf_ring__commit(p, false);
	return 0;
}

int ubpf_ring__consume(struct ubpf_map *m, ubpf_sample_fn fn, void *ctx)
{
	uint64_t mask = ring_size(&m->shm->def) - 1, cons, prod;
	int n = 0, err;

	cons = __atomic_load_n(&m->shm->consumer_pos, __ATOMIC_ACQUIRE);
	for (;;) {
		struct rec *r;
		uint32_t len;

		prod = __atomic_load_n(&m->shm->producer_pos, __ATOMIC_ACQUIRE);
		if (cons >= prod)
			break;
		r = (struct rec *)(m->data + (cons & mask));
		len = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE);
		if (len & BUSY)
			break;
		if ((len & ~DISCARD) > mask / 2)
			return -EINVAL; /* a writer broke the format */
		cons += ((len & ~DISCARD) + HDR + 7) & ~7ull;
		if (!(len & DISCARD)) {
			err = fn(ctx, r + 1, len);
			if (err < 0) {
				__atomic_store_n(&m->shm->consumer_pos, cons,
						 __ATOMIC_RELEASE);
				return err;
			}
			n++;
		}
		__atomic_store_n(&m->shm->consumer_pos, cons, __ATOMIC_RELEASE);
	}
	return n;
}

uint64_t ubpf_ring__lost(const struct ubpf_map *m)
{
	return __atomic_load_n(&m->shm->lost, __ATOMIC_RELAXED);
}
