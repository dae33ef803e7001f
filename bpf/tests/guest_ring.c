/* guest_ring.c — the suite's guest of ring buffers mapped into guest
 * memory (wasm_bpf_ring_map/unmap/wait) and read in place by the SDK, on
 * the embedded test objects (test.bpf.o: rb, pb; ring.bpf.o:
 * wbt_ring_small). argv[1] picks the scenario:
 *   ring      hostile arguments of the raw imports, then the 7 records of
 *             `trigger getpgid 7` through the SDK from the mapped ring (in
 *             order, a callback's non-zero value stops the poll, the next
 *             resumes) and from the perf buffer (record by record);
 *   sizes N   the N records of `trigger sizes N` (many sizes, wrapping the
 *             one-page ring, discarded ones skipped) through libbpf's
 *             ring_buffer API: in order, contents intact, none missing;
 *   eintr     polls wbt_ring_small until -EINTR (Ctrl-C), then returns 0;
 *   forever   polls it, ignoring -EINTR (the runtime's hard stop ends it);
 *   write-store / write-host   a store into the read-only pages, by the
 *             guest's code or by a host function (WASI clock_time_get):
 *             the run must end as a trap, not a crash;
 *   mapped / closed   maps wbt_ring_small (closed: then closes its object,
 *             and checks the memory is zeroed and writable again), says
 *             "attached" and sleeps 1.5 s while the suite counts maps.
 * Exit 0 means the scenario's checks held.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>
#include "libbpf-wasm.h"
#include "test_bpf_obj.h"
#include "ring_bpf_obj.h"

#include "counters.h"
#include "guest_check.h"

#define PAGE 4096

struct event {
	uint32_t seq, magic;
	uint64_t payload;
};

static uint32_t seqs[16], sizes[16];
static int ngot, stop_at = -1, stop_ret;

/* Keeps seq and size; returns stop_ret at record stop_at, once. */
static int record(void *ctx, void *data, size_t size)
{
	struct event e = {0};

	CHECK(((uintptr_t)data & 7) == 0, "record %d at %p", ngot, data);
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	if (ngot < 16) {
		seqs[ngot] = e.seq;
		sizes[ngot] = (uint32_t)size;
	}
	if (ngot++ == stop_at) {
		stop_at = -1;
		return stop_ret;
	}
	return 0;
}

static uint64_t load(const unsigned char *o, size_t len, const char *prog)
{
	uint64_t obj = wasm_load_bpf_object((void *)o, (int)len);

	if (!obj || (prog && wasm_attach_bpf_program(obj, prog, NULL))) {
		fprintf(stderr, "guest: load or attach failed\n");
		exit(3);
	}
	return obj;
}

static uint64_t counter(uint64_t obj, uint32_t key)
{
	int fd = wasm_bpf_map_fd_by_name(obj, "counters");
	uint64_t n = 0;

	wasm_bpf_map_operate(fd, 1, &key, &n, NULL, 0);
	return n;
}

