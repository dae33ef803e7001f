// SPDX-License-Identifier: GPL-2.0
/* execve.bpf.c — reports every execve(): caller, uid and the first
 * arguments, through a ring buffer (or a perf buffer when the runtime
 * switches it: wasm-bpf/bpf_buffer.bpf.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "wasm-bpf/bpf_buffer.bpf.h"
#include "wasm-bpf/types.bpf.h"
#include "execve.h"

char LICENSE[] SEC("license") = "GPL";

WASM_BPF_EXPORT_TYPE(comm_event)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} comm_event SEC(".maps");

/* Only the field read here (see bootstrap.bpf.c on why not vmlinux.h's). */
struct task_struct___x {
	int tgid;
	struct task_struct___x *real_parent;
} __attribute__((preserve_access_index));

SEC("tp/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(
    struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct___x *task = (void *)bpf_get_current_task();
	const char **argv = (const char **)ctx->args[1];
	struct comm_event *e;

	e = bpf_buffer__reserve(&comm_event, sizeof(*e));
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->nargs = 0;
	for (int i = 0; i < MAXARGS; i++) {
		const char *arg = NULL;

		e->args[i][0] = 0;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		if (bpf_probe_read_user_str(e->args[i], ARGSIZE, arg) < 0)
			break;
		e->nargs = i + 1;
	}
	bpf_buffer__submit(&comm_event, ctx, e, sizeof(*e));
	return 0;
}
