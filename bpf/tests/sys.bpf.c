/* sys.bpf.c — syscall tracepoints of close, read and write for the user
 * backend's interposition test (bpf/tests/systrace.c): an entry on a
 * descriptor in [70, 80) is recorded (number, descriptor, count) and marks
 * the thread, whose exit then records the result.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct sys_event {
	s64 nr, fd, count, ret;
	u32 exit, pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, s64);
} inflight SEC(".maps");

static int on_enter(struct trace_event_raw_sys_enter *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	s64 fd = ctx->args[0];
	struct sys_event e = {.nr = ctx->id, .fd = fd};

	if (fd < 70 || fd >= 80)
		return 0;
	if (ctx->id != 3) /* close has no count */
		e.count = ctx->args[2];
	bpf_map_update_elem(&inflight, &tid, &fd, BPF_ANY);
	bpf_ringbuf_output(&rb, &e, sizeof(e), 0);
	return 0;
}

static int on_exit(struct trace_event_raw_sys_exit *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	s64 *fd = bpf_map_lookup_elem(&inflight, &tid);
	struct sys_event e = {.nr = ctx->id, .ret = ctx->ret, .exit = 1};

	if (!fd)
		return 0;
	e.fd = *fd;
	bpf_map_delete_elem(&inflight, &tid);
	bpf_ringbuf_output(&rb, &e, sizeof(e), 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx)
{
	return on_enter(ctx);
}
SEC("tracepoint/syscalls/sys_exit_close")
int exit_close(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx);
}
SEC("tracepoint/syscalls/sys_enter_read")
int enter_read(struct trace_event_raw_sys_enter *ctx)
{
	return on_enter(ctx);
}
SEC("tracepoint/syscalls/sys_exit_read")
int exit_read(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx);
}
SEC("tracepoint/syscalls/sys_enter_write")
int enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return on_enter(ctx);
}
SEC("tracepoint/syscalls/sys_exit_write")
int exit_write(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx);
}

char LICENSE[] SEC("license") = "GPL";
