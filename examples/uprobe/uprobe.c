// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* uprobe.c — traces calls of FUNC in BINARY with their arguments and
 * results (uprobe and uretprobe): uprobe BINARY [FUNC]. FUNC defaults to
 * uprobe_add, the function of examples/uprobe/target.c. Builds as a
 * wasm-bpf guest and natively. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "uprobe.skel.h"
#include "uprobe.types.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct probe_event *e = data;
	const char *func = ctx;

	if (size < sizeof(*e))
		return 0;
	if (e->is_return)
		printf("pid %d: %s returned %lld\n", e->pid, func,
		       (long long)e->ret);
	else
		printf("pid %d: %s(%lld, %lld)\n", e->pid, func,
		       (long long)e->a, (long long)e->b);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *func = argc > 2 ? argv[2] : "uprobe_add";
	struct bpf_buffer *buf = NULL;
	struct uprobe_bpf *skel;
	char target[256];
	int err = 0;

	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: uprobe BINARY [FUNC]\n");
		return 1;
	}
	snprintf(target, sizeof(target), "%s:%s", argv[1], func);
	skel = uprobe_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "Failed to open and load BPF skeleton\n");
		return 1;
	}
	skel->links.uprobe_add =
	    wbpf_program__attach_target(skel->progs.uprobe_add, target);
	skel->links.uretprobe_add =
	    wbpf_program__attach_target(skel->progs.uretprobe_add, target);
	if (!skel->links.uprobe_add || !skel->links.uretprobe_add) {
		err = -errno;
		fprintf(stderr, "Failed to attach to %s: %s\n", target,
			strerror(errno));
		goto cleanup;
	}
	buf = bpf_buffer__open(skel->maps.events, handle_event, (void *)func);
	if (!buf) {
		err = -errno;
		goto cleanup;
	}
	printf("Tracing %s in %s\n", func, argv[1]);
	fflush(stdout);
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;
cleanup:
	bpf_buffer__free(buf);
	uprobe_bpf__destroy(skel);
	return err != 0;
}
