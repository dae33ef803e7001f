/* bench/bpf/bpfbench.c — the user side of Part B, one source built twice:
 * as a wasm32-wasi guest on the raw `wasm_bpf` imports (run by
 * build/bin/wasm-bpf) and natively against libbpf (bb.h hides which);
 * both embed the same bench.bpf.o. Modes:
 *   maps N NCPUS time N of each operation on each map, one line per pair:
 *                "map MAP OP ns=WALL_NS_PER_OP cpu_ns=CPU_NS_PER_OP"
 *   attach       load, attach, print "attached", wait for stdin EOF
 *   ringbuf N    attach, print "attached", consume N records (or until
 *   perfbuf N    the producer's records are all seen or lost), print
 *                "done recv=R drops=D bad=B sum=S polls=P", wait for stdin EOF;
 *                a third argument "noprime" skips the first empty poll
 * The records come from bench/bpf/drive.c (getpgid() with a magic pid).
 * Every callback does the same work in both builds: check the sequence
 * and fold the payload into a sum. */
#include <time.h>
#include <stdio.h>
#include <string.h>
#include "bb.h"
#ifdef __wasm__
typedef uint64_t __u64;
#endif
#include "bench_bpf_obj.h"
#include "bench.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static void wait_eof(void)
{
	while (getchar() != EOF)
		;
}

/* ---- map operations ---------------------------------------------------- */

static uint64_t *g_val; /* one value per CPU for the per-CPU map */

struct op_time {
	uint64_t wall, cpu; /* ns; cpu: the process's CPU time (user + sys) */
};

static void one_op(int fd, int op, uint32_t key)
{
	uint32_t next;

	switch (op) {
	case 0:
		bb_update(fd, &key, g_val);
		break;
	case 1:
		bb_lookup(fd, &key, g_val);
		break;
	case 2:
		bb_next_key(fd, &key, &next);
		break;
	default:
		bb_delete(fd, &key);
	}
}

/* n operations over keys 0..1023 in turn; deletes refill (untimed). */
static struct op_time time_op(int fd, int op, long n, bool has_delete)
{
	struct op_time t = {0, 0};
	uint64_t w0, c0;
	uint32_t key;

	for (long i = 0; i < n;) {
		long batch =
		    n - i < BENCH_MAP_ENTRIES ? n - i : BENCH_MAP_ENTRIES;

		if (op == 3 && has_delete)
			for (key = 0; key < (uint32_t)batch; key++)
				bb_update(fd, &key, g_val);
		c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
		w0 = now_ns();
		for (key = 0; key < (uint32_t)batch; key++)
			one_op(fd, op, key);
		t.wall += now_ns() - w0;
		t.cpu += clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
		i += batch;
	}
	return t;
}

static int run_maps(struct bb_obj *obj, long n, int ncpus)
{
	static const char *const maps[] = {"arr", "hash", "pcpu"};
	static const char *const ops[] = {"update", "lookup", "next_key",
					  "delete"};
	g_val = calloc(ncpus > 0 ? ncpus : 1, sizeof(*g_val));
	if (!g_val)
		return 1;
	for (int m = 0; m < 3; m++) {
		int fd = bb_map_fd(obj, maps[m]);
		bool del = m == 1; /* arrays cannot delete */

		if (fd < 0)
			return 1;
		for (int op = 0; op < (del ? 4 : 3); op++) {
			struct op_time t;

			time_op(fd, op, n < 256 ? n : 256, del); /* warm-up */
			t = time_op(fd, op, n, del);
			printf("map %s %s ns=%.1f cpu_ns=%.1f\n", maps[m],
			       ops[op], (double)t.wall / n, (double)t.cpu / n);
		}
	}
	free(g_val);
	return 0;
}

/* ---- ring and perf buffers -------------------------------------------- */

struct consumer {
	uint64_t recv, bad, sum, last_seq;
};

static void consume(struct consumer *c, const struct bench_rec *r)
{
	if (c->recv && r->seq <= c->last_seq)
		c->bad++;
	c->last_seq = r->seq;
	for (int i = 0; i < 6; i++)
		c->sum = (c->sum ^ r->payload[i]) * 0x100000001b3ull;
	c->recv++;
}

static int sample(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(struct bench_rec))
		consume(ctx, data);
	return 0;
}

static uint64_t stat_get(int fd, uint32_t slot)
{
	uint64_t v = 0;

	bb_lookup(fd, &slot, &v);
	return v;
}

/* Polls until every record the producer asked for was seen or dropped,
 * or nothing happened for 3 s after the first record (10 s before). */
static void pump(struct bb_buf *buf, struct consumer *c, int stats_fd,
		 uint32_t drop_slot, long n)
{
	uint64_t idle_since = now_ns(), seen = 0, drops = 0, polls = 0;

	for (;;) {
		int got = bb_buf_poll(buf, 100);

		polls++;
		if (got < 0 && got != -EINTR /* both sides: this libc's */)
			break;
		drops = stat_get(stats_fd, drop_slot);
		if ((long)(c->recv + drops) >= n)
			break;
		if (c->recv != seen) {
			seen = c->recv;
			idle_since = now_ns();
		} else if (now_ns() - idle_since >
			   (seen ? 3 : 10) * 1000000000ull) {
			break;
		}
	}
	printf("done recv=%llu drops=%llu bad=%llu sum=%llx polls=%llu\n",
	       (unsigned long long)c->recv, (unsigned long long)drops,
	       (unsigned long long)c->bad, (unsigned long long)c->sum,
	       (unsigned long long)polls);
	fflush(stdout);
}

static int run_buffer(struct bb_obj *obj, bool rb, long n, bool prime)
{
	struct consumer c = {0};
	int stats = bb_map_fd(obj, "stats");
	int fd = bb_map_fd(obj, rb ? "rb" : "pb");
	struct bb_buf *buf;

	if (stats < 0 || fd < 0)
		return 1;
	buf = bb_buf_new(obj, fd, rb, sample, &c);
	if (!buf || bb_attach(obj, "bench_getpgid"))
		return 1;
	/* wasm-bpf opens a perf buffer's per-CPU rings on the first poll
	 * (libbpf's perf_buffer__new does at once): poll once so records
	 * written before the first real poll are not lost. */
	if (prime)
		bb_buf_poll(buf, 0);
	printf("attached\n");
	fflush(stdout);
	pump(buf, &c, stats, rb ? ST_RB_DROPS : ST_PB_DROPS, n);
	wait_eof();
	bb_buf_free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0;
	int ncpus = argc > 3 ? atoi(argv[3]) : bb_ncpus();
	struct bb_obj *obj;
	int err = 2;

	obj = bb_open(bench_bpf_o, sizeof(bench_bpf_o));
	if (!obj) {
		fprintf(stderr, "bpfbench: cannot load the BPF object\n");
		return 1;
	}
	if (!strcmp(mode, "maps") && n > 0) {
		err = run_maps(obj, n, ncpus);
	} else if (!strcmp(mode, "attach")) {
		err = bb_attach(obj, "bench_getpgid");
		if (!err) {
			printf("attached\n");
			fflush(stdout);
			wait_eof();
		}
	} else if (!strcmp(mode, "ringbuf") || !strcmp(mode, "perfbuf")) {
		err = run_buffer(obj, mode[0] == 'r', n,
				 argc < 4 || strcmp(argv[3], "noprime"));
	} else {
		fprintf(stderr, "usage: bpfbench maps N NCPUS | attach | "
				"ringbuf N | perfbuf N\n");
	}
	bb_close(obj);
	return err;
}
