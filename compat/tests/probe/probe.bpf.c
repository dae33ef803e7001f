// SPDX-License-Identifier: GPL-2.0
/* probe.bpf.c — opensnoop's four tracepoints; `open` exists on x86 only. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tracepoint/syscalls/sys_enter_open")
int wbc_enter_open(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int wbc_exit_open(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int wbc_enter_openat(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int wbc_exit_openat(void *ctx)
{
	return 0;
}
