// SPDX-License-Identifier: GPL-2.0
/* tcpconnlat.bpf.c — IPv4 TCP connect latency with fentry programs: the
 * time from tcp_v4_connect() to the SYN-ACK that moves the socket out of
 * SYN_SENT (tcp_rcv_state_process()). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "wasm-bpf/types.bpf.h"
#include "tcpconnlat.h"

char LICENSE[] SEC("license") = "GPL";

WASM_BPF_EXPORT_TYPE(event)

#define TCP_SYN_SENT 2

const volatile __u64 targ_min_us = 0;
const volatile pid_t targ_tgid = 0;

struct piddata {
	char comm[TASK_COMM_LEN];
	u64 ts;
	u32 tgid;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64); /* the socket's address */
	__type(value, struct piddata);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* The fields of struct sock read here (small BTF, see bootstrap.bpf.c). */
struct sock_common___x {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	volatile unsigned char skc_state;
} __attribute__((preserve_access_index));
struct sock___x {
	struct sock_common___x __sk_common;
} __attribute__((preserve_access_index));

SEC("fentry/tcp_v4_connect")
int fentry_tcp_v4_connect(u64 *ctx)
{
	u64 sk = ctx[0];
	u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct piddata p = {};

	if (targ_tgid && targ_tgid != tgid)
		return 0;
	bpf_get_current_comm(&p.comm, sizeof(p.comm));
	p.ts = bpf_ktime_get_ns();
	p.tgid = tgid;
	bpf_map_update_elem(&start, &sk, &p, BPF_ANY);
	return 0;
}

SEC("fentry/tcp_rcv_state_process")
int fentry_tcp_rcv_state_process(u64 *ctx)
{
	struct sock___x *sk = (void *)ctx[0];
	u64 key = ctx[0], now = bpf_ktime_get_ns(), delta;
	struct piddata *p;
	struct event *e;

	if (BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_SYN_SENT)
		return 0;
	p = bpf_map_lookup_elem(&start, &key);
	if (!p)
		return 0;
	delta = now > p->ts ? (now - p->ts) / 1000 : 0;
	if (delta < targ_min_us)
		goto out;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto out;
	__builtin_memcpy(e->comm, p->comm, sizeof(e->comm));
	e->delta_us = delta;
	e->ts_us = now / 1000;
	e->tgid = p->tgid;
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	e->saddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	e->daddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&start, &key);
	return 0;
}

SEC("fentry/tcp_v4_destroy_sock")
int fentry_tcp_v4_destroy_sock(u64 *ctx)
{
	u64 key = ctx[0];

	bpf_map_delete_elem(&start, &key);
	return 0;
}
