/* lazy.c — the same BPF object as roundtrip.c driven without a skeleton:
 * bpf_object__open_mem() on its bytes, .rodata set through
 * bpf_map__initial_value(), programs and maps found by name, libbpf's
 * ring_buffer API. Triggers the program with fsync() on a file in the
 * preopened directory argv[1]. Prints ok:/FAIL: lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "roundtrip.skel.h"
#include "roundtrip.types.h"

static int failures, records;
static long long seen_magic;

static void expect(int cond, const char *what)
{
	printf("%s: %s\n", cond ? "ok" : "FAIL", what);
	failures += !cond;
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct rt_shared *e = data;

	if (size == sizeof(*e) && !records++)
		seen_magic = e->magic;
	return 0;
}

static int trigger(const char *dir)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/lazy-fsync", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "y", 1) != 1 || fsync(fd))
		return -1;
	return close(fd);
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct ring_buffer *rb;
	struct bpf_link *link;
	struct bpf_map *ro;
	size_t sz, ro_sz = 0;
	const void *elf = roundtrip_bpf__elf_bytes(&sz);
	long long *magic;

	if (argc < 2)
		return 1;
	obj = bpf_object__open_mem(elf, sz, NULL);
	expect(obj != NULL, "bpf_object__open_mem");
	if (!obj)
		return 1;
	ro = bpf_object__find_map_by_name(obj, ".rodata");
	magic = bpf_map__initial_value(ro, &ro_sz);
	expect(magic && ro_sz >= sizeof(*magic) && *magic == 1,
	       ".rodata initial value from the ELF");
	if (magic)
		*magic = 4242; /* the only .rodata variable: offset 0 */
	expect(!bpf_object__load(obj), "bpf_object__load");
	link = bpf_program__attach(
	    bpf_object__find_program_by_name(obj, "on_fsync"));
	expect(link != NULL, "bpf_program__attach by section name");
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "rt_events"),
			      on_record, NULL, NULL);
	expect(rb != NULL, "ring_buffer__new on a map fd");
	expect(!bpf_object__find_program_by_name(obj, "no_such_prog") ||
		   !bpf_program__attach(
		       bpf_object__find_program_by_name(obj, "no_such_prog")),
	       "unknown program does not attach");
	if (!rb || trigger(argv[1]))
		return 1;
	for (int i = 0; i < 30 && !records; i++)
		ring_buffer__poll(rb, 100);
	expect(records > 0 && seen_magic == 4242,
	       "record through ring_buffer__poll carries the patched .rodata");
	ring_buffer__free(rb);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return failures != 0;
}
