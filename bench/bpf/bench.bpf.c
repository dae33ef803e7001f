/* bench/bpf/bench.bpf.c — the BPF object of Part B: the three maps whose
 * operations are timed (array, hash, per-CPU array), and a tracepoint on
 * getpgid() that, for the producer's magic arguments only, writes one
 * 64-byte record to a ring buffer or a perf buffer and counts what it
 * could not write. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "bench.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BENCH_MAP_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BENCH_MAP_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BENCH_MAP_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024); /* ~116k records */
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pb SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void fill(struct bench_rec *r)
{
	__u32 slot = ST_SEQ;
	__u64 *seq = bpf_map_lookup_elem(&stats, &slot);

	r->seq = seq ? __sync_fetch_and_add(seq, 1) : 0;
	r->ts = bpf_ktime_get_ns();
	for (int i = 0; i < 6; i++)
		r->payload[i] = r->seq * (i + 1);
}

SEC("tp/syscalls/sys_enter_getpgid")
int bench_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	long magic = ctx->args[0];
	struct bench_rec *r, rec;

	if (magic == BENCH_MAGIC_RB) {
		r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
		if (!r) {
			count(ST_RB_DROPS);
			return 0;
		}
		fill(r);
		bpf_ringbuf_submit(r, 0);
	} else if (magic == BENCH_MAGIC_PB) {
		fill(&rec);
		if (bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &rec,
					  sizeof(rec)))
			count(ST_PB_DROPS);
	}
	return 0;
}
