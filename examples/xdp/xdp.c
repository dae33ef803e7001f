// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xdp.c — counts packets received on an interface by IP protocol with an
 * XDP program: xdp IFNAME [interval [count]]. Prints, every interval
 * seconds, the totals since start. Builds as a wasm-bpf guest and
 * natively. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "libbpf-wasm.h"
#include "xdp.skel.h"
#include "xdp.types.h"

static const char *proto_name(unsigned int p)
{
	switch (p) {
	case 0:
		return "non-IP";
	case 1:
		return "ICMP";
	case 6:
		return "TCP";
	case 17:
		return "UDP";
	}
	return "IP";
}

static int print_counters(struct xdp_bpf *skel)
{
	unsigned long long packets = 0, bytes = 0;

	for (unsigned int key = 0; key < 256; key++) {
		struct counter c;
		int err = bpf_map__lookup_elem(skel->maps.counters, &key,
					       sizeof(key), &c, sizeof(c), 0);

		if (err)
			return err;
		if (!c.packets)
			continue;
		printf("%-6s proto %-3u packets %llu bytes %llu\n",
		       proto_name(key), key, (unsigned long long)c.packets,
		       (unsigned long long)c.bytes);
		packets += c.packets;
		bytes += c.bytes;
	}
	printf("total packets %llu bytes %llu\n", packets, bytes);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int interval = argc > 2 ? atoi(argv[2]) : 1;
	int count = argc > 3 ? atoi(argv[3]) : -1;
	struct xdp_bpf *skel;
	int err = 0;

	if (argc < 2 || argc > 4 || argv[1][0] == '-' || interval <= 0) {
		fprintf(stderr, "Usage: xdp IFNAME [interval [count]]\n");
		return 1;
	}
	skel = xdp_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "Failed to open and load BPF skeleton\n");
		return 1;
	}
	skel->links.xdp_count =
	    wbpf_program__attach_target(skel->progs.xdp_count, argv[1]);
	if (!skel->links.xdp_count) {
		err = -errno;
		fprintf(stderr, "Failed to attach XDP to %s: %s\n", argv[1],
			strerror(errno));
		goto cleanup;
	}
	printf("Counting packets on %s\n", argv[1]);
	fflush(stdout);
	while (count < 0 || count-- > 0) {
		/* Cut short (non-zero) by Ctrl-C: print once more and end. */
		unsigned int cut = sleep(interval);

		err = print_counters(skel);
		if (err || cut)
			break;
	}
cleanup:
	xdp_bpf__destroy(skel);
	return err != 0;
}
