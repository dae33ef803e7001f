/* core.bpf.c — one object with every kind of CO-RE relocation the BTF
 * cache must reproduce exactly: members inside anonymous unions, bitfields
 * next to zero-length marker arrays, typedef'd members, fixed and flexible
 * arrays, flavors, fields and types that exist or not, enum values, type
 * sizes and matches. btfcache.sh loads it with a minimal BTF and with the
 * full one and compares the programs. Variants that must not be cached:
 * -DCORE_TP_BTF (a program attached by BTF id), -DCORE_KSYM (a typed
 * __ksym), -DCORE_MISSING (a type vmlinux lacks: libbpf would search the
 * modules' BTF).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} wbt_core_out SEC(".maps");

/* The name task_struct's state had before 5.14, and a field no kernel
 * has: flavors of task_struct. */
struct task_struct___old {
	long state;
	int wbt_no_such_field;
} __attribute__((preserve_access_index));

#ifdef CORE_MISSING
struct wbt_no_such_type {
	int x;
};
#endif
#ifdef CORE_KSYM
extern const struct rq runqueues __ksym;
#endif

static __always_inline void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&wbt_core_out, &k, &v, BPF_ANY);
}

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wbt_core(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	/* only read through bpf_probe_read: any address will do */
	struct sk_buff *skb = (void *)t;
	struct cgroup *cg = (void *)t;

	put(0, bpf_core_field_offset(struct sk_buff, dev));
	put(1, BPF_CORE_READ_BITFIELD_PROBED(skb, pkt_type));
	put(2, BPF_CORE_READ_BITFIELD_PROBED(skb, tc_at_ingress));
	put(3, bpf_core_field_size(struct sk_buff, len));
	put(4, bpf_core_field_exists(struct task_struct___old, state));
	put(5, bpf_core_field_exists(struct task_struct, __state));
	put(6, BPF_CORE_READ(t, usage.refs.counter));
	put(7, bpf_core_field_offset(struct task_struct, comm[3]));
	put(8, (unsigned long)BPF_CORE_READ(cg, ancestors[1]));
	put(9, BPF_CORE_READ(t, real_parent, pid));
	put(10, bpf_core_type_exists(struct task_struct));
	put(11, bpf_core_type_size(struct sk_buff));
	put(12, bpf_core_type_exists(refcount_t));
	put(13, bpf_core_type_size(atomic_t));
	put(14, bpf_core_enum_value_exists(enum bpf_map_type,
					   BPF_MAP_TYPE_RINGBUF));
	put(15, bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF));
	put(16,
	    bpf_core_field_exists(struct task_struct___old, wbt_no_such_field));
	put(17, BPF_CORE_READ_BITFIELD_PROBED(skb, csum_level));
#if __clang_major__ >= 15
	put(18, bpf_core_type_matches(struct llist_node));
#endif
#ifdef CORE_MISSING
	put(19, bpf_core_type_exists(struct wbt_no_such_type));
#endif
#ifdef CORE_KSYM
	put(20, (unsigned long)bpf_this_cpu_ptr(&runqueues));
#endif
	return 0;
}

#ifdef CORE_TP_BTF
SEC("tp_btf/sched_switch")
int BPF_PROG(wbt_core_btf, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	put(21, BPF_CORE_READ(next, pid));
	return 0;
}
#endif
