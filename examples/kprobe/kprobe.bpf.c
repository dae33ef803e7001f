// SPDX-License-Identifier: GPL-2.0
/* kprobe.bpf.c — kprobe and kretprobe on do_unlinkat(): the file being
 * removed and the result, through a ring buffer (or perf buffer, see
 * wasm-bpf/bpf_buffer.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "wasm-bpf/bpf_buffer.bpf.h"
#include "wasm-bpf/types.bpf.h"
#include "kprobe.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

WASM_BPF_EXPORT_TYPE(event)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct filename___x {
	const char *name;
} __attribute__((preserve_access_index));

SEC("kprobe/do_unlinkat")
int BPF_KPROBE(do_unlinkat, int dfd, struct filename___x *name)
{
	struct event *e = bpf_buffer__reserve(&events, sizeof(*e));

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->is_return = 0;
	e->ret = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  BPF_CORE_READ(name, name));
	bpf_buffer__submit(&events, ctx, e, sizeof(*e));
	return 0;
}

SEC("kretprobe/do_unlinkat")
int BPF_KRETPROBE(do_unlinkat_exit, long ret)
{
	struct event *e = bpf_buffer__reserve(&events, sizeof(*e));

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->is_return = 1;
	e->ret = ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->filename[0] = 0;
	bpf_buffer__submit(&events, ctx, e, sizeof(*e));
	return 0;
}
