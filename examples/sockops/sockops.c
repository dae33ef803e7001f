// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockops.c — prints the TCP connections established by processes of a
 * cgroup (v2): sockops CGROUP_DIR [seconds]. Under wasm-bpf the directory
 * must be given to the guest (wasm-bpf --dir /sys/fs/cgroup::/cgroup
 * sockops.wasm /cgroup); the program is attached to the descriptor the
 * guest opens. Builds as a wasm-bpf guest and natively. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "sockops.skel.h"
#include "sockops.types.h"

static void ip4(char *buf, size_t n, unsigned int a)
{
	const unsigned char *b = (const unsigned char *)&a;

	snprintf(buf, n, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct conn_event *e = data;
	char l[16] = "-", r[16] = "-";

	if (size < sizeof(*e))
		return 0;
	if (e->family == 2) {
		ip4(l, sizeof(l), e->local_ip4);
		ip4(r, sizeof(r), e->remote_ip4);
	}
	printf("%-8s %s:%u -> %s:%u\n", e->op == 4 ? "ACTIVE" : "PASSIVE", l,
	       e->local_port, r, e->remote_port);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int seconds = argc > 2 ? atoi(argv[2]) : -1;
	struct bpf_buffer *buf = NULL;
	struct sockops_bpf *skel;
	time_t end;
	int cg, err;

	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "Usage: sockops CGROUP_DIR [seconds]\n");
		return 1;
	}
	cg = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (cg < 0) {
		fprintf(stderr, "cannot open %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	skel = sockops_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "Failed to open and load BPF skeleton\n");
		close(cg);
		return 1;
	}
	err = wbpf_program__attach_fd(skel->progs.sockops_established, cg);
	if (!err) {
		buf = bpf_buffer__open(skel->maps.events, handle_event, NULL);
		err = buf ? 0 : -errno;
	}
	if (err) {
		fprintf(stderr, "Failed to attach to %s: %s\n", argv[1],
			strerror(-err));
		goto cleanup;
	}
	printf("Tracing established TCP connections in %s\n", argv[1]);
	fflush(stdout);
	end = seconds >= 0 ? time(NULL) + seconds : 0;
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		if (end && time(NULL) >= end)
			break;
	if (err == -EINTR || err > 0)
		err = 0;
	if (!bpf_map__pull_data(skel->maps.bss))
		printf("%llu connections established\n",
		       (unsigned long long)skel->bss->established);
cleanup:
	bpf_buffer__free(buf);
	sockops_bpf__destroy(skel);
	close(cg);
	return err != 0;
}
