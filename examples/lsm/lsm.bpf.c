// SPDX-License-Identifier: GPL-2.0
/* lsm.bpf.c — a BPF LSM hook that refuses to remove directories with a
 * given name (set in .rodata before load), and counts the refusals. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define EPERM	 1
#define NAME_LEN 64

const volatile char deny_name[NAME_LEN] = {};
unsigned long long denied = 0; /* .bss: read by the guest after load */

/* Just what is read of struct dentry (small BTF, see bootstrap.bpf.c). */
struct qstr___x {
	const unsigned char *name;
} __attribute__((preserve_access_index));
struct dentry___x {
	struct qstr___x d_name;
} __attribute__((preserve_access_index));

/* inode_rmdir rather than path_rmdir: kernels refuse BPF programs on some
 * path_* hooks, and every rmdir() passes here too. */
SEC("lsm/inode_rmdir")
int BPF_PROG(inode_rmdir, const void *dir, struct dentry___x *dentry, int ret)
{
	char name[NAME_LEN];
	int i;

	if (ret)
		return ret; /* another LSM already said no */
	if (bpf_probe_read_kernel_str(name, sizeof(name),
				      BPF_CORE_READ(dentry, d_name.name)) < 0)
		return 0;
	for (i = 0; i < NAME_LEN; i++) {
		if (name[i] != deny_name[i])
			return 0;
		if (!name[i])
			break;
	}
	if (!deny_name[0])
		return 0;
	__sync_fetch_and_add(&denied, 1);
	return -EPERM;
}