static bool zeroed(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* The raw imports refuse what they cannot use, with Linux's errno
 * values; a mapping shows the kernel's positions, unmapping leaves zeroed
 * writable memory. */
static void hostile(uint64_t obj)
{
	uint64_t small_obj = load(ring_bpf_obj, sizeof(ring_bpf_obj), NULL);
	int rb = wasm_bpf_map_fd_by_name(obj, "rb");
	int pb = wasm_bpf_map_fd_by_name(obj, "pb");
	int arr = wasm_bpf_map_fd_by_name(obj, "counters");
	int small = wasm_bpf_map_fd_by_name(small_obj, "wbt_ring_small");
	int need = wasm_bpf_ring_map(obj, rb, NULL, 0);
	char *m = aligned_alloc(PAGE, need + PAGE);
	struct {
		uint64_t obj;
		int fd;
		char *addr;
		int len, want;
	} t[] = {
	    {obj, rb, m + 8, need, -22},		/* not page-aligned */
	    {obj, rb, m, need - PAGE, -22},		/* not the ring's length */
	    {obj, rb, m, need + PAGE, -22},		/* nor longer */
	    {obj, rb, NULL, need, -22},			/* address 0 */
	    {obj, rb, (char *)0x7fff0000, need, -14},	/* past memory */
	    {obj, rb, (char *)0xfffff000, need, -14},	/* past 4 GiB */
	    {obj, pb, m, need, -95},			/* perf buffer */
	    {obj, arr, m, need, -22},			/* no ring buffer */
	    {obj, 12345, m, need, -9},			/* not a map of obj */
	    {obj + 99, rb, m, need, -9},		/* no object */
	    {small_obj, rb, m, need, -9},		/* another object's */
	};

	CHECK(need == 2 * PAGE + 2 * 256 * 1024, "length to map: %d", need);
	CHECK(m != NULL, "no memory for the ring");
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = wasm_bpf_ring_map(t[i].obj, t[i].fd, t[i].addr,
					  t[i].len);
		CHECK(r == t[i].want, "case %u: %d, want %d", i, r, t[i].want);
	}
	CHECK(wasm_bpf_ring_wait(obj, rb, 0) == -2, "wait unmapped");
	CHECK(wasm_bpf_ring_done(obj, rb, 0) == -2, "done unmapped");
	CHECK(wasm_bpf_ring_unmap(obj, rb) == -2, "unmap unmapped");
	CHECK(wasm_bpf_ring_map(obj, rb, m, need) == 0, "map");
	CHECK(wasm_bpf_ring_map(obj, rb, m + PAGE, need) == -16, "mapped twice");
	CHECK(wasm_bpf_ring_map(small_obj, small, m + PAGE,
				wasm_bpf_ring_map(small_obj, small, NULL, 0)) ==
	      -16, "over another ring");
	CHECK(wasm_bpf_buffer_poll(obj, rb, (int32_t)(uintptr_t)record, 0, m,
				   64, 0) == -16, "host poll of a mapped ring");
	CHECK(wasm_bpf_ring_wait(obj, rb, 0) == 0, "nothing to read yet");
	CHECK(wasm_bpf_ring_wait(obj + 99, rb, 0) == -9, "wait, no object");
	CHECK(wasm_bpf_ring_done(obj, rb, 0) == 0, "done");
	CHECK(wasm_bpf_ring_done(obj + 99, rb, 0) == -9, "done, no object");
	CHECK(wasm_bpf_ring_unmap(obj, rb) == 0, "unmap");
	CHECK(zeroed(m, need), "memory zeroed after unmap");
	m[need - 1] = 1; /* writable again: a trap otherwise */
	free(m);
	CHECK(wasm_close_bpf_object(small_obj) == 0, "close");
}

/* Until the 7 records of the trigger are in the buffers (5 s at most). */
static void wait_records(uint64_t obj)
{
	uint64_t n = 0;

	for (int i = 0; i < 500 && (n = counter(obj, C_SEQ)) < 7; i++)
		usleep(10000);
	usleep(50000); /* the last record is written after the count */
	CHECK(n == 7, "the program ran %llu times", (unsigned long long)n);
}

/* Polls b until 7 records came (10 s at most); the polls' sum. */
static int collect(struct bpf_buffer *b)
{
	int total = 0;

	for (int i = 0; i < 100 && ngot < 7; i++) {
		int r = wbpf__buffer_poll(b, 100);

		CHECK(r >= 0, "poll returned %d", r);
		total += r > 0 ? r : 0;
	}
	return total;
}

static void check_records(const char *what, uint32_t want_size)
{
	CHECK(ngot == 7, "%s: %d records", what, ngot);
	for (int i = 0; i < ngot && i < 7; i++) {
		CHECK(sizes[i] == want_size, "%s: record %d size %u", what, i,
		      sizes[i]);
		CHECK(!i || seqs[i] == seqs[i - 1] + 1, "%s: record %d seq %u",
		      what, i, seqs[i]);
	}
}

