// SPDX-License-Identifier: GPL-2.0
/* uprobe.bpf.c — entry (arguments) and return (result) of a user-space
 * function, reported through a ring buffer. The binary and function are
 * chosen at attach time ("binary:function"). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "wasm-bpf/types.bpf.h"
#include "uprobe.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

WASM_BPF_EXPORT_TYPE(probe_event)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

static __always_inline void send(int is_return, long a, long b, long ret)
{
	struct probe_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->is_return = is_return;
	e->a = a;
	e->b = b;
	e->ret = ret;
	bpf_ringbuf_submit(e, 0);
}

SEC("uprobe")
int BPF_KPROBE(uprobe_add, int a, int b)
{
	send(0, a, b, 0);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(uretprobe_add, int ret)
{
	send(1, 0, 0, ret);
	return 0;
}
