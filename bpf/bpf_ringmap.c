/* bpf_ringmap.c — BPF ring buffers mapped into guest memory
 * (wasm_bpf_ring_map, wasm_bpf_ring_unmap, wasm_bpf_ring_wait,
 * wasm_bpf_ring_done): the guest reads records in place and advances the
 * consumer position itself, as libbpf does, with no copy and no
 * host->guest call per record; the host only waits for records, and
 * brackets each walk (wait .. done) so an embedder's hold can stop it. The kernel's layout, at the guest's
 * page-aligned address: the consumer page (writable), the producer page,
 * then the data area twice over (read-only, so a record that wraps is
 * contiguous). Mappings live until unmapped, the object is closed or the
 * host is freed (before its instance: bpf_host.h); the instance's memory
 * teardown removes any left. Runs per map, unmap and wait, never per
 * record: built for size (COLD_SRCS).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_internal.h"

#define BH_RING_PAGE  4096 /* the ABI's page: the guest finds the parts by it */
#define BH_WAIT_SLICE 50   /* ms: interrupts are noticed this often */

struct bh_ringmap {
	int fd, epfd;
	uint32_t addr, len;
	struct wasm_instance *inst;
	const uint64_t *cons, *prod; /* host view of the positions */
};

static struct bh_ringmap *find(struct bh_object *o, int fd)
{
	for (size_t i = 0; i < o->nrings; i++)
		if (o->rings[i].fd == fd)
			return &o->rings[i];
	return NULL;
}

bool bh_ring_mapped(struct bh_object *o, int fd)
{
	return find(o, fd) != NULL;
}

static void unmap(struct bh_ringmap *r)
{
	wasm_instance__mem_unmap(r->inst, r->addr, BH_RING_PAGE);
	wasm_instance__mem_unmap(r->inst, r->addr + BH_RING_PAGE,
				 r->len - BH_RING_PAGE);
	close(r->epfd);
}

void bh_rings_free(struct bh_object *o)
{
	for (size_t i = 0; i < o->nrings; i++)
		unmap(&o->rings[i]);
	free(o->rings);
	o->rings = NULL;
	o->nrings = 0;
}

/* Why the host cannot leave records to the guest (-EOPNOTSUPP: the guest
 * polls record by record): a rate limit decides per record what the guest
 * gets, and only a ring buffer can be mapped (perf buffers, ring buffers
 * made perf buffers). A hold needs no refusal: it stops walks at wait. */
static int refusal(struct bpf_host *h, struct bpf_map *m)
{
	if (!m)
		return -EBADF;
	if (bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF)
		return bpf_map__type(m) == BPF_MAP_TYPE_PERF_EVENT_ARRAY
			   ? -EOPNOTSUPP
			   : -EINVAL;
	if (h->rate.interval_ns)
		return -EOPNOTSUPP;
	if (sysconf(_SC_PAGESIZE) != BH_RING_PAGE)
		return -EOPNOTSUPP;
	return 0;
}

static int ring_add(struct bh_object *o, struct wasm_instance *inst, int fd,
		    uint32_t addr, uint32_t len)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct bh_ringmap *arr, r = {fd, -1, addr, len, inst, NULL, NULL};
	int err;

	arr = realloc(o->rings, (o->nrings + 1) * sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	o->rings = arr;
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r.epfd < 0 || epoll_ctl(r.epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		if (r.epfd >= 0)
			close(r.epfd);
		return err;
	}
	err = wasm_instance__mem_map(inst, addr, BH_RING_PAGE, fd, 0, true);
	if (!err) {
		err = wasm_instance__mem_map(inst, addr + BH_RING_PAGE,
					     len - BH_RING_PAGE, fd,
					     BH_RING_PAGE, false);
		if (err)
			wasm_instance__mem_unmap(inst, addr, BH_RING_PAGE);
	}
	if (err) {
		close(r.epfd);
		return err;
	}
	r.cons = wasm_instance__mem_ptr(inst, addr, 8);
	r.prod = wasm_instance__mem_ptr(inst, addr + BH_RING_PAGE, 8);
	o->rings[o->nrings++] = r;
	return 0;
}

