/* kinds.bpf.c — one program per auto-attach kind, compiled once per kind
 * (-DKIND_xxx) so a kind the kernel lacks fails alone: raw_tp, tp_btf,
 * fentry, fexit, lsm, iter, usdt (the one attached by target). Each bumps
 * `hits` when it runs; the suite triggers it (getppid, opening a file) and
 * checks the count moved.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static __always_inline int bump(void)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&hits, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

#ifdef KIND_raw_tp
SEC("raw_tp/sys_enter")
int wbt_kind(void *ctx)
{
	return bump();
}
#endif
#ifdef KIND_tp_btf
SEC("tp_btf/sys_enter")
int BPF_PROG(wbt_kind, struct pt_regs *regs, long id)
{
	return bump();
}
#endif
#ifdef KIND_fentry
SEC("fentry/do_sys_openat2")
int BPF_PROG(wbt_kind)
{
	return bump();
}
#endif
#ifdef KIND_fexit
SEC("fexit/do_sys_openat2")
int BPF_PROG(wbt_kind)
{
	return bump();
}
#endif
#ifdef KIND_lsm
SEC("lsm/file_open")
int BPF_PROG(wbt_kind, struct file *file)
{
	bump();
	return 0;
}
#endif
#ifdef KIND_usdt
#include <bpf/usdt.bpf.h>

/* attached by target "/abs/native:wbt:probe" (the note is in native.c) */
SEC("usdt")
int BPF_USDT(wbt_kind)
{
	return bump();
}
#endif
#ifdef KIND_iter
SEC("iter/task")
int wbt_kind(struct bpf_iter__task *ctx)
{
	return bump();
}
#endif

char LICENSE[] SEC("license") = "GPL";
