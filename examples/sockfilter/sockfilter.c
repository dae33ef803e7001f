// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockfilter.c — prints the IPv4 packets a raw socket sees, filtered in
 * the kernel by a socket filter program (libbpf-bootstrap's sockfilter).
 * Natively it opens a packet socket on IFNAME (default lo); a wasm guest
 * cannot create sockets, so under wasm-bpf it attaches to the socket the
 * runtime handed it as descriptor FD: sockfilter [-i IFNAME] [-f FD]
 * [seconds]. Builds as a wasm-bpf guest and natively. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifndef __wasm__
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#endif
#include "libbpf-wasm.h"
#include "sockfilter.skel.h"
#include "sockfilter.types.h"

static const char *proto(unsigned int p)
{
	return p == 1 ? "ICMP" : p == 6 ? "TCP" : p == 17 ? "UDP" : "IP";
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct so_event *e = data;
	const unsigned char *s = (const void *)&e->src_addr;
	const unsigned char *d = (const void *)&e->dst_addr;
	const unsigned char *p = (const void *)&e->ports;

	if (size < sizeof(*e))
		return 0;
	printf("interface: %u\tprotocol: %s\t%u.%u.%u.%u:%u(src) -> "
	       "%u.%u.%u.%u:%u(dst)\n",
	       e->ifindex, proto(e->ip_proto), s[0], s[1], s[2], s[3],
	       p[0] << 8 | p[1], d[0], d[1], d[2], d[3], p[2] << 8 | p[3]);
	fflush(stdout);
	return 0;
}

/* A packet socket bound to `ifname`: natively only. */
static int open_raw_sock(const char *ifname)
{
#ifdef __wasm__
	(void)ifname;
	return -1;
#else
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL)};
	int sock = socket(PF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  htons(ETH_P_ALL));

	if (sock < 0)
		return -1;
	sll.sll_ifindex = if_nametoindex(ifname);
	if (bind(sock, (struct sockaddr *)&sll, sizeof(sll))) {
		close(sock);
		return -1;
	}
	return sock;
#endif
}

int main(int argc, char **argv)
{
	const char *ifname = "lo";
	struct bpf_buffer *buf = NULL;
	struct sockfilter_bpf *skel;
	int sock = -1, seconds = -1, err;
	time_t end;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-i") && i + 1 < argc) {
			ifname = argv[++i];
		} else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
			sock = atoi(argv[++i]);
		} else if (argv[i][0] >= '0' && argv[i][0] <= '9') {
			seconds = atoi(argv[i]);
		} else {
			fprintf(stderr, "Usage: sockfilter [-i IFNAME] [-f FD] "
					"[seconds]\n");
			return 1;
		}
	}
	if (sock < 0)
		sock = open_raw_sock(ifname);
	if (sock < 0) {
		fprintf(stderr, "no socket: give one with -f FD (wasm) or run "
				"as root (native)\n");
		return 1;
	}
	skel = sockfilter_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "Failed to open and load BPF skeleton\n");
		return 1;
	}
	err = wbpf_program__attach_fd(skel->progs.socket_handler, sock);
	if (!err) {
		buf = bpf_buffer__open(skel->maps.rb, handle_event, NULL);
		err = buf ? 0 : -errno;
	}
	if (err) {
		fprintf(stderr, "Failed to attach to the socket: %s\n",
			strerror(-err));
		goto cleanup;
	}
	printf("Filtering packets\n");
	fflush(stdout);
	end = seconds >= 0 ? time(NULL) + seconds : 0;
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		if (end && time(NULL) >= end)
			break;
	if (err == -EINTR || err > 0)
		err = 0;
cleanup:
	bpf_buffer__free(buf);
	sockfilter_bpf__destroy(skel);
	return err != 0;
}
