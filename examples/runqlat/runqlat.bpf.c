// SPDX-License-Identifier: GPL-2.0
/* runqlat.bpf.c — run queue latency: the time from a task's wakeup (or
 * preemption) to it running again, as a log2 histogram in `hists`, for all
 * tasks or per process/thread. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "runqlat.h"

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING 0

const volatile bool targ_per_process = false;
const volatile bool targ_per_thread = false;
const volatile bool targ_ms = false;
const volatile pid_t targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, struct hist);
} hists SEC(".maps");

/* CO-RE views of task_struct (small BTF, see bootstrap.bpf.c); the state
 * field was renamed in 5.14, the two flavors cover both. */
struct task_struct___rq {
	int pid;
	int tgid;
	char comm[TASK_COMM_LEN];
} __attribute__((preserve_access_index));

struct task_struct___new {
	unsigned int __state;
} __attribute__((preserve_access_index));

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(void *t)
{
	if (bpf_core_field_exists(((struct task_struct___new *)t)->__state))
		return BPF_CORE_READ((struct task_struct___new *)t, __state);
	return BPF_CORE_READ((struct task_struct___old *)t, state);
}

static __always_inline int enqueue(struct task_struct___rq *p)
{
	u32 pid = BPF_CORE_READ(p, pid);
	u64 ts;

	if (!pid || (targ_tgid && targ_tgid != BPF_CORE_READ(p, tgid)))
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
	return 0;
}

static __always_inline u32 log2l(u64 v)
{
	u32 r = 0;

	/* bounded for the verifier: 64 bits need at most 6 halvings */
	for (int s = 32; s > 0; s >>= 1) {
		if (v >> s) {
			v >>= s;
			r += s;
		}
	}
	return r;
}

static __always_inline void account(struct task_struct___rq *next, u64 delta)
{
	static const struct hist zero;
	struct hist *h;
	u32 key = -1, slot;

	if (targ_per_process)
		key = BPF_CORE_READ(next, tgid);
	else if (targ_per_thread)
		key = BPF_CORE_READ(next, pid);
	h = bpf_map_lookup_elem(&hists, &key);
	if (!h) {
		bpf_map_update_elem(&hists, &key, &zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(&hists, &key);
		if (!h)
			return;
		if (targ_per_process || targ_per_thread)
			BPF_CORE_READ_STR_INTO(&h->comm, next, comm);
	}
	delta /= targ_ms ? 1000000U : 1000U;
	slot = delta ? log2l(delta) + 1 : 0;
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
}

SEC("tp_btf/sched_wakeup")
int handle_sched_wakeup(u64 *ctx)
{
	return enqueue((struct task_struct___rq *)ctx[0]);
}

SEC("tp_btf/sched_wakeup_new")
int handle_sched_wakeup_new(u64 *ctx)
{
	return enqueue((struct task_struct___rq *)ctx[0]);
}

SEC("tp_btf/sched_switch")
int handle_sched_switch(u64 *ctx)
{
	struct task_struct___rq *prev = (void *)ctx[1], *next = (void *)ctx[2];
	u32 pid;
	u64 *tsp;

	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev); /* preempted: waits on the run queue again */
	pid = BPF_CORE_READ(next, pid);
	tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	if (bpf_ktime_get_ns() > *tsp)
		account(next, bpf_ktime_get_ns() - *tsp);
	bpf_map_delete_elem(&start, &pid);
	return 0;
}
