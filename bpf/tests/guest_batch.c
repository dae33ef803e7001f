/* guest_batch.c — the suite's guest of batch polls (wasm_bpf_buffer_poll_batch):
 * built with the SDK's WBPF_BATCH_POLL and tiny sizes (WBPF_RECORD_MAX 12,
 * WBPF_BATCH_BYTES 64: two 16-byte records per batch, each truncated to
 * 12 bytes), on the embedded test object. argv[1] picks the scenario:
 *   batch     hostile arguments of the raw import, then the 7 records of
 *             `trigger getpgid 7` through the SDK from the ring buffer (in
 *             order, none lost when a callback stops mid-batch) and from
 *             the perf buffer (record by record after -EOPNOTSUPP);
 *   eintr     polls until -EINTR (Ctrl-C), then returns 0;
 *   forever   polls, ignoring -EINTR (the runtime's hard stop ends it).
 * Exit 0 means the scenario's checks held.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "test_bpf_obj.h"

#include "counters.h"
#include "guest_check.h"

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

static uint64_t load(void)
{
	uint64_t obj =
	    wasm_load_bpf_object((void *)test_bpf_obj, sizeof(test_bpf_obj));

	if (!obj || wasm_attach_bpf_program(obj, "wbt_getpgid", NULL)) {
		fprintf(stderr, "guest: load or attach failed\n");
		exit(3);
	}
	return obj;
}

/* The raw import refuses what it cannot use, with Linux's errno values. */
static void hostile(uint64_t obj)
{
	static char buf[64] __attribute__((aligned(8)));
	int rb = wasm_bpf_map_fd_by_name(obj, "rb");
	int pb = wasm_bpf_map_fd_by_name(obj, "pb");
	int arr = wasm_bpf_map_fd_by_name(obj, "counters");
	struct {
		uint64_t obj;
		int fd;
		char *buf;
		int len, rec_max, want;
	} t[] = {
	    {obj, rb, buf + 4, 60, 12, -22},	       /* not 8-aligned */
	    {obj, rb, buf, 64, 0, -22},		       /* rec_max 0 */
	    {obj, rb, buf, 64, 57, -22},	       /* 8 + 64 > 64 */
	    {obj, rb, buf, 64, -1, -22},	       /* rec_max 4 GiB */
	    {obj, rb, buf, 0, 12, -22},		       /* empty */
	    {obj, rb, (char *)0xfffffff8, 64, 12, -14}, /* past memory */
	    {obj, rb, buf, 0x7ffffff8, 12, -14},	       /* too long */
	    {obj, pb, buf, 64, 12, -95},	       /* perf buffer */
	    {obj, arr, buf, 64, 12, -22},	       /* no buffer */
	    {obj, 12345, buf, 64, 12, -9},	       /* not a map of obj */
	    {obj + 99, rb, buf, 64, 12, -9},	       /* no object */
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = wasm_bpf_buffer_poll_batch(t[i].obj, t[i].fd, t[i].buf,
						   t[i].len, t[i].rec_max, 0);
		CHECK(r == t[i].want, "case %u: %d, want %d", i, r, t[i].want);
	}
	CHECK(wasm_bpf_buffer_poll_batch(obj, rb, buf, 64, 12, 0) == 0,
	      "nothing to read yet");
}

/* Until the 7 records of the trigger are in the buffers (5 s at most),
 * so each batch holds as many as fit. */
static void wait_records(uint64_t obj)
{
	int fd = wasm_bpf_map_fd_by_name(obj, "counters");
	uint32_t key = C_SEQ;
	uint64_t n = 0;

	for (int i = 0; i < 500 && n < 7; i++) {
		usleep(10000);
		wasm_bpf_map_operate(fd, 1, &key, &n, NULL, 0);
	}
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

static int scenario_batch(void)
{
	uint64_t obj = load();
	struct bpf_buffer *rb, *pb;
	int r;

	hostile(obj);
	rb = wbpf__buffer_new(obj, wasm_bpf_map_fd_by_name(obj, "rb"), record,
			      NULL, false);
	pb = wbpf__buffer_new(obj, wasm_bpf_map_fd_by_name(obj, "pb"), record,
			      NULL, false);
	printf("attached\n");
	fflush(stdout);
	wait_records(obj);
	/* the first record stops the first poll, mid-batch: the second
	 * waits in the guest, delivered first by the next poll; that one's
	 * second record stops it with -7, returned as is */
	stop_at = 0, stop_ret = 1;
	r = wbpf__buffer_poll(rb, 0);
	CHECK(r == 1 && ngot == 1, "stopped poll: %d, %d records", r, ngot);
	stop_at = 2, stop_ret = -7;
	r = wbpf__buffer_poll(rb, 0);
	CHECK(r == -7 && ngot == 3, "failed poll: %d, %d records", r, ngot);
	r = collect(rb);
	CHECK(r == 4, "%d records in the last polls", r);
	check_records("ring buffer", 12);
	CHECK(!rb->per_record, "ring buffer polled record by record");
	/* the same records from the perf buffer: 20 bytes, truncated */
	ngot = 0;
	collect(pb);
	check_records("perf buffer", 12);
	CHECK(pb->per_record, "perf buffer not polled record by record");
	bpf_buffer__free(rb);
	bpf_buffer__free(pb);
	CHECK(wasm_close_bpf_object(obj) == 0, "close");
	return failures != 0;
}

/* Polls until the run ends it; with until_eintr, until -EINTR. */
static int scenario_end(bool until_eintr)
{
	uint64_t obj = load();
	struct bpf_buffer *b = wbpf__buffer_new(
	    obj, wasm_bpf_map_fd_by_name(obj, "rb"), record, NULL, false);

	printf("attached\n");
	fflush(stdout);
	for (;;)
		if (wbpf__buffer_poll(b, -1) == -EINTR && until_eintr)
			return 0;
}

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	if (!strcmp(s, "batch"))
		return scenario_batch();
	if (!strcmp(s, "eintr"))
		return scenario_end(true);
	if (!strcmp(s, "forever"))
		return scenario_end(false);
	fprintf(stderr, "guest: unknown scenario '%s'\n", s);
	return 2;
}
