/* sockops.c — shaped like upstream wasm-bpf's sockops example: it includes
 * its directory's libbpf-wasm.h (upstream's SDK) before the skeleton and
 * names the cgroup by path: sockops CGROUP_PATH SECONDS. Prints
 * "attached", then "established N marker X" once a connection was seen. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "libbpf-wasm.h"
#include "sockops.skel.h"

int main(int argc, char **argv)
{
	struct timespec tick = {0, 100 * 1000 * 1000};
	uint32_t k0 = 0, k1 = 1;
	uint64_t n = 0, mark = 0;
	struct sockops_bpf *skel;
	int fd, err, i;

	if (argc != 3) {
		fprintf(stderr, "usage: sockops CGROUP_PATH SECONDS\n");
		return 2;
	}
	skel = sockops_bpf__open();
	if (!skel)
		return 1;
	skel->rodata->marker = 0x5eed;
	err = sockops_bpf__load(skel);
	if (!err) {
		bpf_set_prog_attach_target(skel->progs.wbc_count_established,
					   argv[1]);
		err = sockops_bpf__attach(skel);
	}
	if (err) {
		printf("failed: %d\n", err);
		goto out;
	}
	printf("attached\n");
	fflush(stdout);
	fd = bpf_map__fd(skel->maps.counts);
	for (i = 0; i < atoi(argv[2]) * 10 && !n; i++) {
		nanosleep(&tick, NULL);
		bpf_map_lookup_elem(fd, &k0, &n);
	}
	bpf_map_lookup_elem(fd, &k1, &mark);
	printf("established %llu marker %llx\n", (unsigned long long)n,
	       (unsigned long long)mark);
	err = n ? 0 : 1;
out:
	sockops_bpf__destroy(skel);
	return err ? 1 : 0;
}
