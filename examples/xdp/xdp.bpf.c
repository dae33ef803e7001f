// SPDX-License-Identifier: GPL-2.0
/* xdp.bpf.c — counts the packets and bytes an interface receives, per IP
 * protocol, and lets them all pass. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

struct counter {
	__u64 packets;
	__u64 bytes;
};

/* key: IP protocol number (0 for non-IP frames) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct counter);
} counters SEC(".maps");

#define ETH_P_IP 0x0800

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct counter *c;
	__u32 key = 0;

	if ((void *)(ip + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP))
		key = ip->protocol;
	c = bpf_map_lookup_elem(&counters, &key);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, end - data);
	}
	return XDP_PASS;
}
