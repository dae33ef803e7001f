/* counters.bpf.h — the `counters` array of counters.h and its increment,
 * for the suite's BPF objects that keep them (test.bpf.c, ring.bpf.c). */
#ifndef WBT_COUNTERS_BPF_H
#define WBT_COUNTERS_BPF_H

#include "counters.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* The count before this one. */
static __always_inline __u64 bump(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	return v ? __sync_fetch_and_add(v, 1) : 0;
}

#endif
