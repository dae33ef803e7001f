// SPDX-License-Identifier: GPL-2.0
/* bootstrap.bpf.c — reports process exec and exit (with the process
 * lifetime) through a ring buffer; `min_duration_ns` (set before load)
 * keeps only exits of processes that lived at least that long. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "wasm-bpf/types.bpf.h"
#include "bootstrap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

WASM_BPF_EXPORT_TYPE(event)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, pid_t);
	__type(value, u64);
} exec_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} rb SEC(".maps");

const volatile unsigned long long min_duration_ns = 0;

/* CO-RE views of the kernel's task_struct with just the fields read here:
 * libbpf matches "task_struct___min" to task_struct (the ___ suffix is a
 * flavor) and relocates each field. Using vmlinux.h's definition would put
 * all of task_struct's BTF, some 25 KB, into the object the guest embeds. */
struct task_struct___min {
	int tgid;
	int exit_code;
	struct task_struct___min *real_parent;
} __attribute__((preserve_access_index));

static __always_inline struct task_struct___min *current_task(void)
{
	return (struct task_struct___min *)bpf_get_current_task();
}

SEC("tp/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct___min *task = current_task();
	pid_t pid = bpf_get_current_pid_tgid() >> 32;
	u64 ts = bpf_ktime_get_ns();
	unsigned int off;
	struct event *e;

	bpf_map_update_elem(&exec_start, &pid, &ts, BPF_ANY);
	/* With a minimum duration only exits are interesting. */
	if (min_duration_ns)
		return 0;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->exit_event = false;
	e->exit_code = 0;
	e->duration_ns = 0;
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_str(&e->filename, sizeof(e->filename),
			   (void *)ctx + off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int handle_exit(struct trace_event_raw_sched_process_template *ctx)
{
	struct task_struct___min *task = current_task();
	u64 id = bpf_get_current_pid_tgid();
	pid_t pid = id >> 32;
	u64 *start, duration_ns = 0;
	struct event *e;

	if (pid != (u32)id)
		return 0; /* a thread, not the whole process */
	start = bpf_map_lookup_elem(&exec_start, &pid);
	if (start)
		duration_ns = bpf_ktime_get_ns() - *start;
	else if (min_duration_ns)
		return 0;
	bpf_map_delete_elem(&exec_start, &pid);
	if (min_duration_ns && duration_ns < min_duration_ns)
		return 0;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->exit_event = true;
	e->duration_ns = duration_ns;
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->exit_code = (BPF_CORE_READ(task, exit_code) >> 8) & 0xff;
	e->filename[0] = 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
