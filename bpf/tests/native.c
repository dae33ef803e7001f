/* native.c — the `wasm_bpf` host functions driven natively against a fake
 * instance (fake_engine.c) in the real kernel: load, attach of every kind
 * the suite covers, ring/perf buffer polls with the fallback, every map
 * command, hostile arguments, callback endings and interrupts, and that
 * nothing stays in the kernel after bpf_host__free. Prints the suite's
 * PASS/FAIL/SKIP lines. Usage: native OBJECT.bpf.o BAD.bpf.o [KIND.bpf.o...]
 * [fdmaps.bpf.o] [pin.bpf.o]
 * (environment:
 * BPF_TEST_IF/BPF_TEST_PING for XDP and tc, BPF_TEST_CGROUP for cgroups).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf/bpf_copy.h"
#include "bpf/bpf_host.h"
#include "bpf/tests/counters.h"
#include "bpf/tests/fake_engine.h"

#define MEM_SIZE (1u << 20)

struct event {
	uint32_t seq, magic;
	uint64_t payload;
};

static struct wasm_linker L;
static struct wasm_instance *I;
static struct bpf_host *H;
static uint32_t heap = 4096;
static int last_status;
static void *obj_bytes;
static size_t obj_len;
static int failures;

static int read_file(const char *path);

/* ---- reporting --------------------------------------------------------- */

static void pass(const char *name)
{
	printf("PASS: %s\n", name);
}

static void fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

static void skip(const char *name, const char *why)
{
	printf("SKIP: %s: %s\n", name, why);
}

/* stderr into a temporary file between capture_begin and capture_end,
 * which returns the number of lines written. */
static FILE *capture_tmp;
static int capture_saved = -1;

static void capture_begin(void)
{
	fflush(stderr);
	capture_tmp = tmpfile();
	capture_saved = dup(2);
	if (capture_tmp)
		dup2(fileno(capture_tmp), 2);
}

static int capture_end(char *text, size_t size)
{
	int lines = 0;
	size_t n = 0;

	fflush(stderr);
	dup2(capture_saved, 2);
	close(capture_saved);
	if (capture_tmp) {
		rewind(capture_tmp);
		n = fread(text, 1, size - 1, capture_tmp);
		fclose(capture_tmp);
	}
	text[n] = 0;
	for (char *c = text; *c; c++)
		lines += *c == '\n';
	return lines;
}

/* ---- the fake guest ---------------------------------------------------- */

static uint32_t galloc(uint32_t len)
{
	uint32_t p;

	len = (len + 15) & ~15u;
	if (heap + len > MEM_SIZE - 65536)
		heap = 4096; /* tests are short-lived: wrap around */
	p = heap;
	heap += len;
	return p;
}

static uint32_t gstr(const char *s)
{
	uint32_t p = galloc(strlen(s) + 1);

	memcpy(I->mem + p, s, strlen(s) + 1);
	return p;
}

static void *gptr(uint32_t p)
{
	return I->mem + p;
}

/* Calls host function `name` of module wasm_bpf with up to 7 arguments. */
static int64_t callm(const char *module, const char *name, int n, ...)
{
	const struct fake_def *d = fake_lookup(&L, module, name);
	uint64_t s[8] = {0};
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s[i] = va_arg(ap, uint64_t);
	va_end(ap);
	if (!d) {
		fprintf(stderr, "no host function %s.%s\n", module, name);
		exit(1);
	}
	last_status = d->fn(I, d->user, s);
	return strchr(d->sig, '>')[1] == 'I' ? (int64_t)s[0] : (int32_t)s[0];
}

#define A(x)		   ((uint64_t)(x))
#define call(name, n, ...) callm("wasm_bpf", name, n, __VA_ARGS__)

static uint64_t load(void)
{
	uint32_t p = galloc(obj_len);

	memcpy(gptr(p), obj_bytes, obj_len);
	return (uint64_t)call("wasm_load_bpf_object", 2, A(p), A(obj_len));
}

static int attach(uint64_t obj, const char *prog, const char *target)
{
	return (int)call("wasm_attach_bpf_program", 3, obj, A(gstr(prog)),
			 A(target ? gstr(target) : 0));
}

static int attach_fd(uint64_t obj, const char *prog, int fd)
{
	return (int)call("wasm_attach_bpf_program_fd", 3, obj, A(gstr(prog)),
			 A((uint32_t)fd));
}

static int map_fd(uint64_t obj, const char *name)
{
	return (int)call("wasm_bpf_map_fd_by_name", 2, obj, A(gstr(name)));
}

static int map_op(int fd, int cmd, uint32_t k, uint32_t v, uint32_t nk,
		  uint64_t flags)
{
	return (int)call("wasm_bpf_map_operate", 6, A((uint32_t)fd),
			 A((uint32_t)cmd), A(k), A(v), A(nk), flags);
}

static uint64_t counter(uint64_t obj, uint32_t idx)
{
	uint32_t k = galloc(4), v = galloc(8);

	memcpy(gptr(k), &idx, 4);
	if (map_op(map_fd(obj, "counters"), 1, k, v, 0, 0))
		return UINT64_MAX;
	return *(uint64_t *)gptr(v);
}

/* ---- callbacks --------------------------------------------------------- */

struct sink {
	struct event ev[64];
	uint32_t size[64];
	int n;
	int ret;	     /* what the callback returns */
	int status;	     /* or the engine status it ends with */
	int (*nested)(void); /* a call made from inside the callback */
	int nested_ret;
};

static int on_record(struct wasm_instance *inst, void *user, uint64_t *s)
{
	struct sink *k = &((struct sink *)user)[0];
	uint32_t buf = (uint32_t)s[1], size = (uint32_t)s[2];

	if ((uint32_t)s[0] != 0x1234)
		return wasm_instance__host_trap(inst, "bad ctx");
	if (k->n < 64) {
		memset(&k->ev[k->n], 0, sizeof(k->ev[0]));
		memcpy(&k->ev[k->n], gptr(buf),
		       size < sizeof(struct event) ? size
						   : sizeof(struct event));
		k->size[k->n] = size;
	}
	k->n++;
	if (k->nested)
		k->nested_ret = k->nested();
	s[0] = (uint32_t)k->ret;
	return k->status;
}

static struct wasm_func cb_func;
static struct sink sink;

static int poll_map(uint64_t obj, int fd, uint32_t buf_len, int timeout)
{
	uint32_t buf = galloc(buf_len ? buf_len : 1);

	return (int)call("wasm_bpf_buffer_poll", 7, obj, A((uint32_t)fd), A(0),
			 A(0x1234), A(buf), A(buf_len), A((uint32_t)timeout));
}

/* Polls until `want` records arrived or 2 s passed. */
static int poll_until(uint64_t obj, int fd, int want)
{
	for (int i = 0; i < 40 && sink.n < want; i++) {
		int r = poll_map(obj, fd, 256, 50);

		if (r < 0 || last_status != WASM_OK)
			return r < 0 ? r : -1000 - last_status;
	}
	return sink.n;
}

static void trigger(long magic, int times)
{
	for (int i = 0; i < times; i++)
		syscall(SYS_getpgid, magic);
}

/* ---- tests: buffers ---------------------------------------------------- */

static bool check_events(const char *name, int n, uint32_t rsize)
{
	for (int i = 0; i < n; i++) {
		uint32_t want = i < n - 2 ? MAGIC_OUTPUT : MAGIC_RESERVE;

		if (sink.ev[i].magic != want ||
		    sink.ev[i].payload != 0x1122334455667788ull ||
		    (rsize && sink.size[i] != rsize) ||
		    (i && sink.ev[i].seq != sink.ev[i - 1].seq + 1)) {
			fail(name, "record %d: seq %u magic %x size %u", i,
			     sink.ev[i].seq, sink.ev[i].magic, sink.size[i]);
			return false;
		}
	}
	return true;
}

/* Five records through bpf_buffer__output, two through reserve/submit. */
static void test_buffer(const char *name, uint64_t obj, const char *map,
			uint32_t rsize)
{
	int fd = map_fd(obj, map), r;

	memset(&sink, 0, sizeof(sink));
	trigger(MAGIC_OUTPUT, 5);
	trigger(MAGIC_RESERVE, 2);
	r = poll_until(obj, fd, 7);
	if (r != 7)
		fail(name, "got %d records, want 7", r);
	else if (check_events(name, 7, rsize))
		pass(name);
}

