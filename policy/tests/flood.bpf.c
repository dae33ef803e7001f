/* flood.bpf.c — the event rate limit's flood: one ring buffer record per
 * getpgid(WPOL_FLOOD_MAGIC) call (policy/tests/flooder.c makes them), so
 * the suite knows exactly how many records the kernel produced. Named as
 * rules.bpf.c's (wpol_exec, events) so guest.c drives it unchanged.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define WPOL_FLOOD_MAGIC 0x57f100dL

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

/* Records written: the kernel may skip a tracepoint program under
 * concurrent load (so the flooder's count is not always the truth); this
 * one the guest reads at the end. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} produced SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wpol_exec(struct trace_event_raw_sys_enter *ctx)
{
	__u64 magic = ctx->args[0]; /* getpgid has no second argument */
	__u32 k = 0;
	__u64 *n;

	if (magic != WPOL_FLOOD_MAGIC)
		return 0;
	n = bpf_map_lookup_elem(&produced, &k);
	if (!bpf_ringbuf_output(&events, &magic, sizeof(magic), 0) && n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