static int scenario_ring(void)
{
	uint64_t obj = load(test_bpf_obj, sizeof(test_bpf_obj), "wbt_getpgid");
	struct bpf_buffer *rb, *pb;
	int r;

	hostile(obj);
	rb = wbpf__buffer_new(obj, wasm_bpf_map_fd_by_name(obj, "rb"), record,
			      NULL, false);
	pb = wbpf__buffer_new(obj, wasm_bpf_map_fd_by_name(obj, "pb"), record,
			      NULL, false);
	CHECK(wbpf__buffer_poll(rb, 0) == 0, "first poll");
	CHECK(rb->ring != NULL, "ring buffer not mapped");
	printf("attached\n");
	fflush(stdout);
	wait_records(obj);
	/* the first record stops the first poll: the second stays in the
	 * ring for the next poll; that one's second record stops it with
	 * -7, returned as is */
	stop_at = 0, stop_ret = 1;
	r = wbpf__buffer_poll(rb, 0);
	CHECK(r == 1 && ngot == 1, "stopped poll: %d, %d records", r, ngot);
	stop_at = 2, stop_ret = -7;
	r = wbpf__buffer_poll(rb, 0);
	CHECK(r == -7 && ngot == 3, "failed poll: %d, %d records", r, ngot);
	r = collect(rb);
	CHECK(r == 4, "%d records in the last polls", r);
	check_records("ring buffer", 16);
	CHECK(!rb->per_record, "ring buffer polled record by record");
	/* the same records from the perf buffer, record by record */
	ngot = 0;
	collect(pb);
	check_records("perf buffer", 20); /* perf pads to 8 with its u32 size */
	CHECK(pb->per_record, "perf buffer not polled record by record");
	bpf_buffer__free(rb);
	bpf_buffer__free(pb);
	CHECK(wasm_close_bpf_object(obj) == 0, "close");
	return failures != 0;
}

/* ---- sizes ---------------------------------------------------------- */

/* wbt_ring_small's fd, known to the SDK's libbpf API (which finds an fd's
 * object by it; the raw load bypasses its object layer). */
static int small_fd(uint64_t obj)
{
	int fd = wasm_bpf_map_fd_by_name(obj, "wbt_ring_small");

	wbpf__note_fd(fd, obj);
	return fd;
}

static uint32_t next_seq, nsizes, nbad;

static int sized(void *ctx, void *data, size_t size)
{
	const uint8_t *p = data;
	uint32_t seq;

	memcpy(&seq, p, 4);
	/* skipped: discarded records and those the full ring refused */
	for (; next_seq < seq; next_seq++)
		if (SIZES_DISCARDED(next_seq))
			nsizes++; /* counted as accounted for */
	if (seq != next_seq || size != SIZES_LEN(seq)) {
		if (nbad++ < 5)
			fprintf(stderr, "guest: record %u of %zu bytes, want "
					"%u of %u\n",
				seq, size, next_seq, SIZES_LEN(next_seq));
	}
	for (size_t i = 4; i < size; i++)
		if (p[i] != (uint8_t)(seq + i)) {
			if (nbad++ < 5)
				fprintf(stderr, "guest: record %u byte %zu\n",
					seq, i);
			break;
		}
	next_seq = seq + 1;
	nsizes++;
	return 0;
}

