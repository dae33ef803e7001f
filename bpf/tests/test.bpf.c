/* test.bpf.c — the BPF object of the bpf/ suite: a tracepoint that writes
 * records to a ring buffer (through the SDK's bpf_buffer helpers) and to a
 * perf buffer, maps of every kind map_operate must size right, and one
 * program per attach kind the suite checks (XDP, tc, cgroup, socket filter,
 * uprobe, kprobe). Records are only written for the suite's magic argument
 * so other processes cannot disturb the counts.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "wasm-bpf/bpf_buffer.bpf.h"
#include "counters.h"

#define FLOOD_RECORDS 256
#define FLOOD_SIZE    1000

struct event {
	__u32 seq;
	__u32 magic;
	__u64 payload;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} pb SEC(".maps");

#include "counters.bpf.h"

struct big {
	__u64 a;
	__u32 b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct big);
} array_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32); /* 4 bytes: the kernel copies 8 per CPU */
} percpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} lru_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} prog_array SEC(".maps");

/* Keyed by a cgroup descriptor: the guest passes its WASI descriptor. */
struct {
	__uint(type, BPF_MAP_TYPE_CGRP_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} cg_storage SEC(".maps");

/* A burst of FLOOD_RECORDS records of FLOOD_SIZE bytes in one call: far
 * more than the host's perf buffer (16 pages per CPU) holds, so most are
 * lost and the host must count them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} flood_pb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[FLOOD_SIZE]);
} flood_buf SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wbt_getpgid(struct trace_event_raw_sys_enter *ctx)
{
	long magic = ctx->args[0];
	struct event e = {}, *r;

	if (magic != MAGIC_OUTPUT && magic != MAGIC_RESERVE)
		return 0;
	e.seq = bump(C_SEQ);
	e.magic = magic;
	e.payload = 0x1122334455667788ull;
	if (magic == MAGIC_RESERVE) {
		r = bpf_buffer__reserve(&rb, sizeof(*r));
		if (!r)
			return 0;
		*r = e;
		bpf_buffer__submit(&rb, ctx, r, sizeof(*r));
	} else {
		bpf_buffer__output(&rb, ctx, &e, sizeof(e));
	}
	bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wbt_flood(struct trace_event_raw_sys_enter *ctx)
{
	__u32 k = 0;
	void *buf;

	if (ctx->args[0] != MAGIC_FLOOD)
		return 0;
	bump(C_FLOOD);
	buf = bpf_map_lookup_elem(&flood_buf, &k);
	if (!buf)
		return 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < FLOOD_RECORDS; i++)
		bpf_perf_event_output(ctx, &flood_pb, BPF_F_CURRENT_CPU, buf,
				      FLOOD_SIZE);
	return 0;
}

SEC("xdp")
int wbt_xdp(struct xdp_md *ctx)
{
	bump(C_XDP);
	return XDP_PASS;
}

SEC("tc")
int wbt_tc(struct __sk_buff *skb)
{
	bump(C_TC);
	return 0; /* TC_ACT_OK */
}

SEC("cgroup/sock_create")
int wbt_cgsock(struct bpf_sock *sk)
{
	bump(C_CGROUP);
	return 1;
}

SEC("socket")
int wbt_sock(struct __sk_buff *skb)
{
	bump(C_SOCKET);
	return skb->len;
}

SEC("uprobe")
int wbt_uprobe(struct pt_regs *ctx)
{
	bump(C_UPROBE);
	return 0;
}

SEC("kprobe/__x64_sys_getppid")
int wbt_kprobe(struct pt_regs *ctx)
{
	bump(C_KPROBE);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
