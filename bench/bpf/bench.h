/* bench/bpf/bench.h — what bench.bpf.c and its consumer (bpfbench.c)
 * share: the producer's magic getpgid() arguments, the record and the
 * slots of the stats map. */
#ifndef BENCH_BPF_H
#define BENCH_BPF_H

/* getpgid(MAGIC_RB) writes a ring-buffer record, getpgid(MAGIC_PB) a
 * perf-buffer one; no process has such an id, so the syscall fails fast
 * and no other test's magic numbers collide. */
#define BENCH_MAGIC_RB 0x6bec0001
#define BENCH_MAGIC_PB 0x6bec0002

#define BENCH_MAP_ENTRIES 1024

enum { ST_SEQ, ST_RB_DROPS, ST_PB_DROPS, ST_MAX };

struct bench_rec {
	__u64 seq;
	__u64 ts;
	__u64 payload[6];
};

#endif
