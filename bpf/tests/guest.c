/* guest.c — the suite's guest: a WASI command using the raw `wasm_bpf`
 * imports on the embedded test object (test_bpf_obj.h, generated at build
 * time). argv[1] picks the scenario; scenarios that need an outside event
 * print "attached" and wait for the suite to trigger it. Exit 0 means the
 * scenario's checks held.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "pin_bpf_obj.h"
#include "test_bpf_obj.h"

#include "counters.h"
#include "guest_check.h"
#include "wasm_bpf_imports.h"

struct event {
	uint32_t seq, magic;
	uint64_t payload;
};

static uint64_t obj;
static struct event got[64];
static uint32_t sizes[64];
static int ngot;

static void load(void)
{
	obj = wasm_load_bpf_object((void *)test_bpf_obj, sizeof(test_bpf_obj));
	if (!obj) {
		fprintf(stderr, "guest: load failed\n");
		exit(3);
	}
}

static void attached(void)
{
	printf("attached\n");
	fflush(stdout);
}

static int record(void *ctx, void *data, unsigned size)
{
	if (ngot < 64) {
		memcpy(&got[ngot], data,
		       size < sizeof(got[0]) ? size : sizeof(got[0]));
		sizes[ngot] = size;
	}
	ngot++;
	return 0;
}

__attribute__((export_name("go-callback"))) int
go_callback(void *ctx, void *data, unsigned size)
{
	return record(ctx, data, size);
}

/* TinyGo's import: the ring buffer records reach the export. */
static int scenario_go(void)
{
	static char buf[256];
	int fd;

	load();
	CHECK(wasm_attach_bpf_program(obj, "wbt_getpgid", NULL) == 0, "attach");
	fd = wasm_bpf_map_fd_by_name(obj, "rb");
	attached();
	for (int i = 0; i < 100 && ngot < 7; i++)
		CHECK(wasm_bpf_buffer_poll_go(obj, fd, NULL, buf, sizeof(buf),
					      100) >= 0,
		      "poll");
	CHECK(ngot == 7, "%d records", ngot);
	for (int i = 1; i < ngot && i < 7; i++)
		CHECK(got[i].seq == got[i - 1].seq + 1, "record %d seq", i);
	return failures != 0;
}

static int trap_cb(void *ctx, void *data, unsigned size)
{
	__builtin_trap();
}

static int exit_cb(void *ctx, void *data, unsigned size)
{
	_Exit(7);
}

static uint64_t counter(uint32_t idx)
{
	uint64_t v = ~0ull;

	wasm_bpf_map_operate(wasm_bpf_map_fd_by_name(obj, "counters"), 1, &idx,
			     &v, NULL, 0);
	return v;
}

/* Polls `map` until `want` records came or 10 s passed. */
static void collect(const char *map, int want,
		    int (*cb)(void *, void *, unsigned))
{
	static char buf[256];
	int fd = wasm_bpf_map_fd_by_name(obj, map);

	for (int i = 0; i < 100 && ngot < want; i++) {
		int r = wasm_bpf_buffer_poll(obj, fd, (int32_t)(intptr_t)cb,
					     NULL, buf, sizeof(buf), 100);
		CHECK(r >= 0, "poll returned %d", r);
		if (r < 0)
			return;
	}
}

static int scenario_buffer(const char *map, unsigned rsize)
{
	int r;

	load();
	CHECK(wasm_attach_bpf_program(obj, "wbt_getpgid", NULL) == 0, "attach");
	/* a perf event array only receives once it has a reader */
	r = wasm_bpf_buffer_poll(obj, wasm_bpf_map_fd_by_name(obj, map),
				 (int32_t)(intptr_t)record, NULL, got, 16, 0);
	CHECK(r == 0, "first poll returned %d", r);
	attached();
	collect(map, 7, record);
	CHECK(ngot == 7, "%d records (the program ran %llu times)", ngot,
	      (unsigned long long)counter(C_SEQ));
	for (int i = 0; i < ngot && i < 7; i++) {
		CHECK(got[i].magic == (i < 5 ? MAGIC_OUTPUT : MAGIC_RESERVE),
		      "record %d magic %x", i, got[i].magic);
		CHECK(sizes[i] == rsize, "record %d size %u", i, sizes[i]);
		CHECK(!i || got[i].seq == got[i - 1].seq + 1, "record %d seq",
		      i);
	}
	CHECK(wasm_close_bpf_object(obj) == 0, "close");
	return failures != 0;
}