int bh_ring_map(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
		int32_t fd, uint32_t addr, uint32_t len)
{
	struct bh_object *o = bh_object_find(h, id);
	struct bpf_map *m = o ? bh_own_map(o, fd) : NULL;
	uint64_t need;
	int err = refusal(h, m);

	if (err)
		return err;
	/* the consumer page, the producer page, the data area twice */
	need = 2 * BH_RING_PAGE + 2 * (uint64_t)bpf_map__max_entries(m);
	if (need > INT32_MAX)
		return -E2BIG;
	if (!addr && !len)
		return (int)need;
	if (len != need || !addr || addr % BH_RING_PAGE)
		return -EINVAL;
	if (find(o, fd))
		return -EBUSY;
	for (size_t i = 0; i < o->npollers; i++)
		if (o->pollers[i]->map_fd == fd)
			return -EBUSY; /* polled by the host already */
	return ring_add(o, inst, fd, addr, len);
}

int bh_ring_unmap(struct bpf_host *h, uint64_t id, int32_t fd)
{
	struct bh_object *o = bh_object_find(h, id);
	struct bh_ringmap *r;

	if (!o)
		return -EBADF;
	r = find(o, fd);
	if (!r)
		return -ENOENT;
	unmap(r);
	*r = o->rings[--o->nrings];
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool has_records(const struct bh_ringmap *r)
{
	return __atomic_load_n(r->prod, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
}

/* The guest's walk over the records (from a wait that found some to its
 * done) is a delivery for an embedder's hold (bpf_host.h): `delivering` is
 * set before `hold` is read, as the host's polls do, and cleared when the
 * walk ends; while held, a wait finds nothing. */
static bool walk_begins(struct bpf_host *h)
{
	struct bpf_host_hold *hd = h->hold;

	if (!hd)
		return true;
	__atomic_store_n(&hd->delivering, 1, __ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&hd->hold, __ATOMIC_SEQ_CST))
		return true;
	__atomic_store_n(&hd->delivering, 0, __ATOMIC_SEQ_CST);
	return false;
}

static void walk_ends(struct bpf_host *h, int32_t delivered)
{
	if (delivered > 0)
		__atomic_add_fetch(&h->stats->events, (uint64_t)delivered,
				   __ATOMIC_RELAXED);
	if (h->hold)
		__atomic_store_n(&h->hold->delivering, 0, __ATOMIC_SEQ_CST);
}

/* Waits in slices until the ring has records (1: a walk begins, ended by
 * bh_ring_done or the next wait), the timeout (0, -1: none), an interrupt
 * (the status) or a graceful stop (-EINTR, as the host's polls). Held, it
 * waits the slice (10 ms at most) as if no record came. */
int bh_ring_wait(struct bpf_host *h, struct wasm_instance *inst, uint64_t id,
		 int32_t fd, int32_t timeout, int32_t *result)
{
	struct bh_object *o = bh_object_find(h, id);
	struct bh_ringmap *r = o ? find(o, fd) : NULL;
	int64_t end = timeout > 0 ? now_ms() + timeout : 0;
	struct epoll_event ev;

	walk_ends(h, 0);
	*result = o ? -ENOENT : -EBADF;
	if (!r)
		return WASM_OK;
	for (;;) {
		int64_t left = timeout < 0 ? BH_WAIT_SLICE : end - now_ms();
		int slice = left < BH_WAIT_SLICE ? (int)left : BH_WAIT_SLICE;
		bool held = false;
		int n;

		if (wasm_instance__interrupt_requested(inst))
			return WASM_INTERRUPTED;
		*result = -EINTR;
		if (wasm_instance__cancel_requested(inst))
			return WASM_OK;
		*result = 1;
		if (has_records(r)) {
			if (walk_begins(h))
				return WASM_OK;
			held = true;
		}
		*result = 0;
		if (!timeout || left <= 0)
			return WASM_OK;
		if (held) {
			struct timespec ts = {0, (slice < 10 ? slice : 10) * 1000000L};

			nanosleep(&ts, NULL);
			continue;
		}
		n = epoll_wait(r->epfd, &ev, 1, slice);
		if (n < 0 && errno != EINTR) {
			*result = -errno;
			return WASM_OK;
		}
	}
}

int bh_ring_done(struct bpf_host *h, uint64_t id, int32_t fd,
		 int32_t delivered)
{
	struct bh_object *o = bh_object_find(h, id);

	/* over even if a callback closed the object or unmapped the ring */
	walk_ends(h, delivered);
	if (!o)
		return -EBADF;
	return find(o, fd) ? 0 : -ENOENT;
}
