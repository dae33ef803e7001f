// SPDX-License-Identifier: GPL-2.0
/* sockops.bpf.c — counts the TCP connections of a cgroup that become
 * established, and copies a read-only marker the guest set before load. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 marker = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("sockops")
int wbc_count_established(struct bpf_sock_ops *skops)
{
	__u32 k = 0;
	__u64 *v;

	if (skops->op != 4 && skops->op != 5) /* active/passive established */
		return 1;
	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	k = 1;
	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		*v = marker;
	return 1;
}