/* Two bursts of 256 records of 1000 bytes (wbt_flood) into flood_pb, whose
 * 16 pages per CPU hold about 64: the host counts what the kernel dropped
 * and tells the guest (wasm_bpf_buffer_lost) and the embedder. Both bursts
 * on one CPU: the kernel reports a CPU's losses with its next record. */
static uint64_t lost_events; /* every host's bpf_host_opts.lost_events */

static void test_lost(uint64_t obj)
{
	const char *name = "buffer: perf buffer records lost in a burst are "
			   "counted";
	int fd = map_fd(obj, "flood_pb"), received = 0, r, att;
	cpu_set_t all, one;
	int64_t lost, rb_lost, hash_lost, bad_lost;
	uint64_t host_lost;

	att = attach(obj, "wbt_flood", NULL);
	poll_map(obj, fd, 256, 0);
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	memset(&sink, 0, sizeof(sink));
	for (int burst = 0; burst < 2; burst++) {
		syscall(SYS_getpgid, 0x5eed0003);
		while ((r = poll_map(obj, fd, 256, 0)) > 0)
			received += r;
	}
	sched_setaffinity(0, sizeof(all), &all);
	lost = call("wasm_bpf_buffer_lost", 2, obj, A(fd));
	rb_lost = call("wasm_bpf_buffer_lost", 2, obj, A(map_fd(obj, "rb")));
	hash_lost =
	    call("wasm_bpf_buffer_lost", 2, obj, A(map_fd(obj, "hash_map")));
	bad_lost = call("wasm_bpf_buffer_lost", 2, A(999), A(fd));
	host_lost = bpf_host__lost_events(H);
	if (!att && lost > 0 && received + lost >= 256 &&
	    received + lost <= 512 && host_lost == (uint64_t)lost &&
	    lost_events == host_lost && rb_lost == -EOPNOTSUPP &&
	    hash_lost == -EINVAL && bad_lost == -EBADF)
		pass(name);
	else
		fail(name,
		     "attach %d, received %d, lost %lld (host %llu, "
		     "embedder's counter %llu); ring buffer %lld, hash %lld, "
		     "unknown object %lld",
		     att, received, (long long)lost,
		     (unsigned long long)host_lost,
		     (unsigned long long)lost_events, (long long)rb_lost,
		     (long long)hash_lost, (long long)bad_lost);
}

static void drain(uint64_t obj, int fd)
{
	while (poll_map(obj, fd, 256, 0) > 0)
		;
}

static void test_poll_endings(uint64_t obj)
{
	int fd = map_fd(obj, "rb"), r;

	drain(obj, fd);

	memset(&sink, 0, sizeof(sink));
	sink.ret = 1;
	trigger(MAGIC_OUTPUT, 3);
	r = poll_map(obj, fd, 256, 500);
	if (r == 1 && sink.n == 1 && poll_map(obj, fd, 256, 500) == 1 &&
	    sink.n == 2)
		pass("poll: non-zero callback result stops the poll");
	else
		fail("poll: non-zero callback result stops the poll",
		     "r=%d n=%d", r, sink.n);
	sink.ret = -7;
	r = poll_map(obj, fd, 256, 500);
	if (r == -7)
		pass("poll: negative callback result is returned");
	else
		fail("poll: negative callback result is returned", "r=%d", r);

	memset(&sink, 0, sizeof(sink));
	sink.status = WASM_TRAPPED;
	trigger(MAGIC_OUTPUT, 2);
	poll_map(obj, fd, 256, 500);
	if (last_status == WASM_TRAPPED && sink.n == 1)
		pass("poll: a trap in the callback ends the poll with its "
		     "status");
	else
		fail("poll: a trap in the callback ends the poll with its "
		     "status",
		     "status %d n %d", last_status, sink.n);
	sink.status = WASM_EXITED;
	poll_map(obj, fd, 256, 500);
	if (last_status == WASM_EXITED)
		pass("poll: proc_exit in the callback ends the poll");
	else
		fail("poll: proc_exit in the callback ends the poll",
		     "status %d", last_status);

	drain(obj, fd);
	memset(&sink, 0, sizeof(sink));
	trigger(MAGIC_OUTPUT, 1);
	r = poll_map(obj, fd, 6, 500);
	if (r == 1 && sink.size[0] == 6)
		pass("poll: records longer than buf_len are truncated");
	else
		fail("poll: records longer than buf_len are truncated",
		     "r=%d size=%u", r, sink.size[0]);
	memset(&sink, 0, sizeof(sink));
	r = poll_map(obj, fd, 256, 0);
	if (r == 0 && last_status == WASM_OK)
		pass("poll: timeout 0 with nothing pending returns 0");
	else
		fail("poll: timeout 0 with nothing pending returns 0", "r=%d",
		     r);
}

/* bh_copy_record (a record into guest memory) against a byte loop: every
 * size around its inline cases (16..64 bytes) and either side, at odd
 * alignments, nothing written past the record. */
static void test_copy_record(void)
{
	const char *name = "poll: records copied whole at every size";
	unsigned char src[96], dst[112];

	for (uint32_t n = 0; n <= 80; n++)
		for (uint32_t at = 0; at < 3; at++) {
			for (uint32_t i = 0; i < sizeof(src); i++)
				src[i] = (unsigned char)(i * 7 + n + 1);
			memset(dst, 0xa5, sizeof(dst));
			bh_copy_record(dst + 8 + at, src + at, n);
			for (uint32_t i = 0; i < sizeof(dst); i++) {
				bool in = i >= 8 + at && i < 8 + at + n;
				unsigned want = in ? src[i - 8] : 0xa5;

				if (dst[i] != want) {
					fail(name, "size %u, offset %u: byte %u "
						   "is %02x, want %02x",
					     n, at, i, dst[i], want);
					return;
				}
			}
		}
	pass(name);
}

static uint64_t nested_obj;
static int nested_close(void)
{
	return (int)call("wasm_close_bpf_object", 1, nested_obj);
}

static int nested_poll(void)
{
	return poll_map(nested_obj, map_fd(nested_obj, "rb"), 16, 0);
}

static void test_reentry(uint64_t obj)
{
	int fd = map_fd(obj, "rb");

	nested_obj = obj;
	memset(&sink, 0, sizeof(sink));
	sink.nested = nested_close;
	trigger(MAGIC_OUTPUT, 2);
	poll_map(obj, fd, 256, 500);
	if (sink.nested_ret == -EBUSY)
		pass("poll: closing the polled object from its callback is "
		     "refused");
	else
		fail("poll: closing the polled object from its callback is "
		     "refused",
		     "got %d", sink.nested_ret);
	sink.nested = nested_poll;
	poll_map(obj, fd, 256, 500);
	if (sink.nested_ret == -EBUSY)
		pass("poll: polling from a callback is refused");
	else
		fail("poll: polling from a callback is refused", "got %d",
		     sink.nested_ret);
	sink.nested = NULL;
}

/* TinyGo's import: records go to the exported go-callback. */
static void test_go_poll(uint64_t obj)
{
	const char *name = "poll: callback-wrapper import calls go-callback";
	int fd = map_fd(obj, "rb"), r;
	uint32_t buf = galloc(64);

	drain(obj, fd);
	memset(&sink, 0, sizeof(sink));
	I->export_name = "go-callback";
	I->export_fn = &cb_func;
	trigger(MAGIC_OUTPUT, 2);
	r = (int)callm("callback-wrapper", "wasm_bpf_buffer_poll", 6, obj,
		       A(fd), A(0x1234), A(buf), A(64), A(500));
	if (r == 0)
		r = (int)callm("callback-wrapper", "wasm_bpf_buffer_poll", 6,
			       obj, A(fd), A(0x1234), A(buf), A(64), A(500));
	I->export_name = NULL;
	if (sink.n == 2 && sink.ev[1].seq == sink.ev[0].seq + 1)
		pass(name);
	else
		fail(name, "r=%d n=%d", r, sink.n);
}

/* Explicit string targets of tracepoints (each form on a fresh object: a
 * program attaches to a tracepoint once); other strings are no tracepoint
 * target: ignored, the program attached by its section (upstream's way). */
static int attach_fresh(const char *prog, const char *target)
{
	uint64_t o = load();
	int r = o ? attach(o, prog, target) : -1;

	call("wasm_close_bpf_object", 1, o);
	return r;
}

