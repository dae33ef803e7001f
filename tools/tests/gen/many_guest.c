/* many_guest.c — runs the skeleton of many.bpf.o in the kernel: data
 * sections set before load (.rodata*, .data* patched into the ELF, .bss
 * written after load), read back after load, the programs a skeleton
 * attaches by itself, map size checks and operations. The test makes
 * getpid() calls; prog_tp sums every data section value into array_map.
 * Prints "ok: ..." lines and "SUM n" or "FAIL ..." lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "many.skel.h"

static int failures;

static void expect(int cond, const char *what)
{
	printf("%s: %s\n", cond ? "ok" : "FAIL", what);
	failures += !cond;
}

static void set_data(struct many_bpf *s)
{
	s->rodata->ro_int = 100;
	s->rodata->ro_long = 200;
	s->rodata->ro_str[0] = 'A';
	s->data->data_int = 300;
	s->data->data_arr[1] = 400;
	s->bss->bss_int = 500;
	s->data_custom->custom_data = 600;
	s->rodata_custom->custom_ro = 700;
}

static void check_data(struct many_bpf *s)
{
	expect(!bpf_map__pull_data(s->maps.data) && s->data->data_int == 300 &&
		   s->data->data_arr[0] == 5,
	       ".data patched before load, read after");
	expect(!bpf_map__pull_data(s->maps.bss) && s->bss->bss_int == 500,
	       ".bss written after load, read back");
	expect(!bpf_map__pull_data(s->maps.data_custom) &&
		   s->data_custom->custom_data == 600,
	       ".data.custom patched and read");
	expect(!bpf_map__pull_data(s->maps.rodata) && s->rodata->ro_long == 200,
	       ".rodata readable after load");
	expect(bpf_map__push_data(s->maps.rodata) < 0,
	       ".rodata frozen after load");
	s->bss->bss_int = 500;
	expect(!bpf_map__push_data(s->maps.bss), ".bss writable after load");
}

static void check_maps(struct many_bpf *s)
{
	uint32_t k = 1, next, n = 0;
	uint64_t v = 0;
	struct pair p = {.a = -7, .p = 0x1122334455667788ULL}, q;

	expect(bpf_map__lookup_elem(s->maps.array_map, &k, 8, &v, 8, 0) ==
		   -EINVAL,
	       "wrong key size refused");
	expect(bpf_map__lookup_elem(s->maps.array_map, &k, 4, &v, 4, 0) ==
		   -EINVAL,
	       "wrong value size refused");
	expect(!bpf_map__update_elem(s->maps.hash_map, &k, 4, &p, sizeof(p), 0),
	       "hash update");
	expect(
	    !bpf_map__lookup_elem(s->maps.hash_map, &k, 4, &q, sizeof(q), 0) &&
		q.a == -7 && q.p == 0x1122334455667788ULL,
	    "hash lookup of a 64-bit layout struct");
	expect(bpf_map__update_elem(s->maps.hash_map, &k, 4, &p, sizeof(p),
				    BPF_NOEXIST) == -EEXIST,
	       "BPF_NOEXIST gives -EEXIST (errno translated)");
	while (!bpf_map_get_next_key(bpf_map__fd(s->maps.array_map),
				     n ? &k : NULL, &next)) {
		k = next;
		n++;
	}
	expect(n == 4, "get_next_key walks the 4 array slots");
	k = 9;
	expect(bpf_map__delete_elem(s->maps.hash_map, &k, 4, 0) == -ENOENT,
	       "delete of a missing key gives -ENOENT");
}

int main(void)
{
	const uint64_t want =
	    100 + 200 + 300 + 500 + 600 + 700 + 10 + 400 + 'A';
	struct many_bpf *s = many_bpf__open();
	uint32_t k = 0;
	uint64_t v = 0;

	if (!s) {
		printf("FAIL open\n");
		return 1;
	}
	set_data(s);
	bpf_program__set_autoload(s->progs.prog_raw, false);
	if (many_bpf__load(s) || many_bpf__attach(s)) {
		printf("FAIL load/attach: %s\n", strerror(errno));
		return 1;
	}
	expect(s->links.prog_tp != NULL, "tracepoint attached by the skeleton");
	/* asked directly, the host says it never loaded the program */
	expect(
	    !s->links.prog_raw &&
		wasm_attach_bpf_program(s->obj->handle, "prog_raw", NULL) ==
		    -2 /* Linux ENOENT */,
	    "autoload=false: raw_tp neither loaded by the host nor attached");
	expect(!s->links.prog_xdp && !s->links.prog_socket,
	       "xdp and socket left for explicit attach");
	check_data(s);
	check_maps(s);
	printf("READY\n");
	fflush(stdout);
	for (int i = 0; i < 100 && v != want; i++) {
		usleep(100000);
		bpf_map__lookup_elem(s->maps.array_map, &k, 4, &v, 8, 0);
	}
	printf("SUM %llu (want %llu)\n", (unsigned long long)v,
	       (unsigned long long)want);
	many_bpf__destroy(s);
	return failures || v != want;
}
