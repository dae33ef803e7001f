/* pin.bpf.c — a map pinned by name (LIBBPF_PIN_BY_NAME), for the suite's
 * checks that such pins stay in the instance's private pin root: shared by
 * the objects of one instance, never by two instances, never reusing a pin
 * the host made, and gone when the instance ends.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} wbt_pinned SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