static int map_round(const char *name, unsigned vsize, int delete_err)
{
	int fd = wasm_bpf_map_fd_by_name(obj, name);
	uint32_t key = 3, next = 99;
	char *v = calloc(1, vsize), *out = calloc(1, vsize);

	for (unsigned i = 0; i < vsize; i++)
		v[i] = (char)(i * 5 + 1);
	if (!strcmp(name, "percpu_array"))
		for (unsigned i = 4; i < vsize; i += 8)
			memset(v + i, 0, 4);
	CHECK(fd >= 0, "%s fd", name);
	CHECK(wasm_bpf_map_operate(fd, 2, &key, v, NULL, 0) == 0, "%s update",
	      name);
	CHECK(wasm_bpf_map_operate(fd, 1, &key, out, NULL, 0) == 0, "%s lookup",
	      name);
	CHECK(!memcmp(v, out, vsize), "%s value", name);
	CHECK(wasm_bpf_map_operate(fd, 4, NULL, NULL, &next, 0) == 0,
	      "%s next key", name);
	CHECK(next == (strstr(name, "array") ? 0 : 3), "%s first key %u", name,
	      next);
	CHECK(wasm_bpf_map_operate(fd, 3, &key, NULL, NULL, 0) == delete_err,
	      "%s delete", name);
	free(v);
	free(out);
	return 0;
}

static int scenario_maps(int ncpus)
{
	load();
	map_round("array_map", 16, -22);
	map_round("hash_map", 8, 0);
	map_round("percpu_array", 8 * ncpus, -22);
	map_round("percpu_hash", 8 * ncpus, 0);
	map_round("lru_hash", 8, 0);
	return failures != 0;
}

/* Waits up to 10 s for counter `idx` to move. */
static int wait_counter(int idx)
{
	for (int i = 0; i < 100; i++) {
		if (counter(idx) > 0)
			return 0;
		usleep(100000);
	}
	fprintf(stderr, "guest: counter %d did not move\n", idx);
	return 1;
}

static int scenario_attach(const char *prog, const char *target, int idx)
{
	int r;

	load();
	r = wasm_attach_bpf_program(obj, prog, target);
	if (r) {
		fprintf(stderr, "guest: attach %s to %s: %d\n", prog, target,
			r);
		return 1;
	}
	attached();
	return wait_counter(idx);
}

static int scenario_cgroup(int fd)
{
	int r;

	load();
	r = wasm_attach_bpf_program_fd(obj, "wbt_cgsock", fd);
	if (r) {
		fprintf(stderr, "guest: attach to cgroup fd %d: %d\n", fd, r);
		return 1;
	}
	attached();
	return wait_counter(C_CGROUP);
}

/* Polls until the run ends it; with `until_eintr`, as libbpf tools do,
 * until the poll returns -EINTR (a graceful stop; the raw import gives
 * Linux's -4, not wasi-libc's EINTR), then returns 0. */
static int scenario_end(int (*cb)(void *, void *, unsigned), int timeout,
			bool until_eintr)
{
	static char buf[64];
	int r;

	load();
	wasm_attach_bpf_program(obj, "wbt_getpgid", NULL);
	attached();
	for (;;) {
		r = wasm_bpf_buffer_poll(
		    obj, wasm_bpf_map_fd_by_name(obj, "rb"),
		    (int32_t)(intptr_t)cb, NULL, buf, sizeof(buf), timeout);
		if (r == -4 && until_eintr)
			return 0;
	}
}

static int64_t elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* With nothing to read, a poll returns 0 after its timeout: at once for 0,
 * after one short wait, and after several of the host's slices. */
static int scenario_timeouts(void)
{
	static const int timeouts[] = {0, 30, 130};
	static char buf[64];
	struct timespec t0;

	load();
	for (unsigned i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		int want = timeouts[i], r;
		int64_t ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		r = wasm_bpf_buffer_poll(obj, wasm_bpf_map_fd_by_name(obj, "rb"),
					 (int32_t)(intptr_t)record, NULL, buf,
					 sizeof(buf), want);
		ms = elapsed_ms(&t0);
		CHECK(r == 0, "poll(%d ms) returned %d", want, r);
		CHECK(ms >= want - 2 && ms < want + 500,
		      "poll(%d ms) took %lld ms", want, (long long)ms);
	}
	return failures != 0;
}

#ifdef WBT_LOST
/* Built into guest-lost.wasm only: wasm_bpf_buffer_lost is wasm-bpf's
 * own import, and guest.wasm keeps to upstream's.
 *
 * Bursts of 256 records overflow flood_pb (trigger flood 4): the records
 * that fit come through, the host counts the rest, and tells this guest
 * how many (the kernel reports a burst's losses with the next burst). */
