/* rules.bpf.c — the policy suite's BPF object: a tracepoint program on
 * sched_process_exec with a ring buffer and a hash map, a subprogram with
 * a helper of its own, and a cgroup program. -DWITH_KFUNC adds a kfunc
 * call and -DWITH_PERCPU a per-CPU array (for the scanner tests only).
 * Every program is named wpol_* so the suite counts only its own.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

#ifdef WITH_PERCPU
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu SEC(".maps");
#endif

#ifdef WITH_KFUNC
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
#endif

static __noinline __u32 wpol_who(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

SEC("tracepoint/sched/sched_process_exec")
int wpol_exec(void *ctx)
{
	__u32 pid = wpol_who();
	__u64 one = 1;

#ifdef WITH_KFUNC
	struct task_struct *t = bpf_task_acquire(bpf_get_current_task_btf());
	if (t)
		bpf_task_release(t);
#endif
	bpf_map_update_elem(&counts, &pid, &one, BPF_ANY);
	bpf_ringbuf_output(&events, &pid, sizeof(pid), 0);
	return 0;
}

SEC("cgroup/sock_create")
int wpol_sock(void *ctx)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
