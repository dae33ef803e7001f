/* ring.bpf.c — the ring buffers of the suite's mapped-ring guest
 * (guest_ring.c): records of many sizes in a one-page ring, so they wrap
 * around its end often, every 5th reserved and discarded (counters.h);
 * its own object, as it calls bpf_ringbuf_* directly (test.bpf.o must
 * stay switchable to perf buffers).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "counters.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} wbt_ring_small SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[256]);
} scratch SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpgid")
int wbt_sizes(struct trace_event_raw_sys_enter *ctx)
{
	__u32 k = 0, seq, len;
	__u8 *buf, *r;

	if (ctx->args[0] != MAGIC_SIZES)
		return 0;
	seq = bump(C_SIZES);
	if (SIZES_DISCARDED(seq)) {
		/* counted by the reader either way: not in C_SIZES_FULL */
		r = bpf_ringbuf_reserve(&wbt_ring_small, 64, 0);
		if (r)
			bpf_ringbuf_discard(r, 0);
		return 0;
	}
	buf = bpf_map_lookup_elem(&scratch, &k);
	if (!buf)
		return 0;
	*(__u32 *)buf = seq;
	for (int i = 4; i < 204; i++)
		buf[i] = seq + i;
	len = SIZES_LEN(seq);
	/* < 256 already; the mask, kept past the compiler, is a bound the
	 * verifier sees */
	asm volatile("" : "+r"(len));
	len &= 0xff;
	if (bpf_ringbuf_output(&wbt_ring_small, buf, len, 0))
		bump(C_SIZES_FULL);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
