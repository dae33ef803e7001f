// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* kprobe.c — shows unlink() calls (do_unlinkat entry and return) as
 * libbpf-bootstrap's kprobe example traces them. Needs a kernel with
 * kprobes. Builds as a wasm-bpf guest and natively. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "kprobe.skel.h"
#include "kprobe.types.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;

	if (size < sizeof(*e))
		return 0;
	if (e->is_return)
		printf("KPROBE EXIT: pid = %d, comm = %s, ret = %lld\n", e->pid,
		       e->comm, (long long)e->ret);
	else
		printf("KPROBE ENTRY pid = %d, comm = %s, filename = %s\n",
		       e->pid, e->comm, e->filename);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_buffer *buf = NULL;
	struct kprobe_bpf *skel;
	int err;

	skel = kprobe_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "Failed to open and load BPF skeleton\n");
		return 1;
	}
	err = kprobe_bpf__attach(skel);
	if (!err) {
		buf = bpf_buffer__open(skel->maps.events, handle_event, NULL);
		err = buf ? 0 : -errno;
	}
	if (err) {
		fprintf(stderr, "Failed to attach BPF skeleton: %s\n",
			strerror(-err));
		goto cleanup;
	}
	printf("Tracing do_unlinkat()\n");
	fflush(stdout);
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;
cleanup:
	bpf_buffer__free(buf);
	kprobe_bpf__destroy(skel);
	return err != 0;
}
