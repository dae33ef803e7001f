/* bad.bpf.c — an object the verifier must reject (a read past the end of a
 * map value), so the suite can check how load failures are reported. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} small SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wbt_bad(void *ctx)
{
	__u32 k = 0;
	__u32 *v = bpf_map_lookup_elem(&small, &k);

	if (!v)
		return 0;
	return v[64]; /* out of bounds: the verifier says no */
}

char LICENSE[] SEC("license") = "GPL";
