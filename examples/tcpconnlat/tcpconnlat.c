// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcpconnlat.c — traces IPv4 TCP connect latency as libbpf-tools'
 * tcpconnlat does: tcpconnlat [-L] [-p PID] [min_ms]. Uses fentry (BTF
 * and BPF trampolines). Builds as a wasm-bpf guest and natively. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libbpf-wasm.h"
#include "tcpconnlat.skel.h"
#include "tcpconnlat.types.h"

static struct env {
	bool lport;
	int pid;
	long min_us;
} env;

static void ip4(char *buf, size_t n, unsigned int a)
{
	const unsigned char *b = (const unsigned char *)&a;

	snprintf(buf, n, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;
	char s[16], d[16];

	if (size < sizeof(*e))
		return 0;
	ip4(s, sizeof(s), e->saddr_v4);
	ip4(d, sizeof(d), e->daddr_v4);
	printf("%-6d %-12.12s %-2d %-16s ", e->tgid, e->comm, 4, s);
	if (env.lport)
		printf("%-6d ", e->lport);
	printf("%-16s %-5d %llu.%02llu\n", d,
	       (e->dport >> 8) | ((e->dport & 0xff) << 8),
	       (unsigned long long)e->delta_us / 1000,
	       (unsigned long long)e->delta_us % 1000 / 10);
	fflush(stdout);
	return 0;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-L") || !strcmp(argv[i], "--lport"))
			env.lport = true;
		else if (!strcmp(argv[i], "-p") && i + 1 < argc)
			env.pid = atoi(argv[++i]);
		else if (argv[i][0] >= '0' && argv[i][0] <= '9')
			env.min_us = atol(argv[i]) * 1000;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_buffer *buf = NULL;
	struct tcpconnlat_bpf *obj;
	int err;

	if (parse_args(argc, argv)) {
		fprintf(stderr, "Usage: tcpconnlat [-L] [-p PID] [min_ms]\n");
		return 1;
	}
	obj = tcpconnlat_bpf__open();
	if (!obj) {
		fprintf(stderr, "failed to open BPF object\n");
		return 1;
	}
	obj->rodata->targ_min_us = env.min_us;
	obj->rodata->targ_tgid = env.pid;
	err = tcpconnlat_bpf__load(obj);
	if (!err)
		err = tcpconnlat_bpf__attach(obj);
	if (!err) {
		buf = bpf_buffer__open(obj->maps.events, handle_event, NULL);
		err = buf ? 0 : -errno;
	}
	if (err) {
		fprintf(stderr, "failed to load/attach BPF programs: %d\n",
			err);
		goto cleanup;
	}
	printf("%-6s %-12s %-2s %-16s ", "PID", "COMM", "IP", "SADDR");
	if (env.lport)
		printf("%-6s ", "LPORT");
	printf("%-16s %-5s %s\n", "DADDR", "DPORT", "LAT(ms)");
	fflush(stdout);
	while ((err = bpf_buffer__poll(buf, 100)) >= 0)
		;
	if (err == -EINTR)
		err = 0;
cleanup:
	bpf_buffer__free(buf);
	tcpconnlat_bpf__destroy(obj);
	return err != 0;
}
