// SPDX-License-Identifier: GPL-2.0
/* many.bpf.c — an object with many maps, programs and data sections for
 * `wasm-bpf gen skeleton` tests (compiled, generated, compiled again). */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct pair {
	long a;
	int *p;
};

const volatile int ro_int = 1;
const volatile long ro_long = 2;
const volatile struct pair ro_pair = {3, 0};
const volatile char ro_str[10] = "rodata";
int data_int = 4;
long data_arr[3] = {5, 6, 7};
int bss_int;
struct pair bss_pair;
int custom_data SEC(".data.custom") = 8;
const volatile int custom_ro SEC(".rodata.custom") = 9;
static int hidden_static = 10; /* not in the skeleton, room kept */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct pair);
} hash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} array_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} percpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int prog_tp(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&array_map, &k);

	if (v)
		*v = ro_int + ro_long + data_int + bss_int + custom_data +
		     custom_ro + hidden_static + data_arr[1] + ro_str[0];
	return 0;
}

SEC("xdp")
int prog_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("socket")
int prog_socket(struct __sk_buff *skb)
{
	bss_pair.a++;
	return 0;
}

SEC("raw_tp/sched_switch")
int prog_raw(void *ctx)
{
	return 0;
}
