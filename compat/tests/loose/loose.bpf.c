// SPDX-License-Identifier: GPL-2.0
/* loose.bpf.c — two programs whose sections say where they attach. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static void bump(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tracepoint/syscalls/sys_enter_execve")
int wbc_on_execve(void *ctx)
{
	bump(0);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int wbc_on_exec(void *ctx)
{
	bump(1);
	return 0;
}