static int scenario_lost(void)
{
	static char buf[64];
	int fd, r, received = 0;
	int64_t lost = 0;
	struct timespec t0;

	load();
	CHECK(wasm_attach_bpf_program(obj, "wbt_flood", NULL) == 0, "attach");
	fd = wasm_bpf_map_fd_by_name(obj, "flood_pb");
	attached();
	/* a poll returns as soon as it delivered records: count time */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (lost == 0 && elapsed_ms(&t0) < 10000) {
		r = wasm_bpf_buffer_poll(obj, fd, (int32_t)(intptr_t)record,
					 NULL, buf, sizeof(buf), 100);
		CHECK(r >= 0, "poll returned %d", r);
		received += r > 0 ? r : 0;
		lost = wasm_bpf_buffer_lost(obj, fd);
	}
	printf("received %d lost %lld\n", received, (long long)lost);
	CHECK(lost > 0 && received + lost <= 4 * 256,
	      "received %d, lost %lld of %llu bursts", received,
	      (long long)lost, (unsigned long long)counter(C_FLOOD));
	CHECK(wasm_bpf_buffer_lost(obj, wasm_bpf_map_fd_by_name(obj, "rb")) ==
		  -95,
	      "ring buffer lost count is not -EOPNOTSUPP");
	return failures != 0;
}
#endif

/* pin.bpf.o's map is pinned by name: the instance's two objects share it,
 * a pin the suite planted in /sys/fs/bpf is not it, and another instance
 * running at the same time (with another value) does not change it. */
static int scenario_pin(uint64_t value)
{
	uint64_t o1, o2, v = 0;
	uint32_t key = 1;
	int fd1, fd2, r;

	o1 = wasm_load_bpf_object((void *)pin_bpf_obj, sizeof(pin_bpf_obj));
	o2 = wasm_load_bpf_object((void *)pin_bpf_obj, sizeof(pin_bpf_obj));
	if (!o1 || !o2) {
		fprintf(stderr, "guest: load failed\n");
		return 3;
	}
	fd1 = wasm_bpf_map_fd_by_name(o1, "wbt_pinned");
	fd2 = wasm_bpf_map_fd_by_name(o2, "wbt_pinned");
	r = wasm_bpf_map_operate(fd1, 1, &key, &v, NULL, 0);
	CHECK(r == -2, "lookup in a fresh pinned map: %d, value %llx", r,
	      (unsigned long long)v);
	CHECK(wasm_bpf_map_operate(fd1, 2, &key, &value, NULL, 0) == 0,
	      "update");
	attached();
	usleep(1500000); /* the other instance updates meanwhile */
	v = 0;
	r = wasm_bpf_map_operate(fd2, 1, &key, &v, NULL, 0);
	CHECK(r == 0 && v == value,
	      "lookup through the second object: %d, "
	      "value %llx",
	      r, (unsigned long long)v);
	return failures != 0;
}

int scenario_hostile(int ncpus);

int main(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : "";

	if (!strcmp(s, "ringbuf"))
		return scenario_buffer("rb", 16);
	if (!strcmp(s, "go"))
		return scenario_go();
	if (!strcmp(s, "perfbuf"))
		return scenario_buffer("pb", 20);
	if (!strcmp(s, "fallback"))
		return scenario_buffer("rb", 20);
	/* possible CPUs come from the suite: the guest cannot see /sys */
	if (!strcmp(s, "maps") && argc > 2)
		return scenario_maps(atoi(argv[2]));
	if (!strcmp(s, "xdp") && argc > 2)
		return scenario_attach("wbt_xdp", argv[2], C_XDP);
	if (!strcmp(s, "uprobe") && argc > 2)
		return scenario_attach("wbt_uprobe", argv[2], C_UPROBE);
	if (!strcmp(s, "cgroup"))
		return scenario_cgroup(3); /* the first preopen */
	if (!strcmp(s, "trap"))
		return scenario_end(trap_cb, 1000, false);
	if (!strcmp(s, "exit"))
		return scenario_end(exit_cb, 1000, false);
	if (!strcmp(s, "forever"))
		return scenario_end(record, -1, false);
	if (!strcmp(s, "until-eintr"))
		return scenario_end(record, -1, true);
	if (!strcmp(s, "timeouts"))
		return scenario_timeouts();
	if (!strcmp(s, "leave-open")) {
		load();
		wasm_attach_bpf_program(obj, "wbt_getpgid", NULL);
		return 0;
	}
#ifdef WBT_LOST
	if (!strcmp(s, "lost"))
		return scenario_lost();
#endif
	if (!strcmp(s, "pin") && argc > 2)
		return scenario_pin(strtoull(argv[2], NULL, 0));
	/* a pinned map, then the run ends by trap, proc_exit or a signal */
	if (!strcmp(s, "pin-end") && argc > 2) {
		if (!wasm_load_bpf_object((void *)pin_bpf_obj,
					  sizeof(pin_bpf_obj)))
			return 3;
		if (!strcmp(argv[2], "trap"))
			return scenario_end(trap_cb, 1000, false);
		if (!strcmp(argv[2], "exit"))
			return scenario_end(exit_cb, 1000, false);
		return scenario_end(record, -1, true);
	}
	if (!strcmp(s, "hostile") && argc > 2)
		return scenario_hostile(atoi(argv[2]));
	fprintf(stderr, "guest: unknown scenario '%s'\n", s);
	return 2;
}
