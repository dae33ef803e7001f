/* loose.c — an upstream-style guest that hands its programs targets only
 * upstream's runtime understands (it ignores them and attaches by
 * section): "sys_enter_execve" for a tracepoint, "sched/sched_process_exec"
 * for a raw tracepoint. loose SECONDS: prints "attached", then
 * "hits TP RAW" once both ran. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "loose.skel.h"
#include "libbpf-wasm.h"

static unsigned long long hits(struct loose_bpf *skel, uint32_t k)
{
	unsigned long long v = 0;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.hits), &k, &v);
	return v;
}

int main(int argc, char **argv)
{
	struct timespec tick = {0, 100 * 1000 * 1000};
	struct loose_bpf *skel = loose_bpf__open_and_load();
	int err, i, secs = argc > 1 ? atoi(argv[1]) : 10;

	if (!skel)
		return 1;
	bpf_set_prog_attach_target(skel->progs.wbc_on_execve,
				   "sys_enter_execve");
	bpf_set_prog_attach_target(skel->progs.wbc_on_exec,
				   "sched/sched_process_exec");
	err = loose_bpf__attach(skel);
	if (err) {
		printf("failed: %d\n", err);
		loose_bpf__destroy(skel);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	for (i = 0; i < secs * 10 && !(hits(skel, 0) && hits(skel, 1)); i++)
		nanosleep(&tick, NULL);
	printf("hits %llu %llu\n", hits(skel, 0), hits(skel, 1));
	err = !(hits(skel, 0) && hits(skel, 1));
	loose_bpf__destroy(skel);
	return err;
}
