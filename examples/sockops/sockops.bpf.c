// SPDX-License-Identifier: GPL-2.0
/* sockops.bpf.c — a sock_ops program for a cgroup: reports every TCP
 * connection of the cgroup's processes that becomes established, actively
 * or passively, and counts them in .bss. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "wasm-bpf/types.bpf.h"
#include "sockops.h"

char LICENSE[] SEC("license") = "GPL";

WASM_BPF_EXPORT_TYPE(conn_event)

#define ACTIVE_ESTABLISHED_CB  4
#define PASSIVE_ESTABLISHED_CB 5

unsigned long long established = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

SEC("sockops")
int sockops_established(struct bpf_sock_ops *skops)
{
	struct conn_event *e;
	u32 op = skops->op;

	if (op != ACTIVE_ESTABLISHED_CB && op != PASSIVE_ESTABLISHED_CB)
		return 1;
	__sync_fetch_and_add(&established, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 1;
	e->op = op;
	e->family = skops->family;
	e->local_ip4 = skops->local_ip4;
	e->remote_ip4 = skops->remote_ip4;
	e->local_port = skops->local_port;
	e->remote_port = bpf_ntohl(skops->remote_port);
	bpf_ringbuf_submit(e, 0);
	return 1;
}