static void test_tp_target(void)
{
	const char *name = "attach: tracepoint by category:name target";
	int r1 = attach_fresh("wbt_getpgid", "syscalls:sys_enter_getpgid");
	int r2 = attach_fresh("wbt_getpgid", "syscalls/sys_enter_getpgid");
	int r3 = attach_fresh("wbt_getpgid", "syscalls:sys_enter_nosuch");

	if (r1 || r2 || r3 != -ENOENT)
		fail(name, "%d %d %d", r1, r2, r3);
	else
		pass(name);
}

/* Strings that are no target of the program's type, hostile ones among
 * them: never used (nothing written to kprobe_events, no path walked),
 * the program attached by its section exactly as with no target. */
static void test_loose_targets(void)
{
	static const char *const t[][2] = {
	    {"wbt_getpgid", "sys_enter_getpgid"},
	    {"wbt_getpgid", "syscalls:"},
	    {"wbt_getpgid", "../../kprobe_events:x"},
	    {"wbt_getpgid", "syscalls:sys_enter_getpgid\n"},
	    {"wbt_kprobe", "do_sys_open -:kprobes/x"},
	    {"wbt_uprobe", "bin/true:main"},
	    {"wbt_uprobe", "/bin/true"},
	    {"wbt_uprobe", "/bin/true\n-:uprobes/x:main"},
	    {"wbt_uprobe", "/bin/true:main x"},
	    {"wbt_tc", "lo:sideways"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char name[160];
		int want = attach_fresh(t[i][0], NULL);
		int got = attach_fresh(t[i][0], t[i][1]);

		snprintf(name, sizeof(name),
			 "attach: %s given \"%.40s\" attaches by section",
			 t[i][0], t[i][1]);
		for (char *c = name; *c; c++)
			if (*c == '\n')
				*c = '~';
		if (got == want)
			pass(name);
		else
			fail(name, "got %d, by section %d", got, want);
	}
}

/* A cgroup program given a cgroup v2 path, when the embedder allows it
 * (upstream's sockops); other directories are refused. */
static void test_cgroup_path(void)
{
	const char *name = "attach: cgroup program by cgroup path";
	const char *dir = getenv("BPF_TEST_CGROUP");
	struct bpf_host *saved = H, *h;
	struct wasm_linker saved_l = L;
	struct bpf_host_opts o = {.sz = sizeof(o), .allow_cgroup_paths = 1};
	uint64_t obj;
	int r1, r2, r3;

	if (!dir || !dir[0]) {
		skip(name, "no cgroup v2 directory");
		return;
	}
	h = H = bpf_host__new(&o);
	memset(&L, 0, sizeof(L));
	if (!h || bpf_host__define(h, &L)) {
		fail(name, "bpf_host__new failed");
		bpf_host__free(h);
		H = saved;
		L = saved_l;
		return;
	}
	obj = load();
	r1 = attach(obj, "wbt_cgsock", dir);
	r2 = attach(obj, "wbt_cgsock", "/tmp");
	r3 = attach(obj, "wbt_cgsock", "/nonexistent/cgroup");
	bpf_host__free(h);
	H = saved;
	L = saved_l;
	if (r1 || r2 != -ENOTDIR || r3 != -ENOENT)
		fail(name, "%d %d %d", r1, r2, r3);
	else
		pass(name);
}

static volatile int *alarm_flag; /* what the alarm raises */

static void on_alarm(int sig)
{
	*alarm_flag = 1;
}

/* Raises *flag (the instance's interrupt or cancel request) 0.2 s on. */
static void raise_soon(volatile int *flag)
{
	struct itimerval it = {.it_value = {0, 200000}};

	alarm_flag = flag;
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_interrupt(uint64_t obj)
{
	double t0 = now_s(), dt;

	raise_soon(&I->interrupt);
	poll_map(obj, map_fd(obj, "rb"), 256, -1);
	dt = now_s() - t0;
	I->interrupt = 0;
	if (last_status == WASM_INTERRUPTED && dt < 1.0)
		pass("poll: an interrupt ends an endless poll promptly");
	else
		fail("poll: an interrupt ends an endless poll promptly",
		     "status %d after %.2fs", last_status, dt);
}

/* A graceful stop: a long poll returns -EINTR (libbpf's answer to a
 * signal) and the guest runs on; so does every later poll, at once. */
static void test_cancel(uint64_t obj)
{
	const char *name =
	    "poll: a graceful stop makes this and later polls -EINTR";
	double t0 = now_s(), dt;
	int r1, r2;

	raise_soon(&I->cancel);
	r1 = poll_map(obj, map_fd(obj, "rb"), 256, 2000);
	r2 = poll_map(obj, map_fd(obj, "rb"), 256, 2000);
	dt = now_s() - t0;
	I->cancel = 0;
	if (r1 == -EINTR && r2 == -EINTR && last_status == WASM_OK && dt < 1.0)
		pass(name);
	else
		fail(name, "%d %d, status %d after %.2fs", r1, r2, last_status,
		     dt);
}

/* ---- tests: maps ------------------------------------------------------- */

/* Runs update, lookup, next-key from NULL and delete on map `name` with a
 * value of the size the kernel copies (vsize). */
static void test_map(uint64_t obj, const char *name, uint32_t vsize,
		     int delete_err)
{
	char what[128];
	int fd = map_fd(obj, name);
	uint32_t k = galloc(4), v = galloc(vsize), out = galloc(vsize),
		 nk = galloc(4);
	uint32_t key = 3;
	int r1, r2, r3, r4, r5;

	snprintf(what, sizeof(what), "map %s: update, lookup, next key, delete",
		 name);
	memcpy(gptr(k), &key, 4);
	for (uint32_t i = 0; i < vsize; i++)
		((uint8_t *)gptr(v))[i] = (uint8_t)(i * 7 + 1);
	/* percpu u32 values: the kernel keeps 4 of each 8 bytes */
	if (!strcmp(name, "percpu_array"))
		for (uint32_t i = 4; i < vsize; i += 8)
			memset((uint8_t *)gptr(v) + i, 0, 4);
	r1 = map_op(fd, 2, k, v, 0, 0);
	r2 = map_op(fd, 1, k, out, 0, 0);
	r3 = map_op(fd, 4, 0, 0, nk, 0);
	r4 = map_op(fd, 3, k, 0, 0, 0);
	r5 = map_op(fd, 1, k, out, 0, 0);
	if (r1 || r2 || memcmp(gptr(v), gptr(out), vsize) || r3 ||
	    r4 != delete_err || (delete_err == 0 && r5 != -ENOENT))
		fail(what, "update %d lookup %d next %d delete %d relookup %d",
		     r1, r2, r3, r4, r5);
	else
		pass(what);
}

static void test_maps(uint64_t obj)
{
	int ncpus = libbpf_num_possible_cpus();
	int fd, r;
	uint32_t k;

	test_map(obj, "array_map", 16, -EINVAL);
	test_map(obj, "hash_map", 8, 0);
	test_map(obj, "percpu_array", 8 * ncpus, -EINVAL);
	test_map(obj, "percpu_hash", 8 * ncpus, 0);
	test_map(obj, "lru_hash", 8, 0);

	/* A per-CPU value must fit whole: ending at the last byte of memory
	 * is fine, one byte short is refused. */
	fd = map_fd(obj, "percpu_array");
	k = galloc(4);
	memset(gptr(k), 0, 4);
	r = map_op(fd, 1, k, MEM_SIZE - 8 * ncpus, 0, 0);
	if (r == 0 &&
	    map_op(fd, 1, k, MEM_SIZE - 8 * ncpus + 1, 0, 0) == -EFAULT &&
	    map_op(fd, 1, k, MEM_SIZE - 8, 0, 0) == (ncpus > 1 ? -EFAULT : 0))
		pass("map percpu_array: value range is round_up(size, 8) x "
		     "CPUs");
	else
		fail(
		    "map percpu_array: value range is round_up(size, 8) x CPUs",
		    "r=%d", r);
	/* The kernel answers its internal ENOTSUPP (524) here. */
	r = map_op(map_fd(obj, "rb"), 1, k, k + 16, 0, 0);
	if (r == -EOPNOTSUPP)
		pass("map rb: an operation on a ring buffer is -EOPNOTSUPP");
	else
		fail("map rb: an operation on a ring buffer is -EOPNOTSUPP",
		     "got %d", r);
	fd = map_fd(obj, "prog_array");
	memcpy(gptr(k + 16), &fd, 4); /* a map fd is no program */
	memset(gptr(k), 0, 4);
	r = map_op(fd, 2, k, k + 16, 0, 0);
	if (r == -EBADF)
		pass(
		    "map prog_array: only the caller's programs may be stored");
	else
		fail("map prog_array: only the caller's programs may be stored",
		     "got %d", r);
}

/* ---- tests: descriptors in map values ---------------------------------- */

/* Guest descriptors of the fd-map tests (fake_wasi_fds slots). */
enum { G_XDP = 3, G_UDP = 5, G_REUSE = 6, G_CG = 7 };

/* A descriptor moved to 100 or above, so its number is never also one of
 * the guest's (0..7): a value holding it was not translated. */
static int high_fd(int fd)
{
	int h = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 100);

	if (fd >= 0)
		close(fd);
	return h;
}

static int udp_socket(bool reuseport)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s >= 0 && reuseport)
		setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &(int){1}, sizeof(int));
	if (s >= 0 && bind(s, (void *)&a, sizeof(a))) {
		close(s);
		s = -1;
	}
	return high_fd(s);
}

