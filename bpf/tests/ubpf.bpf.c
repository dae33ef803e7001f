/* ubpf.bpf.c — a uprobe program for the userspace backend's tests
 * (bpf/tests/ubpf.c): every map kind the backend has, globals in .rodata,
 * .data and .bss, a bpf-to-bpf call with a bounded loop, atomics, ring and
 * perf output, comm and probe_read_user_str of the first argument; and a
 * uretprobe summing the results.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
	u32 pid, n;
	u64 sum;
	char comm[16];
	char str[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} pb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} calls SEC(".maps");

const volatile u32 mult = 2;
u64 total;
u32 seen = 5;

static __noinline u64 sum_to(u32 n)
{
	u64 s = 0;
	u32 i;

	for (i = 0; i < n && i < 64; i++)
		s += i;
	return s;
}

SEC("uprobe")
int BPF_KPROBE(handle, const char *str, u32 n)
{
	u32 zero = 0;
	u64 one = 1, *c;
	struct event *e;

	c = bpf_map_lookup_elem(&calls, &zero);
	if (c)
		(*c)++;
	c = bpf_map_lookup_elem(&counts, &n);
	if (c)
		__sync_fetch_and_add(c, 1);
	else
		bpf_map_update_elem(&counts, &n, &one, BPF_NOEXIST);
	__sync_fetch_and_add(&total, n * mult);
	seen++;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->n = n;
	e->sum = sum_to(n);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->str, sizeof(e->str), str);
	bpf_ringbuf_submit(e, 0);
	bpf_perf_event_output(ctx, &pb, BPF_F_CURRENT_CPU, &n, sizeof(n));
	return 0;
}

/* Sums what the probed function returned: rets[0] += result, rets[1]++. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} rets SEC(".maps");

SEC("uretprobe")
int BPF_KRETPROBE(handle_ret, unsigned int ret)
{
	u32 k = 0;
	u64 *v = bpf_map_lookup_elem(&rets, &k);

	if (v)
		__sync_fetch_and_add(v, ret);
	k = 1;
	v = bpf_map_lookup_elem(&rets, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
