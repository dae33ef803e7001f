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

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wpol_exec(struct trace_event_raw_sys_enter *ctx)
{
	__u64 magic = ctx->args[0]; /* getpgid has no second argument */

	if (magic != WPOL_FLOOD_MAGIC)
		return 0;
	bpf_ringbuf_output(&events, &magic, sizeof(magic), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