/* The first of this process's programs called `name`. */
static int prog_named(const char *name)
{
	char link[64], path[64];

	for (int fd = 3; fd < 1024; fd++) {
		struct bpf_prog_info info = {0};
		__u32 len = sizeof(info);
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (!strcmp(link, "anon_inode:bpf-prog") &&
		    !bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strcmp(info.name, name))
			return fd;
	}
	return -1;
}

/* update(key 0, value) with a value of `vs` bytes. */
static int fd_update(uint64_t obj, const char *map, const void *value,
		     uint32_t vs)
{
	uint32_t k = galloc(4), v = galloc(vs);

	memset(gptr(k), 0, 4);
	memcpy(gptr(v), value, vs);
	return map_op(map_fd(obj, map), 2, k, v, 0, 0);
}

static int fd_update32(uint64_t obj, const char *map, uint32_t value)
{
	return fd_update(obj, map, &value, 4);
}

static int fd_update64(uint64_t obj, const char *map, uint64_t value)
{
	return fd_update(obj, map, &value, 8);
}

/* The socket cookie a u64 socket map holds at key 0 (0 if none). */
static uint64_t fd_cookie(uint64_t obj, const char *map)
{
	uint32_t k = galloc(4), v = galloc(8);

	memset(gptr(k), 0, 4);
	memset(gptr(v), 0, 8);
	return map_op(map_fd(obj, map), 1, k, v, 0, 0) ? 0
						       : *(uint64_t *)gptr(v);
}

static uint64_t sock_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	return getsockopt(fd, SOL_SOCKET, 57 /* SO_COOKIE */, &c, &len) ? 0 : c;
}

static void fd_result(const char *what, bool ok, const char *fmt, ...)
{
	char name[160], why[256];
	va_list ap;

	snprintf(name, sizeof(name), "map values: %s", what);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (ok)
		pass(name);
	else
		fail(name, "%s", why);
}

/* Socket maps: the guest's descriptor is translated (the map then holds
 * that socket: its cookie), the host's number of the same socket is
 * refused before the kernel sees it. */
static void fd_socket_map(uint64_t obj, const char *map, bool wide, int g,
			  int host)
{
	char what[128];
	int r1 = wide ? fd_update64(obj, map, (uint64_t)g)
		      : fd_update32(obj, map, (uint32_t)g);
	int r2 = wide ? fd_update64(obj, map, (uint64_t)host)
		      : fd_update32(obj, map, (uint32_t)host);
	uint64_t want = sock_cookie(host), got = wide ? fd_cookie(obj, map) : 0;

	snprintf(what, sizeof(what),
		 "%s (u%d) takes the guest's socket, not a host descriptor "
		 "number",
		 map, wide ? 64 : 32);
	fd_result(what, !r1 && r2 == -EBADF && (!wide || got == want),
		  "guest fd %d: %d, host fd %d: %d, cookie %llu want %llu", g,
		  r1, host, r2, (unsigned long long)got,
		  (unsigned long long)want);
}

static void fd_dev_map(uint64_t obj, const char *map, uint32_t first, int own,
		       int foreign)
{
	uint32_t none[2] = {first, 0}, mine[2] = {first, (uint32_t)own},
		 other[2] = {first, (uint32_t)foreign};
	int r1 = fd_update(obj, map, none, 8),
	    r2 = fd_update(obj, map, mine, 8);
	int r3 = fd_update(obj, map, other, 8);
	char what[128];

	snprintf(what, sizeof(what),
		 "%s takes no program or the guest's own, no other", map);
	fd_result(what, !r1 && !r2 && r3 == -EBADF,
		  "none %d, own (%d) %d, foreign (%d) %d", r1, own, r2, foreign,
		  r3);
}

static int foreign_prog(void)
{
	struct bpf_insn ret[] = {
	    {.code = 0xb7, .dst_reg = 0, .imm = 2}, /* r0 = XDP_PASS */
	    {.code = 0x95},			    /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o);

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "wbt_foreign", "GPL", ret, 2,
			     &o);
}

