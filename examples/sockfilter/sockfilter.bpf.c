// SPDX-License-Identifier: GPL-2.0
/* sockfilter.bpf.c — a socket filter on a raw packet socket: reports each
 * IPv4 packet (addresses, protocol, ports) through a ring buffer. It
 * returns 0, so the socket itself receives nothing. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "wasm-bpf/types.bpf.h"
#include "sockfilter.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

WASM_BPF_EXPORT_TYPE(so_event)

#define ETH_P_IP  0x0800
#define ETH_HLEN  14
#define IP_MF	  0x2000
#define IP_OFFSET 0x1FFF

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

static __always_inline bool is_fragment(struct __sk_buff *skb, u32 nhoff)
{
	u16 frag_off;

	bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, frag_off),
			   &frag_off, 2);
	return bpf_ntohs(frag_off) & (IP_MF | IP_OFFSET);
}

SEC("socket")
int socket_handler(struct __sk_buff *skb)
{
	u32 nhoff = ETH_HLEN, verlen;
	struct so_event *e;
	u16 proto;
	u8 hdr;

	bpf_skb_load_bytes(skb, 12, &proto, 2);
	if (bpf_ntohs(proto) != ETH_P_IP || is_fragment(skb, nhoff))
		return 0;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, protocol),
			   &e->ip_proto, 1);
	e->ip_proto &= 0xff;
	bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, saddr),
			   &e->src_addr, 4);
	bpf_skb_load_bytes(skb, nhoff + offsetof(struct iphdr, daddr),
			   &e->dst_addr, 4);
	e->ports = 0;
	if (e->ip_proto != IPPROTO_GRE) {
		bpf_skb_load_bytes(skb, nhoff, &hdr, 1);
		verlen = (hdr & 0xf) * 4;
		bpf_skb_load_bytes(skb, nhoff + verlen, &e->ports, 4);
	}
	e->pkt_type = skb->pkt_type;
	e->ifindex = skb->ifindex;
	bpf_ringbuf_submit(e, 0);
	return skb->len;
}
