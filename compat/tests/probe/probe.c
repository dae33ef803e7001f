/* probe.c — shaped like upstream wasm-bpf's opensnoop: turns the `open`
 * tracepoints off unless tracefs says they exist, then attaches. Prints
 * "attached N", and whether writing beneath the tracing events (the
 * host view is read-only) was refused. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "probe.skel.h"
#include "libbpf-wasm.h"

#define EVENTS "/sys/kernel/debug/tracing/events"

static bool tracepoint_exists(const char *category, const char *event)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), EVENTS "/%s/%s/format", category, event);
	return !access(path, F_OK);
}

static bool write_refused(void)
{
	int fd = open(EVENTS "/syscalls/sys_enter_open/enable", O_WRONLY);
	bool refused = fd < 0 || write(fd, "0", 1) != 1;

	if (fd >= 0)
		close(fd);
	fd = open(EVENTS "/wbpf-compat-new", O_WRONLY | O_CREAT, 0644);
	if (fd >= 0) {
		close(fd);
		refused = false;
	}
	return refused;
}

int main(void)
{
	struct probe_bpf *skel = probe_bpf__open();
	int n;

	if (!skel)
		return 1;
	if (!tracepoint_exists("syscalls", "sys_enter_open")) {
		bpf_program__set_autoload(skel->progs.wbc_enter_open, false);
		bpf_program__set_autoload(skel->progs.wbc_exit_open, false);
	}
	if (probe_bpf__load(skel) || probe_bpf__attach(skel)) {
		printf("failed\n");
		probe_bpf__destroy(skel);
		return 1;
	}
	n = !!skel->links.wbc_enter_open + !!skel->links.wbc_exit_open +
	    !!skel->links.wbc_enter_openat + !!skel->links.wbc_exit_openat;
	printf("attached %d\n", n);
	printf("write %s\n", write_refused() ? "refused" : "accepted");
	probe_bpf__destroy(skel);
	return 0;
}