/* Every map type whose values are descriptors, in fdmaps.bpf.o. */
static void test_fdmaps(const char *path)
{
	const char *cgdir = getenv("BPF_TEST_CGROUP");
	int udp, reuse, xsk, cg, foreign, other_map, inner, r1, r2;
	uint64_t obj;

	free(obj_bytes);
	if (read_file(path)) {
		fail("map values", "cannot read %s", path);
		return;
	}
	obj = load();
	if (!obj) {
		skip("map values", "the kernel refuses fdmaps.bpf.o (see "
				   "native.err)");
		return;
	}
	udp = udp_socket(false);
	reuse = udp_socket(true);
	xsk = high_fd(socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0));
	cg = high_fd(cgdir ? open(cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
			   : -1);
	foreign = high_fd(foreign_prog());
	other_map = high_fd(
	    bpf_map_create(BPF_MAP_TYPE_ARRAY, "wbt_other", 4, 8, 1, NULL));
	fake_wasi_fds[G_UDP] = udp;
	fake_wasi_fds[G_REUSE] = reuse;
	fake_wasi_fds[G_XDP] = xsk;
	fake_wasi_fds[G_CG] = cg;

	if (udp < 0 || reuse < 0) {
		skip("map values: socket maps", "no loopback UDP socket");
	} else {
		fd_socket_map(obj, "sockmap", false, G_UDP, udp);
		fd_socket_map(obj, "sockhash", true, G_UDP, udp);
		fd_socket_map(obj, "reuseport", true, G_REUSE, reuse);
	}
	/* An unbound AF_XDP socket: newer kernels store it, older ones
	 * answer EOPNOTSUPP once they found the socket. */
	if (xsk < 0) {
		skip("map values: xskmap", "no AF_XDP sockets");
	} else {
		r1 = fd_update32(obj, "xsks", G_XDP);
		r2 = fd_update32(obj, "xsks", (uint32_t)xsk);
		fd_result("xskmap takes the guest's AF_XDP socket, not a host "
			  "descriptor number",
			  (!r1 || r1 == -EOPNOTSUPP) && r2 == -EBADF,
			  "guest fd: %d, host fd %d: %d", r1, xsk, r2);
	}
	if (cg < 0) {
		skip("map values: cgroup array", "no cgroup v2 directory");
	} else {
		r1 = fd_update32(obj, "cgroups", G_CG);
		r2 = fd_update32(obj, "cgroups", (uint32_t)cg);
		fd_result("cgroup array takes the guest's cgroup, not a host "
			  "descriptor number",
			  !r1 && r2 == -EBADF, "guest fd: %d, host fd %d: %d",
			  r1, cg, r2);
	}
	r1 = fd_update32(obj, "perf", G_UDP);
	fd_result("perf event array updates are refused (the host's readers)",
		  r1 == -EPERM, "got %d", r1);

	r1 = fd_update32(obj, "progs", (uint32_t)prog_named("wbt_fd_xdp"));
	r2 = fd_update32(obj, "progs", (uint32_t)foreign);
	fd_result("prog array takes the guest's programs only",
		  !r1 && r2 == -EBADF, "own %d, foreign %d", r1, r2);
	inner = map_fd(obj, "inner");
	r1 = fd_update32(obj, "outer_array", (uint32_t)inner);
	r2 = fd_update32(obj, "outer_array", (uint32_t)other_map);
	fd_result("array of maps takes the guest's maps only",
		  !r1 && r2 == -EBADF, "own %d, foreign %d", r1, r2);
	r1 = fd_update32(obj, "outer_hash", (uint32_t)inner);
	r2 = fd_update32(obj, "outer_hash", (uint32_t)other_map);
	fd_result("hash of maps takes the guest's maps only",
		  !r1 && r2 == -EBADF, "own %d, foreign %d", r1, r2);
	fd_dev_map(obj, "devmap", 1 /* lo */, prog_named("wbt_fd_devmap"),
		   foreign);
	fd_dev_map(obj, "devmap_hash", 1, prog_named("wbt_fd_devmap"), foreign);
	fd_dev_map(obj, "cpumap", 192 /* qsize */, prog_named("wbt_fd_cpumap"),
		   foreign);

	call("wasm_close_bpf_object", 1, obj);
	for (int i = 0; i < 8; i++)
		fake_wasi_fds[i] = -1;
	int fds[] = {udp, reuse, xsk, cg, foreign, other_map};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- tests: hostile arguments ------------------------------------------ */

struct bad {
	const char *what;
	int64_t got;
	int64_t want; /* INT64_MIN: any negative */
};

static void check_bad(const struct bad *b, int n)
{
	for (int i = 0; i < n; i++) {
		char name[160];
		bool ok = b[i].want == INT64_MIN ? b[i].got < 0
						 : b[i].got == b[i].want;

		snprintf(name, sizeof(name), "hostile: %s", b[i].what);
		if (ok && last_status == WASM_OK)
			pass(name);
		else
			fail(name, "got %lld", (long long)b[i].got);
	}
}

static void test_hostile(uint64_t obj, int other_host_fd)
{
	uint32_t unterminated = MEM_SIZE - 4, buf = galloc(64);
	int rb = map_fd(obj, "rb"), hash = map_fd(obj, "hash_map");
	uint64_t big =
	    (uint64_t)call("wasm_load_bpf_object", 2, A(0), A(0xffffffffu));

	memset(gptr(unterminated), 'x', 4);
	memset(gptr(buf), 0xff, 64);
	struct bad b[] = {
	    {"load: length past memory", (int64_t)big, 0},
	    {"load: pointer past memory",
	     call("wasm_load_bpf_object", 2, A(MEM_SIZE + 10), A(10)), 0},
	    {"load: zero length", call("wasm_load_bpf_object", 2, A(0), A(0)),
	     0},
	    {"load: garbage bytes",
	     call("wasm_load_bpf_object", 2, A(buf), A(64)), 0},
	    {"attach: unknown handle",
	     call("wasm_attach_bpf_program", 3, A(0xdeadbeef),
		  A(gstr("wbt_getpgid")), A(0)),
	     -EBADF},
	    {"attach: handle 0",
	     call("wasm_attach_bpf_program", 3, A(0), A(gstr("wbt_getpgid")),
		  A(0)),
	     -EBADF},
	    {"attach: unknown program", attach(obj, "nope", NULL), -ENOENT},
	    {"attach: name pointer past memory",
	     call("wasm_attach_bpf_program", 3, obj, A(MEM_SIZE), A(0)),
	     -EFAULT},
	    {"attach: unterminated name",
	     call("wasm_attach_bpf_program", 3, obj, A(unterminated), A(0)),
	     -EFAULT},
	    {"attach: unterminated target",
	     call("wasm_attach_bpf_program", 3, obj, A(gstr("wbt_xdp")),
		  A(unterminated)),
	     -EFAULT},
	    {"attach: unknown interface", attach(obj, "wbt_xdp", "nosuchif0"),
	     -ENODEV},
	    {"attach: overlong interface",
	     attach(obj, "wbt_xdp", "interface-name-too-long-xx"), -EINVAL},
	    {"attach: uprobe on a directory",
	     attach(obj, "wbt_uprobe", "/tmp:main"), -EINVAL},
	    {"attach: cgroup path when the embedder allows none",
	     attach(obj, "wbt_cgsock", "/sys/fs/cgroup"), -EPERM},
	    {"attach_fd: descriptor the guest does not hold",
	     attach_fd(obj, "wbt_cgsock", 7), -EBADF},
	    {"attach_fd: negative descriptor", attach_fd(obj, "wbt_cgsock", -1),
	     -EBADF},
	    {"attach_fd: unknown handle",
	     call("wasm_attach_bpf_program_fd", 3, A(77), A(gstr("wbt_cgsock")),
		  A(3)),
	     -EBADF},
	    {"map_fd_by_name: unknown map", map_fd(obj, "nope"), -ENOENT},
	    {"map_fd_by_name: unknown handle",
	     call("wasm_bpf_map_fd_by_name", 2, A(99), A(gstr("rb"))), -EBADF},
	    {"map_fd_by_name: name past memory",
	     call("wasm_bpf_map_fd_by_name", 2, obj, A(0xfffffff0u)), -EFAULT},
	    {"map_operate: stdin", map_op(0, 1, buf, buf, 0, 0), -EBADF},
	    {"map_operate: negative fd", map_op(-1, 1, buf, buf, 0, 0), -EBADF},
	    {"map_operate: another host's map",
	     map_op(other_host_fd, 1, buf, buf, 0, 0), -EBADF},
	    {"map_operate: unknown command", map_op(hash, 9, buf, buf, 0, 0),
	     -EINVAL},
	    {"map_operate: command 0", map_op(hash, 0, buf, buf, 0, 0),
	     -EINVAL},
	    {"map_operate: key past memory",
	     map_op(hash, 1, MEM_SIZE - 2, buf, 0, 0), -EFAULT},
	    {"map_operate: value past memory",
	     map_op(hash, 2, buf, MEM_SIZE - 4, 0, 0), -EFAULT},
	    {"map_operate: next key past memory",
	     map_op(hash, 4, buf, buf, 0xffffffffu, 0), -EFAULT},
	    {"map_operate: bad flags", map_op(hash, 2, buf, buf + 8, 0, ~0ull),
	     INT64_MIN},
	    {"poll: unknown handle",
	     call("wasm_bpf_buffer_poll", 7, A(5555), A(rb), A(0), A(0), A(buf),
		  A(64), A(0)),
	     -EBADF},
	    {"poll: map of no buffer type",
	     call("wasm_bpf_buffer_poll", 7, obj, A(hash), A(0), A(0), A(buf),
		  A(64), A(0)),
	     -EINVAL},
	    {"poll: fd not of this object",
	     call("wasm_bpf_buffer_poll", 7, obj, A(1), A(0), A(0), A(buf),
		  A(64), A(0)),
	     -EBADF},
	    {"poll: null table entry",
	     call("wasm_bpf_buffer_poll", 7, obj, A(rb), A(5), A(0), A(buf),
		  A(64), A(0)),
	     -EINVAL},
	    {"poll: table index past the table",
	     call("wasm_bpf_buffer_poll", 7, obj, A(rb), A(0xffffffffu), A(0),
		  A(buf), A(64), A(0)),
	     -EINVAL},
	    {"poll: callback of the wrong type",
	     call("wasm_bpf_buffer_poll", 7, obj, A(rb), A(1), A(0), A(buf),
		  A(64), A(0)),
	     -EINVAL},
	    {"poll: buffer past memory",
	     call("wasm_bpf_buffer_poll", 7, obj, A(rb), A(0), A(0),
		  A(MEM_SIZE - 8), A(64), A(0)),
	     -EFAULT},
	    {"poll: buffer length overflows",
	     call("wasm_bpf_buffer_poll", 7, obj, A(rb), A(0), A(0), A(buf),
		  A(0xffffffffu), A(0)),
	     -EFAULT},
	    {"poll: zero-length buffer",
	     call("wasm_bpf_buffer_poll", 7, obj, A(rb), A(0), A(0), A(buf),
		  A(0), A(0)),
	     -EINVAL},
	    {"go poll: no go-callback export",
	     callm("callback-wrapper", "wasm_bpf_buffer_poll", 6, obj, A(rb),
		   A(0), A(buf), A(64), A(0)),
	     -ENOENT},
	    {"close: unknown handle",
	     call("wasm_close_bpf_object", 1, A(123456)), -EBADF},
	};
	check_bad(b, sizeof(b) / sizeof(b[0]));
}

/* ---- tests: attach kinds ----------------------------------------------- */

__attribute__((noinline)) int wasm_bpf_test_probe(int x)
{
	__asm__ volatile("" : : "r"(x) : "memory");
	return x + 1;
}

/* A USDT probe "wbt:probe" written out by hand (no sys/sdt.h needed): a
 * nop, and a .note.stapsdt entry giving its address, the link-time
 * address of .stapsdt.base, no semaphore, provider, name and no args. */
__attribute__((noinline)) void wasm_bpf_test_usdt(void)
{
	__asm__ volatile("990: nop\n"
			 ".pushsection .note.stapsdt,\"?\",\"note\"\n"
			 ".balign 4\n"
			 ".4byte 992f-991f, 994f-993f, 3\n"
			 "991: .asciz \"stapsdt\"\n"
			 "992: .balign 4\n"
			 "993: .8byte 990b\n"
			 ".8byte _.stapsdt.base\n"
			 ".8byte 0\n"
			 ".asciz \"wbt\"\n"
			 ".asciz \"probe\"\n"
			 ".asciz \"\"\n"
			 "994: .balign 4\n"
			 ".popsection\n"
			 ".ifndef _.stapsdt.base\n"
			 ".pushsection .stapsdt.base,\"aG\",\"progbits\","
			 ".stapsdt.base,comdat\n"
			 ".weak _.stapsdt.base\n"
			 ".hidden _.stapsdt.base\n"
			 "_.stapsdt.base: .space 1\n"
			 ".size _.stapsdt.base, 1\n"
			 ".popsection\n"
			 ".endif\n");
}

static void test_uprobe(uint64_t obj)
{
	char exe[PATH_MAX], target[PATH_MAX + 64];
	uint64_t before = counter(obj, C_UPROBE);
	int r;

	if (!realpath("/proc/self/exe", exe)) {
		fail("attach: uprobe on a binary", "realpath: %s",
		     strerror(errno));
		return;
	}
	snprintf(target, sizeof(target), "%s:wasm_bpf_test_probe", exe);
	r = attach(obj, "wbt_uprobe", target);
	for (int i = 0; i < 3; i++)
		wasm_bpf_test_probe(i);
	if (r)
		fail("attach: uprobe on a binary", "attach %d", r);
	else if (counter(obj, C_UPROBE) - before != 3)
		fail("attach: uprobe on a binary", "%llu hits",
		     (unsigned long long)(counter(obj, C_UPROBE) - before));
	else
		pass("attach: uprobe on a binary");
}

static void test_kprobe(uint64_t obj)
{
	int r;

	if (access("/sys/bus/event_source/devices/kprobe", F_OK) &&
	    access("/sys/kernel/tracing/kprobe_events", F_OK)) {
		skip("attach: kprobe by section", "kernel without kprobes");
		return;
	}
	r = attach(obj, "wbt_kprobe", "");

	getppid();
	getppid();
	if (r)
		fail("attach: kprobe by section", "attach %d", r);
	else if (counter(obj, C_KPROBE) < 2)
		fail("attach: kprobe by section", "no hits");
	else
		pass("attach: kprobe by section");
}

static void test_socket(uint64_t obj)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;
	char buf[16];

	if (s < 0 || bind(s, (void *)&a, sizeof(a)) ||
	    getsockname(s, (void *)&a, &alen)) {
		skip("attach_fd: socket filter", "no loopback UDP socket");
		return;
	}
	fake_wasi_fds[4] = s;
	r = attach_fd(obj, "wbt_sock", 4);
	sendto(s, "ping", 4, 0, (void *)&a, sizeof(a));
	recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	if (r)
		fail("attach_fd: socket filter", "attach %d", r);
	else if (counter(obj, C_SOCKET) < 1)
		fail("attach_fd: socket filter", "no packet seen");
	else
		pass("attach_fd: socket filter");
	close(s);
	fake_wasi_fds[4] = -1;
}

