/* api_compat.c — the API surface upstream wasm-bpf example programs use,
 * written here afresh: one include of libbpf-wasm.h brings the libc
 * functions they call without their own includes (strcmp, strtol, errno
 * constants, printf), the skeleton functions, bpf_buffer, attach targets,
 * autoload, the bpf_map_* fd calls with BPF_ANY, libbpf's ring_buffer
 * and perf_buffer. Compiled and linked for wasm32; never run. */
#include "libbpf-wasm.h"
#include "many.skel.h"

static int on_sample(void *ctx, void *data, size_t size)
{
	return 0;
}

static void on_perf(void *ctx, int cpu, void *data, uint32_t size)
{
}

int main(int argc, char **argv)
{
	struct many_bpf *skel = many_bpf__open();
	long ms = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	uint32_t key = -2, next;
	uint64_t value = 0;
	struct bpf_buffer *b;
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	char msg[64];
	int fd, err;

	if (!skel || (argc > 1 && !strcmp(argv[1], "-h")))
		return 0;
	skel->rodata->ro_long = ms * 1000000ULL;
	bpf_program__set_autoload(skel->progs.prog_xdp, false);
	bpf_set_prog_attach_target(skel->progs.prog_xdp, "lo");
	err = many_bpf__load(skel);
	if (!err)
		err = many_bpf__attach(skel);
	fd = bpf_map__fd(skel->maps.array_map);
	while (!bpf_map_get_next_key(fd, &key, &next)) {
		bpf_map_lookup_elem(fd, &next, &value);
		bpf_map_update_elem(fd, &next, &value, BPF_ANY);
		bpf_map_delete_elem(fd, &next);
		key = next;
	}
	b = bpf_buffer__open(skel->maps.ring, on_sample, NULL);
	err = bpf_buffer__poll(b, 100);
	if (err == -EINTR)
		err = 0;
	bpf_buffer__free(b);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.ring), on_sample, NULL,
			      NULL);
	ring_buffer__poll(rb, 10);
	ring_buffer__free(rb);
	pb = perf_buffer__new(bpf_map__fd(skel->maps.perf), 8, on_perf, NULL,
			      NULL, NULL);
	perf_buffer__poll(pb, 10);
	perf_buffer__free(pb);
	libbpf_strerror(err, msg, sizeof(msg));
	printf("%s\n", msg);
	many_bpf__destroy(skel);
	return err < 0 ? -err : 0;
}
