// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* execve.c — prints each execve() with its caller and arguments:
 *	PID    PPID   UID    COMM             ARGS
 * Builds as a wasm-bpf guest and natively from the same source. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "execve.skel.h"
#include "execve.types.h"

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct comm_event *e = data;
	int n;

	if (size < sizeof(*e))
		return 0;
	printf("%-6d %-6d %-6u %-16s", e->pid, e->ppid, e->uid, e->comm);
	n = e->nargs < 6 ? e->nargs : 6;
	for (int i = 0; i < n; i++)
		printf(" %.*s", 64, e->args[i]);
	printf("\n");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_buffer *buf = NULL;
	struct execve_bpf *skel;
	int err;

	if (argc > 1) {
		printf("Usage: execve\nTrace execve() calls system wide.\n");
		return strcmp(argv[1], "-h") && strcmp(argv[1], "--help");
	}
	skel = execve_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "Failed to open and load BPF skeleton\n");
		return 1;
	}
	err = execve_bpf__attach(skel);
	if (!err) {
		buf =
		    bpf_buffer__open(skel->maps.comm_event, handle_event, NULL);
		err = buf ? 0 : -errno;
	}
	if (err) {
		fprintf(stderr, "Failed to attach: %s\n", strerror(-err));
		goto cleanup;
	}
	printf("%-6s %-6s %-6s %-16s %s\n", "PID", "PPID", "UID", "COMM",
	       "ARGS");
	fflush(stdout);
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;
cleanup:
	bpf_buffer__free(buf);
	execve_bpf__destroy(skel);
	return err ? 1 : 0;
}