/* Guest descriptor 3 is the cgroup: the key is translated, descriptors the
 * guest does not hold are refused. */
static void test_cgrp_storage(uint64_t obj)
{
	const char *name = "map cg_storage: keys are guest descriptors";
	int fd = map_fd(obj, "cg_storage");
	uint32_t k = galloc(4), v = galloc(8), out = galloc(8);
	uint64_t val = 0xabcdef;
	int key = 3, r1, r2, r3, r4;

	memcpy(gptr(k), &key, 4);
	memcpy(gptr(v), &val, 8);
	r1 = map_op(fd, 2, k, v, 0, 0);
	r2 = map_op(fd, 1, k, out, 0, 0);
	key = 7;
	memcpy(gptr(k), &key, 4);
	r3 = map_op(fd, 2, k, v, 0, 0);
	key = 3;
	memcpy(gptr(k), &key, 4);
	r4 = map_op(fd, 3, k, 0, 0, 0);
	if (r1 || r2 || *(uint64_t *)gptr(out) != val || r3 != -EBADF || r4)
		fail(name, "update %d lookup %d foreign %d delete %d", r1, r2,
		     r3, r4);
	else
		pass(name);
}

static void test_cgroup(uint64_t obj)
{
	const char *dir = getenv("BPF_TEST_CGROUP");
	char procs[PATH_MAX];
	int fd, r, st;
	pid_t pid;

	if (!dir || !dir[0]) {
		skip("attach_fd: cgroup program", "no cgroup v2 directory");
		return;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fail("attach_fd: cgroup program", "open %s: %s", dir,
		     strerror(errno));
		return;
	}
	fake_wasi_fds[3] = fd;
	test_cgrp_storage(obj);
	r = attach_fd(obj, "wbt_cgsock", 3);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	pid = fork();
	if (pid == 0) {
		FILE *f = fopen(procs, "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
			_exit(2);
		_exit(socket(AF_INET, SOCK_DGRAM, 0) < 0);
	}
	waitpid(pid, &st, 0);
	if (r)
		fail("attach_fd: cgroup program", "attach %d", r);
	else if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail("attach_fd: cgroup program", "child could not join");
	else if (counter(obj, C_CGROUP) < 1)
		fail("attach_fd: cgroup program", "no socket seen");
	else
		pass("attach_fd: cgroup program");
	fake_wasi_fds[3] = -1;
	close(fd);
}

/* From inside the test's network namespace, a few UDP packets to `addr`
 * (with the ARP exchange before them) cross the veth pair. */
static int send_from_netns(const char *netns, const char *addr)
{
	char path[PATH_MAX];
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port = htons(9)};
		int nfd, s;

		snprintf(path, sizeof(path), "/var/run/netns/%s", netns);
		nfd = open(path, O_RDONLY);
		if (nfd < 0 || setns(nfd, CLONE_NEWNET))
			_exit(2);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		if (s < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1)
			_exit(3);
		for (int i = 0; i < 5; i++) {
			sendto(s, "wasm-bpf", 8, 0, (void *)&a, sizeof(a));
			usleep(50000);
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_net(uint64_t obj)
{
	const char *ifname = getenv("BPF_TEST_IF");
	const char *netns = getenv("BPF_TEST_NETNS");
	const char *addr = getenv("BPF_TEST_ADDR");
	int rx, rt;

	if (!ifname || !netns || !addr) {
		skip("attach: XDP on an interface", "no test interface");
		skip("attach: tc on an interface", "no test interface");
		return;
	}
	rx = attach(obj, "wbt_xdp", ifname);
	{
		char t[64];

		snprintf(t, sizeof(t), "%s:ingress", ifname);
		rt = attach(obj, "wbt_tc", t);
	}
	if (send_from_netns(netns, addr))
		fprintf(stderr, "sending from %s failed\n", netns);
	if (rx)
		fail("attach: XDP on an interface", "attach %d", rx);
	else if (counter(obj, C_XDP) < 1)
		fail("attach: XDP on an interface", "no packet seen");
	else
		pass("attach: XDP on an interface");
	if (rt)
		fail("attach: tc on an interface", "attach %d", rt);
	else if (counter(obj, C_TC) < 1)
		fail("attach: tc on an interface", "no packet seen");
	else
		pass("attach: tc on an interface");
}

/* ---- tests: pinned maps ------------------------------------------------- */

static struct bpf_host *host_new(bool force_perf);

#define PIN_HOST "/sys/fs/bpf/wbt_pinned" /* where upstream would pin */
#define PIN_BASE "/sys/fs/bpf/wasm-bpf"

struct pin_host {
	struct bpf_host *h;
	struct wasm_linker l;
};

static void pin_host_new(struct pin_host *p)
{
	p->h = host_new(false);
	p->l = L;
}

static void pin_use(struct pin_host *p)
{
	H = p->h;
	L = p->l;
}

static int pin_op(uint64_t obj, int cmd, uint32_t key, uint64_t *val)
{
	uint32_t k = galloc(4), v = galloc(8);
	int r;

	memcpy(gptr(k), &key, 4);
	memcpy(gptr(v), val, 8);
	r = map_op(map_fd(obj, "wbt_pinned"), cmd, k, v, 0, 0);
	memcpy(val, gptr(v), 8);
	return r;
}

static uint64_t pid_ns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) ? 0 : (uint64_t)st.st_ino;
}