static int scenario_sizes(uint32_t n)
{
	uint64_t obj = load(ring_bpf_obj, sizeof(ring_bpf_obj), "wbt_sizes");
	int fd = small_fd(obj);
	struct ring_buffer *rb = ring_buffer__new(fd, sized, NULL, NULL);
	uint64_t full = 0, polls = 0;

	CHECK(rb && ring_buffer__poll(rb, 0) == 0, "ring buffer");
	CHECK(rb && rb->bufs[0]->ring, "ring buffer not mapped");
	printf("attached\n");
	fflush(stdout);
	for (int idle = 0; idle < 300 && nsizes + full < n; polls++) {
		int r = ring_buffer__poll(rb, 10);

		CHECK(r >= 0, "poll returned %d", r);
		idle = r > 0 ? 0 : idle + 1;
		full = counter(obj, C_SIZES_FULL);
	}
	/* a record the full ring refused is a gap too */
	for (; next_seq < n; next_seq++)
		if (SIZES_DISCARDED(next_seq))
			nsizes++;
	CHECK(nbad == 0, "%u bad records", nbad);
	CHECK(nsizes + full == n, "%u records and %llu refused of %u", nsizes,
	      (unsigned long long)full, n);
	CHECK(full < n / 2, "%llu of %u refused: ring full",
	      (unsigned long long)full, n);
	printf("records %u refused %llu polls %llu\n", nsizes,
	       (unsigned long long)full, (unsigned long long)polls);
	ring_buffer__free(rb);
	CHECK(wasm_close_bpf_object(obj) == 0, "close");
	return failures != 0;
}

/* ---- the run's end, writes, lifetime -------------------------------- */

static struct bpf_buffer *mapped_rb(uint64_t *obj)
{
	struct bpf_buffer *b;

	*obj = load(ring_bpf_obj, sizeof(ring_bpf_obj), "wbt_sizes");
	b = wbpf__buffer_new(*obj,
			     wasm_bpf_map_fd_by_name(*obj, "wbt_ring_small"),
			     record, NULL, false);
	CHECK(wbpf__buffer_poll(b, 0) == 0 && b->ring, "ring not mapped");
	return b;
}

/* Polls until the run ends it; with until_eintr, until -EINTR. */
static int scenario_end(bool until_eintr)
{
	uint64_t obj;
	struct bpf_buffer *b = mapped_rb(&obj);

	printf("attached\n");
	fflush(stdout);
	for (;;)
		if (wbpf__buffer_poll(b, -1) == -EINTR && until_eintr)
			return failures != 0;
}

static int scenario_write(bool by_host)
{
	uint64_t obj;
	struct bpf_buffer *b = mapped_rb(&obj);
	char *ro = b->ring + PAGE; /* the producer page */

	if (by_host)
		CHECK(!__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1,
					     (__wasi_timestamp_t *)ro),
		      "clock");
	else
		*(volatile uint64_t *)ro = 1;
	printf("survived the write\n");
	return 0;
}

static int scenario_lifetime(bool close_it)
{
	uint64_t obj = load(ring_bpf_obj, sizeof(ring_bpf_obj), NULL);
	struct ring_buffer *rb = ring_buffer__new(small_fd(obj), sized, NULL,
						  NULL);
	char *ring;
	uint32_t len;

	CHECK(rb && ring_buffer__poll(rb, 0) == 0 && rb->bufs[0]->ring,
	      "ring not mapped");
	ring = rb->bufs[0]->ring;
	len = 2 * PAGE + 2 * (rb->bufs[0]->mask + 1);
	if (close_it) {
		CHECK(wasm_close_bpf_object(obj) == 0, "close");
		CHECK(zeroed(ring, len), "memory zeroed after close");
		ring[PAGE] = 1; /* writable again: a trap otherwise */
	}
	printf("attached\n");
	fflush(stdout);
	usleep(1500000);
	return failures != 0;
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	if (!strcmp(s, "ring"))
		return scenario_ring();
	if (!strcmp(s, "sizes") && argc > 2)
		return scenario_sizes((uint32_t)atol(argv[2]));
	if (!strcmp(s, "eintr"))
		return scenario_end(true);
	if (!strcmp(s, "forever"))
		return scenario_end(false);
	if (!strcmp(s, "write-store") || !strcmp(s, "write-host"))
		return scenario_write(s[6] == 'h');
	if (!strcmp(s, "mapped") || !strcmp(s, "closed"))
		return scenario_lifetime(s[0] == 'c');
	fprintf(stderr, "guest: unknown scenario '%s'\n", s);
	return 2;
}
