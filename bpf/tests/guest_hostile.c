/* guest_hostile.c — the `hostile` scenario: every import called with every
 * class of bad argument (unknown handles, names, descriptors, commands;
 * NULL, out-of-range and unterminated pointers; overflowing lengths;
 * per-CPU values cut short; callbacks of the wrong type or missing). Each
 * call must return an error and the runtime must live on; one object is
 * left open on purpose for the runtime to clean up.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "test_bpf_obj.h"
#include "wasm_bpf_imports.h"

static int bad;

static void expect_neg(const char *what, long long r)
{
	if (r >= 0) {
		fprintf(stderr, "guest: %s returned %lld\n", what, r);
		bad++;
	}
}

static void expect_zero_handle(const char *what, uint64_t h)
{
	if (h) {
		fprintf(stderr, "guest: %s returned a handle\n", what);
		bad++;
	}
}

static int cb(void *ctx, void *data, unsigned size)
{
	return 0;
}

int scenario_hostile(int ncpus)
{
	uint32_t mem_end = (uint32_t)__builtin_wasm_memory_size(0) * 65536u;
	char *tail = (char *)(uintptr_t)(mem_end - 4);
	char *far = (char *)(uintptr_t)0xfffffff0u;
	static char garbage[64], buf[64], key[8];
	uint64_t obj, o2;
	int rb, hash, pa;

	memset(tail, 'x', 4); /* an unterminated string at the end */
	memset(garbage, 0x7f, sizeof(garbage));
	expect_zero_handle("load NULL", wasm_load_bpf_object(NULL, 0));
	expect_zero_handle("load far", wasm_load_bpf_object(far, 100));
	expect_zero_handle("load len -1",
			   wasm_load_bpf_object((void *)test_bpf_obj, -1));
	expect_zero_handle("load garbage", wasm_load_bpf_object(garbage, 64));
	expect_zero_handle("load truncated",
			   wasm_load_bpf_object((void *)test_bpf_obj, 100));

	obj = wasm_load_bpf_object((void *)test_bpf_obj, sizeof(test_bpf_obj));
	if (!obj) {
		fprintf(stderr, "guest: load failed\n");
		return 3;
	}
	rb = wasm_bpf_map_fd_by_name(obj, "rb");
	hash = wasm_bpf_map_fd_by_name(obj, "hash_map");
	pa = wasm_bpf_map_fd_by_name(obj, "percpu_array");

	expect_neg("attach bad handle",
		   wasm_attach_bpf_program(obj + 1000, "wbt_getpgid", NULL));
	expect_neg("attach handle 0",
		   wasm_attach_bpf_program(0, "wbt_getpgid", NULL));
	expect_neg("attach unknown prog",
		   wasm_attach_bpf_program(obj, "nope", NULL));
	expect_neg("attach NULL name",
		   wasm_attach_bpf_program(obj, NULL, NULL));
	expect_neg("attach far name", wasm_attach_bpf_program(obj, far, NULL));
	expect_neg("attach unterminated name",
		   wasm_attach_bpf_program(obj, tail, NULL));
	expect_neg("attach unterminated target",
		   wasm_attach_bpf_program(obj, "wbt_xdp", tail));
	expect_neg("attach far target",
		   wasm_attach_bpf_program(obj, "wbt_xdp", far));
	expect_neg("attach no such if",
		   wasm_attach_bpf_program(obj, "wbt_xdp", "nosuchif0"));
	expect_neg("attach relative uprobe",
		   wasm_attach_bpf_program(obj, "wbt_uprobe", "true:main"));
	/* Strings that are no target of the program's type (a traversal, an
	 * injected event line) are ignored and the program attached by its
	 * section: tests/native.c checks that. */
	expect_neg("attach uprobe dir",
		   wasm_attach_bpf_program(obj, "wbt_uprobe", "/tmp:main"));
	expect_neg("attach xdp by section",
		   wasm_attach_bpf_program(obj, "wbt_xdp", NULL));
	expect_neg("attach_fd not held",
		   wasm_attach_bpf_program_fd(obj, "wbt_cgsock", 99));
	expect_neg("attach_fd negative",
		   wasm_attach_bpf_program_fd(obj, "wbt_cgsock", -1));
	expect_neg("attach_fd stdout",
		   wasm_attach_bpf_program_fd(obj, "wbt_cgsock", 1));
	expect_neg("attach_fd wrong kind",
		   wasm_attach_bpf_program_fd(obj, "wbt_getpgid", 1));

	expect_neg("fd_by_name unknown", wasm_bpf_map_fd_by_name(obj, "nope"));
	expect_neg("fd_by_name bad handle",
		   wasm_bpf_map_fd_by_name(obj + 77, "rb"));
	expect_neg("fd_by_name far", wasm_bpf_map_fd_by_name(obj, far));
	expect_neg("fd_by_name unterminated",
		   wasm_bpf_map_fd_by_name(obj, tail));

	for (int fd = -1; fd < 3; fd++)
		expect_neg("map_operate std fd",
			   wasm_bpf_map_operate(fd, 1, key, buf, NULL, 0));
	expect_neg("map_operate fd 1000",
		   wasm_bpf_map_operate(1000, 1, key, buf, NULL, 0));
	expect_neg("map_operate cmd 0",
		   wasm_bpf_map_operate(hash, 0, key, buf, NULL, 0));
	expect_neg("map_operate cmd 5",
		   wasm_bpf_map_operate(hash, 5, key, buf, NULL, 0));
	expect_neg("map_operate cmd -1",
		   wasm_bpf_map_operate(hash, -1, key, buf, NULL, 0));
	expect_neg("map_operate far key",
		   wasm_bpf_map_operate(hash, 1, far, buf, NULL, 0));
	expect_neg("map_operate far value",
		   wasm_bpf_map_operate(hash, 2, key, far, NULL, 0));
	expect_neg("map_operate far next",
		   wasm_bpf_map_operate(hash, 4, key, NULL, far, 0));
	expect_neg("map_operate value at end",
		   wasm_bpf_map_operate(hash, 1, key, tail, NULL, 0));
	/* a per-CPU value is 8 bytes per CPU: one byte short of that */
	expect_neg("map_operate percpu short",
		   wasm_bpf_map_operate(pa, 1, key, tail + 4 - 8 * ncpus + 1,
					NULL, 0));
	expect_neg("map_operate bad flags",
		   wasm_bpf_map_operate(hash, 2, key, buf, NULL, ~0ull));
	/* a map's descriptor is no program */
	memset(key, 0, sizeof(key));
	memcpy(buf, &hash, sizeof(hash));
	expect_neg(
	    "map_operate prog array with a map fd",
	    wasm_bpf_map_operate(wasm_bpf_map_fd_by_name(obj, "prog_array"), 2,
				 key, buf, NULL, 0));

	expect_neg("poll bad handle",
		   wasm_bpf_buffer_poll(obj + 5, rb, (int32_t)(intptr_t)cb,
					NULL, buf, 64, 0));
	expect_neg("poll hash map",
		   wasm_bpf_buffer_poll(obj, hash, (int32_t)(intptr_t)cb, NULL,
					buf, 64, 0));
	expect_neg("poll fd 1",
		   wasm_bpf_buffer_poll(obj, 1, (int32_t)(intptr_t)cb, NULL,
					buf, 64, 0));
	expect_neg("poll func 0",
		   wasm_bpf_buffer_poll(obj, rb, 0, NULL, buf, 64, 0));
	expect_neg("poll func huge",
		   wasm_bpf_buffer_poll(obj, rb, 0x7fffffff, NULL, buf, 64, 0));
	expect_neg("poll func wrong type",
		   wasm_bpf_buffer_poll(obj, rb, (int32_t)(intptr_t)expect_neg,
					NULL, buf, 64, 0));
	/* the host remembers the last good callback: a bad one after it
	 * must still be refused */
	if (wasm_bpf_buffer_poll(obj, rb, (int32_t)(intptr_t)cb, NULL, buf, 64,
				 0) != 0) {
		fprintf(stderr, "guest: poll with a good callback failed\n");
		bad++;
	}
	expect_neg("poll func wrong type after a good one",
		   wasm_bpf_buffer_poll(obj, rb, (int32_t)(intptr_t)expect_neg,
					NULL, buf, 64, 0));
	expect_neg("poll far buf",
		   wasm_bpf_buffer_poll(obj, rb, (int32_t)(intptr_t)cb, NULL,
					far, 64, 0));
	expect_neg("poll len overflow",
		   wasm_bpf_buffer_poll(obj, rb, (int32_t)(intptr_t)cb, NULL,
					buf, -1, 0));
	expect_neg("poll len 0",
		   wasm_bpf_buffer_poll(obj, rb, (int32_t)(intptr_t)cb, NULL,
					buf, 0, 0));

	expect_neg("close bad handle", wasm_close_bpf_object(obj + 99));
	o2 = wasm_load_bpf_object((void *)test_bpf_obj, sizeof(test_bpf_obj));
	expect_neg("close twice",
		   (wasm_close_bpf_object(o2), wasm_close_bpf_object(o2)));
	expect_neg("use after close", wasm_bpf_map_fd_by_name(o2, "rb"));

	/* left open and attached: the runtime must clean it up */
	if (wasm_attach_bpf_program(obj, "wbt_getpgid", NULL))
		bad++;
	printf("hostile: %d bad results\n", bad);
	return bad != 0;
}
