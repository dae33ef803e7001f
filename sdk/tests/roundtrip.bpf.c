// SPDX-License-Identifier: GPL-2.0
/* roundtrip.bpf.c — on fsync() by the process whose tgid the guest does
 * not know (so: by anyone while loaded; the guest triggers it itself),
 * fills struct rt_shared with known values and sends it through a ring
 * buffer and an array map; counts hits in .bss. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "wasm-bpf/types.bpf.h"
#include "roundtrip.h"

char LICENSE[] SEC("license") = "GPL";

WASM_BPF_EXPORT_TYPE(rt_shared)

const volatile long long magic = 1;
int data_in = 2;
int bss_in;
unsigned int hits;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} rt_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rt_shared);
} rt_last SEC(".maps");

static __always_inline void fill(struct rt_shared *e)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->c = -5;
	e->ptr = (void *)0x1122334455667788ULL;
	e->l = -1234567890123LL;
	e->ul = 0xfedcba9876543210ULL;
	e->arr[0] = 1;
	e->arr[1] = -2;
	e->arr[2] = 3;
	e->nest.s = -300;
	e->nest.ll = 0x0102030405060708LL;
	__builtin_memcpy(e->nest.name, "wasm", 5);
	e->nests[1].s = 42;
	e->nests[1].ll = -42;
	e->un.q = 0xaabbccdd00112233ULL;
	e->bits.a = 5;
	e->bits.b = 17;
	e->bits.c = 0xabcde;
	e->bits.d = 0xfedcba9876ULL;
	e->kind = RT_WIDE;
	e->str = (const char *)0x8877665544332211ULL;
	e->flag = 1;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->magic = magic;
	e->data_in = data_in;
	e->bss_in = bss_in;
}

SEC("tp/syscalls/sys_enter_fsync")
int on_fsync(void *ctx)
{
	struct rt_shared *e = bpf_ringbuf_reserve(&rt_events, sizeof(*e), 0);
	__u32 zero = 0;

	if (!e)
		return 0;
	fill(e);
	bpf_map_update_elem(&rt_last, &zero, e, BPF_ANY);
	bpf_ringbuf_submit(e, 0);
	__sync_fetch_and_add(&hits, 1);
	return 0;
}
