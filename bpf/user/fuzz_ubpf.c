/* fuzz_ubpf.c — libFuzzer target for the userspace backend's verifier and
 * VM: the input is an instruction array (map references may name the five
 * maps below). The verifier must never crash on it; a program it accepts
 * is run, and must stay inside its context (a heap block of exactly the
 * context's size, so AddressSanitizer sees any overrun), its stack and its
 * map values. Rings are drained after each run so they never stay full.
 * Build: make fuzz; run: build-fuzz/fuzz_ubpf [corpus].
 */
#include <stdlib.h>
#include <string.h>
#include "bpf/user/ubpf.h"

#define CTX_SIZE 64

#define NMAPS 6
static struct ubpf_map *maps[NMAPS];
/* get_current_task's synthetic task, with every field it fills */
static const struct ubpf_task_layout task = {64, 16, 20, 24};

static int drop(void *ctx, void *data, size_t size)
{
	return 0;
}

static void setup(void)
{
	static const struct ubpf_map_def defs[] = {
	    {BPF_MAP_TYPE_ARRAY, 4, 16, 4, 0, "arr"},
	    {BPF_MAP_TYPE_HASH, 8, 8, 16, 0, "hash"},
	    {BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, "ring"},
	    {BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG, "ro"},
	    {BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1, 0, "perf"},
	    /* .rodata: the verifier reads its value (3) as a constant */
	    {BPF_MAP_TYPE_ARRAY, 4, 8, 1, BPF_F_RDONLY_PROG | BPF_F_RDONLY,
	     "frozen"},
	};
	size_t i;

	for (i = 0; i < NMAPS; i++)
		if (!(maps[i] = ubpf_map__new(&defs[i])))
			abort();
	memcpy(ubpf_map__data(maps[5]), &(uint64_t){3}, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ubpf_prog p = {.type = BPF_PROG_TYPE_KPROBE,
			      .ctx_size = CTX_SIZE,
			      .trace_fd = -1,
			      .maps = maps,
			      .map_cnt = NMAPS,
			      .task = &task};
	char log[UBPF_LOG_SIZE];
	size_t n = size / sizeof(struct bpf_insn);

	if (!maps[0])
		setup();
	if (!n || n > 4096)
		return 0;
	p.insns = malloc(n * sizeof(struct bpf_insn));
	memcpy(p.insns, data, n * sizeof(struct bpf_insn));
	p.insn_cnt = n;
	if (ubpf_prog__verify(&p, log, sizeof(log)) == 0) {
		uint8_t *ctx = malloc(CTX_SIZE);

		memset(ctx, 0x5a, CTX_SIZE);
		ubpf_prog__run(&p, ctx);
		free(ctx);
		ubpf_ring__consume(maps[2], drop, NULL);
		ubpf_ring__consume(maps[4], drop, NULL);
	}
	ubpf_prog__release(&p);
	return 0;
}
