/* roundtrip.c — the guest of the gen types round trip: sets .rodata,
 * .data and .bss before load, triggers the BPF program with fsync() on a
 * file in the preopened directory argv[1], and checks every field of the
 * record the kernel wrote (ring buffer and map), read in place through
 * the wasm32 layout `wasm-bpf gen types` produced. Prints ok:/FAIL: lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "roundtrip.skel.h"
#include "roundtrip.types.h"

static int failures, records;

static void expect(int cond, const char *what)
{
	printf("%s: %s\n", cond ? "ok" : "FAIL", what);
	failures += !cond;
}

static void check(const struct rt_shared *e, const char *via)
{
	char what[96];

#define CHECK(cond)                                                            \
	do {                                                                   \
		snprintf(what, sizeof(what), "%s: %s", via, #cond);            \
		expect(cond, what);                                            \
	} while (0)
	CHECK(e->c == -5);
	CHECK(e->ptr == 0x1122334455667788ULL);
	CHECK(e->l == -1234567890123LL);
	CHECK(e->ul == 0xfedcba9876543210ULL);
	CHECK(e->arr[0] == 1 && e->arr[1] == -2 && e->arr[2] == 3);
	CHECK(e->nest.s == -300 && e->nest.ll == 0x0102030405060708LL);
	CHECK(!strcmp(e->nest.name, "wasm"));
	CHECK(e->nests[0].s == 0 && e->nests[1].s == 42 &&
	      e->nests[1].ll == -42);
	CHECK(e->un.q == 0xaabbccdd00112233ULL && e->un.w == 0x00112233);
	CHECK(e->bits.a == 5 && e->bits.b == 17);
	CHECK(e->bits.c == 0xabcde && e->bits.d == 0xfedcba9876ULL);
	CHECK(e->kind == RT_WIDE);
	CHECK(e->str == 0x8877665544332211ULL);
	CHECK(e->flag == 1 && e->pid > 0);
	CHECK(e->magic == 0x5eed5eed5eedLL);
	CHECK(e->data_in == 77 && e->bss_in == 88);
#undef CHECK
}

static int on_record(void *ctx, void *data, size_t size)
{
	if (size != sizeof(struct rt_shared)) {
		expect(0,
		       "ring buffer record size is sizeof(struct rt_shared)");
		return 0;
	}
	if (!records++)
		check(data, "ring buffer");
	return 0;
}

int main(int argc, char **argv)
{
	struct roundtrip_bpf *s = roundtrip_bpf__open();
	struct bpf_buffer *b;
	struct rt_shared last;
	char path[256];
	uint32_t zero = 0;
	int fd;

	if (!s || argc < 2)
		return 1;
	s->rodata->magic = 0x5eed5eed5eedLL;
	s->data->data_in = 77;
	s->bss->bss_in = 88;
	if (roundtrip_bpf__load(s) || roundtrip_bpf__attach(s)) {
		printf("FAIL: load/attach: %s\n", strerror(errno));
		return 1;
	}
	b = bpf_buffer__open(s->maps.rt_events, on_record, NULL);
	snprintf(path, sizeof(path), "%s/fsync-me", argv[1]);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (!b || fd < 0 || write(fd, "x", 1) != 1 || fsync(fd)) {
		printf("FAIL: trigger: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	for (int i = 0; i < 30 && !records; i++)
		bpf_buffer__poll(b, 100);
	expect(records > 0, "a record arrived through the ring buffer");
	expect(!bpf_map__lookup_elem(s->maps.rt_last, &zero, 4, &last,
				     sizeof(last), 0),
	       "map value lookup with the generated struct's size");
	check(&last, "map");
	expect(!bpf_map__pull_data(s->maps.bss) && s->bss->hits >= 1,
	       ".bss counter read after load");
	bpf_buffer__free(b);
	roundtrip_bpf__destroy(s);
	return failures != 0;
}