/* Private pin directories of process `pid` under PIN_BASE. */
static int pin_dirs_of(int pid)
{
	char pat[64];
	DIR *d = opendir(PIN_BASE);
	struct dirent *e;
	int n = 0;

	snprintf(pat, sizeof(pat), "%llu-%d-", (unsigned long long)pid_ns_ino(),
		 pid);
	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, pat, strlen(pat));
	if (d)
		closedir(d);
	return n;
}

static void rm_pin_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(path);
}

/* One instance: its pin is private while it runs and gone after. */
static void test_pin_leaves_nothing(void)
{
	const char *name = "pins: a map pinned by name leaves nothing under "
			   "/sys/fs/bpf";
	bool base_before = !access(PIN_BASE, F_OK);
	struct pin_host a;
	uint64_t obj, v = 7;
	int during, r;

	pin_host_new(&a);
	obj = load();
	r = obj ? pin_op(obj, 2, 1, &v) : -1;
	during = pin_dirs_of(getpid());
	bpf_host__free(a.h);
	if (!access(PIN_HOST, F_OK)) {
		fail(name, "%s was made", PIN_HOST);
		unlink(PIN_HOST);
	} else if (r || during != 1 || pin_dirs_of(getpid()) ||
		   (!base_before && !access(PIN_BASE, F_OK))) {
		fail(name,
		     "update %d, %d private dirs while running, %d after, "
		     "base %s",
		     r, during, pin_dirs_of(getpid()),
		     access(PIN_BASE, F_OK) ? "gone" : "left");
	} else {
		pass(name);
	}
}

/* A pin the host made beforehand; two instances; two objects of one. */
static void test_pin_isolation(void)
{
	struct pin_host a, b;
	uint64_t a1, a2, b1, v, planted = 0xbad;
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "wbt_pinned", 4, 8, 4, NULL);
	int r1, r2, r3, r4;
	uint32_t key = 1;

	if (fd < 0 || bpf_map_update_elem(fd, &key, &planted, 0) ||
	    bpf_obj_pin(fd, PIN_HOST)) {
		fail("pins: planted pin", "cannot pin %s: %s", PIN_HOST,
		     strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	pin_host_new(&a);
	a1 = load();
	pin_host_new(&b);
	b1 = load();
	pin_use(&a);
	r1 = pin_op(a1, 1, 1, &(uint64_t){0});
	v = 0xa;
	r2 = pin_op(a1, 2, 1, &v);
	pin_use(&b);
	v = 0;
	r3 = pin_op(b1, 1, 1, &v);
	pin_use(&a);
	a2 = load();
	v = 0;
	r4 = pin_op(a2, 1, 1, &v);
	if (a1 && r1 == -ENOENT && !bpf_map_lookup_elem(fd, &key, &planted) &&
	    planted == 0xbad)
		pass(
		    "pins: a pin of the same name the host made is not reused");
	else
		fail("pins: a pin of the same name the host made is not reused",
		     "load %llu, lookup %d", (unsigned long long)a1, r1);
	if (b1 && !r2 && r3 == -ENOENT)
		pass("pins: two instances do not share a pinned map");
	else
		fail("pins: two instances do not share a pinned map",
		     "update %d, other instance's lookup %d", r2, r3);
	if (a2 && !r4 && v == 0xa)
		pass("pins: objects of one instance share a pinned map");
	else
		fail("pins: objects of one instance share a pinned map",
		     "lookup %d value %llx", r4, (unsigned long long)v);
	bpf_host__free(b.h);
	bpf_host__free(a.h);
	unlink(PIN_HOST);
	close(fd);
}

/* A directory left by a process that died without cleaning up (SIGKILL)
 * goes when the next instance makes its own. */
static void test_pin_sweep(void)
{
	const char *name = "pins: a dead process's pin directory is swept";
	char dir[128], pin[160];
	struct pin_host a;
	int st, fd, made;
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	waitpid(dead, &st, 0);
	mkdir(PIN_BASE, 0700);
	snprintf(dir, sizeof(dir), PIN_BASE "/%llu-%d-1",
		 (unsigned long long)pid_ns_ino(), (int)dead);
	snprintf(pin, sizeof(pin), "%s/wbt_pinned", dir);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "wbt_pinned", 4, 8, 4, NULL);
	made = !mkdir(dir, 0700) && fd >= 0 && !bpf_obj_pin(fd, pin);
	if (fd >= 0)
		close(fd);
	if (!made) {
		fail(name, "cannot plant %s: %s", pin, strerror(errno));
		rm_pin_dir(dir);
		return;
	}
	pin_host_new(&a);
	load();
	if (access(dir, F_OK))
		pass(name);
	else
		fail(name, "%s is still there", dir);
	bpf_host__free(a.h);
	rm_pin_dir(dir);
}

/* A map name that would walk out of the private root ("../wbt_pin",
 * patched into a copy of the object) is refused. */
static void test_pin_bad_name(void)
{
	const char *name = "pins: a map name walking out of the pin root is "
			   "refused";
	struct pin_host a;
	uint64_t obj;
	char text[1024];
	int n = 0;

	for (size_t i = 0; i + 10 <= obj_len; i++)
		if (!memcmp((char *)obj_bytes + i, "wbt_pinned", 10)) {
			memcpy((char *)obj_bytes + i, "../wbt_pin", 10);
			n++;
		}
	pin_host_new(&a);
	capture_begin();
	obj = load();
	capture_end(text, sizeof(text));
	bpf_host__free(a.h);
	if (!access(PIN_BASE "/wbt_pin", F_OK)) {
		fail(name, "pinned at " PIN_BASE "/wbt_pin");
		unlink(PIN_BASE "/wbt_pin");
	} else if (obj || !n || !strstr(text, "not a plain name")) {
		fail(name, "handle %llu, %d names patched: %.200s",
		     (unsigned long long)obj, n, text);
	} else {
		pass(name);
	}
}

static void test_pins(const char *path)
{
	struct bpf_host *saved_h = H;
	struct wasm_linker saved_l = L;
	struct statfs fs;

	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != 0xcafe4a11) {
		skip("pins", "no bpffs at /sys/fs/bpf");
		return;
	}
	if (!access(PIN_HOST, F_OK)) {
		skip("pins", PIN_HOST " exists already");
		return;
	}
	free(obj_bytes);
	if (read_file(path)) {
		fail("pins", "cannot read %s", path);
		return;
	}
	test_pin_leaves_nothing();
	test_pin_isolation();
	test_pin_sweep();
	test_pin_bad_name();
	unlink(PIN_HOST); /* made by a host that pins there */
	rmdir(PIN_BASE);  /* if a test failed and left it (empty) */
	H = saved_h;
	L = saved_l;
}

/* ---- driver ------------------------------------------------------------ */

static struct bpf_host *host_new_btf(bool force_perf, const char *btf)
{
	struct bpf_host_opts o = {.sz = sizeof(o)};
	struct bpf_host *h;

	o.btf_path = btf;
	o.force_perfbuf = force_perf;
	o.wasi =
	    (struct wasi_ctx *)1; /* the fake wasi_ctx__host_fd ignores it */
	o.verbose = getenv("BPF_TEST_VERBOSE") != NULL;
	o.lost_events = &lost_events; /* as the runtime does: outlives h */
	h = bpf_host__new(&o);
	memset(&L, 0, sizeof(L));
	if (!h || bpf_host__define(h, &L)) {
		fprintf(stderr, "bpf_host__new failed\n");
		exit(1);
	}
	return h;
}

static struct bpf_host *host_new(bool force_perf)
{
	return host_new_btf(force_perf, NULL);
}

/* btf_path reaches libbpf: a missing file makes CO-RE fail the load. */
static void test_btf_path(const char *path)
{
	const char *name = "load: btf_path is libbpf's btf_custom_path";
	struct bpf_host *good = host_new_btf(false, "/sys/kernel/btf/vmlinux");
	uint64_t ok, bad;
	int saved = dup(2);

	free(obj_bytes);
	if (read_file(path)) {
		fail(name, "cannot read %s", path);
		return;
	}
	H = good;
	ok = load();
	bpf_host__free(good);
	H = host_new_btf(false, "/nonexistent/vmlinux");
	dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), 2);
	bad = load();
	dup2(saved, 2);
	close(saved);
	bpf_host__free(H);
	if (ok && !bad)
		pass(name);
	else
		fail(name, "with vmlinux %llu, with a missing file %llu",
		     (unsigned long long)ok, (unsigned long long)bad);
}

static int read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0)
		return -1;
	rewind(f);
	obj_bytes = malloc(n);
	obj_len = fread(obj_bytes, 1, n, f);
	fclose(f);
	return obj_len == (size_t)n ? 0 : -1;
}

/* A verifier rejection: handle 0 and exactly one line on stderr naming the
 * program (the verifier log only with verbose). */
static void test_load_failure(const char *path)
{
	char text[4096];
	uint64_t obj;
	int lines;

	free(obj_bytes);
	if (read_file(path)) {
		fail("load: verifier rejection is one line", "cannot read %s",
		     path);
		return;
	}
	capture_begin();
	obj = load();
	lines = capture_end(text, sizeof(text));
	if (obj == 0 && lines == 1 && strstr(text, "wbt_bad") &&
	    strstr(text, "Permission denied"))
		pass("load: verifier rejection is one line naming the program");
	else
		fail("load: verifier rejection is one line naming the program",
		     "handle %llu, %d lines: %.200s", (unsigned long long)obj,
		     lines, text);
}

/* Objects refused before libbpf sees them (size, guest range) say why in
 * one line, as libbpf's refusals do. */
static void test_load_refusals(void)
{
	static const struct {
		const char *what, *why;
		uint32_t ptr, len;
	} cases[] = {
	    {"zero length", "empty object", 0, 0},
	    {"over the size limit", "over the limit", 0, 0xffffffffu},
	    {"range past memory", "outside guest memory", MEM_SIZE - 16, 64},
	};
	char name[128], text[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t obj;
		int lines;

		snprintf(name, sizeof(name),
			 "load: refused object (%s) is one line saying why",
			 cases[i].what);
		capture_begin();
		obj = (uint64_t)call("wasm_load_bpf_object", 2, A(cases[i].ptr),
				     A(cases[i].len));
		lines = capture_end(text, sizeof(text));
		if (obj == 0 && lines == 1 &&
		    strstr(text, "loading BPF object failed") &&
		    strstr(text, cases[i].why))
			pass(name);
		else
			fail(name, "handle %llu, %d lines: %.200s",
			     (unsigned long long)obj, lines, text);
	}
}

/* kind-KIND.bpf.o: auto-attach program wbt_kind, make it run, check its
 * counter. A kind the kernel cannot load or attach is a SKIP. */
static void test_kind(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char name[128], kind[32] = "";
	uint64_t obj, hits;
	uint32_t k = galloc(4), v = galloc(8);
	int r, fd;

	sscanf(base, "kind-%31[^.]", kind);
	snprintf(name, sizeof(name), "attach: %s %s", kind,
		 strcmp(kind, "usdt") ? "by section"
				      : "by binary:provider:name");
	free(obj_bytes);
	if (read_file(path)) {
		fail(name, "cannot read %s", path);
		return;
	}
	obj = load();
	if (!obj) {
		skip(name,
		     "the kernel refuses to load this kind (see native.err)");
		return;
	}
	if (!strcmp(kind, "usdt")) {
		char exe[PATH_MAX], target[PATH_MAX + 16];

		if (!realpath("/proc/self/exe", exe))
			exe[0] = 0;
		snprintf(target, sizeof(target), "%s:wbt:probe", exe);
		r = attach(obj, "wbt_kind", target);
	} else {
		r = attach(obj, "wbt_kind", NULL);
	}
	for (int i = 0; i < 3; i++) {
		wasm_bpf_test_usdt();
		getppid();
		close(open("/proc/self/stat", O_RDONLY));
	}
	memset(gptr(k), 0, 4);
	fd = map_fd(obj, "hits");
	hits = map_op(fd, 1, k, v, 0, 0) ? 0 : *(uint64_t *)gptr(v);
	if (r == -EOPNOTSUPP)
		skip(name, "the kernel cannot attach this kind");
	else if (r)
		fail(name, "attach %d", r);
	else if (!hits && strcmp(kind, "iter"))
		fail(name, "attached but never ran");
	else
		pass(name);
	call("wasm_close_bpf_object", 1, obj);
}

static void run_fallback(void)
{
	struct bpf_host *h = host_new(true);
	uint64_t obj;

	H = h;
	obj = load();
	if (!obj || attach(obj, "wbt_getpgid", NULL)) {
		fail("buffer: forced perf buffer fallback", "load/attach");
	} else {
		/* 16 bytes written arrive as 20: perf pads to 8 with its u32
		 * size header. */
		test_buffer(
		    "buffer: forced perf buffer fallback (output and reserve)",
		    obj, "rb", 20);
	}
	bpf_host__free(h);
}

int main(int argc, char **argv)
{
	struct wasm_func wrong_type;
	uint64_t obj, other;
	int other_fd, r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3 || read_file(argv[1])) {
		fprintf(stderr, "usage: native OBJECT.bpf.o BAD.bpf.o\n");
		return 2;
	}
	I = fake_instance_new(MEM_SIZE);
	fake_func_init(&cb_func, on_record, &sink);
	fake_func_init(&wrong_type, on_record, &sink);
	wrong_type.nparams = 2;
	I->table[0] = &cb_func;
	I->table[1] = &wrong_type;

	H = host_new(false);
	obj = load();
	if (!obj) {
		fail("load: BPF object", "load failed");
		return 1;
	}
	pass("load: BPF object");
	r = attach(obj, "wbt_getpgid", NULL);
	if (r)
		fail("attach: tracepoint by section", "%d", r);
	else
		pass("attach: tracepoint by section");
	test_buffer("buffer: ring buffer (output and reserve)", obj, "rb", 16);
	/* A perf buffer only receives once a reader exists: the first poll. */
	memset(&sink, 0, sizeof(sink));
	poll_map(obj, map_fd(obj, "pb"), 256, 0);
	trigger(MAGIC_OUTPUT, 5);
	trigger(MAGIC_RESERVE, 2);
	r = poll_until(obj, map_fd(obj, "pb"), 7);
	if (r == 7 && sink.size[0] == 20)
		pass("buffer: perf buffer map");
	else
		fail("buffer: perf buffer map", "%d records, size %u", r,
		     sink.size[0]);
	test_lost(obj);
	test_poll_endings(obj);
	test_copy_record();
	test_reentry(obj);
	test_interrupt(obj);
	test_cancel(obj);
	test_go_poll(obj);
	test_maps(obj);
	test_uprobe(obj);
	test_kprobe(obj);
	test_socket(obj);
	test_cgroup(obj);
	test_net(obj);

	/* A second host's map must be out of reach of the first. */
	{
		struct bpf_host *h1 = H, *h2;
		struct wasm_linker l1 = L;

		h2 = H = host_new(false);
		other = load();
		other_fd = map_fd(other, "hash_map");
		L = l1;
		H = h1;
		test_hostile(obj, other_fd);
		bpf_host__free(h2);
	}
	test_tp_target();
	test_loose_targets();
	test_cgroup_path();
	r = (int)call("wasm_close_bpf_object", 1, obj);
	if (r == 0 && call("wasm_close_bpf_object", 1, obj) == -EBADF &&
	    bpf_host__object_count(H) == 0)
		pass("close: object closed once, then unknown");
	else
		fail("close: object closed once, then unknown", "%d", r);
	/* Left open on purpose: bpf_host__free must clean it up. */
	obj = load();
	attach(obj, "wbt_getpgid", NULL);
	attach(obj, "wbt_kprobe", NULL);
	bpf_host__free(H);
	run_fallback();
	if (!getenv("BPF_TEST_VERBOSE")) {
		H = host_new(false);
		test_load_failure(argv[2]);
		test_load_refusals();
		bpf_host__free(H);
	}
	test_btf_path(argv[1]);
	H = host_new(false);
	for (int i = 3; i < argc; i++)
		if (strstr(argv[i], "fdmaps"))
			test_fdmaps(argv[i]);
		else if (strstr(argv[i], "pin.bpf"))
			test_pins(argv[i]);
		else
			test_kind(argv[i]);
	bpf_host__free(H);
	fake_instance_free(I);
	free(obj_bytes);
	return failures ? 1 : 0;
}
